/* ccidlab — one event-delivery oracle: bench wakeup and check-events
 * judge the same recorded run alike.
 *
 * The runs are real ones, recorded in a lab with --record
 * (tests/data/check/): a `ccidlab bench wakeup-event` (3 readers, 2
 * clients, 300 edges/s for 1 s) and a `ccidlab check-events` (2 event-mode
 * and 1 polling-only reader, 4 clients of mixed kinds, 8 edges/s).  Each
 * is replayed through check-events' verdict path (check_judge with its
 * parameters) and bench wakeup's (bench_wakeup_judge), as recorded and
 * with faults written into it: a client that stops waking (lost), a
 * wakeup that comes late, a wakeup that shows a card that never came
 * (phantom), an edge stream that dropped edges.  Both must give the same
 * verdict and the same counts every time, and bench's own figures must
 * add up to them.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "bench/bench.h"
#include "check/check_events.h"

#define MS (1000000LL)

typedef struct fixture {
	check_replay r;
} fixture;

static void load(fixture *f, const char *name)
{
	g_autofree char *path = g_build_filename(g_getenv("CCIDLAB_DATA"), "check", name, NULL);
	g_autoptr(GError) err = NULL;
	g_assert_true(check_record_read(path, &f->r, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(f->r.truth.n_slots, >, 0);
	g_assert_cmpuint(f->r.n_mons, >, 0);
	g_assert_cmpuint(f->r.edges->len, >, 0);
}

static void setup_bench(fixture *f, gconstpointer data)
{
	load(f, "bench-wakeup-event.jsonl");
}

static void setup_check(fixture *f, gconstpointer data)
{
	load(f, "check-events-mixed.jsonl");
}

static void teardown(fixture *f, gconstpointer data)
{
	check_replay_clear(&f->r);
}

/* Judges the replay both ways and asserts that they agree; returns
 * check-events' verdict (caller clears). */
static check_verdict judge_both(fixture *f)
{
	check_replay *r = &f->r;
	g_autoptr(GArray) edges = check_truth_snapshot(&r->truth);
	check_judge_params p = check_judge_params_for(CHECK_BOUND_EVENT_MS, CHECK_BOUND_POLL_MS,
						      r->cp.t1_ns, false, false, false);
	check_result cr = { 0 };
	check_verdict cv = { 0 };
	check_judge(&r->truth, edges, r->mons, r->n_mons, &p, &r->cp, &cr, &cv);

	bench_wakeup_figures bf;
	bench_wakeup_judge(&r->truth, edges, r->mons, r->n_mons, &r->cp, &bf);

	g_assert_cmpint(bf.verdict.pass, ==, cv.pass);
	g_assert_cmpuint(bf.verdict.lost, ==, cv.lost);
	g_assert_cmpuint(bf.verdict.late, ==, cv.late);
	g_assert_cmpuint(bf.verdict.phantom, ==, cv.phantom);
	g_assert_cmpuint(bf.verdict.errors, ==, cv.errors);
	g_assert_cmpuint(bf.verdict.false_pnp, ==, cv.false_pnp);
	g_assert_cmpint(bf.verdict.counter_ok, ==, cv.counter_ok);
	g_assert_cmpuint(bf.verdict.reasons->len, ==, cv.reasons->len);
	for (guint i = 0; i < cv.reasons->len; i++)
		g_assert_cmpstr(g_ptr_array_index(bf.verdict.reasons, i), ==,
				g_ptr_array_index(cv.reasons, i));
	/* bench's figures are the oracle's counts, not a second opinion. */
	g_assert_cmpuint(bf.lost, ==, cv.lost);
	g_assert_cmpuint(bf.late, ==, cv.late);
	g_assert_cmpuint(bf.phantom, ==, cv.phantom);
	g_assert_cmpuint(bf.delivered, ==, bf.lat->len);
	guint64 judged = 0, caught = 0;
	for (guint i = 0; i < cr.groups->len; i++) {
		const check_group *g = g_ptr_array_index(cr.groups, i);
		for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
			judged += g->mode[k].edges;
			caught += g->mode[k].latency_ns->len;
		}
	}
	g_assert_cmpuint(bf.delivered, ==, caught);
	g_assert_cmpuint(bf.delivered, <=, judged);
	g_assert_cmpuint(bf.driver->len, <=, bf.edges);
	bench_wakeup_figures_clear(&bf);
	check_result_clear(&cr);
	return cv;
}

