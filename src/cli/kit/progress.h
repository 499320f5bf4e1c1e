/* ccidlab — the progress line of the long runs (matrix, bench,
 * check-events): "WHO: k/N, ETA 1m20s: WHAT" on stderr, never on stdout,
 * so that --json output stays one document.
 *
 * The ETA is the mean time of the steps done so far times the steps left:
 * it is "?" until the first step is done.  On a terminal the line is
 * rewritten in place (cli_progress_end ends it); elsewhere (a log, a
 * pipe) each step gets a line of its own, at most one a second apart
 * for fast steps (the last step's line is always printed). */
#ifndef CCIDLAB_CLI_KIT_PROGRESS_H
#define CCIDLAB_CLI_KIT_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

typedef struct cli_progress cli_progress;

/* A progress of total steps for who ("matrix"); quiet: prints nothing.
 * out is the stream (stderr but in the unit tests); tty: whether it is a
 * terminal (the caller asks isatty). */
cli_progress *cli_progress_new(FILE *out, bool tty, const char *who, unsigned total, bool quiet);
/* On stderr, a terminal when isatty(2) says so. */
cli_progress *cli_progress_stderr(const char *who, unsigned total, bool quiet);
/* done steps of total are done now (done <= total); what says which,
 * or NULL. */
void cli_progress_step(cli_progress *p, unsigned done, const char *what);
/* count more steps are done. */
void cli_progress_add(cli_progress *p, unsigned count, const char *what);
/* The N of k/N. */
unsigned cli_progress_total(const cli_progress *p);
/* Ends a terminal's line (a newline after the last rewrite). */
void cli_progress_end(cli_progress *p);
/* Ends the line and frees; accepts NULL. */
void cli_progress_free(cli_progress *p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cli_progress, cli_progress_free)

/* "1h02m", "3m05s", "42s": the ETA as the line prints it. */
void cli_progress_format_eta(double seconds, char *buf, size_t size);

#endif
