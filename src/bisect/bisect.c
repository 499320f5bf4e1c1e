/* ccidlab — `ccidlab bisect --good REF --bad REF --class CLASS`: options,
 * the ends, and the search (see bisect.h for the statistics).
 *
 * The search keeps an interval whose older end has the older end's
 * verdict and whose newer end the newer one's; each step judges the
 * buildable commit nearest its middle.  With --good older than --bad it
 * ends on the first bad commit; swapped, on the first fixed one. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bisect/bisect.h"
#include "cli/kit/ctl_cli.h"

#define BISECT_MAX_CRASHES 3	/* runs at one commit that did not run: skip it */

typedef struct options {
	char *good, *bad, *klass, *src, *driver, *work_dir, *suite, *extra, *timeout, *html, *replay;
	int runs, readers, clients, build_timeout;
	double confidence, storm, duration;
	gint64 seed;
	char *pnp, *mute;
	gboolean json, quiet;
} options;

/* --suite presets: the 2018 race's pairs (each monitor a process of its
 * own, as a separate application), or a storm cell: a mute card, INFINITE
 * waits with the PnP entry, where pcsc-lite 2.3 and 2.5 lose wakeups and
 * 2.5 shows its state classes, with 8 readers and 16 monitors (15 readers
 * and 32 monitors leave 2.5's first call unanswered, and the run stops). */
static bool apply_suite(options *o)
{
	const char *s = o->suite ? o->suite : "storm";
	if (strcmp(s, "pairs") == 0) {
		o->readers = o->readers ? o->readers : 4;
		o->clients = o->clients ? o->clients : 4;
		o->storm = o->storm >= 0 ? o->storm : 0;
		o->extra = o->extra ? o->extra : g_strdup("--processes --control-pairs 6");
	} else if (strcmp(s, "storm") == 0) {
		o->readers = o->readers ? o->readers : 8;
		o->clients = o->clients ? o->clients : 16;
		o->storm = o->storm >= 0 ? o->storm : 50;
	} else
		return false;
	o->timeout = o->timeout ? o->timeout : g_strdup("inf");
	o->pnp = o->pnp ? o->pnp : g_strdup("yes");
	o->mute = o->mute ? o->mute : g_strdup("yes");
	return true;
}

