/* ccidlab — slots of the emulated reader: cards in and out, mute, the
 * edges they make (events.h), the NotifySlotChange each presence edge
 * queues on the interrupt pipe (CCID 1.1 §6.3.1), and the latch that
 * holds edges until the host has seen them.
 *
 * Mute and unmute are edges of the log but not of the interrupt pipe: a
 * reader sees a card's contacts, not whether it will answer, so a real
 * NotifySlotChange never reports them (hardware truth, issue 4).
 */
#include "config.h"

#include <string.h>

#include "emu/device_priv.h"

void emu_slot_init(emu_slot *s)
{
	memset(s, 0, sizeof *s);
	g_queue_init(&s->latched);
	emu_slot_default_params(s, 0);
}

void emu_slot_clear(emu_slot *s)
{
	g_clear_pointer(&s->card, emu_card_free);
	g_clear_pointer(&s->apdu_buf, g_free);
	g_clear_pointer(&s->rsp_buf, g_free);
	g_queue_clear_full(&s->latched, g_free);
}

ccid_icc_status emu_slot_icc(const emu_slot *s)
{
	if (s->card == NULL)
		return CCID_ICC_ABSENT;
	return s->powered ? CCID_ICC_ACTIVE : CCID_ICC_INACTIVE;
}

void emu_slot_default_params(emu_slot *s, unsigned protocol)
{
	/* CCID 1.1 §6.1.7 defaults: Fi/Di 372/1 (0x11), direct convention,
	 * no extra guard time, WI 10 (T=0) or BWI 4 / CWI 13 (T=1), clock
	 * stop not allowed, IFSC 32, NAD 0. */
	static const uint8_t t0[EMU_PARAMS_T0_LEN] = { 0x11, 0x00, 0x00, 0x0A, 0x00 };
	static const uint8_t t1[EMU_PARAMS_T1_LEN] = { 0x11, 0x10, 0x00, 0x4D, 0x00, 0x20, 0x00 };

	memset(s->params, 0, sizeof s->params);
	if (protocol == 1)
		memcpy(s->params, t1, sizeof t1);
	else
		memcpy(s->params, t0, sizeof t0);
	s->protocol = protocol == 1 ? 1 : 0;
}

/* CCID 1.1 dwFeatures 0x400: "automatic IFSD exchange as first
 * exchange (T=1)".  The reader sets the card's IFSD to its dwMaxIFSD, no
 * larger than the blocks its own messages carry back at TPDU level (a
 * reader that announced an IFSD it cannot carry would break its own
 * link); at character level the blocks travel in pieces. */
void emu_slot_auto_ifsd_locked(emu_device *dev, emu_slot *s)
{
	if (!s->auto_ifsd_pending)
		return;
	s->auto_ifsd_pending = false;
	if (!(dev->desc.dwFeatures & CCID_FEAT_AUTO_IFSD))
		return;
	size_t payload = dev->facts.level == CCID_LEVEL_TPDU ? dev->msg_max - CCID_HEADER_SIZE : 0;
	emu_card_t1_auto_ifsd(s->card, dev->desc.dwMaxIFSD, payload);
}

static emu_event_state slot_state(const emu_slot *s)
{
	if (s->card == NULL)
		return EMU_EVENT_ABSENT;
	return emu_card_is_mute(s->card) ? EMU_EVENT_MUTE : EMU_EVENT_PRESENT;
}

/* Stamps one edge of slot (events.h) and queues it for delivery. */
static uint64_t emu_slot_edge_locked(emu_device *dev, unsigned slot, emu_event_state state,
				     emu_event_source source)
{
	emu_event ev;

	emu_event_fill(&ev, dev->id, dev->name, slot, state, source);
	emu_events_stamp(&ev);
	g_array_append_val(dev->outbox, ev);
	return ev.seq;
}

static void latch_push(emu_device *dev, emu_slot *s, bool present, uint64_t seq)
{
	if (!dev->latch)
		return;
	/* Bounded: a host that never looks must not grow the emulator. */
	if (g_queue_get_length(&s->latched) >= EMU_DEVICE_MAX_LATCHED)
		g_free(g_queue_pop_head(&s->latched));
	emu_latched *l = g_new(emu_latched, 1);
	l->present = present;
	l->seq = seq;
	g_queue_push_tail(&s->latched, l);
}

