/* ccidlab — check-events: the verdict and the report (human text, or
 * one JSON object with --json). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check/check_events.h"
#include "report/json_member.h"

static double pct_ms(const GArray *sorted, double q)
{
	if (sorted->len == 0)
		return 0;
	/* Nearest rank. */
	guint k = (guint)(q * sorted->len + 0.999999);
	k = CLAMP(k, 1, sorted->len);
	return g_array_index(sorted, gint64, k - 1) / 1e6;
}

static guint64 errors_total(GHashTable *h)
{
	guint64 n = 0;
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v))
		n += GPOINTER_TO_UINT(v);
	return n;
}

/* The libpcsclite clients of one mode, merged. */
static void merged(const check_result *r, check_mode mode, bool legacy, check_stats *out)
{
	memset(out, 0, sizeof *out);
	out->latency_ns = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (guint i = 0; i < r->groups->len; i++) {
		const check_group *g = g_ptr_array_index(r->groups, i);
		if (g->legacy != legacy)
			continue;
		const check_stats *s = &g->mode[mode];
		out->edges += s->edges;
		out->late += s->late;
		out->lost += s->lost;
		out->phantom += s->phantom;
		out->superseded += s->superseded;
		out->unresolved += s->unresolved;
		g_array_append_vals(out->latency_ns, s->latency_ns->data, s->latency_ns->len);
	}
}

static gint cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static void merged_sorted(const check_result *r, check_mode mode, bool legacy, check_stats *out)
{
	merged(r, mode, legacy, out);
	g_array_sort(out->latency_ns, cmp_i64);
}

void check_verdict_compute(const check_result *r, bool legacy_must_pass, bool expect_legacy_loss,
			   bool have_legacy, check_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->reasons = g_ptr_array_new_with_free_func(g_free);
	v->counter_ok = true;
	guint64 legacy_errors = 0;
	for (guint i = 0; i < r->groups->len; i++) {
		const check_group *g = g_ptr_array_index(r->groups, i);
		for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
			if (g->legacy) {
				v->legacy_lost += g->mode[k].lost;
				v->legacy_late += g->mode[k].late;
			} else {
				v->lost += g->mode[k].lost;
				v->late += g->mode[k].late;
				v->phantom += g->mode[k].phantom;
			}
		}
		if (g->legacy)
			legacy_errors += errors_total(g->errors);
		else {
			v->errors += errors_total(g->errors);
			v->false_pnp += g->false_pnp;
		}
	}
	for (guint i = 0; r->counters != NULL && i < r->counters->len; i++)
		if (!g_array_index(r->counters, check_counter_result, i).ok)
			v->counter_ok = false;
	if (v->lost)
		g_ptr_array_add(v->reasons, g_strdup_printf("%" G_GUINT64_FORMAT " lost wakeups", v->lost));
	if (v->late)
		g_ptr_array_add(v->reasons, g_strdup_printf("%" G_GUINT64_FORMAT " late wakeups", v->late));
	if (v->phantom)
		g_ptr_array_add(v->reasons,
				g_strdup_printf("%" G_GUINT64_FORMAT " phantom changes", v->phantom));
	if (v->false_pnp)
		g_ptr_array_add(v->reasons,
				g_strdup_printf("%" G_GUINT64_FORMAT " false PnP changes", v->false_pnp));
	if (v->errors)
		g_ptr_array_add(v->reasons,
				g_strdup_printf("%" G_GUINT64_FORMAT " unexpected SCARD_E_* returns", v->errors));
	if (!v->counter_ok)
		g_ptr_array_add(v->reasons, g_strdup("event counter check failed"));
	if (!r->counters_read)
		g_ptr_array_add(v->reasons, g_strdup("event counters could not be read"));
	if (r->truth_lost)
		g_ptr_array_add(v->reasons, g_strdup_printf("the edge stream dropped %" G_GUINT64_FORMAT
							    " edges: no ground truth",
							    r->truth_lost));
	if (have_legacy && legacy_must_pass && (v->legacy_lost || v->legacy_late || legacy_errors))
		g_ptr_array_add(v->reasons,
				g_strdup_printf("legacy client: %" G_GUINT64_FORMAT " lost, %" G_GUINT64_FORMAT
						" late, %" G_GUINT64_FORMAT " errors (--legacy-must-pass)",
						v->legacy_lost, v->legacy_late, legacy_errors));
	if (expect_legacy_loss && (!have_legacy || v->legacy_lost == 0))
		g_ptr_array_add(v->reasons,
				g_strdup("the legacy client lost nothing (--expect-legacy-loss: the "
					 "positive control did not fire)"));
	v->pass = v->reasons->len == 0;
}

