/* ccidlab — check-events: the oracle.  Judges every stimulus edge for
 * every client that watches its slot, from the edge's timestamp and the
 * client's wakeups, and checks pcscd's event counters.
 *
 * Per (client, slot), with the slot's presence flips e_i at t_i (the next
 * one at t_{i+1}; "present" and "mute" are both present to pcscd):
 *  - caught: a successful return in [t_i, t_{i+1}) shows the new state;
 *    latency = that return's time - t_i.  A return at or after t_{i+1}
 *    shows "a later state", and that edge is judged on its own.
 *  - already known: the client's last report before t_i was already the
 *    new state (the toggle before was too short for pcscd to see):
 *    nothing to deliver, counted as superseded.
 *  - lost: not caught while the state stayed stable for 5 s after t_i
 *    (caught later only because another wakeup came, or never: the run
 *    waits for that).
 *  - superseded: not caught, and the state lasted no longer than the
 *    bound: no wakeup was owed (sub-period toggles in poll mode).
 *  - late: caught after the bound, or not caught while the state lasted
 *    longer than the bound (but under 5 s).
 *  - unresolved: the run ended less than 5 s after an uncaught edge.
 * A phantom is a return whose presence differs from the previous one
 * while the slot never had that presence from the previous return (less
 * the bound: pcscd's view may be that old) to this one; or an event
 * counter that moved with no edge in that window; or a PnP entry that
 * changed although no reader came or went (a "false PnP change", kept
 * apart from the phantoms).
 */
#include "config.h"

#include <string.h>

#include "check/check_events.h"

typedef struct report {
	gint64 call_ns, ts_ns;
	bool present;
	guint16 counter;
} report;

static check_group *group_for(check_result *out, const check_monitor *m)
{
	for (guint i = 0; i < out->groups->len; i++) {
		check_group *g = g_ptr_array_index(out->groups, i);
		if (strcmp(g->kind, m->label) == 0)
			return g;
	}
	check_group *g = g_new0(check_group, 1);
	g->kind = g_strdup(m->label);
	g->legacy = m->kind.backend == CHECK_BACKEND_LEGACY;
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
		g->mode[k].latency_ns = g_array_new(FALSE, FALSE, sizeof(gint64));
	g->errors = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_ptr_array_add(out->groups, g);
	return g;
}

static void group_free(gpointer p)
{
	check_group *g = p;
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
		g_array_unref(g->mode[k].latency_ns);
	g_hash_table_unref(g->errors);
	g_free(g->kind);
	g_free(g);
}

static void add_case(check_result *out, unsigned mon, int slot, const char *what, gint64 edge_ns,
		     gint64 latency_ns, guint64 seq)
{
	check_case c = { .monitor = mon, .slot_index = slot, .what = what, .edge_ns = edge_ns,
			 .latency_ns = latency_ns, .seq = seq };
	g_array_append_val(out->cases, c);
}

/* The successful returns of monitor entry i, in time order. */
static GArray *reports_of(check_monitor *m, unsigned entry)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(report));
	for (guint w = 0; w < m->wakeups->len; w++) {
		const check_wakeup *wk = &g_array_index(m->wakeups, check_wakeup, w);
		if (wk->rv != SCARD_S_SUCCESS)
			continue;
		DWORD st = g_array_index(m->states, DWORD, wk->first + entry);
		report r = { .call_ns = wk->call_ns, .ts_ns = wk->ts_ns,
			     .present = (st & SCARD_STATE_PRESENT) != 0, .counter = (guint16)(st >> 16) };
		g_array_append_val(a, r);
	}
	return a;
}

/* Truth presence of a slot at time ts. */
static bool truth_at(const GArray *chain, bool present0, gint64 ts)
{
	bool p = present0;
	for (guint i = 0; i < chain->len; i++) {
		const check_edge *e = &g_array_index(chain, check_edge, i);
		if (e->ts_ns > ts)
			break;
		p = e->present;
	}
	return p;
}

/* Did the slot have presence p at any time in [from, to]? */
static bool truth_had(const GArray *chain, bool present0, gint64 from, gint64 to, bool p)
{
	if (truth_at(chain, present0, from) == p)
		return true;
	for (guint i = 0; i < chain->len; i++) {
		const check_edge *e = &g_array_index(chain, check_edge, i);
		if (e->ts_ns > from && e->ts_ns <= to && e->present == p)
			return true;
	}
	return false;
}

/* Did the truth differ from what return r showed a bound before its call
 * already?  Then r was stale (a loaded pcscd observes late and answers
 * with the state of then): an edge was pending, and the next counter move
 * is that edge's (judged late above), not a phantom. */
static bool was_stale(const GArray *chain, bool present0, const report *r, gint64 bound)
{
	return truth_at(chain, present0, r->call_ns - bound) != r->present;
}

