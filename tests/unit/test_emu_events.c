/* ccidlab — unit tests of the edge log, the storm engine and timelines. */
#include "config.h"

#include "emu_device_helpers.h"

static char *data_path(const char *name)
{
	const char *dir = g_getenv("CCIDLAB_DATA");
	if (dir != NULL)
		return g_build_filename(dir, "emu", name, NULL);
	g_autofree char *here = g_path_get_dirname(__FILE__);
	return g_build_filename(here, "..", "data", "emu", name, NULL);
}

/* ---- the log ---- */

static void test_edges_stamped_in_order(void)
{
	test_reader r = test_reader_default();
	r.nslots = 2;
	g_autoptr(emu_device) dev = test_device_new(&r);
	emu_device_set_name(dev, "lab-7");
	uint64_t before = emu_events_last_seq();
	int64_t t0 = emu_events_now_ns();

	test_insert(dev, 1, "readertest");
	g_assert_true(emu_device_mute(dev, 1, EMU_EVENT_SRC_CONTROL, NULL));
	g_assert_true(emu_device_mute(dev, 1, EMU_EVENT_SRC_CONTROL, NULL)); /* no edge */
	g_assert_true(emu_device_unmute(dev, 1, EMU_EVENT_SRC_CONTROL, NULL));
	g_assert_true(emu_device_swap(dev, 1, test_card("echo"), EMU_EVENT_SRC_TIMELINE, NULL));
	g_assert_true(emu_device_remove(dev, 1, EMU_EVENT_SRC_STORM, NULL));

	emu_event ev[16];
	size_t n;
	uint64_t lost = 99;
	g_assert_false(emu_events_since(before, ev, 16, &n, &lost));
	g_assert_cmpuint(lost, ==, 0);
	g_assert_cmpuint(n, ==, 6);
	static const emu_event_state states[] = { EMU_EVENT_PRESENT, EMU_EVENT_MUTE,
						  EMU_EVENT_PRESENT, EMU_EVENT_ABSENT,
						  EMU_EVENT_PRESENT, EMU_EVENT_ABSENT };
	static const emu_event_source sources[] = { EMU_EVENT_SRC_API, EMU_EVENT_SRC_CONTROL,
						    EMU_EVENT_SRC_CONTROL, EMU_EVENT_SRC_TIMELINE,
						    EMU_EVENT_SRC_TIMELINE, EMU_EVENT_SRC_STORM };
	for (size_t i = 0; i < n; i++) {
		g_assert_cmpuint(ev[i].seq, ==, before + 1 + i);
		g_assert_cmpint(ev[i].ts_ns, >=, t0);
		if (i > 0)
			g_assert_cmpint(ev[i].ts_ns, >=, ev[i - 1].ts_ns);
		g_assert_cmpuint(ev[i].reader_id, ==, emu_device_id(dev));
		g_assert_cmpstr(ev[i].reader, ==, "lab-7");
		g_assert_cmpuint(ev[i].slot, ==, 1);
		g_assert_cmpint(ev[i].state, ==, states[i]);
		g_assert_cmpint(ev[i].source, ==, sources[i]);
	}
	/* Paged reads. */
	g_assert_true(emu_events_since(before, ev, 4, &n, NULL));
	g_assert_cmpuint(n, ==, 4);
	g_assert_false(emu_events_since(ev[3].seq, ev, 4, &n, NULL));
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpstr(emu_event_state_name(EMU_EVENT_MUTE), ==, "mute");
	g_assert_cmpstr(emu_event_source_name(EMU_EVENT_SRC_OBSERVED), ==, "observed");
	for (int s = 0; s < EMU_EVENT_SRC_COUNT; s++)
		g_assert_cmpstr(emu_event_source_name(s), !=, "unknown");
}