static const char *slot_name(const check_truth *t, int si)
{
	return si >= 0 ? t->slots[si].pcsc_name : CHECK_PNP_NAME;
}

static check_monitor *monitor_by_id(check_monitor **mons, unsigned n, unsigned id)
{
	for (unsigned i = 0; i < n; i++)
		if (mons[i]->id == id)
			return mons[i];
	return NULL;
}

/* The slot's edges and the client's returns around a case, in time order,
 * as lines "time_s  what" (at most max lines). */
static GPtrArray *timeline(const check_truth *t, GArray *edges, check_monitor *m,
			   const check_case *c, unsigned max)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	gint64 from = c->edge_ns - 1000 * 1000000LL;
	gint64 to = c->edge_ns + (c->latency_ns > 0 ? c->latency_ns : CHECK_LOST_NS) + 200 * 1000000LL;
	guint ei = 0, wi = 0;
	int entry = -1;
	for (unsigned i = 0; m != NULL && i < m->n; i++)
		if (m->slot_of[i] == c->slot_index)
			entry = (int)i;
	while (lines->len < max) {
		const check_edge *e = NULL;
		while (ei < edges->len) {
			e = &g_array_index(edges, check_edge, ei);
			if (e->slot_index == c->slot_index && e->ts_ns >= from && e->ts_ns <= to)
				break;
			e = NULL;
			ei++;
		}
		const check_wakeup *w = NULL;
		while (m != NULL && entry >= 0 && wi < m->wakeups->len) {
			w = &g_array_index(m->wakeups, check_wakeup, wi);
			if (w->ts_ns >= from && w->ts_ns <= to)
				break;
			w = NULL;
			wi++;
		}
		if (e == NULL && w == NULL)
			break;
		if (e != NULL && (w == NULL || e->ts_ns <= w->ts_ns)) {
			g_ptr_array_add(lines, g_strdup_printf(
						       "%10.6f  edge seq %" G_GUINT64_FORMAT " %s (%s)",
						       (e->ts_ns - t->start_ns) / 1e9, e->seq,
						       e->present ? "present" : "absent",
						       e->source == CHECK_SRC_OBSERVED ? "pcscd observed"
										: "stimulus"));
			ei++;
		} else {
			DWORD st = g_array_index(m->states, DWORD, w->first + (guint)entry);
			if (w->rv == SCARD_S_SUCCESS)
				g_ptr_array_add(lines,
						g_strdup_printf("%10.6f  client returns: %s, counter %u%s "
								"(called at %.6f)",
								(w->ts_ns - t->start_ns) / 1e9,
								(st & SCARD_STATE_PRESENT) ? "present" : "empty",
								(unsigned)(st >> 16),
								(st & SCARD_STATE_CHANGED) ? ", changed" : "",
								(w->call_ns - t->start_ns) / 1e9));
			else
				g_ptr_array_add(lines,
						g_strdup_printf("%10.6f  client returns 0x%08lX (%s)",
								(w->ts_ns - t->start_ns) / 1e9,
								(unsigned long)w->rv,
								pcsc_stringify_error(w->rv)));
			wi++;
		}
	}
	return lines;
}

static void print_row(FILE *out, const char *mode, const char *kind, const check_stats *s,
		      guint64 errors)
{
	fprintf(out, "%-6s %-30s %6" G_GUINT64_FORMAT " %8.3f %8.3f %8.3f %9.3f %5" G_GUINT64_FORMAT
		     " %5" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT "\n",
		mode, kind, s->edges, pct_ms(s->latency_ns, 0.5), pct_ms(s->latency_ns, 0.9),
		pct_ms(s->latency_ns, 0.99),
		s->latency_ns->len ? g_array_index(s->latency_ns, gint64, s->latency_ns->len - 1) / 1e6 : 0,
		s->late, s->lost, s->phantom, errors, s->superseded);
}

