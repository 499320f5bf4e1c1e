/* ccidlab — check-events: a run recorded, and replayed (check_events.h).
 *
 * One JSON object per line, each named by its one member:
 *   {"check-record":1,"start_ns":N,"list_seq":N,"n_declared":N,"stream_error":S|null}
 *   {"slot":{"reader":R,"slot":S,"driver":"..","pcsc":"..","mode":"event|poll",
 *            "present0":B,"widened":B}}
 *   {"listed0":["..",...]}
 *   {"v":1,"event":"edge",...}          the edge stream, as the server sent it
 *   {"monitor":{"id":N,"backend":"pcsclite|legacy","timeout_ms":N,"counter":B,
 *               "all":B,"pnp":B,"connect":B,"stuck":B,"entries":[slot index|-1...],
 *               "names":[".."...]}}
 *   {"wakeup":{"monitor":N,"call_ns":N,"ts_ns":N,"rv":N,"states":[N...]}}
 *   {"listing":{"monitor":N,"call_ns":N,"ts_ns":N,"rv":N,"names":[..]|null}}
 *   {"errors":{"monitor":N,"rv":N,"count":N}}
 *   {"checkpoints":{"t0_ns":N,"t1_ns":N,"counters_read":B,"c0":[N...],"c1":[N...],
 *                   "f0":[N...],"f1":[N...]}}	(f0, f1: the driver's folded edges; optional)
 * A monitor's lines come after its "monitor" line; the stream's edges go
 * through the same decoder and the same feed as live ones.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check/check_events.h"

/* Bounds on what a file may hold (it is input like any other). */
#define RECORD_MAX_BYTES (256u * 1024u * 1024u)
#define RECORD_MAX_MONITORS (2u * CHECK_MAX_CLIENTS)

/* ---- writing ---- */

/* A line {"WHAT":INNER} (inner consumed), or INNER itself when what is
 * NULL. */
static void put(GString *out, const char *what, JsonObject *inner)
{
	g_autoptr(JsonObject) o = inner;
	if (what != NULL) {
		o = json_object_new();
		json_object_set_object_member(o, what, inner);
	}
	g_autofree char *line = ctl_object_to_line(o, NULL);
	g_string_append(out, line);
}

static void set_strv(JsonObject *o, const char *name, char **v)
{
	if (v == NULL) {
		json_object_set_null_member(o, name);
		return;
	}
	JsonArray *a = json_array_new();
	for (char **p = v; *p != NULL; p++)
		json_array_add_string_element(a, *p);
	json_object_set_array_member(o, name, a);
}

static void write_truth(GString *out, const check_truth *t)
{
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "check-record", 1);
	json_object_set_int_member(o, "start_ns", t->start_ns);
	json_object_set_int_member(o, "list_seq", (gint64)t->list_seq);
	json_object_set_int_member(o, "n_declared", t->n_declared);
	if (t->stream_error != NULL)
		json_object_set_string_member(o, "stream_error", t->stream_error);
	else
		json_object_set_null_member(o, "stream_error");
	put(out, NULL, o);
	for (unsigned i = 0; i < t->n_slots; i++) {
		const check_slot *sl = &t->slots[i];
		o = json_object_new();
		json_object_set_int_member(o, "reader", sl->reader);
		json_object_set_int_member(o, "slot", sl->slot);
		json_object_set_string_member(o, "driver", sl->driver_name);
		json_object_set_string_member(o, "pcsc", sl->pcsc_name);
		json_object_set_string_member(o, "mode", check_mode_name(sl->mode));
		json_object_set_boolean_member(o, "present0", sl->present0);
		json_object_set_boolean_member(o, "widened", sl->widened);
		put(out, "slot", o);
	}
	if (t->listed0 != NULL) {
		o = json_object_new();
		set_strv(o, "listed0", t->listed0);
		put(out, NULL, o);
	}
	for (guint i = 0; i < t->stream->len; i++) {
		g_autofree char *line = ctl_object_to_line(g_ptr_array_index(t->stream, i), NULL);
		g_string_append(out, line);
	}
}

/* A record of one of a monitor's calls: which monitor, when, its return. */
static JsonObject *call_record(const check_monitor *m, gint64 call_ns, gint64 ts_ns, LONG rv)
{
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "monitor", m->id);
	json_object_set_int_member(o, "call_ns", call_ns);
	json_object_set_int_member(o, "ts_ns", ts_ns);
	json_object_set_int_member(o, "rv", rv);
	return o;
}

