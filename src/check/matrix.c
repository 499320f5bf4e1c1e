/* ccidlab — `ccidlab matrix`: options, the suites, and the run: every
 * version's probe, then its cells, then the table. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli/kit/ctl_cli.h"
#include "check/matrix.h"

/* ccidlab(1): 125 when the matrix itself failed (as a lab that failed),
 * apart from 1, a version's finding. */
#define MATRIX_EXIT_SELF 125

/* The quick suite (CI): every value of every axis at least once, in 8
 * cells; the 32 and 64 reader cells are n/a on a version with the
 * 16-reader limit.  About 3 minutes per version with 12 s storms. */
static const matrix_spec quick[] = {
	{ 4, 4, 50, true, true, false },     { 8, 16, 300, false, false, true },
	{ 15, 32, 300, true, true, true },   { 15, 16, 50, false, false, false },
	{ 8, 32, 50, true, false, false },   { 4, 16, 300, false, true, true },
	{ 32, 16, 300, true, true, false },  { 64, 32, 50, false, false, true },
};

static const unsigned axis_readers[] = { 4, 8, 15, 32, 64 };
static const unsigned axis_clients[] = { 4, 16, 32 };
static const double axis_rate[] = { 50, 300 };

/* The full suite: the product of the axes, 240 cells. */
static GArray *full_suite(void)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(matrix_spec));
	for (unsigned r = 0; r < G_N_ELEMENTS(axis_readers); r++)
		for (unsigned c = 0; c < G_N_ELEMENTS(axis_clients); c++)
			for (unsigned e = 0; e < G_N_ELEMENTS(axis_rate); e++)
				for (unsigned bits = 0; bits < 8; bits++) {
					matrix_spec s = { axis_readers[r], axis_clients[c], axis_rate[e],
							  (bits & 1) == 0, (bits & 2) == 0, (bits & 4) != 0 };
					g_array_append_val(a, s);
				}
	return a;
}

typedef struct options {
	char **roots;
	gboolean quick, full, json, quiet;
	double duration;
	gint64 seed;
	char *driver, *work_dir, *html;
} options;

