/* ccidlab — event mode: the interrupt pipe, and what pcscd's polling
 * threads wait on.
 *
 * pcscd runs one polling thread per slot, each calling our wait function
 * with its own Lun; an interrupt message is read once, by one thread per
 * reader (this file's), and fanned out to per-slot report queues.  A slot
 * whose NotifySlotChange says "changed" while its present bit equals what
 * pcscd last saw had a card removed and put back between two looks: both
 * edges are queued, so pcscd counts both (issue 5, "no edge is lost").
 * A queue holds the state pcscd was shown and at most two more: a longer
 * run of edges is folded into its last two, so that a device that sends
 * NotifySlotChange without end costs nothing more (issue 20).
 * IFDHICCPresence answers from the queue without a round trip; only the
 * slot's own polling thread consumes a report, so a presence check made
 * by another pcscd thread (SCardConnect's power-up) cannot swallow one.
 */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>

#include "emu/events.h"
#include "ifd/events.h"
#include "ifd/log.h"
#include "ifd/reader.h"

#define IRQ_SLICE_MS 1000	/* the interrupt thread checks for quit this often */
#define DRAIN_MAX_MS 100	/* the longest wait for a stale message at start */
#define DRAIN_MARGIN_MS 4	/* past bInterval: the host's own latency */
/* The whole drain at open: a device that keeps sending (a flood, or one
 * message just before each wait ends) is not drained for ever. */
#define DRAIN_TOTAL_MS 500
/* One GetSlotStatus of the interrupt thread's resync, the abort after a
 * timeout included: ifd_events_stop waits for the one in progress, and
 * IFDHCloseChannel for ifd_events_stop (issue 20: 2 s at most). */
#define RESYNC_SLOT_MS 500
/* One GetSlotStatus of the open's first look, its abort included: the
 * reader answers it without the card (CCID 1.1 §6.1.3), at once. */
#define FIRST_LOOK_SLOT_MS 2000
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
	return s->n_reports > 0 ? s->reports[s->n_reports - 1] : s->reported_present;
}

/* Called with r->ev_lock held.  States alternate (a state equal to the
 * last one is no edge).  After the report pcscd was shown (pinned: its
 * next wait retires it), with base the state that one leaves pcscd in,
 * two reports say !base, base: the card went and came back.  A third
 * edge makes the run !base, base, !base, whose meaning to pcscd is the
 * one of !base alone (a card that went is gone, whatever came and went
 * meanwhile; from absent, the card there now is a new one): the run
 * folds to its last state, and the two edges pcscd will not count are
 * counted in s->folded.  A fold needs two reports pcscd has not looked
 * at: it happens only while pcscd's event thread lags behind. */
static void queue_state(ifd_slot *s, bool present)
{
	if (present == last_state(s))
		return;
	unsigned pinned = s->shown && s->n_reports > 0 ? 1 : 0;
	if (s->n_reports - pinned == 2) {
		s->n_reports = pinned;
		s->folded += 2;
	}
	s->reports[s->n_reports++] = present;
}

/* The head report, or NULL; r->ev_lock held. */
static const bool *head_report(const ifd_slot *s)
{
	return s->n_reports > 0 ? &s->reports[0] : NULL;
}

/* Retires the head report: pcscd has counted it.  r->ev_lock held. */
static void retire_head(ifd_slot *s)
{
	if (s->n_reports == 0)
		return;
	s->reported_present = s->reports[0];
	memmove(s->reports, s->reports + 1, (s->n_reports - 1) * sizeof s->reports[0]);
	s->n_reports--;
}

/* A reader announces the cards it holds with a NotifySlotChange whose
 * "changed" bits are set (CCID 1.1 §6.3.1), sent when the host first
 * polls the interrupt endpoint: after the open's drain and first look,
 * within a few bInterval.  In that first message a changed bit on a slot
 * whose state equals the first look is that announcement, not a removal
 * and re-insertion pcscd missed.  The window opens at the interrupt
 * thread's first poll, the device's cue: timed from the thread's creation
 * it had closed before the thread ran on a loaded machine (a CPU hog on
 * both cores: pcscd logged a removal and re-insertion of a card nobody
 * moved).  A reader that does not announce loses, at most, a swap within
 * this window of its open, its card still seen present. */
#define ANNOUNCE_BASE_MS 250

static void open_announcement_window(ifd_reader *r)
{
	g_mutex_lock(&r->ev_lock);
	if (r->announce_ms > 0)
		r->announce_until = g_get_monotonic_time() + (gint64)r->announce_ms * 1000;
	g_mutex_unlock(&r->ev_lock);
}

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

static bool quitting(ifd_reader *r)
{
	g_mutex_lock(&r->ev_lock);
	bool quit = r->irq_quit;
	g_mutex_unlock(&r->ev_lock);
	return quit;
}

/* After an interrupt transfer that failed (a short or overlong packet, a
 * stall), a NotifySlotChange may be lost: the slots' truth comes from the
 * bulk pipe instead (GetSlotStatus), and what differs from what pcscd
 * last saw is queued.  A remove and re-insert inside the lost message
 * cannot be told from no change.  A stop is seen between slots, each
 * command is bounded by RESYNC_SLOT_MS, and a reader that does not answer
 * one is not asked about the others: the next failure resyncs again. */