static void write_monitor(GString *out, check_monitor *m)
{
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "id", m->id);
	json_object_set_string_member(o, "backend", m->kind.backend == CHECK_BACKEND_LEGACY
							     ? "legacy"
							     : "pcsclite");
	json_object_set_int_member(o, "timeout_ms", (gint64)m->kind.timeout_ms);
	json_object_set_boolean_member(o, "counter", m->kind.counter);
	json_object_set_boolean_member(o, "all", m->kind.all);
	json_object_set_boolean_member(o, "pnp", m->kind.pnp);
	json_object_set_boolean_member(o, "connect", m->kind.connect);
	json_object_set_boolean_member(o, "stuck", m->stuck);
	JsonArray *entries = json_array_new();
	for (unsigned i = 0; i < m->n; i++)
		json_array_add_int_element(entries, m->slot_of[i]);
	json_object_set_array_member(o, "entries", entries);
	JsonArray *names = json_array_new();
	for (unsigned i = 0; i < m->n; i++)
		json_array_add_string_element(names, m->names[i]);
	json_object_set_array_member(o, "names", names);
	put(out, "monitor", o);

	g_mutex_lock(&m->lock);
	for (guint w = 0; w < m->wakeups->len; w++) {
		const check_wakeup *wk = &g_array_index(m->wakeups, check_wakeup, w);
		o = call_record(m, wk->call_ns, wk->ts_ns, wk->rv);
		JsonArray *states = json_array_new();
		for (unsigned i = 0; i < m->n; i++)
			json_array_add_int_element(states, g_array_index(m->states, DWORD, wk->first + i));
		json_object_set_array_member(o, "states", states);
		put(out, "wakeup", o);
	}
	for (guint i = 0; i < m->listings->len; i++) {
		const check_listing *l = &g_array_index(m->listings, check_listing, i);
		o = call_record(m, l->call_ns, l->ts_ns, l->rv);
		set_strv(o, "names", l->names);
		put(out, "listing", o);
	}
	GHashTableIter it;
	gpointer key, val;
	g_hash_table_iter_init(&it, m->errors);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		o = json_object_new();
		json_object_set_int_member(o, "monitor", m->id);
		json_object_set_int_member(o, "rv", GPOINTER_TO_INT(key));
		json_object_set_int_member(o, "count", GPOINTER_TO_UINT(val));
		put(out, "errors", o);
	}
	g_mutex_unlock(&m->lock);
}

static JsonArray *counters_array(const guint16 *c, unsigned n)
{
	JsonArray *a = json_array_new();
	for (unsigned i = 0; i < n; i++)
		json_array_add_int_element(a, c[i]);
	return a;
}

static JsonArray *folded_array(const guint32 *f, unsigned n)
{
	JsonArray *a = json_array_new();
	for (unsigned i = 0; i < n; i++)
		json_array_add_int_element(a, f[i]);
	return a;
}

bool check_record_write(const char *path, const check_truth *t, check_monitor **mons,
			unsigned n_mons, const check_checkpoints *cp, GError **error)
{
	g_return_val_if_fail(t->stream != NULL, false);
	g_autoptr(GString) out = g_string_new(NULL);
	g_mutex_lock((GMutex *)&t->lock);
	write_truth(out, t);
	g_mutex_unlock((GMutex *)&t->lock);
	for (unsigned i = 0; i < n_mons; i++)
		write_monitor(out, mons[i]);
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "t0_ns", cp->t0_ns);
	json_object_set_int_member(o, "t1_ns", cp->t1_ns);
	json_object_set_boolean_member(o, "counters_read", cp->counters_read);
	json_object_set_array_member(o, "c0", counters_array(cp->c0, t->n_slots));
	json_object_set_array_member(o, "c1", counters_array(cp->c1, t->n_slots));
	json_object_set_array_member(o, "f0", folded_array(cp->f0, t->n_slots));
	json_object_set_array_member(o, "f1", folded_array(cp->f1, t->n_slots));
	put(out, "checkpoints", o);
	return g_file_set_contents(path, out->str, (gssize)out->len, error);
}

/* ---- reading ---- */

typedef struct reader {
	const char *path;
	unsigned line;
	check_replay *r;
	GError **error;
} reader;

static bool fail(reader *rd, const char *what)
{
	g_set_error(rd->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: %s", rd->path,
		    rd->line, what);
	return false;
}

static bool get_int(reader *rd, JsonObject *o, const char *name, gint64 lo, gint64 hi,
		    gint64 *out)
{
	JsonNode *n = json_object_get_member(o, name);
	if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
		g_autofree char *what = g_strdup_printf("\"%s\" is not an integer", name);
		return fail(rd, what);
	}
	gint64 v = json_node_get_int(n);
	if (v < lo || v > hi) {
		g_autofree char *what = g_strdup_printf("\"%s\" is out of range", name);
		return fail(rd, what);
	}
	*out = v;
	return true;
}