static void test_recorded_run_agrees(fixture *f, gconstpointer data)
{
	check_verdict v = judge_both(f);
	/* Recorded on an idle lab: nothing lost, nothing phantom. */
	g_assert_cmpuint(v.lost, ==, 0);
	g_assert_cmpuint(v.phantom, ==, 0);
	check_verdict_clear(&v);
}

/* The first monitor that watches slot 0 of the truth, and its entry. */
static check_monitor *watcher(fixture *f, unsigned *entry)
{
	for (unsigned i = 0; i < f->r.n_mons; i++) {
		check_monitor *m = f->r.mons[i];
		for (unsigned e = 0; e < m->n; e++)
			if (m->slot_of[e] == 0 && m->kind.backend == CHECK_BACKEND_PCSCLITE) {
				*entry = e;
				return m;
			}
	}
	g_assert_not_reached();
	return NULL;
}

/* The first stimulus edge of slot 0 after the first checkpoint. */
static const check_edge *first_edge(fixture *f)
{
	for (guint i = 0; i < f->r.edges->len; i++) {
		const check_edge *e = &g_array_index(f->r.edges, check_edge, i);
		if (e->slot_index == 0 && e->source == CHECK_SRC_STIMULUS && e->ts_ns > f->r.cp.t0_ns)
			return e;
	}
	g_assert_not_reached();
	return NULL;
}

/* A client that stops waking at the first edge, and a run observed 10 s
 * longer: its last state stayed stable over 5 s uncaught, lost. */
static void test_a_client_that_stops_waking_is_lost_for_both(fixture *f, gconstpointer data)
{
	unsigned entry;
	check_monitor *m = watcher(f, &entry);
	gint64 at = first_edge(f)->ts_ns;
	guint keep = 0;
	while (keep < m->wakeups->len && g_array_index(m->wakeups, check_wakeup, keep).ts_ns < at)
		keep++;
	g_array_set_size(m->wakeups, keep);
	f->r.cp.t1_ns += 10000 * MS;
	f->r.cp.counters_read = false;
	check_verdict v = judge_both(f);
	g_assert_false(v.pass);
	g_assert_cmpuint(v.lost, >, 0);
	check_verdict_clear(&v);
}

/* The last edge of slot 0 (a presence flip), which the run then left
 * alone until its end. */
static gint64 last_edge_ns(fixture *f)
{
	g_autoptr(GArray) chain = check_truth_slot_edges(f->r.edges, 0, false,
							 f->r.truth.slots[0].present0);
	g_assert_cmpuint(chain->len, >, 0);
	return g_array_index(chain, check_edge, chain->len - 1).ts_ns;
}

/* One client wakes 200 ms late for the last edge (a storm's earlier
 * edges would be superseded by their successors, not late). */
static void test_a_late_wakeup_is_late_for_both(fixture *f, gconstpointer data)
{
	unsigned entry;
	check_monitor *m = watcher(f, &entry);
	gint64 at = last_edge_ns(f);
	for (guint w = 0; w < m->wakeups->len; w++) {
		check_wakeup *wk = &g_array_index(m->wakeups, check_wakeup, w);
		if (wk->ts_ns >= at) {
			wk->ts_ns += 200 * MS;
			if (wk->call_ns >= at)
				wk->call_ns += 200 * MS;
		}
	}
	check_verdict v = judge_both(f);
	g_assert_false(v.pass);
	g_assert_cmpuint(v.late, >, 0);
	check_verdict_clear(&v);
}

