/* ccidlab — the progress line of matrix, bench and check-events
 * (src/cli/kit/progress.c): "k/N", the ETA from the steps done, a line
 * per step in a log, one rewritten line on a terminal. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli/kit/progress.h"

/* Runs steps 0..n on a progress writing to a memory stream. */
static char *lines(bool tty, unsigned n, bool quiet)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	cli_progress *p = cli_progress_new(f, tty, "matrix", n, quiet);
	cli_progress_step(p, 0, "start");
	for (unsigned k = 1; k <= n; k++) {
		g_autofree char *what = g_strdup_printf("cell %u", k);
		cli_progress_step(p, k, what);
	}
	cli_progress_free(p);
	fclose(f);
	return buf;
}

static void test_log_gets_k_of_n_lines_ending_with_the_last(void)
{
	g_autofree char *out = lines(false, 3, false);
	/* Fast steps: the first line, then at most one a second, and the
	 * last always. */
	g_assert_true(g_str_has_prefix(out, "matrix: 0/3, ETA ?: start\n"));
	g_assert_nonnull(strstr(out, "matrix: 3/3, ETA 0s: cell 3\n"));
	g_assert_null(strchr(out, '\r'));
}

static void test_terminal_line_is_rewritten_then_ended(void)
{
	g_autofree char *out = lines(true, 2, false);
	g_assert_cmpstr(out, ==, "\r\033[Kmatrix: 0/2, ETA ?: start"
				 "\r\033[Kmatrix: 1/2, ETA 0s: cell 1"
				 "\r\033[Kmatrix: 2/2, ETA 0s: cell 2\n");
}

static void test_quiet_prints_nothing(void)
{
	g_autofree char *out = lines(false, 3, true);
	g_assert_cmpstr(out, ==, "");
}

static void test_eta_is_mean_step_time_times_steps_left(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	cli_progress *p = cli_progress_new(f, false, "bench", 4, false);
	g_usleep(300 * 1000);
	cli_progress_step(p, 1, NULL);
	cli_progress_free(p);
	fclose(f);
	/* One step took >= 0.3 s: three left, >= 0.9 s, printed rounded. */
	unsigned k, n, eta;
	g_assert_cmpint(sscanf(buf, "bench: %u/%u, ETA %us\n", &k, &n, &eta), ==, 3);
	g_assert_cmpuint(k, ==, 1);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpuint(eta, >=, 1);
	free(buf);
}

static void test_eta_format(void)
{
	char b[32];
	cli_progress_format_eta(-1, b, sizeof b);
	g_assert_cmpstr(b, ==, "?");
	cli_progress_format_eta(42.4, b, sizeof b);
	g_assert_cmpstr(b, ==, "42s");
	cli_progress_format_eta(185, b, sizeof b);
	g_assert_cmpstr(b, ==, "3m05s");
	cli_progress_format_eta(3720, b, sizeof b);
	g_assert_cmpstr(b, ==, "1h02m");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/progress/log-gets-k-of-n-lines-ending-with-the-last",
			test_log_gets_k_of_n_lines_ending_with_the_last);
	g_test_add_func("/cli/progress/terminal-line-is-rewritten-then-ended",
			test_terminal_line_is_rewritten_then_ended);
	g_test_add_func("/cli/progress/quiet-prints-nothing", test_quiet_prints_nothing);
	g_test_add_func("/cli/progress/eta-is-mean-step-time-times-steps-left",
			test_eta_is_mean_step_time_times_steps_left);
	g_test_add_func("/cli/progress/eta-format", test_eta_format);
	return g_test_run();
}
