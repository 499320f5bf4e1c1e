/* ccidlab — check-events: the ground truth.  The driver's edge stream,
 * read on its own thread so that a slow oracle never makes the driver
 * drop edges, and the readers under test joined to pcscd's names. */
#include "config.h"

#include <string.h>

#include "tools/check_events.h"
#include "tools/ctl_cli.h"

static int slot_index_of(const check_truth *t, gint64 reader, gint64 slot)
{
	for (unsigned i = 0; i < t->n_slots; i++)
		if ((gint64)t->slots[i].reader == reader && (gint64)t->slots[i].slot == slot)
			return (int)i;
	return -1;
}

static void take_edge(check_truth *t, JsonObject *ev)
{
	JsonNode *rn = json_object_get_member(ev, "reader");
	if (rn == NULL || JSON_NODE_HOLDS_NULL(rn))
		return;
	const char *state = json_object_get_string_member_with_default(ev, "state", "");
	const char *source = json_object_get_string_member_with_default(ev, "source", "");
	check_edge e = {
		.seq = (guint64)json_object_get_int_member_with_default(ev, "seq", 0),
		.ts_ns = json_object_get_int_member_with_default(ev, "ts_ns", 0),
		.slot_index = slot_index_of(t, json_node_get_int(rn),
					    json_object_get_int_member_with_default(ev, "slot", 0)),
		.present = strcmp(state, "absent") != 0,
		.source = strcmp(source, "observed") == 0 ? CHECK_SRC_OBSERVED : CHECK_SRC_STIMULUS,
	};
	/* The listing's states already hold edges up to its last_seq. */
	if (e.slot_index < 0 || e.seq <= t->list_seq)
		return;
	g_mutex_lock(&t->lock);
	g_array_append_val(t->edges, e);
	g_mutex_unlock(&t->lock);
}

static gpointer truth_thread(gpointer data)
{
	check_truth *t = data;
	while (!g_atomic_int_get(&t->stop)) {
		g_autoptr(GError) err = NULL;
		/* A short bound so that stop is seen quickly. */
		g_autoptr(JsonObject) ev = ctl_client_next_event(t->client, 100, &err);
		if (ev == NULL) {
			if (g_error_matches(err, CTL_ERROR, CTL_ERROR_TIMEOUT))
				continue;
			g_mutex_lock(&t->lock);
			if (t->stream_error == NULL)
				t->stream_error = g_strdup(err->message);
			g_mutex_unlock(&t->lock);
			break;
		}
		const char *what = json_object_get_string_member_with_default(ev, "event", "");
		if (strcmp(what, "edge") == 0)
			take_edge(t, ev);
		else if (strcmp(what, "lost") == 0) {
			g_mutex_lock(&t->lock);
			t->lost += (guint64)json_object_get_int_member_with_default(ev, "count", 0);
			g_mutex_unlock(&t->lock);
		}
	}
	return NULL;
}

bool check_truth_start(check_truth *t, const char *socket, unsigned timeout_ms, GError **error)
{
	g_mutex_init(&t->lock);
	t->edges = g_array_new(FALSE, FALSE, sizeof(check_edge));
	t->client = ctl_client_connect(socket, timeout_ms, error);
	if (t->client == NULL)
		return false;
	/* Subscribe first: the listing's states then hold up to its
	 * last_seq, and every later edge reaches us. */
	g_autoptr(JsonObject) req = ctl_client_request_new("subscribe");
	g_autoptr(JsonObject) sub = ctl_client_call(t->client, req, timeout_ms, error);
	if (sub == NULL)
		return false;
	cli_common common = { .socket = (char *)socket, .timeout_s = timeout_ms / 1000.0 };
	cli_readers rs = { 0 };
	int rc = 0;
	g_autoptr(ctl_client) lc = ctl_client_connect(socket, timeout_ms, error);
	if (lc == NULL)
		return false;
	if (!cli_readers_load(lc, &common, &rs, &rc)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "the driver did not list its readers");
		return false;
	}
	t->list_seq = (guint64)json_object_get_int_member_with_default(rs.list, "last_seq", 0);
	for (guint i = 0; i < rs.v->len; i++) {
		cli_reader *r = g_ptr_array_index(rs.v, i);
		if (!json_object_get_boolean_member_with_default(r->obj, "emulated", FALSE))
			continue;
		const char *mode = json_object_get_string_member_with_default(r->obj, "mode", "event");
		JsonArray *slots = json_object_get_array_member(r->obj, "slots");
		for (unsigned k = 0; k < r->n_slots; k++) {
			t->n_declared++;
			if (r->pcsc[k] == NULL)
				continue; /* pcscd does not serve it: nothing to watch */
			if (t->n_slots == CHECK_MAX_SLOTS)
				break;
			JsonObject *so = json_array_get_object_element(slots, k);
			check_slot *s = &t->slots[t->n_slots++];
			s->reader = r->number;
			s->slot = k;
			s->driver_name = g_strdup(r->name);
			s->pcsc_name = g_strdup(r->pcsc[k]);
			s->mode = strcmp(mode, "poll") == 0 ? CHECK_MODE_POLL : CHECK_MODE_EVENT;
			s->present0 = strcmp(json_object_get_string_member_with_default(so, "state",
										"absent"),
					     "absent") != 0;
		}
	}
	cli_readers_clear(&rs);
	t->listed0 = cli_pcsc_names(NULL);
	if (t->n_slots == 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
			    "no emulated reader slot that pcscd serves: declare readers in the lab's "
			    "reader.conf.d (see ccidlab-devicename(5))");
		return false;
	}
	t->start_ns = check_now_ns();
	t->thread = g_thread_new("check-truth", truth_thread, t);
	return true;
}

void check_truth_stop(check_truth *t)
{
	if (t->thread == NULL)
		return;
	g_atomic_int_set(&t->stop, 1);
	g_thread_join(t->thread);
	t->thread = NULL;
}

void check_truth_clear(check_truth *t)
{
	check_truth_stop(t);
	g_clear_pointer(&t->client, ctl_client_free);
	for (unsigned i = 0; i < t->n_slots; i++) {
		g_free(t->slots[i].driver_name);
		g_free(t->slots[i].pcsc_name);
	}
	t->n_slots = 0;
	if (t->edges != NULL) {
		g_array_unref(t->edges);
		t->edges = NULL;
		g_mutex_clear(&t->lock);
	}
	g_clear_pointer(&t->stream_error, g_free);
	g_clear_pointer(&t->listed0, g_strfreev);
}

GArray *check_truth_snapshot(check_truth *t)
{
	g_mutex_lock(&t->lock);
	GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(check_edge), t->edges->len);
	g_array_append_vals(a, t->edges->data, t->edges->len);
	g_mutex_unlock(&t->lock);
	return a;
}

gint64 check_truth_last_stimulus_ns(check_truth *t)
{
	gint64 last = 0;
	g_mutex_lock(&t->lock);
	for (guint i = t->edges->len; i-- > 0;) {
		const check_edge *e = &g_array_index(t->edges, check_edge, i);
		if (e->source == CHECK_SRC_STIMULUS) {
			last = e->ts_ns;
			break;
		}
	}
	g_mutex_unlock(&t->lock);
	return last;
}
