/* ccidlab — parsing one control request line (protocol.h).
 *
 * The line is checked before json-glib sees it (length, NUL bytes, UTF-8,
 * nesting depth: json-glib's parser recurses once per level, so a line of
 * 60,000 '[' must never reach it), then the object is walked against a
 * table of the members each request allows and requires.  Every error
 * says which member was wrong and what it should have been.
 */
#include "config.h"

#include "ctl/protocol.h"

#include <string.h>

#include "emu/storm_limits.h"

typedef enum member {
	M_READER,
	M_SLOT,
	M_CARD,
	M_FAULT,
	M_KIND,
	M_DATA,
	M_PATH,
	M_FILE,
	M_SCENARIO,
	M_STORM,
	M_RATE,
	M_DURATION,
	M_TARGETS,
	M_SEED,
	M_MIN_HOLD,
	M_BURST,
	M_BURST_GAP,
	M_SINCE,
	M_FD,
	M_APP_TEXT,
	M_SPEC,
	M_COUNT
} member;

static const char *const member_names[M_COUNT] = {
	[M_READER] = "reader",	      [M_SLOT] = "slot",	[M_CARD] = "card",
	[M_FAULT] = "fault",	      [M_KIND] = "kind",	[M_DATA] = "data",
	[M_PATH] = "path",	      [M_FILE] = "file",	[M_SCENARIO] = "scenario",
	[M_STORM] = "storm",	      [M_RATE] = "rate",	[M_DURATION] = "duration_ms",
	[M_TARGETS] = "targets",      [M_SEED] = "seed",	[M_MIN_HOLD] = "min_hold_ms",
	[M_BURST] = "burst",	      [M_BURST_GAP] = "burst_gap_us", [M_SINCE] = "since",
	[M_FD] = "fd",		      [M_APP_TEXT] = "app-text", [M_SPEC] = "spec",
};

#define B(m) (1u << (m))

typedef struct req_spec {
	const char *name;
	unsigned allowed;
	unsigned required;
} req_spec;

static const req_spec specs[CTL_REQ_COUNT] = {
	[CTL_REQ_HELLO] = { "hello", 0, 0 },
	[CTL_REQ_LIST] = { "list", 0, 0 },
	[CTL_REQ_INSERT] = { "insert", B(M_READER) | B(M_SLOT) | B(M_CARD) | B(M_APP_TEXT),
			     B(M_READER) | B(M_CARD) },
	[CTL_REQ_REMOVE] = { "remove", B(M_READER) | B(M_SLOT), B(M_READER) },
	[CTL_REQ_SWAP] = { "swap", B(M_READER) | B(M_SLOT) | B(M_CARD) | B(M_APP_TEXT),
			   B(M_READER) | B(M_CARD) },
	[CTL_REQ_MUTE] = { "mute", B(M_READER) | B(M_SLOT), B(M_READER) },
	[CTL_REQ_UNMUTE] = { "unmute", B(M_READER) | B(M_SLOT), B(M_READER) },
	[CTL_REQ_FAULT_SET] = { "fault-set", B(M_READER) | B(M_SLOT) | B(M_FAULT),
				B(M_READER) | B(M_FAULT) },
	[CTL_REQ_FAULT_CLEAR] = { "fault-clear", B(M_READER) | B(M_SLOT) | B(M_KIND), B(M_READER) },
	/* "path" and "file" are known only to say why they are refused. */
	[CTL_REQ_SCENARIO_LOAD] = { "scenario-load", B(M_DATA) | B(M_PATH), B(M_DATA) },
	[CTL_REQ_SCENARIO_START] = { "scenario-start", B(M_SCENARIO), B(M_SCENARIO) },
	[CTL_REQ_SCENARIO_STOP] = { "scenario-stop", B(M_SCENARIO), 0 },
	[CTL_REQ_SCENARIO_STATUS] = { "scenario-status", B(M_SCENARIO), 0 },
	[CTL_REQ_STORM] = { "storm",
			    B(M_RATE) | B(M_DURATION) | B(M_TARGETS) | B(M_SEED) | B(M_MIN_HOLD) |
				    B(M_BURST) | B(M_BURST_GAP) | B(M_CARD),
			    B(M_RATE) | B(M_DURATION) },
	[CTL_REQ_STORM_STOP] = { "storm-stop", B(M_STORM), 0 },
	[CTL_REQ_STORM_STATUS] = { "storm-status", B(M_STORM), 0 },
	[CTL_REQ_SUBSCRIBE] = { "subscribe", B(M_SINCE), 0 },
	[CTL_REQ_UNSUBSCRIBE] = { "unsubscribe", 0, 0 },
	[CTL_REQ_TRACE_ON] = { "trace-on", B(M_READER) | B(M_FILE) | B(M_FD), 0 },
	[CTL_REQ_TRACE_OFF] = { "trace-off", B(M_READER), 0 },
	[CTL_REQ_DEVICE_ADD] = { "device-add", B(M_SPEC), B(M_SPEC) },
	[CTL_REQ_DEVICE_REMOVE] = { "device-remove", B(M_READER), B(M_READER) },
};

