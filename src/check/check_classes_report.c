/* ccidlab — check-events: the anomaly classes in the report: the table
 * (count, rate per call and per second) and, for each class that
 * occurred, the events around its first occurrence. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check/check_events.h"
#include "report/html.h"
#include "report/json_member.h"

typedef struct line {
	gint64 ts;
	char *text;
} line;

static gint by_time(gconstpointer a, gconstpointer b)
{
	const line *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void add(GArray *lines, const check_truth *t, gint64 ts, char *text)
{
	line l = { ts, g_strdup_printf("%10.6f  %s", (ts - t->start_ns) / 1e9, text) };
	g_free(text);
	g_array_append_val(lines, l);
}


static void add_returns(GArray *lines, const check_truth *t, const check_monitor *m, int entry,
			gint64 from, gint64 to)
{
	for (guint i = 0; i < m->wakeups->len; i++) {
		const check_wakeup *w = &g_array_index(m->wakeups, check_wakeup, i);
		if (w->ts_ns < from || w->ts_ns > to)
			continue;
		if (w->rv != SCARD_S_SUCCESS) {
			const char *name = check_rv_name(w->rv);
			add(lines, t, w->ts_ns,
			    g_strdup_printf("client %u returns %s (0x%08lX), called at %.6f", m->id,
					    name ? name : "?", (unsigned long)w->rv,
					    (w->call_ns - t->start_ns) / 1e9));
			continue;
		}
		if (entry < 0) {
			add(lines, t, w->ts_ns, g_strdup_printf("client %u returns success", m->id));
			continue;
		}
		DWORD st = g_array_index(m->states, DWORD, w->first + (guint)entry);
		add(lines, t, w->ts_ns,
		    g_strdup_printf("client %u returns \"%s\": 0x%04lX%s%s, high word %u, called at %.6f",
				    m->id, m->names[entry], (unsigned long)(st & 0xFFFF),
				    (st & SCARD_STATE_PRESENT) ? " present" : "",
				    (st & SCARD_STATE_CHANGED) ? " changed" : "", (unsigned)(st >> 16),
				    (w->call_ns - t->start_ns) / 1e9));
	}
	for (guint i = 0; m->listings != NULL && i < m->listings->len; i++) {
		const check_listing *l = &g_array_index(m->listings, check_listing, i);
		if (l->ts_ns >= from && l->ts_ns <= to)
			add(lines, t, l->ts_ns,
			    g_strdup_printf("client %u lists %u readers (0x%08lX)", m->id,
					    l->names ? g_strv_length(l->names) : 0, (unsigned long)l->rv));
	}
}

/* When the occurrence is a return, when its call began (an overrun's
 * call began long before the window). */
static void add_call_start(GArray *lines, const check_truth *t, const check_monitor *m, gint64 ts)
{
	for (guint i = 0; i < m->wakeups->len; i++) {
		const check_wakeup *w = &g_array_index(m->wakeups, check_wakeup, i);
		if (w->ts_ns == ts)
			add(lines, t, w->call_ns,
			    g_strdup_printf("client %u (%s) calls SCardGetStatusChange", m->id, m->label));
	}
}

GPtrArray *check_class_timeline(const check_truth *t, GArray *edges, check_monitor **mons,
				unsigned n_mons, const check_class *k, unsigned max)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	if (!k->seen)
		return out;
	g_autoptr(GArray) lines = g_array_new(FALSE, FALSE, sizeof(line));
	/* A lost edge's story is the client's calls in the 5 s after it. */
	gint64 after = g_str_has_prefix(k->name, "lost") ? CHECK_LOST_NS + 1000 * 1000000LL
							 : 500 * 1000000LL;
	gint64 from = k->first_ns - 1500 * 1000000LL, to = k->first_ns + after;
	const check_monitor *m = check_monitor_by_id(mons, n_mons, k->monitor);
	for (guint i = 0; i < edges->len; i++) {
		const check_edge *e = &g_array_index(edges, check_edge, i);
		if (e->ts_ns < from || e->ts_ns > to || e->slot_index < 0 ||
		    (k->slot_index >= 0 && e->slot_index != k->slot_index) ||
		    (k->slot_index < 0 && m != NULL && check_monitor_entry(m, e->slot_index) < 0))
			continue;
		add(lines, t, e->ts_ns,
		    g_strdup_printf("edge seq %" G_GUINT64_FORMAT " \"%s\" %s (%s)", e->seq,
				    t->slots[e->slot_index].pcsc_name, e->present ? "present" : "absent",
				    e->source == CHECK_SRC_OBSERVED ? "pcscd observed" : "stimulus"));
	}
	if (m != NULL) {
		add_returns(lines, t, m, check_monitor_entry(m, k->slot_index), from, to);
		add_call_start(lines, t, m, k->first_ns);
	}
	add(lines, t, k->first_ns,
	    g_strdup_printf("<== %s: %s", k->name, k->detail ? k->detail : k->what));
	g_array_sort(lines, by_time);
	/* A third of the lines before the occurrence (the marker line), the
	 * rest after: a late or lost edge's story is what follows it. */
	guint mark = 0;
	for (guint i = 0; i < lines->len; i++)
		if (strstr(g_array_index(lines, line, i).text, "<== ") != NULL)
			mark = i;
	guint start = mark > max / 3 ? mark - max / 3 : 0;
	for (guint i = 0; i < lines->len; i++) {
		line *l = &g_array_index(lines, line, i);
		if (i >= start && out->len < max)
			g_ptr_array_add(out, l->text);
		else
			g_free(l->text);
	}
	return out;
}