static bool get_bool(JsonObject *o, const char *name)
{
	return json_object_get_boolean_member_with_default(o, name, FALSE);
}

/* A string array (or null: NULL); every element must be a string. */
static bool get_strv(reader *rd, JsonObject *o, const char *name, char ***out)
{
	JsonNode *n = json_object_get_member(o, name);
	*out = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return fail(rd, "a name list is not an array");
	JsonArray *a = json_node_get_array(n);
	GPtrArray *v = g_ptr_array_new();
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
			g_ptr_array_add(v, NULL);
			g_strfreev((char **)g_ptr_array_free(v, FALSE));
			return fail(rd, "a name is not a string");
		}
		g_ptr_array_add(v, g_strdup(json_node_get_string(e)));
	}
	g_ptr_array_add(v, NULL);
	*out = (char **)g_ptr_array_free(v, FALSE);
	return true;
}

static check_monitor *monitor_of(reader *rd, JsonObject *o)
{
	gint64 id;
	if (!get_int(rd, o, "monitor", 0, G_MAXUINT32, &id))
		return NULL;
	for (unsigned i = 0; i < rd->r->n_mons; i++)
		if (rd->r->mons[i]->id == (unsigned)id)
			return rd->r->mons[i];
	fail(rd, "a monitor's record before its \"monitor\" line");
	return NULL;
}

static bool read_header(reader *rd, JsonObject *o)
{
	check_truth *t = &rd->r->truth;
	gint64 v, start, seq;
	if (!get_int(rd, o, "check-record", 1, 1, &v) ||
	    !get_int(rd, o, "start_ns", 0, G_MAXINT64, &start) ||
	    !get_int(rd, o, "list_seq", 0, G_MAXINT64, &seq) ||
	    !get_int(rd, o, "n_declared", 0, G_MAXUINT32, &v))
		return false;
	t->start_ns = start;
	t->list_seq = (guint64)seq;
	t->n_declared = (unsigned)v;
	const char *err = json_object_get_string_member_with_default(o, "stream_error", NULL);
	t->stream_error = g_strdup(err);
	return true;
}

static bool read_slot(reader *rd, JsonObject *o)
{
	check_truth *t = &rd->r->truth;
	gint64 reader_n, slot;
	if (t->n_slots == CHECK_MAX_SLOTS)
		return fail(rd, "more slots than the checker watches");
	if (!get_int(rd, o, "reader", 0, 0xFFFF, &reader_n) ||
	    !get_int(rd, o, "slot", 0, 255, &slot))
		return false;
	const char *driver = json_object_get_string_member_with_default(o, "driver", NULL);
	const char *pcsc = json_object_get_string_member_with_default(o, "pcsc", NULL);
	if (driver == NULL || pcsc == NULL)
		return fail(rd, "a slot without its names");
	check_slot *s = &t->slots[t->n_slots++];
	s->reader = (unsigned)reader_n;
	s->slot = (unsigned)slot;
	s->driver_name = g_strdup(driver);
	s->pcsc_name = g_strdup(pcsc);
	s->mode = g_strcmp0(json_object_get_string_member_with_default(o, "mode", ""), "poll") == 0
			  ? CHECK_MODE_POLL
			  : CHECK_MODE_EVENT;
	s->present0 = get_bool(o, "present0");
	s->widened = get_bool(o, "widened");
	return true;
}

static bool read_monitor(reader *rd, JsonObject *o)
{
	gint64 id, timeout;
	if (rd->r->n_mons == RECORD_MAX_MONITORS)
		return fail(rd, "more monitors than the checker runs");
	if (!get_int(rd, o, "id", 0, G_MAXUINT32, &id) ||
	    !get_int(rd, o, "timeout_ms", 0, G_MAXUINT32, &timeout))
		return false;
	check_kind k = {
		.backend = g_strcmp0(json_object_get_string_member_with_default(o, "backend", ""),
				     "legacy") == 0 ? CHECK_BACKEND_LEGACY : CHECK_BACKEND_PCSCLITE,
		.timeout_ms = (DWORD)timeout,
		.counter = get_bool(o, "counter"),
		.all = get_bool(o, "all"),
		.pnp = get_bool(o, "pnp"),
		.connect = get_bool(o, "connect"),
	};
	JsonArray *entries = json_object_get_array_member(o, "entries");
	g_auto(GStrv) names = NULL;
	if (!get_strv(rd, o, "names", &names))
		return false;
	guint n = entries != NULL ? json_array_get_length(entries) : 0;
	if (n == 0 || n > CHECK_MAX_SLOTS + 1 || names == NULL || g_strv_length(names) != n)
		return fail(rd, "a monitor's entries and names do not match");
	check_monitor *m = check_monitor_new((unsigned)id, &k);
	rd->r->mons[rd->r->n_mons++] = m;
	m->stuck = get_bool(o, "stuck");
	for (guint i = 0; i < n; i++) {
		gint64 si = json_array_get_int_element(entries, i);
		if (si < -1 || si >= (gint64)rd->r->truth.n_slots)
			return fail(rd, "a monitor entry names no slot");
		m->slot_of[i] = (int)si;
		m->names[i] = g_strdup(names[i]);
		m->n = i + 1;
		if (si >= 0 && rd->r->truth.slots[si].widened)
			m->watches_widened = true;
	}
	return true;
}