/* The latency histogram's buckets: log-spaced, the bounds of both modes
 * among them. */
static const double hist_upper_ms[CHECK_HIST_N - 1] = { 0.25, 0.5, 1,	2,   5,	  10,  50,
							100,  200, 400, 450, 1000, 5000 };

void check_histogram(const GArray *lat, guint64 count[CHECK_HIST_N])
{
	memset(count, 0, sizeof(guint64) * CHECK_HIST_N);
	for (guint i = 0; lat != NULL && i < lat->len; i++) {
		double ms = g_array_index(lat, gint64, i) / 1e6;
		unsigned b = 0;
		while (b < CHECK_HIST_N - 1 && ms >= hist_upper_ms[b])
			b++;
		count[b]++;
	}
}

char *check_histogram_label(unsigned b)
{
	if (b < CHECK_HIST_N - 1)
		return g_strdup_printf("< %g ms", hist_upper_ms[b]);
	return g_strdup_printf(">= %g ms", hist_upper_ms[CHECK_HIST_N - 2]);
}

/* Latency histogram of one mode, drawn in the terminal: a bar of '#'
 * scaled to the fullest bucket. */
static void print_histogram(FILE *out, const char *mode, const GArray *lat)
{
	enum { WIDTH = 50 };
	guint64 count[CHECK_HIST_N], top = 0;

	if (lat->len == 0)
		return;
	check_histogram(lat, count);
	for (unsigned b = 0; b < CHECK_HIST_N; b++)
		top = MAX(top, count[b]);
	fprintf(out, "\n%s mode, edge to wakeup (libpcsclite clients, %u wakeups):\n", mode,
		lat->len);
	for (unsigned b = 0; b < CHECK_HIST_N; b++) {
		if (count[b] == 0)
			continue;
		g_autofree char *label = check_histogram_label(b);
		unsigned len = (unsigned)((count[b] * WIDTH + top - 1) / top);
		char bar[WIDTH + 1];
		memset(bar, '#', len);
		bar[len] = '\0';
		fprintf(out, "  %12s %7" G_GUINT64_FORMAT " %s\n", label, count[b], bar);
	}
}

/* The latency bound each mode was judged by, as the oracle applied it:
 * clients that list --widener's mute card get 2 x CHECK_WIDENER_SLEEP_NS
 * more (check_oracle.c), and the report says so rather than hide it. */
static void print_bounds(FILE *out, const check_truth *t, check_monitor **mons, unsigned n_mons,
			 const check_result *r)
{
	bool widened = false;
	for (unsigned i = 0; i < n_mons; i++)
		widened = widened || mons[i]->watches_widened;
	unsigned nm[CHECK_MODE_COUNT] = { 0 };
	for (unsigned i = 0; i < t->n_slots; i++)
		nm[t->slots[i].mode]++;
	fprintf(out, "late above:");
	const char *sep = " ";
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
		if (nm[k] == 0)
			continue;
		fprintf(out, "%s%.0f ms in %s mode", sep, r->bound_ns[k] / 1e6,
			k == CHECK_MODE_EVENT ? "event" : "polling-only");
		if (widened)
			fprintf(out, " (%.0f ms for clients that list --widener's mute card, "
				"which sleep %.0f ms up to twice before they report)",
				(r->bound_ns[k] + 2 * CHECK_WIDENER_SLEEP_NS) / 1e6,
				CHECK_WIDENER_SLEEP_NS / 1e6);
		sep = ", ";
	}
	fputc('\n', out);
}

