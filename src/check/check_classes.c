/* ccidlab — check-events: the anomaly classes.  One pass over a recorded
 * run (the truth, every libpcsclite monitor's returns and listings, the
 * oracle's result) that sorts every anomaly into a fixed table, each with
 * its count and its first occurrence.  Pure: the unit tests feed it
 * synthetic timelines. */
#include "config.h"

#include <string.h>

#include "check/check_events.h"

/* A finite-timeout call that returns later than this past its timeout
 * "overran": pcscd and the client library hold no lock that long. */
#define OVERRUN_NS (1000 * 1000000LL)

#define RV(x) { x, #x }
static const struct {
	LONG rv;
	const char *name;
} rv_names[] = {
	RV(SCARD_F_INTERNAL_ERROR), RV(SCARD_E_CANCELLED), RV(SCARD_E_INVALID_HANDLE),
	RV(SCARD_E_INVALID_PARAMETER), RV(SCARD_E_INVALID_TARGET), RV(SCARD_E_NO_MEMORY),
	RV(SCARD_F_WAITED_TOO_LONG), RV(SCARD_E_INSUFFICIENT_BUFFER), RV(SCARD_E_UNKNOWN_READER),
	RV(SCARD_E_TIMEOUT), RV(SCARD_E_SHARING_VIOLATION), RV(SCARD_E_NO_SMARTCARD),
	RV(SCARD_E_UNKNOWN_CARD), RV(SCARD_E_CANT_DISPOSE), RV(SCARD_E_PROTO_MISMATCH),
	RV(SCARD_E_NOT_READY), RV(SCARD_E_INVALID_VALUE), RV(SCARD_E_SYSTEM_CANCELLED),
	RV(SCARD_F_COMM_ERROR), RV(SCARD_F_UNKNOWN_ERROR), RV(SCARD_E_INVALID_ATR),
	RV(SCARD_E_NOT_TRANSACTED), RV(SCARD_E_READER_UNAVAILABLE), RV(SCARD_P_SHUTDOWN),
	RV(SCARD_E_PCI_TOO_SMALL), RV(SCARD_E_READER_UNSUPPORTED), RV(SCARD_E_DUPLICATE_READER),
	RV(SCARD_E_CARD_UNSUPPORTED), RV(SCARD_E_NO_SERVICE), RV(SCARD_E_SERVICE_STOPPED),
	/* pcsc-lite gives 0x8010001F both names; this is the one it returns. */
	RV(SCARD_E_UNSUPPORTED_FEATURE), RV(SCARD_E_UNEXPECTED), RV(SCARD_E_ICC_INSTALLATION),
	RV(SCARD_E_ICC_CREATEORDER), RV(SCARD_E_DIR_NOT_FOUND), RV(SCARD_E_FILE_NOT_FOUND),
	RV(SCARD_E_NO_DIR), RV(SCARD_E_NO_FILE), RV(SCARD_E_NO_ACCESS), RV(SCARD_E_WRITE_TOO_MANY),
	RV(SCARD_E_BAD_SEEK), RV(SCARD_E_INVALID_CHV), RV(SCARD_E_UNKNOWN_RES_MNG),
	RV(SCARD_E_NO_SUCH_CERTIFICATE), RV(SCARD_E_CERTIFICATE_UNAVAILABLE),
	RV(SCARD_E_NO_READERS_AVAILABLE), RV(SCARD_E_COMM_DATA_LOST), RV(SCARD_E_NO_KEY_CONTAINER),
	RV(SCARD_E_SERVER_TOO_BUSY), RV(SCARD_W_UNSUPPORTED_CARD), RV(SCARD_W_UNRESPONSIVE_CARD),
	RV(SCARD_W_UNPOWERED_CARD), RV(SCARD_W_RESET_CARD), RV(SCARD_W_REMOVED_CARD),
	RV(SCARD_W_SECURITY_VIOLATION), RV(SCARD_W_WRONG_CHV), RV(SCARD_W_CHV_BLOCKED),
	RV(SCARD_W_EOF), RV(SCARD_W_CANCELLED_BY_USER), RV(SCARD_W_CARD_NOT_AUTHENTICATED),
};
#undef RV

const char *check_rv_name(LONG rv)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(rv_names); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return NULL;
}

/* The table, in report order.  The codes listed are the ones a waiting
 * client can plausibly meet (the races of pcscd-driver-facts §1.4 give
 * UNKNOWN_READER and UNSUPPORTED_FEATURE); any other code seen gets its
 * own row before "other". */
