/* ccidlab — bisect --replay FILE: a result printed with --json, read back
 * into the search's record, so that its text and its page can be made
 * again (from a CI artifact, say) without building or running anything.
 * Commits the search did not judge come back as placeholders. */
#include "config.h"

#include <string.h>

#include "bisect/bisect.h"
#include "report/html.h"

static bisect_point *point_from(JsonObject *o, const char *klass)
{
	bisect_point *p = g_new0(bisect_point, 1);
	p->commit = g_new0(bisect_commit, 1);
	p->commit->id = g_strdup(json_object_get_string_member_with_default(o, "commit", ""));
	p->commit->describe = g_strdup(json_object_get_string_member_with_default(o, "describe", ""));
	p->commit->subject = g_strdup(json_object_get_string_member_with_default(o, "subject", ""));
	p->step = (unsigned)json_object_get_int_member_with_default(o, "step", 0);
	p->build_failed = json_object_get_boolean_member_with_default(o, "build_failed", FALSE);
	const char *v = json_object_get_string_member_with_default(o, "verdict", "");
	p->verdict = strcmp(v, "good") == 0 ? BISECT_GOOD
		     : strcmp(v, "bad") == 0 ? BISECT_BAD
		     : strcmp(v, "skip") == 0 ? BISECT_SKIP
					      : BISECT_UNJUDGED;
	JsonArray *counts = html_json_array(o, "counts");
	for (guint i = 0; counts != NULL && i < json_array_get_length(counts); i++) {
		bisect_run *r = bisect_run_new("ran", 0);
		gint64 n = json_array_get_int_element(counts, i);
		g_hash_table_insert(r->counts, g_strdup(klass), GSIZE_TO_POINTER((gsize)MAX(n, 0)));
		bisect_point_take_run(p, r);
	}
	return p;
}

static bisect_point *placeholder(void)
{
	bisect_point *p = g_new0(bisect_point, 1);
	p->commit = g_new0(bisect_commit, 1);
	p->commit->id = g_strdup("");
	p->commit->describe = g_strdup("");
	p->commit->subject = g_strdup("");
	return p;
}

static void point_drop(bisect_point *p)
{
	bisect_commit_free(p->commit);
	bisect_point_free(p);
}

/* Puts p at its index (replacing a placeholder) and returns it; NULL
 * (p freed) when the index is out of range or already taken. */
static bisect_point *place(bisect_result *r, bisect_point *p, gint64 index)
{
	if (index < 0 || (guint64)index >= r->points->len) {
		point_drop(p);
		return NULL;
	}
	bisect_point *old = g_ptr_array_index(r->points, (guint)index);
	if (old->commit->id[0] != '\0') {
		point_drop(p);
		return NULL;
	}
	point_drop(old);
	g_ptr_array_index(r->points, (guint)index) = p;
	return p;
}

bool bisect_result_load(const char *path, bisect_result *r, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_file(parser, path, error))
		return false;
	JsonNode *root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root) ||
	    !json_object_has_member(json_node_get_object(root), "steps")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s is not the JSON of a ccidlab bisect", path);
		return false;
	}
	JsonObject *o = json_node_get_object(root);
	static char klass[256];
	g_strlcpy(klass, json_object_get_string_member_with_default(o, "class", "?"), sizeof klass);
	r->klass = klass;
	/* "failure"; results written before the schema field said "error". */
	const char *why = json_object_has_member(o, "failure") ? "failure" : "error";
	if (json_object_has_member(o, why))
		r->error = g_strdup(json_object_get_string_member_with_default(o, why, ""));
	r->fixed = json_object_get_boolean_member_with_default(o, "fixed", FALSE);
	r->bad_runs = (unsigned)json_object_get_int_member_with_default(o, "bad_runs", 0);
	r->bad_hits = (unsigned)json_object_get_int_member_with_default(o, "bad_hits", 0);
	r->rate = json_object_get_double_member_with_default(o, "rate", 0);
	r->clean_runs = (unsigned)json_object_get_int_member_with_default(o, "clean_runs", 0);
	r->confidence = json_object_get_double_member_with_default(o, "confidence", 0);
	r->answer_confidence = json_object_get_double_member_with_default(o, "answer_confidence", 0);
	r->wall_s = json_object_get_double_member_with_default(o, "wall_s", 0);
	gint64 n = json_object_get_int_member_with_default(o, "commits", 0);
	for (gint64 i = 0; i < CLAMP(n, 0, 1000000); i++)
		g_ptr_array_add(r->points, placeholder());
	JsonArray *steps = html_json_array(o, "steps");
	for (guint i = 0; steps != NULL && i < json_array_get_length(steps); i++) {
		JsonObject *s = json_array_get_object_element(steps, i);
		bisect_point *p = place(r, point_from(s, klass),
					json_object_get_int_member_with_default(s, "index", -1));
		if (p != NULL)
			g_ptr_array_add(r->steps, p);
	}
	JsonNode *a = json_object_get_member(o, "answer");
	r->answer = a != NULL && JSON_NODE_HOLDS_OBJECT(a)
			    ? (int)json_object_get_int_member_with_default(json_node_get_object(a),
									   "index", -1)
			    : -1;
	r->lo = r->answer - 1;
	r->hi = r->answer;
	return true;
}
