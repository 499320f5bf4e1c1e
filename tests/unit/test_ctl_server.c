/* ccidlab — unit tests of the control server over a real Unix socket,
 * with a fake directory of emulated readers made from built-in profiles
 * (src/ctl/server.h, client.h).
 *
 * Past 600 lines, whole on purpose: every request family against one
 * fixture (a real socket, a fake directory, a second process for the
 * peer-credential cases); splitting would copy the fixture per file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ctl/client.h"
#include "ctl/server.h"

#define T_MS 5000u

/* This program, for the other-uid peer (not /proc/self/exe: under
 * valgrind that is valgrind). */
static char *self_path;

/* ---- a fake directory: reader 0 (1 slot), reader 2 (generic-ext-multi),
 * reader 5 (a "real" reader, no emu) ---- */

typedef struct fake_reader {
	unsigned number;
	unsigned n_slots;
	const char *name;
	emu_device *emu;
} fake_reader;

typedef struct fixture {
	char *dir;
	char *path;
	fake_reader readers[3];
	size_t n_readers;
	ctl_directory directory;
	ctl_server *srv;
	ctl_client *c;
} fixture;

static size_t fake_list(void *data, ctl_reader_info *out, size_t cap)
{
	fixture *f = data;
	for (size_t i = 0; i < f->n_readers && i < cap; i++) {
		fake_reader *r = &f->readers[i];
		memset(&out[i], 0, sizeof out[i]);
		out[i].number = r->number;
		out[i].n_slots = r->n_slots;
		g_strlcpy(out[i].name, r->name, sizeof out[i].name);
		g_snprintf(out[i].devname, sizeof out[i].devname, "emu:%s", r->name);
		g_strlcpy(out[i].profile, r->emu != NULL ? emu_device_profile(r->emu)->name : "real",
			  sizeof out[i].profile);
		g_strlcpy(out[i].mode, "event", sizeof out[i].mode);
		out[i].emu = r->emu != NULL ? emu_device_ref(r->emu) : NULL;
	}
	return f->n_readers;
}

static emu_device *device_from(const char *profile, const char *name)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_profile) p = emu_profile_builtin(profile);
	g_assert_nonnull(p);
	emu_device *dev = emu_device_new(p, &err);
	g_assert_no_error(err);
	emu_device_set_name(dev, name);
	return dev;
}

static void start_server(fixture *f, const ctl_server_opts *opts)
{
	g_autoptr(GError) err = NULL;
	f->srv = ctl_server_start(f->path, &f->directory, opts, &err);
	g_assert_no_error(err);
	g_assert_nonnull(f->srv);
	f->c = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
}

static void setup(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	f->dir = g_dir_make_tmp("ctl-test-XXXXXX", &err);
	g_assert_no_error(err);
	f->path = g_build_filename(f->dir, "ccidlab.sock", NULL);
	f->readers[0] = (fake_reader){ 0, 1, "lab-0", device_from("generic-apdu-irq", "lab-0") };
	f->readers[1] = (fake_reader){ 2, 0, "lab-multi", device_from("generic-ext-multi", "lab-multi") };
	f->readers[1].n_slots = emu_device_slot_count(f->readers[1].emu);
	f->readers[2] = (fake_reader){ 5, 1, "real-reader", NULL };
	f->n_readers = 3;
	f->directory = (ctl_directory){ fake_list, f };
	if (data == NULL)
		start_server(f, NULL);
}

static void teardown(fixture *f, gconstpointer data)
{
	ctl_client_free(f->c);
	ctl_server_stop(f->srv);
	g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
	for (size_t i = 0; i < f->n_readers; i++)
		if (f->readers[i].emu != NULL)
			emu_device_unref(f->readers[i].emu);
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

/* Sends {"req":req, members...}; members is JSON text without braces;
 * fd >= 0 goes along (SCM_RIGHTS, "fd":true). */
static JsonObject *call_fd(ctl_client *c, const char *req, const char *members, int fd,
			   GError **error)
{
	g_autofree char *text = g_strdup_printf("{\"req\":\"%s\"%s%s}", req,
						members && *members ? "," : "", members ? members : "");
	g_autoptr(JsonParser) p = json_parser_new();
	g_assert_true(json_parser_load_from_data(p, text, -1, NULL));
	JsonObject *o = json_node_get_object(json_parser_get_root(p));
	return fd >= 0 ? ctl_client_call_with_fd(c, o, fd, T_MS, error)
		       : ctl_client_call(c, o, T_MS, error);
}

static JsonObject *call(ctl_client *c, const char *req, const char *members, GError **error)
{
	return call_fd(c, req, members, -1, error);
}

static JsonObject *call_ok(ctl_client *c, const char *req, const char *members)
{
	g_autoptr(GError) err = NULL;
	JsonObject *o = call(c, req, members, &err);
	g_assert_no_error(err);
	g_assert_nonnull(o);
	return o;
}

/* A call whose reply is not needed. */
static void call_done(ctl_client *c, const char *req, const char *members)
{
	json_object_unref(call_ok(c, req, members));
}

static void call_fails(ctl_client *c, const char *req, const char *members, ctl_error code)
{
	g_autoptr(GError) err = NULL;
	JsonObject *o = call(c, req, members, &err);
	g_assert_null(o);
	g_assert_error(err, CTL_ERROR, (gint)code);
	g_test_message("%s {%s} -> %s", req, members ? members : "", err->message);
}

static JsonObject *find_reader(JsonObject *list, unsigned number)
{
	JsonArray *a = json_object_get_array_member(list, "readers");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *r = json_array_get_object_element(a, i);
		if (json_object_get_int_member(r, "reader") == number)
			return r;
	}
	return NULL;
}

