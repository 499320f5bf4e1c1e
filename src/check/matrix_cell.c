/* ccidlab — `ccidlab matrix`: one cell.  Writes a reader.conf.d for the
 * cell's readers, runs `ccidlab lab [--root DIR] -- ccidlab check-events
 * --json ...` with a bound on its time, and adds the checker's classes
 * to the version; a lab or checker that died, or hung, is a crash. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "check/matrix.h"
#include "lab/labfiles.h"

#define LAB_EXIT_FAILED 125

char *matrix_spec_label(const matrix_spec *s)
{
	return g_strdup_printf("r%u m%u %g/s %s %s%s%s%s", s->readers, s->clients, s->rate,
			       s->infinite ? "inf" : "500ms", s->pnp ? "pnp" : "nopnp",
			       s->mute ? " mute" : "", s->extra ? " + " : "",
			       s->extra ? s->extra : "");
}

typedef struct spawned {
	char *out, *err;
	int status;		/* wait status; -1: could not run */
	bool timed_out;
	bool done;
} spawned;

static void communicated(GObject *src, GAsyncResult *res, gpointer data)
{
	spawned *sp = data;
	g_autoptr(GError) e = NULL;
	if (!g_subprocess_communicate_utf8_finish(G_SUBPROCESS(src), res, &sp->out, &sp->err, &e))
		sp->err = g_strdup(e->message);
	sp->done = true;
}

/* Runs argv to its end, its output captured; SIGTERM after budget_s (the
 * lab then stops the checker and pcscd), SIGKILL 15 s later. */
static void spawn_bounded(char **argv, double budget_s, spawned *sp)
{
	memset(sp, 0, sizeof *sp);
	sp->status = -1;
	g_autoptr(GError) e = NULL;
	g_autoptr(GMainContext) ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	g_autoptr(GSubprocess) p = g_subprocess_newv(
		(const char *const *)argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
		&e);
	if (p == NULL) {
		sp->err = g_strdup(e->message);
		g_main_context_pop_thread_default(ctx);
		return;
	}
	g_subprocess_communicate_utf8_async(p, NULL, NULL, communicated, sp);
	gint64 term = g_get_monotonic_time() + (gint64)(budget_s * 1e6);
	gint64 kill = term + 15 * G_USEC_PER_SEC;
	bool termed = false;
	while (!sp->done) {
		g_main_context_iteration(ctx, FALSE);
		if (sp->done)
			break;
		gint64 now = g_get_monotonic_time();
		if (!termed && now > term) {
			g_subprocess_send_signal(p, SIGTERM);
			termed = sp->timed_out = true;
		} else if (now > kill) {
			g_subprocess_force_exit(p);
			kill = G_MAXINT64;
		}
		g_usleep(20 * 1000);
	}
	g_subprocess_wait(p, NULL, NULL);
	sp->status = g_subprocess_get_status(p);
	g_main_context_pop_thread_default(ctx);
}

static void spawned_clear(spawned *sp)
{
	g_free(sp->out);
	g_free(sp->err);
}

/* The lab's argv up to "--". */
static GPtrArray *lab_argv(const matrix_run *run, const matrix_version *v, const char *conf,
			   const char *log)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(a, g_strdup(run->self));
	g_ptr_array_add(a, g_strdup("lab"));
	g_ptr_array_add(a, g_strdup("--quiet"));
	if (v->root != NULL) {
		g_ptr_array_add(a, g_strdup("--root"));
		g_ptr_array_add(a, g_strdup(v->root));
	}
	if (run->driver != NULL) {
		g_ptr_array_add(a, g_strdup("--driver"));
		g_ptr_array_add(a, g_strdup(run->driver));
	}
	if (conf != NULL) {
		g_ptr_array_add(a, g_strdup("--conf"));
		g_ptr_array_add(a, g_strdup(conf));
	}
	g_ptr_array_add(a, g_strdup("--keep-log"));
	g_ptr_array_add(a, g_strdup(log));
	g_ptr_array_add(a, g_strdup("--"));
	return a;
}

/* A lab's command runs this ccidlab on the host; in a root, the one the
 * lab copied in (on the root's PATH). */
static const char *cmd_ccidlab(const matrix_run *run, const matrix_version *v)
{
	return v->root != NULL ? "ccidlab" : run->self;
}

