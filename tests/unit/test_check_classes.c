/* check-events' anomaly classes as a pure function over a recorded run:
 * synthetic timelines (a truth of three slots, monitors whose returns are
 * written by hand) that hold each class, counted once each; the classes
 * that did not occur are reported with 0, in the text and the JSON. */
#include "config.h"

#include <string.h>
#include <sys/syscall.h>

#include "check/check_events.h"

#define MS (1000000LL)
#define T0 (1000 * MS)	/* the run's start */

typedef struct fixture {
	check_truth t;
	GArray *edges;
	check_monitor *mons[4];
	unsigned n_mons;
	check_result r;
	check_classes c;
} fixture;

static void fixture_init(fixture *f)
{
	memset(f, 0, sizeof *f);
	static const char *names[] = { "ev0 00 00", "ev1 01 00", "po2 02 00" };
	for (unsigned i = 0; i < 3; i++) {
		check_slot *s = &f->t.slots[f->t.n_slots++];
		s->reader = i;
		s->pcsc_name = g_strdup(names[i]);
		s->driver_name = g_strdup(names[i]);
		s->mode = i == 2 ? CHECK_MODE_POLL : CHECK_MODE_EVENT;
	}
	f->t.start_ns = T0;
	f->t.listed0 = g_strdupv((char **)(const char *[]){ names[0], names[1], names[2], NULL });
	f->edges = g_array_new(FALSE, FALSE, sizeof(check_edge));
}

static void fixture_clear(fixture *f)
{
	for (unsigned i = 0; i < f->n_mons; i++)
		check_monitor_release(f->mons[i]);
	for (unsigned i = 0; i < f->t.n_slots; i++) {
		g_free(f->t.slots[i].pcsc_name);
		g_free(f->t.slots[i].driver_name);
	}
	g_strfreev(f->t.listed0);
	g_array_unref(f->edges);
	check_result_clear(&f->r);
	check_classes_clear(&f->c);
}

static void edge(fixture *f, int slot, gint64 at_ms, bool present)
{
	check_edge e = { .seq = f->edges->len + 1, .ts_ns = T0 + at_ms * MS, .slot_index = slot,
			 .present = present, .source = CHECK_SRC_STIMULUS };
	g_array_append_val(f->edges, e);
	e.source = CHECK_SRC_OBSERVED;
	e.seq++;
	g_array_append_val(f->edges, e);
}

/* A monitor of slot 0 (or all three), built without a thread or a context. */
static check_monitor *monitor(fixture *f, DWORD timeout_ms, bool all, bool pnp)
{
	check_kind k = { CHECK_BACKEND_PCSCLITE, timeout_ms, true, all, pnp, false };
	check_monitor *m = check_monitor_new(f->n_mons, &k);
	for (unsigned i = 0; i < (all ? f->t.n_slots : 1); i++) {
		m->slot_of[m->n] = (int)i;
		m->names[m->n++] = g_strdup(f->t.slots[i].pcsc_name);
	}
	if (pnp) {
		m->slot_of[m->n] = -1;
		m->names[m->n++] = g_strdup(CHECK_PNP_NAME);
	}
	f->mons[f->n_mons++] = m;
	return m;
}

/* A return: called at call_ms, returned at ret_ms, with these states. */
static void ret(check_monitor *m, gint64 call_ms, gint64 ret_ms, LONG rv, const DWORD *states)
{
	check_wakeup w = { .call_ns = T0 + call_ms * MS, .ts_ns = T0 + ret_ms * MS, .rv = rv,
			   .first = m->states->len };
	g_array_append_val(m->wakeups, w);
	for (unsigned i = 0; i < m->n; i++) {
		DWORD st = states ? states[i] : 0;
		g_array_append_val(m->states, st);
	}
}

/* Where the monitor's thread is from at_ms on (check_sampler.c's record). */
static void sample(check_monitor *m, gint64 at_ms, check_where where)
{
	check_sample smp = { .ts_ns = T0 + at_ms * MS, .where = (guint8)where };
	g_array_append_val(m->samples, smp);
}

static void listing(check_monitor *m, gint64 at_ms, const char *const *names)
{
	check_listing l = { .call_ns = T0 + at_ms * MS, .ts_ns = T0 + at_ms * MS + MS,
			    .rv = SCARD_S_SUCCESS, .names = g_strdupv((char **)names) };
	g_array_append_val(m->listings, l);
}

