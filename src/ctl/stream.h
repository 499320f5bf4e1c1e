/* ccidlab — the control socket's stream lines, typed (protocol version 1,
 * doc/ccidlab-ctl.7 "STREAM"):
 *
 *   {"v":1,"event":"edge","seq":N,"ts_ns":T,"reader":R|null,"device":"NAME",
 *    "device_id":D,"slot":S,"state":"absent|present|mute",
 *    "source":"api|control|storm|timeline|fault|observed"}
 *   {"v":1,"event":"lost","what":"edges|frames","count":N}
 *   {"v":1,"event":"frame","reader":R,"dir":"out|in","ts_us":T,"len":N,"hex":"..."}
 *
 * The server encodes them here and every reader of the stream (ccidlab
 * events and trace, check-events' ground truth, bench) decodes them here,
 * so that the record and its meaning have one definition: what "absent"
 * is, that "mute" is a present card to pcscd, that "observed" is not an
 * edge of the slot but the moment the host saw one.
 */
#ifndef CCIDLAB_CTL_STREAM_H
#define CCIDLAB_CTL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

/* The slot state an edge leads to (the emulator's emu_event_state, in
 * the same order). */
typedef enum ctl_edge_state {
	CTL_EDGE_ABSENT = 0,	/* "absent" */
	CTL_EDGE_PRESENT,	/* "present": a card that answers */
	CTL_EDGE_MUTE,		/* "mute": a card that gives no ATR */
	CTL_EDGE_STATE_COUNT
} ctl_edge_state;

/* Who caused the edge (emu_event_source, in the same order).  "observed"
 * is when the host saw the slot change: a GetSlotStatus whose presence
 * differed from the one before, or a NotifySlotChange read; for a real
 * reader it is the only source there is. */
typedef enum ctl_edge_source {
	CTL_EDGE_SRC_API = 0,		/* "api" */
	CTL_EDGE_SRC_CONTROL,		/* "control" */
	CTL_EDGE_SRC_STORM,		/* "storm" */
	CTL_EDGE_SRC_TIMELINE,		/* "timeline" */
	CTL_EDGE_SRC_FAULT,		/* "fault" */
	CTL_EDGE_SRC_OBSERVED,		/* "observed" */
	CTL_EDGE_SRC_COUNT
} ctl_edge_source;

/* Device names are cut to this size (NUL included), as the emulator's
 * edge log keeps them. */
#define CTL_EDGE_DEVICE_MAX 64u

typedef struct ctl_edge {
	uint64_t seq;			/* the edge log's: 1, 2, 3... */
	int64_t ts_ns;			/* CLOCK_MONOTONIC */
	bool has_reader;		/* false: "reader" is null (no reader the driver lists) */
	unsigned reader;		/* pcscd's reader number (Lun >> 16) */
	char device[CTL_EDGE_DEVICE_MAX];	/* the device's name (name= key) */
	unsigned device_id;
	unsigned slot;
	ctl_edge_state state;
	ctl_edge_source source;
} ctl_edge;

/* pcscd sees a mute card as present: the presence of an edge. */
static inline bool ctl_edge_present(const ctl_edge *e)
{
	return e->state != CTL_EDGE_ABSENT;
}

typedef struct ctl_lost {
	char what[16];			/* "edges" or "frames" */
	uint64_t count;
} ctl_lost;

/* Trace direction: host to reader (PC_to_RDR), reader to host. */
#define CTL_TRACE_OUT 0
#define CTL_TRACE_IN 1

typedef struct ctl_frame_rec {
	unsigned reader;
	int dir;			/* CTL_TRACE_OUT or CTL_TRACE_IN */
	int64_t ts_us;			/* CLOCK_MONOTONIC */
	size_t len;
	const char *hex;		/* borrowed from the decoded object */
} ctl_frame_rec;

typedef enum ctl_stream_kind {
	CTL_STREAM_EDGE = 0,
	CTL_STREAM_LOST,
	CTL_STREAM_FRAME,
	CTL_STREAM_OTHER,		/* an event this client does not know (a newer server) */
} ctl_stream_kind;

typedef struct ctl_stream_rec {
	ctl_stream_kind kind;
	union {
		ctl_edge edge;
		ctl_lost lost;
		ctl_frame_rec frame;
	};
} ctl_stream_rec;

/* Decodes one stream line (as ctl_client_next_event returns it).  A
 * known record with a member missing, of the wrong type or out of range
 * (an unknown state or source included) is CTL_ERROR_PROTOCOL, naming the
 * member; an unknown "event" is CTL_STREAM_OTHER.  *out is written only
 * on success; a frame's hex stays valid while `line` lives. */
bool ctl_stream_decode(JsonObject *line, ctl_stream_rec *out, GError **error);

/* The lines the server sends, newline included. */
char *ctl_edge_line(const ctl_edge *e, size_t *len);
char *ctl_lost_line(const char *what, uint64_t count, size_t *len);
char *ctl_frame_line(unsigned reader, int dir, int64_t ts_us, const uint8_t *buf, size_t n,
		     size_t *len);

/* "absent"...; "source"...; NULL out of range. */
const char *ctl_edge_state_name(ctl_edge_state s);
const char *ctl_edge_source_name(ctl_edge_source s);

#endif