static const char *slot_state(ctl_client *c, unsigned number, unsigned slot)
{
	static char state[16];
	g_autoptr(JsonObject) l = call_ok(c, "list", NULL);
	JsonObject *r = find_reader(l, number);
	g_assert_nonnull(r);
	JsonObject *s = json_array_get_object_element(json_object_get_array_member(r, "slots"), slot);
	g_strlcpy(state, json_object_get_string_member(s, "state"), sizeof state);
	return state;
}

/* ---- tests ---- */

static void test_hello_reports_versions(fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) o = call_ok(f->c, "hello", NULL);
	g_assert_cmpint(json_object_get_int_member(o, "protocol"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(o, "driver"), ==, PACKAGE_VERSION);
	g_assert_cmpint(json_object_get_int_member(o, "pid"), ==, getpid());
	JsonArray *reqs = json_object_get_array_member(o, "requests");
	g_assert_cmpuint(json_array_get_length(reqs), ==, CTL_REQ_COUNT);
}

/* hello says what the process holds from its allocator, and whose count
 * that is: the sanitizer's, or glibc's where there is none (the soak
 * judges it; a plain build's resident set also holds the arenas'
 * fragmentation). */
static void test_hello_reports_heap_in_use(fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) o = call_ok(f->c, "hello", NULL);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	const char *by = "sanitizer";
#elif defined(HAVE_MALLINFO2)
	const char *by = "glibc";
#else
	g_assert_false(json_object_has_member(o, "heap_in_use"));
	return;
#endif
	g_assert_cmpstr(json_object_get_string_member(o, "heap_counted_by"), ==, by);
	gint64 before = json_object_get_int_member(o, "heap_in_use");
	g_assert_cmpint(before, >, 0);
	enum { HELD = 8 << 20 };
	char *held = g_malloc(HELD);
	memset(held, 1, HELD);
	g_autoptr(JsonObject) p = call_ok(f->c, "hello", NULL);
	gint64 during = json_object_get_int_member(p, "heap_in_use");
	g_free(held);
	g_autoptr(JsonObject) q = call_ok(f->c, "hello", NULL);
	g_assert_cmpint(during, >=, before + HELD / 2);
	g_assert_cmpint(json_object_get_int_member(q, "heap_in_use"), <=, during - HELD / 2);
}

static void test_socket_is_private(fixture *f, gconstpointer data)
{
	struct stat st;
	g_assert_cmpint(lstat(f->path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
}

static void test_list_shows_readers_slots_and_faults(fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) l = call_ok(f->c, "list", NULL);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(l, "readers")), ==, 3);
	JsonObject *r0 = find_reader(l, 0);
	g_assert_cmpstr(json_object_get_string_member(r0, "name"), ==, "lab-0");
	g_assert_cmpstr(json_object_get_string_member(r0, "devname"), ==, "emu:lab-0");
	g_assert_cmpstr(json_object_get_string_member(r0, "profile"), ==, "generic-apdu-irq");
	g_assert_cmpstr(json_object_get_string_member(r0, "mode"), ==, "event");
	g_assert_true(json_object_get_boolean_member(r0, "emulated"));
	JsonObject *s0 = json_array_get_object_element(json_object_get_array_member(r0, "slots"), 0);
	g_assert_cmpstr(json_object_get_string_member(s0, "state"), ==, "absent");
	g_assert_cmpint(json_object_get_int_member(s0, "lun"), ==, 0);
	JsonObject *r2 = find_reader(l, 2);
	JsonArray *slots2 = json_object_get_array_member(r2, "slots");
	g_assert_cmpuint(json_array_get_length(slots2), ==, f->readers[1].n_slots);
	g_assert_cmpuint(json_array_get_length(slots2), >, 1);
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(slots2, 1), "lun"),
			==, 2 << 16 | 1);
	JsonObject *r5 = find_reader(l, 5);
	g_assert_false(json_object_get_boolean_member(r5, "emulated"));
}

/* issue 20: counts were keyed reader_id << 8 | slot in 32 bits, so the
 * observed edges of USB reader N (id 0x40000000 + N) were counted as
 * emulated device N's. */
static void test_edge_counts_of_usb_and_emulated_ids_are_apart(fixture *f, gconstpointer data)
{
	unsigned id = emu_device_id(f->readers[0].emu);
	for (int i = 0; i < 3; i++)
		emu_events_record(0x40000000u + id, "usb", 0,
				  i % 2 ? EMU_EVENT_ABSENT : EMU_EVENT_PRESENT, EMU_EVENT_SRC_OBSERVED);
	g_autoptr(JsonObject) l = call_ok(f->c, "list", NULL);
	JsonObject *s0 = json_array_get_object_element(
		json_object_get_array_member(find_reader(l, 0), "slots"), 0);
	g_assert_cmpint(json_object_get_int_member(s0, "observed"), ==, 0);
	g_assert_cmpint(json_object_get_int_member(s0, "edges"), ==, 0);
	(void)data;
}