void emu_slot_queue_notify_locked(emu_device *dev, unsigned slot, uint64_t edge_seq)
{
	if (!dev->profile->has_interrupt_in)
		return;
	uint32_t unused;
	if (emu_fault_take_locked(dev, slot, EMU_FAULT_DROP_NOTIFY, &unused))
		return;

	/* CCID 1.1 §6.3.1: every slot's present bit, the changed bit of the
	 * slot the edge belongs to. */
	ccid_interrupt in;
	memset(&in, 0, sizeof in);
	in.bMessageType = CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE;
	ccid_message_notify_init(&in.u.notify, dev->nslots);
	for (unsigned i = 0; i < dev->nslots; i++)
		ccid_message_notify_set(&in.u.notify, i, dev->slots[i].card != NULL, i == slot);

	emu_irq *irq = g_new0(emu_irq, 1);
	if (ccid_message_interrupt_encode(&in, irq->msg, sizeof irq->msg, &irq->len) != CCID_OK) {
		g_free(irq);
		return;
	}
	irq->notify = true;
	irq->slot = slot;
	irq->edge_seq = edge_seq;
	emu_pipe_irq_push_locked(dev, irq);
}

void emu_slot_queue_hw_error_locked(emu_device *dev, unsigned slot, uint8_t code)
{
	if (!dev->profile->has_interrupt_in)
		return;
	/* CCID 1.1 §6.3.2: bSlot, bSeq (of the command in progress; 0 when
	 * none), bHardwareErrorCode. */
	ccid_interrupt in;
	memset(&in, 0, sizeof in);
	in.bMessageType = CCID_RDR_TO_PC_HARDWARE_ERROR;
	in.u.hw.bSlot = (uint8_t)slot;
	in.u.hw.bSeq = 0;
	in.u.hw.bHardwareErrorCode = code;
	emu_irq *irq = g_new0(emu_irq, 1);
	if (ccid_message_interrupt_encode(&in, irq->msg, sizeof irq->msg, &irq->len) != CCID_OK) {
		g_free(irq);
		return;
	}
	irq->slot = slot;
	emu_pipe_irq_push_locked(dev, irq);
}

/* A presence edge: the log, the latch, the interrupt pipe. */
static void presence_edge(emu_device *dev, unsigned slot, emu_event_source source)
{
	emu_slot *s = &dev->slots[slot];
	uint64_t seq = emu_slot_edge_locked(dev, slot, slot_state(s), source);

	latch_push(dev, s, s->card != NULL, seq);
	emu_slot_queue_notify_locked(dev, slot, seq);
}

void emu_slot_remove_locked(emu_device *dev, unsigned slot, emu_event_source source)
{
	emu_slot *s = &dev->slots[slot];

	if (s->card == NULL)
		return;
	g_clear_pointer(&s->card, emu_card_free);
	s->powered = false;
	s->clock_stopped = false;
	emu_slot_default_params(s, 0);
	emu_pipe_card_gone_locked(dev, slot);
	presence_edge(dev, slot, source);
}

static bool check_slot(emu_device *dev, unsigned slot, GError **error)
{
	if (slot < dev->nslots)
		return true;
	g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: no slot %u (the reader has %u)",
		    dev->name, slot, dev->nslots);
	return false;
}

static bool insert_locked(emu_device *dev, unsigned slot, emu_card *card,
			  emu_event_source source, GError **error)
{
	if (!check_slot(dev, slot, error)) {
		emu_card_free(card);
		return false;
	}
	emu_slot *s = &dev->slots[slot];
	if (s->card != NULL) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: slot %u already holds a card",
			    dev->name, slot);
		emu_card_free(card);
		return false;
	}
	s->card = card;
	s->powered = false;
	s->clock_stopped = false;
	emu_slot_default_params(s, 0);
	presence_edge(dev, slot, source);
	return true;
}

bool emu_device_insert(emu_device *dev, unsigned slot, emu_card *card, emu_event_source source,
		       GError **error)
{
	g_return_val_if_fail(dev != NULL && card != NULL, FALSE);

	emu_device_lock(dev);
	bool ok = insert_locked(dev, slot, card, source, error);
	emu_device_unlock(dev);
	return ok;
}

static bool occupied(emu_device *dev, unsigned slot, GError **error)
{
	if (!check_slot(dev, slot, error))
		return false;
	if (dev->slots[slot].card != NULL)
		return true;
	g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: slot %u is empty", dev->name, slot);
	return false;
}

