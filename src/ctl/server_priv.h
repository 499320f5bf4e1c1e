/* ccidlab — the control server's private state, shared by server.c (the
 * socket, the clients and the streams) and the handlers of the requests:
 * handlers.c dispatches to handle_readers.c, handle_faults.c,
 * handle_jobs.c and handle_stream.c.  Everything here lives on the server
 * thread unless a comment names a lock.
 */
#ifndef CCIDLAB_CTL_SERVER_PRIV_H
#define CCIDLAB_CTL_SERVER_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <gio/gio.h>

#include "ctl/server.h"
#include "emu/device.h"

typedef struct ctl_conn {
	ctl_server *srv;
	uint64_t number;		/* for logs */
	GSocket *sock;
	GSource *in_src;
	GSource *out_src;		/* attached only while output is pending */
	GByteArray *in;			/* a partial line */
	GByteArray *out;		/* bytes not yet sent, from out_off */
	size_t out_off;
	gint64 stalled_since;		/* monotonic µs of the last progress; 0 when idle */
	bool closing;			/* close once the output is sent */
	bool dead;
	/* subscribe */
	bool subscribed;
	uint64_t cursor;		/* last edge seq queued */
	/* trace-on (to the socket) */
	bool tracing;
	bool trace_all;
	unsigned trace_reader;
	uint64_t frames_lost;
	/* descriptors passed with the client's lines (SCM_RIGHTS), oldest
	 * first, for the requests with "fd":true */
	int fds[4];
	unsigned n_fds;
} ctl_conn;

typedef struct ctl_trace_file {
	int fd;
	bool all;
	unsigned reader;
} ctl_trace_file;

/* A storm or a scenario: a job the server runs on its own, for any
 * client, until it ends, is stopped or the server stops (handle_jobs.c).
 * Both kinds share one lifecycle (find, make room, stop, status). */
typedef enum ctl_job_kind { CTL_JOB_STORM = 0, CTL_JOB_SCENARIO, CTL_JOB_KINDS } ctl_job_kind;

typedef struct ctl_job {
	ctl_job_kind kind;
	unsigned id;
	bool stopped;
	union {
		struct {
			emu_storm *storm;
			gint64 started_us;
			unsigned duration_ms;
			double rate;
			guint32 seed;
			size_t n_targets;
		} storm;
		struct {
			emu_timeline *timeline;
			emu_timeline_run *run;	/* NULL until started */
		} scenario;
	};
} ctl_job;

typedef struct ctl_frame {
	unsigned reader;
	int dir;
	int64_t ts_us;
	size_t mask_off, mask_len;	/* data zeroed there (a PIN); len 0: none */
	size_t len;
	uint8_t data[];
} ctl_frame;

typedef struct ctl_edge_count {
	uint64_t edges;			/* every source but "observed" */
	uint64_t observed;
} ctl_edge_count;

/* The counts' key: the whole reader id (an emulated device's 1, 2...,
 * a real reader's 0x40000000 + number) and the slot.  reader_id << 8 in
 * 32 bits merged USB reader N with emulated device N (issue 20). */
static inline gint64 ctl_edge_key(unsigned reader_id, unsigned slot)
{
	return (gint64)reader_id << 16 | (slot & 0xFFFFu);
}

/* An entry of s->counts: its key lives in it. */
typedef struct ctl_edge_entry {
	gint64 key;
	ctl_edge_count count;
} ctl_edge_entry;

struct ctl_server {
	char *path;
	ctl_directory dir;
	bool has_group;
	gid_t gid;
	unsigned max_clients;
	unsigned stall_ms;
	char *driver_version;
	dev_t sock_dev;
	ino_t sock_ino;

	GMainContext *ctx;
	GMainLoop *loop;
	GThread *thread;
	GSocket *listener;
	GSource *listen_src;
	GSource *tick_src;
	GPtrArray *conns;		/* ctl_conn */
	uint64_t next_conn;

	/* edges: the emu_events subscription (any thread) */
	unsigned events_sub;
	gint edge_wake;			/* atomic: a pump is scheduled */
	gint subscribers;		/* atomic: clients subscribed */
	GMutex count_lock;
	GHashTable *counts;		/* &ctl_edge_key() -> ctl_edge_entry */
	GHashTable *dev_to_reader;	/* emu_device_id -> reader number + 1 */

	/* storms and scenarios, per kind */
	GPtrArray *jobs[CTL_JOB_KINDS];	/* ctl_job */
	unsigned next_job[CTL_JOB_KINDS];

	/* trace */
	gint tracers;			/* atomic: clients and files tracing */
	gint trace_wake;		/* atomic: a drain is scheduled */
	GMutex trace_lock;
	GQueue trace_q;			/* ctl_frame, under trace_lock */
	size_t trace_bytes;		/* under trace_lock */
	uint64_t trace_dropped;		/* under trace_lock */
	GPtrArray *trace_files;		/* ctl_trace_file */
};

