/* ccidlab — `ccidlab bench wakeup-event|wakeup-poll|scale`: from a card
 * edge in the driver to the wakeup of every application thread.
 *
 * The run is the event checker's (src/check): its ground truth (the
 * driver's edge stream, on CLOCK_MONOTONIC), its monitors (N client
 * threads, each with its own context, in SCardGetStatusChange(INFINITE)
 * on all the readers, keeping the event counter), a seeded storm through
 * the control plane whose min_hold_ms keeps every state long enough for
 * pcscd to see it, the settling and the two counter checkpoints.  The
 * verdict is the checker's oracle over that run (bench_judge.c): bench
 * and check-events cannot disagree about lost, late or phantom wakeups.
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

#include "bench/bench.h"
#include "check/check_events.h"

#define CTL_TIMEOUT_MS 5000u
/* The bench's readers carry one slot each. */
#define MAX_READERS 16

/* Every client alike: what an application that follows all its readers
 * does (INFINITE, the counter kept, no PnP entry, no connection). */
static const check_kind client_kind = { CHECK_BACKEND_PCSCLITE, INFINITE, true, true, false,
					false };

typedef struct storm_plan {
	double rate;
	unsigned duration_ms;
	unsigned min_hold_ms;
	double target_p99_ms;	/* 0: none */
} storm_plan;

static void print_dist(const char *what, GArray *a)
{
	double *v = (double *)(void *)a->data;
	bench_sort(v, a->len);
	printf("    %-34s p50 %8.3f ms  p90 %8.3f  p99 %8.3f  max %8.3f  (n=%u)\n", what,
	       bench_quantile(v, a->len, 0.5), bench_quantile(v, a->len, 0.9),
	       bench_quantile(v, a->len, 0.99), a->len ? v[a->len - 1] : 0.0, a->len);
}

static void print_verdict(const check_verdict *v)
{
	printf("    delivery (check-events' oracle): %s", v->pass ? "PASS" : "FAIL");
	for (guint i = 0; i < v->reasons->len; i++)
		printf("%s%s", i ? "; " : ": ", (const char *)g_ptr_array_index(v->reasons, i));
	printf("\n");
}

static void report(const check_truth *t, bool poll, const storm_plan *p, bench_wakeup_figures *f)
{
	double bound = poll ? CHECK_BOUND_POLL_MS : CHECK_BOUND_EVENT_MS;
	printf("  storm: %" G_GUINT64_FORMAT " edges (%.0f/s for %u ms, hold >= %u ms), %" G_GUINT64_FORMAT
	       " lost by the stream\n",
	       f->edges, p->rate, p->duration_ms, p->min_hold_ms, t->lost);
	print_dist("edge -> wakeup (all)", f->lat);
	print_dist(poll ? "  poll wait: edge -> observed" : "  driver: edge -> observed", f->driver);
	print_dist("  pcscd: observed -> wakeup (base)", f->pcscd);
	double *lat = (double *)(void *)f->lat->data, *pc = (double *)(void *)f->pcscd->data;
	double p99 = bench_quantile(lat, f->lat->len, 0.99);
	double p50 = bench_quantile(lat, f->lat->len, 0.5);
	double b99 = bench_quantile(pc, f->pcscd->len, 0.99);
	double b50 = bench_quantile(pc, f->pcscd->len, 0.5);
	printf("    ratio to pcscd's own share (observed -> wakeup): p50 %.2fx, p99 %.2fx\n",
	       b50 > 0 ? p50 / b50 : 0.0, b99 > 0 ? p99 / b99 : 0.0);
	if (poll)
		/* pcscd asks every 400 ms (PCSCLITE_STATUS_POLL_RATE): the wait
		 * for its next look is its design, not the driver's cost. */
		printf("    ratio to pcscd's poll period (400 ms): p50 %.2fx, p99 %.2fx\n", p50 / 400.0,
		       p99 / 400.0);
	printf("    per (edge, client): %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT
	       " lost, %" G_GUINT64_FORMAT " late (> %.0f ms), %" G_GUINT64_FORMAT
	       " phantom, %" G_GUINT64_FORMAT " client errors\n",
	       f->delivered, f->lost, f->late, bound, f->phantom, f->errors);
	for (int i = 0; i < BENCH_N_WORST && f->worst[i].ms > 0.0; i++) {
		const bench_worst *x = &f->worst[i];
		printf("    worst %d: %.3f ms, %s %s at t=%.6f s, client %u; observed after %.3f ms, "
		       "then pcscd %.3f ms\n", i + 1, x->ms, t->slots[x->slot_index].driver_name,
		       x->present ? "insert" : "remove", (double)x->ts_ns / 1e9, x->monitor,
		       x->observed_ms, x->observed_ms >= 0 ? x->ms - x->observed_ms : 0.0);
	}
	print_verdict(&f->verdict);
	if (p->target_p99_ms > 0)
		printf("    target p99 <= %g ms: %s (p99 %.3f ms)\n", p->target_p99_ms,
		       bench_verdict(f->lat->len > 0 && f->lost == 0 && p99 <= p->target_p99_ms), p99);
	else
		printf("    target 0 lost and 0 late: %s\n",
		       bench_verdict(f->lat->len > 0 && f->verdict.pass));
}

