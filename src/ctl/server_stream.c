/* ccidlab — the control server's streams (server_priv.h): the edges of
 * the emulator's log, pumped to subscribed clients at their own pace
 * (their cursor walks the ring, their queue is filled up to a watermark),
 * and the CCID frames of trace-on, copied by any thread into a bounded
 * queue and drained on the server thread to clients and trace files.
 * Both arrive from other threads through one door each (on_edge,
 * ctl_server_trace_frame), which only counts, copies and schedules.
 */
#include "config.h"

#include "ctl/server_priv.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Frames' bytes waiting for the server thread, at most. */
#define TRACE_QUEUE_BYTES (16u * 1024u * 1024u)

/* ---- edges ---- */

/* The emulator's edge log and the protocol's edge record name the same
 * states and sources in the same order (test_ctl_server checks the names). */
G_STATIC_ASSERT((int)EMU_EVENT_ABSENT == (int)CTL_EDGE_ABSENT &&
		(int)EMU_EVENT_MUTE == (int)CTL_EDGE_MUTE);
G_STATIC_ASSERT((int)EMU_EVENT_SRC_COUNT == (int)CTL_EDGE_SRC_COUNT);
G_STATIC_ASSERT(EMU_EVENT_NAME_MAX == CTL_EDGE_DEVICE_MAX);

static void emit_edge(ctl_conn *c, const emu_event *ev, bool *refreshed)
{
	int number = ctl_server_reader_of(c->srv, ev->reader_id, refreshed);
	ctl_edge e = { .seq = ev->seq, .ts_ns = ev->ts_ns, .has_reader = number >= 0,
		       .reader = number >= 0 ? (unsigned)number : 0,
		       .device_id = ev->reader_id, .slot = ev->slot,
		       .state = (ctl_edge_state)ev->state, .source = (ctl_edge_source)ev->source };
	g_strlcpy(e.device, ev->reader, sizeof e.device);
	size_t len;
	char *line = ctl_edge_line(&e, &len);
	ctl_conn_send(c, line, len);
}

static void emit_lost(ctl_conn *c, const char *what, uint64_t count)
{
	size_t len;
	char *line = ctl_lost_line(what, count, &len);
	ctl_conn_send(c, line, len);
}

void ctl_conn_pump_edges(ctl_conn *c)
{
	emu_event ev[128];
	bool refreshed = false;
	while (c->subscribed && !c->dead && ctl_conn_out_pending(c) < CTL_SERVER_OUT_WATERMARK) {
		size_t n = 0;
		uint64_t lost = 0;
		bool more = emu_events_since(c->cursor, ev, G_N_ELEMENTS(ev), &n, &lost);
		if (lost > 0)
			emit_lost(c, "edges", lost);
		for (size_t i = 0; i < n && !c->dead; i++) {
			emit_edge(c, &ev[i], &refreshed);
			c->cursor = ev[i].seq;
		}
		if (!more || n == 0)
			break;
	}
}

static gboolean pump_all_cb(gpointer data)
{
	ctl_server *s = data;
	g_atomic_int_set(&s->edge_wake, 0);
	for (guint i = 0; i < s->conns->len; i++) {
		ctl_conn *c = g_ptr_array_index(s->conns, i);
		if (c->subscribed && !c->dead)
			ctl_conn_pump_edges(c);
	}
	return G_SOURCE_REMOVE;
}

static void schedule(ctl_server *s, gint *flag, GSourceFunc fn)
{
	if (!g_atomic_int_compare_and_exchange(flag, 0, 1))
		return;
	GSource *idle = g_idle_source_new();
	g_source_set_callback(idle, fn, s, NULL);
	g_source_attach(idle, s->ctx);
	g_source_unref(idle);
}

