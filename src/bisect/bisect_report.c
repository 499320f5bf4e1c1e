/* ccidlab — bisect: each step as it is judged, and the answer (text, or
 * one JSON object). */
#include "config.h"

#include <string.h>

#include "bisect/bisect.h"

/* "3 runs: 0 0 2" — the class's count in each run that judged it, and
 * how many did not run. */
static char *runs_text(const bisect_result *r, const bisect_point *p)
{
	g_autoptr(GString) s = g_string_new(NULL);
	unsigned judged = 0, other = 0;
	for (guint i = 0; p->runs != NULL && i < p->runs->len; i++) {
		const bisect_run *run = g_ptr_array_index(p->runs, i);
		if (!bisect_run_judges(run, r->klass)) {
			other++;
			continue;
		}
		g_string_append_printf(s, " %" G_GUINT64_FORMAT, bisect_run_count(run, r->klass));
		judged++;
	}
	g_autofree char *counts = g_string_free(g_steal_pointer(&s), FALSE);
	if (other > 0)
		return g_strdup_printf("%u runs,%s; %u more did not run", judged, counts, other);
	return g_strdup_printf("%u run%s,%s", judged, judged == 1 ? "" : "s",
			       judged ? counts : " none");
}

void bisect_print_step(FILE *out, const bisect_result *r, const bisect_point *p)
{
	g_autofree char *runs = runs_text(r, p);
	const char *role = p->step > 0 ? "" : p->verdict == BISECT_BAD ? "bad end" : "good end";
	g_autofree char *head = p->step > 0 ? g_strdup_printf("step %u", p->step) : g_strdup(role);
	if (p->build_failed) {
		fprintf(out, "%s: %.12s %s \"%s\": skipped, does not build (%s)\n", head,
			p->commit->id, p->commit->describe, p->commit->subject,
			p->build_log ? p->build_log : "");
		return;
	}
	fprintf(out, "%s: %.12s %s \"%s\": %s, %s: %s\n", head, p->commit->id, p->commit->describe,
		p->commit->subject, r->klass, runs, bisect_verdict_name(p->verdict));
	fflush(out);
}

static const bisect_point *point(const bisect_result *r, int i)
{
	return i >= 0 && (guint)i < r->points->len ? g_ptr_array_index(r->points, i) : NULL;
}

void bisect_report_text(FILE *out, const bisect_result *r)
{
	if (r->error != NULL) {
		fprintf(out, "bisect: no answer: %s\n", r->error);
		return;
	}
	fprintf(out, "bisect \"%s\": %u commits, %u judged, %.0f s\n", r->klass, r->points->len,
		r->steps->len, r->wall_s);
	fprintf(out, "  the bad end showed it in %u of %u runs: p = (%u+1)/(%u+2) = %.2f per run;\n"
		     "  a commit is good after %u clean runs (a bad one passes them with "
		     "probability %.3f <= %.2f)\n",
		r->bad_hits, r->bad_runs, r->bad_hits, r->bad_runs, r->rate, r->clean_runs,
		bisect_miss(r->rate, r->clean_runs), 1 - r->confidence);
	for (guint i = 0; i < r->steps->len; i++)
		bisect_print_step(out, r, g_ptr_array_index(r->steps, i));
	const bisect_point *a = point(r, r->answer);
	if (a != NULL) {
		fprintf(out, "%s: %s %s\n    \"%s\"\n", r->fixed ? "first fixed commit" : "first bad commit",
			a->commit->id, a->commit->describe, a->commit->subject);
		fprintf(out, "confidence of the answer: %.3f (each good verdict %.2f or better)\n",
			r->answer_confidence, r->confidence);
		return;
	}
	fprintf(out, "no single answer: commits that were skipped lie between; the %s is one of:\n",
		r->fixed ? "first fixed commit" : "first bad commit");
	for (int i = r->lo + 1; i <= r->hi; i++) {
		const bisect_point *p = point(r, i);
		fprintf(out, "  %s %s \"%s\"%s\n", p->commit->id, p->commit->describe,
			p->commit->subject,
			p->build_failed		       ? " (does not build)"
			: p->verdict == BISECT_SKIP ? " (does not run: see its runs' outcome)"
						    : "");
	}
}

static int index_of(const bisect_result *r, const bisect_point *p)
{
	for (guint i = 0; r->points != NULL && i < r->points->len; i++)
		if (g_ptr_array_index(r->points, i) == p)
			return (int)i;
	return -1;
}

static void json_point(JsonBuilder *b, const bisect_result *r, const bisect_point *p)
{
	json_builder_begin_object(b);
	report_json_int(b, "index", index_of(r, p));
	report_json_str(b, "commit", p->commit->id);
	report_json_str(b, "describe", p->commit->describe);
	report_json_str(b, "subject", p->commit->subject);
	report_json_int(b, "step", p->step);
	report_json_str(b, "verdict", bisect_verdict_name(p->verdict));
	report_json_bool(b, "build_failed", p->build_failed);
	json_builder_set_member_name(b, "counts");
	json_builder_begin_array(b);
	for (guint i = 0; p->runs != NULL && i < p->runs->len; i++) {
		const bisect_run *run = g_ptr_array_index(p->runs, i);
		if (bisect_run_judges(run, r->klass))
			json_builder_add_int_value(b, (gint64)bisect_run_count(run, r->klass));
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

void bisect_report_json(FILE *out, const bisect_result *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	/* ccidlab(1), OUTPUT: every report names its schema and the version
	 * that wrote it.  Why a search stopped is "failure": "error" is the
	 * member of the error object, which a report is not. */
	report_json_str(b, "schema", BISECT_REPORT_SCHEMA);
	report_json_str(b, "version", PACKAGE_VERSION);
	report_json_str(b, "class", r->klass);
	if (r->error != NULL)
		report_json_str(b, "failure", r->error);
	report_json_bool(b, "fixed", r->fixed);
	report_json_int(b, "commits", r->points ? r->points->len : 0);
	report_json_int(b, "bad_runs", r->bad_runs);
	report_json_int(b, "bad_hits", r->bad_hits);
	report_json_double(b, "rate", r->rate);
	report_json_int(b, "clean_runs", r->clean_runs);
	report_json_double(b, "confidence", r->confidence);
	report_json_double(b, "answer_confidence", r->answer_confidence);
	report_json_double(b, "wall_s", r->wall_s);
	json_builder_set_member_name(b, "steps");
	json_builder_begin_array(b);
	for (guint i = 0; r->steps != NULL && i < r->steps->len; i++)
		json_point(b, r, g_ptr_array_index(r->steps, i));
	json_builder_end_array(b);
	const bisect_point *a = r->error == NULL && r->points ? point(r, r->answer) : NULL;
	json_builder_set_member_name(b, "answer");
	if (a != NULL)
		json_point(b, r, a);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	g_autofree char *text = json_generator_to_data(g, NULL);
	fprintf(out, "%s\n", text);
}