bool matrix_probe(const matrix_run *run, matrix_version *v, GError **error)
{
	g_autofree char *log = g_build_filename(v->dir, "probe.pcscd.log", NULL);
	g_autofree char *conf = g_build_filename(v->dir, "conf-probe", NULL);
	g_mkdir_with_parents(conf, 0755);
	g_autoptr(GPtrArray) a = lab_argv(run, v, conf, log);
	g_ptr_array_add(a, g_strdup("pcscd"));
	g_ptr_array_add(a, g_strdup("-v"));
	g_ptr_array_add(a, NULL);
	spawned sp;
	spawn_bounded((char **)a->pdata, 60, &sp);
	const char *ver = sp.out ? strstr(sp.out, "pcsc-lite version ") : NULL;
	if (ver == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "`ccidlab lab%s%s -- pcscd -v` printed no version (status %d): %.400s",
			    v->root ? " --root " : "", v->root ? v->root : "", sp.status,
			    sp.err ? sp.err : "");
		spawned_clear(&sp);
		return false;
	}
	ver += strlen("pcsc-lite version ");
	size_t n = strcspn(ver, " \n");
	if (n > 0 && ver[n - 1] == '.')
		n--; /* "1.9.9." */
	g_free(v->version);
	v->version = g_strndup(ver, MIN(n, 32));
	const char *max = strstr(sp.out, "PCSCLITE_MAX_READERS_CONTEXTS: ");
	v->max_readers = max ? (unsigned)g_ascii_strtoull(max + 31, NULL, 10) : 0;
	spawned_clear(&sp);
	return true;
}

/* N single-slot readers, a quarter of them polling-only (at least one):
 * the widener's mute card goes into the last of those. */
static char *write_conf(const matrix_version *v, unsigned readers, GError **error)
{
	char *dir = g_strdup_printf("%s/conf-%u", v->dir, readers);
	if (g_file_test(dir, G_FILE_TEST_IS_DIR))
		return dir;
	g_mkdir_with_parents(dir, 0755);
	unsigned poll = MAX(1u, readers / 4);
	for (unsigned i = 0; i < readers; i++) {
		bool p = i >= readers - poll;
		g_autofree char *file = g_strdup_printf("%s/r%02u", dir, i);
		g_autofree char *devname =
			g_strdup_printf("emu:%s:name=r%02u:card=none%s",
					p ? "generic-short-poll" : "generic-apdu-irq", i,
					p ? ":mode=poll" : "");
		/* Quoted: every pcscd from 1.8.16 on reads it. */
		g_autofree char *value = lab_conf_value(devname);
		g_autofree char *text = g_strdup_printf(
			"FRIENDLYNAME \"r%02u\"\n"
			"DEVICENAME   %s\n"
			"LIBPATH      /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so\n",
			i, value);
		if (!g_file_set_contents(file, text, -1, error)) {
			g_free(dir);
			return NULL;
		}
	}
	return dir;
}

static GPtrArray *cell_argv(const matrix_run *run, const matrix_version *v, const matrix_spec *s,
			    const char *conf, const char *log, unsigned index)
{
	GPtrArray *a = lab_argv(run, v, conf, log);
	const char *fixed[] = { cmd_ccidlab(run, v), "check-events", "--json", "--quiet" };
	for (unsigned i = 0; i < G_N_ELEMENTS(fixed); i++)
		g_ptr_array_add(a, g_strdup(fixed[i]));
	g_ptr_array_add(a, g_strdup_printf("--readers=%u", s->readers));
	g_ptr_array_add(a, g_strdup_printf("--clients=%u", s->clients));
	g_ptr_array_add(a, g_strdup_printf("--storm=%g", s->rate));
	g_ptr_array_add(a, g_strdup_printf("--duration=%g", run->duration_s));
	g_ptr_array_add(a, g_strdup_printf("--seed=%u", run->seed + index));
	g_ptr_array_add(a, g_strdup(s->infinite ? "--timeout-ms=inf" : "--timeout-ms=500"));
	g_ptr_array_add(a, g_strdup(s->pnp ? "--pnp=yes" : "--pnp=no"));
	if (s->mute)
		g_ptr_array_add(a, g_strdup("--widener"));
	g_auto(GStrv) extra = g_strsplit(s->extra ? s->extra : "", " ", -1);
	for (guint i = 0; extra[i] != NULL; i++)
		if (extra[i][0] != '\0')
			g_ptr_array_add(a, g_strdup(extra[i]));
	g_ptr_array_add(a, NULL);
	return a;
}