/* The part of a wakeup or listing record that says which monitor's call
 * it was, when, and what it returned. */
static check_monitor *read_call(reader *rd, JsonObject *o, gint64 *call, gint64 *ts, gint64 *rv)
{
	check_monitor *m = monitor_of(rd, o);
	if (m == NULL || !get_int(rd, o, "call_ns", 0, G_MAXINT64, call) ||
	    !get_int(rd, o, "ts_ns", 0, G_MAXINT64, ts) ||
	    !get_int(rd, o, "rv", G_MININT64, G_MAXINT64, rv))
		return NULL;
	return m;
}

static bool read_wakeup(reader *rd, JsonObject *o)
{
	gint64 call, ts, rv;
	check_monitor *m = read_call(rd, o, &call, &ts, &rv);
	if (m == NULL)
		return false;
	JsonArray *states = json_object_get_array_member(o, "states");
	if (states == NULL || json_array_get_length(states) != m->n)
		return fail(rd, "a wakeup without one state per entry");
	check_wakeup w = { .call_ns = call, .ts_ns = ts, .rv = (LONG)rv, .first = m->states->len };
	g_array_append_val(m->wakeups, w);
	for (unsigned i = 0; i < m->n; i++) {
		DWORD st = (DWORD)json_array_get_int_element(states, i);
		g_array_append_val(m->states, st);
	}
	return true;
}

static bool read_listing(reader *rd, JsonObject *o)
{
	gint64 call, ts, rv;
	check_monitor *m = read_call(rd, o, &call, &ts, &rv);
	if (m == NULL)
		return false;
	check_listing l = { .call_ns = call, .ts_ns = ts, .rv = (LONG)rv };
	if (!get_strv(rd, o, "names", &l.names))
		return false;
	g_array_append_val(m->listings, l);
	return true;
}

static bool read_errors(reader *rd, JsonObject *o)
{
	check_monitor *m = monitor_of(rd, o);
	gint64 rv, count;
	if (m == NULL || !get_int(rd, o, "rv", G_MININT32, G_MAXINT32, &rv) ||
	    !get_int(rd, o, "count", 0, G_MAXUINT32, &count))
		return false;
	g_hash_table_insert(m->errors, GINT_TO_POINTER((gint)rv), GUINT_TO_POINTER((guint)count));
	return true;
}

static bool read_counters(reader *rd, JsonObject *o, const char *name, guint16 *out)
{
	JsonArray *a = json_object_get_array_member(o, name);
	if (a == NULL || json_array_get_length(a) != rd->r->truth.n_slots)
		return fail(rd, "counters are not one per slot");
	for (unsigned i = 0; i < rd->r->truth.n_slots; i++)
		out[i] = (guint16)json_array_get_int_element(a, i);
	return true;
}

/* The driver's folded edges at a checkpoint: absent from records made
 * before the driver folded (zeros then). */
static bool read_folded(reader *rd, JsonObject *o, const char *name, guint32 *out)
{
	if (!json_object_has_member(o, name))
		return true;
	JsonNode *n = json_object_get_member(o, name);
	JsonArray *a = JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
	if (a == NULL || json_array_get_length(a) != rd->r->truth.n_slots)
		return fail(rd, "folded edges are not one per slot");
	for (unsigned i = 0; i < rd->r->truth.n_slots; i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_INT64)
			return fail(rd, "a folded count is not a number");
		gint64 v = json_node_get_int(e);
		if (v < 0 || v > G_MAXUINT32)
			return fail(rd, "a folded count is out of range");
		out[i] = (guint32)v;
	}
	return true;
}