static void test_slot_requests_change_the_slot(fixture *f, gconstpointer data)
{
	call_done(f->c, "insert", "\"reader\":0,\"card\":\"readertest,t1\"");
	g_assert_cmpstr(slot_state(f->c, 0, 0), ==, "present");
	call_done(f->c, "mute", "\"reader\":0,\"slot\":0");
	g_assert_cmpstr(slot_state(f->c, 0, 0), ==, "mute");
	call_done(f->c, "unmute", "\"reader\":\"lab-0\"");
	g_assert_cmpstr(slot_state(f->c, 0, 0), ==, "present");
	call_done(f->c, "swap", "\"reader\":0,\"card\":\"echo\"");
	g_autoptr(JsonObject) l = call_ok(f->c, "list", NULL);
	JsonObject *s0 = json_array_get_object_element(
		json_object_get_array_member(find_reader(l, 0), "slots"), 0);
	g_assert_cmpstr(json_object_get_string_member(s0, "card"), ==, "echo");
	/* insert, mute, unmute, swap (2 edges) */
	g_assert_cmpint(json_object_get_int_member(s0, "edges"), ==, 5);
	call_done(f->c, "remove", "\"reader\":0");
	g_assert_cmpstr(slot_state(f->c, 0, 0), ==, "absent");

	/* What is wrong, in the protocol's terms. */
	call_fails(f->c, "remove", "\"reader\":0", CTL_ERROR_BAD_STATE);
	call_fails(f->c, "insert", "\"reader\":9,\"card\":\"echo\"", CTL_ERROR_NOT_FOUND);
	call_fails(f->c, "insert", "\"reader\":\"nope\",\"card\":\"echo\"", CTL_ERROR_NOT_FOUND);
	call_fails(f->c, "insert", "\"reader\":0,\"slot\":3,\"card\":\"echo\"", CTL_ERROR_NOT_FOUND);
	call_fails(f->c, "insert", "\"reader\":5,\"card\":\"echo\"", CTL_ERROR_NOT_EMULATED);
	call_fails(f->c, "insert", "\"reader\":0,\"card\":\"no-such-app\"", CTL_ERROR_BAD_REQUEST);
	call_done(f->c, "insert", "\"reader\":2,\"slot\":1,\"card\":\"echo\"");
	call_fails(f->c, "insert", "\"reader\":2,\"slot\":1,\"card\":\"echo\"", CTL_ERROR_BAD_STATE);
	g_assert_cmpstr(slot_state(f->c, 2, 1), ==, "present");
	g_assert_cmpstr(slot_state(f->c, 2, 0), ==, "absent");
}

static void test_faults_are_set_listed_and_cleared(fixture *f, gconstpointer data)
{
	g_autoptr(JsonObject) a = call_ok(f->c, "fault-set", "\"reader\":0,\"fault\":\"slow:500@3\"");
	g_assert_cmpstr(json_object_get_string_member(a, "fault"), ==, "slow:500@3");
	call_done(f->c, "fault-set", "\"reader\":2,\"slot\":1,\"fault\":\"timeout\"");
	call_fails(f->c, "fault-set", "\"reader\":0,\"slot\":4,\"fault\":\"timeout\"", CTL_ERROR_NOT_FOUND);

	g_autoptr(JsonObject) l = call_ok(f->c, "list", NULL);
	JsonArray *rf = json_object_get_array_member(find_reader(l, 0), "faults");
	g_assert_cmpuint(json_array_get_length(rf), ==, 1);
	g_assert_cmpstr(json_array_get_string_element(rf, 0), ==, "slow:500@3");
	JsonObject *s1 = json_array_get_object_element(
		json_object_get_array_member(find_reader(l, 2), "slots"), 1);
	JsonArray *sf = json_object_get_array_member(s1, "faults");
	g_assert_cmpuint(json_array_get_length(sf), ==, 1);
	g_assert_true(g_str_has_prefix(json_array_get_string_element(sf, 0), "timeout"));

	g_autoptr(JsonObject) c = call_ok(f->c, "fault-clear", "\"reader\":2,\"kind\":\"slow\"");
	g_assert_cmpint(json_object_get_int_member(c, "cleared"), ==, 0);
	g_autoptr(JsonObject) d = call_ok(f->c, "fault-clear", "\"reader\":2");
	g_assert_cmpint(json_object_get_int_member(d, "cleared"), ==, 1);
	g_autoptr(JsonObject) e = call_ok(f->c, "fault-clear", "\"reader\":0,\"slot\":-1,\"kind\":\"slow\"");
	g_assert_cmpint(json_object_get_int_member(e, "cleared"), ==, 1);
	/* The driver's readers have no USB pipes: a USB transfer fault is
	 * refused, naming why (usbsim devices take them). */
	call_fails(f->c, "fault-set", "\"reader\":0,\"fault\":\"stall/bulk-in@1\"",
		   CTL_ERROR_NOT_EMULATED);
	g_autoptr(JsonObject) u = call_ok(f->c, "fault-clear", "\"reader\":0,\"kind\":\"stall\"");
	g_assert_cmpint(json_object_get_int_member(u, "cleared"), ==, 0);
}

static JsonObject *next_edge(ctl_client *c)
{
	g_autoptr(GError) err = NULL;
	for (;;) {
		JsonObject *ev = ctl_client_next_event(c, T_MS, &err);
		g_assert_no_error(err);
		if (g_strcmp0(json_object_get_string_member(ev, "event"), "edge") == 0)
			return ev;
		json_object_unref(ev);
	}
}

