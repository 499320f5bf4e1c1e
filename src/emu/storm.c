/* ccidlab — seeded random storms of card edges (device.h "storm").
 *
 * Two halves: the schedule, a pure function of the parameters (GRand's
 * Mersenne Twister seeded with `seed`, so one seed gives one schedule on
 * every machine, and the unit test checks it), and a runner thread that
 * applies it in real time and can be stopped at any moment: it only ever
 * sleeps on its own condition variable, so a stop ends it at once.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "emu/device_priv.h"

static gint step_cmp(gconstpointer a, gconstpointer b)
{
	const emu_storm_step *x = a, *y = b;

	if (x->at_us != y->at_us)
		return x->at_us < y->at_us ? -1 : 1;
	return x->target < y->target ? -1 : x->target > y->target;
}

bool emu_storm_schedule(const emu_storm_params *p, GArray *out, GError **error)
{
	g_return_val_if_fail(p != NULL && out != NULL, FALSE);

	if (!(p->rate > 0.0) || p->rate > EMU_STORM_MAX_RATE || p->n_targets == 0 ||
	    p->n_targets > EMU_STORM_MAX_TARGETS || p->duration_ms > EMU_STORM_MAX_DURATION_MS) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
			    "storm: rate must be in (0, %.0f], targets 1..%u, duration at most %u ms",
			    EMU_STORM_MAX_RATE, EMU_STORM_MAX_TARGETS, EMU_STORM_MAX_DURATION_MS);
		return false;
	}
	unsigned burst = MAX(1u, p->burst);
	if (burst > p->n_targets) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
			    "storm: a burst of %u needs as many targets (%zu given)", burst,
			    p->n_targets);
		return false;
	}

	g_autoptr(GRand) r = g_rand_new_with_seed(p->seed);
	g_autofree uint64_t *free_at = g_new0(uint64_t, p->n_targets);
	g_autofree unsigned *avail = g_new(unsigned, p->n_targets);
	uint64_t duration_us = (uint64_t)p->duration_ms * 1000;
	uint64_t hold_us = (uint64_t)p->min_hold_ms * 1000;
	double t = 0.0;
	bool ok = true;

	g_array_set_size(out, 0);
	for (;;) {
		/* Poisson process: exponential gaps of mean 1/rate. */
		double u = g_rand_double(r);
		t += -log1p(-u) / p->rate * 1e6;
		if (t >= (double)duration_us)
			break;
		uint64_t now = (uint64_t)t;

		/* Targets whose hold is over; when fewer than a burst, the
		 * event waits for the next to come free. */
		size_t n_avail = 0;
		uint64_t next_free = UINT64_MAX;
		for (size_t i = 0; i < p->n_targets; i++) {
			if (free_at[i] <= now)
				avail[n_avail++] = (unsigned)i;
			else
				next_free = MIN(next_free, free_at[i]);
		}
		if (n_avail < burst) {
			t = (double)next_free;
			if (next_free >= duration_us)
				break;
			continue;
		}
		for (unsigned k = 0; k < burst; k++) {
			/* Partial Fisher-Yates: k distinct targets. */
			unsigned j = k + (unsigned)g_rand_int_range(r, 0, (gint32)(n_avail - k));
			unsigned tg = avail[j];
			avail[j] = avail[k];
			avail[k] = tg;
			uint64_t at = now + (uint64_t)k * p->burst_gap_us;
			if (at >= duration_us)
				break;
			if (out->len >= EMU_STORM_MAX_STEPS) {
				g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
					    "storm: more than %u edges; lower the rate or the duration",
					    EMU_STORM_MAX_STEPS);
				ok = false;
				goto out;
			}
			/* Zeroed whole (padding too), so that schedules compare
			 * with memcmp. */
			emu_storm_step s;
			memset(&s, 0, sizeof s);
			s.at_us = at;
			s.target = tg;
			g_array_append_val(out, s);
			free_at[tg] = at + MAX(hold_us, 1);
		}
	}
out:
	if (ok && burst > 1 && p->burst_gap_us > 0) {
		/* Bursts may overlap the next event: keep time order. */
		g_array_sort(out, step_cmp);
	}
	return ok;
}

struct emu_storm {
	GThread *thread;
	GMutex lock;
	GCond cond;
	bool stop;
	bool done;
	uint64_t applied;
	emu_storm_target *targets;
	size_t n_targets;
	char *card_spec;
	GArray *steps;		/* emu_storm_step */
};

