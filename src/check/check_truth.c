/* ccidlab — check-events: the ground truth.  The driver's edge stream,
 * read on its own thread so that a slow oracle never makes the driver
 * drop edges, and the readers under test joined to pcscd's names. */
#include "config.h"

#include <string.h>

#include "check/check_events.h"
#include "cli/kit/ctl_cli.h"

/* pcscd's name for slot k of the driver's reader `name`: "NAME XX YY",
 * YY the slot in hex. */
static const char *named_pcsc(char **names, const char *name, unsigned k)
{
	g_autofree char *tail = g_strdup_printf(" %02X", k);
	size_t nl = strlen(name);
	for (char **n = names; n != NULL && *n != NULL; n++)
		if (strncmp(*n, name, nl) == 0 && strlen(*n) == nl + 6 && (*n)[nl] == ' ' &&
		    g_str_has_suffix(*n, tail))
			return *n;
	return NULL;
}

/* The stream broke (the first reason is kept): the run's edges stop here,
 * and the report says so. */
static void stream_failed(check_truth *t, const GError *err)
{
	g_mutex_lock(&t->lock);
	if (t->stream_error == NULL)
		t->stream_error = g_strdup(err->message);
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
			stream_failed(t, err);
			break;
		}
		ctl_stream_rec rec;
		if (!ctl_stream_decode(ev, &rec, &err)) {
			stream_failed(t, err);
			break;
		}
		if (t->stream != NULL) {
			g_mutex_lock(&t->lock);
			g_ptr_array_add(t->stream, json_object_ref(ev));
			g_mutex_unlock(&t->lock);
		}
		check_truth_feed(t, &rec);
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
	t->listed0 = cli_pcsc_names(NULL);
	for (guint i = 0; i < rs.v->len; i++) {
		cli_reader *r = g_ptr_array_index(rs.v, i);
		if (!json_object_get_boolean_member_with_default(r->obj, "emulated", FALSE) ||
		    (t->only_prefix != NULL && !g_str_has_prefix(r->name, t->only_prefix)))
			continue;
		const char *mode = json_object_get_string_member_with_default(r->obj, "mode", "event");
		JsonArray *slots = json_object_get_array_member(r->obj, "slots");
		for (unsigned k = 0; k < r->n_slots; k++) {
			t->n_declared++;
			const char *pcsc = t->join_by_name ? named_pcsc(t->listed0, r->name, k)
							   : r->pcsc[k];
			if (pcsc == NULL)
				continue; /* pcscd does not serve it: nothing to watch */
			if (t->n_slots == CHECK_MAX_SLOTS)
				break;
			JsonObject *so = json_array_get_object_element(slots, k);
			check_slot *s = &t->slots[t->n_slots++];
			s->reader = r->number;
			s->slot = k;
			s->driver_name = g_strdup(r->name);
			s->pcsc_name = g_strdup(pcsc);
			s->mode = strcmp(mode, "poll") == 0 ? CHECK_MODE_POLL : CHECK_MODE_EVENT;
			s->present0 = strcmp(json_object_get_string_member_with_default(so, "state",
										"absent"),
					     "absent") != 0;
		}
	}
	cli_readers_clear(&rs);
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

bool check_read_folded(ctl_client *c, const check_truth *t, unsigned timeout_ms,
		       guint32 folded[CHECK_MAX_SLOTS])
{
	g_autoptr(GError) err = NULL;

	memset(folded, 0, CHECK_MAX_SLOTS * sizeof folded[0]);
	if (c == NULL)
		return false;
	g_autoptr(JsonObject) req = ctl_client_request_new("list");
	g_autoptr(JsonObject) rep = ctl_client_call(c, req, timeout_ms, &err);
	if (rep == NULL || !json_object_has_member(rep, "readers"))
		return false;
	JsonArray *readers = json_object_get_array_member(rep, "readers");
	for (guint r = 0; readers != NULL && r < json_array_get_length(readers); r++) {
		JsonObject *ro = json_array_get_object_element(readers, r);
		JsonArray *slots = ro != NULL && json_object_has_member(ro, "slots")
					   ? json_object_get_array_member(ro, "slots")
					   : NULL;
		gint64 number = ro != NULL ? json_object_get_int_member_with_default(ro, "reader", -1)
					   : -1;
		for (unsigned i = 0; slots != NULL && i < t->n_slots; i++) {
			if ((gint64)t->slots[i].reader != number ||
			    t->slots[i].slot >= json_array_get_length(slots))
				continue;
			JsonObject *so = json_array_get_object_element(slots, t->slots[i].slot);
			if (so != NULL)
				folded[i] = (guint32)json_object_get_int_member_with_default(so, "folded",
											     0);
		}
	}
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
	g_clear_pointer(&t->stream, g_ptr_array_unref);
}