static const struct {
	const char *name;
	const char *what;
	bool asserted;
} fixed[] = {
	{ "lost", "an edge the client never learnt of while the state stayed 5 s", true },
	/* The lost ones again, by what the client did (check_attrib.c). */
	{ "lost: stale return", "a call made after the edge returned the old state", false },
	{ "lost: blocked in call",
	  "one call through the 5 s, waiting for pcscd, never reported the edge", false },
	{ "lost: could not enter",
	  "the client's thread spent the 5 s waiting for a lock another thread of its process held",
	  false },
	{ "late", "an edge learnt of after the bound (50 ms event mode, 450 ms polling-only)",
	  false },
	{ "phantom", "a presence change or a counter move with no edge behind it", false },
	{ "false PnP change", "the PnP entry reported a change, the reader list did not change",
	  false },
	{ "state UNKNOWN", "a successful return shows a live reader as SCARD_STATE_UNKNOWN", false },
	{ "state UNAVAILABLE", "a successful return shows a live reader as SCARD_STATE_UNAVAILABLE",
	  false },
	{ "name vs SCardListReaders",
	  "SCardListReaders lacks a live reader, or lists a name no reader has", false },
	{ "counter backwards", "a reader's event counter (dwEventState >> 16) went down", false },
	{ "counter mismatch",
	  "between two quiet checkpoints a counter moved by other than the edges pcscd saw", false },
	{ "timeout overrun", "a finite-timeout call returned over 1 s after its timeout", false },
	{ "cancel ignored",
	  "a blocked call that SCardCancel, repeated for 3 s at the end, did not end", false },
	{ "serialisation wait",
	  "a call waited over 50 ms in all for a lock another thread of its process held", false },
	{ "error SCARD_E_TIMEOUT", "an INFINITE call timed out", false },
	{ "error SCARD_E_CANCELLED", "cancelled with no SCardCancel", false },
	{ "error SCARD_E_UNKNOWN_READER", "unexpected return", false },
	{ "error SCARD_E_UNSUPPORTED_FEATURE", "unexpected return", false },
	{ "error SCARD_E_INVALID_VALUE", "unexpected return", false },
	{ "error SCARD_E_INVALID_PARAMETER", "unexpected return", false },
	{ "error SCARD_E_READER_UNAVAILABLE", "unexpected return", false },
	{ "error SCARD_E_NO_READERS_AVAILABLE", "unexpected return", false },
	{ "error SCARD_E_NO_SERVICE", "unexpected return", false },
	{ "error SCARD_E_SERVICE_STOPPED", "unexpected return", false },
	{ "error SCARD_F_COMM_ERROR", "unexpected return", false },
	{ "error SCARD_F_INTERNAL_ERROR", "unexpected return", false },
	{ "other", "an anomaly no class above describes (see its example)", true },
};

static void class_free(gpointer p)
{
	check_class *k = p;
	g_free(k->name);
	g_free(k->what);
	g_free(k->detail);
	g_free(k);
}