#define EMPTY(ctr) ((DWORD)SCARD_STATE_EMPTY | (DWORD)(ctr) << 16)
#define PRESENT(ctr) ((DWORD)SCARD_STATE_PRESENT | (DWORD)(ctr) << 16)

static void judge(fixture *f, gint64 end_ms)
{
	check_oracle_params p = { .bound_ns = { 50 * MS, 450 * MS }, .end_ns = T0 + end_ms * MS,
				  .worst = 20 };
	check_oracle_run(&f->t, f->edges, f->mons, f->n_mons, &p, &f->r);
	f->r.counters_read = true; /* no checkpoint in these runs */
	check_classes_run(&f->t, f->edges, f->mons, f->n_mons, &f->r, T0, T0 + end_ms * MS, &f->c);
}

static guint64 count(const fixture *f, const char *name)
{
	const check_class *k = check_classes_find(&f->c, name);
	g_assert_nonnull(k);
	return k->count;
}

/* Every class but the ones named is 0. */
static void assert_only(const fixture *f, const char *const *named)
{
	for (guint i = 0; i < f->c.v->len; i++) {
		const check_class *k = g_ptr_array_index(f->c.v, i);
		bool expected = named != NULL && g_strv_contains(named, k->name);
		if (!expected && k->count != 0)
			g_error("class \"%s\" counted %" G_GUINT64_FORMAT, k->name, k->count);
		if (expected && (k->count != 1 || !k->seen))
			g_error("class \"%s\" counted %" G_GUINT64_FORMAT ", seen %d", k->name, k->count,
				k->seen);
	}
}

/* A monitor of slot 0 that sees one insertion 1 ms after it happens. */
static void clean_run(fixture *f)
{
	check_monitor *m = monitor(f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	edge(f, 0, 100, true);
	ret(m, 1, 101, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(1) });
}

static void test_clean_all_zero(void)
{
	fixture f;
	fixture_init(&f);
	clean_run(&f);
	judge(&f, 7000);
	assert_only(&f, NULL);
	g_assert_cmpuint(f.c.calls, ==, 2);
	g_assert_cmpuint(f.c.edges, ==, 1);
	/* The fixed table: "lost" first, "other" last, every class there. */
	g_assert_cmpstr(((check_class *)g_ptr_array_index(f.c.v, 0))->name, ==, "lost");
	g_assert_cmpstr(((check_class *)g_ptr_array_index(f.c.v, f.c.v->len - 1))->name, ==, "other");
	static const char *must[] = { "late", "phantom", "false PnP change", "state UNKNOWN",
				      "state UNAVAILABLE", "name vs SCardListReaders",
				      "counter backwards", "counter mismatch", "timeout overrun",
				      "error SCARD_E_TIMEOUT", "error SCARD_E_UNKNOWN_READER",
				      "error SCARD_E_UNSUPPORTED_FEATURE" };
	for (unsigned i = 0; i < G_N_ELEMENTS(must); i++)
		g_assert_nonnull(check_classes_find(&f.c, must[i]));
	/* The text prints each with 0. */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	check_classes_text(out, &f.t, f.edges, f.mons, f.n_mons, &f.c);
	fclose(out);
	for (guint i = 0; i < f.c.v->len; i++) {
		const check_class *k = g_ptr_array_index(f.c.v, i);
		g_autofree char *row = g_strdup_printf("  %-34s %8u ", k->name, 0);
		if (strstr(text, row) == NULL)
			g_error("no 0 row for \"%s\" in:\n%s", k->name, text);
	}
	g_assert_null(strstr(text, "first "));
	free(text);
	/* And the JSON has every class with its count 0 and no example. */
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	check_classes_json(b, &f.t, f.edges, f.mons, f.n_mons, &f.c);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	JsonArray *a = json_object_get_array_member(json_node_get_object(root), "classes");
	g_assert_cmpuint(json_array_get_length(a), ==, f.c.v->len);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		g_assert_cmpint(json_object_get_int_member(o, "count"), ==, 0);
		g_assert_true(json_object_has_member(o, "per_call"));
		g_assert_true(json_object_has_member(o, "per_s"));
		g_assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(o, "example")));
	}
	fixture_clear(&f);
}

