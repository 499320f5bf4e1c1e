/* ccidlab bisect's statistics (src/bisect/bisect_stats.c): the rate at the
 * bad end by the rule of succession, and the clean runs that make a commit
 * good at a confidence, checked against values worked by hand. */
#include "config.h"

#include <math.h>

#include "bisect/bisect.h"

static void rate_is_never_certain(void)
{
	g_assert_cmpfloat_with_epsilon(bisect_rate(3, 3), 0.8, 1e-12);
	g_assert_cmpfloat_with_epsilon(bisect_rate(0, 3), 0.2, 1e-12);
	g_assert_cmpfloat_with_epsilon(bisect_rate(1, 1), 2.0 / 3.0, 1e-12);
	g_assert_cmpfloat(bisect_rate(100, 100), <, 1.0);
	g_assert_cmpfloat(bisect_rate(4, 3), ==, 0); /* more hits than runs: nonsense */
}

static void clean_runs_reach_the_confidence(void)
{
	/* p = 0.8: 0.2^1 = 0.2 > 0.05, 0.2^2 = 0.04 <= 0.05: 2 runs. */
	g_assert_cmpuint(bisect_clean_runs(0.8, 0.95), ==, 2);
	/* p = 0.5: 0.5^4 = 0.0625, 0.5^5 = 0.031: 5 runs at 0.95; 0.5^2 is
	 * exactly 0.25: 2 runs at 0.75, not 3. */
	g_assert_cmpuint(bisect_clean_runs(0.5, 0.95), ==, 5);
	g_assert_cmpuint(bisect_clean_runs(0.5, 0.75), ==, 2);
	/* p = 0.2 (1 hit in 3 runs... of 8): 0.8^14 = 0.044. */
	g_assert_cmpuint(bisect_clean_runs(0.2, 0.95), ==, 14);
	g_assert_cmpuint(bisect_clean_runs(0.99, 0.9), ==, 1);
	for (double p = 0.05; p < 1; p += 0.05)
		for (double c = 0.6; c < 0.995; c += 0.05) {
			unsigned m = bisect_clean_runs(p, c);
			g_assert_cmpfloat(bisect_miss(p, m), <=, 1 - c + 1e-12);
			if (m > 1)
				g_assert_cmpfloat(bisect_miss(p, m - 1), >, 1 - c);
		}
}

static void out_of_range_gives_no_run_count(void)
{
	g_assert_cmpuint(bisect_clean_runs(0, 0.95), ==, 0);
	g_assert_cmpuint(bisect_clean_runs(1, 0.95), ==, 0);
	g_assert_cmpuint(bisect_clean_runs(0.5, 1), ==, 0);
	g_assert_cmpuint(bisect_clean_runs(NAN, 0.95), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bisect/rate-is-never-certain", rate_is_never_certain);
	g_test_add_func("/bisect/clean-runs-reach-the-confidence", clean_runs_reach_the_confidence);
	g_test_add_func("/bisect/out-of-range-gives-no-run-count", out_of_range_gives_no_run_count);
	return g_test_run();
}