static double seconds(const check_classes *c)
{
	return (c->t1_ns - c->t0_ns) / 1e9;
}

static double per(guint64 n, double d)
{
	return d > 0 ? n / d : 0;
}

void check_classes_text(FILE *out, const check_truth *t, GArray *edges, check_monitor **mons,
			unsigned n_mons, const check_classes *c)
{
	double s = seconds(c);
	fprintf(out,
		"\nanomaly classes (libpcsclite clients): %" G_GUINT64_FORMAT
		" calls, %" G_GUINT64_FORMAT " listings, %" G_GUINT64_FORMAT " edges, %.1f s\n",
		c->calls, c->listings, c->edges, s);
	fprintf(out, "  %-34s %8s %10s %9s\n", "class", "count", "per call", "per s");
	for (guint i = 0; i < c->v->len; i++) {
		const check_class *k = g_ptr_array_index(c->v, i);
		fprintf(out, "  %-34s %8" G_GUINT64_FORMAT " %10.2e %9.3f%s\n", k->name, k->count,
			per(k->count, (double)c->calls), per(k->count, s),
			k->asserted ? "  (must be 0)" : "");
	}
	for (guint i = 0; i < c->v->len; i++) {
		const check_class *k = g_ptr_array_index(c->v, i);
		if (!k->seen)
			continue;
		fprintf(out, "\nfirst %s: %s\n", k->name, k->detail ? k->detail : k->what);
		g_autoptr(GPtrArray) tl = check_class_timeline(t, edges, mons, n_mons, k, 14);
		for (guint l = 0; l < tl->len; l++)
			fprintf(out, "    %s\n", (char *)g_ptr_array_index(tl, l));
	}
}

static void example_json(JsonBuilder *b, const check_truth *t, GArray *edges,
			 check_monitor **mons, unsigned n_mons, const check_class *k)
{
	json_builder_set_member_name(b, "example");
	if (!k->seen) {
		json_builder_add_null_value(b);
		return;
	}
	json_builder_begin_object(b);
	report_json_double(b, "at_s", (k->first_ns - t->start_ns) / 1e9);
	report_json_int(b, "client", k->monitor);
	const check_monitor *m = check_monitor_by_id(mons, n_mons, k->monitor);
	report_json_str(b, "kind", m ? m->label : "");
	report_json_str(b, "reader", k->slot_index >= 0 ? t->slots[k->slot_index].pcsc_name : "");
	report_json_str(b, "detail", k->detail ? k->detail : "");
	json_builder_set_member_name(b, "timeline");
	json_builder_begin_array(b);
	g_autoptr(GPtrArray) tl = check_class_timeline(t, edges, mons, n_mons, k, 14);
	for (guint l = 0; l < tl->len; l++)
		json_builder_add_string_value(b, g_ptr_array_index(tl, l));
	json_builder_end_array(b);
	/* The same story drawn (--html, here or in the matrix). */
	html_timeline *fig = check_class_figure(t, edges, mons, n_mons, k);
	if (fig != NULL) {
		json_builder_set_member_name(b, "figure");
		html_timeline_to_json(b, fig);
		html_timeline_free(fig);
	}
	json_builder_end_object(b);
}

void check_classes_json(JsonBuilder *b, const check_truth *t, GArray *edges, check_monitor **mons,
			unsigned n_mons, const check_classes *c)
{
	double s = seconds(c);
	json_builder_set_member_name(b, "totals");
	json_builder_begin_object(b);
	report_json_int(b, "calls", (gint64)c->calls);
	report_json_int(b, "listings", (gint64)c->listings);
	report_json_int(b, "edges", (gint64)c->edges);
	report_json_double(b, "duration_s", s);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "classes");
	json_builder_begin_array(b);
	for (guint i = 0; i < c->v->len; i++) {
		const check_class *k = g_ptr_array_index(c->v, i);
		json_builder_begin_object(b);
		report_json_str(b, "name", k->name);
		report_json_str(b, "what", k->what);
		report_json_bool(b, "asserted", k->asserted);
		report_json_int(b, "count", (gint64)k->count);
		report_json_double(b, "per_call", per(k->count, (double)c->calls));
		report_json_double(b, "per_s", per(k->count, s));
		example_json(b, t, edges, mons, n_mons, k);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}
