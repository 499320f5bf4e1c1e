/* ccidlab — `ccidlab matrix`: each version's cells added up, and the
 * side-by-side table (rows: the classes, then the totals; columns: the
 * versions), as text or one JSON object. */
#include "config.h"

#include <string.h>

#include "check/matrix.h"
#include "report/json_member.h"

#define CRASH_ROW "crash"

static void row_free(gpointer p)
{
	matrix_row *r = p;
	g_free(r->name);
	g_free(r->cell);
	g_free(r->detail);
	g_free(r->what);
	if (r->figure != NULL)
		json_node_unref(r->figure);
	g_ptr_array_unref(r->timeline);
	g_free(r);
}

matrix_version *matrix_version_new(const char *root, const char *dir)
{
	matrix_version *v = g_new0(matrix_version, 1);
	v->root = g_strdup(root);
	v->version = g_strdup("?");
	v->dir = g_strdup(dir);
	v->rows = g_ptr_array_new_with_free_func(row_free);
	v->cells = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	/* The two rows every version has even before its first report. */
	matrix_row_get(v, "lost", true);
	matrix_row_get(v, CRASH_ROW, true);
	/* Not a checker class: a cell that stopped because pcscd left a first
	 * call unanswered (matrix_cell.c).  Reported, 0 when it never was. */
	matrix_row_get(v, MATRIX_ROW_UNANSWERED, false);
	return v;
}

void matrix_version_free(matrix_version *v)
{
	if (v == NULL)
		return;
	g_free(v->root);
	g_free(v->version);
	g_free(v->dir);
	g_ptr_array_unref(v->rows);
	g_ptr_array_unref(v->cells);
	g_free(v);
}

matrix_row *matrix_row_get(matrix_version *v, const char *name, bool asserted)
{
	for (guint i = 0; i < v->rows->len; i++) {
		matrix_row *r = g_ptr_array_index(v->rows, i);
		if (strcmp(r->name, name) == 0)
			return r;
	}
	matrix_row *r = g_new0(matrix_row, 1);
	r->name = g_strdup(name);
	r->asserted = asserted;
	r->timeline = g_ptr_array_new_with_free_func(g_free);
	/* The checker's order, "crash" last. */
	guint at = v->rows->len;
	if (at > 0 && strcmp(((matrix_row *)g_ptr_array_index(v->rows, at - 1))->name, CRASH_ROW) == 0)
		at--;
	g_ptr_array_insert(v->rows, (gint)at, r);
	return r;
}

void matrix_note_crash(matrix_version *v, const char *cell, const char *detail)
{
	matrix_row *r = matrix_row_get(v, CRASH_ROW, true);
	r->count++;
	if (r->cell == NULL) {
		r->cell = g_strdup(cell);
		r->detail = g_strdup(detail);
	}
}

bool matrix_version_pass(const matrix_version *v)
{
	for (guint i = 0; i < v->rows->len; i++) {
		const matrix_row *r = g_ptr_array_index(v->rows, i);
		if (r->asserted && r->count > 0)
			return false;
	}
	return true;
}

/* Every row name over the versions, in order of first appearance (each
 * version's list is the checker's order, so they merge in place). */
static GPtrArray *row_names(GPtrArray *versions)
{
	GPtrArray *names = g_ptr_array_new();
	for (guint i = 0; i < versions->len; i++) {
		matrix_version *v = g_ptr_array_index(versions, i);
		guint at = 0;
		for (guint k = 0; k < v->rows->len; k++) {
			matrix_row *r = g_ptr_array_index(v->rows, k);
			guint found = names->len;
			for (guint n = 0; n < names->len; n++)
				if (strcmp(g_ptr_array_index(names, n), r->name) == 0)
					found = n;
			if (found == names->len)
				g_ptr_array_insert(names, (gint)at++, r->name);
			else
				at = found + 1;
		}
	}
	return names;
}