static void test_lost(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	edge(&f, 0, 100, true); /* never reported, stable for 6.9 s */
	judge(&f, 7000);
	/* No record of where its thread was: a call that never reported it. */
	assert_only(&f, (const char *[]){ "lost", "lost: blocked in call", NULL });
	const check_class *k = check_classes_find(&f.c, "lost");
	g_assert_cmpint(k->slot_index, ==, 0);
	g_assert_cmpint(k->first_ns, ==, T0 + 100 * MS);
	g_autoptr(GPtrArray) tl = check_class_timeline(&f.t, f.edges, f.mons, f.n_mons, k, 14);
	g_assert_cmpuint(tl->len, >=, 3);
	bool marker = false, the_edge = false;
	for (guint i = 0; i < tl->len; i++) {
		marker |= strstr(g_ptr_array_index(tl, i), "<== lost") != NULL;
		the_edge |= strstr(g_ptr_array_index(tl, i), "\"ev0 00 00\" present (stimulus)") != NULL;
	}
	g_assert_true(marker && the_edge);
	fixture_clear(&f);
}

/* The same lost edge, with the client's thread seen waiting for pcscd
 * through its one call: a missed wakeup. */
static void lost_blocked_in_a_call_is_a_missed_wakeup(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	sample(m, 0, CHECK_WHERE_OUT);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	sample(m, 1, CHECK_WHERE_WAIT);
	edge(&f, 0, 100, true);
	judge(&f, 7000);
	assert_only(&f, (const char *[]){ "lost", "lost: blocked in call", NULL });
	const check_class *k = check_classes_find(&f.c, "lost: blocked in call");
	g_assert_nonnull(strstr(k->detail, "waiting for pcscd (poll/read) 5.00 s"));
	fixture_clear(&f);
}

/* A call made after the edge returns the card absent (the one made
 * before it is no evidence: it may have fetched before pcscd saw it). */
static void lost_with_a_stale_return(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	edge(&f, 0, 100, true);
	ret(m, 1, 300, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	ret(m, 300, 900, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(1) });
	judge(&f, 7000);
	g_assert_cmpuint(count(&f, "lost"), ==, 1);
	g_assert_cmpuint(count(&f, "lost: stale return"), ==, 1);
	g_assert_cmpuint(count(&f, "lost: blocked in call") + count(&f, "lost: could not enter"), ==,
			 0);
	fixture_clear(&f);
}

/* The client's thread waits for a lock from before the edge to its end
 * (another thread of the process sleeps under it): it could not get on
 * with its call, and that call's wait is a serialisation wait too. */
static void lost_behind_a_lock_is_serialisation(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	sample(m, 0, CHECK_WHERE_OUT);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	sample(m, 1, CHECK_WHERE_LOCK);
	edge(&f, 0, 100, true);
	sample(m, 6500, CHECK_WHERE_WAIT);
	ret(m, 1, 6600, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(1) });
	sample(m, 6600, CHECK_WHERE_OUT);
	judge(&f, 9000);
	g_assert_cmpuint(count(&f, "lost"), ==, 1);
	g_assert_cmpuint(count(&f, "lost: could not enter"), ==, 1);
	g_assert_cmpuint(count(&f, "lost: stale return") + count(&f, "lost: blocked in call"), ==, 0);
	g_assert_cmpuint(count(&f, "serialisation wait"), ==, 1);
	const check_class *k = check_classes_find(&f.c, "serialisation wait");
	g_assert_nonnull(strstr(k->detail, "6499.0 ms"));
	fixture_clear(&f);
}

/* Short lock waits are not counted; the figures are still there. */
static void short_lock_waits_are_no_class(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	sample(m, 0, CHECK_WHERE_LOCK);
	sample(m, 20, CHECK_WHERE_WAIT);
	ret(m, 0, 99, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	edge(&f, 0, 100, true);
	ret(m, 99, 101, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(1) });
	judge(&f, 7000);
	assert_only(&f, NULL);
	gint64 where[CHECK_WHERE_COUNT];
	g_assert_true(check_monitor_where(m, T0, T0 + 99 * MS, where));
	g_assert_cmpint(where[CHECK_WHERE_LOCK], ==, 20 * MS);
	g_assert_cmpint(where[CHECK_WHERE_WAIT], ==, 79 * MS);
	g_assert_false(check_monitor_where(m, T0 - MS, T0, where));
	fixture_clear(&f);
}

