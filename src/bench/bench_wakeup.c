/* ccidlab — `ccidlab bench wakeup-event|wakeup-poll|scale`: from a card
 * edge in the driver to the wakeup of every application thread.
 *
 * Ground truth is the driver's edge stream (subscribe: seq, ts_ns on
 * CLOCK_MONOTONIC).  A seeded storm (the control plane) makes the edges;
 * its min_hold_ms keeps every state long enough for pcscd to see it, so
 * each edge must raise pcscd's event counter by one.  N client threads,
 * each with its own context, block in SCardGetStatusChange(INFINITE) on
 * all the readers and timestamp every return on the same clock.
 *
 * The oracle, per edge and per client: the k-th edge of a reader is
 * delivered by the first wakeup whose event counter for that reader
 * (dwEventState >> 16, counted from the client's first look) is k or
 * more; latency = that wakeup - the edge's ts_ns.  Never delivered while
 * the counters stood still for 5 s: lost.  Above the bound: late.
 *
 * The baseline is in the same run: the driver's "observed" edges mark the
 * moment the host (pcscd's thread, inside the driver) saw the slot, so
 * each latency splits into the driver's share (edge -> observed) and
 * pcscd's own (observed -> wakeup: presence, power-up, the signal, the
 * client library).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <winscard.h>

#include "bench/bench.h"
#include "ctl/client.h"
#include "ctl/stream.h"

#define MAX_READERS 16
#define CTL_TIMEOUT_MS 5000u
#define QUIET_LOST_NS (5ull * 1000000000ull)	/* issue 7: "stable for 5 s" */
#define STOP_BOUND_US (5 * G_USEC_PER_SEC)

typedef struct wake_rec {
	uint64_t t_ns;
	unsigned reader;
	unsigned delta;		/* counter since the client's first look */
} wake_rec;

typedef struct edge_rec {
	uint64_t ts_ns;
	unsigned reader;
	bool present;
	bool observed;
} edge_rec;

typedef struct wakeup_run wakeup_run;

typedef struct client {
	wakeup_run *run;
	GThread *thread;
	SCARDCONTEXT ctx;
	bool has_ctx;
	GArray *recs;			/* wake_rec, written by the thread only */
	gint delta[MAX_READERS];	/* latest, atomic: main watches progress */
	gint ready;
	gint done;
	unsigned errors;
	LONG last_error;
} client;

struct wakeup_run {
	const char *title;
	bool poll;
	size_t n;			/* readers */
	char *pcsc[MAX_READERS];	/* pcscd's names */
	char *device[MAX_READERS];	/* the driver's names (name=) */
	client *clients;
	int n_clients;
	gint stop;
	/* the subscriber */
	ctl_client *sub;
	GThread *sub_thread;
	GMutex lock;			/* guards edges, stream_lost */
	GArray *edges;			/* edge_rec */
	guint64 storm_edges;
	guint64 stream_lost;
};

static int device_index(const wakeup_run *w, const char *device)
{
	for (size_t i = 0; i < w->n; i++)
		if (device != NULL && strcmp(w->device[i], device) == 0)
			return (int)i;
	return -1;
}

/* ---- the subscriber thread: every edge line into w->edges ---- */

