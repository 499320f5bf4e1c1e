/* ccidlab — check-events: running the monitors against the truth (what
 * check-events and bench wakeup share): the wait for every monitor's
 * first answer, the settling after the stimuli, and the bounded stop. */
#include "config.h"

#include "check/check_events.h"

bool check_wait_until(bool (*cond)(void *), void *data, unsigned budget_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)budget_ms * 1000;
	while (!cond(data)) {
		if (g_get_monotonic_time() > deadline)
			return false;
		g_usleep(10 * 1000);
	}
	return true;
}

typedef struct run {
	check_truth *t;
	check_monitor **mons;
	unsigned n_mons;
	gint64 quiet_ns;
} run;

static bool all_reported(void *p)
{
	run *r = p;
	for (unsigned i = 0; i < r->n_mons; i++) {
		g_mutex_lock(&r->mons[i]->lock);
		bool any = r->mons[i]->wakeups->len > 0;
		g_mutex_unlock(&r->mons[i]->lock);
		if (!any)
			return false;
	}
	return true;
}

bool check_wait_first_answers(check_monitor **mons, unsigned n, unsigned budget_ms)
{
	run r = { .mons = mons, .n_mons = n };
	return check_wait_until(all_reported, &r, budget_ms);
}

/* Quiet for quiet_ns since the last stimulus edge, and every client
 * shows the truth on every slot it watches. */
static bool settled(void *p)
{
	run *r = p;
	gint64 last = check_truth_last_stimulus_ns(r->t);
	if (check_now_ns() - last < r->quiet_ns)
		return false;
	g_autoptr(GArray) edges = check_truth_snapshot(r->t);
	int truth[CHECK_MAX_SLOTS];
	for (unsigned i = 0; i < r->t->n_slots; i++)
		truth[i] = r->t->slots[i].present0;
	for (guint i = 0; i < edges->len; i++) {
		const check_edge *e = &g_array_index(edges, check_edge, i);
		if (e->source == CHECK_SRC_STIMULUS)
			truth[e->slot_index] = e->present;
	}
	for (unsigned i = 0; i < r->n_mons; i++) {
		int known[CHECK_MAX_SLOTS];
		check_monitor_known(r->mons[i], known);
		for (unsigned s = 0; s < r->t->n_slots; s++)
			if (known[s] >= 0 && known[s] != truth[s])
				return false;
	}
	return true;
}

bool check_settle(check_truth *t, check_monitor **mons, unsigned n, gint64 quiet_ns,
		  unsigned budget_ms)
{
	run r = { .t = t, .mons = mons, .n_mons = n, .quiet_ns = quiet_ns };
	return check_wait_until(settled, &r, budget_ms);
}

void check_stop_monitors(check_monitor **mons, unsigned n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	for (unsigned i = 0; i < n; i++) {
		gint64 left_ms = (end - g_get_monotonic_time()) / 1000;
		check_monitor_stop(mons[i], (unsigned)MAX(left_ms, 200));
	}
}
