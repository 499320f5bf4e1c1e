/* ccidlab — bisect --html: the search as a page (the steps table, and the
 * commit line with each judged commit on it). */
#include "config.h"

#include "bisect/bisect.h"
#include "report/html.h"

static char *counts_of(const bisect_result *r, const bisect_point *p)
{
	g_autoptr(GString) s = g_string_new(NULL);
	for (guint i = 0; p->runs != NULL && i < p->runs->len; i++) {
		const bisect_run *run = g_ptr_array_index(p->runs, i);
		if (bisect_run_judges(run, r->klass))
			g_string_append_printf(s, "%s%" G_GUINT64_FORMAT, s->len ? " " : "",
					       bisect_run_count(run, r->klass));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static void steps_table(html_page *page, const bisect_result *r)
{
	static const char *const head[] = { "step", "commit", "describe", "subject",
					    "runs: count of the class in each", "verdict" };
	html_table_begin(page, head, G_N_ELEMENTS(head));
	for (guint i = 0; i < r->steps->len; i++) {
		const bisect_point *p = g_ptr_array_index(r->steps, i);
		g_autofree char *step = p->step ? g_strdup_printf("%u", p->step)
						: g_strdup(p->verdict == BISECT_BAD ? "bad end"
										      : "good end");
		g_autofree char *id = g_strndup(p->commit->id, 12);
		g_autofree char *counts = p->build_failed ? g_strdup("does not build") : counts_of(r, p);
		const char *cells[] = { step, id, p->commit->describe, p->commit->subject, counts,
					bisect_verdict_name(p->verdict) };
		html_table_row(page, cells, G_N_ELEMENTS(cells),
			       p->verdict == BISECT_BAD    ? "bad"
			       : p->verdict == BISECT_GOOD ? "good"
							   : "warn");
	}
	html_table_end(page);
}

/* The commits on an axis (oldest left), each judged one a mark. */
static void commit_line(html_page *page, const bisect_result *r)
{
	g_autoptr(GString) cap = g_string_new("the commits, oldest left; red: bad, black: good; "
					      "each mark's step number (hover for the commit)");
	html_timeline *tl = html_timeline_new(cap->str, 0, MAX(r->points->len - 1, 1));
	tl->unit = "";
	tl->legend = false;
	html_lane *lane = html_timeline_lane(tl, "judged commits (index)");
	for (guint i = 0; i < r->points->len; i++) {
		const bisect_point *p = g_ptr_array_index(r->points, i);
		if (p->verdict == BISECT_UNJUDGED)
			continue;
		g_autofree char *label = p->step ? g_strdup_printf("%u", p->step) : g_strdup("end");
		g_autofree char *tip = g_strdup_printf(
			"%s %s: %.12s %s \"%s\"", p->step ? "step" : "end", bisect_verdict_name(p->verdict),
			p->commit->id, p->commit->describe, p->commit->subject);
		html_lane_add_tip(lane, p->verdict == BISECT_BAD ? HTML_ANOMALY : HTML_RETURN, i, i,
				  label, tip);
	}
	if (r->answer >= 0) {
		const bisect_point *a = g_ptr_array_index(r->points, r->answer);
		g_autofree char *label = g_strdup_printf("%s %.12s", r->fixed ? "first fixed" : "first bad",
							 a->commit->id);
		html_lane_add(html_timeline_lane(tl, "answer"), HTML_EDGE, r->answer, r->answer, label);
	}
	html_timeline_draw(page, tl);
	html_timeline_free(tl);
}

bool bisect_report_html(const char *path, const bisect_result *r, GError **error)
{
	g_autofree char *title = g_strdup_printf("ccidlab bisect: \"%s\"", r->klass);
	html_page *page = html_page_new(title);
	if (r->error != NULL)
		html_p(page, "No answer: %s", r->error);
	if (r->points != NULL && r->points->len > 0) {
		html_p(page, "%u commits on the first-parent line, %u judged, %.0f s; looking for the "
			     "%s.",
		       r->points->len, r->steps->len, r->wall_s,
		       r->fixed ? "first commit without the class (the fix)"
				: "first commit with the class (the cause)");
		html_p(page, "The bad end showed \"%s\" in %u of %u runs: p = (k+1)/(n+2) = %.2f per run. "
			     "A commit is bad at its first run that shows it, good after %u clean runs "
			     "(a bad commit passes them with probability %.3f, at most %.2f).",
		       r->klass, r->bad_hits, r->bad_runs, r->rate, r->clean_runs,
		       bisect_miss(r->rate, r->clean_runs), 1 - r->confidence);
	}
	if (r->error == NULL && r->answer >= 0) {
		const bisect_point *a = g_ptr_array_index(r->points, r->answer);
		html_h2(page, "answer", r->fixed ? "First fixed commit" : "First bad commit");
		html_p(page, "%s (%s): \"%s\"; confidence of the answer %.3f.", a->commit->id,
		       a->commit->describe, a->commit->subject, r->answer_confidence);
	}
	if (r->steps != NULL && r->steps->len > 0) {
		html_h2(page, "steps", "The bisect steps");
		steps_table(page, r);
		commit_line(page, r);
	}
	bool ok = html_page_write(page, path, error);
	html_page_free(page);
	return ok;
}