static void syscall_lines_name_the_place(void)
{
	g_assert_cmpint(check_where_of("running"), ==, CHECK_WHERE_RUN);
	g_autofree char *futex = g_strdup_printf("%d 0x7f 0x80 0x0", (int)SYS_futex);
	g_assert_cmpint(check_where_of(futex), ==, CHECK_WHERE_LOCK);
	g_autofree char *sleep = g_strdup_printf("%d 0x0 0x0", (int)SYS_clock_nanosleep);
	g_assert_cmpint(check_where_of(sleep), ==, CHECK_WHERE_SLEEP);
	g_autofree char *poll = g_strdup_printf("%d 0x7ffd 0x1 0x1388", (int)SYS_ppoll);
	g_assert_cmpint(check_where_of(poll), ==, CHECK_WHERE_WAIT);
}

static void test_late(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	edge(&f, 0, 100, true);
	ret(m, 1, 220, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(1) }); /* 120 ms > 50 */
	judge(&f, 7000);
	assert_only(&f, (const char *[]){ "late", NULL });
	fixture_clear(&f);
}

static void test_phantom(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	ret(m, 1, 300, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(1) }); /* no edge behind it */
	ret(m, 300, 301, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(1) });
	judge(&f, 1000);
	/* The return to empty is the truth again: one phantom. */
	g_assert_cmpuint(count(&f, "phantom"), ==, 1);
	g_assert_cmpuint(count(&f, "lost") + count(&f, "other"), ==, 0);
	fixture_clear(&f);
}

static void test_errors_by_code(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *inf = monitor(&f, INFINITE, false, false);
	check_monitor *fin = monitor(&f, 500, false, false);
	ret(inf, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	ret(inf, 1, 10, SCARD_E_UNKNOWN_READER, NULL);
	ret(inf, 10, 20, SCARD_E_TIMEOUT, NULL); /* INFINITE: unexpected */
	ret(inf, 20, 30, SCARD_E_NO_MEMORY, NULL); /* not in the fixed list */
	ret(fin, 0, 500, SCARD_E_TIMEOUT, NULL); /* finite: expected */
	judge(&f, 1000);
	assert_only(&f, (const char *[]){ "error SCARD_E_UNKNOWN_READER", "error SCARD_E_TIMEOUT",
					  "error SCARD_E_NO_MEMORY", NULL });
	/* A code seen outside the list gets its row before "other". */
	const check_class *last = g_ptr_array_index(f.c.v, f.c.v->len - 1);
	const check_class *before = g_ptr_array_index(f.c.v, f.c.v->len - 2);
	g_assert_cmpstr(last->name, ==, "other");
	g_assert_cmpstr(before->name, ==, "error SCARD_E_NO_MEMORY");
	fixture_clear(&f);
}

static void test_unclassified(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	ret(m, 1, 10, 0x1234, NULL); /* not a PC/SC code */
	judge(&f, 1000);
	assert_only(&f, (const char *[]){ "other", NULL });
	g_assert_true(check_classes_find(&f.c, "other")->asserted);
	fixture_clear(&f);

	fixture_init(&f);
	m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ SCARD_STATE_EMPTY | SCARD_STATE_PRESENT });
	judge(&f, 1000);
	g_assert_cmpuint(count(&f, "other"), ==, 1);
	fixture_clear(&f);
}

static void test_unknown_unavailable(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	ret(m, 1, 10, SCARD_S_SUCCESS, (DWORD[]){ SCARD_STATE_UNKNOWN | SCARD_STATE_CHANGED });
	ret(m, 10, 20, SCARD_S_SUCCESS, (DWORD[]){ SCARD_STATE_UNAVAILABLE | SCARD_STATE_CHANGED });
	ret(m, 20, 30, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	judge(&f, 1000);
	g_assert_cmpuint(count(&f, "state UNKNOWN"), ==, 1);
	g_assert_cmpuint(count(&f, "state UNAVAILABLE"), ==, 1);
	g_assert_cmpuint(count(&f, "other") + count(&f, "lost"), ==, 0);
	fixture_clear(&f);
}

static void test_listing_and_pnp(void)
{
	const char *ok[] = { "ev0 00 00", "ev1 01 00", "po2 02 00", NULL };
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, true, true);
	DWORD quiet[] = { EMPTY(0), EMPTY(0), EMPTY(0), 3 << 16 };
	DWORD pnp[] = { EMPTY(0), EMPTY(0), EMPTY(0), 3 << 16 | SCARD_STATE_CHANGED };
	listing(m, 0, ok);
	ret(m, 0, 1, SCARD_S_SUCCESS, pnp); /* the first call: UNAWARE, not judged */
	ret(m, 1, 100, SCARD_S_SUCCESS, pnp); /* no reader came or went */
	listing(m, 101, ok);
	ret(m, 102, 200, SCARD_S_SUCCESS, quiet);
	judge(&f, 1000);
	assert_only(&f, (const char *[]){ "false PnP change", NULL });
	fixture_clear(&f);
}