static gpointer subscriber_main(gpointer data)
{
	wakeup_run *w = data;

	while (!g_atomic_int_get(&w->stop)) {
		g_autoptr(GError) err = NULL;
		g_autoptr(JsonObject) ev = ctl_client_next_event(w->sub, 200, &err);
		if (ev == NULL) {
			if (g_error_matches(err, CTL_ERROR, CTL_ERROR_TIMEOUT))
				continue;
			fprintf(stderr, "ccidlab bench: edge stream: %s\n", err->message);
			break;
		}
		ctl_stream_rec rec;
		if (!ctl_stream_decode(ev, &rec, &err)) {
			fprintf(stderr, "ccidlab bench: edge stream: %s\n", err->message);
			break;
		}
		if (rec.kind == CTL_STREAM_LOST) {
			g_mutex_lock(&w->lock);
			w->stream_lost += rec.lost.count;
			g_mutex_unlock(&w->lock);
			continue;
		}
		if (rec.kind != CTL_STREAM_EDGE)
			continue;
		int idx = device_index(w, rec.edge.device);
		if (idx < 0 || rec.edge.slot != 0)
			continue;
		edge_rec e = {
			.ts_ns = (uint64_t)rec.edge.ts_ns,
			.reader = (unsigned)idx,
			.present = ctl_edge_present(&rec.edge),
			.observed = rec.edge.source == CTL_EDGE_SRC_OBSERVED,
		};
		g_mutex_lock(&w->lock);
		g_array_append_val(w->edges, e);
		if (rec.edge.source == CTL_EDGE_SRC_STORM)
			w->storm_edges++;
		g_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* ---- client threads ---- */

static gpointer client_main(gpointer data)
{
	client *c = data;
	wakeup_run *w = c->run;
	SCARD_READERSTATE st[MAX_READERS];
	unsigned base[MAX_READERS];

	memset(st, 0, sizeof st);
	for (size_t i = 0; i < w->n; i++) {
		st[i].szReader = w->pcsc[i];
		st[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	LONG rv = SCardGetStatusChange(c->ctx, 0, st, (DWORD)w->n);
	if (rv != SCARD_S_SUCCESS) {
		c->errors++;
		c->last_error = rv;
		g_atomic_int_set(&c->done, 1);
		return NULL;
	}
	for (size_t i = 0; i < w->n; i++) {
		base[i] = (unsigned)(st[i].dwEventState >> 16);
		st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	}
	g_atomic_int_set(&c->ready, 1);
	while (!g_atomic_int_get(&w->stop)) {
		rv = SCardGetStatusChange(c->ctx, INFINITE, st, (DWORD)w->n);
		uint64_t now = bench_now_ns();
		if (rv == SCARD_E_CANCELLED)
			continue;	/* the loop condition says whether to stop */
		if (rv != SCARD_S_SUCCESS) {
			c->errors++;
			c->last_error = rv;
			if (c->errors > 100)
				break;
			continue;
		}
		for (size_t i = 0; i < w->n; i++) {
			if (!(st[i].dwEventState & SCARD_STATE_CHANGED))
				continue;
			/* The counter wraps at 16 bits (pcsc-lite 75652c44). */
			unsigned delta = ((unsigned)(st[i].dwEventState >> 16) - base[i]) & 0xFFFFu;
			wake_rec r = { now, (unsigned)i, delta };
			g_array_append_val(c->recs, r);
			g_atomic_int_set(&c->delta[i], (gint)delta);
			st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		}
	}
	g_atomic_int_set(&c->done, 1);
	return NULL;
}

/* ---- set-up ---- */

static bool find_readers(wakeup_run *w, const char *prefix)
{
	SCARDCONTEXT ctx;
	char *list = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	size_t pl = strlen(prefix);

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return false;
	if (SCardListReaders(ctx, NULL, (LPSTR)&list, &len) == SCARD_S_SUCCESS) {
		for (const char *p = list; p < list + len && *p != '\0'; p += strlen(p) + 1) {
			/* "bench-ev07 0A 00": FRIENDLYNAME, reader number, slot. */
			const char *sp = strchr(p, ' ');
			if (strncmp(p, prefix, pl) != 0 || sp == NULL || w->n >= MAX_READERS)
				continue;
			w->pcsc[w->n] = g_strdup(p);
			w->device[w->n] = g_strndup(p, (gsize)(sp - p));
			w->n++;
		}
		SCardFreeMemory(ctx, list);
	}
	SCardReleaseContext(ctx);
	return w->n > 0;
}

static bool start_clients(wakeup_run *w)
{
	w->clients = g_new0(client, (size_t)w->n_clients);
	for (int i = 0; i < w->n_clients; i++) {
		client *c = &w->clients[i];
		c->run = w;
		c->recs = g_array_new(FALSE, FALSE, sizeof(wake_rec));
		LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "ccidlab bench: SCardEstablishContext: %s\n",
				pcsc_stringify_error(rv));
			return false;
		}
		c->has_ctx = true;
		c->thread = g_thread_new("bench-client", client_main, c);
	}
	/* Each client has looked once before the first edge: its counters
	 * start from there.  Bounded like every wait. */
	gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	for (int i = 0; i < w->n_clients; i++)
		while (!g_atomic_int_get(&w->clients[i].ready)) {
			if (g_atomic_int_get(&w->clients[i].done) || g_get_monotonic_time() > end) {
				fprintf(stderr, "ccidlab bench: client %d did not start\n", i);
				return false;
			}
			g_usleep(1000);
		}
	return true;
}

/* SCardCancel only lands while the client waits for the server (a cancel
 * during libpcsclite's comparison is a no-op): repeat it, bounded. */
static void stop_clients(wakeup_run *w)
{
	g_atomic_int_set(&w->stop, 1);
	gint64 end = g_get_monotonic_time() + STOP_BOUND_US;
	for (int i = 0; w->clients != NULL && i < w->n_clients; i++) {
		client *c = &w->clients[i];
		if (c->thread == NULL)
			continue;
		while (!g_atomic_int_get(&c->done) && g_get_monotonic_time() < end) {
			SCardCancel(c->ctx);
			g_usleep(2000);
		}
		if (g_atomic_int_get(&c->done)) {
			g_thread_join(c->thread);
			c->thread = NULL;
		} else {
			fprintf(stderr, "ccidlab bench: client %d did not stop within 5 s\n", i);
		}
	}
}

static JsonObject *ctl_call(ctl_client *c, JsonObject *req)
{
	g_autoptr(GError) err = NULL;
	JsonObject *rep = ctl_client_call(c, req, CTL_TIMEOUT_MS, &err);

	json_object_unref(req);
	if (rep == NULL)
		fprintf(stderr, "ccidlab bench: control request: %s\n", err->message);
	return rep;
}

typedef struct storm_plan {
	double rate;
	unsigned duration_ms;
	unsigned min_hold_ms;
	double bound_ms;	/* late above this */
	double target_p99_ms;	/* 0: none */
} storm_plan;

/* Runs the storm to its end; returns the edges it applied, or -1. */
static gint64 run_storm(wakeup_run *w, ctl_client *c, const storm_plan *p, unsigned seed)
{
	JsonObject *req = ctl_client_request_new("storm");
	json_object_set_double_member(req, "rate", p->rate);
	json_object_set_int_member(req, "duration_ms", p->duration_ms);
	json_object_set_int_member(req, "min_hold_ms", p->min_hold_ms);
	json_object_set_int_member(req, "seed", seed);
	json_object_set_string_member(req, "card", "readertest,t1");
	JsonArray *targets = json_array_new();
	for (size_t i = 0; i < w->n; i++) {
		JsonObject *t = json_object_new();
		json_object_set_string_member(t, "reader", w->device[i]);
		json_object_set_int_member(t, "slot", 0);
		json_array_add_object_element(targets, t);
	}
	json_object_set_array_member(req, "targets", targets);
	g_autoptr(JsonObject) rep = ctl_call(c, req);
	if (rep == NULL)
		return -1;
	gint64 id = json_object_get_int_member_with_default(rep, "storm", -1);
	gint64 end = g_get_monotonic_time() + (gint64)p->duration_ms * 1000 + 30 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		g_usleep(100 * 1000);
		JsonObject *q = ctl_client_request_new("storm-status");
		json_object_set_int_member(q, "storm", id);
		g_autoptr(JsonObject) st = ctl_call(c, q);
		if (st == NULL)
			return -1;
		JsonArray *a = json_object_get_array_member(st, "storms");
		JsonObject *one = a && json_array_get_length(a) ? json_array_get_object_element(a, 0) : NULL;
		if (one == NULL)
			return -1;
		if (strcmp(json_object_get_string_member_with_default(one, "state", ""), "running") != 0)
			return json_object_get_int_member_with_default(one, "applied", 0);
	}
	fprintf(stderr, "ccidlab bench: the storm did not end in time\n");
	return -1;
}

/* Waits until the stream has every applied edge and every client's
 * counters reached the edges of each reader, or nothing moved for 5 s. */
static void settle(wakeup_run *w, gint64 applied)
{
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		g_mutex_lock(&w->lock);
		bool all = (gint64)w->storm_edges + (gint64)w->stream_lost >= applied;
		g_mutex_unlock(&w->lock);
		if (all)
			break;
		g_usleep(10 * 1000);
	}
	unsigned want[MAX_READERS] = { 0 };
	g_mutex_lock(&w->lock);
	for (guint i = 0; i < w->edges->len; i++) {
		const edge_rec *e = &g_array_index(w->edges, edge_rec, i);
		if (!e->observed)
			want[e->reader]++;
	}
	g_mutex_unlock(&w->lock);
	uint64_t last_move = bench_now_ns();
	gint64 sum_prev = -1;
	for (;;) {
		gint64 sum = 0;
		bool caught_up = true;
		for (int c = 0; c < w->n_clients; c++)
			for (size_t r = 0; r < w->n; r++) {
				unsigned d = (unsigned)g_atomic_int_get(&w->clients[c].delta[r]);
				sum += d;
				if (d < (want[r] & 0xFFFFu))
					caught_up = false;
			}
		if (caught_up)
			return;
		uint64_t now = bench_now_ns();
		if (sum != sum_prev) {
			sum_prev = sum;
			last_move = now;
		} else if (now - last_move > QUIET_LOST_NS) {
			return;
		}
		g_usleep(10 * 1000);
	}
}

