/* ccidlab — the control requests about jobs (server_priv.h): storms and
 * scenarios, the work the server runs on its own after the request that
 * started it.  Both kinds share one record (ctl_job) and one lifecycle:
 * kept by id per kind, up to a limit, the oldest that no longer runs
 * forgotten to make room; stopped one or all at once; listed with their
 * state.  What differs per kind is here as a switch on the kind: how to
 * tell it runs, how to stop and free it, what its status says.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctl/server_priv.h"

typedef struct job_kind_info {
	const char *noun;	/* the request member naming one: "storm", "scenario" */
	const char *plural;	/* the status reply's array */
	const char *stop_req;	/* for the limit's message */
	const char *where;	/* where a client finds them, for "not found" */
	unsigned max;
} job_kind_info;

static const job_kind_info kinds[CTL_JOB_KINDS] = {
	[CTL_JOB_STORM] = { "storm", "storms", "storm-stop",
			    "see storm-status for the storms the server keeps", CTL_SERVER_MAX_STORMS },
	[CTL_JOB_SCENARIO] = { "scenario", "scenarios", "scenario-stop",
			       "load one with scenario-load (see scenario-status)",
			       CTL_SERVER_MAX_SCENARIOS },
};

/* ---- one job ---- */

static bool job_running(const ctl_job *j)
{
	if (j->stopped)
		return false;
	if (j->kind == CTL_JOB_STORM)
		return !emu_storm_wait(j->storm.storm, 0);
	return j->scenario.run != NULL && !emu_timeline_run_wait(j->scenario.run, 0);
}

static void job_stop(ctl_job *j)
{
	if (j->kind == CTL_JOB_STORM)
		emu_storm_stop(j->storm.storm);
	else
		emu_timeline_run_stop(j->scenario.run);
	j->stopped = true;
}

static void job_free(ctl_job *j)
{
	if (j->kind == CTL_JOB_STORM) {
		emu_storm_free(j->storm.storm);
	} else {
		if (j->scenario.run != NULL)
			emu_timeline_run_free(j->scenario.run);
		emu_timeline_free(j->scenario.timeline);
	}
	g_free(j);
}

static const char *job_state(const ctl_job *j)
{
	if (j->kind == CTL_JOB_SCENARIO && j->scenario.run == NULL)
		return "loaded";
	return j->stopped ? "stopped" : job_running(j) ? "running" : "done";
}

/* Why the steps failed, the first EMU_TIMELINE_FAILURES_KEPT of them:
 * "failures": [{"step": N, "reason": "..."}] (empty when none failed). */