static void test_ring_is_bounded(void)
{
	uint64_t before = emu_events_last_seq();

	for (unsigned i = 0; i < EMU_EVENTS_RING + 10; i++)
		emu_events_record(999, "flood", 0, i % 2 ? EMU_EVENT_ABSENT : EMU_EVENT_PRESENT,
				  EMU_EVENT_SRC_API);
	emu_event ev[4];
	size_t n;
	uint64_t lost = 0;
	g_assert_true(emu_events_since(before, ev, 4, &n, &lost));
	g_assert_cmpuint(lost, ==, 10);
	g_assert_cmpuint(ev[0].seq, ==, before + 11);
	g_assert_cmpstr(ev[0].reader, ==, "flood");
}

typedef struct sub_ctx {
	GMutex lock;
	GArray *got;	/* emu_event */
	emu_device *dev;
} sub_ctx;

static void on_edge(const emu_event *ev, void *data)
{
	sub_ctx *c = data;

	/* Subscribers run with no device lock held: the device answers. */
	if (c->dev != NULL) {
		emu_slot_info info;
		g_assert_true(emu_device_slot_info(c->dev, ev->slot, &info));
	}
	g_mutex_lock(&c->lock);
	g_array_append_val(c->got, *ev);
	g_mutex_unlock(&c->lock);
}

static void test_subscribe_unsubscribe(void)
{
	test_reader r = test_reader_default();
	g_autoptr(emu_device) dev = test_device_new(&r);
	sub_ctx c = { .got = g_array_new(FALSE, FALSE, sizeof(emu_event)), .dev = dev };
	g_mutex_init(&c.lock);

	unsigned id = emu_events_subscribe(on_edge, &c);
	g_assert_cmpuint(id, >, 0);
	test_insert(dev, 0, "readertest");
	g_assert_true(emu_device_remove(dev, 0, EMU_EVENT_SRC_API, NULL));
	g_assert_cmpuint(c.got->len, ==, 2);
	g_assert_cmpint(g_array_index(c.got, emu_event, 0).state, ==, EMU_EVENT_PRESENT);
	g_assert_cmpint(g_array_index(c.got, emu_event, 1).state, ==, EMU_EVENT_ABSENT);
	emu_events_unsubscribe(id);
	test_insert(dev, 0, "readertest");
	g_assert_cmpuint(c.got->len, ==, 2);
	emu_events_unsubscribe(id); /* twice: harmless */
	g_array_unref(c.got);
	g_mutex_clear(&c.lock);
}

static void test_observed_edges(void)
{
	test_reader r = test_reader_default();
	g_autoptr(emu_device) dev = test_device_new(&r);
	test_host h;
	ccid_msg rsp;
	uint8_t buf[64];
	size_t n;

	test_host_open(&h, dev);
	uint64_t before = emu_events_last_seq();
	test_insert(dev, 0, "readertest");
	/* The interrupt read is when the host saw it. */
	g_assert_cmpint(h.t.ops->interrupt_in(h.t.dev, buf, sizeof buf, &n, 100), ==, CCID_OK);
	/* GetSlotStatus confirms, no second observation. */
	test_host_xchg(&h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	emu_event ev[8];
	g_assert_false(emu_events_since(before, ev, 8, &n, NULL));
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpint(ev[0].source, ==, EMU_EVENT_SRC_API);
	g_assert_cmpint(ev[1].source, ==, EMU_EVENT_SRC_OBSERVED);
	g_assert_cmpint(ev[1].state, ==, EMU_EVENT_PRESENT);
	g_assert_cmpint(ev[1].ts_ns, >=, ev[0].ts_ns);
	test_host_close(&h);
}

/* ---- storms ---- */

static emu_storm_params storm_params(emu_storm_target *t, size_t n)
{
	emu_storm_params p = { 0 };
	p.seed = 42;
	p.rate = 1000.0;
	p.duration_ms = 2000;
	p.min_hold_ms = 5;
	p.targets = t;
	p.n_targets = n;
	return p;
}

static void test_storm_schedule_deterministic(void)
{
	emu_storm_target t[8] = { 0 };
	emu_storm_params p = storm_params(t, 8);
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));
	g_autoptr(GArray) b = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));

	g_assert_true(emu_storm_schedule(&p, a, NULL));
	g_assert_true(emu_storm_schedule(&p, b, NULL));
	g_assert_cmpuint(a->len, ==, b->len);
	g_assert_cmpmem(a->data, a->len * sizeof(emu_storm_step), b->data,
			b->len * sizeof(emu_storm_step));
	/* Another seed, another schedule. */
	p.seed = 43;
	g_assert_true(emu_storm_schedule(&p, b, NULL));
	g_assert_false(a->len == b->len &&
		       memcmp(a->data, b->data, a->len * sizeof(emu_storm_step)) == 0);
}