static void test_listing_names(void)
{
	const char *bad[] = { "ev0 00 00", "po2 02 00", "\x01garbled", NULL };
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, true, true);
	DWORD quiet[] = { EMPTY(0), EMPTY(0), EMPTY(0), 3 << 16 };
	ret(m, 0, 1, SCARD_S_SUCCESS, quiet);
	listing(m, 2, bad); /* ev1 missing, a garbled name */
	judge(&f, 1000);
	g_assert_cmpuint(count(&f, "name vs SCardListReaders"), ==, 2);
	g_assert_cmpuint(f.c.listings, ==, 1);
	fixture_clear(&f);
}

static void test_pnp_change_real(void)
{
	const char *before[] = { "ev0 00 00", "ev1 01 00", "po2 02 00", NULL };
	const char *after[] = { "ev0 00 00", "ev1 01 00", "po2 02 00", "new 03 00", NULL };
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, true, true);
	DWORD pnp[] = { EMPTY(0), EMPTY(0), EMPTY(0), 4 << 16 | SCARD_STATE_CHANGED };
	listing(m, 0, before);
	ret(m, 0, 1, SCARD_S_SUCCESS, pnp);
	ret(m, 1, 100, SCARD_S_SUCCESS, pnp); /* a reader came: owed */
	listing(m, 101, after);
	judge(&f, 1000);
	g_assert_cmpuint(count(&f, "false PnP change"), ==, 0);
	/* The newcomer is a name the run did not start with. */
	g_assert_cmpuint(count(&f, "name vs SCardListReaders"), ==, 1);
	fixture_clear(&f);
}

static void test_counter_backwards(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, INFINITE, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0xFFFE) });
	edge(&f, 0, 100, true);
	ret(m, 1, 101, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(0xFFFF) });
	edge(&f, 0, 200, false);
	ret(m, 101, 201, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) }); /* the wrap: forward */
	edge(&f, 0, 300, true);
	ret(m, 201, 301, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(1) });
	ret(m, 301, 310, SCARD_S_SUCCESS, (DWORD[]){ PRESENT(0) }); /* reset: backwards */
	judge(&f, 1000);
	g_assert_cmpuint(count(&f, "counter backwards"), ==, 1);
	g_assert_cmpuint(count(&f, "lost") + count(&f, "late") + count(&f, "other"), ==, 0);
	fixture_clear(&f);
}

static void test_overrun(void)
{
	fixture f;
	fixture_init(&f);
	check_monitor *m = monitor(&f, 500, false, false);
	ret(m, 0, 1, SCARD_S_SUCCESS, (DWORD[]){ EMPTY(0) });
	ret(m, 1, 1400, SCARD_E_TIMEOUT, NULL); /* 500 + 899 ms: within */
	ret(m, 1400, 3000, SCARD_E_TIMEOUT, NULL); /* 1.6 s: over */
	judge(&f, 4000);
	assert_only(&f, (const char *[]){ "timeout overrun", NULL });
	const check_class *k = check_classes_find(&f.c, "timeout overrun");
	g_autoptr(GPtrArray) tl = check_class_timeline(&f.t, f.edges, f.mons, f.n_mons, k, 14);
	bool call = false;
	for (guint i = 0; i < tl->len; i++)
		call |= strstr(g_ptr_array_index(tl, i), "calls SCardGetStatusChange") != NULL;
	g_assert_true(call);
	fixture_clear(&f);
}

static void test_counter_mismatch(void)
{
	fixture f;
	fixture_init(&f);
	clean_run(&f);
	judge(&f, 7000);
	guint16 c0[CHECK_MAX_SLOTS] = { 0 }, c1[CHECK_MAX_SLOTS] = { 3, 0, 0 };
	check_result r = { 0 };
	check_oracle_counters(&f.t, f.edges, T0 + 50 * MS, T0 + 6000 * MS, c0, c1, NULL, NULL, &r);
	f.r.counters = r.counters; /* one edge, the counter moved 3 */
	check_classes_clear(&f.c);
	check_classes_run(&f.t, f.edges, f.mons, f.n_mons, &f.r, T0, T0 + 7000 * MS, &f.c);
	assert_only(&f, (const char *[]){ "counter mismatch", NULL });
	fixture_clear(&f);
}