static void scenario_failures(const ctl_job *j, JsonBuilder *b)
{
	json_builder_set_member_name(b, "failures");
	json_builder_begin_array(b);
	g_autoptr(GArray) fs = j->scenario.run ? emu_timeline_run_failures(j->scenario.run) : NULL;
	for (guint i = 0; fs != NULL && i < fs->len; i++) {
		const emu_timeline_failure *f = &g_array_index(fs, emu_timeline_failure, i);
		json_builder_begin_object(b);
		ctl_member_int(b, "step", f->step);
		ctl_member_string(b, "reason", f->reason);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

/* One entry of storm-status or scenario-status. */
static void job_status(const ctl_job *j, JsonBuilder *b, gint64 now)
{
	json_builder_begin_object(b);
	ctl_member_int(b, kinds[j->kind].noun, j->id);
	if (j->kind == CTL_JOB_STORM) {
		ctl_member_string(b, "state", job_state(j));
		ctl_member_int(b, "applied", (gint64)emu_storm_applied(j->storm.storm));
		ctl_member_int(b, "elapsed_ms", (now - j->storm.started_us) / 1000);
		ctl_member_int(b, "duration_ms", j->storm.duration_ms);
		json_builder_set_member_name(b, "rate");
		json_builder_add_double_value(b, j->storm.rate);
		ctl_member_int(b, "seed", j->storm.seed);
		ctl_member_int(b, "targets", (gint64)j->storm.n_targets);
	} else {
		unsigned applied = 0, failed = 0;
		if (j->scenario.run != NULL)
			emu_timeline_run_counts(j->scenario.run, &applied, &failed);
		ctl_member_int(b, "steps", (gint64)emu_timeline_size(j->scenario.timeline));
		ctl_member_string(b, "state", job_state(j));
		ctl_member_int(b, "applied", applied);
		ctl_member_int(b, "failed", failed);
		scenario_failures(j, b);
	}
	json_builder_end_object(b);
}

/* ---- the jobs of a kind ---- */

static ctl_job *job_find(ctl_server *s, ctl_job_kind kind, unsigned id, GError **error)
{
	GPtrArray *jobs = s->jobs[kind];
	for (guint i = 0; i < jobs->len; i++) {
		ctl_job *j = g_ptr_array_index(jobs, i);
		if (j->id == id)
			return j;
	}
	g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND, "no %s %u: %s", kinds[kind].noun, id,
		    kinds[kind].where);
	return NULL;
}

/* Forgets the oldest jobs that no longer run until there is room for one
 * more; CTL_ERROR_LIMIT when every kept one still runs. */
static bool job_make_room(ctl_server *s, ctl_job_kind kind, GError **error)
{
	GPtrArray *jobs = s->jobs[kind];
	for (guint i = 0; i < jobs->len && jobs->len >= kinds[kind].max;) {
		ctl_job *j = g_ptr_array_index(jobs, i);
		if (job_running(j)) {
			i++;
			continue;
		}
		g_ptr_array_remove_index(jobs, i);
		job_free(j);
	}
	if (jobs->len < kinds[kind].max)
		return true;
	g_set_error(error, CTL_ERROR, CTL_ERROR_LIMIT, "%u %s are running: stop one first (%s)",
		    kinds[kind].max, kinds[kind].plural, kinds[kind].stop_req);
	return false;
}

static ctl_job *job_add(ctl_server *s, ctl_job_kind kind)
{
	ctl_job *j = g_new0(ctl_job, 1);
	j->kind = kind;
	j->id = ++s->next_job[kind];
	g_ptr_array_add(s->jobs[kind], j);
	return j;
}

static ctl_job_kind kind_of(const ctl_request *r)
{
	return r->kind == CTL_REQ_STORM_STOP || r->kind == CTL_REQ_STORM_STATUS ? CTL_JOB_STORM
										 : CTL_JOB_SCENARIO;
}

bool ctl_do_job_stop(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		     GError **error)
{
	ctl_job_kind kind = kind_of(r);
	unsigned n = 0;
	if (r->has_handle && job_find(s, kind, r->handle, error) == NULL)
		return false;
	for (guint i = 0; i < s->jobs[kind]->len; i++) {
		ctl_job *j = g_ptr_array_index(s->jobs[kind], i);
		if ((r->has_handle && j->id != r->handle) || !job_running(j))
			continue;
		job_stop(j);
		n++;
	}
	ctl_member_int(b, "stopped", n);
	return true;
}

bool ctl_do_job_status(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		       GError **error)
{
	ctl_job_kind kind = kind_of(r);
	gint64 now = g_get_monotonic_time();
	if (r->has_handle && job_find(s, kind, r->handle, error) == NULL)
		return false;
	json_builder_set_member_name(b, kinds[kind].plural);
	json_builder_begin_array(b);
	for (guint i = 0; i < s->jobs[kind]->len; i++) {
		ctl_job *j = g_ptr_array_index(s->jobs[kind], i);
		if (!r->has_handle || j->id == r->handle)
			job_status(j, b, now);
	}
	json_builder_end_array(b);
	return true;
}

void ctl_jobs_init(ctl_server *s)
{
	for (unsigned k = 0; k < CTL_JOB_KINDS; k++)
		s->jobs[k] = g_ptr_array_new();
}

void ctl_jobs_shutdown(ctl_server *s)
{
	for (unsigned k = 0; k < CTL_JOB_KINDS; k++) {
		if (s->jobs[k] == NULL)
			continue;
		for (guint i = 0; i < s->jobs[k]->len; i++)
			job_free(g_ptr_array_index(s->jobs[k], i));
		g_clear_pointer(&s->jobs[k], g_ptr_array_unref);
	}
}

/* ---- scenarios ---- */

/* On the run's thread: a step's reader by driver name, device name or
 * reader number. */
static emu_device *resolve_step_reader(const char *name, void *data)
{
	ctl_server *s = data;
	ctl_readers rs = { 0 };
	emu_device *dev = NULL;
	char *end = NULL;
	unsigned long number = strtoul(name, &end, 10);
	bool numeric = name[0] != '\0' && end != NULL && *end == '\0';
	ctl_readers_fetch(s, &rs);
	for (size_t i = 0; i < rs.n && dev == NULL; i++) {
		ctl_reader_info *ri = &rs.v[i];
		char devname[EMU_EVENT_NAME_MAX];
		if (ri->emu == NULL)
			continue;
		emu_device_name(ri->emu, devname, sizeof devname);
		if (strcmp(ri->name, name) == 0 || strcmp(devname, name) == 0 ||
		    (numeric && ri->number == number))
			dev = emu_device_ref(ri->emu);
	}
	ctl_readers_clear(&rs);
	return dev;
}

bool ctl_do_scenario_load(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			  GError **error)
{
	g_autoptr(GError) err = NULL;
	if (!job_make_room(s, CTL_JOB_SCENARIO, error))
		return false;
	/* The client's text: a path would be read as root for it (issue 20). */
	emu_timeline *t = emu_timeline_load_data(r->data, strlen(r->data), &err);
	if (t == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "scenario: %s", err->message);
		return false;
	}
	ctl_job *j = job_add(s, CTL_JOB_SCENARIO);
	j->scenario.timeline = t;
	ctl_member_int(b, "scenario", j->id);
	ctl_member_int(b, "steps", (gint64)emu_timeline_size(t));
	return true;
}

