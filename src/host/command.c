/* ccidlab — the command/response loop every CCID exchange goes through:
 * bSeq, bulk-OUT, and the answers of every command in flight.
 *
 * With bMaxCCIDBusySlots > 1 several slots have a command outstanding at
 * once (CCID 1.1 §5.3), and their answers come back on the one bulk-IN
 * pipe in whatever order the cards finish.  One waiting thread at a time
 * reads bulk-IN (the "reading" role); whatever it reads goes to the
 * command it belongs to (by bSeq, then bSlot), which is judged there and
 * then: a time extension extends that command's wait, an answer ends it,
 * a stale one is dropped.  The owner of a mailbox wakes on r->cond.  With
 * one busy slot this is the plain loop it always was: every answer is the
 * reading thread's own.
 *
 * A command that runs out of time (its read timeout, or the cap) is
 * aborted (CCID 1.1 §5.3.1, §6.1.13): the ABORT class request, then
 * PC_to_RDR_Abort with the same bSeq and bSlot, and a bounded wait for
 * its RDR_to_PC_SlotStatus.  The timed-out bSeq is remembered, so that
 * its late answer is dropped, never handed to a later command.
 */
#include "config.h"

#include <string.h>

#include "ccid/errmap.h"
#include "ccid/quirks.h"
#include "ccid/rates.h"
#include "host/reader_priv.h"

/* Where an ABORT request goes (USB 2.0 §9.3: class, interface, OUT). */
#define ABORT_REQUEST_TYPE 0x21u
#define ABORT_ANSWER_MAX (CCID_HEADER_SIZE + 64)

void host_command_init(host_reader *r)
{
	r->n_gates = r->iface.facts.slot_count + 1;
	r->gates = g_new0(host_gate, r->n_gates);
	for (unsigned i = 0; i < r->n_gates; i++) {
		g_mutex_init(&r->gates[i].lock);
		r->gates[i].answer = g_malloc(r->scratch_cap);
	}
	r->waits = g_new0(host_wait, r->n_gates);
	r->rx_cap = r->scratch_cap;
	r->rx = g_malloc(r->rx_cap);
	memset(r->abandoned, 0xFF, sizeof r->abandoned);
}

void host_command_clear(host_reader *r)
{
	for (unsigned i = 0; r->gates != NULL && i < r->n_gates; i++) {
		g_mutex_clear(&r->gates[i].lock);
		g_free(r->gates[i].answer);
	}
	g_free(r->gates);
	g_free(r->waits);
	g_free(r->rx);
}

static unsigned wait_index(const host_reader *r, unsigned slot)
{
	return slot < r->iface.facts.slot_count ? slot : r->iface.facts.slot_count;
}

host_gate *host_gate_of(host_reader *r, unsigned slot)
{
	/* One busy slot: every slot behind one gate, one command in flight. */
	return r->max_busy == 1 ? &r->gates[0] : &r->gates[wait_index(r, slot)];
}

/* Waits on r->cond, counted: GLib's g_cond_broadcast makes a futex
 * system call even when nobody waits, and one exchange would broadcast
 * twice (the answer delivered, the place left) for nobody with one busy
 * slot: two thirds of the driver's own time per APDU.  r->lock held. */
static gboolean cond_wait_until(host_reader *r, gint64 end)
{
	r->cond_waiters++;
	gboolean woken = g_cond_wait_until(&r->cond, &r->lock, end);
	r->cond_waiters--;
	return woken;
}

/* Wakes every waiter on r->cond, if any.  r->lock held. */
static void wake_waiters(host_reader *r)
{
	if (r->cond_waiters > 0)
		g_cond_broadcast(&r->cond);
}

static unsigned remaining_ms(gint64 deadline)
{
	gint64 left = (deadline - g_get_monotonic_time() + 999) / 1000;
	return left > 0 ? (unsigned)MIN(left, (gint64)G_MAXUINT) : 0;
}

static gint64 after_ms(gint64 from, unsigned ms, unsigned mult)
{
	return from + (gint64)ms * 1000 * (mult ? mult : 1);
}

/* ---- bulk-IN: one reader, answers handed over ---- */

/* A bSeq no command in flight holds and no aborted command may still
 * answer with: answers are routed by bSeq first, and one slot can cycle
 * through all 256 values while another slot's card works on one command
 * (r->lock held).  At most HOST_ABANDONED + busy slots values are taken,
 * so a free one is always found. */