/* ---- the oracle ---- */

#define N_WORST 3

typedef struct worst_case {
	double ms;		/* edge -> wakeup */
	double observed_ms;	/* edge -> observed, -1: not observed */
	unsigned reader;
	int client;
	bool present;
	uint64_t ts_ns;
} worst_case;

typedef struct figures {
	GArray *lat;		/* ms, per (edge, client) delivered */
	GArray *driver;		/* ms, edge -> observed, per edge */
	GArray *pcscd;		/* ms, observed -> wakeup, per (edge, client) */
	unsigned edges;
	unsigned delivered, lost, late, phantom;
	worst_case worst[N_WORST];	/* by ms, largest first */
} figures;

static void keep_worst(figures *f, const worst_case *w)
{
	for (int i = 0; i < N_WORST; i++)
		if (w->ms > f->worst[i].ms) {
			memmove(&f->worst[i + 1], &f->worst[i], sizeof f->worst[0] * (size_t)(N_WORST - 1 - i));
			f->worst[i] = *w;
			return;
		}
}

static void judge(const wakeup_run *w, double bound_ms, figures *f)
{
	GArray *per[MAX_READERS], *obs[MAX_READERS];

	f->lat = g_array_new(FALSE, FALSE, sizeof(double));
	f->driver = g_array_new(FALSE, FALSE, sizeof(double));
	f->pcscd = g_array_new(FALSE, FALSE, sizeof(double));
	for (size_t r = 0; r < w->n; r++) {
		per[r] = g_array_new(FALSE, FALSE, sizeof(edge_rec));
		obs[r] = g_array_new(FALSE, FALSE, sizeof(edge_rec));
	}
	for (guint i = 0; i < w->edges->len; i++) {
		const edge_rec *e = &g_array_index(w->edges, edge_rec, i);
		g_array_append_val(e->observed ? obs[e->reader] : per[e->reader], *e);
	}
	for (size_t r = 0; r < w->n; r++) {
		/* The first observation of the edge's state after it. */
		GArray *seen = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		guint j = 0;
		for (guint k = 0; k < per[r]->len; k++) {
			const edge_rec *e = &g_array_index(per[r], edge_rec, k);
			uint64_t at = 0;
			while (j < obs[r]->len && g_array_index(obs[r], edge_rec, j).ts_ns < e->ts_ns)
				j++;
			for (guint q = j; q < obs[r]->len; q++) {
				const edge_rec *o = &g_array_index(obs[r], edge_rec, q);
				if (k + 1 < per[r]->len &&
				    o->ts_ns >= g_array_index(per[r], edge_rec, k + 1).ts_ns)
					break;
				if (o->present == e->present) {
					at = o->ts_ns;
					break;
				}
			}
			g_array_append_val(seen, at);
			if (at != 0) {
				double ms = (double)(at - e->ts_ns) / 1e6;
				g_array_append_val(f->driver, ms);
			}
		}
		f->edges += per[r]->len;
		for (int c = 0; c < w->n_clients; c++) {
			const GArray *recs = w->clients[c].recs;
			guint q = 0;
			unsigned top = 0;
			for (guint k = 0; k < per[r]->len; k++) {
				const edge_rec *e = &g_array_index(per[r], edge_rec, k);
				const wake_rec *hit = NULL;
				for (; q < recs->len; q++) {
					const wake_rec *x = &g_array_index(recs, wake_rec, q);
					if (x->reader != r)
						continue;
					if (x->delta > top)
						top = x->delta;
					if (x->delta >= k + 1) {
						hit = x;
						break;
					}
				}
				if (hit == NULL) {
					f->lost++;
					continue;
				}
				double ms = ((double)hit->t_ns - (double)e->ts_ns) / 1e6;
				f->delivered++;
				g_array_append_val(f->lat, ms);
				if (ms > bound_ms)
					f->late++;
				uint64_t at = g_array_index(seen, uint64_t, k);
				worst_case wc = { ms, at ? (double)(at - e->ts_ns) / 1e6 : -1.0, (unsigned)r, c,
						  e->present, e->ts_ns };
				keep_worst(f, &wc);
				if (at != 0) {
					double p = ((double)hit->t_ns - (double)at) / 1e6;
					g_array_append_val(f->pcscd, p);
				}
			}
			for (; q < recs->len; q++) {
				const wake_rec *x = &g_array_index(recs, wake_rec, q);
				if (x->reader == r && x->delta > top)
					top = x->delta;
			}
			/* A counter above the edges: a change with no edge behind it. */
			if (top > per[r]->len)
				f->phantom += top - per[r]->len;
		}
		g_array_unref(seen);
		g_array_unref(per[r]);
		g_array_unref(obs[r]);
	}
}