static int parse(int *argc, char ***argv, options *o)
{
	const GOptionEntry entries[] = {
		{ "good", 0, 0, G_OPTION_ARG_STRING, &o->good,
		  "a commit or tag without the class", "REF" },
		{ "bad", 0, 0, G_OPTION_ARG_STRING, &o->bad, "a commit or tag with it", "REF" },
		{ "class", 0, 0, G_OPTION_ARG_STRING, &o->klass,
		  "the checker's anomaly class: lost, phantom, \"state UNKNOWN\", \"cancel ignored\", "
		  "\"error SCARD_E_UNKNOWN_READER\", crash, ...", "CLASS" },
		{ "runs", 0, 0, G_OPTION_ARG_INT, &o->runs,
		  "runs at the bad end, to measure how often it shows the class (default 3)", "N" },
		{ "confidence", 0, 0, G_OPTION_ARG_DOUBLE, &o->confidence,
		  "each good verdict's confidence (default 0.95)", "P" },
		{ "suite", 0, 0, G_OPTION_ARG_STRING, &o->suite,
		  "pairs (the 2018 race's stimulus, monitors as processes) or storm (a matrix cell: "
		  "8 readers, 16 monitors, 50 edges/s, INFINITE, PnP, a mute card); default storm",
		  "NAME" },
		{ "readers", 0, 0, G_OPTION_ARG_INT, &o->readers, "the run's readers", "N" },
		{ "clients", 0, 0, G_OPTION_ARG_INT, &o->clients, "the run's monitors", "M" },
		{ "storm", 0, 0, G_OPTION_ARG_DOUBLE, &o->storm, "the run's storm rate", "RATE" },
		{ "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o->duration,
		  "the run's storm seconds (default 20)", "S" },
		{ "timeout-ms", 0, 0, G_OPTION_ARG_STRING, &o->timeout, "inf or 500", "inf|500" },
		{ "pnp", 0, 0, G_OPTION_ARG_STRING, &o->pnp, "yes or no", "yes|no" },
		{ "mute", 0, 0, G_OPTION_ARG_STRING, &o->mute, "a mute card: yes or no", "yes|no" },
		{ "check-args", 0, 0, G_OPTION_ARG_STRING, &o->extra,
		  "more check-events arguments, space-separated", "ARGS" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "the first run's seed (default 1)", "N" },
		{ "src", 0, 0, G_OPTION_ARG_FILENAME, &o->src,
		  "pcsc-lite's history (as ccidlab mkroot --pcsc-lite --src)", "REPO" },
		{ "build-timeout", 0, 0, G_OPTION_ARG_INT, &o->build_timeout,
		  "bound of each build (default mkroot's, 1800 s)", "S" },
		{ "driver", 'D', 0, G_OPTION_ARG_FILENAME, &o->driver,
		  "the driver the labs load (default: as ccidlab lab)", "PATH" },
		{ "work-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->work_dir,
		  "where the confs and pcscd logs go (default: a new dir in /tmp, kept)", "DIR" },
		{ "html", 0, 0, G_OPTION_ARG_FILENAME, &o->html,
		  "also write the steps as one self-contained HTML page", "FILE" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o->json, "the result as one JSON object", NULL },
		{ "replay", 0, 0, G_OPTION_ARG_FILENAME, &o->replay,
		  "print (and with --html, draw) the result of an earlier --json, running nothing",
		  "FILE" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "no step lines on stderr", NULL },
		{ NULL },
	};
	const cli_grammar g = {
		"bisect", "- find the commit of an anomaly class",
		"Builds pcsc-lite at the commits between --good and --bad (ccidlab mkroot\n"
		"--pcsc-lite) and runs the checker in each, to name the first commit that\n"
		"shows CLASS, or with the ends swapped the first that no longer does.  A\n"
		"commit is bad at its first occurrence of the class, good after enough\n"
		"clean runs for --confidence given the rate at the bad end.  Builds and runs\n"
		"are cached: an interrupted bisect resumes.  See ccidlab(1).",
		NULL,
	};
	int rc = cli_options_parse(&g, entries, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	if (o->replay != NULL && *argc == 1)
		return -1;
	if (*argc != 1 || o->good == NULL || o->bad == NULL || o->klass == NULL ||
	    !apply_suite(o) || o->runs < 1 || o->runs > 100 || !(o->confidence > 0.5) ||
	    !(o->confidence < 1) || o->readers < 1 || o->readers > 64 || o->clients < 1 ||
	    o->clients > 256 || o->storm < 0 || !(o->duration > 0) || o->duration > 3600 ||
	    o->seed < 0 || o->seed > G_MAXUINT32 / 2 || o->build_timeout < 0 ||
	    (strcmp(o->timeout, "inf") != 0 && strcmp(o->timeout, "500") != 0) ||
	    (strcmp(o->pnp, "yes") != 0 && strcmp(o->pnp, "no") != 0) ||
	    (strcmp(o->mute, "yes") != 0 && strcmp(o->mute, "no") != 0))
		return cli_usage("bisect", "bad arguments: --good REF --bad REF --class CLASS "
					   "[--runs 1..100] [--confidence 0.5<P<1] "
					   "[--suite pairs|storm] (try --help)");
	return -1;
}

/* ---- judging one commit ---- */

typedef struct search {
	const bisect_env *env;
	bisect_result *r;
	unsigned step;
} search;

static void say_step(const search *s, const bisect_point *p)
{
	if (!s->env->quiet)
		bisect_print_step(stderr, s->r, p);
}

/* Runs at p until a verdict: bad at the first run that shows the class,
 * good after m clean runs (cached runs count), skip when it does not
 * build or does not run (BISECT_MAX_CRASHES runs that reached no report:
 * pcscd served fewer readers than asked, died, or left a call unanswered). */
static bisect_verdict judge(search *s, bisect_point *p, unsigned clean_needed)
{
	const char *k = s->r->klass;
	if (!bisect_build(s->env, p)) {
		p->verdict = BISECT_SKIP;
		return p->verdict;
	}
	unsigned clean = 0, crashes = 0;
	for (guint i = 0;; i++) {
		const bisect_run *run =
			i < p->runs->len ? g_ptr_array_index(p->runs, i) : bisect_run_once(s->env, p);
		if (bisect_run_judges(run, k)) {
			if (bisect_run_count(run, k) > 0)
				return p->verdict = BISECT_BAD;
			if (++clean >= clean_needed)
				return p->verdict = BISECT_GOOD;
		} else if (++crashes >= BISECT_MAX_CRASHES) {
			return p->verdict = BISECT_SKIP;
		}
	}
}

/* The bad end's rate: runs until --runs of them judged the class. */
static bool measure_bad_end(search *s, bisect_point *p, unsigned want, GError **error)
{
	const char *k = s->r->klass;
	if (!bisect_build(s->env, p)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the bad end %s does not build: %s",
			    p->commit->describe, p->build_log);
		return false;
	}
	unsigned judged = 0, hits = 0, crashes = 0;
	for (guint i = 0; judged < want; i++) {
		const bisect_run *run =
			i < p->runs->len ? g_ptr_array_index(p->runs, i) : bisect_run_once(s->env, p);
		if (!g_hash_table_contains(run->counts, k) && strcmp(run->outcome, "ran") == 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "the checker has no class \"%s\" (see ccidlab bisect --help)", k);
			return false;
		}
		if (!bisect_run_judges(run, k)) {
			if (++crashes >= BISECT_MAX_CRASHES) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "the bad end %s does not run (%s)", p->commit->describe,
					    run->outcome);
				return false;
			}
			continue;
		}
		judged++;
		hits += bisect_run_count(run, k) > 0;
	}
	s->r->bad_runs = judged;
	s->r->bad_hits = hits;
	if (hits == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "the bad end %s showed no \"%s\" in %u runs: nothing to bisect (a longer "
			    "run, another --suite, or more --runs)",
			    p->commit->describe, k, judged);
		return false;
	}
	p->verdict = BISECT_BAD;
	return true;
}

