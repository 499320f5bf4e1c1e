/* ccidlab — check-events: the figure of a class's first occurrence, for
 * --html: the slot's edges, the client's calls (from call to return, with
 * the times its thread waited for a lock or slept inside them) and its
 * returns with the state each reported, on one time axis (seconds since
 * the run's start).  Carried in the report's JSON (html_json.c), so that
 * the matrix draws its cells' figures too. */
#include "config.h"

#include <string.h>

#include "report/html.h"
#include "check/check_events.h"

#define FIGURE_MAX_EDGES 80

static double sec(const check_truth *t, gint64 ns)
{
	return (ns - t->start_ns) / 1e9;
}

static void add_edges(html_lane *l, const check_truth *t, GArray *edges, int slot, gint64 from,
		      gint64 to)
{
	unsigned n = 0;
	for (guint i = 0; i < edges->len && n < FIGURE_MAX_EDGES; i++) {
		const check_edge *e = &g_array_index(edges, check_edge, i);
		if (e->source != CHECK_SRC_STIMULUS || e->ts_ns < from || e->ts_ns > to ||
		    (slot >= 0 && e->slot_index != slot))
			continue;
		g_autofree char *tip = g_strdup_printf("%.6f s: \"%s\" %s (edge seq %" G_GUINT64_FORMAT ")",
						       sec(t, e->ts_ns), t->slots[e->slot_index].pcsc_name,
						       e->present ? "card in" : "card out", e->seq);
		html_lane_add_tip(l, HTML_EDGE, sec(t, e->ts_ns), sec(t, e->ts_ns),
				  e->present ? "in" : "out", tip);
		n++;
	}
}

/* What a return said of the entry: "present 12", "empty 13", or its code. */
static char *return_label(const check_monitor *m, const check_wakeup *w, int entry)
{
	if (w->rv != SCARD_S_SUCCESS) {
		const char *name = check_rv_name(w->rv);
		return g_strdup(name ? name + strlen("SCARD_") : "error");
	}
	if (entry < 0)
		return g_strdup("ok");
	DWORD st = g_array_index(m->states, DWORD, w->first + (guint)entry);
	const char *what = st & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE) ? "UNKNOWN"
			   : st & SCARD_STATE_PRESENT				  ? "present"
										  : "empty";
	return g_strdup_printf("%s %lu", what, (unsigned long)(st >> 16));
}

static void add_calls(html_lane *l, const check_truth *t, const check_monitor *m, int entry,
		      gint64 from, gint64 to)
{
	for (guint i = 0; i < m->wakeups->len; i++) {
		const check_wakeup *w = &g_array_index(m->wakeups, check_wakeup, i);
		if (w->ts_ns < from || w->call_ns > to)
			continue;
		g_autofree char *label = return_label(m, w, entry);
		g_autofree char *tip = g_strdup_printf("called %.6f s, returned %.6f s: %s",
						       sec(t, w->call_ns), sec(t, w->ts_ns), label);
		html_lane_add_tip(l, HTML_CALL, sec(t, MAX(w->call_ns, from)), sec(t, MIN(w->ts_ns, to)),
				  NULL, tip);
		if (w->ts_ns <= to)
			html_lane_add_tip(l, HTML_RETURN, sec(t, w->ts_ns), sec(t, w->ts_ns), label, tip);
	}
}

/* The spans inside calls where the thread waited for a lock or slept. */
static void add_waits(html_lane *l, const check_truth *t, const check_monitor *m, gint64 from,
		      gint64 to)
{
	const GArray *a = m->samples;
	for (guint i = 0; a != NULL && i < a->len; i++) {
		const check_sample *s = &g_array_index(a, check_sample, i);
		gint64 end = i + 1 < a->len ? g_array_index(a, check_sample, i + 1).ts_ns : to;
		if ((s->where != CHECK_WHERE_LOCK && s->where != CHECK_WHERE_SLEEP) || end < from ||
		    s->ts_ns > to)
			continue;
		html_lane_add_tip(l, s->where == CHECK_WHERE_LOCK ? HTML_WAIT_LOCK : HTML_WAIT_SLEEP,
				  sec(t, MAX(s->ts_ns, from)), sec(t, MIN(end, to)), NULL,
				  check_where_name(s->where));
	}
}

html_timeline *check_class_figure(const check_truth *t, GArray *edges, check_monitor **mons,
				  unsigned n_mons, const check_class *k)
{
	if (!k->seen)
		return NULL;
	gint64 after = g_str_has_prefix(k->name, "lost") ? CHECK_LOST_NS + 1000 * 1000000LL
							 : 1500 * 1000000LL;
	gint64 from = k->first_ns - 1500 * 1000000LL, to = k->first_ns + after;
	g_autofree char *title = g_strdup_printf("%s: %s", k->name, k->detail ? k->detail : k->what);
	html_timeline *tl = html_timeline_new(title, sec(t, from), sec(t, to));
	const check_monitor *m = check_monitor_by_id(mons, n_mons, k->monitor);
	g_autofree char *edge_lane =
		k->slot_index >= 0 ? g_strdup_printf("edges \"%s\"", t->slots[k->slot_index].pcsc_name)
				   : g_strdup("edges (every reader)");
	add_edges(html_timeline_lane(tl, edge_lane), t, edges, k->slot_index, from, to);
	html_lane *anomaly_lane = html_timeline_lane(tl, edge_lane);
	if (m != NULL) {
		g_autofree char *name = g_strdup_printf("client %u %s", m->id, m->label);
		html_lane *l = html_timeline_lane(tl, name);
		add_calls(l, t, m, check_monitor_entry(m, k->slot_index), from, to);
		add_waits(l, t, m, from, to);
		anomaly_lane = l;
	}
	html_lane_add_tip(anomaly_lane, HTML_ANOMALY, sec(t, k->first_ns), sec(t, k->first_ns),
			  k->name, k->detail ? k->detail : k->what);
	return tl;
}
