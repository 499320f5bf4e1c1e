/* ccidlab — fuzz target: a figure read back from a report's JSON
 * (src/report/html_json.c) and drawn (html_svg.c).
 *
 * The input is JSON as a matrix reads it from a cell's report (any
 * object).  Reading it must never fail hard: no figure, or a figure that
 * draws into the page, and whatever text it carries comes out escaped
 * (no raw '<' from a label reaches the page).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	JsonParser *p = json_parser_new_immutable();
	if (!json_parser_load_from_data(p, (const char *)data, (gssize)size, NULL) ||
	    json_parser_get_root(p) == NULL || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_object_unref(p);
		return 0;
	}
	JsonObject *o = json_node_get_object(json_parser_get_root(p));
	html_timeline *tl = html_timeline_from_json(o);
	if (tl != NULL) {
		html_page *page = html_page_new("fuzz");
		html_timeline_draw(page, tl);
		const char *text = html_page_text(page);
		/* Only the figure's own markup: every '<' opens an element of
		 * the SVG or the legend. */
		for (const char *lt = strchr(text, '<'); lt != NULL; lt = strchr(lt + 1, '<'))
			if (!g_ascii_isalpha(lt[1]) && lt[1] != '/')
				abort();
		html_page_free(page);
		html_timeline_free(tl);
	}
	g_object_unref(p);
	return 0;
}
