/* ccidlab — the control protocol (issue 6): JSON lines, version 1.
 *
 * This header is the codec that the server (server.h, inside the driver)
 * and the client (client.h, the ccidlab command) share: the error space,
 * the limits, the parsed form of a request, and the builders of replies
 * and events.  doc/ccidlab-ctl.7 is the wire reference; keep both in step.
 *
 * Every line is one JSON object, at most CTL_LINE_MAX bytes with its
 * newline.  A request:   {"v":1,"id":7,"req":"insert","reader":0,"slot":0,"card":"readertest"}
 * its reply:             {"v":1,"id":7,"ok":true}
 * or                     {"v":1,"id":7,"ok":false,"error":{"code":"not-found","message":"..."}}
 * and stream lines:      {"v":1,"event":"edge",...}  {"v":1,"event":"frame",...}
 *
 * Parsing is strict: unknown members, wrong JSON types, numbers out of
 * range and nesting deeper than CTL_MAX_DEPTH are errors, so that a typo
 * is reported instead of silently ignored.
 */
#ifndef CCIDLAB_CTL_PROTOCOL_H
#define CCIDLAB_CTL_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "emu/fault.h"
#include "emu/usbfault.h"

#define CTL_PROTOCOL_VERSION 1
/* Limits on what a peer controls (STYLE.md rule 25). */
#define CTL_LINE_MAX (64u * 1024u)	/* bytes of one line, newline included */
#define CTL_MAX_DEPTH 8u		/* JSON nesting of a request */
#define CTL_MAX_TARGETS 4096u		/* storm targets of one request */
#define CTL_MAX_STRING 4096u		/* card specs, fault strings, paths */
#define CTL_MAX_SCENARIO_DATA (CTL_LINE_MAX - 1024u)
#define CTL_STORM_MAX_EDGES 2000000.0	/* rate x duration of one storm */

/* ---- errors: one enum, one table (error.c) ---- */

#define CTL_ERROR (ctl_error_quark())
GQuark ctl_error_quark(void);

typedef enum ctl_error {
	CTL_ERROR_FAILED = 0,		/* "failed": anything else */
	CTL_ERROR_BAD_JSON,		/* "bad-json": the line is not a JSON object */
	CTL_ERROR_BAD_REQUEST,		/* "bad-request": missing/unknown member, wrong type, out of range */
	CTL_ERROR_UNKNOWN_REQUEST,	/* "unknown-request": no such "req" */
	CTL_ERROR_BAD_VERSION,		/* "bad-version": "v" is not 1 */
	CTL_ERROR_LINE_TOO_LONG,	/* "line-too-long": over CTL_LINE_MAX (connection closed) */
	CTL_ERROR_NOT_FOUND,		/* "not-found": reader, slot, storm or scenario */
	CTL_ERROR_NOT_EMULATED,		/* "not-emulated": a real reader cannot do that */
	CTL_ERROR_BAD_STATE,		/* "bad-state": e.g. insert into an occupied slot */
	CTL_ERROR_LIMIT,		/* "limit": too many storms, scenarios, clients */
	CTL_ERROR_PERMISSION,		/* "permission-denied": peer uid refused */
	CTL_ERROR_IO,			/* "io": socket or file error */
	CTL_ERROR_TIMEOUT,		/* "timeout": no reply in time (client side) */
	CTL_ERROR_PROTOCOL,		/* "protocol": a malformed reply (client side) */
	CTL_ERROR_COUNT
} ctl_error;

/* "failed", "bad-json"...; NULL for a value out of range. */
const char *ctl_error_name(ctl_error e);
/* The value by name; CTL_ERROR_FAILED for unknown names (a newer server). */
ctl_error ctl_error_from_name(const char *name);

/* ---- requests ---- */

typedef enum ctl_req_kind {
	CTL_REQ_HELLO = 0,
	CTL_REQ_LIST,
	CTL_REQ_INSERT,
	CTL_REQ_REMOVE,
	CTL_REQ_SWAP,
	CTL_REQ_MUTE,
	CTL_REQ_UNMUTE,
	CTL_REQ_FAULT_SET,
	CTL_REQ_FAULT_CLEAR,
	CTL_REQ_SCENARIO_LOAD,
	CTL_REQ_SCENARIO_START,
	CTL_REQ_SCENARIO_STOP,
	CTL_REQ_SCENARIO_STATUS,
	CTL_REQ_STORM,
	CTL_REQ_STORM_STOP,
	CTL_REQ_STORM_STATUS,
	CTL_REQ_SUBSCRIBE,
	CTL_REQ_UNSUBSCRIBE,
	CTL_REQ_TRACE_ON,
	CTL_REQ_TRACE_OFF,
	CTL_REQ_DEVICE_ADD,
	CTL_REQ_DEVICE_REMOVE,
	CTL_REQ_COUNT
} ctl_req_kind;