static const matrix_row *row_of(const matrix_version *v, const char *name)
{
	for (guint i = 0; i < v->rows->len; i++) {
		const matrix_row *r = g_ptr_array_index(v->rows, i);
		if (strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

static double per(guint64 n, double d)
{
	return d > 0 ? n / d : 0;
}

static char *column_title(const matrix_version *v)
{
	return g_strdup_printf("%s (%s)", v->version, v->root ? v->root : "host");
}

enum { NAME_W = 34, COL_W = 28 };

static void total_row(FILE *out, GPtrArray *versions, const char *name, int which)
{
	fprintf(out, "%-*s", NAME_W, name);
	for (guint i = 0; i < versions->len; i++) {
		const matrix_version *v = g_ptr_array_index(versions, i);
		char cell[64];
		switch (which) {
		case 0: g_snprintf(cell, sizeof cell, "%" G_GUINT64_FORMAT, v->calls); break;
		case 1: g_snprintf(cell, sizeof cell, "%" G_GUINT64_FORMAT, v->listings); break;
		case 2: g_snprintf(cell, sizeof cell, "%" G_GUINT64_FORMAT, v->edges); break;
		case 3: g_snprintf(cell, sizeof cell, "%.1f (wall %.0f)", v->duration_s, v->wall_s); break;
		case 4: g_snprintf(cell, sizeof cell, "%u run, %u n/a", v->cells_run, v->cells_na); break;
		default: g_snprintf(cell, sizeof cell, "%s", matrix_version_pass(v) ? "PASS" : "FAIL");
		}
		fprintf(out, " %*s", COL_W, cell);
	}
	fputc('\n', out);
}

void matrix_report_text(FILE *out, GPtrArray *versions, const char *suite, double wall_s)
{
	fprintf(out, "ccidlab matrix, %s suite, %.0f s: count (per call, per s) over every cell\n\n",
		suite, wall_s);
	fprintf(out, "%-*s", NAME_W, "class");
	for (guint i = 0; i < versions->len; i++) {
		g_autofree char *t = column_title(g_ptr_array_index(versions, i));
		fprintf(out, " %*s", COL_W, t);
	}
	fputc('\n', out);
	g_autoptr(GPtrArray) names = row_names(versions);
	for (guint n = 0; n < names->len; n++) {
		const char *name = g_ptr_array_index(names, n);
		bool asserted = false;
		for (guint i = 0; i < versions->len; i++) {
			const matrix_row *r = row_of(g_ptr_array_index(versions, i), name);
			asserted |= r != NULL && r->asserted;
		}
		g_autofree char *label = g_strdup_printf("%s%s", name, asserted ? " (must be 0)" : "");
		fprintf(out, "%-*s", NAME_W, label);
		for (guint i = 0; i < versions->len; i++) {
			const matrix_version *v = g_ptr_array_index(versions, i);
			const matrix_row *r = row_of(v, name);
			guint64 c = r ? r->count : 0;
			char cell[64];
			g_snprintf(cell, sizeof cell, "%" G_GUINT64_FORMAT " (%.1e, %.3f)", c,
				   per(c, (double)v->calls), per(c, v->duration_s));
			fprintf(out, " %*s", COL_W, cell);
		}
		fputc('\n', out);
	}
	static const char *totals[] = { "calls", "listings", "edges", "duration s", "cells",
					"verdict" };
	for (int k = 0; k < (int)G_N_ELEMENTS(totals); k++)
		total_row(out, versions, totals[k], k);
	for (guint i = 0; i < versions->len; i++) {
		const matrix_version *v = g_ptr_array_index(versions, i);
		g_autofree char *t = column_title(v);
		for (guint k = 0; k < v->rows->len; k++) {
			const matrix_row *r = g_ptr_array_index(v->rows, k);
			if (r->count == 0 || r->cell == NULL)
				continue;
			fprintf(out, "\n%s, first %s: cell \"%s\": %s\n", t, r->name, r->cell,
				r->detail ? r->detail : "");
			for (guint l = 0; l < r->timeline->len; l++)
				fprintf(out, "    %s\n", (char *)g_ptr_array_index(r->timeline, l));
		}
	}
}

static void version_json(JsonBuilder *b, const matrix_version *v)
{
	json_builder_begin_object(b);
	report_json_str(b, "version", v->version);
	json_builder_set_member_name(b, "root");
	if (v->root)
		json_builder_add_string_value(b, v->root);
	else
		json_builder_add_null_value(b);
	report_json_int(b, "max_readers", v->max_readers);
	const struct {
		const char *n;
		double x;
	} tot[] = { { "calls", (double)v->calls }, { "listings", (double)v->listings },
		    { "edges", (double)v->edges }, { "duration_s", v->duration_s },
		    { "wall_s", v->wall_s }, { "cells_run", v->cells_run },
		    { "cells_na", v->cells_na } };
	for (unsigned i = 0; i < G_N_ELEMENTS(tot); i++)
		report_json_double(b, tot[i].n, tot[i].x);
	report_json_bool(b, "pass", matrix_version_pass(v));
	json_builder_set_member_name(b, "classes");
	json_builder_begin_array(b);
	for (guint k = 0; k < v->rows->len; k++) {
		const matrix_row *r = g_ptr_array_index(v->rows, k);
		json_builder_begin_object(b);
		report_json_str(b, "name", r->name);
		report_json_bool(b, "asserted", r->asserted);
		report_json_int(b, "count", (gint64)r->count);
		report_json_double(b, "per_call", per(r->count, (double)v->calls));
		report_json_double(b, "per_s", per(r->count, v->duration_s));
		report_json_str(b, "what", r->what ? r->what : "");
		json_builder_set_member_name(b, "example");
		if (r->cell == NULL) {
			json_builder_add_null_value(b);
		} else {
			json_builder_begin_object(b);
			report_json_str(b, "cell", r->cell);
			report_json_str(b, "detail", r->detail ? r->detail : "");
			json_builder_set_member_name(b, "timeline");
			json_builder_begin_array(b);
			for (guint l = 0; l < r->timeline->len; l++)
				json_builder_add_string_value(b, g_ptr_array_index(r->timeline, l));
			json_builder_end_array(b);
			if (r->figure != NULL) {
				json_builder_set_member_name(b, "figure");
				json_builder_add_value(b, json_node_copy(r->figure));
			}
			json_builder_end_object(b);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	/* The cells' latency histograms added up, as check-events gives them. */
	json_builder_set_member_name(b, "modes");
	json_builder_begin_object(b);
	const char *mode_names[] = { "event", "poll" };
	for (unsigned m = 0; m < 2; m++) {
		json_builder_set_member_name(b, mode_names[m]);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "histogram");
		json_builder_begin_array(b);
		for (unsigned k = 0; k < MATRIX_HIST_N; k++)
			json_builder_add_int_value(b, (gint64)v->hist[m][k]);
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "cells");
	json_builder_begin_array(b);
	for (guint k = 0; k < v->cells->len; k++) {
		JsonNode *n = json_node_new(JSON_NODE_OBJECT);
		json_node_set_object(n, g_ptr_array_index(v->cells, k));
		json_builder_add_value(b, n);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

void matrix_report_json(FILE *out, GPtrArray *versions, const char *suite, double wall_s)
{
	g_autoptr(JsonNode) root = matrix_report_node(versions, suite, wall_s);
	g_autofree char *text = json_to_string(root, FALSE);
	fprintf(out, "%s\n", text);
}

JsonNode *matrix_report_node(GPtrArray *versions, const char *suite, double wall_s)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	report_json_str(b, "schema", MATRIX_REPORT_SCHEMA);
	report_json_str(b, "version", PACKAGE_VERSION);
	report_json_str(b, "suite", suite);
	report_json_double(b, "wall_s", wall_s);
	bool pass = true;
	json_builder_set_member_name(b, "versions");
	json_builder_begin_array(b);
	for (guint i = 0; i < versions->len; i++) {
		const matrix_version *v = g_ptr_array_index(versions, i);
		pass &= matrix_version_pass(v);
		version_json(b, v);
	}
	json_builder_end_array(b);
	report_json_bool(b, "pass", pass);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}
