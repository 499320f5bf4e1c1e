/* ccidlab — check-events: the stimuli, all through the control plane:
 * a seeded storm, the multi-reader burst sweep (the "accumulated
 * events" of the 2018 report) and the window widener (a mute card). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check/check_events.h"
#include "cli/kit/progress.h"

#define CALL_TIMEOUT_MS 10000u

/* Every slot but the widened one: the storm must not pull the mute card. */
static JsonArray *targets(const check_truth *t, unsigned *n)
{
	JsonArray *a = json_array_new();
	*n = 0;
	for (unsigned i = 0; i < t->n_slots; i++) {
		if (t->slots[i].widened)
			continue;
		JsonObject *o = json_object_new();
		json_object_set_int_member(o, "reader", t->slots[i].reader);
		json_object_set_int_member(o, "slot", t->slots[i].slot);
		json_array_add_object_element(a, o);
		(*n)++;
	}
	return a;
}

static gint64 storm_start(ctl_client *c, const check_truth *t, const check_stimuli *s,
			  double rate, unsigned duration_ms, guint32 seed, unsigned min_hold_ms,
			  unsigned burst, unsigned gap_us, GError **error)
{
	unsigned n = 0;
	JsonObject *q = ctl_client_request_new("storm");
	json_object_set_double_member(q, "rate", rate);
	json_object_set_int_member(q, "duration_ms", duration_ms);
	json_object_set_int_member(q, "seed", seed);
	if (min_hold_ms > 0)
		json_object_set_int_member(q, "min_hold_ms", min_hold_ms);
	json_object_set_array_member(q, "targets", targets(t, &n));
	if (s->card != NULL)
		json_object_set_string_member(q, "card", s->card);
	if (burst > 1) {
		json_object_set_int_member(q, "burst", MIN(burst, n));
		json_object_set_int_member(q, "burst_gap_us", gap_us);
	}
	g_autoptr(JsonObject) o = ctl_client_call(c, q, CALL_TIMEOUT_MS, error);
	json_object_unref(q);
	if (o == NULL)
		return -1;
	return json_object_get_int_member_with_default(o, "storm", -1);
}

/* The storm's progress in whole seconds of its duration (k/N s). */
static void progress(cli_progress *p, JsonObject *storm)
{
	gint64 elapsed = json_object_get_int_member_with_default(storm, "elapsed_ms", 0);
	g_autofree char *what = g_strdup_printf(
		"%" G_GINT64_FORMAT " edges applied",
		json_object_get_int_member_with_default(storm, "applied", 0));
	cli_progress_step(p, (unsigned)(MAX(elapsed, 0) / 1000), what);
}

/* Polls storm-status until the storm is no longer running, within
 * budget_ms. */
static bool storm_wait(ctl_client *c, gint64 id, unsigned budget_ms, cli_progress *p,
		       GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)budget_ms * 1000;
	for (;;) {
		JsonObject *q = ctl_client_request_new("storm-status");
		json_object_set_int_member(q, "storm", id);
		g_autoptr(JsonObject) o = ctl_client_call(c, q, CALL_TIMEOUT_MS, error);
		json_object_unref(q);
		if (o == NULL)
			return false;
		JsonArray *a = json_object_get_array_member(o, "storms");
		JsonObject *one = a != NULL && json_array_get_length(a) > 0
					  ? json_array_get_object_element(a, 0)
					  : NULL;
		if (one == NULL ||
		    strcmp(json_object_get_string_member_with_default(one, "state", ""), "running") != 0) {
			if (p != NULL)
				cli_progress_step(p, cli_progress_total(p), "storm over");
			return true;
		}
		if (p != NULL)
			progress(p, one);
		if (g_get_monotonic_time() > deadline) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_TIMEOUT,
				    "storm %" G_GINT64_FORMAT " still running after %u ms", id, budget_ms);
			return false;
		}
		g_usleep(50 * 1000);
	}
}

static bool slot_request(ctl_client *c, const char *req, const check_slot *s, const char *card,
			 GError **error);

/* Toggles a slot: removes its card, or inserts one when it had none (the
 * emulator refuses the removal from an empty slot with bad-state). */
static bool toggle(ctl_client *c, const check_slot *s, GError **error)
{
	g_autoptr(GError) ignored = NULL;

	if (slot_request(c, "remove", s, NULL, &ignored))
		return true;
	return slot_request(c, "insert", s, "readertest", error);
}

/* Two event-mode slots that are not the widener's, or false. */
static bool pick_pair(const check_truth *t, int widener, const check_slot **a,
		      const check_slot **b)
{
	*a = *b = NULL;
	for (unsigned i = 0; i < t->n_slots; i++) {
		if ((int)i == widener || t->slots[i].mode != CHECK_MODE_EVENT)
			continue;
		if (*a == NULL)
			*a = &t->slots[i];
		else if (*b == NULL && t->slots[i].reader != (*a)->reader)
			*b = &t->slots[i];
	}
	return *a != NULL && *b != NULL;
}

