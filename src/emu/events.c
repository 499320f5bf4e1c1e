/* ccidlab — the process-wide edge log (events.h): a bounded ring of
 * stamped edges, and synchronous subscribers.
 *
 * One static log: the driver carries many emulated readers and the
 * control plane wants one ordered stream of all their edges, so the
 * sequence numbers are global.  The ring lock is never held while a
 * subscriber runs; a separate lock keeps the subscriber list, and
 * unsubscribe waits (on that lock) for a callback in progress.
 */
#include "config.h"

#include "emu/events.h"

#include <string.h>
#include <time.h>

#include <glib.h>

typedef struct subscriber {
	unsigned id;
	emu_event_cb cb;
	void *data;
} subscriber;

static GMutex ring_lock;
static emu_event *ring;		/* EMU_EVENTS_RING, allocated on first use */
static uint64_t last_seq;

/* Held while the subscribers run, so that unsubscribe returns only once
 * its callback is not running (events.h).  Recursive, so that a callback
 * may record an edge or unsubscribe itself. */
static GRecMutex subs_lock;
static GArray *subs;		/* subscriber */
static unsigned next_sub_id = 1;

int64_t emu_events_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC, as issue 4 asks; g_get_monotonic_time is µs only. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return g_get_monotonic_time() * 1000;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void emu_events_stamp(emu_event *ev)
{
	g_mutex_lock(&ring_lock);
	if (ring == NULL)
		ring = g_new0(emu_event, EMU_EVENTS_RING);
	ev->seq = ++last_seq;
	ev->ts_ns = emu_events_now_ns();
	ring[ev->seq % EMU_EVENTS_RING] = *ev;
	g_mutex_unlock(&ring_lock);
}

void emu_events_deliver(const emu_event *ev)
{
	g_rec_mutex_lock(&subs_lock);
	/* Index loop, re-checked: a callback may unsubscribe (itself or
	 * others), which may even free the array. */
	for (guint i = 0; subs != NULL && i < subs->len; i++) {
		subscriber s = g_array_index(subs, subscriber, i);
		s.cb(ev, s.data);
	}
	g_rec_mutex_unlock(&subs_lock);
}

void emu_event_fill(emu_event *ev, unsigned reader_id, const char *reader, unsigned slot,
		    emu_event_state state, emu_event_source source)
{
	memset(ev, 0, sizeof *ev);
	ev->reader_id = reader_id;
	g_strlcpy(ev->reader, reader != NULL ? reader : "", sizeof ev->reader);
	ev->slot = slot;
	ev->state = state;
	ev->source = source;
}

uint64_t emu_events_record(unsigned reader_id, const char *reader, unsigned slot,
			   emu_event_state state, emu_event_source source)
{
	emu_event ev;

	emu_event_fill(&ev, reader_id, reader, slot, state, source);
	emu_events_stamp(&ev);
	emu_events_deliver(&ev);
	return ev.seq;
}

uint64_t emu_events_last_seq(void)
{
	g_mutex_lock(&ring_lock);
	uint64_t s = last_seq;
	g_mutex_unlock(&ring_lock);
	return s;
}

bool emu_events_since(uint64_t after, emu_event *out, size_t cap, size_t *n, uint64_t *lost)
{
	size_t got = 0;
	uint64_t gone = 0;
	bool more = false;

	g_mutex_lock(&ring_lock);
	uint64_t oldest = last_seq >= EMU_EVENTS_RING ? last_seq - EMU_EVENTS_RING + 1 : 1;
	uint64_t first = after + 1;
	if (first < oldest) {
		gone = oldest - first;
		first = oldest;
	}
	for (uint64_t s = first; s <= last_seq; s++) {
		if (got == cap) {
			more = true;
			break;
		}
		out[got++] = ring[s % EMU_EVENTS_RING];
	}
	g_mutex_unlock(&ring_lock);

	*n = got;
	if (lost != NULL)
		*lost = gone;
	return more;
}

unsigned emu_events_subscribe(emu_event_cb cb, void *data)
{
	g_return_val_if_fail(cb != NULL, 0);

	g_rec_mutex_lock(&subs_lock);
	if (subs == NULL)
		subs = g_array_new(FALSE, FALSE, sizeof(subscriber));
	subscriber s = { next_sub_id++, cb, data };
	if (next_sub_id == 0)
		next_sub_id = 1;
	g_array_append_val(subs, s);
	g_rec_mutex_unlock(&subs_lock);
	return s.id;
}

void emu_events_unsubscribe(unsigned id)
{
	g_rec_mutex_lock(&subs_lock);
	for (guint i = 0; subs != NULL && i < subs->len; i++) {
		if (g_array_index(subs, subscriber, i).id == id) {
			g_array_remove_index(subs, i);
			break;
		}
	}
	if (subs != NULL && subs->len == 0)
		g_clear_pointer(&subs, g_array_unref);
	g_rec_mutex_unlock(&subs_lock);
}

const char *emu_event_state_name(emu_event_state s)
{
	switch (s) {
	case EMU_EVENT_ABSENT:
		return "absent";
	case EMU_EVENT_PRESENT:
		return "present";
	case EMU_EVENT_MUTE:
		return "mute";
	}
	return "unknown";
}

const char *emu_event_source_name(emu_event_source s)
{
	switch (s) {
	case EMU_EVENT_SRC_API:
		return "api";
	case EMU_EVENT_SRC_CONTROL:
		return "control";
	case EMU_EVENT_SRC_STORM:
		return "storm";
	case EMU_EVENT_SRC_TIMELINE:
		return "timeline";
	case EMU_EVENT_SRC_FAULT:
		return "fault";
	case EMU_EVENT_SRC_OBSERVED:
		return "observed";
	case EMU_EVENT_SRC_COUNT:
		break;
	}
	return "unknown";
}
