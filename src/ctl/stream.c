/* ccidlab — the control socket's stream lines: encode and decode
 * (stream.h).  Decoding is strict, as request parsing is: a checker that
 * read a missing "seq" as 0 or an unknown state as "present" would judge
 * edges that never were. */
#include "config.h"

#include "ctl/stream.h"

#include <string.h>

#include "ctl/protocol.h"

static const char *const state_names[CTL_EDGE_STATE_COUNT] = {
	[CTL_EDGE_ABSENT] = "absent",
	[CTL_EDGE_PRESENT] = "present",
	[CTL_EDGE_MUTE] = "mute",
};

static const char *const source_names[CTL_EDGE_SRC_COUNT] = {
	[CTL_EDGE_SRC_API] = "api",
	[CTL_EDGE_SRC_CONTROL] = "control",
	[CTL_EDGE_SRC_STORM] = "storm",
	[CTL_EDGE_SRC_TIMELINE] = "timeline",
	[CTL_EDGE_SRC_FAULT] = "fault",
	[CTL_EDGE_SRC_OBSERVED] = "observed",
};

const char *ctl_edge_state_name(ctl_edge_state s)
{
	return (unsigned)s < CTL_EDGE_STATE_COUNT ? state_names[s] : NULL;
}

const char *ctl_edge_source_name(ctl_edge_source s)
{
	return (unsigned)s < CTL_EDGE_SRC_COUNT ? source_names[s] : NULL;
}

/* ---- encode ---- */

char *ctl_edge_line(const ctl_edge *e, size_t *len)
{
	JsonBuilder *b = ctl_event_begin("edge");
	ctl_member_int(b, "seq", (gint64)e->seq);
	ctl_member_int(b, "ts_ns", e->ts_ns);
	json_builder_set_member_name(b, "reader");
	if (e->has_reader)
		json_builder_add_int_value(b, e->reader);
	else
		json_builder_add_null_value(b);
	ctl_member_string(b, "device", e->device);
	ctl_member_int(b, "device_id", e->device_id);
	ctl_member_int(b, "slot", e->slot);
	ctl_member_string(b, "state", ctl_edge_state_name(e->state));
	ctl_member_string(b, "source", ctl_edge_source_name(e->source));
	return ctl_line_finish(b, len);
}

char *ctl_lost_line(const char *what, uint64_t count, size_t *len)
{
	JsonBuilder *b = ctl_event_begin("lost");
	ctl_member_string(b, "what", what);
	ctl_member_int(b, "count", (gint64)count);
	return ctl_line_finish(b, len);
}

char *ctl_frame_line(unsigned reader, int dir, int64_t ts_us, const uint8_t *buf, size_t n,
		     size_t *len)
{
	JsonBuilder *b = ctl_event_begin("frame");
	ctl_member_int(b, "reader", reader);
	ctl_member_string(b, "dir", dir == CTL_TRACE_OUT ? "out" : "in");
	ctl_member_int(b, "ts_us", ts_us);
	ctl_member_int(b, "len", (gint64)n);
	json_builder_set_member_name(b, "hex");
	g_autofree char *hex = ctl_hex(buf, n);
	json_builder_add_string_value(b, hex);
	return ctl_line_finish(b, len);
}

/* ---- decode ---- */

static bool bad(GError **error, const char *event, const char *member, const char *want)
{
	g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL,
		    "a \"%s\" stream line whose \"%s\" is not %s", event, member, want);
	return false;
}

static bool get_int(JsonObject *o, const char *event, const char *member, int64_t lo,
		    int64_t hi, int64_t *out, GError **error)
{
	JsonNode *n = json_object_get_member(o, member);
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return bad(error, event, member, "an integer");
	int64_t v = json_node_get_int(n);
	if (v < lo || v > hi)
		return bad(error, event, member, "in range");
	*out = v;
	return true;
}

static const char *get_string(JsonObject *o, const char *event, const char *member,
			      GError **error)
{
	JsonNode *n = json_object_get_member(o, member);
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		bad(error, event, member, "a string");
		return NULL;
	}
	return json_node_get_string(n);
}

