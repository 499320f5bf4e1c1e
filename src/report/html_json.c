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
	if (o == NULL)
		return NULL;
	JsonArray *lanes = html_json_array(o, "lanes");
	if (lanes == NULL)
		return NULL;
	html_timeline *tl = html_timeline_new(json_object_get_string_member_with_default(o, "title", ""),
					      json_object_get_double_member_with_default(o, "t0", 0),
					      json_object_get_double_member_with_default(o, "t1", 1));
	for (guint i = 0; i < json_array_get_length(lanes); i++) {
		JsonObject *lo = json_array_get_object_element(lanes, i);
		JsonArray *items = html_json_array(lo, "items");
		if (items == NULL)
			continue;
		html_lane *l =
			html_timeline_lane(tl, json_object_get_string_member_with_default(lo, "name", "?"));
		for (guint k = 0; k < json_array_get_length(items); k++) {
			JsonObject *io = json_array_get_object_element(items, k);
			int kind = io ? kind_of(json_object_get_string_member_with_default(io, "k", NULL))
				      : -1;
			if (kind < 0)
				continue;
			double t0 = json_object_get_double_member_with_default(io, "t0", 0);
			html_lane_add_tip(l, (html_kind)kind, t0,
					  json_object_get_double_member_with_default(io, "t1", t0),
					  json_object_get_string_member_with_default(io, "label", NULL),
					  json_object_get_string_member_with_default(io, "tip", NULL));
		}
	}
	return tl;
}