static bool read_checkpoints(reader *rd, JsonObject *o)
{
	check_checkpoints *cp = &rd->r->cp;
	return get_int(rd, o, "t0_ns", 0, G_MAXINT64, &cp->t0_ns) &&
	       get_int(rd, o, "t1_ns", 0, G_MAXINT64, &cp->t1_ns) &&
	       (cp->counters_read = get_bool(o, "counters_read"), true) &&
	       read_counters(rd, o, "c0", cp->c0) && read_counters(rd, o, "c1", cp->c1) &&
	       read_folded(rd, o, "f0", cp->f0) && read_folded(rd, o, "f1", cp->f1);
}

static bool read_stream(reader *rd, JsonObject *o)
{
	ctl_stream_rec rec;
	g_autoptr(GError) err = NULL;
	if (!ctl_stream_decode(o, &rec, &err))
		return fail(rd, err->message);
	g_ptr_array_add(rd->r->truth.stream, json_object_ref(o));
	check_truth_feed(&rd->r->truth, &rec);
	return true;
}

static bool read_line(reader *rd, JsonObject *o)
{
	static const struct {
		const char *name;
		bool (*fn)(reader *rd, JsonObject *o);
	} kinds[] = {
		{ "slot", read_slot },		{ "monitor", read_monitor },
		{ "wakeup", read_wakeup },	{ "listing", read_listing },
		{ "errors", read_errors },	{ "checkpoints", read_checkpoints },
	};
	if (json_object_has_member(o, "check-record"))
		return read_header(rd, o);
	if (json_object_has_member(o, "event"))
		return read_stream(rd, o);
	if (json_object_has_member(o, "listed0")) {
		g_clear_pointer(&rd->r->truth.listed0, g_strfreev);
		return get_strv(rd, o, "listed0", &rd->r->truth.listed0);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		JsonNode *n = json_object_get_member(o, kinds[i].name);
		if (n == NULL)
			continue;
		if (!JSON_NODE_HOLDS_OBJECT(n))
			return fail(rd, "a record that is not an object");
		return kinds[i].fn(rd, json_node_get_object(n));
	}
	return fail(rd, "a line of no known kind");
}

bool check_record_parse(const char *text, size_t len, const char *name, check_replay *out,
			GError **error)
{
	memset(out, 0, sizeof *out);
	g_mutex_init(&out->truth.lock);
	out->truth.edges = g_array_new(FALSE, FALSE, sizeof(check_edge));
	out->truth.stream = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	out->mons = g_new0(check_monitor *, RECORD_MAX_MONITORS);
	reader rd = { .path = name, .r = out, .error = error };
	if (len > RECORD_MAX_BYTES || memchr(text, '\0', len) != NULL)
		return fail(&rd, "over 256 MiB, or a NUL byte: not a run this checker recorded");
	const char *p = text, *stop = text + len;
	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(stop - p);
		rd.line++;
		if (n > 0) {
			g_autoptr(JsonParser) jp = json_parser_new_immutable();
			JsonNode *root;
			if (!json_parser_load_from_data(jp, p, (gssize)n, NULL) ||
			    (root = json_parser_get_root(jp)) == NULL || !JSON_NODE_HOLDS_OBJECT(root))
				return fail(&rd, "not a JSON object");
			if (!read_line(&rd, json_node_get_object(root)))
				return false;
		}
		p += n + 1;
	}
	if (out->truth.n_slots == 0 || out->cp.t1_ns == 0)
		return fail(&rd, "no slots or no checkpoints: not a whole run");
	out->edges = check_truth_snapshot(&out->truth);
	return true;
}

bool check_record_read(const char *path, check_replay *out, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &text, &len, error)) {
		memset(out, 0, sizeof *out);
		return false;
	}
	return check_record_parse(text, len, path, out, error);
}

void check_replay_clear(check_replay *r)
{
	for (unsigned i = 0; r->mons != NULL && i < r->n_mons; i++)
		check_monitor_release(r->mons[i]);
	g_clear_pointer(&r->mons, g_free);
	r->n_mons = 0;
	g_clear_pointer(&r->edges, g_array_unref);
	for (unsigned i = 0; i < r->truth.n_slots; i++) {
		g_free(r->truth.slots[i].driver_name);
		g_free(r->truth.slots[i].pcsc_name);
	}
	r->truth.n_slots = 0;
	g_clear_pointer(&r->truth.stream_error, g_free);
	g_clear_pointer(&r->truth.listed0, g_strfreev);
	g_clear_pointer(&r->truth.stream, g_ptr_array_unref);
	if (r->truth.edges != NULL) {
		g_clear_pointer(&r->truth.edges, g_array_unref);
		g_mutex_clear(&r->truth.lock);
	}
}