static bool get_name(JsonObject *o, const char *event, const char *member,
		     const char *const *names, unsigned count, unsigned *out, GError **error)
{
	const char *s = get_string(o, event, member, error);
	if (s == NULL)
		return false;
	for (unsigned i = 0; i < count; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return true;
		}
	return bad(error, event, member, "a name this client knows");
}

static bool decode_edge(JsonObject *o, ctl_edge *e, GError **error)
{
	int64_t seq, ts, id, slot, reader = 0;
	unsigned state, source;
	JsonNode *rn = json_object_get_member(o, "reader");
	bool has_reader = rn != NULL && !JSON_NODE_HOLDS_NULL(rn);

	if (!get_int(o, "edge", "seq", 1, G_MAXINT64, &seq, error) ||
	    !get_int(o, "edge", "ts_ns", 0, G_MAXINT64, &ts, error) ||
	    (has_reader && !get_int(o, "edge", "reader", 0, 0xFFFF, &reader, error)) ||
	    !get_int(o, "edge", "device_id", 0, G_MAXUINT32, &id, error) ||
	    !get_int(o, "edge", "slot", 0, 255, &slot, error) ||
	    !get_name(o, "edge", "state", state_names, CTL_EDGE_STATE_COUNT, &state, error) ||
	    !get_name(o, "edge", "source", source_names, CTL_EDGE_SRC_COUNT, &source, error))
		return false;
	if (rn == NULL)
		return bad(error, "edge", "reader", "a number or null");
	const char *device = get_string(o, "edge", "device", error);
	if (device == NULL)
		return false;
	*e = (ctl_edge){ .seq = (uint64_t)seq, .ts_ns = ts, .has_reader = has_reader,
			 .reader = (unsigned)reader, .device_id = (unsigned)id,
			 .slot = (unsigned)slot, .state = (ctl_edge_state)state,
			 .source = (ctl_edge_source)source };
	g_strlcpy(e->device, device, sizeof e->device);
	return true;
}

static bool decode_lost(JsonObject *o, ctl_lost *l, GError **error)
{
	int64_t count;
	const char *what = get_string(o, "lost", "what", error);
	if (what == NULL || !get_int(o, "lost", "count", 0, G_MAXINT64, &count, error))
		return false;
	g_strlcpy(l->what, what, sizeof l->what);
	l->count = (uint64_t)count;
	return true;
}

static bool decode_frame(JsonObject *o, ctl_frame_rec *f, GError **error)
{
	static const char *const dirs[] = { [CTL_TRACE_OUT] = "out", [CTL_TRACE_IN] = "in" };
	int64_t reader, ts, len;
	unsigned dir;
	if (!get_int(o, "frame", "reader", 0, 0xFFFF, &reader, error) ||
	    !get_name(o, "frame", "dir", dirs, G_N_ELEMENTS(dirs), &dir, error) ||
	    !get_int(o, "frame", "ts_us", 0, G_MAXINT64, &ts, error) ||
	    !get_int(o, "frame", "len", 0, G_MAXINT32, &len, error))
		return false;
	const char *hex = get_string(o, "frame", "hex", error);
	if (hex == NULL)
		return false;
	*f = (ctl_frame_rec){ .reader = (unsigned)reader, .dir = (int)dir, .ts_us = ts,
			      .len = (size_t)len, .hex = hex };
	return true;
}

bool ctl_stream_decode(JsonObject *line, ctl_stream_rec *out, GError **error)
{
	ctl_stream_rec r = { .kind = CTL_STREAM_OTHER };
	const char *event = get_string(line, "stream", "event", error);
	bool ok = true;

	if (event == NULL)
		return false;
	if (strcmp(event, "edge") == 0) {
		r.kind = CTL_STREAM_EDGE;
		ok = decode_edge(line, &r.edge, error);
	} else if (strcmp(event, "lost") == 0) {
		r.kind = CTL_STREAM_LOST;
		ok = decode_lost(line, &r.lost, error);
	} else if (strcmp(event, "frame") == 0) {
		r.kind = CTL_STREAM_FRAME;
		ok = decode_frame(line, &r.frame, error);
	}
	if (ok)
		*out = r;
	return ok;
}