static void print_dist(const char *what, GArray *a)
{
	double *v = (double *)(void *)a->data;
	bench_sort(v, a->len);
	printf("    %-34s p50 %8.3f ms  p90 %8.3f  p99 %8.3f  max %8.3f  (n=%u)\n", what,
	       bench_quantile(v, a->len, 0.5), bench_quantile(v, a->len, 0.9),
	       bench_quantile(v, a->len, 0.99), a->len ? v[a->len - 1] : 0.0, a->len);
}

static void report(const wakeup_run *w, const storm_plan *p, gint64 applied, figures *f)
{
	unsigned errors = 0;
	for (int c = 0; c < w->n_clients; c++)
		errors += w->clients[c].errors;
	printf("  storm: %" G_GINT64_FORMAT " edges applied (%.0f/s for %u ms, hold >= %u ms), "
	       "%u in the stream, %" G_GUINT64_FORMAT " lost by the stream\n",
	       applied, p->rate, p->duration_ms, p->min_hold_ms, f->edges, w->stream_lost);
	print_dist("edge -> wakeup (all)", f->lat);
	print_dist(w->poll ? "  poll wait: edge -> observed" : "  driver: edge -> observed", f->driver);
	print_dist("  pcscd: observed -> wakeup (base)", f->pcscd);
	double *lat = (double *)(void *)f->lat->data, *pc = (double *)(void *)f->pcscd->data;
	double p99 = bench_quantile(lat, f->lat->len, 0.99);
	double p50 = bench_quantile(lat, f->lat->len, 0.5);
	double b99 = bench_quantile(pc, f->pcscd->len, 0.99);
	double b50 = bench_quantile(pc, f->pcscd->len, 0.5);
	printf("    ratio to pcscd's own share (observed -> wakeup): p50 %.2fx, p99 %.2fx\n",
	       b50 > 0 ? p50 / b50 : 0.0, b99 > 0 ? p99 / b99 : 0.0);
	if (w->poll)
		/* pcscd asks every 400 ms (PCSCLITE_STATUS_POLL_RATE): the wait
		 * for its next look is its design, not the driver's cost. */
		printf("    ratio to pcscd's poll period (400 ms): p50 %.2fx, p99 %.2fx\n", p50 / 400.0,
		       p99 / 400.0);
	printf("    per (edge, client): %u delivered, %u lost, %u late (> %.0f ms), %u phantom, "
	       "%u client errors",
	       f->delivered, f->lost, f->late, p->bound_ms, f->phantom, errors);
	printf("\n");
	for (int i = 0; i < N_WORST && f->worst[i].ms > 0.0; i++) {
		const worst_case *x = &f->worst[i];
		printf("    worst %d: %.3f ms, %s %s at t=%.6f s, client %d; observed after %.3f ms, "
		       "then pcscd %.3f ms\n", i + 1, x->ms, w->device[x->reader],
		       x->present ? "insert" : "remove", (double)x->ts_ns / 1e9, x->client,
		       x->observed_ms, x->observed_ms >= 0 ? x->ms - x->observed_ms : 0.0);
	}
	if (p->target_p99_ms > 0)
		printf("    target p99 <= %g ms: %s (p99 %.3f ms)\n", p->target_p99_ms,
		       bench_verdict(f->lat->len > 0 && f->lost == 0 && p99 <= p->target_p99_ms), p99);
	else
		printf("    target 0 lost and 0 late: %s\n",
		       bench_verdict(f->lat->len > 0 && f->lost == 0 && f->late == 0 && errors == 0));
}