static void resync(ifd_reader *r)
{
	for (unsigned i = 0; i < r->n_slots && !quitting(r); i++) {
		ccid_icc_status icc = CCID_ICC_ABSENT;
		gint64 end = g_get_monotonic_time() + RESYNC_SLOT_MS * 1000;
		int rc = host_slot_status_by(r->host, i, end, &icc);
		if (rc == CCID_E_TIMEOUT || rc == CCID_E_NO_DEVICE)
			break;
		if (rc != CCID_OK)
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

	open_announcement_window(r);
	for (;;) {
		ccid_interrupt in;
		if (quitting(r))
			break;
		int rc = host_interrupt_wait(r->host, IRQ_SLICE_MS, &in);
		if (rc == CCID_E_TIMEOUT)
			continue;
		if (rc == CCID_E_NO_DEVICE) {
			ifd_error("reader %u: device gone", r->number);
			g_mutex_lock(&r->ev_lock);
			atomic_store(&r->gone, true);
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

/* Messages queued before we opened (the cards a reader starts with)
 * describe edges older than the first look: dropped, or a "changed" bit
 * would read as a remove-and-reinsert pcscd never had.  Over USB each one
 * comes only at the device's next poll of the interrupt endpoint,
 * bInterval frames after a transfer is submitted: each wait allows for
 * that, the first that brings nothing ends the drain, and DRAIN_TOTAL_MS
 * ends it anyway. */
static void drain(ifd_reader *r)
{
	ccid_interrupt stale;
	unsigned wait_ms = drain_wait_ms(r);
	gint64 end = g_get_monotonic_time() + DRAIN_TOTAL_MS * 1000;

	while (host_interrupt_wait(r->host, wait_ms, &stale) == CCID_OK &&
	       stale.bMessageType != 0 && g_get_monotonic_time() < end)
		;
}

/* pcscd's first look: the slots as they are now, each GetSlotStatus
 * within what is left of the open's budget.  A reader that does not
 * answer one (a mute device) is not asked about the others: they start
 * absent, and the interrupt pipe tells what comes (issue 20: the open
 * took 7 s a slot, 30 min for 256). */
static void first_look(ifd_reader *r, gint64 end)
{
	for (unsigned i = 0; i < r->n_slots && g_get_monotonic_time() < end; i++) {
		ccid_icc_status icc = CCID_ICC_ABSENT;
		gint64 slot_end = MIN(end, g_get_monotonic_time() + FIRST_LOOK_SLOT_MS * 1000);
		int rc = host_slot_status_by(r->host, i, slot_end, &icc);
		if (rc == CCID_OK) {
			r->slots[i].reported_present = icc != CCID_ICC_ABSENT;
			continue;
		}
		if (rc == CCID_E_TIMEOUT || rc == CCID_E_NO_DEVICE) {
			ifd_error("reader %u: slot %u: GetSlotStatus: %s; the slots from %u on "
				  "start absent", r->number, i, ccid_result_name(rc), i);
			break;
		}
	}
}

void ifd_events_start(ifd_reader *r, gint64 end)
{
	if (r->null_reader) {
		/* A card that never moves: no pipe to read, waits only end. */
		r->slots[0].reported_present = true;
		return;
	}
	drain(r);
	first_look(r, end);
	if (r->emu == NULL) {
		/* bInterval in ms (full speed; an over-estimate at high speed). */
		unsigned interval = host_reader_interface(r->host)->interrupt_in.bInterval;
		r->announce_ms = ANNOUNCE_BASE_MS + 2 * interval;
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
		retire_head(s);
		s->shown = false;
	}
	while (!s->stop && s->n_reports == 0 && !atomic_load(&r->gone))
		if (!g_cond_wait_until(&r->ev_cond, &r->ev_lock, end))
			break;
	/* The stop is sticky until a wait has seen it (pcscd may ask for it
	 * while its thread is elsewhere). */
	s->stop = false;
	bool gone = atomic_load(&r->gone);
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
	const bool *head = head_report(s);
	if (head == NULL) {
		present = s->reported_present;
	} else {
		present = *head;
		if (s->waiter == NULL || s->waiter == g_thread_self())
			s->shown = true;
	}
	g_mutex_unlock(&r->ev_lock);
	return present;
}

uint64_t ifd_events_folded(ifd_reader *r, unsigned slot)
{
	g_mutex_lock(&r->ev_lock);
	uint64_t n = r->slots[slot].folded;
	g_mutex_unlock(&r->ev_lock);
	return n;
}

bool ifd_events_present_peek(ifd_reader *r, unsigned slot)
{
	ifd_slot *s = &r->slots[slot];

	g_mutex_lock(&r->ev_lock);
	const bool *head = head_report(s);
	bool present = head != NULL ? *head : s->reported_present;
	g_mutex_unlock(&r->ev_lock);
	return present;
}
