/* ccidlab — a timeline as JSON and back, so that a figure made where the
 * run happened (check-events, inside a lab) can be drawn by whoever reads
 * its report (the matrix, from each cell's --json):
 * {"title","t0","t1","lanes":[{"name","items":[{"k","t0","t1","label","tip"}]}]}. */
#include "config.h"

#include <string.h>

#include "report/html.h"

JsonObject *html_json_object(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *html_json_array(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* A member that is a number (a string), or def: the figure comes from a
 * file that anything may have written. */
static double num_member(JsonObject *o, const char *name, double def)
{
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n))
		return def;
	GType t = json_node_get_value_type(n);
	return t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(n) : def;
}

static const char *str_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n)
		       : NULL;
}

static JsonObject *element_object(JsonArray *a, guint i)
{
	JsonNode *n = json_array_get_element(a, i);
	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *const kind_names[] = { "edge", "call", "return", "anomaly", "lock", "sleep" };

static void member_d(JsonBuilder *b, const char *name, double v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, v);
}

static void member_s(JsonBuilder *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

void html_timeline_to_json(JsonBuilder *b, const html_timeline *tl)
{
	json_builder_begin_object(b);
	member_s(b, "title", tl->title);
	member_d(b, "t0", tl->t0);
	member_d(b, "t1", tl->t1);
	json_builder_set_member_name(b, "lanes");
	json_builder_begin_array(b);
	for (guint i = 0; i < tl->lanes->len; i++) {
		const html_lane *l = g_ptr_array_index(tl->lanes, i);
		json_builder_begin_object(b);
		member_s(b, "name", l->name);
		json_builder_set_member_name(b, "items");
		json_builder_begin_array(b);
		for (guint k = 0; k < l->items->len; k++) {
			const html_item *it = &g_array_index(l->items, html_item, k);
			json_builder_begin_object(b);
			member_s(b, "k", kind_names[it->kind]);
			member_d(b, "t0", it->t0);
			if (it->t1 != it->t0)
				member_d(b, "t1", it->t1);
			member_s(b, "label", it->label);
			member_s(b, "tip", it->tip);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static int kind_of(const char *name)
{
	for (guint i = 0; name != NULL && i < G_N_ELEMENTS(kind_names); i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

html_timeline *html_timeline_from_json(JsonObject *o)
{
	JsonArray *lanes = html_json_array(o, "lanes");
	if (lanes == NULL)
		return NULL;
	const char *title = str_member(o, "title");
	html_timeline *tl = html_timeline_new(title ? title : "", num_member(o, "t0", 0),
					      num_member(o, "t1", 1));
	for (guint i = 0; i < json_array_get_length(lanes); i++) {
		JsonObject *lo = element_object(lanes, i);
		JsonArray *items = html_json_array(lo, "items");
		if (items == NULL)
			continue;
		const char *name = str_member(lo, "name");
		html_lane *l = html_timeline_lane(tl, name ? name : "?");
		for (guint k = 0; k < json_array_get_length(items); k++) {
			JsonObject *io = element_object(items, k);
			int kind = io ? kind_of(str_member(io, "k")) : -1;
			if (kind < 0)
				continue;
			double t0 = num_member(io, "t0", 0);
			html_lane_add_tip(l, (html_kind)kind, t0, num_member(io, "t1", t0),
					  str_member(io, "label"), str_member(io, "tip"));
		}
	}
	return tl;
}