static unsigned edges_between(const GArray *all, int slot, gint64 from, gint64 to)
{
	unsigned n = 0;
	for (guint i = 0; i < all->len; i++) {
		const check_edge *e = &g_array_index(all, check_edge, i);
		if (e->slot_index == slot && e->source == CHECK_SRC_STIMULUS && e->ts_ns > from &&
		    e->ts_ns <= to)
			n++;
	}
	return n;
}

static void judge_entry(const check_truth *t, GArray *edges, check_monitor *m, unsigned entry,
			const check_oracle_params *p, check_group *g, check_result *out)
{
	int si = m->slot_of[entry];
	const check_slot *slot = &t->slots[si];
	check_stats *st = &g->mode[slot->mode];
	gint64 bound = p->bound_ns[slot->mode];
	/* A client that lists the mute card sleeps in its comparison loop
	 * once per pass, and may pass twice before it reports. */
	if (m->watches_widened)
		bound += 2 * CHECK_WIDENER_SLEEP_NS;
	g_autoptr(GArray) chain = check_truth_slot_edges(edges, si, false, slot->present0);
	g_autoptr(GArray) reps = reports_of(m, entry);
	if (reps->len == 0)
		return;
	gint64 watching = g_array_index(reps, report, 0).call_ns;

	guint r = 0; /* first report at or after t_i */
	for (guint i = 0; i < chain->len; i++) {
		const check_edge *e = &g_array_index(chain, check_edge, i);
		if (e->ts_ns < watching)
			continue;
		gint64 next = i + 1 < chain->len ? g_array_index(chain, check_edge, i + 1).ts_ns
						 : G_MAXINT64;
		while (r < reps->len && g_array_index(reps, report, r).ts_ns < e->ts_ns)
			r++;
		if (r > 0 && g_array_index(reps, report, r - 1).present == e->present) {
			st->superseded++;
			continue;
		}
		gint64 caught = -1;
		for (guint k = r; k < reps->len; k++) {
			const report *rp = &g_array_index(reps, report, k);
			if (rp->ts_ns >= next)
				break;
			if (rp->present == e->present) {
				caught = rp->ts_ns;
				break;
			}
		}
		gint64 lasted = (next == G_MAXINT64 ? p->end_ns : next) - e->ts_ns;
		if (caught >= 0) {
			gint64 lat = caught - e->ts_ns;
			st->edges++;
			g_array_append_val(st->latency_ns, lat);
			if (out->catches != NULL) {
				check_catch k = { .monitor = m->id, .slot_index = si, .seq = e->seq,
						  .edge_ns = e->ts_ns, .latency_ns = lat };
				g_array_append_val(out->catches, k);
			}
			if (lat >= CHECK_LOST_NS) {
				/* Caught only after the state had stayed stable for
				 * 5 s (some later wakeup rescued it): lost, as the
				 * 2018 race loses an event until the next one. */
				st->lost++;
				add_case(out, m->id, si, "lost", e->ts_ns, lat, e->seq);
			} else if (lat > bound) {
				st->late++;
				add_case(out, m->id, si, "late", e->ts_ns, lat, e->seq);
			}
		} else if (lasted >= CHECK_LOST_NS) {
			st->edges++;
			st->lost++;
			add_case(out, m->id, si, "lost", e->ts_ns, -1, e->seq);
		} else if (next == G_MAXINT64) {
			st->unresolved++;
		} else if (lasted > bound) {
			st->edges++;
			st->late++;
			add_case(out, m->id, si, "late", e->ts_ns, -1, e->seq);
		} else {
			st->superseded++;
		}
	}

	/* Phantoms. */
	for (guint k = 0; k < reps->len; k++) {
		const report *cur = &g_array_index(reps, report, k);
		gint64 from = k == 0 ? cur->call_ns - bound
				     : g_array_index(reps, report, k - 1).ts_ns - bound;
		bool changed = k == 0 || g_array_index(reps, report, k - 1).present != cur->present;
		if (changed && !truth_had(chain, slot->present0, from, cur->ts_ns, cur->present)) {
			st->phantom++;
			add_case(out, m->id, si, "phantom", cur->ts_ns, -1, 0);
		} else if (k > 0 && cur->counter != g_array_index(reps, report, k - 1).counter &&
			   cur->counter != 0 &&
			   !was_stale(chain, slot->present0, &g_array_index(reps, report, k - 1),
				      bound) &&
			   edges_between(edges, si,
					 g_array_index(reps, report, k - 1).call_ns - bound,
					 cur->ts_ns) == 0) {
			/* The counter the previous return showed may be as old as
			 * that call's start (a loaded pcscd wakes it late, with the
			 * state of then), hence the wider window. */
			/* 0 is a wrap or a reset, not an edge. */
			st->phantom++;
			add_case(out, m->id, si, "phantom-counter", cur->ts_ns, -1, 0);
		}
	}
}