void ctl_server_on_edge(const emu_event *ev, void *data)
{
	ctl_server *s = data;
	guint key = ev->reader_id << 8 | (ev->slot & 0xFF);
	g_mutex_lock(&s->count_lock);
	ctl_edge_count *cnt = g_hash_table_lookup(s->counts, GUINT_TO_POINTER(key));
	if (cnt == NULL) {
		cnt = g_new0(ctl_edge_count, 1);
		g_hash_table_insert(s->counts, GUINT_TO_POINTER(key), cnt);
	}
	if (ev->source == EMU_EVENT_SRC_OBSERVED)
		cnt->observed++;
	else
		cnt->edges++;
	g_mutex_unlock(&s->count_lock);
	if (g_atomic_int_get(&s->subscribers) > 0)
		schedule(s, &s->edge_wake, pump_all_cb);
}

/* ---- trace ---- */

void ctl_server_tracers_add(ctl_server *s, int delta)
{
	g_atomic_int_add(&s->tracers, delta);
}

static char *frame_line(const ctl_frame *f, size_t *len)
{
	return ctl_frame_line(f->reader, f->dir, f->ts_us, f->data, f->len, len);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static gboolean drain_frames_cb(gpointer data)
{
	ctl_server *s = data;
	GQueue q = G_QUEUE_INIT;
	uint64_t dropped;

	g_atomic_int_set(&s->trace_wake, 0);
	g_mutex_lock(&s->trace_lock);
	q = s->trace_q;
	g_queue_init(&s->trace_q);
	s->trace_bytes = 0;
	dropped = s->trace_dropped;
	s->trace_dropped = 0;
	g_mutex_unlock(&s->trace_lock);

	if (dropped > 0)
		for (guint i = 0; i < s->conns->len; i++) {
			ctl_conn *c = g_ptr_array_index(s->conns, i);
			if (c->tracing && !c->dead)
				c->frames_lost += dropped;
		}
	ctl_frame *f;
	while ((f = g_queue_pop_head(&q)) != NULL) {
		size_t len;
		g_autofree char *line = frame_line(f, &len);
		for (guint i = 0; i < s->trace_files->len; i++) {
			ctl_trace_file *tf = g_ptr_array_index(s->trace_files, i);
			if (tf->all || tf->reader == f->reader)
				write_all(tf->fd, line, len);
		}
		for (guint i = 0; i < s->conns->len; i++) {
			ctl_conn *c = g_ptr_array_index(s->conns, i);
			if (!c->tracing || c->dead || !(c->trace_all || c->trace_reader == f->reader))
				continue;
			if (ctl_conn_out_pending(c) >= CTL_SERVER_OUT_WATERMARK) {
				c->frames_lost++;
				continue;
			}
			if (c->frames_lost > 0) {
				emit_lost(c, "frames", c->frames_lost);
				c->frames_lost = 0;
			}
			char *copy = g_malloc(len + 1);
			memcpy(copy, line, len + 1);
			ctl_conn_send(c, copy, len);
		}
		g_free(f);
	}
	return G_SOURCE_REMOVE;
}

void ctl_server_trace_frame(ctl_server *s, unsigned reader_number, int dir, const uint8_t *buf,
			    size_t len)
{
	if (s == NULL || g_atomic_int_get(&s->tracers) == 0)
		return;
	size_t keep = MIN(len, (size_t)CTL_TRACE_FRAME_MAX);
	ctl_frame *f = g_malloc(sizeof *f + keep);
	f->reader = reader_number;
	f->dir = dir == CTL_TRACE_OUT ? CTL_TRACE_OUT : CTL_TRACE_IN;
	f->ts_us = emu_events_now_ns() / 1000;
	f->len = keep;
	if (keep > 0)
		memcpy(f->data, buf, keep);

	g_mutex_lock(&s->trace_lock);
	if (s->trace_q.length >= CTL_SERVER_TRACE_QUEUE || s->trace_bytes + keep > TRACE_QUEUE_BYTES) {
		s->trace_dropped++;
		g_mutex_unlock(&s->trace_lock);
		g_free(f);
		return;
	}
	g_queue_push_tail(&s->trace_q, f);
	s->trace_bytes += keep;
	g_mutex_unlock(&s->trace_lock);
	schedule(s, &s->trace_wake, drain_frames_cb);
}

void ctl_trace_file_free(gpointer data)
{
	ctl_trace_file *tf = data;
	if (tf->fd >= 0)
		close(tf->fd);
	g_free(tf->path);
	g_free(tf);
}