/* The storm on the truth's slots, through the control plane, to its end. */
static bool storm(const bench_opts *o, const char *path, const check_truth *t,
		  const storm_plan *p)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(ctl_client) c = ctl_client_connect(path, CTL_TIMEOUT_MS, &err);
	check_stimuli st = { .storm_rate = p->rate, .duration_s = p->duration_ms / 1000.0,
			     .seed = o->seed, .min_hold_ms = p->min_hold_ms, .widener_index = -1,
			     .card = "readertest,t1" };
	if (c == NULL || !check_stimuli_run(c, t, &st, true, &err)) {
		fprintf(stderr, "ccidlab bench: storm: %s\n", err->message);
		return false;
	}
	return true;
}

/* One storm on the readers PREFIX*, its figures printed; every edge ->
 * wakeup latency (ms) is also added to collect[0], and every edge ->
 * observed (the driver's share) to collect[1], when collect is not NULL.
 * join_by_name: the socket is the usbsim shim's, whose reader numbers are
 * not pcscd's. */
static int run(const bench_opts *o, const char *title, const char *prefix, bool poll,
	       const storm_plan *p, GArray **collect)
{
	check_truth t = { .only_prefix = prefix, .join_by_name = true };
	check_monitor *mons[64] = { 0 };
	unsigned n = 0;
	check_checkpoints cp = { 0 };
	g_autoptr(GError) err = NULL;
	/* Before the first goto: a jump past an autoptr's initialisation
	 * would free whatever its stack slot held. */
	g_autoptr(GArray) edges = NULL;
	g_autoptr(ctl_client) lc = NULL;	/* the checkpoints' folded edges */
	int status = 1;
	const char *path = g_getenv("CCIDLAB_CTL_SOCKET");

	printf("\n== %s\n", title);
	if (o->record != NULL)
		t.stream = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	if (path == NULL)
		path = "/run/pcscd/ccidlab.sock";
	if (!check_truth_start(&t, path, CTL_TIMEOUT_MS, &err)) {
		fprintf(stderr, "ccidlab bench: readers %s* (see --write-conf): %s\n", prefix,
			err->message);
		goto out;
	}
	lc = ctl_client_connect(path, CTL_TIMEOUT_MS, NULL);
	printf("  %u readers %s*, %d client threads in SCardGetStatusChange(INFINITE) on all of "
	       "them\n", t.n_slots, prefix, o->clients);
	for (int i = 0; i < o->clients && n < G_N_ELEMENTS(mons); i++) {
		check_monitor *m = check_monitor_start((unsigned)i, &client_kind, &t, 0, NULL, &err);
		if (m == NULL) {
			fprintf(stderr, "ccidlab bench: client %d: %s\n", i, err->message);
			goto out;
		}
		mons[n++] = m;
	}
	/* Each client has looked once before the first edge: its counters
	 * start from there. */
	if (!check_wait_first_answers(mons, n, 10000)) {
		fprintf(stderr, "ccidlab bench: a client got no first answer from pcscd in 10 s\n");
		goto out;
	}
	bool have_c0 = check_read_counters(&t, cp.c0) &&
		       check_read_folded(lc, &t, CTL_TIMEOUT_MS, cp.f0);
	cp.t0_ns = check_now_ns();
	if (!storm(o, path, &t, p))
		goto out;
	check_settle(&t, mons, n, 1000 * 1000000LL, (unsigned)(CHECK_LOST_NS / 1000000) + 700);
	cp.t1_ns = check_now_ns();
	cp.counters_read = check_read_counters(&t, cp.c1) &&
			   check_read_folded(lc, &t, CTL_TIMEOUT_MS, cp.f1) && have_c0;
	check_stop_monitors(mons, n);
	for (unsigned i = 0; i < n; i++)
		if (mons[i]->stuck)
			goto out;	/* its records are still moving: no figures */
	check_truth_stop(&t);
	edges = check_truth_snapshot(&t);
	bench_wakeup_figures f;
	bench_wakeup_judge(&t, edges, mons, n, &cp, &f);
	report(&t, poll, p, &f);
	if (o->record != NULL && !check_record_write(o->record, &t, mons, n, &cp, &err))
		fprintf(stderr, "ccidlab bench: --record: %s\n", err->message);
	if (collect != NULL) {
		g_array_append_vals(collect[0], f.lat->data, f.lat->len);
		g_array_append_vals(collect[1], f.driver->data, f.driver->len);
	}
	bench_wakeup_figures_clear(&f);
	status = 0;
out:
	check_stop_monitors(mons, n);
	for (unsigned i = 0; i < n; i++)
		check_monitor_free(mons[i]);
	check_truth_clear(&t);
	return status;
}