/* "hello", "list", "insert"... "device-remove"; NULL out of range. */
const char *ctl_req_name(ctl_req_kind k);

/* A reader as a request names it: pcscd's reader number (Lun >> 16), or
 * the driver's name for it (name= in reader.conf.d). */
typedef struct ctl_reader_ref {
	bool set;
	bool by_name;
	unsigned number;
	char *name;
} ctl_reader_ref;

typedef struct ctl_target {
	ctl_reader_ref reader;
	int slot;		/* -1: every slot of the reader */
} ctl_target;

typedef struct ctl_request {
	ctl_req_kind kind;
	bool has_id;
	int64_t id;			/* echoed in the reply; >= 0 */
	ctl_reader_ref reader;
	bool has_slot;
	int slot;			/* -1 (fault requests: the reader) .. 255 */
	char *card;			/* insert, swap, storm: an emu_card spec */
	char *spec;			/* device-add: the new reader, in the front's syntax */
	emu_fault fault;		/* fault-set */
	/* fault-set of a USB transfer fault (emu/usbfault.h): usb_fault
	 * instead of fault. */
	bool is_usb_fault;
	emu_usb_fault usb_fault;
	bool has_kind;
	emu_fault_kind kind_filter;	/* fault-clear */
	bool has_usb_kind;		/* fault-clear: a USB fault kind instead */
	emu_usb_fault_kind usb_kind_filter;
	char *data;			/* scenario-load: the file's text */
	char *app_text;			/* insert, swap: a script: or files: card's text */
	bool has_fd;			/* trace-on: a descriptor came with the line */
	bool has_handle;
	unsigned handle;		/* scenario-*: "scenario"; storm-*: "storm" */
	/* storm */
	double rate;
	unsigned duration_ms;
	bool has_seed;
	guint32 seed;
	unsigned min_hold_ms;
	unsigned burst;
	unsigned burst_gap_us;
	ctl_target *targets;
	size_t n_targets;		/* 0: every slot of every emulated reader */
	/* subscribe */
	bool has_since;
	uint64_t since;
} ctl_request;

/* Parses one line (without its newline; NUL bytes are an error).  On
 * failure returns NULL with a CTL_ERROR whose message says what was wrong
 * and what would be right; *id_out (may be NULL) then gets the request's
 * "id" when one could be read, else -1, so that the error reply can
 * carry it. */
ctl_request *ctl_request_parse(const char *line, size_t len, int64_t *id_out, GError **error);
void ctl_request_free(ctl_request *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ctl_request, ctl_request_free)

/* ---- replies and stream lines (reply.c) ----
 *
 * A reply is built as a JsonBuilder already inside its object with "v",
 * "id" (when given) and "ok"; the caller adds members and ends it with
 * ctl_line_finish, which closes the object and serialises it as one line
 * (newline included). */
JsonBuilder *ctl_reply_begin(bool has_id, int64_t id);
/* A complete error reply line. */
char *ctl_reply_error(bool has_id, int64_t id, ctl_error code, const char *message);
/* A stream line {"v":1,"event":NAME, ...}. */
JsonBuilder *ctl_event_begin(const char *name);
char *ctl_line_finish(JsonBuilder *b, size_t *len);

/* One member of the object b is building: its name, then its value
 * (ctl_member_string: NULL gives null). */
void ctl_member_int(JsonBuilder *b, const char *name, gint64 v);
void ctl_member_string(JsonBuilder *b, const char *name, const char *v);
void ctl_member_bool(JsonBuilder *b, const char *name, bool v);

/* Serialises an object as one line (newline included). */
char *ctl_object_to_line(JsonObject *o, size_t *len);

/* Lower-case hex of buf (len*2 chars); "" for len 0. */
char *ctl_hex(const uint8_t *buf, size_t len);

#endif
