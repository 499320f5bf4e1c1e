/* ccidlab — the pipes of the emulated reader: the queue of answers on
 * bulk-IN (with time extensions while a card works, and the response
 * faults), the interrupt-IN queue, and the class requests on the control
 * pipe (CCID 1.1 §5.2, §5.3).
 *
 * Every wait is a g_cond_wait_until on the device's one condition,
 * bounded by the caller's timeout; whatever may end a wait (an answer
 * ready, an interrupt queued, interrupt_stop, the ABORT class request, a
 * fault set or cleared) broadcasts it.
 */
#include "config.h"

#include <string.h>

#include "ccid/bytes.h"
#include "ccid/result.h"
#include "emu/device_priv.h"

/* CCID 1.1 §5.3: class-specific requests. */
#define REQ_ABORT 0x01u
#define REQ_GET_CLOCK_FREQUENCIES 0x02u
#define REQ_GET_DATA_RATES 0x03u

void emu_pending_free(emu_pending *p)
{
	if (p == NULL)
		return;
	g_free(p->msg);
	g_free(p);
}

/* A small xorshift, so that garbage is the same on every run. */
static uint8_t garbage_byte(emu_device *dev)
{
	uint32_t x = dev->garbage_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	dev->garbage_state = x;
	return (uint8_t)x;
}

/* The response faults (fault.h) on an encoded answer. */
static void apply_faults(emu_device *dev, emu_pending *p)
{
	uint32_t arg;

	if (emu_fault_take_locked(dev, p->bSlot, EMU_FAULT_WRONG_SEQ, &arg))
		p->msg[6] = (uint8_t)(p->msg[6] + arg);
	if (emu_fault_take_locked(dev, p->bSlot, EMU_FAULT_WRONG_SLOT, &arg))
		p->msg[5] = (uint8_t)(p->msg[5] + arg);
	if (emu_fault_take_locked(dev, p->bSlot, EMU_FAULT_LONG_LENGTH, &arg))
		ccid_put_le32(p->msg + 1, ccid_get_le32(p->msg + 1) + arg);
	if (emu_fault_take_locked(dev, p->bSlot, EMU_FAULT_TRUNCATE, &arg))
		p->len -= MIN((size_t)arg, p->len);
	if (emu_fault_take_locked(dev, p->bSlot, EMU_FAULT_GARBAGE, &arg)) {
		g_free(p->msg);
		p->len = arg;
		p->msg = g_malloc(MAX(p->len, 1));
		for (size_t i = 0; i < p->len; i++)
			p->msg[i] = garbage_byte(dev);
		/* 0x00 is no RDR_to_PC type: garbage never passes for an answer. */
		if (p->len > 0)
			p->msg[0] = 0x00;
	}
	if (emu_fault_take_locked(dev, p->bSlot, EMU_FAULT_TIMEOUT, &arg)) {
		p->timeout_fault = true;
		p->timeout_ms = arg;
	}
}

void emu_pipe_queue_locked(emu_device *dev, uint8_t cmd_type, const ccid_msg *rsp,
			   unsigned work_ms, bool wait_abort)
{
	size_t cap = CCID_HEADER_SIZE + rsp->dwLength;
	emu_pending *p = g_new0(emu_pending, 1);

	p->msg = g_malloc(cap);
	if (ccid_message_encode(rsp, p->msg, cap, &p->len) != CCID_OK) {
		/* Cannot happen for the types the device builds; answer
		 * nothing rather than something malformed. */
		g_debug("%s: %s: cannot encode %s", __func__, dev->name,
			ccid_message_type_name(rsp->bMessageType));
		emu_pending_free(p);
		return;
	}
	p->cmd_type = cmd_type;
	p->bSlot = rsp->bSlot;
	p->bSeq = rsp->bSeq;
	p->bMessageType = rsp->bMessageType;
	p->ready_us = g_get_monotonic_time() + (int64_t)work_ms * 1000;
	p->wait_abort = wait_abort;
	apply_faults(dev, p);

	/* Bounded: a host that never reads loses the oldest answers. */
	if (g_queue_get_length(&dev->pending) >= EMU_DEVICE_MAX_PENDING)
		emu_pending_free(g_queue_pop_head(&dev->pending));
	g_queue_push_tail(&dev->pending, p);
	g_cond_broadcast(&dev->cond);
}

void emu_pipe_irq_push_locked(emu_device *dev, emu_irq *irq)
{
	if (g_queue_get_length(&dev->irqs) >= EMU_DEVICE_MAX_INTERRUPTS)
		g_free(g_queue_pop_head(&dev->irqs));
	g_queue_push_tail(&dev->irqs, irq);
	g_cond_broadcast(&dev->cond);
}

