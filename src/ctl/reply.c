/* ccidlab — building control reply and stream lines (protocol.h). */
#include "config.h"

#include "ctl/protocol.h"

#include <string.h>

static JsonBuilder *reply_begin(bool has_id, int64_t id, bool ok)
{
	JsonBuilder *b = json_builder_new_immutable();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "v");
	json_builder_add_int_value(b, CTL_PROTOCOL_VERSION);
	if (has_id) {
		json_builder_set_member_name(b, "id");
		json_builder_add_int_value(b, id);
	}
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, ok);
	return b;
}

JsonBuilder *ctl_reply_begin(bool has_id, int64_t id)
{
	return reply_begin(has_id, id, true);
}

JsonBuilder *ctl_event_begin(const char *name)
{
	JsonBuilder *b = json_builder_new_immutable();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "v");
	json_builder_add_int_value(b, CTL_PROTOCOL_VERSION);
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, name);
	return b;
}

static char *node_to_line(JsonNode *root, size_t *len)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	json_generator_set_root(gen, root);
	gsize n = 0;
	char *text = json_generator_to_data(gen, &n);
	/* One line: the generator escapes control characters inside strings,
	 * and pretty printing is off, so the only newline is ours. */
	char *line = g_realloc(text, n + 2);
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len != NULL)
		*len = n + 1;
	return line;
}

char *ctl_line_finish(JsonBuilder *b, size_t *len)
{
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_object_unref(b);
	return node_to_line(root, len);
}

char *ctl_object_to_line(JsonObject *o, size_t *len)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(root, o);
	return node_to_line(root, len);
}

char *ctl_reply_error(bool has_id, int64_t id, ctl_error code, const char *message)
{
	JsonBuilder *b = reply_begin(has_id, id, false);
	json_builder_set_member_name(b, "error");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "code");
	const char *name = ctl_error_name(code);
	json_builder_add_string_value(b, name != NULL ? name : "failed");
	json_builder_set_member_name(b, "message");
	/* Messages may quote what the peer sent (json-glib's parse errors do,
	 * and they keep a lone \ud800 as invalid UTF-8): a reply must stay
	 * valid JSON. */
	g_autofree char *valid = g_utf8_make_valid(message != NULL ? message : "", -1);
	json_builder_add_string_value(b, valid);
	json_builder_end_object(b);
	return ctl_line_finish(b, NULL);
}

char *ctl_hex(const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char *s = g_malloc(len * 2 + 1);
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[buf[i] >> 4];
		s[2 * i + 1] = digits[buf[i] & 0xF];
	}
	s[len * 2] = '\0';
	return s;
}

void ctl_member_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

void ctl_member_string(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

void ctl_member_bool(JsonBuilder *b, const char *name, bool v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, v);
}