static bool same_names(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	guint n = g_strv_length(a);
	if (n != g_strv_length(b))
		return false;
	for (guint i = 0; i < n; i++)
		if (!g_strv_contains((const char *const *)b, a[i]))
			return false;
	return true;
}

/* The monitor's listing nearest to ts: the last one that ended before it
 * (after: the first one that started after it); NULL: none. */
static char **listing_near(const check_monitor *m, gint64 ts, bool after)
{
	char **found = NULL;
	for (guint i = 0; m->listings != NULL && i < m->listings->len; i++) {
		const check_listing *l = &g_array_index(m->listings, check_listing, i);
		if (l->rv != SCARD_S_SUCCESS)
			continue;
		if (!after && l->ts_ns <= ts)
			found = l->names;
		if (after && l->call_ns >= ts)
			return l->names;
	}
	return found;
}

/* A change on the PnP entry is owed only when the reader list changed:
 * the monitor lists the readers after each one, so compare that listing
 * with the one before (or the run's first).  A lab's reader set is fixed,
 * so with no listing after it the change is false too. */
static void judge_pnp(const check_truth *t, check_monitor *m, unsigned entry, check_group *g,
		      check_result *out)
{
	bool first = true;
	for (guint w = 0; w < m->wakeups->len; w++) {
		const check_wakeup *wk = &g_array_index(m->wakeups, check_wakeup, w);
		if (wk->rv != SCARD_S_SUCCESS)
			continue;
		DWORD st = g_array_index(m->states, DWORD, wk->first + entry);
		/* The first call starts from UNAWARE and reports a change. */
		if (!first && (st & SCARD_STATE_CHANGED) != 0) {
			char **before = listing_near(m, wk->call_ns, false);
			char **after = listing_near(m, wk->ts_ns, true);
			if (before == NULL)
				before = t->listed0;
			if (after == NULL || before == NULL || same_names(before, after)) {
				g->false_pnp++;
				add_case(out, m->id, -1, CHECK_CASE_FALSE_PNP, wk->ts_ns, -1, 0);
			}
		}
		first = false;
	}
}

/* The earliest case of each kind among the libpcsclite monitors, before
 * the list is cut to the worst ones. */
static void keep_firsts(check_monitor **mons, unsigned n_mons, check_result *out)
{
	out->firsts = g_array_new(FALSE, FALSE, sizeof(check_case));
	for (guint i = 0; i < out->cases->len; i++) {
		const check_case *c = &g_array_index(out->cases, check_case, i);
		bool legacy = false;
		for (unsigned k = 0; k < n_mons; k++)
			if (mons[k]->id == c->monitor)
				legacy = mons[k]->kind.backend == CHECK_BACKEND_LEGACY;
		if (legacy)
			continue;
		guint f = 0;
		while (f < out->firsts->len &&
		       strcmp(g_array_index(out->firsts, check_case, f).what, c->what) != 0)
			f++;
		if (f == out->firsts->len)
			g_array_append_val(out->firsts, *c);
		else if (c->edge_ns < g_array_index(out->firsts, check_case, f).edge_ns)
			g_array_index(out->firsts, check_case, f) = *c;
	}
}

static gint compare_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static gint compare_case(gconstpointer a, gconstpointer b)
{
	const check_case *x = a, *y = b;
	/* lost first (caught late or never), then phantoms, then by latency,
	 * largest first. */
	int rx = strcmp(x->what, "lost") == 0 ? 0 : x->latency_ns < 0 ? 1 : 2;
	int ry = strcmp(y->what, "lost") == 0 ? 0 : y->latency_ns < 0 ? 1 : 2;
	if (rx != ry)
		return rx - ry;
	return x->latency_ns > y->latency_ns ? -1 : x->latency_ns < y->latency_ns;
}