static bool pending_ready(const emu_pending *p, int64_t now)
{
	return !p->wait_abort && p->ready_us <= now;
}

bool emu_device_slot_busy_locked(emu_device *dev, unsigned slot)
{
	int64_t now = g_get_monotonic_time();

	for (GList *l = dev->pending.head; l != NULL; l = l->next) {
		emu_pending *p = l->data;
		if (p->bSlot == slot && !pending_ready(p, now))
			return true;
	}
	return false;
}

unsigned emu_device_busy_slots_locked(emu_device *dev)
{
	unsigned n = 0;

	for (unsigned i = 0; i < dev->nslots; i++)
		n += emu_device_slot_busy_locked(dev, i);
	return n;
}

int emu_device_bulk_out(emu_device *dev, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	(void)timeout_ms; /* the device takes a message at once */
	g_return_val_if_fail(dev != NULL && (buf != NULL || len == 0), CCID_E_INVALID_ARG);

	emu_device_lock(dev);
	int rc = CCID_OK;
	if (emu_fault_device_gone_locked(dev))
		rc = CCID_E_NO_DEVICE;
	else
		emu_device_run_locked(dev, buf, len);
	emu_device_unlock(dev);
	return rc;
}

/* The first answer that may leave now (earliest ready, then command
 * order), or NULL. */
static GList *first_ready(emu_device *dev, int64_t now)
{
	GList *best = NULL;

	for (GList *l = dev->pending.head; l != NULL; l = l->next) {
		emu_pending *p = l->data;
		if (pending_ready(p, now) &&
		    (best == NULL || p->ready_us < ((emu_pending *)best->data)->ready_us))
			best = l;
	}
	return best;
}

/* The answer a card is still working on that had a time extension least
 * recently (never first, then command order), or NULL: with several busy
 * slots each gets its turn, so every waiting command hears its own card
 * (CCID 1.1 §6.2.6).  An Abort that waits for its class request is not
 * work: no time extension for it. */
static emu_pending *first_busy(emu_device *dev, int64_t now, int64_t *next_ready)
{
	emu_pending *busy = NULL;

	*next_ready = G_MAXINT64;
	for (GList *l = dev->pending.head; l != NULL; l = l->next) {
		emu_pending *p = l->data;
		if (pending_ready(p, now) || p->wait_abort)
			continue;
		if (busy == NULL || p->te_us < busy->te_us)
			busy = p;
		*next_ready = MIN(*next_ready, p->ready_us);
	}
	return busy;
}

/* CCID 1.1 §6.2.6: bmCommandStatus 2, bError the BWT multiplier (1). */
static int time_extension(emu_device *dev, const emu_pending *p, uint8_t *buf, size_t cap,
			  size_t *len)
{
	ccid_msg te;
	ccid_icc_status icc = p->bSlot < dev->nslots ? emu_slot_icc(&dev->slots[p->bSlot])
						       : CCID_ICC_ABSENT;

	ccid_message_init(&te, p->bMessageType, p->bSlot, p->bSeq);
	te.p.rdr.bStatus = ccid_errmap_bStatus(icc, CCID_CMD_TIME_EXTENSION);
	te.p.rdr.bError = 1;
	return ccid_message_encode(&te, buf, cap, len);
}

/* Waits until `until` (µs, monotonic) or a broadcast.  Called with the
 * device lock held. */
static void wait_until(emu_device *dev, int64_t until)
{
	g_cond_wait_until(&dev->cond, &dev->lock, until);
}

/* The timeout fault: the answer is lost.  The pipe stays open for the
 * answers of other slots; the caller hears nothing more for this one, and
 * its read ends at its timeout (or the fault's shorter bound). */
static int64_t lost_answer(emu_pending *p, int64_t deadline)
{
	int64_t until = deadline;

	if (p->timeout_ms != 0)
		until = MIN(until, g_get_monotonic_time() + (int64_t)p->timeout_ms * 1000);
	emu_pending_free(p);
	return until;
}