/* The unjudged commit strictly inside (lo, hi) nearest the middle. */
static int pick(const bisect_result *r, int lo, int hi)
{
	int mid = lo + (hi - lo) / 2;
	for (int d = 0; d < hi - lo; d++)
		for (int sign = 0; sign < 2; sign++) {
			int i = sign ? mid + d : mid - d;
			if (i <= lo || i >= hi)
				continue;
			const bisect_point *p = g_ptr_array_index(r->points, i);
			if (p->verdict == BISECT_UNJUDGED)
				return i;
		}
	return -1;
}

static void run_search(search *s)
{
	bisect_result *r = s->r;
	bisect_verdict old_v = r->fixed ? BISECT_BAD : BISECT_GOOD;
	int lo = 0, hi = (int)r->points->len - 1;
	for (int i; (i = pick(r, lo, hi)) >= 0;) {
		bisect_point *p = g_ptr_array_index(r->points, i);
		p->step = ++s->step;
		bisect_verdict v = judge(s, p, r->clean_runs);
		g_ptr_array_add(r->steps, p);
		say_step(s, p);
		if (v == old_v)
			lo = i;
		else if (v != BISECT_SKIP)
			hi = i;
	}
	r->lo = lo;
	r->hi = hi;
	/* Skipped commits only between lo and hi: the answer is one of them
	 * and hi; else hi itself. */
	r->answer = hi;
	for (int i = lo + 1; i < hi; i++)
		if (((bisect_point *)g_ptr_array_index(r->points, i))->verdict == BISECT_SKIP)
			r->answer = -1;
	/* The answer is wrong if any commit between the ends that was judged
	 * good was bad after all (bad verdicts are certain; the ends are the
	 * premise, checked before the search). */
	r->answer_confidence = 1;
	for (guint i = 0; i < r->steps->len; i++) {
		const bisect_point *p = g_ptr_array_index(r->steps, i);
		if (p->step > 0 && p->verdict == BISECT_GOOD)
			r->answer_confidence *= 1 - bisect_miss(r->rate, r->clean_runs);
	}
}