/* Toggles one target: empty → a new card, full → empty. */
static bool toggle(emu_storm *s, const emu_storm_target *tg)
{
	emu_slot_info info;

	if (!emu_device_slot_info(tg->dev, tg->slot, &info))
		return false;
	if (info.present)
		return emu_device_remove(tg->dev, tg->slot, EMU_EVENT_SRC_STORM, NULL);
	emu_card *card = emu_card_new_from_spec(s->card_spec, NULL);
	if (card == NULL)
		return false;
	return emu_device_insert(tg->dev, tg->slot, card, EMU_EVENT_SRC_STORM, NULL);
}

static gpointer storm_thread(gpointer data)
{
	emu_storm *s = data;
	int64_t start = g_get_monotonic_time();

	for (guint i = 0; i < s->steps->len; i++) {
		const emu_storm_step *st = &g_array_index(s->steps, emu_storm_step, i);
		int64_t at = start + (int64_t)st->at_us;

		g_mutex_lock(&s->lock);
		while (!s->stop && g_get_monotonic_time() < at)
			g_cond_wait_until(&s->cond, &s->lock, at);
		bool stop = s->stop;
		g_mutex_unlock(&s->lock);
		if (stop)
			break;

		bool ok = toggle(s, &s->targets[st->target]);
		g_mutex_lock(&s->lock);
		s->applied += ok;
		g_mutex_unlock(&s->lock);
	}
	g_mutex_lock(&s->lock);
	s->done = true;
	g_cond_broadcast(&s->cond);
	g_mutex_unlock(&s->lock);
	return NULL;
}

emu_storm *emu_storm_start(const emu_storm_params *p, GError **error)
{
	g_return_val_if_fail(p != NULL, NULL);

	for (size_t i = 0; i < p->n_targets && p->targets != NULL; i++) {
		const emu_storm_target *tg = &p->targets[i];
		if (tg->dev == NULL || tg->slot >= emu_device_slot_count(tg->dev)) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
				    "storm: target %zu: no such device or slot", i);
			return NULL;
		}
	}
	if (p->targets == NULL) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "storm: no targets");
		return NULL;
	}
	const char *spec = p->card_spec != NULL ? p->card_spec : "readertest";
	emu_card *probe = emu_card_new_from_spec(spec, error);
	if (probe == NULL)
		return NULL;
	emu_card_free(probe);

	g_autoptr(GArray) steps = g_array_new(FALSE, FALSE, sizeof(emu_storm_step));
	if (!emu_storm_schedule(p, steps, error))
		return NULL;

	emu_storm *s = g_new0(emu_storm, 1);
	g_mutex_init(&s->lock);
	g_cond_init(&s->cond);
	s->n_targets = p->n_targets;
	s->targets = g_new(emu_storm_target, p->n_targets);
	for (size_t i = 0; i < p->n_targets; i++) {
		s->targets[i] = p->targets[i];
		emu_device_ref(s->targets[i].dev);
	}
	s->card_spec = g_strdup(spec);
	s->steps = g_steal_pointer(&steps);
	s->thread = g_thread_try_new("emu-storm", storm_thread, s, error);
	if (s->thread == NULL) {
		emu_storm_free(s);
		return NULL;
	}
	return s;
}

void emu_storm_stop(emu_storm *s)
{
	if (s == NULL)
		return;
	g_mutex_lock(&s->lock);
	s->stop = true;
	g_cond_broadcast(&s->cond);
	g_mutex_unlock(&s->lock);
	/* Bounded: the thread sleeps only on s->cond and makes only
	 * non-blocking device calls. */
	if (s->thread != NULL)
		g_thread_join(g_steal_pointer(&s->thread));
}

bool emu_storm_wait(emu_storm *s, unsigned timeout_ms)
{
	g_return_val_if_fail(s != NULL, FALSE);

	int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
	g_mutex_lock(&s->lock);
	while (!s->done && g_get_monotonic_time() < deadline)
		g_cond_wait_until(&s->cond, &s->lock, deadline);
	bool done = s->done;
	g_mutex_unlock(&s->lock);
	return done;
}

uint64_t emu_storm_applied(emu_storm *s)
{
	g_return_val_if_fail(s != NULL, 0);

	g_mutex_lock(&s->lock);
	uint64_t n = s->applied;
	g_mutex_unlock(&s->lock);
	return n;
}

void emu_storm_free(emu_storm *s)
{
	if (s == NULL)
		return;
	emu_storm_stop(s);
	for (size_t i = 0; i < s->n_targets; i++)
		emu_device_unref(s->targets[i].dev);
	g_free(s->targets);
	g_free(s->card_spec);
	if (s->steps != NULL)
		g_array_unref(s->steps);
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->cond);
	g_free(s);
}