/* server.c: queues bytes for a client (disconnects it past
 * CTL_SERVER_OUT_MAX) and starts sending. */
void ctl_conn_send(ctl_conn *c, char *line /* owned */, size_t len);
/* server.c: the oldest descriptor the client passed, now the caller's;
 * -1 when none. */
int ctl_conn_take_fd(ctl_conn *c);
/* Bytes queued for a client and not yet sent. */
static inline size_t ctl_conn_out_pending(const ctl_conn *c)
{
	return c->out->len - c->out_off;
}

/* server_stream.c: queues edges for a subscribed client up to the
 * watermark. */
void ctl_conn_pump_edges(ctl_conn *c);
/* server_stream.c: the emulator's edge callback, on the thread that made
 * the edge: counts it and wakes the pump. */
void ctl_server_on_edge(const emu_event *ev, void *data);
/* server_stream.c: tracer accounting when a client or file starts/stops. */
void ctl_server_tracers_add(ctl_server *s, int delta);
/* server_stream.c: closes and frees a trace file (trace_files' free). */
void ctl_trace_file_free(gpointer data);

/* handlers.c: runs one parsed request, returns the reply line. */
char *ctl_handle_request(ctl_server *s, ctl_conn *c, const ctl_request *r, size_t *len);

/* What one request does: members of the reply go into b (inside its
 * object); false with error (CTL_ERROR) when it failed.  One per family
 * of requests, in its own file. */
typedef bool (*ctl_handler)(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			    GError **error);

/* handle_readers.c: hello, list, insert/remove/swap/mute/unmute,
 * device-add/device-remove; and the
 * driver's readers as the other handlers see them. */
bool ctl_do_hello(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		  GError **error);
bool ctl_do_list(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		 GError **error);
bool ctl_do_slot(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		 GError **error);
/* device-add, device-remove: readers added and removed while the server
 * runs, where the directory can (a USB/IP server's devices). */
bool ctl_do_device_add(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		       GError **error);
bool ctl_do_device_remove(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			  GError **error);

/* The driver's readers of one request (the directory's list, references
 * held). */
typedef struct ctl_readers {
	ctl_reader_info *v;
	size_t n;
} ctl_readers;
void ctl_readers_fetch(ctl_server *s, ctl_readers *rs);
void ctl_readers_clear(ctl_readers *rs);
/* The reader of a request, which must exist (and be emulated when
 * need_emu); slot, when >= 0, must be one of its slots. */
ctl_reader_info *ctl_readers_resolve(ctl_readers *rs, const ctl_reader_ref *ref, int slot,
				     bool need_emu, GError **error);
/* What a request does to its one reader, which ctl_with_reader found;
 * data is the caller's (a handler's reply builder). */
typedef bool (*ctl_reader_fn)(ctl_server *s, const ctl_request *r, ctl_reader_info *ri,
			      void *data, GError **error);
/* Runs fn on the reader the request names (emulated when need_emu; slot,
 * when >= 0, one of its slots), the directory's list held for the call. */
bool ctl_with_reader(ctl_server *s, const ctl_request *r, int slot, bool need_emu,
		     ctl_reader_fn fn, void *data, GError **error);
/* An emulator error is the client's mistake about state (occupied slot,
 * nothing to remove): "bad-state". */
void ctl_error_from_emu(const GError *emu_err, GError **error);
/* The reader number of an emulated device (or a real reader's edge id),
 * -1 when none; asks the directory once per pump (*refreshed). */
int ctl_server_reader_of(ctl_server *s, unsigned dev_id, bool *refreshed);

/* handle_faults.c: fault-set, fault-clear. */
bool ctl_do_fault_set(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		      GError **error);
bool ctl_do_fault_clear(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			GError **error);

/* handle_jobs.c: storm, scenario-load, scenario-start; the stop and
 * status of either kind. */
bool ctl_do_storm(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		  GError **error);
bool ctl_do_scenario_load(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			  GError **error);
bool ctl_do_scenario_start(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			   GError **error);
bool ctl_do_job_stop(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		     GError **error);
bool ctl_do_job_status(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		       GError **error);
void ctl_jobs_init(ctl_server *s);
/* Stops and frees every job (server stop). */
void ctl_jobs_shutdown(ctl_server *s);

/* handle_stream.c: subscribe, unsubscribe, trace-on, trace-off. */
bool ctl_do_subscribe(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		      GError **error);
bool ctl_do_unsubscribe(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			GError **error);
bool ctl_do_trace_on(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		     GError **error);
bool ctl_do_trace_off(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		      GError **error);

#endif