/* A return that still shows the old state well after the last edge (a
 * loaded pcscd observes late and answers with the state of then), then
 * the catch-up: the edge is late, and the counter's move at the catch-up
 * is that edge's, not a phantom (seen in make demo at load 16-21 on 2
 * cores, where every phantom was such a catch-up). */
static void test_a_stale_return_then_its_catch_up_is_late_not_phantom(fixture *f,
								     gconstpointer data)
{
	unsigned entry;
	check_monitor *m = watcher(f, &entry);
	gint64 at = last_edge_ns(f);
	guint b = 0;
	while (b < m->wakeups->len && g_array_index(m->wakeups, check_wakeup, b).ts_ns < at)
		b++;
	g_assert_cmpuint(b, >, 0);
	g_assert_cmpuint(b, <, m->wakeups->len);
	/* The return before the edge, again 100 ms after it: the old state
	 * and the old counter. */
	check_wakeup stale = g_array_index(m->wakeups, check_wakeup, b - 1);
	stale.call_ns = at + 100 * MS;
	stale.ts_ns = at + 150 * MS;
	for (guint w = b; w < m->wakeups->len; w++) {
		check_wakeup *wk = &g_array_index(m->wakeups, check_wakeup, w);
		wk->call_ns = w == b ? stale.ts_ns : wk->call_ns + 200 * MS;
		wk->ts_ns += 200 * MS;
	}
	g_array_insert_val(m->wakeups, b, stale);
	check_verdict v = judge_both(f);
	g_assert_cmpuint(v.phantom, ==, 0);
	g_assert_cmpuint(v.late, >, 0);
	check_verdict_clear(&v);
}

/* A return that shows the slot's card gone before it ever came. */
static void test_a_phantom_is_a_phantom_for_both(fixture *f, gconstpointer data)
{
	unsigned entry;
	check_monitor *m = watcher(f, &entry);
	g_assert_cmpuint(m->wakeups->len, >, 1);
	const check_wakeup *first = &g_array_index(m->wakeups, check_wakeup, 0);
	DWORD *st = &g_array_index(m->states, DWORD, first->first + entry);
	bool present = (*st & SCARD_STATE_PRESENT) != 0;
	*st = (*st & ~(DWORD)(SCARD_STATE_PRESENT | SCARD_STATE_EMPTY)) |
	      (present ? SCARD_STATE_EMPTY : SCARD_STATE_PRESENT);
	check_verdict v = judge_both(f);
	g_assert_false(v.pass);
	g_assert_cmpuint(v.phantom, >, 0);
	check_verdict_clear(&v);
}

/* A stream that dropped edges leaves no ground truth: a FAIL for both. */
static void test_a_stream_that_dropped_edges_fails_both(fixture *f, gconstpointer data)
{
	f->r.truth.lost = 3;
	check_verdict v = judge_both(f);
	g_assert_false(v.pass);
	check_verdict_clear(&v);
}

