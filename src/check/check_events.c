/* ccidlab — `ccidlab check-events`: options, and the run in order:
 * ground truth, widener, monitors, a first counter checkpoint, stimuli,
 * settling, a second checkpoint, the oracle and the report. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check/check_events.h"
#include "cli/kit/ctl_cli.h"

/* The mix of client kinds, taken in turn (a real application does one of
 * these).  Connected monitors use a finite timeout, since a sharing
 * change is only signalled at the event thread's next pass. */
static const check_kind pcsclite_kinds[] = {
	{ CHECK_BACKEND_PCSCLITE, INFINITE, true, true, true, false },
	{ CHECK_BACKEND_PCSCLITE, 500, false, false, false, false },
	{ CHECK_BACKEND_PCSCLITE, INFINITE, false, false, false, false },
	{ CHECK_BACKEND_PCSCLITE, 500, true, true, true, false },
	{ CHECK_BACKEND_PCSCLITE, 500, true, false, false, true },
	{ CHECK_BACKEND_PCSCLITE, INFINITE, false, true, false, false },
	{ CHECK_BACKEND_PCSCLITE, INFINITE, true, false, false, false },
	{ CHECK_BACKEND_PCSCLITE, 500, false, true, false, false },
};
/* The pre-1.8.24 client, as applications used it: every reader, INFINITE. */
static const check_kind legacy_kind = { CHECK_BACKEND_LEGACY, INFINITE, false, true, false, false };

typedef struct options {
	int clients, legacy;
	double storm, duration;
	gint64 seed;
	int min_hold_ms;
	gboolean burst_sweep;
	int sweep_step_us, sweep_max_us, sweep_step_ms;
	gboolean widener;
	char *widener_reader;
	int control_pairs;
	double bound_event_ms, bound_poll_ms;
	gboolean legacy_must_pass, expect_legacy_loss, quiet;
	int readers;		/* 0: every served slot */
	char *timeout;		/* "inf" or ms: every libpcsclite kind's */
	char *pnp;		/* "yes" or "no": every libpcsclite kind's; NULL: the mix */
	gboolean processes;	/* each libpcsclite monitor in an agent process */
	char *html;		/* --html FILE */
	gboolean agent;		/* be one (check_agent.c) */
	DWORD timeout_value;
	char *record;		/* --record FILE */
} options;

static bool parse_timeout(const char *s, DWORD *out)
{
	if (s == NULL)
		return true;
	if (strcmp(s, "inf") == 0 || strcmp(s, "INFINITE") == 0) {
		*out = INFINITE;
		return true;
	}
	guint64 v = 0;
	if (!g_ascii_string_to_unsigned(s, 10, 1, 600000, &v, NULL))
		return false;
	*out = (DWORD)v;
	return true;
}

typedef struct widener {
	check_truth *t;
	int index;
} widener;

static bool widener_seen(void *p)
{
	widener *w = p;
	bool seen = false;
	g_mutex_lock(&w->t->lock);
	for (guint i = 0; i < w->t->edges->len; i++) {
		const check_edge *e = &g_array_index(w->t->edges, check_edge, i);
		if (e->slot_index == w->index && e->source == CHECK_SRC_OBSERVED && e->present)
			seen = true;
	}
	g_mutex_unlock(&w->t->lock);
	return seen;
}

static int pick_widener(const check_truth *t, const char *name)
{
	if (name == NULL) {
		/* Default: the last polling-only slot, else the last slot. */
		for (unsigned i = t->n_slots; i-- > 0;)
			if (t->slots[i].mode == CHECK_MODE_POLL)
				return (int)i;
		return (int)t->n_slots - 1;
	}
	for (unsigned i = 0; i < t->n_slots; i++)
		if (strcmp(t->slots[i].pcsc_name, name) == 0 || strcmp(t->slots[i].driver_name, name) == 0)
			return (int)i;
	return -1;
}

