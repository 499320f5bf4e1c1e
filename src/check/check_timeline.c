/* ccidlab — check-events: the pure helpers over a recorded timeline (the
 * clock, the names of modes and client kinds, one slot's presence flips,
 * a monitor's records), apart from the truth's thread and the monitors'
 * threads so that the oracle links alone into the unit tests. */
#include "config.h"

#include <time.h>

#include "check/check_events.h"

gint64 check_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

const char *check_mode_name(check_mode m)
{
	return m == CHECK_MODE_POLL ? "poll" : "event";
}

char *check_kind_label(const check_kind *k)
{
	g_autofree char *timeout = k->timeout_ms == INFINITE ? g_strdup("inf")
							      : g_strdup_printf("%ums", (unsigned)k->timeout_ms);
	return g_strdup_printf("%s/%s/%s/%s%s%s",
			       k->backend == CHECK_BACKEND_LEGACY    ? "legacy"
			       : k->backend == CHECK_BACKEND_PROCESS ? "pcsclite-proc"
								     : "pcsclite",
			       timeout,
			       k->counter ? "ctr" : "noctr", k->all ? "all" : "one",
			       k->pnp ? "+pnp" : "", k->connect ? "/conn" : "");
}

check_monitor *check_monitor_by_id(check_monitor **mons, unsigned n, int id)
{
	for (unsigned i = 0; id >= 0 && i < n; i++)
		if ((int)mons[i]->id == id)
			return mons[i];
	return NULL;
}

int check_monitor_entry(const check_monitor *m, int slot_index)
{
	for (unsigned i = 0; m != NULL && i < m->n; i++)
		if (m->slot_of[i] == slot_index)
			return (int)i;
	return -1;
}

GArray *check_truth_slot_edges(const GArray *all, int slot_index, bool observed, int initial)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(check_edge));
	int last = initial;
	guint8 want = observed ? CHECK_SRC_OBSERVED : CHECK_SRC_STIMULUS;
	for (guint i = 0; i < all->len; i++) {
		const check_edge *e = &g_array_index(all, check_edge, i);
		if (e->slot_index != slot_index || e->source != want)
			continue;
		/* present <-> mute is no change to pcscd: keep presence flips. */
		if (last == (int)e->present)
			continue;
		last = e->present;
		g_array_append_val(a, *e);
	}
	return a;
}

check_monitor *check_monitor_new(unsigned id, const check_kind *kind)
{
	check_monitor *m = g_new0(check_monitor, 1);
	m->id = id;
	m->kind = *kind;
	m->label = check_kind_label(kind);
	g_mutex_init(&m->lock);
	m->wakeups = g_array_new(FALSE, FALSE, sizeof(check_wakeup));
	m->states = g_array_new(FALSE, FALSE, sizeof(DWORD));
	m->listings = g_array_new(FALSE, FALSE, sizeof(check_listing));
	m->errors = g_hash_table_new(g_direct_hash, g_direct_equal);
	m->connect_errors = g_hash_table_new(g_direct_hash, g_direct_equal);
	m->samples = g_array_new(FALSE, FALSE, sizeof(check_sample));
	return m;
}

void check_monitor_release(check_monitor *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < m->n; i++)
		g_free(m->names[i]);
	g_free(m->label);
	g_free(m->setup_error);
	for (guint i = 0; i < m->listings->len; i++)
		g_strfreev(g_array_index(m->listings, check_listing, i).names);
	g_array_unref(m->listings);
	g_array_unref(m->wakeups);
	g_array_unref(m->states);
	g_hash_table_unref(m->errors);
	g_hash_table_unref(m->connect_errors);
	g_array_unref(m->samples);
	g_mutex_clear(&m->lock);
	g_free(m);
}