/* Written back and read again, a run is the same run. */
static void test_a_run_written_back_reads_the_same(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_dir_make_tmp("ccidlab-record.XXXXXX", &err);
	g_assert_no_error(err);
	g_autofree char *path = g_build_filename(dir, "again.jsonl", NULL);
	g_assert_true(check_record_write(path, &f->r.truth, f->r.mons, f->r.n_mons, &f->r.cp,
					 &err));
	g_assert_no_error(err);
	check_replay again;
	g_assert_true(check_record_read(path, &again, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(again.truth.n_slots, ==, f->r.truth.n_slots);
	g_assert_cmpmem(again.edges->data, again.edges->len * sizeof(check_edge), f->r.edges->data,
			f->r.edges->len * sizeof(check_edge));
	g_assert_cmpuint(again.n_mons, ==, f->r.n_mons);
	for (unsigned i = 0; i < again.n_mons; i++) {
		g_assert_cmpuint(again.mons[i]->wakeups->len, ==, f->r.mons[i]->wakeups->len);
		g_assert_cmpmem(again.mons[i]->states->data,
				again.mons[i]->states->len * sizeof(DWORD), f->r.mons[i]->states->data,
				f->r.mons[i]->states->len * sizeof(DWORD));
	}
	g_assert_cmpmem(&again.cp, sizeof again.cp, &f->r.cp, sizeof f->r.cp);
	check_replay_clear(&again);
	g_unlink(path);
	g_rmdir(dir);
}

/* Bad input gets a clear error naming its line, and no crash. */
static void test_a_malformed_record_names_its_line(void)
{
	static const struct { const char *text; const char *says; } bad[] = {
		{ "{\"check-record\":1,\"start_ns\":1,\"list_seq\":0,\"n_declared\":1,"
		  "\"stream_error\":null}\nnot json\n", ":2: not a JSON object" },
		{ "{\"wakeup\":{\"monitor\":3,\"call_ns\":1,\"ts_ns\":2,\"rv\":0,\"states\":[0]}}\n",
		  ":1: a monitor's record before its \"monitor\" line" },
		{ "{\"slot\":{\"reader\":0,\"slot\":0,\"driver\":\"a\",\"pcsc\":\"a 00 00\"}}\n"
		  "{\"v\":1,\"event\":\"edge\",\"seq\":0}\n", ":2: a \"edge\" stream line whose" },
		{ "{\"slot\":{\"reader\":0,\"slot\":0,\"driver\":\"a\",\"pcsc\":\"a 00 00\"}}\n",
		  "not a whole run" },
		{ "{\"slot\":{\"reader\":0,\"slot\":0,\"driver\":\"a\",\"pcsc\":\"a 00 00\"}}\n"
		  "{\"monitor\":{\"id\":0,\"timeout_ms\":0,\"entries\":[5],\"names\":[\"a\"]}}\n",
		  ":2: a monitor entry names no slot" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		check_replay r;
		GError *err = NULL;
		g_assert_false(check_record_parse(bad[i].text, strlen(bad[i].text), "bad.jsonl", &r,
						  &err));
		g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		if (strstr(err->message, bad[i].says) == NULL)
			g_error("\"%s\" does not say \"%s\"", err->message, bad[i].says);
		g_error_free(err);
		check_replay_clear(&r);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	static const struct {
		const char *run;
		void (*setup)(fixture *, gconstpointer);
	} runs[] = {
		{ "bench-wakeup", setup_bench },
		{ "check-events", setup_check },
	};
	static const struct {
		const char *what;
		void (*fn)(fixture *, gconstpointer);
	} cases[] = {
		{ "recorded-run-gets-the-same-verdict-from-bench-and-check-events",
		  test_recorded_run_agrees },
		{ "a-client-that-stops-waking-is-lost-for-both",
		  test_a_client_that_stops_waking_is_lost_for_both },
		{ "a-late-wakeup-is-late-for-both", test_a_late_wakeup_is_late_for_both },
		{ "a-phantom-is-a-phantom-for-both", test_a_phantom_is_a_phantom_for_both },
		{ "a-stale-return-then-its-catch-up-is-late-not-phantom",
		  test_a_stale_return_then_its_catch_up_is_late_not_phantom },
		{ "a-stream-that-dropped-edges-fails-both",
		  test_a_stream_that_dropped_edges_fails_both },
		{ "a-run-written-back-reads-the-same", test_a_run_written_back_reads_the_same },
	};
	for (size_t r = 0; r < G_N_ELEMENTS(runs); r++)
		for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
			g_autofree char *path = g_strdup_printf("/oracle/%s/%s", runs[r].run,
								cases[c].what);
			g_test_add(path, fixture, NULL, runs[r].setup, cases[c].fn, teardown);
		}
	g_test_add_func("/oracle/record/a-malformed-record-names-its-line",
			test_a_malformed_record_names_its_line);
	return g_test_run();
}
