/* ccidlab — bench wakeup's verdict and figures (bench.h), from the event
 * checker's oracle: the same judge (check_judge) over the same recorded
 * run gives bench and check-events the same lost, late and phantom edges
 * and the same verdict.  What bench adds is its figures: the latency of
 * every (edge, client) the oracle saw caught, and its split into the
 * driver's share (edge -> observed, when the host saw the slot) and
 * pcscd's own (observed -> wakeup).  Pure: no I/O.
 */
#include "config.h"

#include <string.h>

#include "bench/bench.h"

static void add_ms(GArray *a, gint64 ns)
{
	double ms = (double)ns / 1e6;
	g_array_append_val(a, ms);
}

/* When the host first saw each stimulus edge of one slot: the first
 * observed edge of the same presence at or after it and before the next
 * one; 0 when it never did (a toggle too short for a poll to see).  The
 * driver's share of the edges it saw goes to f->driver. */
static void observed_times(GArray *edges, const check_slot *s, int si, GHashTable *seen,
			   bench_wakeup_figures *f)
{
	g_autoptr(GArray) chain = check_truth_slot_edges(edges, si, false, s->present0);
	g_autoptr(GArray) obs = g_array_new(FALSE, FALSE, sizeof(check_edge));
	for (guint i = 0; i < edges->len; i++) {
		const check_edge *o = &g_array_index(edges, check_edge, i);
		if (o->slot_index == si && o->source == CHECK_SRC_OBSERVED)
			g_array_append_val(obs, *o);
	}
	guint j = 0;
	for (guint k = 0; k < chain->len; k++) {
		const check_edge *e = &g_array_index(chain, check_edge, k);
		gint64 next = k + 1 < chain->len ? g_array_index(chain, check_edge, k + 1).ts_ns
						 : G_MAXINT64;
		gint64 at = 0;
		while (j < obs->len && g_array_index(obs, check_edge, j).ts_ns < e->ts_ns)
			j++;
		for (guint q = j; q < obs->len && at == 0; q++) {
			const check_edge *o = &g_array_index(obs, check_edge, q);
			if (o->ts_ns >= next)
				break;
			if (o->present == e->present)
				at = o->ts_ns;
		}
		bench_seen *v = g_new(bench_seen, 1);
		*v = (bench_seen){ .observed_ns = at, .present = e->present };
		g_hash_table_insert(seen, GSIZE_TO_POINTER((gsize)e->seq), v);
		if (at != 0)
			add_ms(f->driver, at - e->ts_ns);
	}
}

static void keep_worst(bench_wakeup_figures *f, const bench_worst *w)
{
	for (int i = 0; i < BENCH_N_WORST; i++)
		if (w->ms > f->worst[i].ms) {
			memmove(&f->worst[i + 1], &f->worst[i],
				sizeof f->worst[0] * (size_t)(BENCH_N_WORST - 1 - i));
			f->worst[i] = *w;
			return;
		}
}

/* The counts are the verdict's (libpcsclite clients, both modes): one
 * sum, check-events' own. */
static void counts(bench_wakeup_figures *f)
{
	f->lost = f->verdict.lost;
	f->late = f->verdict.late;
	f->phantom = f->verdict.phantom;
	f->errors = f->verdict.errors;
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
		f->edges += f->result.stimulus_edges[k];
}

void bench_wakeup_judge(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n,
			const check_checkpoints *cp, bench_wakeup_figures *f)
{
	/* check-events' own parameters, with its defaults: no legacy client. */
	check_judge_params p = check_judge_params_for(CHECK_BOUND_EVENT_MS, CHECK_BOUND_POLL_MS,
						      cp->t1_ns, false, false, false);
	p.oracle.keep_catches = true;
	g_autoptr(GHashTable) seen = g_hash_table_new_full(NULL, NULL, NULL, g_free);

	memset(f, 0, sizeof *f);
	f->lat = g_array_new(FALSE, FALSE, sizeof(double));
	f->driver = g_array_new(FALSE, FALSE, sizeof(double));
	f->pcscd = g_array_new(FALSE, FALSE, sizeof(double));
	check_judge(t, edges, mons, n, &p, cp, &f->result, &f->verdict);
	counts(f);
	for (unsigned si = 0; si < t->n_slots; si++)
		observed_times(edges, &t->slots[si], (int)si, seen, f);
	for (guint i = 0; i < f->result.catches->len; i++) {
		const check_catch *c = &g_array_index(f->result.catches, check_catch, i);
		const bench_seen *s = g_hash_table_lookup(seen, GSIZE_TO_POINTER((gsize)c->seq));
		gint64 at = s != NULL ? s->observed_ns : 0;
		f->delivered++;
		add_ms(f->lat, c->latency_ns);
		if (at != 0)
			add_ms(f->pcscd, c->edge_ns + c->latency_ns - at);
		bench_worst w = { .ms = (double)c->latency_ns / 1e6,
				  .observed_ms = at != 0 ? (double)(at - c->edge_ns) / 1e6 : -1.0,
				  .slot_index = c->slot_index, .monitor = c->monitor,
				  .present = s != NULL && s->present, .ts_ns = c->edge_ns };
		keep_worst(f, &w);
	}
}

void bench_wakeup_figures_clear(bench_wakeup_figures *f)
{
	g_clear_pointer(&f->lat, g_array_unref);
	g_clear_pointer(&f->driver, g_array_unref);
	g_clear_pointer(&f->pcscd, g_array_unref);
	check_result_clear(&f->result);
	check_verdict_clear(&f->verdict);
}