void check_report_text(FILE *out, const check_truth *t, GArray *edges, check_monitor **mons,
		       unsigned n_mons, const check_result *r, const check_verdict *v,
		       const check_classes *classes)
{
	unsigned nm[CHECK_MODE_COUNT] = { 0 };
	for (unsigned i = 0; i < t->n_slots; i++)
		nm[t->slots[i].mode]++;
	fprintf(out, "check-events: %u slots (%u event mode, %u polling-only), %u clients\n",
		t->n_slots, nm[CHECK_MODE_EVENT], nm[CHECK_MODE_POLL], n_mons);
	fprintf(out, "edges: %" G_GUINT64_FORMAT " in event mode, %" G_GUINT64_FORMAT
		     " in polling-only mode\n",
		r->stimulus_edges[CHECK_MODE_EVENT], r->stimulus_edges[CHECK_MODE_POLL]);
	print_bounds(out, t, mons, n_mons, r);
	fputc('\n', out);
	fprintf(out, "%-6s %-30s %6s %8s %8s %8s %9s %5s %5s %7s %6s %6s\n", "mode", "client kind",
		"edges", "p50 ms", "p90 ms", "p99 ms", "max ms", "late", "lost", "phantom", "errors",
		"unseen");
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
		if (nm[k] == 0)
			continue;	/* no reader in that mode: no all-zero rows */
		for (guint i = 0; i < r->groups->len; i++) {
			const check_group *g = g_ptr_array_index(r->groups, i);
			print_row(out, check_mode_name(k), g->kind, &g->mode[k],
				  k == 0 ? errors_total(g->errors) : 0);
		}
		check_stats all;
		merged_sorted(r, k, false, &all);
		print_row(out, check_mode_name(k), "= all libpcsclite clients", &all, 0);
		g_array_unref(all.latency_ns);
	}
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
		if (nm[k] == 0)
			continue;
		check_stats all;
		merged_sorted(r, k, false, &all);
		print_histogram(out, check_mode_name(k), all.latency_ns);
		g_array_unref(all.latency_ns);
	}
	for (guint i = 0; i < r->groups->len; i++) {
		const check_group *g = g_ptr_array_index(r->groups, i);
		GHashTableIter it;
		gpointer key, val;
		g_hash_table_iter_init(&it, g->errors);
		while (g_hash_table_iter_next(&it, &key, &val))
			fprintf(out, "  %s: %u x 0x%08lX (%s)\n", g->kind, GPOINTER_TO_UINT(val),
				(unsigned long)(LONG)GPOINTER_TO_INT(key),
				pcsc_stringify_error((LONG)GPOINTER_TO_INT(key)));
	}
	if (r->counters_read) {
		unsigned ok = 0, exact = 0;
		for (guint i = 0; i < r->counters->len; i++) {
			const check_counter_result *c = &g_array_index(r->counters, check_counter_result, i);
			ok += c->ok;
			exact += c->exact;
			if (!c->ok)
				fprintf(out,
					"  counter of \"%s\": moved %u, expected %u (%u edges, %u "
					"reported to pcscd, %u folded by the driver, net change %u)\n",
					t->slots[c->slot_index].pcsc_name, c->delta, c->hi, c->edges,
					c->observed, c->folded, c->lo);
		}
		fprintf(out,
			"\nevent counters: %u of %u slots moved by the edges pcscd could see; on %u "
			"of them every toggle lasted long enough for pcscd to see it, so the count "
			"was exact\n",
			ok, r->counters->len, exact);
	}
	if (v->legacy_lost || v->legacy_late)
		fprintf(out, "legacy (pre-1.8.24) client: %" G_GUINT64_FORMAT " lost, %" G_GUINT64_FORMAT
			     " late\n",
			v->legacy_lost, v->legacy_late);
	if (r->cases->len > 0)
		fprintf(out, "\nworst cases:\n");
	for (guint i = 0; i < MIN(r->cases->len, CHECK_WORST_SHOWN); i++) {
		const check_case *c = &g_array_index(r->cases, check_case, i);
		check_monitor *m = monitor_by_id(mons, n_mons, c->monitor);
		if (c->latency_ns >= 0)
			fprintf(out, "  %s: client %u (%s), \"%s\", edge at %.6f s, %.3f ms\n", c->what,
				c->monitor, m ? m->label : "?", slot_name(t, c->slot_index),
				(c->edge_ns - t->start_ns) / 1e9, c->latency_ns / 1e6);
		else
			fprintf(out, "  %s: client %u (%s), \"%s\", at %.6f s\n", c->what, c->monitor,
				m ? m->label : "?", slot_name(t, c->slot_index),
				(c->edge_ns - t->start_ns) / 1e9);
		if (i >= 5 || c->slot_index < 0)
			continue;
		g_autoptr(GPtrArray) tl = timeline(t, edges, m, c, 12);
		for (guint k = 0; k < tl->len; k++)
			fprintf(out, "      %s\n", (char *)g_ptr_array_index(tl, k));
	}
	check_classes_text(out, t, edges, mons, n_mons, classes);
	fprintf(out, "\nverdict: %s", v->pass ? "PASS" : "FAIL");
	for (guint i = 0; i < v->reasons->len; i++)
		fprintf(out, "%s%s", i ? "; " : " (", (char *)g_ptr_array_index(v->reasons, i));
	fprintf(out, "%s\n", v->reasons->len ? ")" : "");
}