check_class *check_classes_find(const check_classes *c, const char *name)
{
	for (guint i = 0; i < c->v->len; i++) {
		check_class *k = g_ptr_array_index(c->v, i);
		if (strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

/* Counts n occurrences of a class at ts; keeps the earliest as its example. */
static void note(check_classes *c, const char *name, guint64 n, gint64 ts, int monitor, int slot,
		 const char *detail)
{
	check_class *k = check_classes_find(c, name);
	if (k == NULL) {
		k = g_new0(check_class, 1);
		k->name = g_strdup(name);
		k->what = g_strdup("unexpected return");
		/* Before "other", which stays last. */
		g_ptr_array_insert(c->v, (gint)c->v->len - 1, k);
	}
	k->count += n;
	if (n > 0 && (!k->seen || ts < k->first_ns)) {
		k->seen = true;
		k->first_ns = ts;
		k->monitor = monitor;
		k->slot_index = slot;
		g_free(k->detail);
		k->detail = g_strdup(detail);
	}
}

void check_classes_note(check_classes *c, const char *name, guint64 n, gint64 ts, int monitor,
			int slot, const char *detail)
{
	note(c, name, n, ts, monitor, slot, detail);
}

static void note_rv(check_classes *c, LONG rv, gint64 ts, int monitor, const char *during)
{
	const char *name = check_rv_name(rv);
	g_autofree char *detail = g_strdup_printf("%s returned 0x%08lX", during, (unsigned long)rv);
	if (name == NULL) {
		/* Not a PC/SC code at all. */
		note(c, "other", 1, ts, monitor, -1, detail);
		return;
	}
	g_autofree char *row = g_strconcat("error ", name, NULL);
	note(c, row, 1, ts, monitor, -1, detail);
}

/* One successful return's entries for a reader slot. */
static void judge_state(check_classes *c, const check_monitor *m, const check_wakeup *w,
			unsigned entry, DWORD st, DWORD prev, bool have_prev)
{
	int slot = m->slot_of[entry];
	int id = (int)m->id;
	if (st & SCARD_STATE_UNKNOWN)
		note(c, "state UNKNOWN", 1, w->ts_ns, id, slot, "dwEventState has SCARD_STATE_UNKNOWN");
	if (st & SCARD_STATE_UNAVAILABLE)
		note(c, "state UNAVAILABLE", 1, w->ts_ns, id, slot,
		     "dwEventState has SCARD_STATE_UNAVAILABLE");
	bool present = (st & SCARD_STATE_PRESENT) != 0, empty = (st & SCARD_STATE_EMPTY) != 0;
	if (!(st & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE)) &&
	    present == empty) {
		g_autofree char *d = g_strdup_printf("dwEventState 0x%08lX: %s PRESENT and EMPTY",
						     (unsigned long)st, present ? "both" : "neither");
		note(c, "other", 1, w->ts_ns, id, slot, d);
	}
	/* As a signed 16-bit step, the wrap from 0xFFFF to 0 goes forward. */
	gint16 step = (gint16)(guint16)((st >> 16) - (prev >> 16));
	if (have_prev && step < 0) {
		g_autofree char *d = g_strdup_printf("counter %u after %u", (unsigned)(st >> 16),
						     (unsigned)(prev >> 16));
		note(c, "counter backwards", 1, w->ts_ns, id, slot, d);
	}
}

static void judge_returns(check_classes *c, const check_monitor *m)
{
	DWORD prev[CHECK_MAX_SLOTS + 1] = { 0 };
	bool have_prev = false;
	for (guint i = 0; i < m->wakeups->len; i++) {
		const check_wakeup *w = &g_array_index(m->wakeups, check_wakeup, i);
		c->calls++;
		bool finite = m->kind.timeout_ms != INFINITE;
		if (finite && w->ts_ns - w->call_ns > (gint64)m->kind.timeout_ms * 1000000LL + OVERRUN_NS) {
			g_autofree char *d = g_strdup_printf(
				"took %.3f s with a %u ms timeout, watching %s%s",
				(w->ts_ns - w->call_ns) / 1e9, (unsigned)m->kind.timeout_ms,
				m->n == 1 ? m->names[0] : "every reader",
				m->watches_widened ? " (the mute card among them)" : "");
			/* A one-reader monitor's overrun is that reader's. */
			note(c, "timeout overrun", 1, w->ts_ns, (int)m->id,
			     m->n == 1 ? m->slot_of[0] : -1, d);
		}
		if (w->rv == SCARD_E_TIMEOUT && finite)
			continue;
		if (w->rv != SCARD_S_SUCCESS) {
			note_rv(c, w->rv, w->ts_ns, (int)m->id, "SCardGetStatusChange");
			continue;
		}
		for (unsigned e = 0; e < m->n; e++) {
			DWORD st = g_array_index(m->states, DWORD, w->first + e);
			if (m->slot_of[e] >= 0)
				judge_state(c, m, w, e, st, prev[e], have_prev);
			prev[e] = st;
		}
		have_prev = true;
	}
}

/* Each listing against the live readers (every served slot) and the
 * names the run started with. */
static void judge_listings(check_classes *c, const check_truth *t, const check_monitor *m)
{
	for (guint i = 0; m->listings != NULL && i < m->listings->len; i++) {
		const check_listing *l = &g_array_index(m->listings, check_listing, i);
		c->listings++;
		if (l->rv != SCARD_S_SUCCESS) {
			note_rv(c, l->rv, l->ts_ns, (int)m->id, "SCardListReaders");
			continue;
		}
		for (unsigned s = 0; s < t->n_slots; s++)
			if (!g_strv_contains((const char *const *)l->names, t->slots[s].pcsc_name)) {
				g_autofree char *d = g_strdup_printf("\"%s\" missing from the list",
								     t->slots[s].pcsc_name);
				note(c, "name vs SCardListReaders", 1, l->ts_ns, (int)m->id, (int)s, d);
			}
		for (char **n = l->names; t->listed0 != NULL && *n != NULL; n++)
			if (!g_strv_contains((const char *const *)t->listed0, *n)) {
				g_autofree char *d = g_strdup_printf("listed \"%s\", no reader has that name",
								     *n);
				note(c, "name vs SCardListReaders", 1, l->ts_ns, (int)m->id, -1, d);
			}
	}
}

/* The oracle's classes: counts from its groups, examples from its firsts. */
static void from_oracle(check_classes *c, const check_result *r)
{
	guint64 lost = 0, late = 0, phantom = 0, pnp = 0;
	for (guint i = 0; i < r->groups->len; i++) {
		const check_group *g = g_ptr_array_index(r->groups, i);
		if (g->legacy)
			continue;
		for (unsigned k = 0; k < CHECK_MODE_COUNT; k++) {
			lost += g->mode[k].lost;
			late += g->mode[k].late;
			phantom += g->mode[k].phantom;
		}
		pnp += g->false_pnp;
	}
	const struct {
		const char *row, *prefix;
		guint64 n;
	} map[] = { { "lost", "lost", lost },
		    { "late", "late", late },
		    { "phantom", "phantom", phantom },
		    { "false PnP change", CHECK_CASE_FALSE_PNP, pnp } };
	for (unsigned i = 0; i < G_N_ELEMENTS(map); i++) {
		check_class *k = check_classes_find(c, map[i].row);
		k->count += map[i].n;
		for (guint f = 0; r->firsts != NULL && f < r->firsts->len; f++) {
			const check_case *cs = &g_array_index(r->firsts, check_case, f);
			if (!g_str_has_prefix(cs->what, map[i].prefix) || (k->seen && cs->edge_ns >= k->first_ns))
				continue;
			k->seen = true;
			k->first_ns = cs->edge_ns;
			k->monitor = (int)cs->monitor;
			k->slot_index = cs->slot_index;
			g_free(k->detail);
			k->detail = cs->latency_ns >= 0
					    ? g_strdup_printf("%s, caught after %.3f ms", cs->what,
							      cs->latency_ns / 1e6)
					    : g_strdup(cs->what);
		}
	}
	for (guint i = 0; r->counters != NULL && i < r->counters->len; i++) {
		const check_counter_result *cr = &g_array_index(r->counters, check_counter_result, i);
		if (cr->ok)
			continue;
		g_autofree char *d = g_strdup_printf("moved %u, expected %u", cr->delta, cr->hi);
		note(c, "counter mismatch", 1, c->t1_ns, -1, cr->slot_index, d);
	}
	if (!r->counters_read)
		note(c, "other", 1, c->t1_ns, -1, -1, "the event counters could not be read");
	if (r->truth_lost > 0)
		note(c, "other", r->truth_lost, c->t1_ns, -1, -1,
		     "the driver's edge stream dropped edges: no ground truth");
}

void check_classes_run(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n_mons,
		       const check_result *r, gint64 t0_ns, gint64 t1_ns, check_classes *out)
{
	out->v = g_ptr_array_new_with_free_func(class_free);
	for (unsigned i = 0; i < G_N_ELEMENTS(fixed); i++) {
		check_class *k = g_new0(check_class, 1);
		k->name = g_strdup(fixed[i].name);
		k->what = g_strdup(fixed[i].what);
		k->asserted = fixed[i].asserted;
		k->monitor = -1;
		g_ptr_array_add(out->v, k);
	}
	out->t0_ns = t0_ns;
	out->t1_ns = t1_ns;
	for (guint i = 0; i < edges->len; i++)
		out->edges += g_array_index(edges, check_edge, i).source == CHECK_SRC_STIMULUS;
	for (unsigned i = 0; i < n_mons; i++) {
		check_monitor *m = mons[i];
		if (m->kind.backend == CHECK_BACKEND_LEGACY)
			continue;
		if (m->stuck)
			note(out, "cancel ignored", 1, t1_ns, (int)m->id, -1,
			     "its SCardGetStatusChange was still blocked 3 s after the first "
			     "SCardCancel");
		g_mutex_lock(&m->lock);
		if (m->setup_failed)
			note(out, "other", 1, t0_ns, (int)m->id, -1,
			     m->setup_error != NULL ? m->setup_error : "a monitor did not start");
		judge_returns(out, m);
		judge_listings(out, t, m);
		g_mutex_unlock(&m->lock);
	}
	from_oracle(out, r);
	check_attrib_run(out, t, edges, mons, n_mons, r);
}

void check_classes_clear(check_classes *c)
{
	g_clear_pointer(&c->v, g_ptr_array_unref);
}