static void test_subscribe_streams_edges_in_order(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(ctl_client) sub = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
	g_autoptr(JsonObject) s = call_ok(sub, "subscribe", NULL);
	uint64_t start = (uint64_t)json_object_get_int_member(s, "seq");
	int64_t t0 = emu_events_now_ns();

	call_done(f->c, "insert", "\"reader\":0,\"card\":\"echo\"");
	call_done(f->c, "insert", "\"reader\":2,\"slot\":1,\"card\":\"echo\"");
	call_done(f->c, "remove", "\"reader\":0");

	static const struct { int reader; int slot; const char *state; } want[] = {
		{ 0, 0, "present" }, { 2, 1, "present" }, { 0, 0, "absent" },
	};
	uint64_t last = start;
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autoptr(JsonObject) ev = next_edge(sub);
		uint64_t seq = (uint64_t)json_object_get_int_member(ev, "seq");
		g_assert_cmpuint(seq, >, last);
		last = seq;
		g_assert_cmpint(json_object_get_int_member(ev, "ts_ns"), >=, t0);
		g_assert_cmpint(json_object_get_int_member(ev, "reader"), ==, want[i].reader);
		g_assert_cmpint(json_object_get_int_member(ev, "slot"), ==, want[i].slot);
		g_assert_cmpstr(json_object_get_string_member(ev, "state"), ==, want[i].state);
		g_assert_cmpstr(json_object_get_string_member(ev, "source"), ==, "control");
		ctl_stream_rec rec;
		g_assert_true(ctl_stream_decode(ev, &rec, &err));
		g_assert_cmpint(rec.kind, ==, CTL_STREAM_EDGE);
		g_assert_cmpuint(rec.edge.seq, ==, seq);
		g_assert_cmpuint(rec.edge.reader, ==, (unsigned)want[i].reader);
		g_assert_true(ctl_edge_present(&rec.edge) == (strcmp(want[i].state, "present") == 0));
	}

	/* A second subscriber resumes from a seq and gets the same edges. */
	g_autoptr(ctl_client) again = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
	g_autofree char *since = g_strdup_printf("\"since\":%" G_GUINT64_FORMAT, start);
	call_done(again, "subscribe", since);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		g_autoptr(JsonObject) ev = next_edge(again);
		g_assert_cmpstr(json_object_get_string_member(ev, "state"), ==, want[i].state);
	}
	call_done(again, "unsubscribe", NULL);
}

/* The server writes the emulator's edges as the protocol's records: both
 * name the same states and sources, in the same order. */
static void test_edge_names_are_the_emulators(void)
{
	for (int k = 0; k < CTL_EDGE_STATE_COUNT; k++)
		g_assert_cmpstr(ctl_edge_state_name((ctl_edge_state)k), ==,
				emu_event_state_name((emu_event_state)k));
	for (int k = 0; k < CTL_EDGE_SRC_COUNT; k++)
		g_assert_cmpstr(ctl_edge_source_name((ctl_edge_source)k), ==,
				emu_event_source_name((emu_event_source)k));
}

static void test_storm_outlives_its_client(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	ctl_client *starter = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
	g_autoptr(JsonObject) st = call_ok(starter, "storm",
					   "\"rate\":400,\"duration_ms\":400,\"seed\":7,"
					   "\"targets\":[{\"reader\":0},{\"reader\":2}]");
	gint64 id = json_object_get_int_member(st, "storm");
	g_assert_cmpint(json_object_get_int_member(st, "targets"), ==, 1 + f->readers[1].n_slots);
	g_assert_cmpint(json_object_get_int_member(st, "seed"), ==, 7);
	ctl_client_free(starter);

	/* The schedule is a function of the seed. */
	emu_storm_target tg[1 + 8];
	size_t nt = 1 + f->readers[1].n_slots;
	g_autoptr(GArray) sched = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));
	emu_storm_params p = { .seed = 7, .rate = 400, .duration_ms = 400, .targets = tg,
			       .n_targets = nt };
	g_assert_true(emu_storm_schedule(&p, sched, NULL));

	g_autofree char *which = g_strdup_printf("\"storm\":%" G_GINT64_FORMAT, id);
	char state[16] = "";
	gint64 applied = 0;
	for (int i = 0; i < 400; i++) {
		g_autoptr(JsonObject) s = call_ok(f->c, "storm-status", which);
		JsonObject *one = json_array_get_object_element(json_object_get_array_member(s, "storms"), 0);
		g_strlcpy(state, json_object_get_string_member(one, "state"), sizeof state);
		applied = json_object_get_int_member(one, "applied");
		if (strcmp(state, "done") == 0)
			break;
		g_usleep(10000);
	}
	g_assert_cmpstr(state, ==, "done");
	g_assert_cmpint(applied, ==, (gint64)sched->len);

	/* Edge counters in list add up to what the storm applied. */
	g_autoptr(JsonObject) l = call_ok(f->c, "list", NULL);
	gint64 edges = 0;
	for (unsigned r = 0; r < 2; r++) {
		JsonArray *slots = json_object_get_array_member(find_reader(l, r == 0 ? 0 : 2), "slots");
		for (guint k = 0; k < json_array_get_length(slots); k++)
			edges += json_object_get_int_member(json_array_get_object_element(slots, k), "edges");
	}
	g_assert_cmpint(edges, ==, applied);
	call_fails(f->c, "storm-status", "\"storm\":999", CTL_ERROR_NOT_FOUND);
	call_fails(f->c, "storm", "\"rate\":10,\"duration_ms\":100,\"targets\":[{\"reader\":5}]",
		   CTL_ERROR_NOT_EMULATED);
	call_fails(f->c, "storm", "\"rate\":10,\"duration_ms\":100,\"card\":\"bogus\"",
		   CTL_ERROR_BAD_REQUEST);
}

/* Readers are added and removed only where the directory can (a USB/IP
 * server); a driver's server says why it cannot. */
static void test_device_requests_need_a_hotplug_directory(fixture *f, gconstpointer data)
{
	(void)data;
	call_fails(f->c, "device-add", "\"spec\":\"generic-apdu-irq\"", CTL_ERROR_NOT_EMULATED);
	call_fails(f->c, "device-remove", "\"reader\":0", CTL_ERROR_NOT_EMULATED);
	call_fails(f->c, "device-add", NULL, CTL_ERROR_BAD_REQUEST);
}

static void test_storm_stop_ends_it(fixture *f, gconstpointer data)
{
	call_done(f->c, "storm", "\"rate\":50,\"duration_ms\":60000");
	g_autoptr(JsonObject) s = call_ok(f->c, "storm-stop", NULL);
	g_assert_cmpint(json_object_get_int_member(s, "stopped"), ==, 1);
	g_autoptr(JsonObject) s2 = call_ok(f->c, "storm-status", NULL);
	JsonObject *one = json_array_get_object_element(json_object_get_array_member(s2, "storms"), 0);
	g_assert_cmpstr(json_object_get_string_member(one, "state"), ==, "stopped");
	/* A storm still running when the server stops is stopped with it
	 * (teardown). */
	call_done(f->c, "storm", "\"rate\":50,\"duration_ms\":60000");
}