static void stats_json(JsonBuilder *b, const check_stats *s)
{
	json_builder_begin_object(b);
	report_json_int(b, "edges", (gint64)s->edges);
	static const struct {
		const char *name;
		double q;
	} ps[] = { { "p50_ms", 0.5 }, { "p90_ms", 0.9 }, { "p99_ms", 0.99 }, { "max_ms", 1.0 } };
	for (unsigned i = 0; i < G_N_ELEMENTS(ps); i++)
		report_json_double(b, ps[i].name, pct_ms(s->latency_ns, ps[i].q));
	const struct {
		const char *name;
		guint64 v;
	} cs[] = { { "late", s->late },		    { "lost", s->lost },
		   { "phantom", s->phantom },	    { "superseded", s->superseded },
		   { "unresolved", s->unresolved } };
	for (unsigned i = 0; i < G_N_ELEMENTS(cs); i++)
		report_json_int(b, cs[i].name, (gint64)cs[i].v);
	guint64 hist[CHECK_HIST_N];
	check_histogram(s->latency_ns, hist);
	json_builder_set_member_name(b, "histogram");
	json_builder_begin_array(b);
	for (unsigned k = 0; k < CHECK_HIST_N; k++)
		json_builder_add_int_value(b, (gint64)hist[k]);
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static void errors_json(JsonBuilder *b, GHashTable *h)
{
	json_builder_begin_object(b);
	GHashTableIter it;
	gpointer key, val;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		char name[16];
		g_snprintf(name, sizeof name, "0x%08lX", (unsigned long)(LONG)GPOINTER_TO_INT(key));
		report_json_int(b, name, GPOINTER_TO_UINT(val));
	}
	json_builder_end_object(b);
}

void check_report_json(FILE *out, const check_truth *t, GArray *edges, check_monitor **mons,
		       unsigned n_mons, const check_result *r, const check_verdict *v,
		       const check_stimuli *s, const check_classes *classes)
{
	g_autoptr(JsonNode) root = check_report_node(t, edges, mons, n_mons, r, v, s, classes);
	g_autofree char *text = json_to_string(root, FALSE);
	fprintf(out, "%s\n", text);
}

