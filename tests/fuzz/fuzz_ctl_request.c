/* ccidlab — fuzz target: control request parsing (src/ctl/request.c).
 *
 * The input is one request line as a client would send it (without its
 * newline).  Whatever parses is checked for the bounds the parser
 * promises; whatever fails must carry a CTL_ERROR with a message, and an
 * error reply built from it must be one line of valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	int64_t id = -1;
	ctl_request *r = ctl_request_parse((const char *)data, size, &id, &err);
	if (r == NULL) {
		if (err == NULL || err->domain != CTL_ERROR || err->message == NULL ||
		    ctl_error_name((ctl_error)err->code) == NULL)
			abort();
		size_t len = 0;
		char *line = ctl_reply_error(id >= 0, id, (ctl_error)err->code, err->message);
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1) != NULL)
			abort();
		JsonParser *p = json_parser_new_immutable();
		if (!json_parser_load_from_data(p, line, (gssize)len, NULL))
			abort();
		g_object_unref(p);
		g_free(line);
		g_error_free(err);
		return 0;
	}
	if (err != NULL || r->kind >= CTL_REQ_COUNT || ctl_req_name(r->kind) == NULL)
		abort();
	if (r->has_slot && (r->slot < -1 || r->slot > 255))
		abort();
	if (r->n_targets > CTL_MAX_TARGETS || (r->n_targets > 0) != (r->targets != NULL))
		abort();
	for (size_t i = 0; i < r->n_targets; i++)
		if (!r->targets[i].reader.set || r->targets[i].slot > 255)
			abort();
	if (r->kind == CTL_REQ_STORM && !(r->rate > 0 && r->duration_ms > 0))
		abort();
	if (r->card != NULL && strlen(r->card) > CTL_MAX_STRING)
		abort();
	ctl_request_free(r);
	return 0;
}
