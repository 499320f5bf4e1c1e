/* ccidlab — check-events --html: the report as one self-contained page,
 * drawn from its JSON (check_report_node): the verdict, the latency per
 * mode and client kind, a histogram per mode, the anomaly classes, and a
 * figure for each class that occurred (its first occurrence: the edges,
 * the client's calls and returns, its waits).  The matrix's page uses the
 * histograms and the class figures too (matrix_html.c). */
#include "config.h"

#include <string.h>

#include "report/html.h"
#include "check/check_events.h"

static char *num(double v, int decimals)
{
	return g_strdup_printf("%.*f", decimals, v);
}

static void stats_table(html_page *page, JsonObject *report)
{
	static const char *const head[] = { "mode", "client kind", "edges", "p50 ms", "p90 ms",
					    "p99 ms", "max ms", "late", "lost", "phantom" };
	JsonArray *clients = html_json_array(report, "clients");
	JsonObject *modes = html_json_object(report, "modes");
	html_table_begin(page, head, G_N_ELEMENTS(head));
	const char *mode_names[] = { "event", "poll" };
	for (unsigned m = 0; m < G_N_ELEMENTS(mode_names); m++) {
		guint n = clients ? json_array_get_length(clients) : 0;
		for (guint i = 0; i <= n; i++) {
			JsonObject *c = i < n ? json_array_get_object_element(clients, i) : NULL;
			JsonObject *s = c ? html_json_object(c, mode_names[m])
					  : modes ? html_json_object(modes, mode_names[m])
						  : NULL;
			if (s == NULL || json_object_get_int_member_with_default(s, "edges", 0) == 0)
				continue;
			const char *kind = c ? json_object_get_string_member_with_default(c, "kind", "?")
					     : "all libpcsclite clients";
			g_autofree char *e = num(json_object_get_int_member_with_default(s, "edges", 0), 0);
			g_autofree char *p50 = num(json_object_get_double_member_with_default(s, "p50_ms", 0), 3);
			g_autofree char *p90 = num(json_object_get_double_member_with_default(s, "p90_ms", 0), 3);
			g_autofree char *p99 = num(json_object_get_double_member_with_default(s, "p99_ms", 0), 3);
			g_autofree char *mx = num(json_object_get_double_member_with_default(s, "max_ms", 0), 3);
			gint64 lost = json_object_get_int_member_with_default(s, "lost", 0);
			g_autofree char *late = num(json_object_get_int_member_with_default(s, "late", 0), 0);
			g_autofree char *lo = num(lost, 0);
			g_autofree char *ph = num(json_object_get_int_member_with_default(s, "phantom", 0), 0);
			const char *cells[] = { mode_names[m], kind, e, p50, p90, p99, mx, late, lo, ph };
			html_table_row(page, cells, G_N_ELEMENTS(cells), lost > 0 ? "bad" : NULL);
		}
	}
	html_table_end(page);
}

void check_html_histograms(html_page *page, JsonObject *modes)
{
	const char *mode_names[] = { "event", "poll" };
	const char *titles[] = { "event mode: edge to wakeup, libpcsclite clients",
				 "polling-only mode: edge to wakeup, libpcsclite clients" };
	for (unsigned m = 0; m < G_N_ELEMENTS(mode_names); m++) {
		JsonObject *s = modes ? html_json_object(modes, mode_names[m]) : NULL;
		JsonArray *h = s ? html_json_array(s, "histogram") : NULL;
		guint64 counts[CHECK_HIST_N] = { 0 }, total = 0;
		for (guint b = 0; h != NULL && b < MIN(json_array_get_length(h), CHECK_HIST_N); b++) {
			counts[b] = (guint64)MAX(json_array_get_int_element(h, b), 0);
			total += counts[b];
		}
		if (total == 0) {
			html_p(page, "%s: no edge caught in this mode.", titles[m]);
			continue;
		}
		char *labels[CHECK_HIST_N];
		for (unsigned b = 0; b < CHECK_HIST_N; b++)
			labels[b] = check_histogram_label(b);
		g_autofree char *cap = g_strdup_printf("%s (%" G_GUINT64_FORMAT " wakeups)", titles[m],
						       total);
		html_histogram(page, cap, (const char *const *)labels, counts, CHECK_HIST_N);
		for (unsigned b = 0; b < CHECK_HIST_N; b++)
			g_free(labels[b]);
	}
}

