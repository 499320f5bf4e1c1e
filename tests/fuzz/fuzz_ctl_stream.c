/* ccidlab — fuzz target: the control socket's stream records
 * (src/ctl/stream.c), the lines every client decodes.
 *
 * The input is one stream line as a server would send it (without its
 * newline).  What json-glib takes as an object goes to the decoder: a
 * refusal must carry CTL_ERROR_PROTOCOL with a message; an edge that
 * decodes must be within the bounds the decoder promises and encode back
 * to a line that decodes to the same record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/protocol.h"
#include "ctl/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_edge(const ctl_edge *e)
{
	if (e->seq == 0 || e->ts_ns < 0 || e->slot > 255 || e->state >= CTL_EDGE_STATE_COUNT ||
	    e->source >= CTL_EDGE_SRC_COUNT || memchr(e->device, '\0', sizeof e->device) == NULL)
		abort();
	g_autofree char *line = ctl_edge_line(e, NULL);
	JsonParser *p = json_parser_new_immutable();
	if (!json_parser_load_from_data(p, line, -1, NULL))
		abort();
	ctl_stream_rec again;
	if (!ctl_stream_decode(json_node_get_object(json_parser_get_root(p)), &again, NULL) ||
	    again.kind != CTL_STREAM_EDGE || again.edge.seq != e->seq ||
	    again.edge.state != e->state || again.edge.source != e->source ||
	    strcmp(again.edge.device, e->device) != 0)
		abort();
	g_object_unref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The client's own bound on a stream line (client.h). */
	if (size > CTL_LINE_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	JsonParser *p = json_parser_new_immutable();
	if (!json_parser_load_from_data(p, (const char *)data, (gssize)size, NULL) ||
	    json_parser_get_root(p) == NULL || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_object_unref(p);
		return 0;
	}
	GError *err = NULL;
	ctl_stream_rec rec;
	if (!ctl_stream_decode(json_node_get_object(json_parser_get_root(p)), &rec, &err)) {
		if (err == NULL || !g_error_matches(err, CTL_ERROR, CTL_ERROR_PROTOCOL) ||
		    err->message == NULL)
			abort();
		g_error_free(err);
	} else if (err != NULL) {
		abort();
	} else if (rec.kind == CTL_STREAM_EDGE) {
		check_edge(&rec.edge);
	} else if (rec.kind == CTL_STREAM_FRAME && rec.frame.hex == NULL) {
		abort();
	}
	g_object_unref(p);
	return 0;
}