const char *ctl_req_name(ctl_req_kind k)
{
	if ((unsigned)k >= CTL_REQ_COUNT)
		return NULL;
	return specs[k].name;
}

static bool lookup_member(const char *name, member *out)
{
	for (unsigned i = 0; i < M_COUNT; i++)
		if (strcmp(member_names[i], name) == 0) {
			*out = (member)i;
			return true;
		}
	return false;
}

static char *allowed_list(unsigned mask)
{
	GString *s = g_string_new("v, id, req");
	for (unsigned i = 0; i < M_COUNT; i++)
		if (mask & B(i))
			g_string_append_printf(s, ", %s", member_names[i]);
	return g_string_free(s, FALSE);
}

static void reader_ref_clear(ctl_reader_ref *r)
{
	g_clear_pointer(&r->name, g_free);
	r->set = false;
}

void ctl_request_free(ctl_request *r)
{
	if (r == NULL)
		return;
	reader_ref_clear(&r->reader);
	g_free(r->card);
	g_free(r->spec);
	g_free(r->data);
	g_free(r->app_text);
	for (size_t i = 0; r->targets != NULL && i < r->n_targets; i++)
		reader_ref_clear(&r->targets[i].reader);
	g_free(r->targets);
	g_free(r);
}

#define REQUEST_EXAMPLE "{\"v\":1,\"id\":1,\"req\":\"hello\"}"

static bool json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Only one object per line: json-glib 1.6 leaks the value it was building
 * when it meets a second one (`{...} {...}`: a control-socket peer could
 * grow pcscd by sending such lines), so what follows the first value's
 * closing brace must be blank, and a line must start with one. */
static bool one_object(const char *line, size_t len, size_t end, GError **error)
{
	size_t i = 0;
	while (i < len && json_space(line[i]))
		i++;
	if (i < len && line[i] != '{') {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_JSON,
			    "the line does not start with '{': a request is one JSON object, "
			    "like " REQUEST_EXAMPLE);
		return false;
	}
	for (i = end; i < len; i++) {
		if (!json_space(line[i])) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_JSON,
				    "more after the object (byte %zu): send one object per line, "
				    "like " REQUEST_EXAMPLE, i);
			return false;
		}
	}
	return true;
}

/* Rejects what json-glib should not see: NUL bytes, invalid UTF-8,
 * nesting deeper than CTL_MAX_DEPTH (counted outside strings) and more
 * than one value on the line. */