int emu_device_bulk_in(emu_device *dev, uint8_t *buf, size_t cap, size_t *len,
		       unsigned timeout_ms)
{
	g_return_val_if_fail(dev != NULL && buf != NULL && len != NULL, CCID_E_INVALID_ARG);

	int64_t start = g_get_monotonic_time();
	int64_t deadline = start + (int64_t)timeout_ms * 1000;
	/* A time extension after EMU_DEVICE_TIME_EXT_MS, or half the
	 * caller's timeout when that is shorter, so that it always arrives
	 * before the host gives up. */
	int64_t period = MIN((int64_t)EMU_DEVICE_TIME_EXT_MS * 1000, (int64_t)timeout_ms * 500);
	int64_t te_at = start + period;
	int rc = CCID_E_TIMEOUT;

	*len = 0;
	emu_device_lock(dev);
	for (;;) {
		int64_t now = g_get_monotonic_time();
		if (emu_fault_device_gone_locked(dev)) {
			rc = CCID_E_NO_DEVICE;
			break;
		}
		GList *l = first_ready(dev, now);
		if (l != NULL) {
			emu_pending *p = l->data;
			g_queue_delete_link(&dev->pending, l);
			if (p->timeout_fault) {
				deadline = lost_answer(p, deadline);
				continue;
			}
			if (p->len > cap) {
				rc = CCID_E_BUFFER; /* transport.h: dropped */
			} else {
				memcpy(buf, p->msg, p->len);
				*len = p->len;
				rc = CCID_OK;
			}
			emu_pending_free(p);
			break;
		}
		int64_t next_ready;
		emu_pending *busy = first_busy(dev, now, &next_ready);
		if (busy != NULL && now >= te_at) {
			busy->te_us = now;
			rc = time_extension(dev, busy, buf, cap, len);
			if (rc == CCID_E_BUFFER)
				*len = 0;
			break;
		}
		if (now >= deadline) {
			rc = CCID_E_TIMEOUT;
			break;
		}
		int64_t until = deadline;
		if (busy != NULL)
			until = MIN(until, MIN(te_at, next_ready));
		wait_until(dev, until);
	}
	emu_device_unlock(dev);
	return rc;
}

static bool notify_present(const emu_irq *irq, unsigned slot)
{
	size_t byte = 1 + slot / 4;

	if (byte >= irq->len)
		return false;
	return (irq->msg[byte] >> ((slot % 4) * 2)) & 1;
}

int emu_device_interrupt_in(emu_device *dev, bool *stop_flag, uint8_t *buf, size_t cap,
			    size_t *len, unsigned timeout_ms)
{
	g_return_val_if_fail(dev != NULL && stop_flag != NULL && buf != NULL && len != NULL,
			     CCID_E_INVALID_ARG);

	int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
	int rc;

	*len = 0;
	emu_device_lock(dev);
	for (;;) {
		if (emu_fault_device_gone_locked(dev)) {
			rc = CCID_E_NO_DEVICE;
			break;
		}
		if (*stop_flag) {
			/* transport.h: sticky, consumed by the wait it ends. */
			*stop_flag = false;
			rc = CCID_OK;
			break;
		}
		emu_irq *irq = g_queue_pop_head(&dev->irqs);
		if (irq != NULL) {
			if (irq->len > cap) {
				rc = CCID_E_BUFFER;
			} else {
				memcpy(buf, irq->msg, irq->len);
				*len = irq->len;
				rc = CCID_OK;
				if (irq->notify && irq->slot < dev->nslots)
					emu_slot_notify_observed_locked(
						dev, irq->slot, notify_present(irq, irq->slot),
						irq->edge_seq);
				for (unsigned i = 0; irq->notify && irq->slot == EMU_IRQ_EVERY_SLOT &&
						     i < dev->nslots; i++)
					emu_slot_notify_observed_locked(dev, i, notify_present(irq, i), 0);
			}
			g_free(irq);
			break;
		}
		if (g_get_monotonic_time() >= deadline) {
			rc = CCID_E_TIMEOUT;
			break;
		}
		wait_until(dev, deadline);
	}
	emu_device_unlock(dev);
	return rc;
}

void emu_device_interrupt_stop(emu_device *dev, bool *stop_flag)
{
	g_return_if_fail(dev != NULL && stop_flag != NULL);

	emu_device_lock(dev);
	*stop_flag = true;
	g_cond_broadcast(&dev->cond);
	emu_device_unlock(dev);
}

/* Rewrites a pending answer as a failure without data: bError, and the
 * slot's bmICCStatus now; it leaves at once. */
static void fail_pending(emu_device *dev, emu_pending *p, uint8_t bError, int64_t now)
{
	ccid_msg m;
	size_t n = 0;

	ccid_message_init(&m, p->bMessageType, p->bSlot, p->bSeq);
	m.p.rdr.bStatus = ccid_errmap_bStatus(emu_slot_icc(&dev->slots[p->bSlot]),
					      CCID_CMD_FAILED);
	m.p.rdr.bError = bError;
	g_free(p->msg);
	p->msg = g_malloc(CCID_HEADER_SIZE);
	p->len = 0;
	if (ccid_message_encode(&m, p->msg, CCID_HEADER_SIZE, &n) == CCID_OK)
		p->len = n;
	p->ready_us = now;
}

