/* ccidlab — `ccidlab matrix`: the checker's storm suite against each
 * pcsc-lite at hand (the host's, and each --root), each cell in its own
 * lab, reported side by side.
 *
 * matrix.c holds the options and the suites, matrix_cell.c runs one cell
 * (a lab around `ccidlab check-events --json`) and reads its report,
 * matrix_report.c adds the cells up per version and prints the table. */
#ifndef CCIDLAB_CHECK_MATRIX_H
#define CCIDLAB_CHECK_MATRIX_H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cli/kit/progress.h"

int matrix_main(int argc, char **argv);

/* The JSON report's "schema" (ccidlab(1), OUTPUT). */
#define MATRIX_REPORT_SCHEMA "ccidlab-matrix/1"

/* One point of the suite's axes. */
typedef struct matrix_spec {
	unsigned readers;	/* 4, 8, 15, 32, 64 */
	unsigned clients;	/* monitor threads: 4, 16, 32 */
	double rate;		/* storm edges/s: ~50, ~300 */
	bool infinite;		/* INFINITE, else a 500 ms timeout */
	bool pnp;		/* the PnP entry in every reader-state array */
	bool mute;		/* a present-but-mute card in one reader */
	const char *extra;	/* more check-events arguments, space-separated, or NULL */
} matrix_spec;

/* "r15 m32 300/s inf pnp mute" (and " + EXTRA") */
char *matrix_spec_label(const matrix_spec *s);

/* One class row of a version, summed over its cells. */
typedef struct matrix_row {
	char *name;
	bool asserted;
	guint64 count;
	/* The first cell where it occurred, and that cell's example. */
	char *cell;
	char *detail;
	GPtrArray *timeline;	/* char* */
	char *what;		/* the checker's line on the class, or NULL */
	JsonNode *figure;	/* that cell's figure of it (--html), or NULL */
} matrix_row;

/* The checker's latency histogram buckets (CHECK_HIST_N). */
#define MATRIX_HIST_N 14

/* A pcsc-lite under test: the host's, or a root's. */
typedef struct matrix_version {
	char *root;		/* NULL: the host */
	char *version;		/* "1.9.9", or "?" */
	unsigned max_readers;	/* PCSCLITE_MAX_READERS_CONTEXTS; 0: no limit known */
	char *dir;		/* work dir: confs and pcscd logs */
	GPtrArray *rows;	/* matrix_row, the checker's order, then "crash" */
	guint64 calls, listings, edges;
	double duration_s;	/* observation time summed over the cells */
	double wall_s;		/* the version's wall-clock time */
	unsigned cells_run, cells_na;
	GPtrArray *cells;	/* JsonObject*: one summary per cell */
	guint64 hist[2][MATRIX_HIST_N];	/* edge to wakeup, event and polling-only */
} matrix_version;

typedef struct matrix_run {
	const char *self;	/* this ccidlab, for host labs */
	const char *driver;	/* --driver for the labs, or NULL */
	double duration_s;	/* each cell's storm */
	guint32 seed;
	bool quiet;
	cli_progress *progress;	/* k/N over every version's cells, on stderr */
} matrix_run;

/* Reads the version and its reader limit from `pcscd -v` in a lab. */
bool matrix_probe(const matrix_run *run, matrix_version *v, GError **error);
/* Runs one cell and adds it to the version. */
void matrix_cell_run(const matrix_run *run, matrix_version *v, const matrix_spec *s,
		     unsigned index);

matrix_version *matrix_version_new(const char *root, const char *dir);
void matrix_version_free(matrix_version *v);
matrix_row *matrix_row_get(matrix_version *v, const char *name, bool asserted);
/* The row of cells whose first SCardGetStatusChange pcscd never answered. */
#define MATRIX_ROW_UNANSWERED "first call unanswered (10 s)"
/* Adds a crash (pcscd died, the checker crashed or hung) for a cell. */
void matrix_note_crash(matrix_version *v, const char *cell, const char *detail);
/* Zero on every version for what must hold everywhere. */
bool matrix_version_pass(const matrix_version *v);

void matrix_report_text(FILE *out, GPtrArray *versions, const char *suite, double wall_s);
void matrix_report_json(FILE *out, GPtrArray *versions, const char *suite, double wall_s);
/* The JSON report as a node (matrix_report_json prints it). */
JsonNode *matrix_report_node(GPtrArray *versions, const char *suite, double wall_s);
/* --html (matrix_html.c): the table side by side, then per version its
 * histograms and a figure of each class that occurred. */
bool matrix_report_html(const char *path, GPtrArray *versions, const char *suite, double wall_s,
			GError **error);

#endif