static bool control_pairs(ctl_client *c, const check_truth *t, const check_stimuli *s, bool quiet,
			  GError **error)
{
	const check_slot *a, *b;
	g_autoptr(GRand) rng = g_rand_new_with_seed(s->seed);

	if (!pick_pair(t, s->widener_index, &a, &b)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--control-pairs needs two event-mode readers besides the widener's");
		return false;
	}
	if (!quiet)
		fprintf(stderr, "check-events: %u control pairs on %s and %s, %u ms quiet each\n",
			s->control_pairs, a->pcsc_name, b->pcsc_name, CHECK_PAIR_QUIET_MS);
	g_autoptr(cli_progress) p = cli_progress_stderr("check-events: pairs", s->control_pairs,
							 quiet);
	for (unsigned i = 0; i < s->control_pairs; i++) {
		cli_progress_step(p, i, NULL);
		if (!toggle(c, a, error))
			return false;
		/* The second edge must land inside the second call: the first call
		 * returns about 400 ms after the first edge (its own pass over the
		 * widener), the second fetches then and registers 400 ms later. */
		g_usleep((gulong)g_rand_int_range(rng, 480, 721) * 1000);
		if (!toggle(c, b, error))
			return false;
		g_usleep(CHECK_PAIR_QUIET_MS * 1000);
	}
	cli_progress_step(p, s->control_pairs, NULL);
	return true;
}

bool check_stimuli_run(ctl_client *c, const check_truth *t, const check_stimuli *s, bool quiet,
		       GError **error)
{
	if (s->control_pairs > 0 && !control_pairs(c, t, s, quiet, error))
		return false;
	if (s->storm_rate > 0) {
		unsigned ms = (unsigned)(s->duration_s * 1000.0 + 0.5);
		if (!quiet)
			fprintf(stderr, "check-events: storm %.1f edges/s for %.1f s, seed %u\n",
				s->storm_rate, s->duration_s, s->seed);
		gint64 id = storm_start(c, t, s, s->storm_rate, ms, s->seed, s->min_hold_ms, 0, 0,
					error);
		/* Steps of whole seconds: a line a second in a log. */
		g_autoptr(cli_progress) p =
			cli_progress_stderr("check-events: storm seconds", (ms + 999) / 1000, quiet);
		if (id < 0 || !storm_wait(c, id, ms + 10000, p, error))
			return false;
	}
	if (s->burst_sweep) {
		unsigned n = 0;
		json_array_unref(targets(t, &n));
		/* Exactly one burst per step: a storm whose first event (at
		 * rate 1000/s it comes within a few ms) hits every target, and
		 * whose hold outlasts it, so no second event finds a free target. */
		unsigned steps = s->sweep_max_us / s->sweep_step_us + 1;
		if (!quiet)
			fprintf(stderr,
				"check-events: burst sweep over %u slots, gap 0..%u us in %u us steps, "
				"one burst per %u ms\n",
				n, s->sweep_max_us, s->sweep_step_us, s->sweep_step_ms);
		gint64 last = -1;
		gint64 t0 = g_get_monotonic_time();
		g_autoptr(cli_progress) p = cli_progress_stderr("check-events: sweep", steps, quiet);
		for (unsigned i = 0; i < steps; i++) {
			g_autofree char *what = g_strdup_printf("gap %u us", i * s->sweep_step_us);
			cli_progress_step(p, i, what);
			unsigned gap = i * s->sweep_step_us;
			unsigned dur = 50 + (n * gap) / 1000;
			last = storm_start(c, t, s, 1000.0, dur, s->seed + 1 + i, dur, n, gap, error);
			if (last < 0)
				return false;
			/* Pace the steps on the clock: step i starts at
			 * t0 + i * step (the storm itself runs in the driver). */
			gint64 next = t0 + (gint64)(i + 1) * s->sweep_step_ms * 1000;
			gint64 left = next - g_get_monotonic_time();
			if (left > 0)
				g_usleep((gulong)left);
		}
		if (last >= 0 && !storm_wait(c, last, s->sweep_step_ms + 10000, NULL, error))
			return false;
		cli_progress_step(p, steps, "sweep over");
	}
	return true;
}

static bool slot_request(ctl_client *c, const char *req, const check_slot *s, const char *card,
			 GError **error)
{
	JsonObject *q = ctl_client_request_new(req);
	json_object_set_int_member(q, "reader", s->reader);
	json_object_set_int_member(q, "slot", s->slot);
	if (card != NULL)
		json_object_set_string_member(q, "card", card);
	g_autoptr(JsonObject) o = ctl_client_call(c, q, CALL_TIMEOUT_MS, error);
	json_object_unref(q);
	return o != NULL;
}

bool check_widener_insert(ctl_client *c, const check_slot *s, GError **error)
{
	/* A present card that answers power-up with no ATR
	 * (ccidlab-devicename(5), ",mute"). */
	return slot_request(c, "insert", s, "readertest,mute", error);
}

bool check_widener_remove(ctl_client *c, const check_slot *s, GError **error)
{
	return slot_request(c, "remove", s, NULL, error);
}