void check_oracle_run(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n_mons,
		      const check_oracle_params *p, check_result *out)
{
	out->groups = g_ptr_array_new_with_free_func(group_free);
	out->cases = g_array_new(FALSE, FALSE, sizeof(check_case));
	if (p->keep_catches)
		out->catches = g_array_new(FALSE, FALSE, sizeof(check_catch));
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
		out->bound_ns[k] = p->bound_ns[k];
	for (unsigned i = 0; i < t->n_slots; i++) {
		g_autoptr(GArray) chain = check_truth_slot_edges(edges, (int)i, false,
								 t->slots[i].present0);
		out->stimulus_edges[t->slots[i].mode] += chain->len;
	}
	for (unsigned i = 0; i < n_mons; i++) {
		check_monitor *m = mons[i];
		check_group *g = group_for(out, m);
		g_mutex_lock(&m->lock);
		g->wakeups += m->wakeups->len;
		GHashTableIter it;
		gpointer key, val;
		g_hash_table_iter_init(&it, m->errors);
		while (g_hash_table_iter_next(&it, &key, &val))
			g_hash_table_insert(g->errors, key,
					    GUINT_TO_POINTER(GPOINTER_TO_UINT(
								     g_hash_table_lookup(g->errors, key)) +
							     GPOINTER_TO_UINT(val)));
		for (unsigned e = 0; e < m->n; e++) {
			if (m->slot_of[e] >= 0)
				judge_entry(t, edges, m, e, p, g, out);
			else
				judge_pnp(t, m, e, g, out);
		}
		g_mutex_unlock(&m->lock);
	}
	for (guint i = 0; i < out->groups->len; i++) {
		check_group *g = g_ptr_array_index(out->groups, i);
		for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
			g_array_sort(g->mode[k].latency_ns, compare_i64);
	}
	/* Keep the worst: every lost and phantom (up to a cap), then the
	 * largest latencies. */
	keep_firsts(mons, n_mons, out);
	g_array_sort(out->cases, compare_case);
	/* Every lost case stays (check_attrib.c sorts each by what its client
	 * did), and the worst of the rest. */
	guint lost = 0;
	while (lost < out->cases->len &&
	       strcmp(g_array_index(out->cases, check_case, lost).what, "lost") == 0)
		lost++;
	if (out->cases->len > MAX(p->worst, lost))
		g_array_set_size(out->cases, MAX(p->worst, lost));
}

void check_oracle_counters(const check_truth *t, GArray *edges, gint64 t0, gint64 t1,
			   const guint16 c0[CHECK_MAX_SLOTS], const guint16 c1[CHECK_MAX_SLOTS],
			   const guint32 *f0, const guint32 *f1, check_result *out)
{
	out->counters = g_array_new(FALSE, FALSE, sizeof(check_counter_result));
	out->counters_read = true;
	for (unsigned i = 0; i < t->n_slots; i++) {
		g_autoptr(GArray) chain = check_truth_slot_edges(edges, (int)i, false,
								 t->slots[i].present0);
		g_autoptr(GArray) seen = check_truth_slot_edges(edges, (int)i, true, -1);
		check_counter_result c = { .slot_index = (int)i, .c0 = c0[i], .c1 = c1[i] };
		bool s0 = truth_at(chain, t->slots[i].present0, t0);
		bool s1 = truth_at(chain, t->slots[i].present0, t1);
		for (guint k = 0; k < chain->len; k++) {
			gint64 ts = g_array_index(chain, check_edge, k).ts_ns;
			c.edges += ts > t0 && ts <= t1;
		}
		for (guint k = 0; k < seen->len; k++) {
			gint64 ts = g_array_index(seen, check_edge, k).ts_ns;
			c.observed += ts > t0 && ts <= t1;
		}
		/* pcscd counts each presence change its event thread sees
		 * (pcscd-driver-facts §2.3).  What it could see is what the
		 * driver reported to it: the "observed" flips, never more
		 * than the truth's.  Between two quiet checkpoints (no edge in
		 * flight, every client caught up) the counter must have moved
		 * by exactly that in event mode, less the flips the driver
		 * folded while pcscd's event thread lagged (it keeps a slot's
		 * last two states, issue 20; it counts what it folds); toggles
		 * shorter than a poll period, which the driver never reported
		 * (unless latched), drop out here.  The net change is a floor
		 * that needs no observation, and the count differs from it by
		 * whole bounces.
		 * Polling-only mode: every IFDHICCPresence is a GetSlotStatus,
		 * and pcscd also asks it outside its event thread's look (the
		 * power-up and auto power-down of IFDPowerICC, a client's
		 * SCardConnect): a bounce seen there and gone before the event
		 * thread's next look is observed and never counted.  There
		 * the observed flips are a ceiling, the net change a floor. */
		c.delta = (guint16)(c1[i] - c0[i]);
		c.folded = f0 != NULL && f1 != NULL ? f1[i] - f0[i] : 0;
		c.lo = s0 != s1;
		c.hi = MIN(c.edges, c.observed);
		c.exact = c.edges == c.observed;
		bool whole = c.delta >= c.lo && (c.delta - c.lo) % 2 == 0;
		if (t->slots[i].mode == CHECK_MODE_POLL)
			c.ok = whole && c.delta <= c.hi;
		else
			c.ok = c.delta + c.folded == c.hi && whole;
		g_array_append_val(out->counters, c);
	}
}

void check_result_clear(check_result *r)
{
	g_clear_pointer(&r->groups, g_ptr_array_unref);
	g_clear_pointer(&r->cases, g_array_unref);
	g_clear_pointer(&r->firsts, g_array_unref);
	g_clear_pointer(&r->counters, g_array_unref);
	g_clear_pointer(&r->catches, g_array_unref);
}