static bool prescan(const char *line, size_t len, GError **error)
{
	if (len >= CTL_LINE_MAX) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_LINE_TOO_LONG,
			    "line of %zu bytes: a request line must be under %u bytes", len,
			    CTL_LINE_MAX);
		return false;
	}
	if (memchr(line, '\0', len) != NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_JSON,
			    "NUL byte in the line: send one JSON object in UTF-8 per line");
		return false;
	}
	if (!g_utf8_validate_len(line, len, NULL)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_JSON,
			    "the line is not valid UTF-8: send one JSON object in UTF-8 per line");
		return false;
	}
	unsigned depth = 0;
	bool in_string = false, escaped = false;
	size_t end = len;
	for (size_t i = 0; i < len && end == len; i++) {
		char c = line[i];
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > CTL_MAX_DEPTH) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
					    "JSON nested deeper than %u levels: requests are flat "
					    "objects (storm targets one level down)",
					    CTL_MAX_DEPTH);
				return false;
			}
		} else if ((c == '}' || c == ']') && depth > 0) {
			if (--depth == 0)
				end = i + 1;
		}
	}
	return one_object(line, len, end, error);
}

static const char *json_kind(JsonNode *n)
{
	if (JSON_NODE_HOLDS_NULL(n))
		return "null";
	if (JSON_NODE_HOLDS_OBJECT(n))
		return "an object";
	if (JSON_NODE_HOLDS_ARRAY(n))
		return "an array";
	GType t = json_node_get_value_type(n);
	if (t == G_TYPE_STRING)
		return "a string";
	if (t == G_TYPE_BOOLEAN)
		return "a boolean";
	if (t == G_TYPE_DOUBLE)
		return "a fractional number";
	return "a number";
}

static bool is_int(JsonNode *n)
{
	return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64;
}

/* An integer member in [lo, hi]. */
static bool get_int(JsonNode *n, const char *what, int64_t lo, int64_t hi, int64_t *out,
		    GError **error)
{
	if (!is_int(n)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\" is %s: it must be an integer from %" G_GINT64_FORMAT
			    " to %" G_GINT64_FORMAT,
			    what, json_kind(n), lo, hi);
		return false;
	}
	int64_t v = json_node_get_int(n);
	if (v < lo || v > hi) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\" is %" G_GINT64_FORMAT ": it must be from %" G_GINT64_FORMAT
			    " to %" G_GINT64_FORMAT,
			    what, v, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

static bool get_uint(JsonNode *n, const char *what, unsigned hi, unsigned *out, GError **error)
{
	int64_t v;
	if (!get_int(n, what, 0, hi, &v, error))
		return false;
	*out = (unsigned)v;
	return true;
}

static bool get_string(JsonNode *n, const char *what, char **out, GError **error)
{
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\" is %s: it must be a string", what, json_kind(n));
		return false;
	}
	const char *s = json_node_get_string(n);
	size_t len = strlen(s);
	if (!g_utf8_validate(s, -1, NULL)) {
		/* json-glib decodes a lone surrogate escape (\ud800) to bytes that
		 * are not UTF-8. */
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\" is not valid UTF-8 (a lone surrogate escape?): send text", what);
		return false;
	}
	size_t cap = strcmp(what, "data") == 0 || strcmp(what, "app-text") == 0
			     ? CTL_MAX_SCENARIO_DATA
			     : CTL_MAX_STRING;
	if (len == 0 || len > cap) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\" has %zu bytes: it must have 1 to %zu", what, len, cap);
		return false;
	}
	*out = g_strdup(s);
	return true;
}

static bool get_reader(JsonNode *n, const char *what, ctl_reader_ref *out, GError **error)
{
	if (is_int(n)) {
		int64_t v;
		if (!get_int(n, what, 0, 0xFFFF, &v, error))
			return false;
		out->number = (unsigned)v;
	} else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
		if (!get_string(n, what, &out->name, error))
			return false;
		out->by_name = true;
	} else {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\" is %s: it must be a reader number (Lun >> 16, 0 to 65535) "
			    "or the driver's reader name",
			    what, json_kind(n));
		return false;
	}
	out->set = true;
	return true;
}

