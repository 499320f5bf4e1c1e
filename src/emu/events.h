/* ccidlab — the edge log of the emulator: every insert, remove, mute and
 * unmute of every emulated reader in the process, with a CLOCK_MONOTONIC
 * timestamp in ns and a global sequence number (issue 4, "Event engine").
 *
 * One log serves all devices of the process (the driver carries many
 * readers): it is a bounded ring (EMU_EVENTS_RING edges), so a slow
 * reader of the log loses the oldest edges, and learns how many from
 * emu_events_since().  Subscribers are called synchronously on the thread
 * that records the edge, with no emulator lock held: they must not block
 * (copy the edge and return).
 *
 * Thread-safe: any thread may record, read, subscribe and unsubscribe.
 */
#ifndef CCIDLAB_EMU_EVENTS_H
#define CCIDLAB_EMU_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Edges kept in the ring; older ones are overwritten. */
#define EMU_EVENTS_RING 65536u
/* Reader names in edges are truncated to this size (NUL included). */
#define EMU_EVENT_NAME_MAX 64u

/* The slot state an edge leads to. */
typedef enum emu_event_state {
	EMU_EVENT_ABSENT = 0,
	EMU_EVENT_PRESENT = 1,	/* a card that answers */
	EMU_EVENT_MUTE = 2,	/* a card is there but gives no ATR */
} emu_event_state;

/* Who caused the edge.  EMU_EVENT_SRC_OBSERVED is not an edge of the slot
 * but the moment the host saw one: a GetSlotStatus that reported a
 * presence different from what it reported before, or an interrupt read
 * that delivered a NotifySlotChange.  Checkers subtract timestamps to get
 * the device-side latency. */
typedef enum emu_event_source {
	EMU_EVENT_SRC_API = 0,		/* a direct call (tests, the CLI) */
	EMU_EVENT_SRC_CONTROL,		/* the control plane */
	EMU_EVENT_SRC_STORM,		/* the random storm engine */
	EMU_EVENT_SRC_TIMELINE,		/* a scenario file */
	EMU_EVENT_SRC_FAULT,		/* a fault (card removed mid-XfrBlock) */
	EMU_EVENT_SRC_OBSERVED,		/* the host observed the slot state */
	EMU_EVENT_SRC_COUNT
} emu_event_source;

typedef struct emu_event {
	uint64_t seq;		/* 1, 2, 3...; global to the process */
	int64_t ts_ns;		/* CLOCK_MONOTONIC */
	unsigned reader_id;	/* emu_device_id() */
	char reader[EMU_EVENT_NAME_MAX];
	unsigned slot;
	emu_event_state state;
	emu_event_source source;
} emu_event;

/* Called for every recorded edge, on the recording thread. */
typedef void (*emu_event_cb)(const emu_event *ev, void *data);

/* Records one edge: stamps it (seq, ts_ns) and returns the seq.  Used by
 * the device model; exported so that a real-reader path could share the
 * log. */
uint64_t emu_events_record(unsigned reader_id, const char *reader, unsigned slot,
			   emu_event_state state, emu_event_source source);

/* The same in two steps, for a caller that must stamp an edge under its
 * own lock but call the subscribers after releasing it (the device
 * model): fill, stamp (seq, ts_ns, into the ring), then deliver.
 * Subscribers may then see edges of different threads slightly out of
 * seq order; the seq is the truth. */
void emu_event_fill(emu_event *ev, unsigned reader_id, const char *reader, unsigned slot,
		    emu_event_state state, emu_event_source source);
void emu_events_stamp(emu_event *ev);
void emu_events_deliver(const emu_event *ev);

/* The seq of the last recorded edge (0 before any). */
uint64_t emu_events_last_seq(void);

/* Copies the edges with seq > `after`, oldest first, into out[0..cap);
 * *n gets their count.  *lost (may be NULL) gets how many edges after
 * `after` were already overwritten by the ring.  Returns true when more
 * edges remain after the ones copied (call again with the last seq). */
bool emu_events_since(uint64_t after, emu_event *out, size_t cap, size_t *n, uint64_t *lost);

/* Subscribes; returns an id > 0 for emu_events_unsubscribe.  After
 * unsubscribe returns, the callback is not running and will not run. */
unsigned emu_events_subscribe(emu_event_cb cb, void *data);
void emu_events_unsubscribe(unsigned id);

/* Current CLOCK_MONOTONIC time in ns (the clock the edges use). */
int64_t emu_events_now_ns(void);

/* Names for logs and the control protocol: "absent", "present", "mute";
 * "api", "control", "storm", "timeline", "fault", "observed".  Never NULL. */
const char *emu_event_state_name(emu_event_state s);
const char *emu_event_source_name(emu_event_source s);

#endif