int bench_wakeup_run(const bench_opts *o, bool poll)
{
	if (poll) {
		/* Each state held 1 s (> pcscd's 400 ms period), so every edge is
		 * one pcscd can see. */
		storm_plan p = { .rate = 12.0, .duration_ms = (unsigned)o->poll_seconds * 1000,
				 .min_hold_ms = 1000, .target_p99_ms = 450.0 };
		return run(o, "Edge to wakeup, polling-only mode (generic-short-poll; late > 450 ms)",
			   "bench-pl", true, &p, NULL);
	}
	storm_plan p = { .rate = 300.0, .duration_ms = (unsigned)o->wakeup_seconds * 1000,
			 .min_hold_ms = 20, .target_p99_ms = 1.0 };
	return run(o, "Edge to wakeup, event mode (generic-apdu-irq; late > 50 ms)", "bench-ev",
		   false, &p, NULL);
}

/* Debian's libccid on usbsim (issue 8): the same storm on 16
 * generic-apdu-irq devices of the shim, whose control socket serves the
 * edge stream; libccid reads NotifySlotChange on the interrupt pipe. */
int bench_wakeup_libccid_run(const bench_opts *o)
{
	storm_plan p = { .rate = 300.0, .duration_ms = (unsigned)o->wakeup_seconds * 1000,
			 .min_hold_ms = 20, .target_p99_ms = 0.0 };
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
			 .min_hold_ms = 20, .target_p99_ms = 0.0 };
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
			 .min_hold_ms = 10, .target_p99_ms = 0.0 };
	g_autofree char *title = g_strdup_printf("Scale: about %d edges over the event-mode readers "
						 "(late > 50 ms)", o->scale_edges);
	return run(o, title, "bench-ev", false, &p, NULL);
}