bool emu_device_remove(emu_device *dev, unsigned slot, emu_event_source source, GError **error)
{
	g_return_val_if_fail(dev != NULL, FALSE);

	emu_device_lock(dev);
	bool ok = occupied(dev, slot, error);
	if (ok)
		emu_slot_remove_locked(dev, slot, source);
	emu_device_unlock(dev);
	return ok;
}

bool emu_device_swap(emu_device *dev, unsigned slot, emu_card *card, emu_event_source source,
		     GError **error)
{
	g_return_val_if_fail(dev != NULL && card != NULL, FALSE);

	emu_device_lock(dev);
	bool ok = check_slot(dev, slot, error);
	if (ok) {
		emu_slot_remove_locked(dev, slot, source);
		ok = insert_locked(dev, slot, card, source, error);
	} else {
		emu_card_free(card);
	}
	emu_device_unlock(dev);
	return ok;
}

static bool set_mute(emu_device *dev, unsigned slot, bool mute, emu_event_source source,
		     GError **error)
{
	g_return_val_if_fail(dev != NULL, FALSE);

	emu_device_lock(dev);
	bool ok = occupied(dev, slot, error);
	if (ok) {
		emu_slot *s = &dev->slots[slot];
		if (emu_card_is_mute(s->card) != mute) {
			emu_card_set_mute(s->card, mute);
			/* A card that stops answering is no longer active: the
			 * next command finds it mute (CCID bError 0xFE). */
			emu_slot_edge_locked(dev, slot, slot_state(s), source);
		}
	}
	emu_device_unlock(dev);
	return ok;
}

bool emu_device_mute(emu_device *dev, unsigned slot, emu_event_source source, GError **error)
{
	return set_mute(dev, slot, true, source, error);
}

bool emu_device_unmute(emu_device *dev, unsigned slot, emu_event_source source, GError **error)
{
	return set_mute(dev, slot, false, source, error);
}

bool emu_device_slot_info(emu_device *dev, unsigned slot, emu_slot_info *out)
{
	g_return_val_if_fail(dev != NULL && out != NULL, FALSE);

	memset(out, 0, sizeof *out);
	emu_device_lock(dev);
	bool ok = slot < dev->nslots;
	if (ok) {
		emu_slot *s = &dev->slots[slot];
		out->present = s->card != NULL;
		out->mute = s->card != NULL && emu_card_is_mute(s->card);
		out->powered = s->powered;
		out->busy = emu_device_slot_busy_locked(dev, slot);
		out->protocol = s->protocol;
		if (s->card != NULL)
			g_strlcpy(out->card_spec, emu_card_spec(s->card), sizeof out->card_spec);
	}
	emu_device_unlock(dev);
	return ok;
}

void emu_device_hardware_error(emu_device *dev, unsigned slot, uint8_t code)
{
	g_return_if_fail(dev != NULL);

	emu_device_lock(dev);
	if (slot < dev->nslots)
		emu_slot_queue_hw_error_locked(dev, slot, code);
	emu_device_unlock(dev);
}

static void observed(emu_device *dev, unsigned slot, bool present)
{
	emu_slot *s = &dev->slots[slot];

	if (present == s->host_present)
		return;
	s->host_present = present;
	emu_slot_edge_locked(dev, slot, present ? EMU_EVENT_PRESENT : EMU_EVENT_ABSENT,
			     EMU_EVENT_SRC_OBSERVED);
}

bool emu_slot_observe_locked(emu_device *dev, unsigned slot)
{
	emu_slot *s = &dev->slots[slot];
	bool present = s->card != NULL;

	/* Latch: report the oldest edge the host has not seen, then forget
	 * it; the truth once all are seen. */
	emu_latched *l = g_queue_pop_head(&s->latched);
	if (l != NULL) {
		present = l->present;
		g_free(l);
	}
	observed(dev, slot, present);
	return present;
}

void emu_slot_notify_observed_locked(emu_device *dev, unsigned slot, bool present,
				     uint64_t edge_seq)
{
	emu_slot *s = &dev->slots[slot];

	/* The notification carried this edge: the latch has done its job
	 * for it and for every older one. */
	for (emu_latched *l = g_queue_peek_head(&s->latched);
	     l != NULL && edge_seq != 0 && l->seq <= edge_seq; l = g_queue_peek_head(&s->latched))
		g_free(g_queue_pop_head(&s->latched));
	observed(dev, slot, present);
}