void check_html_classes(html_page *page, JsonArray *classes, const char *where)
{
	static const char *const head[] = { "class", "count", "per call", "per s", "what" };
	html_table_begin(page, head, G_N_ELEMENTS(head));
	guint n = classes ? json_array_get_length(classes) : 0;
	for (guint i = 0; i < n; i++) {
		JsonObject *k = json_array_get_object_element(classes, i);
		gint64 count = json_object_get_int_member_with_default(k, "count", 0);
		bool asserted = json_object_get_boolean_member_with_default(k, "asserted", FALSE);
		g_autofree char *c = g_strdup_printf("%" G_GINT64_FORMAT, count);
		g_autofree char *pc = g_strdup_printf(
			"%.2e", json_object_get_double_member_with_default(k, "per_call", 0));
		g_autofree char *ps = g_strdup_printf(
			"%.3f", json_object_get_double_member_with_default(k, "per_s", 0));
		g_autofree char *what = g_strdup_printf(
			"%s%s", json_object_get_string_member_with_default(k, "what", ""),
			asserted ? " (must be 0)" : "");
		const char *cells[] = { json_object_get_string_member_with_default(k, "name", "?"), c,
					pc, ps, what };
		html_table_row(page, cells, G_N_ELEMENTS(cells),
			       count == 0 ? NULL : asserted ? "bad" : "warn");
	}
	html_table_end(page);
	for (guint i = 0; i < n; i++) {
		JsonObject *k = json_array_get_object_element(classes, i);
		JsonNode *ex = json_object_get_member(k, "example");
		if (json_object_get_int_member_with_default(k, "count", 0) == 0 || ex == NULL ||
		    !JSON_NODE_HOLDS_OBJECT(ex))
			continue;
		JsonObject *eo = json_node_get_object(ex);
		const char *name = json_object_get_string_member_with_default(k, "name", "?");
		g_autofree char *head3 = g_strdup_printf("%s: first occurrence%s%s", name,
							 where ? " " : "", where ? where : "");
		html_h3(page, name, head3);
		html_p(page, "%s", json_object_get_string_member_with_default(eo, "detail", ""));
		html_timeline *tl = html_timeline_from_json(html_json_object(eo, "figure"));
		if (tl != NULL) {
			html_timeline_draw(page, tl);
			html_timeline_free(tl);
		}
		JsonArray *lines = html_json_array(eo, "timeline");
		g_autoptr(GString) text = g_string_new(NULL);
		for (guint l = 0; lines != NULL && l < json_array_get_length(lines); l++)
			g_string_append_printf(text, "%s\n", json_array_get_string_element(lines, l));
		if (text->len > 0)
			html_pre(page, text->str);
	}
}

bool check_html_write(const char *path, JsonObject *report, const char *title, GError **error)
{
	html_page *page = html_page_new(title);
	const char *verdict = json_object_get_string_member_with_default(report, "verdict", "?");
	JsonArray *reasons = html_json_array(report, "reasons");
	g_autoptr(GString) why = g_string_new(NULL);
	for (guint i = 0; reasons != NULL && i < json_array_get_length(reasons); i++)
		g_string_append_printf(why, "%s%s", i ? "; " : "", json_array_get_string_element(reasons, i));
	html_p(page, "Verdict: %s%s%s", verdict, why->len ? ": " : "", why->str);
	html_h2(page, "latency", "Edge to wakeup, per mode and client kind");
	stats_table(page, report);
	check_html_histograms(page, html_json_object(report, "modes"));
	html_h2(page, "classes", "Anomaly classes (libpcsclite clients)");
	check_html_classes(page, html_json_array(report, "classes"), NULL);
	bool ok = html_page_write(page, path, error);
	html_page_free(page);
	return ok;
}
