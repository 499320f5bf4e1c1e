/* ccidlab — event mode: the interrupt pipe, and what pcscd's polling
 * threads wait on.
 *
 * pcscd runs one polling thread per slot, each calling our wait function
 * with its own Lun; an interrupt message is read once, by one thread per
 * reader (this file's), and fanned out to per-slot report queues.  A slot
 * whose NotifySlotChange says "changed" while its present bit equals what
 * pcscd last saw had a card removed and put back between two looks: both
 * edges are queued, so pcscd counts both (issue 5, "no edge is lost").
 * IFDHICCPresence answers from the queue without a round trip; only the
 * slot's own polling thread consumes a report, so a presence check made
 * by another pcscd thread (SCardConnect's power-up) cannot swallow one.
 */
#include "config.h"

#include <ifdhandler.h>

#include "emu/events.h"
#include "ifd/events.h"
#include "ifd/log.h"
#include "ifd/reader.h"

#define IRQ_SLICE_MS 1000	/* the interrupt thread checks for quit this often */
#define DRAIN_MAX_MS 100	/* the longest wait for a stale message at start */
#define DRAIN_MARGIN_MS 4	/* past bInterval: the host's own latency */
/* Edge-log ids of real readers: above any emulated device's id. */
#define OBSERVED_ID_BASE 0x40000000u

unsigned ifd_edge_id(const ifd_reader *r)
{
	if (r->null_reader)
		return 0;
	return r->emu != NULL ? emu_device_id(r->emu) : OBSERVED_ID_BASE + r->number;
}

void ifd_observed_edge(ifd_reader *r, unsigned slot, bool present)
{
	if (r->emu != NULL || r->null_reader)
		return;	/* the emulator logs its own edges and observations */
	emu_events_record(ifd_edge_id(r), r->name ? r->name : "usb", slot,
			  present ? EMU_EVENT_PRESENT : EMU_EVENT_ABSENT, EMU_EVENT_SRC_OBSERVED);
}

static bool last_state(const ifd_slot *s)
{
	gpointer tail = g_queue_peek_tail((GQueue *)&s->reports);
	return tail != NULL ? GPOINTER_TO_INT(tail) == 2 : s->reported_present;
}

/* Called with r->ev_lock held. */
static void queue_state(ifd_slot *s, bool present)
{
	/* Reports are stored as 1 (absent) and 2 (present): never NULL. */
	g_queue_push_tail(&s->reports, GINT_TO_POINTER(present ? 2 : 1));
}

/* A reader announces the cards it holds with a NotifySlotChange whose
 * "changed" bits are set (CCID 1.1 §6.3.1), sent when the host first
 * polls the interrupt endpoint: after the open's drain and first look,
 * within a few bInterval.  In that first message a changed bit on a slot
 * whose state equals the first look is that announcement, not a removal
 * and re-insertion pcscd missed. */
#define ANNOUNCE_BASE_MS 100

static bool announcement(ifd_reader *r)
{
	bool first = r->announce_until != 0 && g_get_monotonic_time() < r->announce_until;
	r->announce_until = 0;
	return first;
}

static void dispatch_notify(ifd_reader *r, const ccid_notify *n)
{
	g_mutex_lock(&r->ev_lock);
	bool announced = announcement(r);
	for (unsigned i = 0; i < r->n_slots && i < n->nslots; i++) {
		ifd_slot *s = &r->slots[i];
		bool present = ccid_message_notify_present(n, i);
		bool changed = ccid_message_notify_changed(n, i);
		if (changed)
			s->changes++;
		if (present != last_state(s)) {
			queue_state(s, present);
			ifd_observed_edge(r, i, present);
		} else if (changed && !announced) {
			/* Gone and back (or back and gone) between two looks. */
			queue_state(s, !present);
			queue_state(s, present);
			ifd_observed_edge(r, i, !present);
			ifd_observed_edge(r, i, present);
		}
	}
	g_cond_broadcast(&r->ev_cond);
	g_mutex_unlock(&r->ev_lock);
}