static int parse(int *argc, char ***argv, options *o, cli_common *common)
{
	const GOptionEntry entries[] = {
		{ "clients", 'm', 0, G_OPTION_ARG_INT, &o->clients,
		  "libpcsclite monitor threads, kinds mixed (default 8)", "M" },
		{ "legacy-client", 0, 0, G_OPTION_ARG_INT, &o->legacy,
		  "also N monitors through the pre-1.8.24 client (positive control)", "N" },
		{ "storm", 0, 0, G_OPTION_ARG_DOUBLE, &o->storm, "a seeded storm of RATE edges/s", "RATE" },
		{ "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o->duration, "the storm's seconds (default 10)",
		  "S" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "the stimuli's seed (default 1)", "N" },
		{ "min-hold-ms", 0, 0, G_OPTION_ARG_INT, &o->min_hold_ms,
		  "the storm holds each slot's state at least this long", "MS" },
		{ "burst-sweep", 0, 0, G_OPTION_ARG_NONE, &o->burst_sweep,
		  "bursts over every slot, the inter-reader gap sweeping 0..2000 us", NULL },
		{ "sweep-step-us", 0, 0, G_OPTION_ARG_INT, &o->sweep_step_us,
		  "the sweep's gap step, 1..10 (default 10)", "US" },
		{ "sweep-max-us", 0, 0, G_OPTION_ARG_INT, &o->sweep_max_us,
		  "the sweep's largest gap (default 2000)", "US" },
		{ "sweep-step-ms", 0, 0, G_OPTION_ARG_INT, &o->sweep_step_ms,
		  "one burst per this many ms (default 100)", "MS" },
		{ "control-pairs", 0, 0, G_OPTION_ARG_INT, &o->control_pairs,
		  "N pairs of toggles 480..720 ms apart on two event-mode readers, 6 s quiet after "
		  "each (the positive control's stimulus, with --widener)", "N" },
		{ "widener", 0, 0, G_OPTION_ARG_NONE, &o->widener,
		  "a mute card (present, no ATR) in one reader during the run", NULL },
		{ "widener-reader", 0, 0, G_OPTION_ARG_STRING, &o->widener_reader,
		  "the widener's reader (pcscd or driver name; default the last polling-only one)",
		  "NAME" },
		{ "bound-event-ms", 0, 0, G_OPTION_ARG_DOUBLE, &o->bound_event_ms,
		  "late above this in event mode (default 50)", "MS" },
		{ "bound-poll-ms", 0, 0, G_OPTION_ARG_DOUBLE, &o->bound_poll_ms,
		  "late above this in polling-only mode (default 450)", "MS" },
		{ "legacy-must-pass", 0, 0, G_OPTION_ARG_NONE, &o->legacy_must_pass,
		  "the legacy monitors' losses fail the run too", NULL },
		{ "expect-legacy-loss", 0, 0, G_OPTION_ARG_NONE, &o->expect_legacy_loss,
		  "FAIL unless the legacy monitors lost a wakeup (the positive control)", NULL },
		{ "readers", 0, 0, G_OPTION_ARG_INT, &o->readers,
		  "watch the first N slots pcscd serves; fewer served: n/a, exit 6", "N" },
		{ "timeout-ms", 0, 0, G_OPTION_ARG_STRING, &o->timeout,
		  "every libpcsclite monitor's SCardGetStatusChange timeout: inf or MS (default: "
		  "the mix)", "inf|MS" },
		{ "pnp", 0, 0, G_OPTION_ARG_STRING, &o->pnp,
		  "yes: every libpcsclite monitor also watches the PnP entry; no: none does "
		  "(default: the mix)", "yes|no" },
		{ "processes", 0, 0, G_OPTION_ARG_NONE, &o->processes,
		  "each libpcsclite monitor in a process of its own, as separate applications "
		  "(libpcsclite before 1.8.24 shares one reader-state buffer between a process's "
		  "threads)", NULL },
		{ "agent", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o->agent, NULL, NULL },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &o->html,
		  "also write the report as one self-contained HTML page", "FILE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "no progress lines on stderr", NULL },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &o->record,
		  "also write the run (edge stream, monitors' returns, checkpoints) to FILE, "
		  "JSON lines that the checker's unit tests replay", "FILE" },
		{ NULL },
	};
	int rc = cli_parse(argc, argv, "[OPTIONS]",
			   "Measure when SCardGetStatusChange callers learn of each card edge: "
			   "M monitor threads of mixed kinds against the driver's edge stream, "
			   "under a storm, a burst sweep and a window widener.  Reports latency "
			   "per mode and client kind, late, lost, phantom and errors, and checks "
			   "the event counters.  Exit 0 on PASS, 1 on FAIL.  See ccidlab(1).",
			   entries, common);
	if (rc >= 0)
		return rc;
	if (*argc != 1 || o->clients < 0 || o->clients > (int)CHECK_MAX_CLIENTS || o->legacy < 0 ||
	    o->legacy > (int)CHECK_MAX_CLIENTS || o->control_pairs < 0 || o->control_pairs > 100 ||
	    o->storm < 0 || o->duration <= 0 || o->seed < 0 ||
	    o->seed > (gint64)G_MAXUINT32 - 4096 || o->min_hold_ms < 0 || o->sweep_step_us < 1 ||
	    o->sweep_step_us > 10 || o->sweep_max_us < 0 || o->sweep_max_us > 100000 ||
	    o->sweep_step_ms < 60 || o->bound_event_ms <= 0 || o->bound_poll_ms <= 0 ||
	    o->clients + o->legacy == 0 || o->readers < 0 || o->readers > (int)CHECK_MAX_SLOTS ||
	    !parse_timeout(o->timeout, &o->timeout_value) ||
	    (o->pnp != NULL && strcmp(o->pnp, "yes") != 0 && strcmp(o->pnp, "no") != 0)) {
		cli_error("check-events",
			  "bad arguments: --clients 0..%u, --legacy-client 0..%u (not both 0), "
			  "--sweep-step-us 1..10, --sweep-step-ms >= 60, positive bounds, "
			  "--readers 0..%u, --timeout-ms inf or 1..600000, --pnp yes or no",
			  CHECK_MAX_CLIENTS, CHECK_MAX_CLIENTS, CHECK_MAX_SLOTS);
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* The kind of the i-th libpcsclite monitor: the mix, with the suite's
 * overrides. */
static check_kind kind_for(const options *o, int i)
{
	check_kind k = pcsclite_kinds[i % G_N_ELEMENTS(pcsclite_kinds)];
	if (o->timeout != NULL)
		k.timeout_ms = o->timeout_value;
	if (o->pnp != NULL)
		k.pnp = strcmp(o->pnp, "yes") == 0;
	if (o->processes)
		k.backend = CHECK_BACKEND_PROCESS;
	return k;
}

/* --readers N: keep the first N served slots, or say that pcscd serves
 * fewer (the matrix reads "n/a" from this; pcscd 1.9.9 serves 16). */
static bool keep_readers(check_truth *t, unsigned n, bool json)
{
	if (n == 0)
		return true;
	if (t->n_slots < n) {
		if (json)
			printf("{\"schema\":\"%s\",\"version\":\"%s\","
			       "\"na\":\"pcscd serves %u of the %u readers wanted\",\"served\":%u,"
			       "\"declared\":%u,\"wanted\":%u}\n",
			       CHECK_REPORT_SCHEMA, PACKAGE_VERSION, t->n_slots, n, t->n_slots,
			       t->n_declared, n);
		else
			printf("check-events: n/a: pcscd serves %u of the %u readers wanted (%u "
			       "declared)\n",
			       t->n_slots, n, t->n_declared);
		return false;
	}
	for (unsigned i = n; i < t->n_slots; i++) {
		g_free(t->slots[i].driver_name);
		g_free(t->slots[i].pcsc_name);
	}
	t->n_slots = n;
	return true;
}

/* --html: the JSON report drawn as a page. */
static void write_html(const options *o, const check_truth *t, GArray *edges, check_monitor **mons,
		       unsigned n_mons, const check_result *r, const check_verdict *v,
		       const check_stimuli *st, const check_classes *classes)
{
	g_autoptr(JsonNode) node = check_report_node(t, edges, mons, n_mons, r, v, st, classes);
	const char *version = g_getenv("CCIDLAB_ROOT_PCSC_LITE");
	g_autofree char *title = g_strdup_printf(
		"ccidlab check-events: pcsc-lite %s, %u readers, %u clients%s", version ? version : "(host)",
		t->n_slots, n_mons, o->processes ? " (each a process)" : "");
	g_autoptr(GError) e = NULL;
	if (!check_html_write(o->html, json_node_get_object(node), title, &e))
		cli_error("check-events", "--html %s: %s", o->html, e->message);
}

int check_events_main(int argc, char **argv)
{
	options o = { .clients = 8, .duration = 10, .seed = 1, .sweep_step_us = 10,
		      .sweep_max_us = 2000, .sweep_step_ms = 100,
		      .bound_event_ms = CHECK_BOUND_EVENT_MS, .bound_poll_ms = CHECK_BOUND_POLL_MS };
	cli_common common = { 0 };
	int rc = parse(&argc, &argv, &o, &common);
	if (rc < 0 && o.agent)
		rc = check_agent_main();
	if (rc >= 0) {
		g_free(o.timeout);
		g_free(o.pnp);
		g_free(o.widener_reader);
		g_free(o.record);
		g_free(o.html);
		cli_common_clear(&common);
		return rc;
	}
	rc = CLI_EXIT_OK;
	g_autoptr(GError) err = NULL;
	check_truth truth = { 0 };
	check_monitor *mons[2 * CHECK_MAX_CLIENTS] = { 0 };
	unsigned n_mons = 0;
	check_result result = { 0 };
	check_verdict verdict = { 0 };
	check_classes classes = { 0 };
	g_autoptr(GArray) edges = NULL;
	check_stimuli st = { .storm_rate = o.storm, .duration_s = o.duration, .seed = (guint32)o.seed,
			     .min_hold_ms = (unsigned)o.min_hold_ms, .burst_sweep = o.burst_sweep,
			     .sweep_step_us = (unsigned)o.sweep_step_us,
			     .sweep_max_us = (unsigned)o.sweep_max_us,
			     .sweep_step_ms = (unsigned)o.sweep_step_ms, .widener_index = -1,
			     .control_pairs = o.control_pairs > 0 ? (unsigned)o.control_pairs : 0 };
	check_checkpoints cp = { 0 };
	bool have_c0 = false;
	widener w = { .t = &truth, .index = -1 };
	check_sampler *sampler = NULL;

	if (o.record != NULL)
		truth.stream = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);

	g_autoptr(ctl_client) c = cli_connect(&common, &rc);
	if (c == NULL)
		goto out;
	if (!check_truth_start(&truth, cli_socket_path(&common), cli_timeout_ms(&common), &err)) {
		cli_error("check-events", "%s", err->message);
		rc = cli_exit_for(err);
		goto out;
	}
	if (!keep_readers(&truth, (unsigned)o.readers, common.json)) {
		rc = CHECK_EXIT_NA;
		goto out;
	}
	if (o.widener) {
		st.widener_index = pick_widener(&truth, o.widener_reader);
		if (st.widener_index < 0) {
			cli_error("check-events", "no reader named \"%s\" for --widener-reader",
				  o.widener_reader);
			rc = CLI_EXIT_NOT_FOUND;
			goto out;
		}
		check_slot *ws = &truth.slots[st.widener_index];
		ws->widened = true;
		w.index = st.widener_index;
		if ((ws->present0 && !check_widener_remove(c, ws, &err)) ||
		    !check_widener_insert(c, ws, &err)) {
			cli_error("check-events", "widener: %s", err->message);
			rc = cli_exit_for(err);
			goto out;
		}
		/* Wait for pcscd to see it, so that the monitors start with it. */
		check_wait_until(widener_seen, &w, 3000);
	}
	/* One-reader monitors take the slots in turn, alternating the
	 * modes, so that both modes get every kind. */
	unsigned order[CHECK_MAX_SLOTS], n_order = 0, n_one = 0;
	for (unsigned k = 0; k < truth.n_slots; k++)
		for (unsigned m = 0; m < CHECK_MODE_COUNT; m++) {
			unsigned seen = 0;
			for (unsigned i = 0; i < truth.n_slots; i++)
				if (truth.slots[i].mode == m && seen++ == k)
					order[n_order++] = i;
		}
	for (int i = 0; i < o.clients + o.legacy; i++) {
		bool legacy = i >= o.clients;
		check_kind mixed = kind_for(&o, i);
		const check_kind *k = legacy ? &legacy_kind : &mixed;
		unsigned slot = order[k->all ? 0 : n_one++ % n_order];
		/* A connection to the mute card only fails. */
		if (k->connect && st.widener_index == (int)slot)
			slot = order[n_one++ % n_order];
		check_monitor *m = check_monitor_start((unsigned)i, k, &truth, slot, NULL, &err);
		if (m == NULL) {
			cli_error("check-events", "%s", err->message);
			rc = CLI_EXIT_CONNECT;
			goto out;
		}
		mons[n_mons++] = m;
	}
	sampler = check_sampler_start(mons, n_mons);
	if (!check_wait_first_answers(mons, n_mons, 10000)) {
		cli_error("check-events", "a monitor got no first answer from pcscd in 10 s");
		rc = CLI_EXIT_IO;
		goto out;
	}
	cp.t0_ns = check_now_ns();
	have_c0 = check_read_counters(&truth, cp.c0) &&
		  check_read_folded(c, &truth, cli_timeout_ms(&common), cp.f0);
	if (!o.quiet)
		fprintf(stderr, "check-events: %u slots, %u monitors (%d legacy) running\n",
			truth.n_slots, n_mons, o.legacy);
	if (!check_stimuli_run(c, &truth, &st, o.quiet, &err)) {
		cli_error("check-events", "stimuli: %s", err->message);
		rc = cli_exit_for(err);
		goto out;
	}
	/* Settle: every client caught up, or the 5 s that make an uncaught
	 * edge "lost" (plus a margin). */
	if (!o.quiet)
		fprintf(stderr, "check-events: settling\n");
	check_settle(&truth, mons, n_mons, 1000 * 1000000LL, (unsigned)(CHECK_LOST_NS / 1000000) + 700);
	cp.t1_ns = check_now_ns();
	cp.counters_read = check_read_counters(&truth, cp.c1) &&
			   check_read_folded(c, &truth, cli_timeout_ms(&common), cp.f1) && have_c0;
	check_stop_monitors(mons, n_mons);
	check_sampler_stop(g_steal_pointer(&sampler));
	if (st.widener_index >= 0) {
		g_autoptr(GError) e2 = NULL;
		check_widener_remove(c, &truth.slots[st.widener_index], &e2);
	}
	check_truth_stop(&truth);
	edges = check_truth_snapshot(&truth);

	check_judge_params jp = check_judge_params_for(o.bound_event_ms, o.bound_poll_ms, cp.t1_ns,
						       o.legacy > 0, o.legacy_must_pass,
						       o.expect_legacy_loss);
	check_judge(&truth, edges, mons, n_mons, &jp, &cp, &result, &verdict);
	check_classes_run(&truth, edges, mons, n_mons, &result, cp.t0_ns, cp.t1_ns, &classes);
	if (o.record != NULL && !check_record_write(o.record, &truth, mons, n_mons, &cp, &err)) {
		cli_error("check-events", "--record: %s", err->message);
		g_clear_error(&err);
	}
	if (common.json)
		check_report_json(stdout, &truth, edges, mons, n_mons, &result, &verdict, &st,
				  &classes);
	else
		check_report_text(stdout, &truth, edges, mons, n_mons, &result, &verdict, &classes);
	if (o.html != NULL)
		write_html(&o, &truth, edges, mons, n_mons, &result, &verdict, &st, &classes);
	fflush(stdout);
	rc = verdict.pass ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
out:
	/* --json: a run that stopped before its report says why on stdout
	 * too (6 printed its "na" report). */
	if (common.json && rc > CLI_EXIT_REFUSED && rc != CHECK_EXIT_NA)
		cli_json_error_last(rc);
	check_sampler_stop(sampler);
	check_stop_monitors(mons, n_mons);
	for (unsigned i = 0; i < n_mons; i++)
		check_monitor_free(mons[i]);
	check_truth_clear(&truth);
	check_result_clear(&result);
	check_classes_clear(&classes);
	check_verdict_clear(&verdict);
	g_free(o.widener_reader);
	g_free(o.record);
	g_free(o.timeout);
	g_free(o.pnp);
	g_free(o.html);
	cli_common_clear(&common);
	return rc;
}