static void run_clear(wakeup_run *w)
{
	for (int i = 0; w->clients != NULL && i < w->n_clients; i++) {
		client *c = &w->clients[i];
		/* A thread that would not stop keeps its memory. */
		if (c->thread != NULL)
			continue;
		if (c->has_ctx)
			SCardReleaseContext(c->ctx);
		if (c->recs)
			g_array_unref(c->recs);
	}
	g_free(w->clients);
	for (size_t i = 0; i < w->n; i++) {
		g_free(w->pcsc[i]);
		g_free(w->device[i]);
	}
	if (w->edges)
		g_array_unref(w->edges);
	g_mutex_clear(&w->lock);
}

/* One storm on the readers PREFIX*, its figures printed; every edge ->
 * wakeup latency (ms) is also added to collect[0], and every edge ->
 * observed (the driver's share) to collect[1], when collect is not NULL. */
static int run(const bench_opts *o, const char *title, const char *prefix, bool poll,
	       const storm_plan *p, GArray **collect)
{
	wakeup_run w = { .title = title, .poll = poll, .n_clients = o->clients };
	g_autoptr(GError) err = NULL;
	int status = 1;
	gint64 applied = -1;
	const char *path = g_getenv("CCIDLAB_CTL_SOCKET");
	g_autoptr(ctl_client) ctl = NULL;
	g_autoptr(JsonObject) sub = NULL;

	g_mutex_init(&w.lock);
	w.edges = g_array_new(FALSE, FALSE, sizeof(edge_rec));
	printf("\n== %s\n", title);
	if (path == NULL)
		path = "/run/pcscd/ccidlab.sock";
	if (!find_readers(&w, prefix)) {
		fprintf(stderr, "ccidlab bench: no readers %s* in this lab (see --write-conf)\n", prefix);
		goto out;
	}
	printf("  %zu readers %s*, %d client threads in SCardGetStatusChange(INFINITE) on all of "
	       "them\n", w.n, prefix, w.n_clients);
	ctl = ctl_client_connect(path, CTL_TIMEOUT_MS, &err);
	w.sub = ctl ? ctl_client_connect(path, CTL_TIMEOUT_MS, &err) : NULL;
	if (w.sub == NULL) {
		fprintf(stderr, "ccidlab bench: control socket %s: %s\n", path, err->message);
		goto out;
	}
	sub = ctl_call(w.sub, ctl_client_request_new("subscribe"));
	if (sub == NULL)
		goto out;
	w.sub_thread = g_thread_new("bench-edges", subscriber_main, &w);
	if (!start_clients(&w))
		goto stop;
	applied = run_storm(&w, ctl, p, o->seed);
	if (applied < 0)
		goto stop;
	settle(&w, applied);
	status = 0;
stop:
	stop_clients(&w);
	g_atomic_int_set(&w.stop, 1);
	if (w.sub_thread != NULL)
		g_thread_join(w.sub_thread);
	for (int i = 0; w.clients != NULL && i < w.n_clients; i++)
		if (w.clients[i].thread != NULL)
			status = 1;	/* its records are still moving: no figures */
	if (status == 0) {
		figures f = { 0 };
		judge(&w, p->bound_ms, &f);
		report(&w, p, applied, &f);
		if (collect != NULL) {
			g_array_append_vals(collect[0], f.lat->data, f.lat->len);
			g_array_append_vals(collect[1], f.driver->data, f.driver->len);
		}
		g_array_unref(f.lat);
		g_array_unref(f.driver);
		g_array_unref(f.pcscd);
	}
out:
	if (w.sub != NULL)
		ctl_client_free(w.sub);
	run_clear(&w);
	return status;
}