bool ctl_do_scenario_start(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			   GError **error)
{
	g_autoptr(GError) err = NULL;
	ctl_job *j = job_find(s, CTL_JOB_SCENARIO, r->handle, error);
	if (j == NULL)
		return false;
	if (job_running(j)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_STATE,
			    "scenario %u is already running: stop it first, or wait", j->id);
		return false;
	}
	g_clear_pointer(&j->scenario.run, emu_timeline_run_free);
	j->stopped = false;
	j->scenario.run = emu_timeline_start(j->scenario.timeline, resolve_step_reader, s, &err);
	if (j->scenario.run == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "scenario %u: %s", j->id,
			    err->message);
		return false;
	}
	ctl_member_int(b, "scenario", j->id);
	return true;
}

/* ---- storms ---- */

/* The slots a storm request names (none: every slot of every emulated
 * reader), each once. */
static bool storm_targets(const ctl_request *r, ctl_readers *rs, GArray *out, GError **error)
{
	if (r->n_targets == 0) {
		for (size_t i = 0; i < rs->n; i++)
			for (unsigned k = 0; rs->v[i].emu != NULL && k < rs->v[i].n_slots; k++) {
				emu_storm_target t = { rs->v[i].emu, k };
				g_array_append_val(out, t);
			}
		if (out->len == 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
				    "no emulated reader to storm: declare one in reader.conf.d");
			return false;
		}
		return true;
	}
	for (size_t i = 0; i < r->n_targets; i++) {
		const ctl_target *t = &r->targets[i];
		ctl_reader_info *ri = ctl_readers_resolve(rs, &t->reader, t->slot, true, error);
		if (ri == NULL)
			return false;
		for (unsigned k = 0; k < ri->n_slots; k++) {
			if (t->slot >= 0 && (unsigned)t->slot != k)
				continue;
			bool dup = false;
			for (guint j = 0; j < out->len && !dup; j++) {
				emu_storm_target *o = &g_array_index(out, emu_storm_target, j);
				dup = o->dev == ri->emu && o->slot == k;
			}
			if (dup)
				continue;
			if (out->len >= EMU_STORM_MAX_TARGETS) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
					    "over %u storm targets", EMU_STORM_MAX_TARGETS);
				return false;
			}
			emu_storm_target nt = { ri->emu, k };
			g_array_append_val(out, nt);
		}
	}
	return true;
}

bool ctl_do_storm(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		  GError **error)
{
	ctl_readers rs = { 0 };
	g_autoptr(GArray) targets = g_array_new(FALSE, FALSE, sizeof(emu_storm_target));
	g_autoptr(GError) err = NULL;
	bool ok = false;

	if (!job_make_room(s, CTL_JOB_STORM, error))
		return false;
	if (r->card != NULL) {
		g_autoptr(emu_card) probe = emu_card_new_from_peer(r->card, NULL, 0, &err);
		if (probe == NULL) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "\"card\": %s",
				    err->message);
			return false;
		}
	}
	ctl_readers_fetch(s, &rs);
	if (!storm_targets(r, &rs, targets, error))
		goto out;
	emu_storm_params p = {
		.seed = r->has_seed ? r->seed : g_random_int(),
		.rate = r->rate,
		.duration_ms = r->duration_ms,
		.min_hold_ms = r->min_hold_ms,
		.burst = r->burst,
		.burst_gap_us = r->burst_gap_us,
		.targets = (const emu_storm_target *)(void *)targets->data,
		.n_targets = targets->len,
		.card_spec = r->card,
	};
	if (p.burst > p.n_targets) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"burst\" is %u but the storm has %zu targets: a burst hits distinct "
			    "targets, so it can be at most %zu",
			    p.burst, p.n_targets, p.n_targets);
		goto out;
	}
	emu_storm *storm = emu_storm_start(&p, &err);
	if (storm == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "storm: %s", err->message);
		goto out;
	}
	ctl_job *j = job_add(s, CTL_JOB_STORM);
	j->storm.storm = storm;
	j->storm.started_us = g_get_monotonic_time();
	j->storm.duration_ms = p.duration_ms;
	j->storm.rate = p.rate;
	j->storm.seed = p.seed;
	j->storm.n_targets = p.n_targets;
	ctl_member_int(b, "storm", j->id);
	ctl_member_int(b, "targets", (gint64)j->storm.n_targets);
	ctl_member_int(b, "seed", j->storm.seed);
	ok = true;
out:
	ctl_readers_clear(&rs);
	return ok;
}
