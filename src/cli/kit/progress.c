/* ccidlab — the progress line of the long runs: see progress.h. */
#include "config.h"

#include <unistd.h>

#include <glib.h>

#include "cli/kit/progress.h"

/* A log gets at most one line a second from fast steps. */
#define LOG_INTERVAL_US G_USEC_PER_SEC

struct cli_progress {
	FILE *out;
	bool tty, quiet, open;	/* open: a terminal line waits for its newline */
	char *who;
	unsigned total, done;	/* done: the last step's count */
	unsigned last;		/* the count of the last line printed */
	gint64 t0, last_line;
};

cli_progress *cli_progress_new(FILE *out, bool tty, const char *who, unsigned total, bool quiet)
{
	cli_progress *p = g_new0(cli_progress, 1);
	p->out = out;
	p->tty = tty;
	p->quiet = quiet || total == 0;
	p->who = g_strdup(who);
	p->total = total;
	p->t0 = g_get_monotonic_time();
	p->last_line = -1;
	return p;
}

cli_progress *cli_progress_stderr(const char *who, unsigned total, bool quiet)
{
	return cli_progress_new(stderr, isatty(STDERR_FILENO) == 1, who, total, quiet);
}

void cli_progress_format_eta(double seconds, char *buf, size_t size)
{
	if (seconds < 0 || seconds > 1e7) {
		g_strlcpy(buf, "?", size);
		return;
	}
	unsigned long s = (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		g_snprintf(buf, size, "%luh%02lum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		g_snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
	else
		g_snprintf(buf, size, "%lus", s);
}

void cli_progress_step(cli_progress *p, unsigned done, const char *what)
{
	if (p == NULL)
		return;
	p->done = MIN(done, p->total);
	if (p->quiet)
		return;
	done = p->done;
	gint64 now = g_get_monotonic_time();
	/* A log: a line when the count moved, and not faster than one a
	 * second unless it is the last. */
	if (!p->tty && (done == p->last && p->last_line >= 0))
		return;
	if (!p->tty && p->last_line >= 0 && done < p->total &&
	    now - p->last_line < LOG_INTERVAL_US)
		return;
	p->last = done;
	p->last_line = now;
	char eta[32];
	double elapsed = (now - p->t0) / 1e6;
	cli_progress_format_eta(done == 0 ? -1.0 : elapsed / done * (p->total - done), eta,
				sizeof eta);
	fprintf(p->out, "%s%s: %u/%u, ETA %s%s%s%s", p->tty ? "\r\033[K" : "", p->who, done,
		p->total, eta, what ? ": " : "", what ? what : "", p->tty ? "" : "\n");
	p->open = p->tty;
	fflush(p->out);
}

void cli_progress_add(cli_progress *p, unsigned count, const char *what)
{
	if (p != NULL)
		cli_progress_step(p, p->done + count, what);
}

unsigned cli_progress_total(const cli_progress *p)
{
	return p->total;
}

void cli_progress_end(cli_progress *p)
{
	if (p == NULL || !p->open)
		return;
	fputc('\n', p->out);
	fflush(p->out);
	p->open = false;
}

void cli_progress_free(cli_progress *p)
{
	if (p == NULL)
		return;
	cli_progress_end(p);
	g_free(p->who);
	g_free(p);
}