static bool get_targets(JsonNode *n, ctl_request *r, GError **error)
{
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"targets\" is %s: it must be an array of {\"reader\":N[,\"slot\":S]}",
			    json_kind(n));
		return false;
	}
	JsonArray *a = json_node_get_array(n);
	guint len = json_array_get_length(a);
	if (len == 0 || len > CTL_MAX_TARGETS) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"targets\" has %u entries: it must have 1 to %u (leave it out for "
			    "every emulated slot)",
			    len, CTL_MAX_TARGETS);
		return false;
	}
	r->targets = g_new0(ctl_target, len);
	for (guint i = 0; i < len; i++) {
		JsonNode *e = json_array_get_element(a, i);
		ctl_target *t = &r->targets[i];
		r->n_targets = i + 1;
		t->slot = -1;
		if (!JSON_NODE_HOLDS_OBJECT(e)) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "targets[%u] is %s: it must be {\"reader\":N[,\"slot\":S]}", i,
				    json_kind(e));
			return false;
		}
		JsonObject *o = json_node_get_object(e);
		g_autoptr(GList) names = json_object_get_members(o);
		for (GList *l = names; l != NULL; l = l->next) {
			const char *m = l->data;
			JsonNode *v = json_object_get_member(o, m);
			int64_t slot;
			if (strcmp(m, "reader") == 0) {
				if (!get_reader(v, "targets[].reader", &t->reader, error))
					return false;
			} else if (strcmp(m, "slot") == 0) {
				if (!get_int(v, "targets[].slot", 0, 255, &slot, error))
					return false;
				t->slot = (int)slot;
			} else {
				g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
					    "targets[%u] has an unknown member \"%s\": a target has "
					    "\"reader\" and optionally \"slot\"",
					    i, m);
				return false;
			}
		}
		if (!t->reader.set) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "targets[%u] names no \"reader\": give a reader number", i);
			return false;
		}
	}
	return true;
}