static void test_storm_schedule_rate_and_hold(void)
{
	emu_storm_target t[8] = { 0 };
	emu_storm_params p = storm_params(t, 8);
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));

	g_assert_true(emu_storm_schedule(&p, a, NULL));
	/* 1000/s over 2 s: 2000 expected, Poisson sd ~45. */
	g_assert_cmpuint(a->len, >, 1800);
	g_assert_cmpuint(a->len, <, 2200);
	uint64_t last[8];
	for (int i = 0; i < 8; i++)
		last[i] = UINT64_MAX;
	for (guint i = 0; i < a->len; i++) {
		const emu_storm_step *s = &g_array_index(a, emu_storm_step, i);
		g_assert_cmpuint(s->at_us, <, 2000000);
		g_assert_cmpuint(s->target, <, 8);
		if (i > 0)
			g_assert_cmpuint(s->at_us, >=, g_array_index(a, emu_storm_step, i - 1).at_us);
		if (last[s->target] != UINT64_MAX)
			g_assert_cmpuint(s->at_us - last[s->target], >=, 5000);
		last[s->target] = s->at_us;
	}
	/* A long hold caps the rate: 2 targets held 100 ms, 2 s → <= 42. */
	p.n_targets = 2;
	p.min_hold_ms = 100;
	g_assert_true(emu_storm_schedule(&p, a, NULL));
	g_assert_cmpuint(a->len, <=, 42);
	g_assert_cmpuint(a->len, >=, 36);
}

