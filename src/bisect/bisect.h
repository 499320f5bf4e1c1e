/* ccidlab — `ccidlab bisect`: the commit of pcsc-lite that brought an
 * anomaly class in (or took it out), over builds of every commit in
 * between (`ccidlab mkroot --pcsc-lite`), each judged by runs of the
 * checker in its own root.
 *
 * bisect_stats.c holds the statistics (pure), bisect_git.c the commit
 * list, bisect_runs.c the builds and the runs with their cache,
 * bisect.c the options and the search, bisect_report.c what it prints. */
#ifndef CCIDLAB_BISECT_BISECT_H
#define CCIDLAB_BISECT_BISECT_H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "check/matrix.h"
#include "report/json_member.h"

int bisect_main(int argc, char **argv);

/* ---- statistics (bisect_stats.c, pure) ----
 *
 * The classes are intermittent.  A commit is bad at the first run that
 * shows the class (the checker has no false positives on a commit that
 * lacks the bug: the good end is run first to make sure).  A clean run
 * proves little, so a commit is good only after m clean runs in a row,
 * with m the least number for which a bad commit would have shown the
 * class at least once with probability P.  The per-run probability p
 * that a bad commit shows it comes from the bad end: k of n runs showed
 * it, and p = (k + 1) / (n + 2) (Laplace's rule of succession: never 1,
 * so that a few lucky runs do not make one clean run count as proof). */

/* p from k of n runs at the bad end. */
double bisect_rate(unsigned k, unsigned n);
/* The clean runs that make a commit good at confidence P given p:
 * the least m with (1 - p)^m <= 1 - P; 0 when p or P is out of range. */
unsigned bisect_clean_runs(double p, double confidence);
/* The probability that m clean runs at a bad commit were all clean. */
double bisect_miss(double p, unsigned m);

typedef enum bisect_verdict {
	BISECT_UNJUDGED = 0,
	BISECT_GOOD,
	BISECT_BAD,
	BISECT_SKIP,		/* does not build, or does not run */
} bisect_verdict;

const char *bisect_verdict_name(bisect_verdict v);

/* ---- commits (bisect_git.c) ---- */

typedef struct bisect_commit {
	char *id;		/* 40 hex */
	char *describe;		/* "1.8.23-15-g984f84d" */
	char *subject;
} bisect_commit;

/* The first-parent line from `from` to `to` (both included, oldest
 * first), in the history at gitdir; NULL with error when `from` is not an
 * ancestor of `to`. */
GPtrArray *bisect_commits(const char *gitdir, const char *from, const char *to, GError **error);
/* Whether a is an ancestor of b. */
bool bisect_is_ancestor(const char *gitdir, const char *a, const char *b);
void bisect_commit_free(bisect_commit *c);

/* ---- builds and runs (bisect_runs.c) ---- */

typedef struct bisect_run {
	char *outcome;		/* matrix cell outcome: "ran", "crash", ... */
	double wall_s;
	GHashTable *counts;	/* class name -> guint64 count (as pointer) */
} bisect_run;

typedef struct bisect_point {
	bisect_commit *commit;
	char *root;		/* its root, NULL until built */
	bool build_failed;
	char *build_log;
	GPtrArray *runs;	/* bisect_run*, cached ones first */
	bisect_verdict verdict;
	unsigned step;		/* when it was judged, 0: an end */
} bisect_point;

typedef struct bisect_env {
	const char *self;	/* this ccidlab */
	const char *src;	/* --src as given, or NULL */
	char *gitdir;		/* the history, resolved */
	char *cache;		/* runs: CACHE/bisect/SUITE-KEY/COMMIT.json */
	const char *driver;
	matrix_spec spec;	/* one run = one cell of the matrix */
	char *spec_label;
	double duration_s;
	guint32 seed;
	unsigned build_timeout_s;
	char *work_dir;
	bool quiet;
} bisect_env;

/* The history's git directory and a ref's commit, from `ccidlab mkroot
 * --pcsc-lite REF --print-src` (which unpacks a tarball --src once). */
bool bisect_resolve(bisect_env *e, const char *ref, char **commit, GError **error);
/* Builds (or reuses) the point's root; false when it does not build. */
bool bisect_build(const bisect_env *e, bisect_point *p);
/* The cached runs of this suite at this commit. */
void bisect_load_runs(const bisect_env *e, bisect_point *p);
/* One more run at the point (its root built), appended and cached at once. */
bisect_run *bisect_run_once(const bisect_env *e, bisect_point *p);
guint64 bisect_run_count(const bisect_run *r, const char *klass);
/* A run's record (counts empty), and handing it to a point. */
bisect_run *bisect_run_new(const char *outcome, double wall_s);
void bisect_point_take_run(bisect_point *p, bisect_run *r);
/* Whether the run says anything about the class: it ran to its report
 * (a crash says only "crash"). */
bool bisect_run_judges(const bisect_run *r, const char *klass);
void bisect_point_free(bisect_point *p);

/* ---- the search's record (bisect.c fills it, bisect_report.c prints) ---- */

typedef struct bisect_result {
	const char *klass;
	double confidence;	/* per good verdict */
	unsigned bad_runs, bad_hits;	/* at the bad end */
	double rate;		/* p */
	unsigned clean_runs;	/* m */
	bool fixed;		/* looking for the first good commit after bad ones */
	GPtrArray *points;	/* bisect_point*, oldest first */
	GPtrArray *steps;	/* bisect_point*, in the order judged */
	int answer;		/* index into points, -1: none */
	int lo, hi;		/* the last interval (several candidates when skipped) */
	double answer_confidence;	/* product over the good verdicts */
	double wall_s;
	char *error;		/* why it stopped without an answer */
} bisect_result;

void bisect_print_step(FILE *out, const bisect_result *r, const bisect_point *p);
void bisect_report_text(FILE *out, const bisect_result *r);
/* The JSON report's "schema" (ccidlab(1), OUTPUT). */
#define BISECT_REPORT_SCHEMA "ccidlab-bisect/1"
void bisect_report_json(FILE *out, const bisect_result *r);
/* A result printed with --json, read back (bisect_replay.c): for its text
 * and its page without running anything again. */
bool bisect_result_load(const char *path, bisect_result *r, GError **error);
/* The result as one self-contained HTML page (bisect_html.c). */
bool bisect_report_html(const char *path, const bisect_result *r, GError **error);

#endif