static bool get_member(ctl_request *r, member m, JsonNode *v, GError **error)
{
	int64_t i64;
	switch (m) {
	case M_READER:
		return get_reader(v, "reader", &r->reader, error);
	case M_SLOT: {
		int64_t lo = r->kind == CTL_REQ_FAULT_SET || r->kind == CTL_REQ_FAULT_CLEAR ? -1 : 0;
		if (!get_int(v, "slot", lo, 255, &i64, error))
			return false;
		r->slot = (int)i64;
		r->has_slot = true;
		return true;
	}
	case M_CARD:
		return get_string(v, "card", &r->card, error);
	case M_SPEC:
		return get_string(v, "spec", &r->spec, error);
	case M_FAULT: {
		g_autofree char *s = NULL;
		g_autoptr(GError) local = NULL;
		if (!get_string(v, "fault", &s, error))
			return false;
		/* A USB transfer fault (emu/usbfault.h) by its kind word; any
		 * other is the emulator's (its parser names the kinds). */
		g_autofree char *word = g_strndup(s, emu_fault_kind_len(s));
		emu_usb_fault_kind uk;
		r->is_usb_fault = emu_usb_fault_kind_from_name(word, &uk);
		bool ok = r->is_usb_fault ? emu_usb_fault_parse(s, &r->usb_fault, &local)
					  : emu_fault_parse(s, &r->fault, &local);
		if (!ok) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"fault\": %s (the form is kind[:arg][@count], e.g. slow:500@3; "
				    "USB transfer faults of usbsim devices: kind[/pipe][:arg][@count], "
				    "kinds %s)",
				    local->message, emu_usb_fault_kind_names());
			return false;
		}
		return true;
	}
	case M_KIND: {
		g_autofree char *s = NULL;
		if (!get_string(v, "kind", &s, error))
			return false;
		if (emu_usb_fault_kind_from_name(s, &r->usb_kind_filter)) {
			r->has_usb_kind = true;
			return true;
		}
		if (!emu_fault_kind_from_name(s, &r->kind_filter)) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"kind\" is \"%s\": it must be a fault kind such as slow, fail, "
				    "timeout, device-gone, or a USB transfer fault kind (%s) (see "
				    "ccidlab-ctl(7))",
				    s, emu_usb_fault_kind_names());
			return false;
		}
		r->has_kind = true;
		return true;
	}
	case M_DATA:
		return get_string(v, "data", &r->data, error);
	case M_PATH:
	case M_FILE:
		/* pcscd runs as root: a path opened for a client gave it root's
		 * files (a parse error quoted /etc/passwd) and created any file
		 * (issue 20).  The client reads or opens the file itself. */
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"%s\": the server opens no file for a client: %s",
			    member_names[m],
			    m == M_PATH ? "send the file's text as \"data\" (ccidlab scenario "
					  "load FILE reads it for you)"
					: "open it yourself and pass the descriptor with the line "
					  "(SCM_RIGHTS) and \"fd\":true (ccidlab trace --file does)");
		return false;
	case M_FD:
		if (!JSON_NODE_HOLDS_VALUE(v) || json_node_get_value_type(v) != G_TYPE_BOOLEAN ||
		    !json_node_get_boolean(v)) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"fd\" must be true: a descriptor came with this line "
				    "(SCM_RIGHTS); leave it out otherwise");
			return false;
		}
		r->has_fd = true;
		return true;
	case M_APP_TEXT:
		return get_string(v, "app-text", &r->app_text, error);
	case M_SCENARIO:
	case M_STORM:
		if (!get_uint(v, member_names[m], G_MAXINT32, &r->handle, error))
			return false;
		r->has_handle = true;
		return true;
	case M_RATE: {
		double d;
		if (is_int(v)) {
			d = (double)json_node_get_int(v);
		} else if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_DOUBLE) {
			d = json_node_get_double(v);
		} else {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"rate\" is %s: it must be a number of edges per second",
				    json_kind(v));
			return false;
		}
		if (!(d > 0.0 && d <= EMU_STORM_MAX_RATE)) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"rate\" is %g: it must be over 0 and at most %g per second", d,
				    EMU_STORM_MAX_RATE);
			return false;
		}
		r->rate = d;
		return true;
	}
	case M_DURATION:
		return get_uint(v, "duration_ms", EMU_STORM_MAX_DURATION_MS, &r->duration_ms, error);
	case M_TARGETS:
		return get_targets(v, r, error);
	case M_SEED:
		if (!get_int(v, "seed", 0, G_MAXUINT32, &i64, error))
			return false;
		r->seed = (guint32)i64;
		r->has_seed = true;
		return true;
	case M_MIN_HOLD:
		return get_uint(v, "min_hold_ms", 3600u * 1000u, &r->min_hold_ms, error);
	case M_BURST:
		return get_uint(v, "burst", EMU_STORM_MAX_TARGETS, &r->burst, error);
	case M_BURST_GAP:
		return get_uint(v, "burst_gap_us", 10u * 1000u * 1000u, &r->burst_gap_us, error);
	case M_SINCE:
		if (!get_int(v, "since", 0, G_MAXINT64, &i64, error))
			return false;
		r->since = (uint64_t)i64;
		r->has_since = true;
		return true;
	case M_COUNT:
		break;
	}
	g_assert_not_reached();
	return false;
}

/* Checks that span members. */
static bool check_whole(ctl_request *r, GError **error)
{
	switch (r->kind) {
	case CTL_REQ_STORM:
		if (r->duration_ms == 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"duration_ms\" is 0: a storm lasts at least 1 ms");
			return false;
		}
		if (r->rate * r->duration_ms / 1000.0 > CTL_STORM_MAX_EDGES) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "rate %g x duration %u ms makes over %.0f events: lower one of "
				    "them, or run several storms one after the other",
				    r->rate, r->duration_ms, CTL_STORM_MAX_EDGES);
			return false;
		}
		return true;
	default:
		return true;
	}
}