int bench_wakeup_run(const bench_opts *o, bool poll)
{
	if (poll) {
		/* Each state held 1 s (> pcscd's 400 ms period), so every edge is
		 * one pcscd can see. */
		storm_plan p = { .rate = 12.0, .duration_ms = (unsigned)o->poll_seconds * 1000,
				 .min_hold_ms = 1000, .bound_ms = 450.0, .target_p99_ms = 450.0 };
		return run(o, "Edge to wakeup, polling-only mode (generic-short-poll; late > 450 ms)",
			   "bench-pl", true, &p, NULL);
	}
	storm_plan p = { .rate = 300.0, .duration_ms = (unsigned)o->wakeup_seconds * 1000,
			 .min_hold_ms = 20, .bound_ms = 50.0, .target_p99_ms = 1.0 };
	return run(o, "Edge to wakeup, event mode (generic-apdu-irq; late > 50 ms)", "bench-ev",
		   false, &p, NULL);
}

/* Debian's libccid on usbsim (issue 8): the same storm on 16
 * generic-apdu-irq devices of the shim, whose control socket serves the
 * edge stream; libccid reads NotifySlotChange on the interrupt pipe. */
int bench_wakeup_libccid_run(const bench_opts *o)
{
	storm_plan p = { .rate = 300.0, .duration_ms = (unsigned)o->wakeup_seconds * 1000,
			 .min_hold_ms = 20, .bound_ms = 50.0, .target_p99_ms = 0.0 };
	return run(o, "Edge to wakeup, event mode, libccid on usbsim (generic-apdu-irq; "
		   "late > 50 ms)", "bench-lc-ev", false, &p, NULL);
}

