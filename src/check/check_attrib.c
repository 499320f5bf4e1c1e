/* ccidlab — check-events: what the client did around each lost wakeup,
 * and how long its calls waited for its own process's lock.  Pure: reads
 * the recorded run (the monitors' returns and where their threads were,
 * check_sampler.c) and adds classes.
 *
 * A lost edge (the state stayed 5 s and the client did not show it) is
 *   stale return    a call made after the edge (past the late bound)
 *                   returned the old state;
 *   blocked in call the client sat in one call through the 5 s, waiting
 *                   for pcscd: a wakeup that never came;
 *   could not enter the client's thread spent most of the 5 s waiting for
 *                   a lock another thread of its process held (pcsc-lite
 *                   2.0.1 and later hold readerStatesMutex across the
 *                   400 ms sleep for a card without ATR): in-process
 *                   serialisation, not a missed wakeup.
 * "serialisation wait" counts the calls that waited, in all, more than
 * CHECK_SERIAL_NS for such a lock. */
#include "config.h"

#include <string.h>

#include "check/check_events.h"

static int present_after(GArray *edges, guint64 seq)
{
	for (guint i = 0; i < edges->len; i++) {
		const check_edge *e = &g_array_index(edges, check_edge, i);
		if (e->seq == seq)
			return e->present;
	}
	return -1;
}

/* The first successful return of a call made in (from, to] that shows
 * the entry in the other presence than `present`, or NULL.  A call made
 * before (from: the edge plus the late bound) may have fetched the states
 * before pcscd saw the edge: its old state is no evidence. */
static const check_wakeup *stale_return(const check_monitor *m, int entry, int present,
					gint64 from, gint64 to)
{
	for (guint i = 0; i < m->wakeups->len; i++) {
		const check_wakeup *w = &g_array_index(m->wakeups, check_wakeup, i);
		if (w->rv != SCARD_S_SUCCESS || w->call_ns <= from || w->ts_ns > to)
			continue;
		DWORD st = g_array_index(m->states, DWORD, w->first + (guint)entry);
		if (((st & SCARD_STATE_PRESENT) != 0) != present)
			return w;
	}
	return NULL;
}

char *check_where_text(const gint64 where[CHECK_WHERE_COUNT])
{
	GString *s = g_string_new(NULL);
	for (int k = 0; k < CHECK_WHERE_COUNT; k++)
		if (where[k] >= 1000000)
			g_string_append_printf(s, "%s%s %.2f s", s->len ? ", " : "", check_where_name(k),
					       where[k] / 1e9);
	if (s->len == 0)
		g_string_append(s, "not sampled");
	return g_string_free(s, FALSE);
}

static void attribute_lost(check_classes *c, const check_truth *t, GArray *edges,
			   check_monitor **mons, unsigned n_mons, const check_result *r,
			   const check_case *cs)
{
	const check_monitor *m = check_monitor_by_id(mons, n_mons, (int)cs->monitor);
	int entry = check_monitor_entry(m, cs->slot_index);
	int present = present_after(edges, cs->seq);
	if (m == NULL || entry < 0 || present < 0)
		return;
	gint64 bound = r->bound_ns[t->slots[cs->slot_index].mode];
	gint64 from = cs->edge_ns, to = cs->edge_ns + CHECK_LOST_NS;
	const check_wakeup *w = stale_return(m, entry, present, from + bound, to);
	gint64 where[CHECK_WHERE_COUNT];
	bool sampled = check_monitor_where(m, from, to, where);
	g_autofree char *places = check_where_text(where);
	if (w != NULL) {
		g_autofree char *d = g_strdup_printf(
			"client %u returned at +%.3f s showing \"%s\" %s (called at +%.3f s); in the 5 s: %s",
			m->id, (w->ts_ns - from) / 1e9, t->slots[cs->slot_index].pcsc_name,
			present ? "empty" : "present", (w->call_ns - from) / 1e9, places);
		check_classes_note(c, "lost: stale return", 1, cs->edge_ns, (int)m->id, cs->slot_index, d);
	} else if (sampled && where[CHECK_WHERE_LOCK] > CHECK_LOST_NS / 2) {
		g_autofree char *d = g_strdup_printf(
			"client %u spent %.2f of the 5 s waiting for a lock another thread of its process "
			"held; in the 5 s: %s",
			m->id, where[CHECK_WHERE_LOCK] / 1e9, places);
		check_classes_note(c, "lost: could not enter", 1, cs->edge_ns, (int)m->id, cs->slot_index,
				   d);
	} else {
		g_autofree char *d = g_strdup_printf(
			"client %u was in a call through the 5 s and it never reported the edge; in the "
			"5 s: %s",
			m->id, places);
		check_classes_note(c, "lost: blocked in call", 1, cs->edge_ns, (int)m->id,
				   cs->slot_index, d);
	}
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

/* Every call's time waiting for a lock; the ones over CHECK_SERIAL_NS
 * counted, the figures of all in the first one's detail. */
static void serialisation(check_classes *c, check_monitor **mons, unsigned n_mons)
{
	g_autoptr(GArray) waits = g_array_new(FALSE, FALSE, sizeof(gint64));
	guint64 over = 0;
	gint64 first_ts = 0, first_wait = 0;
	int first_mon = -1;
	for (unsigned i = 0; i < n_mons; i++) {
		const check_monitor *m = mons[i];
		if (m->kind.backend == CHECK_BACKEND_LEGACY)
			continue;
		for (guint k = 0; k < m->wakeups->len; k++) {
			const check_wakeup *w = &g_array_index(m->wakeups, check_wakeup, k);
			gint64 where[CHECK_WHERE_COUNT];
			if (!check_monitor_where(m, w->call_ns, w->ts_ns, where))
				continue;
			gint64 lock = where[CHECK_WHERE_LOCK];
			g_array_append_val(waits, lock);
			if (lock < CHECK_SERIAL_NS)
				continue;
			over++;
			if (first_mon < 0 || w->call_ns < first_ts) {
				first_ts = w->call_ns;
				first_wait = lock;
				first_mon = (int)m->id;
			}
		}
	}
	if (waits->len == 0)
		return;
	g_array_sort(waits, cmp_i64);
	gint64 max = g_array_index(waits, gint64, waits->len - 1);
	gint64 p99 = g_array_index(waits, gint64, (guint)(0.99 * (waits->len - 1)));
	gint64 p50 = g_array_index(waits, gint64, waits->len / 2);
	g_autofree char *d = g_strdup_printf(
		"client %d waited %.1f ms for its process's lock during one call; over %u calls: "
		"p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		first_mon, first_wait / 1e6, waits->len, p50 / 1e6, p99 / 1e6, max / 1e6);
	check_classes_note(c, "serialisation wait", over, first_ts, first_mon, -1, d);
}

void check_attrib_run(check_classes *c, const check_truth *t, GArray *edges, check_monitor **mons,
		      unsigned n_mons, const check_result *r)
{
	for (guint i = 0; r->cases != NULL && i < r->cases->len; i++) {
		const check_case *cs = &g_array_index(r->cases, check_case, i);
		const check_monitor *m = check_monitor_by_id(mons, n_mons, (int)cs->monitor);
		if (strcmp(cs->what, "lost") == 0 && m != NULL &&
		    m->kind.backend != CHECK_BACKEND_LEGACY)
			attribute_lost(c, t, edges, mons, n_mons, r, cs);
	}
	serialisation(c, mons, n_mons);
}