static uint8_t next_seq(host_reader *r)
{
	for (unsigned tries = 0; tries < 256; tries++) {
		uint8_t seq = r->next_seq++;
		bool taken = false;
		for (unsigned i = 0; i < r->n_gates && !taken; i++)
			taken = r->waits[i].cmd != NULL && !r->waits[i].done &&
				r->waits[i].cmd->bSeq == seq;
		for (unsigned i = 0; i < HOST_ABANDONED && !taken; i++)
			taken = r->abandoned[i] != 0xFFFF && (r->abandoned[i] & 0xFF) == seq;
		if (!taken)
			return seq;
	}
	return r->next_seq++;	/* unreachable: fewer than 256 values are ever taken */
}

static bool abandoned(const host_reader *r, uint8_t slot, uint8_t seq)
{
	uint16_t key = (uint16_t)(slot << 8 | seq);
	for (unsigned i = 0; i < HOST_ABANDONED; i++)
		if (r->abandoned[i] == key)
			return true;
	return false;
}

static void abandon(host_reader *r, uint8_t slot, uint8_t seq)
{
	r->abandoned[r->abandoned_next] = (uint16_t)(slot << 8 | seq);
	r->abandoned_next = (r->abandoned_next + 1) % HOST_ABANDONED;
}

/* The command a message read from bulk-IN belongs to: the one with its
 * bSeq, else the one outstanding on its bSlot (which judges it stale or
 * wrong), else the reader's own.  NULL: the late answer of an aborted
 * command, to drop. */
static host_wait *route(host_reader *r, host_wait *self, size_t len)
{
	if (len >= CCID_HEADER_SIZE) {
		uint8_t slot = r->rx[5], seq = r->rx[6];
		for (unsigned i = 0; i < r->n_gates; i++) {
			host_wait *w = &r->waits[i];
			if (w->cmd != NULL && !w->done && w->cmd->bSeq == seq)
				return w;
		}
		if (abandoned(r, slot, seq))
			return NULL;
		host_wait *w = &r->waits[wait_index(r, slot)];
		if (w->cmd != NULL && !w->done)
			return w;
	}
	return self;
}

/* The commands whose answer comes from the card (CCID 1.1 §6.1): an
 * answer to one of them for a card that left is no answer. */
static bool card_command(uint8_t type)
{
	return type == CCID_PC_TO_RDR_XFR_BLOCK || type == CCID_PC_TO_RDR_SECURE ||
	       type == CCID_PC_TO_RDR_ICC_POWER_ON;
}

/* Whether a removal of slot was seen since the count was `before`
 * (r->lock held). */
static bool removed_since(const host_reader *r, unsigned slot, unsigned before)
{
	return slot < r->iface.facts.slot_count && r->removals[slot] != before;
}

unsigned host_removals(host_reader *r, unsigned slot)
{
	g_mutex_lock(&r->lock);
	unsigned n = slot < r->iface.facts.slot_count ? r->removals[slot] : 0;
	g_mutex_unlock(&r->lock);
	return n;
}

/* Judges one message for w (r->lock held). */
static void judge(host_reader *r, host_wait *w, size_t len)
{
	int rc;

	if (len > w->cap) {
		rc = CCID_E_BUFFER;	/* transport.h: a message over cap is dropped */
	} else {
		memcpy(w->buf, r->rx, len);
		/* A device's known framing slips (ccid/quirks.h), trimmed to
		 * what it declared before the frame is judged. */
		len = ccid_quirks_response_len(r->quirk_flags, w->buf, len);
		rc = ccid_message_check(w->cmd, w->buf, len, &r->limits, w->rsp, NULL);
	}
	if (rc == CCID_E_STALE && ++w->stale <= HOST_MAX_STALE) {
		r->stats.stale_dropped++;
		return;
	}
	if (rc == CCID_R_TIME_EXTENSION) {
		/* bError is the multiplier of the read timeout (CCID 1.1
		 * §6.2.6); the cap still holds.  Its bmICCStatus is the slot's
		 * now: no ICC means the card left during the command. */
		r->stats.time_extensions++;
		if (ccid_errmap_icc(w->rsp->p.rdr.bStatus) == CCID_R_ICC_ABSENT)
			w->card_left = true;
		w->deadline = MIN(w->hard_end, after_ms(g_get_monotonic_time(), w->timeout_ms,
							 ccid_message_time_extension(w->rsp)));
		return;
	}
	if (rc == CCID_OK)
		rc = ccid_errmap_result(w->cmd->bMessageType, CCID_OK, w->rsp->p.rdr.bStatus,
					w->rsp->p.rdr.bError);
	if (rc == CCID_OK && card_command(w->cmd->bMessageType) &&
	    (w->card_left || removed_since(r, w->cmd->bSlot, w->removals)))
		rc = CCID_R_ICC_ABSENT;
	w->done = true;
	w->rc = rc;
}

