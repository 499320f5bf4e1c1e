/* ccidlab — matrix --html: the version matrix as one self-contained page:
 * the classes side by side (one column per pcsc-lite), then for each
 * version its latency histograms and a figure of each class that
 * occurred, from the first cell that showed it (check_html.c draws them
 * from the matrix's JSON, which carries the cells' figures). */
#include "config.h"

#include "report/html.h"
#include "check/check_events.h"
#include "check/matrix.h"

static void side_by_side(html_page *page, JsonArray *versions)
{
	guint nv = json_array_get_length(versions);
	g_autoptr(GPtrArray) head = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(head, g_strdup("class"));
	for (guint i = 0; i < nv; i++) {
		JsonObject *v = json_array_get_object_element(versions, i);
		const char *root = json_object_get_string_member_with_default(v, "root", NULL);
		g_ptr_array_add(head, g_strdup_printf("%s (%s)",
						      json_object_get_string_member_with_default(v, "version", "?"),
						      root ? root : "host"));
	}
	html_table_begin(page, (const char *const *)head->pdata, head->len);
	JsonObject *v0 = json_array_get_object_element(versions, 0);
	JsonArray *rows = html_json_array(v0, "classes");
	for (guint k = 0; rows != NULL && k < json_array_get_length(rows); k++) {
		const char *name = json_object_get_string_member_with_default(
			json_array_get_object_element(rows, k), "name", "?");
		g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(cells, g_strdup(name));
		bool any = false, asserted = false;
		for (guint i = 0; i < nv; i++) {
			JsonArray *cl = html_json_array(
				json_array_get_object_element(versions, i), "classes");
			gint64 count = -1;
			for (guint j = 0; cl != NULL && j < json_array_get_length(cl); j++) {
				JsonObject *c = json_array_get_object_element(cl, j);
				if (g_strcmp0(json_object_get_string_member_with_default(c, "name", ""), name) == 0) {
					count = json_object_get_int_member_with_default(c, "count", 0);
					asserted = json_object_get_boolean_member_with_default(c, "asserted", FALSE);
				}
			}
			any |= count > 0;
			g_ptr_array_add(cells, count < 0 ? g_strdup("-")
							 : g_strdup_printf("%" G_GINT64_FORMAT, count));
		}
		html_table_row(page, (const char *const *)cells->pdata, cells->len,
			       !any ? NULL : asserted ? "bad" : "warn");
	}
	html_table_end(page);
}

bool matrix_report_html(const char *path, GPtrArray *versions, const char *suite, double wall_s,
			GError **error)
{
	g_autoptr(JsonNode) root = matrix_report_node(versions, suite, wall_s);
	JsonObject *o = json_node_get_object(root);
	JsonArray *vs = html_json_array(o, "versions");
	g_autofree char *title = g_strdup_printf("ccidlab matrix: %s suite, %u version%s", suite,
						 vs ? json_array_get_length(vs) : 0,
						 vs && json_array_get_length(vs) == 1 ? "" : "s");
	html_page *page = html_page_new(title);
	html_p(page, "%s in %.0f s.  The classes summed over each version's cells: a row is red "
		     "where a class that must be 0 occurred, yellow for the other findings.",
	       json_object_get_boolean_member_with_default(o, "pass", FALSE) ? "PASS" : "FAIL", wall_s);
	if (vs != NULL && json_array_get_length(vs) > 0) {
		html_h2(page, "matrix", "The classes, side by side");
		side_by_side(page, vs);
	}
	for (guint i = 0; vs != NULL && i < json_array_get_length(vs); i++) {
		JsonObject *v = json_array_get_object_element(vs, i);
		const char *root_dir = json_object_get_string_member_with_default(v, "root", NULL);
		g_autofree char *h = g_strdup_printf("pcsc-lite %s (%s)",
						     json_object_get_string_member_with_default(v, "version", "?"),
						     root_dir ? root_dir : "host");
		g_autofree char *id = g_strdup_printf("v%u", i);
		html_h2(page, id, h);
		check_html_histograms(page, html_json_object(v, "modes"));
		check_html_classes(page, html_json_array(v, "classes"), h);
	}
	bool ok = html_page_write(page, path, error);
	html_page_free(page);
	return ok;
}
