/* ccidlab — the emulated reader meets a new host (emu_device_replug): as
 * a reader unplugged from one host and plugged into the next, it starts
 * afresh on the USB side while its cards stay where they are.
 *
 * What a real reader loses with its power: the answers it had not sent
 * yet (a host that is gone will never read them, and the next one must
 * not get them), the interrupt messages it had queued, the powered state
 * of its cards (contacts lose VCC: a card must be powered up again), and
 * an ABORT it was holding (CCID 1.1 §5.3.1).  What it keeps: the cards in
 * its slots, its faults and options, and the edge log (the truth).  At
 * start it announces the cards it holds on the interrupt pipe, every
 * present slot's changed bit set (CCID 1.1 §6.3.1).
 */
#include "config.h"

#include <string.h>

#include "emu/device_priv.h"

/* The start announcement: every present slot changed. */
static void queue_start_notify_locked(emu_device *dev)
{
	ccid_interrupt in;
	bool any = false;

	if (!dev->profile->has_interrupt_in)
		return;
	memset(&in, 0, sizeof in);
	in.bMessageType = CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE;
	ccid_message_notify_init(&in.u.notify, dev->nslots);
	for (unsigned i = 0; i < dev->nslots; i++) {
		bool present = dev->slots[i].card != NULL;
		ccid_message_notify_set(&in.u.notify, i, present, present);
		any |= present;
	}
	if (!any)
		return;
	emu_irq *irq = g_new0(emu_irq, 1);
	if (ccid_message_interrupt_encode(&in, irq->msg, sizeof irq->msg, &irq->len) != CCID_OK) {
		g_free(irq);
		return;
	}
	irq->notify = true;
	irq->slot = EMU_IRQ_EVERY_SLOT;
	emu_pipe_irq_push_locked(dev, irq);
}

void emu_device_replug(emu_device *dev)
{
	g_return_if_fail(dev != NULL);

	emu_device_lock(dev);
	g_queue_clear_full(&dev->pending, (GDestroyNotify)emu_pending_free);
	g_queue_clear_full(&dev->irqs, g_free);
	for (unsigned i = 0; i < dev->nslots; i++) {
		emu_slot *s = &dev->slots[i];
		s->powered = false;
		s->clock_stopped = false;
		s->pps_window = false;
		s->abort_ctl = false;
		emu_slot_default_params(s, 0);
	}
	queue_start_notify_locked(dev);
	/* Waiters (a bulk-IN of the old host still draining) see the change. */
	g_cond_broadcast(&dev->cond);
	emu_device_unlock(dev);
}