static void deliver(host_reader *r, host_wait *self, size_t len)
{
	if (r->trace != NULL)
		r->trace(r->trace_data, HOST_TRACE_IN, r->rx, len);
	host_wait *w = route(r, self, len);
	if (w == NULL) {
		r->stats.stale_dropped++;
		return;
	}
	if (w != self)
		r->stats.handed_over++;
	judge(r, w, len);
}

/* Waits for w's answer, reading bulk-IN whenever nobody else does;
 * first_wait is what is left of w->deadline now (the caller has just
 * read the clock).  r->lock held; released around the transfer. */
static int await_answer(host_reader *r, host_wait *w, unsigned first_wait)
{
	for (bool first = true;; first = false) {
		if (w->done)
			return w->rc;
		unsigned wait = first ? first_wait : remaining_ms(w->deadline);
		if (wait == 0)
			return CCID_E_TIMEOUT;
		if (r->reading) {
			cond_wait_until(r, w->deadline);
			continue;
		}
		r->reading = true;
		g_mutex_unlock(&r->lock);
		size_t len = 0;
		int rc = r->t.ops->bulk_in(r->t.dev, r->rx, r->rx_cap, &len, wait);
		g_mutex_lock(&r->lock);
		r->reading = false;
		if (rc == CCID_OK)
			deliver(r, w, len);
		/* Answers handed over, or the role free: every waiter looks. */
		wake_waiters(r);
		if (rc != CCID_OK && rc != CCID_E_TIMEOUT)
			return rc;	/* the others read again and see it too */
	}
}

/* ---- bulk-OUT ---- */

/* CCID 1.1 §5.3.1: the ABORT request carries the bSeq and bSlot of the
 * PC_to_RDR_Abort that follows it. */
static int abort_request(host_reader *r, const ccid_msg *cmd, unsigned timeout_ms,
			 host_trace_fn trace, void *trace_data)
{
	uint16_t wValue = (uint16_t)(cmd->bSeq << 8 | cmd->bSlot);

	if (trace != NULL) {
		uint8_t setup[8] = { ABORT_REQUEST_TYPE, CCID_REQ_ABORT, (uint8_t)wValue,
				     (uint8_t)(wValue >> 8), r->iface.bInterfaceNumber, 0, 0, 0 };
		trace(trace_data, HOST_TRACE_CONTROL, setup, sizeof setup);
	}
	int rc = r->t.ops->control(r->t.dev, CCID_REQ_ABORT, wValue, NULL, 0, NULL, timeout_ms);
	/* A reader that stalls the request may still take the command. */
	if (rc != CCID_OK && rc != CCID_E_NO_DEVICE)
		g_debug("%s: ABORT request for slot %u: %s", __func__, cmd->bSlot,
			ccid_result_name(rc));
	return rc == CCID_E_NO_DEVICE ? rc : CCID_OK;
}

static int send_command(host_reader *r, const ccid_msg *cmd, unsigned timeout_ms,
			host_trace_fn trace, void *trace_data)
{
	size_t len = 0;

	g_mutex_lock(&r->out_lock);
	int rc = ccid_message_encode(cmd, r->scratch, r->scratch_cap, &len);
	if (rc == CCID_OK && cmd->bMessageType == CCID_PC_TO_RDR_ABORT)
		rc = abort_request(r, cmd, timeout_ms, trace, trace_data);
	if (rc == CCID_OK) {
		if (trace != NULL)
			trace(trace_data, HOST_TRACE_OUT, r->scratch, len);
		rc = r->t.ops->bulk_out(r->t.dev, r->scratch, len, timeout_ms);
	}
	g_mutex_unlock(&r->out_lock);
	return rc;
}

/* ---- one command ---- */

/* A place among the commands in flight (bMaxCCIDBusySlots), waited for
 * until hard_end.  r->lock held. */
static bool take_place(host_reader *r, gint64 hard_end)
{
	/* First come, first served: with more slots than places, a slot whose
	 * card is slow must not lose every race to slots whose commands are
	 * quick.  The deadline is read from the clock, not from the wait's
	 * result: answers of the others wake this wait all the time. */
	GList me = { .data = NULL };
	bool ok = true;

	g_queue_push_tail_link(&r->place_queue, &me);
	while (r->place_queue.head != &me || r->in_flight >= r->max_busy) {
		if (g_get_monotonic_time() >= hard_end) {
			ok = false;
			break;
		}
		cond_wait_until(r, hard_end);
	}
	g_queue_unlink(&r->place_queue, &me);
	wake_waiters(r);	/* the next in line looks again */
	if (!ok)
		return false;
	r->in_flight++;
	r->stats.max_in_flight = MAX(r->stats.max_in_flight, r->in_flight);
	return true;
}