/* Issue 9: ccidlab's driver and libccid, each on 8 generic-apdu-irq
 * devices of the shim, in one pcscd.  The same storm plan (seed
 * included) runs on each driver's readers: first a short warm-up of each
 * (a fresh pcscd's first storm is slower, whoever gets it), then four
 * counted turns in the order ccidlab, libccid, libccid, ccidlab, so that
 * a drift of the machine falls on both alike; the figures pool each
 * driver's turns.  The edges are the shim's (its control socket serves
 * the stream), so the latency is the whole path for both: interrupt
 * pipe, driver, pcscd, client library; "observed" is when the driver
 * read the reader's NotifySlotChange, the driver's own share. */
static void print_pooled(const char *what, const char *const *label, GArray **a, bool target)
{
	double q[2][2] = { { 0, 0 }, { 0, 0 } };

	printf("  %s\n", what);
	for (int k = 0; k < 2; k++) {
		double *v = (double *)(void *)a[k]->data;
		bench_sort(v, a[k]->len);
		q[k][0] = bench_quantile(v, a[k]->len, 0.5);
		q[k][1] = bench_quantile(v, a[k]->len, 0.99);
		printf("    %-14s p50 %8.3f ms  p99 %8.3f ms  (n=%u)\n", label[k], q[k][0], q[k][1],
		       a[k]->len);
	}
	if (q[1][0] <= 0.0 || q[1][1] <= 0.0)
		return;
	printf("    ccidlab / libccid: p50 %.3fx, p99 %.3fx", q[0][0] / q[1][0], q[0][1] / q[1][1]);
	if (target)
		printf("   target p99 no worse (<= 1.00x): %s", bench_verdict(q[0][1] <= q[1][1]));
	printf("\n");
}