JsonNode *check_report_node(const check_truth *t, GArray *edges, check_monitor **mons,
			    unsigned n_mons, const check_result *r, const check_verdict *v,
			    const check_stimuli *s, const check_classes *classes)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	report_json_str(b, "schema", CHECK_REPORT_SCHEMA);
	report_json_str(b, "version", PACKAGE_VERSION);
	report_json_str(b, "verdict", v->pass ? "PASS" : "FAIL");
	json_builder_set_member_name(b, "reasons");
	json_builder_begin_array(b);
	for (guint i = 0; i < v->reasons->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(v->reasons, i));
	json_builder_end_array(b);

	json_builder_set_member_name(b, "bound_ms");
	json_builder_begin_object(b);
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
		report_json_double(b, check_mode_name(k), r->bound_ns[k] / 1e6);
	json_builder_end_object(b);
	report_json_double(b, "widener_extra_ms", 2 * CHECK_WIDENER_SLEEP_NS / 1e6);

	json_builder_set_member_name(b, "stimuli");
	json_builder_begin_object(b);
	report_json_double(b, "storm_rate", s->storm_rate);
	report_json_double(b, "duration_s", s->duration_s);
	report_json_int(b, "seed", s->seed);
	report_json_bool(b, "burst_sweep", s->burst_sweep);
	report_json_int(b, "sweep_step_us", s->sweep_step_us);
	json_builder_set_member_name(b, "widener");
	if (s->widener_index >= 0)
		json_builder_add_string_value(b, t->slots[s->widener_index].pcsc_name);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "slots");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < t->n_slots; i++) {
		json_builder_begin_object(b);
		report_json_str(b, "name", t->slots[i].pcsc_name);
		report_json_int(b, "reader", t->slots[i].reader);
		report_json_int(b, "slot", t->slots[i].slot);
		report_json_str(b, "mode", check_mode_name(t->slots[i].mode));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "edges");
	json_builder_begin_object(b);
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++)
		report_json_int(b, check_mode_name(k), (gint64)r->stimulus_edges[k]);
	json_builder_end_object(b);
	report_json_int(b, "truth_lost", (gint64)r->truth_lost);

	/* Headline: the libpcsclite clients merged, per mode. */
	json_builder_set_member_name(b, "modes");
	json_builder_begin_object(b);
	for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
		check_stats all;
		merged_sorted(r, k, false, &all);
		json_builder_set_member_name(b, check_mode_name(k));
		stats_json(b, &all);
		g_array_unref(all.latency_ns);
	}
	json_builder_end_object(b);

	json_builder_set_member_name(b, "clients");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->groups->len; i++) {
		const check_group *g = g_ptr_array_index(r->groups, i);
		json_builder_begin_object(b);
		report_json_str(b, "kind", g->kind);
		report_json_bool(b, "legacy", g->legacy);
		report_json_int(b, "wakeups", (gint64)g->wakeups);
		json_builder_set_member_name(b, "errors");
		errors_json(b, g->errors);
		for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
			json_builder_set_member_name(b, check_mode_name(k));
			stats_json(b, &g->mode[k]);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "legacy");
	json_builder_begin_object(b);
	report_json_int(b, "lost", (gint64)v->legacy_lost);
	report_json_int(b, "late", (gint64)v->legacy_late);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	report_json_bool(b, "ok", r->counters_read && v->counter_ok);
	json_builder_set_member_name(b, "slots");
	json_builder_begin_array(b);
	for (guint i = 0; r->counters != NULL && i < r->counters->len; i++) {
		const check_counter_result *c = &g_array_index(r->counters, check_counter_result, i);
		json_builder_begin_object(b);
		report_json_str(b, "name", t->slots[c->slot_index].pcsc_name);
		const struct {
			const char *n;
			gint64 v;
		} f[] = { { "delta", c->delta }, { "expected", c->hi }, { "net", c->lo },
			  { "edges", c->edges }, { "observed", c->observed }, { "folded", c->folded } };
		for (unsigned k = 0; k < G_N_ELEMENTS(f); k++)
			report_json_int(b, f[k].n, f[k].v);
		report_json_bool(b, "ok", c->ok);
		report_json_bool(b, "exact", c->exact);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "worst");
	json_builder_begin_array(b);
	for (guint i = 0; i < MIN(r->cases->len, CHECK_WORST_SHOWN); i++) {
		const check_case *c = &g_array_index(r->cases, check_case, i);
		check_monitor *m = monitor_by_id(mons, n_mons, c->monitor);
		json_builder_begin_object(b);
		report_json_str(b, "what", c->what);
		report_json_int(b, "client", c->monitor);
		report_json_str(b, "kind", m ? m->label : "?");
		report_json_str(b, "reader", slot_name(t, c->slot_index));
		report_json_int(b, "seq", (gint64)c->seq);
		report_json_double(b, "at_s", (c->edge_ns - t->start_ns) / 1e9);
		json_builder_set_member_name(b, "latency_ms");
		if (c->latency_ns >= 0)
			json_builder_add_double_value(b, c->latency_ns / 1e6);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "timeline");
		json_builder_begin_array(b);
		if (c->slot_index >= 0) {
			g_autoptr(GPtrArray) tl = timeline(t, edges, m, c, 12);
			for (guint k = 0; k < tl->len; k++)
				json_builder_add_string_value(b, g_ptr_array_index(tl, k));
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	check_classes_json(b, t, edges, mons, n_mons, classes);
	report_json_bool(b, "pass", v->pass);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