static void leave_place(host_reader *r)
{
	r->in_flight--;
	wake_waiters(r);
}

/* Sends cmd and waits for its answer; a place is held.  *sent tells
 * whether the device took it.  r->lock held; released around transfers. */
static int exchange(host_reader *r, ccid_msg *cmd, uint8_t *buf, size_t cap, ccid_msg *rsp,
		    gint64 hard_end, unsigned mult, bool *sent)
{
	host_wait *w = &r->waits[wait_index(r, cmd->bSlot)];
	unsigned timeout_ms = r->timeout_ms;

	*sent = false;
	/* Each clock read costs a tenth of the driver's own time per APDU
	 * (on a virtual machine): one before the send, one after. */
	unsigned left = remaining_ms(hard_end);
	if (left == 0)
		return CCID_E_TIMEOUT;
	cmd->bSeq = next_seq(r);
	r->stats.commands++;
	*w = (host_wait){ .cmd = cmd, .buf = buf, .cap = cap, .rsp = rsp,
			  .timeout_ms = timeout_ms, .hard_end = hard_end,
			  .removals = cmd->bSlot < r->iface.facts.slot_count
					      ? r->removals[cmd->bSlot] : 0 };
	host_trace_fn trace = r->trace;
	void *trace_data = r->trace_data;
	g_mutex_unlock(&r->lock);
	int rc = send_command(r, cmd, MIN(timeout_ms, left), trace, trace_data);
	g_mutex_lock(&r->lock);
	if (rc == CCID_OK) {
		*sent = true;
		gint64 now = g_get_monotonic_time();
		w->deadline = MIN(hard_end, after_ms(now, timeout_ms, mult));
		gint64 first_ms = (w->deadline - now + 999) / 1000;
		rc = await_answer(r, w, (unsigned)MIN(first_ms, (gint64)G_MAXUINT));
	}
	w->cmd = NULL;
	return rc;
}

/* After a timeout: the abort handshake on the slot, bounded.  r->lock
 * held, and the place of the timed-out command. */
static void abort_slot(host_reader *r, uint8_t slot)
{
	uint8_t buf[ABORT_ANSWER_MAX];
	ccid_msg cmd, rsp;
	bool sent;

	ccid_message_init(&cmd, CCID_PC_TO_RDR_ABORT, slot, 0);
	/* No longer than one read: a reader that answers at all answers an
	 * Abort at once. */
	gint64 end = after_ms(g_get_monotonic_time(), MIN(HOST_ABORT_WAIT_MS, r->timeout_ms), 1);
	int rc = exchange(r, &cmd, buf, sizeof buf, &rsp, end, 1, &sent);
	if (rc == CCID_OK)
		r->stats.aborts++;
	else if (sent)
		abandon(r, slot, cmd.bSeq);
	if (rc != CCID_OK)
		g_debug("%s: slot %u: no answer to PC_to_RDR_Abort: %s", __func__, slot,
			ccid_result_name(rc));
}

int host_command_gated(host_reader *r, ccid_msg *cmd, uint8_t *buf, size_t cap, ccid_msg *rsp)
{
	host_gate *g = host_gate_of(r, cmd->bSlot);
	gint64 now = g_get_monotonic_time();
	unsigned mult = g->pending_mult;
	bool sent = false;
	int rc = CCID_E_TIMEOUT;

	g->pending_mult = 0;
	g_mutex_lock(&r->lock);
	bool pin = cmd->bMessageType == CCID_PC_TO_RDR_SECURE;
	gint64 hard_end = after_ms(now, pin ? r->pin_cap_ms : r->cap_ms, 1);
	if (g->op_end != 0 && !pin)
		hard_end = MIN(hard_end, g->op_end);
	if (take_place(r, hard_end)) {
		rc = exchange(r, cmd, buf, cap, rsp, hard_end, mult, &sent);
		if (rc == CCID_E_TIMEOUT && sent && cmd->bMessageType != CCID_PC_TO_RDR_ABORT) {
			r->stats.timeouts++;
			abandon(r, cmd->bSlot, cmd->bSeq);
			abort_slot(r, cmd->bSlot);
		}
		leave_place(r);
	}
	g_mutex_unlock(&r->lock);
	return rc;
}

int host_command(host_reader *r, ccid_msg *cmd, uint8_t *buf, size_t cap, ccid_msg *rsp)
{
	host_gate *g = host_gate_of(r, cmd->bSlot);

	g_mutex_lock(&g->lock);
	int rc = host_command_gated(r, cmd, buf, cap, rsp);
	g_mutex_unlock(&g->lock);
	return rc;
}