/* ---- setting up ---- */

static char *suite_key(const char *label)
{
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA1, label, -1);
	return g_strndup(sum, 16);
}

static bool setup(bisect_env *env, options *o, bisect_result *r, GError **error)
{
	g_autofree char *good = NULL, *bad = NULL;
	if (!bisect_resolve(env, o->good, &good, error) || !bisect_resolve(env, o->bad, &bad, error))
		return false;
	r->fixed = bisect_is_ancestor(env->gitdir, bad, good) && strcmp(good, bad) != 0;
	g_autoptr(GPtrArray) commits = r->fixed ? bisect_commits(env->gitdir, bad, good, error)
						: bisect_commits(env->gitdir, good, bad, error);
	if (commits == NULL)
		return false;
	if (commits->len < 2) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--good and --bad are the same commit");
		return false;
	}
	for (guint i = 0; i < commits->len; i++) {
		bisect_point *p = g_new0(bisect_point, 1);
		p->commit = g_ptr_array_index(commits, i);
		bisect_load_runs(env, p);
		g_ptr_array_add(r->points, p);
	}
	/* The points own the commits now. */
	g_ptr_array_set_free_func(commits, NULL);
	return true;
}

static void result_clear(bisect_result *r)
{
	for (guint i = 0; r->points != NULL && i < r->points->len; i++) {
		bisect_point *p = g_ptr_array_index(r->points, i);
		bisect_commit_free(p->commit);
		bisect_point_free(p);
	}
	g_clear_pointer(&r->points, g_ptr_array_unref);
	g_clear_pointer(&r->steps, g_ptr_array_unref);
	g_free(r->error);
}

static void options_clear(options *o)
{
	g_free(o->good), g_free(o->bad), g_free(o->klass), g_free(o->src), g_free(o->driver);
	g_free(o->work_dir), g_free(o->suite), g_free(o->extra), g_free(o->timeout);
	g_free(o->html), g_free(o->pnp), g_free(o->mute), g_free(o->replay);
}

/* Measures both ends and searches between them. */
static void bisect_ends(search *s, options *o)
{
	bisect_result *r = s->r;
	g_autoptr(GError) e = NULL;
	bisect_point *older = g_ptr_array_index(r->points, 0);
	bisect_point *newer = g_ptr_array_index(r->points, r->points->len - 1);
	bisect_point *bad = r->fixed ? older : newer, *good = r->fixed ? newer : older;
	if (!measure_bad_end(s, bad, (unsigned)o->runs, &e)) {
		r->error = g_strdup(e->message);
		return;
	}
	r->rate = bisect_rate(r->bad_hits, r->bad_runs);
	r->clean_runs = bisect_clean_runs(r->rate, r->confidence);
	g_ptr_array_add(r->steps, bad);
	say_step(s, bad);
	if (judge(s, good, r->clean_runs) != BISECT_GOOD) {
		g_ptr_array_add(r->steps, good);
		say_step(s, good);
		r->error = g_strdup_printf("the good end %s is not good for \"%s\" (%s)",
					   good->commit->describe, r->klass,
					   bisect_verdict_name(good->verdict));
		return;
	}
	g_ptr_array_add(r->steps, good);
	say_step(s, good);
	run_search(s);
}