/* After an interrupt transfer that failed (a short or overlong packet, a
 * stall), a NotifySlotChange may be lost: the slots' truth comes from the
 * bulk pipe instead (GetSlotStatus), and what differs from what pcscd
 * last saw is queued.  A remove and re-insert inside the lost message
 * cannot be told from no change. */
static void resync(ifd_reader *r)
{
	for (unsigned i = 0; i < r->n_slots; i++) {
		ccid_icc_status icc = CCID_ICC_ABSENT;
		if (host_slot_status(r->host, i, &icc) != CCID_OK)
			continue;
		bool present = icc != CCID_ICC_ABSENT;
		g_mutex_lock(&r->ev_lock);
		ifd_slot *s = &r->slots[i];
		if (present != last_state(s)) {
			queue_state(s, present);
			ifd_observed_edge(r, i, present);
			g_cond_broadcast(&r->ev_cond);
		}
		g_mutex_unlock(&r->ev_lock);
	}
}

static gpointer irq_main(gpointer data)
{
	ifd_reader *r = data;

	for (;;) {
		ccid_interrupt in;
		g_mutex_lock(&r->ev_lock);
		bool quit = r->irq_quit;
		g_mutex_unlock(&r->ev_lock);
		if (quit)
			break;
		int rc = host_interrupt_wait(r->host, IRQ_SLICE_MS, &in);
		if (rc == CCID_E_TIMEOUT)
			continue;
		if (rc == CCID_E_NO_DEVICE) {
			ifd_error("reader %u: device gone", r->number);
			g_mutex_lock(&r->ev_lock);
			r->gone = true;
			g_cond_broadcast(&r->ev_cond);
			g_mutex_unlock(&r->ev_lock);
			break;
		}
		if (rc != CCID_OK) {
			ifd_error("reader %u: interrupt pipe: %s", r->number, ccid_result_name(rc));
			g_usleep(100 * 1000);	/* a broken pipe must not spin */
			resync(r);
			continue;
		}
		if (in.bMessageType == CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE)
			dispatch_notify(r, &in.u.notify);
		else if (in.bMessageType == CCID_RDR_TO_PC_HARDWARE_ERROR)
			ifd_error("reader %u: HardwareError slot %u code 0x%02X", r->number,
				  in.u.hw.bSlot, in.u.hw.bHardwareErrorCode);
	}
	return NULL;
}

/* bInterval (1 ms frames at full speed, the CCID readers' speed) and a
 * margin; bounded.  The last wait of a drain brings nothing: an
 * event-mode USB reader opens this much later.  An emulated reader's
 * queue is there at once: no wait. */
static unsigned drain_wait_ms(ifd_reader *r)
{
	if (r->emu != NULL)
		return 0;
	unsigned frames = host_reader_interface(r->host)->interrupt_in.bInterval;
	return MIN(MAX(frames, 1u) + DRAIN_MARGIN_MS, DRAIN_MAX_MS);
}

void ifd_events_start(ifd_reader *r)
{
	ccid_interrupt stale;

	if (r->null_reader) {
		/* A card that never moves: no pipe to read, waits only end. */
		r->slots[0].reported_present = true;
		return;
	}
	/* Messages queued before we opened (the cards a reader starts with)
	 * describe edges older than the first look below: drop them, or a
	 * "changed" bit would read as a remove-and-reinsert pcscd never had.
	 * Over USB each one comes only at the device's next poll of the
	 * interrupt endpoint, bInterval frames after a transfer is
	 * submitted: each wait allows for that, and the first that brings
	 * nothing ends the drain. */
	unsigned wait_ms = drain_wait_ms(r);
	for (unsigned n = 0; n < 1024 && host_interrupt_wait(r->host, wait_ms, &stale) == CCID_OK &&
			      stale.bMessageType != 0; n++)
		;
	/* pcscd's first look: the slots as they are now. */
	for (unsigned i = 0; i < r->n_slots; i++) {
		ccid_icc_status icc = CCID_ICC_ABSENT;
		if (host_slot_status(r->host, i, &icc) == CCID_OK)
			r->slots[i].reported_present = icc != CCID_ICC_ABSENT;
	}
	if (r->emu == NULL) {
		/* bInterval in ms (full speed; an over-estimate at high speed). */
		unsigned interval = host_reader_interface(r->host)->interrupt_in.bInterval;
		r->announce_until = g_get_monotonic_time() +
				    (gint64)(ANNOUNCE_BASE_MS + 2 * interval) * 1000;
	}
	r->irq_thread = g_thread_new("ccidlab-irq", irq_main, r);
}