/* Loads and starts a timeline, waits until it is done; its status entry. */
static JsonObject *scenario_run_done(fixture *f, const char *text, gint64 steps)
{
	g_autofree char *members = g_strdup_printf("\"data\":\"%s\"", text);
	g_autoptr(JsonObject) ld = call_ok(f->c, "scenario-load", members);
	gint64 id = json_object_get_int_member(ld, "scenario");
	g_assert_cmpint(json_object_get_int_member(ld, "steps"), ==, steps);
	g_autofree char *which = g_strdup_printf("\"scenario\":%" G_GINT64_FORMAT, id);
	call_done(f->c, "scenario-start", which);
	for (int i = 0; i < 300; i++) {
		JsonObject *s = call_ok(f->c, "scenario-status", which);
		JsonObject *one =
			json_array_get_object_element(json_object_get_array_member(s, "scenarios"), 0);
		if (g_strcmp0(json_object_get_string_member(one, "state"), "done") == 0) {
			json_object_ref(one);
			json_object_unref(s);
			return one;
		}
		json_object_unref(s);
		g_usleep(10000);
	}
	g_assert_not_reached();
}

/* The reason the status gives for the i-th failure kept. */
static const char *failure_reason(JsonObject *one, guint i, gint64 step)
{
	JsonArray *fs = json_object_get_array_member(one, "failures");
	g_assert_nonnull(fs);
	g_assert_cmpuint(i, <, json_array_get_length(fs));
	JsonObject *f = json_array_get_object_element(fs, i);
	g_assert_cmpint(json_object_get_int_member(f, "step"), ==, step);
	return json_object_get_string_member(f, "reason");
}

static void test_scenario_runs_its_steps(fixture *f, gconstpointer data)
{
	const char *text = "[step 1]\\nat_ms=0\\nreader=lab-0\\nslot=0\\naction=insert\\n"
			   "card=readertest\\n\\n[step 2]\\nat_ms=20\\nreader=2\\nslot=1\\n"
			   "action=insert\\ncard=echo\\n\\n[step 3]\\nat_ms=30\\nreader=nobody\\n"
			   "slot=0\\naction=remove\\n\\n[step 4]\\nat_ms=40\\nreader=lab-0\\n"
			   "slot=0\\naction=insert\\ncard=echo\\n";
	g_autoptr(JsonObject) one = scenario_run_done(f, text, 4);
	g_assert_cmpint(json_object_get_int_member(one, "applied"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(one, "failed"), ==, 2);
	g_assert_cmpstr(slot_state(f->c, 0, 0), ==, "present");
	g_assert_cmpstr(slot_state(f->c, 2, 1), ==, "present");
	/* Each failed step with its reason: no such reader, and the
	 * reader's own refusal. */
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(one, "failures")), ==, 2);
	g_assert_cmpstr(failure_reason(one, 0, 3), ==,
			"remove on reader \"nobody\" slot 0: no reader has that name");
	const char *occupied = failure_reason(one, 1, 4);
	g_assert_true(g_str_has_prefix(occupied, "insert on reader \"lab-0\" slot 0: "));
	g_assert_nonnull(strstr(occupied, "already holds a card"));

	call_fails(f->c, "scenario-load", "\"data\":\"[oops]\\nx=1\\n\"", CTL_ERROR_BAD_REQUEST);
	call_fails(f->c, "scenario-start", "\"scenario\":77", CTL_ERROR_NOT_FOUND);
	g_autoptr(JsonObject) stop = call_ok(f->c, "scenario-stop", NULL);
	g_assert_cmpint(json_object_get_int_member(stop, "stopped"), ==, 0);
}

/* A scenario whose every step fails keeps the first reasons only: its
 * status stays bounded whatever the timeline's length. */
static void test_scenario_keeps_the_first_failures(fixture *f, gconstpointer data)
{
	const unsigned n = EMU_TIMELINE_FAILURES_KEPT + 4;
	g_autoptr(GString) text = g_string_new(NULL);
	for (unsigned i = 1; i <= n; i++)
		g_string_append_printf(text, "[step %u]\\nat_ms=0\\nreader=nobody\\nslot=0\\n"
					     "action=remove\\n\\n", i);
	g_autoptr(JsonObject) one = scenario_run_done(f, text->str, n);
	g_assert_cmpint(json_object_get_int_member(one, "failed"), ==, n);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(one, "failures")), ==,
			 EMU_TIMELINE_FAILURES_KEPT);
	g_assert_nonnull(strstr(failure_reason(one, EMU_TIMELINE_FAILURES_KEPT - 1,
					       EMU_TIMELINE_FAILURES_KEPT),
				"no reader has that name"));
}