int bench_wakeup_usb_run(const bench_opts *o)
{
	/* 150 edges/s on 8 readers: the per-reader rate of the 16-reader run. */
	storm_plan p = { .rate = 150.0, .duration_ms = (unsigned)o->wakeup_seconds * 1000,
			 .min_hold_ms = 20, .bound_ms = 50.0, .target_p99_ms = 0.0 };
	storm_plan warm = p;
	static const char *const prefix[2] = { "bench-cu-ev", "bench-lu-ev" };
	static const char *const label[2] = { "ccidlab usb:", "libccid" };
	static const int order[4] = { 0, 1, 1, 0 };
	GArray *lat[2][2];
	int status = 0;

	warm.duration_ms = 1000;
	for (int k = 0; k < 2; k++) {
		g_autofree char *title = g_strdup_printf("Edge to wakeup, %s on usbsim: warm-up, not "
							 "counted", label[k]);
		if (run(o, title, prefix[k], false, &warm, NULL) != 0)
			status = 1;
		for (int j = 0; j < 2; j++)
			lat[k][j] = g_array_new(FALSE, FALSE, sizeof(double));
	}
	for (int t = 0; t < 4; t++) {
		int k = order[t];
		g_autofree char *title = g_strdup_printf("Edge to wakeup, event mode, %s on usbsim, "
							 "turn %d of 4 (generic-apdu-irq; late > 50 ms)",
							 label[k], t + 1);
		if (run(o, title, prefix[k], false, &p, lat[k]) != 0)
			status = 1;
	}
	printf("\n== Edge to wakeup, ccidlab vs libccid on the same usbsim profile (each "
	       "driver's two turns pooled)\n");
	GArray *all[2] = { lat[0][0], lat[1][0] }, *drv[2] = { lat[0][1], lat[1][1] };
	print_pooled("edge -> SCardGetStatusChange wakeup", label, all, true);
	print_pooled("the driver's share: edge -> observed", label, drv, false);
	for (int k = 0; k < 2; k++)
		for (int j = 0; j < 2; j++)
			g_array_unref(lat[k][j]);
	return status;
}

int bench_scale_run(const bench_opts *o)
{
	/* 1000 edges/s over the readers, each state held 10 ms at least. */
	double rate = 1000.0;
	storm_plan p = { .rate = rate,
			 .duration_ms = (unsigned)((double)o->scale_edges * 1000.0 / rate),
			 .min_hold_ms = 10, .bound_ms = 50.0, .target_p99_ms = 0.0 };
	g_autofree char *title = g_strdup_printf("Scale: about %d edges over the event-mode readers "
						 "(late > 50 ms)", o->scale_edges);
	return run(o, title, "bench-ev", false, &p, NULL);
}