void ifd_events_stop(ifd_reader *r)
{
	if (r->irq_thread == NULL)
		return;
	g_mutex_lock(&r->ev_lock);
	r->irq_quit = true;
	g_mutex_unlock(&r->ev_lock);
	host_interrupt_stop(r->host);
	g_thread_join(r->irq_thread);
	r->irq_thread = NULL;
}

long ifd_events_wait(unsigned long lun, int timeout_ms)
{
	ifd_reader *r = ifd_reader_get(lun);
	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	ifd_slot *s = &r->slots[lun & 0xFFFF];
	gint64 end = g_get_monotonic_time() + (gint64)(timeout_ms > 0 ? timeout_ms : 0) * 1000;

	g_mutex_lock(&r->ev_lock);
	s->waiter = g_thread_self();
	/* pcscd has looked at the head report: it is counted now. */
	if (s->shown) {
		gpointer head = g_queue_pop_head(&s->reports);
		if (head != NULL)
			s->reported_present = GPOINTER_TO_INT(head) == 2;
		s->shown = false;
	}
	while (!s->stop && g_queue_is_empty(&s->reports) && !r->gone)
		if (!g_cond_wait_until(&r->ev_cond, &r->ev_lock, end))
			break;
	/* The stop is sticky until a wait has seen it (pcscd may ask for it
	 * while its thread is elsewhere). */
	s->stop = false;
	bool gone = r->gone;
	g_mutex_unlock(&r->ev_lock);
	return gone ? IFD_NO_SUCH_DEVICE : IFD_SUCCESS;
}

long ifd_events_stop_wait(unsigned long lun)
{
	ifd_reader *r = ifd_reader_get(lun);
	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	g_mutex_lock(&r->ev_lock);
	r->slots[lun & 0xFFFF].stop = true;
	g_cond_broadcast(&r->ev_cond);
	g_mutex_unlock(&r->ev_lock);
	return IFD_SUCCESS;
}

/* A report leaves the queue only when the slot's event thread comes back
 * to wait after it was shown: pcscd's event loop may look several times
 * between two waits (its own check, and the one inside IFDPowerICC that
 * answers "removed" without calling us), and every look must see the
 * same state, or an edge is answered to a look that does not count it. */
bool ifd_events_present(ifd_reader *r, unsigned slot)
{
	ifd_slot *s = &r->slots[slot];
	bool present;

	g_mutex_lock(&r->ev_lock);
	gpointer head = g_queue_peek_head(&s->reports);
	if (head == NULL) {
		present = s->reported_present;
	} else {
		present = GPOINTER_TO_INT(head) == 2;
		if (s->waiter == NULL || s->waiter == g_thread_self())
			s->shown = true;
	}
	g_mutex_unlock(&r->ev_lock);
	return present;
}

bool ifd_events_present_peek(ifd_reader *r, unsigned slot)
{
	ifd_slot *s = &r->slots[slot];

	g_mutex_lock(&r->ev_lock);
	gpointer head = g_queue_peek_head(&s->reports);
	bool present = head != NULL ? GPOINTER_TO_INT(head) == 2 : s->reported_present;
	g_mutex_unlock(&r->ev_lock);
	return present;
}