/* Writes what the options ask of a finished result. */
static void report(const options *o, const bisect_result *r)
{
	if (o->json)
		bisect_report_json(stdout, r);
	else
		bisect_report_text(stdout, r);
	g_autoptr(GError) he = NULL;
	if (o->html != NULL && !bisect_report_html(o->html, r, &he))
		fprintf(stderr, "ccidlab bisect: --html %s: %s\n", o->html, he->message);
}

static int replay(const options *o)
{
	bisect_result r = { .answer = -1, .points = g_ptr_array_new(), .steps = g_ptr_array_new() };
	g_autoptr(GError) e = NULL;
	if (!bisect_result_load(o->replay, &r, &e)) {
		fprintf(stderr, "ccidlab bisect: --replay: %s\n", e->message);
		result_clear(&r);
		return CLI_EXIT_USAGE;
	}
	report(o, &r);
	int rc = r.error == NULL && r.answer >= 0 ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
	result_clear(&r);
	return rc;
}

int bisect_main(int argc, char **argv)
{
	options o = { .runs = 3, .confidence = 0.95, .storm = -1, .duration = 20, .seed = 1 };
	int rc = parse(&argc, &argv, &o);
	if (rc >= 0) {
		options_clear(&o);
		return rc;
	}
	if (o.replay != NULL) {
		rc = replay(&o);
		options_clear(&o);
		return rc;
	}
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	const char *cache_root = g_getenv("CCIDLAB_ROOT_CACHE");
	matrix_spec spec = { (unsigned)o.readers, (unsigned)o.clients, o.storm,
			     strcmp(o.timeout, "inf") == 0, strcmp(o.pnp, "yes") == 0,
			     strcmp(o.mute, "yes") == 0, o.extra };
	g_autofree char *label = matrix_spec_label(&spec);
	g_autofree char *full_label = g_strdup_printf("%s, %g s", label, o.duration);
	g_autofree char *key = suite_key(full_label);
	bisect_env env = { .self = self, .src = o.src, .driver = o.driver, .spec = spec,
			   .spec_label = full_label, .duration_s = o.duration,
			   .seed = (guint32)o.seed, .build_timeout_s = (unsigned)o.build_timeout,
			   .quiet = o.quiet };
	env.cache = g_strdup_printf("%s/bisect/%s", cache_root ? cache_root : "/var/cache/ccidlab/roots",
				    key);
	g_autoptr(GError) e = NULL;
	env.work_dir = o.work_dir ? g_strdup(o.work_dir) : g_dir_make_tmp("ccidlab-bisect-XXXXXX", &e);
	bisect_result r = { .klass = o.klass, .confidence = o.confidence, .answer = -1,
			    .points = g_ptr_array_new(), .steps = g_ptr_array_new() };
	search s = { .env = &env, .r = &r };
	gint64 t0 = g_get_monotonic_time();
	if (self == NULL || env.work_dir == NULL)
		r.error = g_strdup("cannot find my own executable or make a work dir");
	else if (!setup(&env, &o, &r, &e))
		r.error = g_strdup(e->message);
	else {
		if (!o.quiet)
			fprintf(stderr,
				"bisect: \"%s\" over %u commits (%s), suite \"%s\"; runs cached in %s, "
				"logs in %s\n",
				o.klass, r.points->len, r.fixed ? "looking for the fix" : "looking for the cause",
				full_label, env.cache, env.work_dir);
		bisect_ends(&s, &o);
	}
	r.wall_s = (g_get_monotonic_time() - t0) / 1e6;
	report(&o, &r);
	rc = r.error == NULL && r.answer >= 0 ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
	result_clear(&r);
	g_free(env.gitdir);
	g_free(env.cache);
	g_free(env.work_dir);
	options_clear(&o);
	return rc;
}