static int parse(int *argc, char ***argv, options *o)
{
	const GOptionEntry entries[] = {
		{ "root", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->roots,
		  "also the pcsc-lite of this root (ccidlab mkroot); repeatable", "DIR" },
		{ "quick", 0, 0, G_OPTION_ARG_NONE, &o->quick,
		  "the short suite: 8 cells, about 3 minutes per version (the default)", NULL },
		{ "full", 0, 0, G_OPTION_ARG_NONE, &o->full,
		  "the whole product of the axes: 240 cells, about 100 minutes per version", NULL },
		{ "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o->duration,
		  "each cell's storm seconds (default 12 quick, 20 full)", "S" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "the first cell's seed (default 1)", "N" },
		{ "driver", 'D', 0, G_OPTION_ARG_FILENAME, &o->driver,
		  "the driver the labs load (default: as ccidlab lab)", "PATH" },
		{ "work-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->work_dir,
		  "where the confs and pcscd logs go (default: a new dir in /tmp, kept)", "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o->json, "one JSON object instead of the table",
		  NULL },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &o->html,
		  "also write the matrix as one self-contained HTML page", "FILE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "no progress lines on stderr", NULL },
		{ NULL },
	};
	const cli_grammar g = {
		"matrix", "- the pcsc-lite version matrix",
		"Runs check-events' storm suite against the host's pcsc-lite and each\n"
		"--root's, each cell in its own lab, and prints the anomaly classes side by\n"
		"side.  Exit 1 when a version lost a wakeup, crashed, or showed an\n"
		"unclassified anomaly; other findings are reported, not asserted.  See ccidlab(1).",
		NULL,
	};
	int rc = cli_options_parse(&g, entries, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	if (*argc != 1 || (o->quick && o->full) || o->duration < 0 || o->duration > 3600 ||
	    o->seed < 0 || o->seed > G_MAXUINT32 / 2)
		return cli_usage("matrix", "bad arguments: [--root DIR]... [--quick|--full] "
					   "[--duration 1..3600] [--json]");
	return -1;
}

static void run_version(const matrix_run *run, matrix_version *v, const matrix_spec *cells,
			unsigned n)
{
	gint64 t0 = g_get_monotonic_time();
	g_autoptr(GError) e = NULL;
	if (!matrix_probe(run, v, &e)) {
		fprintf(stderr, "ccidlab matrix: %s\n", e->message);
		matrix_note_crash(v, "probe", e->message);
		g_autofree char *what = g_strdup_printf("%s: probe failed, %u cells not run",
							v->root ? v->root : "host", n);
		cli_progress_add(run->progress, n, what);
	} else {
		if (!run->quiet)
			fprintf(stderr, "matrix: %s: pcsc-lite %s, reader limit %u\n",
				v->root ? v->root : "host", v->version, v->max_readers);
		for (unsigned i = 0; i < n; i++)
			matrix_cell_run(run, v, &cells[i], i);
	}
	v->wall_s = (g_get_monotonic_time() - t0) / 1e6;
}

int matrix_main(int argc, char **argv)
{
	options o = { .seed = 1 };
	int rc = parse(&argc, &argv, &o);
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autoptr(GArray) full = o.full ? full_suite() : NULL;
	g_autoptr(GPtrArray) versions = g_ptr_array_new_with_free_func((GDestroyNotify)matrix_version_free);
	/* Declared before the first goto: a jump past an autoptr's
	 * initialisation would free whatever its stack slot held. */
	g_autoptr(GError) he = NULL;
	if (rc >= 0)
		goto out;
	if (o.work_dir == NULL) {
		g_autoptr(GError) e = NULL;
		o.work_dir = g_dir_make_tmp("ccidlab-matrix-XXXXXX", &e);
		if (o.work_dir == NULL) {
			cli_error("matrix", "%s", e->message);
			rc = MATRIX_EXIT_SELF;
			goto out;
		}
	}
	if (self == NULL) {
		cli_error("matrix", "cannot find my own executable");
		rc = MATRIX_EXIT_SELF;
		goto out;
	}
	matrix_run run = { .self = self, .driver = o.driver, .seed = (guint32)o.seed,
			   .duration_s = o.duration > 0 ? o.duration : o.full ? 20 : 12,
			   .quiet = o.quiet };
	const matrix_spec *cells = o.full ? (const matrix_spec *)full->data : quick;
	unsigned n = o.full ? full->len : G_N_ELEMENTS(quick);
	if (!o.quiet)
		fprintf(stderr, "matrix: %s suite, %u cells per version, %g s storms; logs in %s\n",
			o.full ? "full" : "quick", n, run.duration_s, o.work_dir);
	gint64 t0 = g_get_monotonic_time();
	guint nroots = o.roots ? g_strv_length(o.roots) : 0;
	run.progress = cli_progress_stderr("matrix", n * (nroots + 1), o.quiet);
	for (guint i = 0; i <= nroots; i++) {
		const char *root = i == 0 ? NULL : o.roots[i - 1];
		g_autofree char *dir = g_strdup_printf("%s/v%u", o.work_dir, i);
		g_mkdir_with_parents(dir, 0755);
		matrix_version *v = matrix_version_new(root, dir);
		g_ptr_array_add(versions, v);
		run_version(&run, v, cells, n);
	}
	g_clear_pointer(&run.progress, cli_progress_free);
	double wall = (g_get_monotonic_time() - t0) / 1e6;
	const char *suite = o.full ? "full" : "quick";
	if (o.json)
		matrix_report_json(stdout, versions, suite, wall);
	else
		matrix_report_text(stdout, versions, suite, wall);
	if (o.html != NULL && !matrix_report_html(o.html, versions, suite, wall, &he))
		fprintf(stderr, "ccidlab matrix: --html %s: %s\n", o.html, he->message);
	fflush(stdout);
	rc = CLI_EXIT_OK;
	for (guint i = 0; i < versions->len; i++)
		if (!matrix_version_pass(g_ptr_array_index(versions, i)))
			rc = CLI_EXIT_REFUSED;
out:
	/* --json: the matrix's own failure as ccidlab(1)'s error object. */
	if (o.json && rc == MATRIX_EXIT_SELF)
		cli_json_error_last(rc);
	g_strfreev(o.roots);
	g_free(o.driver);
	g_free(o.work_dir);
	g_free(o.html);
	return rc;
}