/* Whether the card is part of the answer: what the reader can only say
 * with the card there (CCID 1.1 §6.1: power on, blocks, PIN entry). */
static bool card_answer(uint8_t cmd_type)
{
	return cmd_type == CCID_PC_TO_RDR_XFR_BLOCK || cmd_type == CCID_PC_TO_RDR_SECURE ||
	       cmd_type == CCID_PC_TO_RDR_ICC_POWER_ON;
}

void emu_pipe_card_gone_locked(emu_device *dev, unsigned slot)
{
	int64_t now = g_get_monotonic_time();

	for (GList *l = dev->pending.head; l != NULL; l = l->next) {
		emu_pending *p = l->data;
		if (p->bSlot != slot || pending_ready(p, now) || !card_answer(p->cmd_type))
			continue;
		/* The firmware bug the fault stands for: the answer the card
		 * gave before it left goes out as it was. */
		uint32_t arg;
		if (emu_fault_take_locked(dev, slot, EMU_FAULT_GHOST_ANSWER, &arg))
			continue;
		/* CCID 1.1 §6.2.6: the command fails, bmICCStatus 2 (no ICC),
		 * bError ICC_MUTE: the card cannot answer any more. */
		fail_pending(dev, p, CCID_ERR_ICC_MUTE, now);
	}
	g_cond_broadcast(&dev->cond);
}

/* CCID 1.1 §5.3.1: the ABORT request ends the command in progress on the
 * slot (answered "command aborted"), and releases a PC_to_RDR_Abort of
 * the same bSeq, or is remembered until that Abort comes. */
static void abort_request(emu_device *dev, unsigned slot, uint8_t bSeq)
{
	int64_t now = g_get_monotonic_time();
	bool released = false;

	for (GList *l = dev->pending.head; l != NULL; l = l->next) {
		emu_pending *p = l->data;
		if (p->bSlot != slot || pending_ready(p, now))
			continue;
		if (p->cmd_type == CCID_PC_TO_RDR_ABORT) {
			if (p->wait_abort && p->bSeq == bSeq) {
				p->wait_abort = false;
				p->ready_us = now;
				released = true;
			}
			continue;
		}
		/* The command in progress: failed, bError CMD_ABORTED, no data. */
		fail_pending(dev, p, CCID_ERR_CMD_ABORTED, now);
	}
	if (!released) {
		dev->slots[slot].abort_ctl = true;
		dev->slots[slot].abort_seq = bSeq;
	}
	g_cond_broadcast(&dev->cond);
}

static int list_reply(const GArray *list, uint8_t *data, size_t cap, size_t *len)
{
	size_t n = 0;

	/* A USB IN control transfer returns at most wLength (cap) bytes. */
	for (guint i = 0; list != NULL && i < list->len && n + 4 <= cap; i++) {
		ccid_put_le32(data + n, g_array_index(list, guint32, i));
		n += 4;
	}
	*len = n;
	return CCID_OK;
}

int emu_device_control(emu_device *dev, uint8_t bRequest, uint16_t wValue, uint8_t *data,
		       size_t cap, size_t *len, unsigned timeout_ms)
{
	(void)timeout_ms; /* answered at once */
	g_return_val_if_fail(dev != NULL, CCID_E_INVALID_ARG);

	size_t dummy;
	if (len == NULL)
		len = &dummy;
	*len = 0;
	emu_device_lock(dev);
	int rc = CCID_E_UNSUPPORTED; /* a USB stall */
	const emu_profile *pr = dev->profile;
	if (emu_fault_device_gone_locked(dev)) {
		rc = CCID_E_NO_DEVICE;
	} else if (bRequest == REQ_ABORT) {
		unsigned slot = wValue & 0xFFu;
		if (slot < dev->nslots) {
			abort_request(dev, slot, (uint8_t)(wValue >> 8));
			rc = CCID_OK;
		}
	} else if (bRequest == REQ_GET_CLOCK_FREQUENCIES && pr->clocks_supported) {
		rc = data != NULL ? list_reply(pr->clocks_khz, data, cap, len) : CCID_E_INVALID_ARG;
	} else if (bRequest == REQ_GET_DATA_RATES && pr->rates_supported) {
		rc = data != NULL ? list_reply(pr->rates_bps, data, cap, len) : CCID_E_INVALID_ARG;
	}
	emu_device_unlock(dev);
	return rc;
}
