/* ccidlab — the control server's private state, shared by server.c (the
 * socket, the clients and the streams) and handlers.c (what each request
 * does).  Everything here lives on the server thread unless a comment
 * names a lock.
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

typedef struct ctl_storm_rec {
	unsigned id;
	emu_storm *storm;
	gint64 started_us;
	unsigned duration_ms;
	double rate;
	guint32 seed;
	size_t n_targets;
	bool stopped;
} ctl_storm_rec;

typedef struct ctl_scenario_rec {
	unsigned id;
	emu_timeline *timeline;
	emu_timeline_run *run;		/* NULL until started */
	bool stopped;
} ctl_scenario_rec;

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

	/* storms and scenarios */
	GPtrArray *storms;		/* ctl_storm_rec */
	unsigned next_storm;
	GPtrArray *scenarios;		/* ctl_scenario_rec */
	unsigned next_scenario;

	/* trace */
	gint tracers;			/* atomic: clients and files tracing */
	gint trace_wake;		/* atomic: a drain is scheduled */
	GMutex trace_lock;
	GQueue trace_q;			/* ctl_frame, under trace_lock */
	size_t trace_bytes;		/* under trace_lock */
	uint64_t trace_dropped;		/* under trace_lock */
	GPtrArray *trace_files;		/* ctl_trace_file */
};

/* server.c: queue bytes for a client (disconnects it past
 * CTL_SERVER_OUT_MAX) and start sending. */
void ctl_conn_send(ctl_conn *c, char *line /* owned */, size_t len);
/* server.c: the oldest descriptor the client passed, now the caller's;
 * -1 when none. */
int ctl_conn_take_fd(ctl_conn *c);
/* server.c: queue edges for a subscribed client up to the watermark. */
void ctl_conn_pump_edges(ctl_conn *c);
/* server.c: tracer accounting when a client or file starts/stops. */
void ctl_server_tracers_add(ctl_server *s, int delta);

/* handlers.c: runs one parsed request, returns the reply line. */
char *ctl_handle_request(ctl_server *s, ctl_conn *c, const ctl_request *r, size_t *len);
/* handlers.c: stops and frees storms and scenarios (server stop). */
void ctl_handlers_shutdown(ctl_server *s);
/* handlers.c: edge counters of one slot. */
ctl_edge_count ctl_server_edge_count(ctl_server *s, unsigned reader_id, unsigned slot);
/* handlers.c: the reader number of an emulated device, -1 when none. */
int ctl_server_reader_of(ctl_server *s, unsigned dev_id, bool *refreshed);

#endif