static void test_storm_schedule_burst(void)
{
	emu_storm_target t[8] = { 0 };
	emu_storm_params p = storm_params(t, 8);
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));

	p.rate = 5.0;
	p.min_hold_ms = 0;
	p.burst = 4;
	p.burst_gap_us = 250;
	g_assert_true(emu_storm_schedule(&p, a, NULL));
	g_assert_cmpuint(a->len % 4, ==, 0);
	g_assert_cmpuint(a->len, >, 0);
	for (guint i = 0; i + 3 < a->len; i += 4) {
		const emu_storm_step *s = &g_array_index(a, emu_storm_step, i);
		for (guint k = 1; k < 4; k++) {
			g_assert_cmpuint(s[k].at_us - s[0].at_us, ==, k * 250);
			for (guint j = 0; j < k; j++)
				g_assert_cmpuint(s[k].target, !=, s[j].target);
		}
	}
	/* Refusals. */
	g_autoptr(GError) error = NULL;
	p.burst = 9;
	g_assert_false(emu_storm_schedule(&p, a, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
	g_clear_error(&error);
	p.burst = 0;
	p.rate = 0;
	g_assert_false(emu_storm_schedule(&p, a, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
}

static void test_storm_runs_and_stops(void)
{
	test_reader r = test_reader_default();
	r.nslots = 2;
	g_autoptr(emu_device) d1 = test_device_new(&r);
	g_autoptr(emu_device) d2 = test_device_new(&r);
	emu_storm_target t[3] = { { d1, 0 }, { d1, 1 }, { d2, 0 } };
	emu_storm_params p = storm_params(t, 3);

	p.rate = 200;
	p.duration_ms = 200;
	p.min_hold_ms = 1;
	uint64_t before = emu_events_last_seq();
	g_autoptr(GArray) sched = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));
	g_assert_true(emu_storm_schedule(&p, sched, NULL));
	g_autoptr(emu_storm) s = emu_storm_start(&p, NULL);
	g_assert_nonnull(s);
	g_assert_true(emu_storm_wait(s, 5000));
	g_assert_cmpuint(emu_storm_applied(s), ==, sched->len);
	emu_event ev[1024];
	size_t n;
	emu_events_since(before, ev, G_N_ELEMENTS(ev), &n, NULL);
	size_t storm = 0;
	for (size_t i = 0; i < n; i++)
		storm += ev[i].source == EMU_EVENT_SRC_STORM;
	g_assert_cmpuint(storm, ==, sched->len);

	/* A long storm stops at once. */
	p.duration_ms = 60000;
	p.rate = 10;
	emu_storm *s2 = emu_storm_start(&p, NULL);
	g_assert_nonnull(s2);
	int64_t t0 = g_get_monotonic_time();
	emu_storm_stop(s2);
	emu_storm_stop(s2);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 500000);
	emu_storm_free(s2);

	g_autoptr(GError) error = NULL;
	emu_storm_target bad[1] = { { d1, 5 } };
	p.targets = bad;
	p.n_targets = 1;
	g_assert_null(emu_storm_start(&p, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
}

/* ---- timelines ---- */

static void test_timeline_loads_in_order(void)
{
	g_autofree char *path = data_path("device-scenario.ini");
	g_autoptr(GError) error = NULL;
	g_autoptr(emu_timeline) t = emu_timeline_load_file(path, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(emu_timeline_size(t), ==, 7);
	for (size_t i = 0; i < 7; i++)
		g_assert_cmpuint(emu_timeline_get(t, i)->n, ==, i + 1);
	const emu_timeline_step *s = emu_timeline_get(t, 1);
	g_assert_cmpint(s->action, ==, EMU_TL_FAULT);
	g_assert_cmpint(s->slot, ==, -1);
	g_assert_cmpint(s->fault.kind, ==, EMU_FAULT_FAIL);
	g_assert_cmpstr(emu_timeline_get(t, 3)->card, ==, "readertest,t0");
	g_assert_null(emu_timeline_get(t, 7));
}

static void expect_parse_error(const char *text, const char *needle)
{
	g_autoptr(GError) error = NULL;
	emu_timeline *t = emu_timeline_load_data(text, strlen(text), &error);

	g_assert_null(t);
	g_assert_error(error, EMU_ERROR, EMU_ERROR_PARSE);
	if (strstr(error->message, needle) == NULL)
		g_error("\"%s\" not in \"%s\"", needle, error->message);
}

static void test_timeline_parse_errors(void)
{
	g_autofree char *path = data_path("device-bad-scenario.ini");
	g_autoptr(GError) error = NULL;
	g_assert_null(emu_timeline_load_file(path, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_PARSE);
	g_assert_nonnull(strstr(error->message, "[step 2] action"));
	g_clear_error(&error);
	g_assert_null(emu_timeline_load_file("/nonexistent/scenario.ini", &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND);

	expect_parse_error("not a key file", "scenario");
	expect_parse_error("[stage 1]\nat_ms=0\n", "step N");
	expect_parse_error("[step x]\nat_ms=0\n", "step N");
	expect_parse_error("[step 1]\nat_ms=-5\nreader=a\nslot=0\naction=remove\n", "at_ms");
	expect_parse_error("[step 1]\nat_ms=0\nslot=0\naction=remove\n", "reader");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\naction=remove\n", "slot");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\nslot=-1\naction=remove\n", "slot");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\nslot=0\naction=insert\n", "card");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\nslot=0\naction=insert\ncard=nosuchapp\n",
			   "[step 1] card");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\nslot=0\naction=remove\ncard=echo\n",
			   "not used");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\nslot=0\naction=fault\nfault=boom\n",
			   "[step 1] fault");
	expect_parse_error("[step 1]\nat_ms=0\nreader=a\nslot=0\naction=remove\ncolour=red\n",
			   "unknown key");
	/* Empty is a valid, empty scenario. */
	g_clear_error(&error);
	g_autoptr(emu_timeline) t = emu_timeline_load_data("", 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(emu_timeline_size(t), ==, 0);
}

static emu_device *resolve(const char *reader, void *data)
{
	emu_device *dev = data;
	char name[EMU_EVENT_NAME_MAX];

	emu_device_name(dev, name, sizeof name);
	return strcmp(reader, name) == 0 ? emu_device_ref(dev) : NULL;
}

static void test_timeline_runs(void)
{
	test_reader r = test_reader_default();
	g_autoptr(emu_device) dev = test_device_new(&r);
	emu_device_set_name(dev, "lab-0");
	g_autofree char *path = data_path("device-scenario.ini");
	g_autoptr(emu_timeline) t = emu_timeline_load_file(path, NULL);
	g_assert_nonnull(t);

	uint64_t before = emu_events_last_seq();
	int64_t start_ns = emu_events_now_ns();
	g_autoptr(emu_timeline_run) run = emu_timeline_start(t, resolve, dev, NULL);
	g_assert_nonnull(run);
	g_assert_true(emu_timeline_run_wait(run, 5000));
	unsigned applied, failed;
	emu_timeline_run_counts(run, &applied, &failed);
	g_assert_cmpuint(applied, ==, 6);
	g_assert_cmpuint(failed, ==, 1); /* reader "nowhere" */

	/* insert, remove, swap (present: only the insert edge), mute. */
	emu_event ev[16];
	size_t n;
	emu_events_since(before, ev, 16, &n, NULL);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpint(ev[0].state, ==, EMU_EVENT_PRESENT);
	g_assert_cmpint(ev[1].state, ==, EMU_EVENT_ABSENT);
	g_assert_cmpint(ev[2].state, ==, EMU_EVENT_PRESENT);
	g_assert_cmpint(ev[3].state, ==, EMU_EVENT_MUTE);
	for (size_t i = 0; i < n; i++)
		g_assert_cmpint(ev[i].source, ==, EMU_EVENT_SRC_TIMELINE);
	/* Never before their time (at_ms 0 and 20): a step may come late on
	 * a busy machine, never early.  The gap between two is no bound: a
	 * late first step made it 14.97 ms of 20 under make check-loaded. */
	g_assert_cmpint(ev[0].ts_ns, >=, start_ns);
	g_assert_cmpint(ev[1].ts_ns - start_ns, >=, 20000000);
	emu_slot_info info;
	g_assert_true(emu_device_slot_info(dev, 0, &info));
	g_assert_true(info.mute);
	g_assert_cmpstr(info.card_spec, ==, "readertest,t0");
	/* clear-faults ran: no fault left. */
	g_assert_cmpuint(emu_device_fault_list(dev, NULL, 0), ==, 0);

	/* Stopping a long run is immediate. */
	static const char longer[] = "[step 1]\nat_ms=60000\nreader=lab-0\nslot=0\naction=remove\n";
	g_autoptr(emu_timeline) t2 = emu_timeline_load_data(longer, sizeof longer - 1, NULL);
	emu_timeline_run *r2 = emu_timeline_start(t2, resolve, dev, NULL);
	int64_t t0 = g_get_monotonic_time();
	g_assert_false(emu_timeline_run_wait(r2, 10));
	emu_timeline_run_free(r2);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 500000);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/emu/events/edges-stamped-in-order-with-source",
			test_edges_stamped_in_order);
	g_test_add_func("/emu/events/ring-bounded-reports-lost", test_ring_is_bounded);
	g_test_add_func("/emu/events/subscribers-see-each-edge-until-unsubscribed",
			test_subscribe_unsubscribe);
	g_test_add_func("/emu/events/host-observation-is-logged", test_observed_edges);
	g_test_add_func("/emu/storm/schedule-same-for-same-seed", test_storm_schedule_deterministic);
	g_test_add_func("/emu/storm/schedule-keeps-rate-and-hold", test_storm_schedule_rate_and_hold);
	g_test_add_func("/emu/storm/burst-hits-distinct-targets-gap-apart",
			test_storm_schedule_burst);
	g_test_add_func("/emu/storm/runs-schedule-and-stops-at-once", test_storm_runs_and_stops);
	g_test_add_func("/emu/timeline/loads-steps-in-time-order", test_timeline_loads_in_order);
	g_test_add_func("/emu/timeline/parse-errors-name-step-and-key", test_timeline_parse_errors);
	g_test_add_func("/emu/timeline/runs-steps-on-time", test_timeline_runs);
	return g_test_run();
}