/* A member that is an object (or array), or NULL: a cell's report may
 * lack one (a mode no reader ran, an n/a report), and json-glib's own
 * getters cry CRITICAL at a missing member, fatal under G_DEBUG. */
static JsonObject *object_member(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
	return n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *array_member(JsonObject *o, const char *name)
{
	JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
	return n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

/* The cell's latency histograms into the version's. */
static void take_histograms(matrix_version *v, JsonObject *rep)
{
	JsonObject *modes = object_member(rep, "modes");
	const char *mode_names[] = { "event", "poll" };
	for (unsigned m = 0; modes != NULL && m < 2; m++) {
		JsonObject *s = object_member(modes, mode_names[m]);
		JsonArray *h = array_member(s, "histogram");
		for (guint k = 0; h != NULL && k < MIN(json_array_get_length(h), MATRIX_HIST_N); k++)
			v->hist[m][k] += (guint64)MAX(json_array_get_int_element(h, k), 0);
	}
}

/* The checker's classes and totals into the version's rows. */
static void take_report(matrix_version *v, JsonObject *rep, const char *label)
{
	take_histograms(v, rep);
	JsonObject *tot = object_member(rep, "totals");
	if (tot != NULL) {
		v->calls += (guint64)json_object_get_int_member_with_default(tot, "calls", 0);
		v->listings += (guint64)json_object_get_int_member_with_default(tot, "listings", 0);
		v->edges += (guint64)json_object_get_int_member_with_default(tot, "edges", 0);
		v->duration_s += json_object_get_double_member_with_default(tot, "duration_s", 0);
	}
	JsonArray *classes = array_member(rep, "classes");
	for (guint i = 0; classes != NULL && i < json_array_get_length(classes); i++) {
		JsonNode *kn = json_array_get_element(classes, i);
		if (!JSON_NODE_HOLDS_OBJECT(kn))
			continue;
		JsonObject *k = json_node_get_object(kn);
		const char *name = json_object_get_string_member_with_default(k, "name", "?");
		matrix_row *row = matrix_row_get(
			v, name, json_object_get_boolean_member_with_default(k, "asserted", FALSE));
		gint64 n = json_object_get_int_member_with_default(k, "count", 0);
		row->count += (guint64)MAX(n, 0);
		JsonObject *ex = object_member(k, "example");
		if (row->what == NULL)
			row->what = g_strdup(json_object_get_string_member_with_default(k, "what", ""));
		if (n <= 0 || ex == NULL || row->cell != NULL)
			continue;
		row->cell = g_strdup(label);
		row->detail = g_strdup(json_object_get_string_member_with_default(ex, "detail", ""));
		JsonNode *fig = json_object_get_member(ex, "figure");
		if (fig != NULL && JSON_NODE_HOLDS_OBJECT(fig))
			row->figure = json_node_copy(fig);
		JsonArray *tl = array_member(ex, "timeline");
		for (guint l = 0; tl != NULL && l < json_array_get_length(tl); l++)
			g_ptr_array_add(row->timeline, g_strdup(json_array_get_string_element(tl, l)));
	}
}

static JsonObject *parse_object(const char *text)
{
	if (text == NULL)
		return NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	if (!json_parser_load_from_data(p, text, -1, NULL))
		return NULL;
	JsonNode *root = json_parser_get_root(p);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

static void cell_summary(matrix_version *v, const char *label, const char *outcome, double wall)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "cell", label);
	json_object_set_string_member(o, "outcome", outcome);
	json_object_set_double_member(o, "wall_s", wall);
	g_ptr_array_add(v->cells, o);
}

/* The status of a lab run: "" when it ran to the end, else why not. */
static char *failure_of(const spawned *sp)
{
	if (sp->timed_out)
		return g_strdup("the cell did not end in its time: stopped");
	if (sp->status == -1)
		return g_strdup_printf("could not run the lab: %s", sp->err ? sp->err : "?");
	if (sp->err != NULL && strstr(sp->err, "pcscd exited during the command") != NULL)
		return g_strdup("pcscd died during the run");
	if (WIFSIGNALED(sp->status))
		return g_strdup_printf("the lab died of signal %d", WTERMSIG(sp->status));
	int code = WEXITSTATUS(sp->status);
	if (code == LAB_EXIT_FAILED)
		return g_strdup("the lab failed (pcscd did not start or stopped)");
	if (code >= 128)
		return g_strdup_printf("the checker died of signal %d", code - 128);
	return g_strdup("");
}

void matrix_cell_run(const matrix_run *run, matrix_version *v, const matrix_spec *s,
		     unsigned index)
{
	g_autofree char *label = matrix_spec_label(s);
	g_autoptr(GError) e = NULL;
	g_autofree char *conf = write_conf(v, s->readers, &e);
	g_autofree char *log = g_strdup_printf("%s/cell%02u.pcscd.log", v->dir, index);
	if (conf == NULL) {
		matrix_note_crash(v, label, e->message);
		cell_summary(v, label, "crash", 0);
		return;
	}
	g_autoptr(GPtrArray) a = cell_argv(run, v, s, conf, log, index);
	gint64 t0 = g_get_monotonic_time();
	spawned sp;
	/* The storm, settling (up to 6 s), the lab's start and stop: 90 s
	 * of margin is far beyond a healthy cell. */
	spawn_bounded((char **)a->pdata, run->duration_s + 90, &sp);
	double wall = (g_get_monotonic_time() - t0) / 1e6;
	g_autofree char *fail = failure_of(&sp);
	g_autoptr(JsonObject) rep = parse_object(sp.out);
	const char *outcome = "ran";
	/* With --json the checker says why it made no report in an error
	 * object (ccidlab(1), OUTPUT); nothing at all when it died. */
	bool no_report = rep == NULL || json_object_has_member(rep, "error");
	if (*fail == '\0' && no_report && sp.err != NULL &&
	    strstr(sp.err, "no first answer from pcscd") != NULL) {
		/* pcscd did not answer a monitor's first SCardGetStatusChange
		 * within 10 s: a finding on that version (reported), not a
		 * crash of anything. */
		matrix_row *row = matrix_row_get(v, MATRIX_ROW_UNANSWERED, false);
		row->count++;
		if (row->cell == NULL) {
			row->cell = g_strdup(label);
			row->detail = g_strdup("a monitor's first SCardGetStatusChange got no answer "
					       "in 10 s; the cell stopped there");
		}
		outcome = "first call unanswered";
	} else if (*fail != '\0' || no_report) {
		const char *said = rep != NULL ? json_object_get_string_member_with_default(
							 rep, "message", "?")
					       : NULL;
		g_autofree char *why =
			*fail != '\0' ? g_strdup_printf("%s; pcscd log %s", fail, log)
			: said != NULL ? g_strdup_printf("the checker made no report (status %d): %.300s",
							 sp.status, said)
				       : g_strdup_printf("the checker printed no report (status %d): "
							 "%.300s",
							 sp.status, sp.err ? sp.err : "");
		matrix_note_crash(v, label, why);
		outcome = "crash";
	} else if (json_object_has_member(rep, "na") &&
		   json_object_get_int_member_with_default(rep, "served", -1) ==
			   (gint64)v->max_readers &&
		   s->readers > v->max_readers) {
		/* The cell asks for more than the version's own limit, and
		 * pcscd served exactly that many: measured, not assumed. */
		v->cells_na++;
		outcome = "n/a (version limit)";
	} else if (json_object_has_member(rep, "na")) {
		/* Fewer readers served than asked, with no limit the version
		 * admits to: not a limit, an anomaly. */
		matrix_row *row = matrix_row_get(v, "other", true);
		row->count++;
		if (row->cell == NULL) {
			row->cell = g_strdup(label);
			row->detail = g_strdup(json_object_get_string_member_with_default(rep, "na", ""));
		}
		outcome = "fewer readers served";
	} else {
		v->cells_run++;
		take_report(v, rep, label);
	}
	cell_summary(v, label, outcome, wall);
	g_autofree char *what = g_strdup_printf("%s: %s: %s (%.1f s)", v->version, label, outcome,
						wall);
	cli_progress_add(run->progress, 1, what);
	spawned_clear(&sp);
}