/* The counters of slot 0 (event mode) and slot 2 (polling-only) after
 * six bounces each, pcscd's counters at c2 and c0, the driver's folded
 * edges f0 at slot 0: whether each slot's check holds. */
static void counters_after_six(guint16 c0, guint32 f0, guint16 c2, bool *ok0, bool *ok2)
{
	fixture f;
	fixture_init(&f);
	for (int k = 0; k < 6; k++) {
		edge(&f, 0, 100 + 100 * k, k % 2 == 0);
		edge(&f, 2, 100 + 600 * k, k % 2 == 0);
	}
	guint16 start[CHECK_MAX_SLOTS] = { 0 }, end[CHECK_MAX_SLOTS] = { c0, 0, c2 };
	guint32 fs[CHECK_MAX_SLOTS] = { 0 }, fe[CHECK_MAX_SLOTS] = { f0 };
	check_result r = { 0 };
	check_oracle_counters(&f.t, f.edges, T0, T0 + 10000 * MS, start, end, fs, fe, &r);
	*ok0 = g_array_index(r.counters, check_counter_result, 0).ok;
	*ok2 = g_array_index(r.counters, check_counter_result, 2).ok;
	check_result_clear(&r);
	fixture_clear(&f);
}

/* issue 20: the driver folds an event-mode slot's reports to its last
 * two states while pcscd's event thread lags, and counts the edges it
 * folded.  Event mode: the counter plus the folded edges must be the
 * observed flips exactly.  Polling-only mode: pcscd's own presence calls
 * outside its event thread (IFDPowerICC, SCardConnect) observe bounces
 * it never counts: the observed flips are a ceiling, the net change a
 * floor, and the count differs from it by whole bounces. */
static void test_counters_with_folded_edges(void)
{
	bool ok0, ok2;
	counters_after_six(6, 0, 6, &ok0, &ok2);
	g_assert_true(ok0 && ok2);
	counters_after_six(2, 4, 4, &ok0, &ok2);	/* folded 4; a bounce seen elsewhere */
	g_assert_true(ok0 && ok2);
	counters_after_six(2, 0, 3, &ok0, &ok2);	/* 4 edges gone unfolded; half a bounce */
	g_assert_false(ok0 || ok2);
	counters_after_six(4, 4, 8, &ok0, &ok2);	/* two too many; above the ceiling */
	g_assert_false(ok0 || ok2);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/check-classes/clean-all-zero", test_clean_all_zero);
	g_test_add_func("/check-classes/lost", test_lost);
	g_test_add_func("/check-classes/lost-blocked-in-a-call-is-a-missed-wakeup",
			lost_blocked_in_a_call_is_a_missed_wakeup);
	g_test_add_func("/check-classes/lost-with-a-stale-return", lost_with_a_stale_return);
	g_test_add_func("/check-classes/lost-behind-a-lock-is-serialisation",
			lost_behind_a_lock_is_serialisation);
	g_test_add_func("/check-classes/short-lock-waits-are-no-class", short_lock_waits_are_no_class);
	g_test_add_func("/check-classes/syscall-lines-name-the-place", syscall_lines_name_the_place);
	g_test_add_func("/check-classes/late", test_late);
	g_test_add_func("/check-classes/phantom", test_phantom);
	g_test_add_func("/check-classes/errors-by-code", test_errors_by_code);
	g_test_add_func("/check-classes/unclassified", test_unclassified);
	g_test_add_func("/check-classes/unknown-unavailable", test_unknown_unavailable);
	g_test_add_func("/check-classes/false-pnp", test_listing_and_pnp);
	g_test_add_func("/check-classes/listing-names", test_listing_names);
	g_test_add_func("/check-classes/pnp-change-real", test_pnp_change_real);
	g_test_add_func("/check-classes/counter-backwards", test_counter_backwards);
	g_test_add_func("/check-classes/counters-count-the-drivers-folded-edges",
			test_counters_with_folded_edges);
	g_test_add_func("/check-classes/overrun", test_overrun);
	g_test_add_func("/check-classes/counter-mismatch", test_counter_mismatch);
	return g_test_run();
}