static void test_trace_streams_frames(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	/* Off: costs nothing, goes nowhere. */
	static const uint8_t cmd[] = { 0x65, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	ctl_server_trace_frame(f->srv, 0, CTL_TRACE_OUT, cmd, sizeof cmd);
	ctl_server_trace_frame(NULL, 0, CTL_TRACE_OUT, cmd, sizeof cmd);

	/* The trace file is the client's own descriptor (SCM_RIGHTS). */
	g_autofree char *file = g_build_filename(f->dir, "trace.jsonl", NULL);
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	g_assert_cmpint(fd, >=, 0);
	call_done(f->c, "trace-on", "\"reader\":0");
	json_object_unref(call_fd(f->c, "trace-on", "\"reader\":2", fd, &err));
	g_assert_no_error(err);
	close(fd);
	call_fails(f->c, "trace-on", "\"fd\":true", CTL_ERROR_BAD_REQUEST);
	call_fails(f->c, "trace-on", "\"reader\":44", CTL_ERROR_NOT_FOUND);

	ctl_server_trace_frame(f->srv, 0, CTL_TRACE_OUT, cmd, sizeof cmd);
	ctl_server_trace_frame(f->srv, 2, CTL_TRACE_IN, cmd, 4);
	ctl_server_trace_frame(f->srv, 0, CTL_TRACE_IN, cmd, 0);

	g_autoptr(JsonObject) e1 = ctl_client_next_event(f->c, T_MS, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(json_object_get_string_member(e1, "event"), ==, "frame");
	g_assert_cmpint(json_object_get_int_member(e1, "reader"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(e1, "dir"), ==, "out");
	g_assert_cmpstr(json_object_get_string_member(e1, "hex"), ==, "65000000000001000000");
	g_assert_cmpint(json_object_get_int_member(e1, "ts_us"), >, 0);
	g_autoptr(JsonObject) e2 = ctl_client_next_event(f->c, T_MS, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(json_object_get_string_member(e2, "dir"), ==, "in");
	g_assert_cmpint(json_object_get_int_member(e2, "len"), ==, 0);

	/* The file got reader 2's frame only; the hello makes sure the
	 * drain has run (one thread, in order). */
	call_done(f->c, "hello", NULL);
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
	g_assert_nonnull(strstr(text, "\"reader\":2"));
	g_assert_nonnull(strstr(text, "\"hex\":\"65000000\""));
	g_assert_null(strstr(text, "\"reader\":0"));

	g_autoptr(JsonObject) off = call_ok(f->c, "trace-off", NULL);
	g_assert_cmpint(json_object_get_int_member(off, "stopped"), ==, 2);
	g_unlink(file);
}

static void test_bad_lines_get_errors(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	static const char *const lines[] = {
		"not json\n", "{\"v\":1,\"req\":\"fly\"}\n", "[]\n", "{\"v\":1,\"req\":\"list\",\"x\":1}\n",
		"\r\n", "{\"v\":7,\"id\":3,\"req\":\"hello\"}\r\n",
	};
	static const char *const codes[] = {
		"bad-json", "unknown-request", "bad-json", "bad-request", NULL, "bad-version",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
		g_assert_true(ctl_client_send_raw(f->c, lines[i], strlen(lines[i]), T_MS, &err));
		if (codes[i] == NULL)
			continue;
		g_autofree char *reply = ctl_client_read_line(f->c, T_MS, &err);
		g_assert_no_error(err);
		g_autofree char *want = g_strdup_printf("\"code\":\"%s\"", codes[i]);
		g_assert_nonnull(strstr(reply, want));
	}
	/* The connection still serves. */
	call_done(f->c, "hello", NULL);

	/* An oversized line: one error, then the server closes. */
	g_autoptr(ctl_client) big = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
	g_autofree char *junk = g_strnfill(CTL_LINE_MAX + 100, 'x');
	ctl_client_send_raw(big, junk, strlen(junk), T_MS, NULL);
	g_autofree char *reply = ctl_client_read_line(big, T_MS, &err);
	g_assert_no_error(err);
	g_assert_nonnull(strstr(reply, "line-too-long"));
	g_autofree char *none = ctl_client_read_line(big, T_MS, &err);
	g_assert_null(none);
	g_assert_error(err, CTL_ERROR, CTL_ERROR_IO);
	g_clear_error(&err);

	/* Random bytes from many clients that vanish mid-line. */
	GRand *rnd = g_rand_new_with_seed(6);
	for (int i = 0; i < 100; i++) {
		g_autoptr(ctl_client) v = ctl_client_connect(f->path, T_MS, &err);
		g_assert_no_error(err);
		guint8 buf[512];
		size_t n = (size_t)g_rand_int_range(rnd, 1, sizeof buf);
		for (size_t k = 0; k < n; k++)
			buf[k] = (guint8)g_rand_int(rnd);
		if (i % 2 == 0)
			memcpy(buf, "{\"v\":1,\"req\":\"list\"", MIN(n, 19));
		ctl_client_send_raw(v, buf, n, T_MS, NULL);
	}
	g_rand_free(rnd);
	g_autoptr(JsonObject) l = call_ok(f->c, "list", NULL);
	g_assert_nonnull(find_reader(l, 0));
}

/* A bare socket that subscribes and never reads: the server's close
 * shows on it (POLLRDHUP: AF_UNIX marks the reader's side shut at the
 * peer's close, its unread lines still queued) without a read, which
 * would be progress and keep it connected. */
static int silent_subscriber(const char *path)
{
	static const char sub[] = "{\"v\":1,\"id\":1,\"req\":\"subscribe\"}\n";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(write(fd, sub, sizeof sub - 1), ==, (gssize)(sizeof sub - 1));
	return fd;
}

static void test_client_that_does_not_read_is_dropped(fixture *f, gconstpointer data)
{
	ctl_server_opts opts = { .stall_ms = 300 };
	start_server(f, &opts);

	/* Subscribes, then never reads while a storm floods it.  Bounded by
	 * events, not by a time: with both cores busy the flood filled its
	 * socket only after the 1.2 s this once waited, and the drain that
	 * followed kept it alive. */
	int slow = silent_subscriber(f->path);
	call_done(f->c, "storm", "\"rate\":20000,\"duration_ms\":1500,\"seed\":1");
	struct pollfd pfd = { .fd = slow, .events = POLLRDHUP };
	for (int i = 0; i < 600 && poll(&pfd, 1, 0) == 0; i++) {
		/* Meanwhile the server answers others promptly. */
		call_done(f->c, "hello", NULL);
		g_usleep(50000);
	}
	g_assert_true(pfd.revents & (POLLRDHUP | POLLHUP));
	close(slow);
}

static void test_client_limit_is_enforced(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	ctl_server_opts opts = { .max_clients = 2 };
	start_server(f, &opts);
	g_autoptr(ctl_client) second = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
	call_done(second, "hello", NULL);
	g_autoptr(ctl_client) third = ctl_client_connect(f->path, T_MS, &err);
	g_assert_no_error(err);
	call_fails(third, "hello", NULL, CTL_ERROR_LIMIT);
}

/* Runs this program as uid and gid 65534 (with nogroup its only group
 * when in_group) with ARGS.  The executable is opened as root: uid 65534
 * may not reach the build tree by path (a checkout under a 0700
 * directory, as mktemp -d makes), and an exec through a descriptor checks
 * only the file's own mode.  An exec, so that the child neither inherits
 * this process's threads' state nor shows up in valgrind's leak report. */
static pid_t spawn_nobody(char **args, gboolean in_group)
{
	int exe = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	g_assert_cmpint(exe, >=, 0);
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		gid_t g = 65534;
		if ((in_group && setgroups(1, &g) != 0) || setresgid(g, g, g) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(10);
		fexecve(exe, args, environ);
		_exit(13);
	}
	close(exe);
	return pid;
}

static void test_other_uid_is_refused(fixture *f, gconstpointer data)
{
	if (geteuid() != 0) {
		g_test_skip("changing uid needs root (the integration test uses setpriv)");
		return;
	}
	/* Open the file mode so that only SO_PEERCRED stands in the way. */
	g_assert_cmpint(chmod(f->path, 0666), ==, 0);
	g_assert_cmpint(chmod(f->dir, 0755), ==, 0);
	char *args[] = { self_path, "--peer-hello", f->path, NULL };
	pid_t pid = spawn_nobody(args, FALSE);
	int status = 0;
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* And the server serves its own uid still. */
	call_done(f->c, "hello", NULL);
}

static void test_socket_file_is_guarded(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	/* A live server: a second one refuses to take its path. */
	start_server(f, NULL);
	ctl_server *two = ctl_server_start(f->path, &f->directory, NULL, &err);
	g_assert_null(two);
	g_assert_error(err, CTL_ERROR, CTL_ERROR_IO);
	g_clear_error(&err);
	/* A stale socket (nobody listens) is replaced. */
	ctl_client_free(f->c);
	f->c = NULL;
	ctl_server_stop(f->srv);
	f->srv = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_strlcpy(sa.sun_path, f->path, sizeof sa.sun_path);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	close(fd);
	start_server(f, NULL);
	ctl_client_free(f->c);
	f->c = NULL;
	ctl_server_stop(f->srv);
	f->srv = NULL;
	/* Any other file is left alone. */
	g_assert_true(g_file_set_contents(f->path, "mine", -1, NULL));
	two = ctl_server_start(f->path, &f->directory, NULL, &err);
	g_assert_null(two);
	g_assert_error(err, CTL_ERROR, CTL_ERROR_IO);
	g_unlink(f->path);
	/* Group mode. */
	g_clear_error(&err);
	ctl_server_opts opts = { .group = "0" };
	start_server(f, &opts);
	struct stat st;
	g_assert_cmpint(lstat(f->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0660);
	g_assert_cmpuint(st.st_gid, ==, 0);
}

/* A peer in the socket's group reaches no file of the server's (issue
 * 20: inside pcscd the server is root; scenario-load's parse error quoted
 * /etc/passwd, a files: card served any file through READ BINARY,
 * trace-on created or appended to any file).  Runs as nobody:nogroup
 * with the server's group nogroup; root's files are mode 0600. */
static void test_group_peer_reaches_no_file(fixture *f, gconstpointer data)
{
	if (geteuid() != 0) {
		g_test_skip("a peer of another uid in the group needs root to make");
		return;
	}
	ctl_server_opts opts = { .group = "65534" };
	start_server(f, &opts);
	g_assert_cmpint(chmod(f->dir, 0755), ==, 0);
	g_autofree char *secret = g_build_filename(f->dir, "secret", NULL);
	g_autofree char *made = g_build_filename(f->dir, "created", NULL);
	int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	g_assert_cmpint(fd, >=, 0);
	static const char line[] = "root:x:0:0:SECRET-LINE:/root:/bin/bash\n";
	g_assert_cmpint(write(fd, line, strlen(line)), ==, (ssize_t)strlen(line));
	close(fd);
	/* And one that parses: a script would be taken whole, not quoted. */
	g_autofree char *script = g_build_filename(f->dir, "secret.script", NULL);
	g_assert_true(g_file_set_contents(script, "00 A4 * => 53 45 43 52 45 54 90 00\n", -1, NULL));
	g_assert_cmpint(chmod(script, 0600), ==, 0);
	char *args[] = { self_path, "--peer-files", f->path, f->dir, NULL };
	pid_t pid = spawn_nobody(args, TRUE);
	int status = 0;
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_assert_false(g_file_test(made, G_FILE_TEST_EXISTS));
	g_unlink(secret);
	g_unlink(script);
}

/* The group peer's side: each way to a file is refused without a word of
 * the file; what the peer itself reads or opens is taken. */
static int peer_files(const char *path, const char *dir)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(ctl_client) c = ctl_client_connect(path, T_MS, &err);
	if (c == NULL)
		return 20;
	g_autofree char *secret = g_build_filename(dir, "secret", NULL);
	g_autofree char *made = g_build_filename(dir, "created", NULL);
	int rc = 0;
	g_autoptr(GPtrArray) ways = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(ways, g_strdup_printf("scenario-load|\"path\":\"%s\"", secret));
	g_ptr_array_add(ways, g_strdup_printf("scenario-load|\"data\":\"[step 1]\\nat_ms=0\\n"
					      "reader=0\\nslot=0\\naction=insert\\n"
					      "card=files:%s\\n\"",
					      secret));
	g_ptr_array_add(ways, g_strdup_printf("insert|\"reader\":0,\"card\":\"files:%s\"", secret));
	g_ptr_array_add(ways, g_strdup_printf("insert|\"reader\":0,\"card\":\"script:%s.script,t1\"",
					      secret));
	g_ptr_array_add(ways, g_strdup_printf("storm|\"rate\":10,\"duration_ms\":100,"
					      "\"card\":\"script:%s.script\"",
					      secret));
	g_ptr_array_add(ways, g_strdup_printf("trace-on|\"file\":\"%s\"", made));
	for (guint i = 0; i < ways->len; i++) {
		char *way = g_ptr_array_index(ways, i);
		char *bar = strchr(way, '|');
		*bar = '\0';
		g_clear_error(&err);
		g_autoptr(JsonObject) o = call(c, way, bar + 1, &err);
		if (o != NULL || err == NULL || strstr(err->message, "SECRET") != NULL) {
			g_printerr("NOT REFUSED: %s {%s}: %s\n", way, bar + 1,
				   err ? err->message : "ok");
			rc = rc != 0 ? rc : 30 + (int)i;
			continue;
		}
		g_printerr("refused: %s {%s}: %s\n", way, bar + 1, err->message);
	}
	if (rc != 0)
		return rc;
	/* Descriptors that are no regular file open for writing. */
	int p[2];
	if (pipe(p) != 0)
		return 21;
	int ro = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	int fds[] = { p[1], open("/dev/null", O_WRONLY | O_CLOEXEC), ro };
	for (size_t i = 0; i < G_N_ELEMENTS(fds); i++) {
		g_clear_error(&err);
		g_autoptr(JsonObject) o = fds[i] >= 0 ? call_fd(c, "trace-on", NULL, fds[i], &err)
						      : NULL;
		if (o != NULL)
			return 40 + (int)i;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	close(p[0]);
	/* What the peer sends or opens itself. */
	call_done(c, "insert", "\"reader\":0,\"card\":\"script:mine,t1\","
			       "\"app-text\":\"00 A4 * => 90 00\\n\"");
	char own[] = "/tmp/ccidlab-peer-XXXXXX";
	int mine = mkostemp(own, O_CLOEXEC);
	if (mine < 0)
		return 22;
	g_clear_error(&err);
	g_autoptr(JsonObject) on = call_fd(c, "trace-on", NULL, mine, &err);
	close(mine);
	g_unlink(own);
	if (on == NULL)
		return 50;
	call_done(c, "trace-off", NULL);
	return 0;
}

/* The other-uid peer: 0 when the server refused it with permission-denied. */
static int peer_hello(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(ctl_client) c = ctl_client_connect(path, T_MS, &err);
	if (c == NULL)
		return 11;
	g_autoptr(JsonObject) req = ctl_client_request_new("hello");
	g_autoptr(JsonObject) o = ctl_client_call(c, req, T_MS, &err);
	return o == NULL && g_error_matches(err, CTL_ERROR, CTL_ERROR_PERMISSION) ? 0 : 12;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--peer-hello") == 0)
		return peer_hello(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--peer-files") == 0)
		return peer_files(argv[2], argv[3]);
	self_path = g_canonicalize_filename(argv[0], NULL);
	g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
#define ADD_NOSTART(path, fn) g_test_add(path, fixture, "no-start", setup, fn, teardown)
	ADD("/ctl/server/hello-reports-versions", test_hello_reports_versions);
	ADD("/ctl/server/hello-reports-heap-in-use",
	    test_hello_reports_heap_in_use);
	ADD("/ctl/server/socket-is-private", test_socket_is_private);
	ADD("/ctl/server/edge-counts-of-usb-reader-n-and-emulated-device-n-are-apart",
	    test_edge_counts_of_usb_and_emulated_ids_are_apart);
	ADD("/ctl/server/list-shows-readers-slots-and-faults", test_list_shows_readers_slots_and_faults);
	ADD("/ctl/server/slot-requests-change-the-slot", test_slot_requests_change_the_slot);
	ADD("/ctl/server/faults-are-set-listed-and-cleared", test_faults_are_set_listed_and_cleared);
	ADD("/ctl/server/subscribe-streams-edges-in-order", test_subscribe_streams_edges_in_order);
	g_test_add_func("/ctl/server/edge-names-are-the-emulators", test_edge_names_are_the_emulators);
	ADD("/ctl/server/storm-outlives-its-client", test_storm_outlives_its_client);
	ADD("/ctl/server/storm-stop-ends-it", test_storm_stop_ends_it);
	ADD("/ctl/server/device-requests-need-a-hotplug-directory",
	    test_device_requests_need_a_hotplug_directory);
	ADD("/ctl/server/scenario-runs-its-steps", test_scenario_runs_its_steps);
	ADD("/ctl/server/scenario-keeps-the-first-failures", test_scenario_keeps_the_first_failures);
	ADD("/ctl/server/trace-streams-frames", test_trace_streams_frames);
	ADD("/ctl/server/bad-lines-get-errors", test_bad_lines_get_errors);
	ADD_NOSTART("/ctl/server/client-that-does-not-read-is-dropped",
		    test_client_that_does_not_read_is_dropped);
	ADD_NOSTART("/ctl/server/client-limit-is-enforced", test_client_limit_is_enforced);
	ADD("/ctl/server/other-uid-is-refused", test_other_uid_is_refused);
	ADD_NOSTART("/ctl/server/group-peer-reaches-no-file", test_group_peer_reaches_no_file);
	ADD_NOSTART("/ctl/server/socket-file-is-guarded", test_socket_file_is_guarded);
	int rc = g_test_run();
	g_free(self_path);
	return rc;
}