ctl_request *ctl_request_parse(const char *line, size_t len, int64_t *id_out, GError **error)
{
	if (id_out != NULL)
		*id_out = -1;
	if (!prescan(line, len, error))
		return NULL;

	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) local = NULL;
	if (!json_parser_load_from_data(parser, line, (gssize)len, &local)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_JSON,
			    "not JSON (%s): send one object per line, like "
			    "{\"v\":1,\"id\":1,\"req\":\"hello\"}",
			    local->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_JSON,
			    "the line is %s: a request is one JSON object, like "
			    "{\"v\":1,\"id\":1,\"req\":\"hello\"}",
			    root == NULL ? "empty" : json_kind(root));
		return NULL;
	}
	JsonObject *o = json_node_get_object(root);

	g_autoptr(ctl_request) r = g_new0(ctl_request, 1);
	r->slot = 0;
	JsonNode *n = json_object_get_member(o, "id");
	if (n != NULL) {
		int64_t id;
		if (!get_int(n, "id", 0, G_MAXINT64, &id, error))
			return NULL;
		r->has_id = true;
		r->id = id;
		if (id_out != NULL)
			*id_out = id;
	}
	n = json_object_get_member(o, "v");
	if (n == NULL || !is_int(n) || json_node_get_int(n) != CTL_PROTOCOL_VERSION) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_VERSION,
			    "\"v\" is %s: this server speaks protocol version %d (send \"v\":%d)",
			    n == NULL ? "missing" : json_kind(n), CTL_PROTOCOL_VERSION,
			    CTL_PROTOCOL_VERSION);
		return NULL;
	}
	n = json_object_get_member(o, "req");
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"req\" is %s: it must name the request, e.g. \"list\"",
			    n == NULL ? "missing" : json_kind(n));
		return NULL;
	}
	const char *req = json_node_get_string(n);
	bool found = false;
	for (unsigned k = 0; k < CTL_REQ_COUNT; k++)
		if (strcmp(specs[k].name, req) == 0) {
			r->kind = (ctl_req_kind)k;
			found = true;
			break;
		}
	if (!found) {
		GString *all = g_string_new(NULL);
		for (unsigned k = 0; k < CTL_REQ_COUNT; k++)
			g_string_append_printf(all, "%s%s", k ? ", " : "", specs[k].name);
		g_set_error(error, CTL_ERROR, CTL_ERROR_UNKNOWN_REQUEST,
			    "unknown request \"%.64s\": the requests are %s", req, all->str);
		g_string_free(all, TRUE);
		return NULL;
	}
	const req_spec *spec = &specs[r->kind];
	if (r->kind == CTL_REQ_FAULT_SET)
		r->slot = -1;

	unsigned seen = 0;
	g_autoptr(GList) names = json_object_get_members(o);
	for (GList *l = names; l != NULL; l = l->next) {
		const char *m = l->data;
		member mem;
		if (strcmp(m, "v") == 0 || strcmp(m, "id") == 0 || strcmp(m, "req") == 0)
			continue;
		if (!lookup_member(m, &mem) || !(spec->allowed & B(mem))) {
			g_autofree char *allowed = allowed_list(spec->allowed);
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "%s takes no member \"%.64s\": its members are %s", spec->name, m,
				    allowed);
			return NULL;
		}
		if (!get_member(r, mem, json_object_get_member(o, m), error))
			return NULL;
		seen |= B(mem);
	}
	unsigned missing = spec->required & ~seen;
	if (missing != 0) {
		unsigned first = 0;
		while (!(missing & B(first)))
			first++;
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "%s needs \"%s\"", spec->name,
			    member_names[first]);
		return NULL;
	}
	if (!check_whole(r, error))
		return NULL;
	return g_steal_pointer(&r);
}
