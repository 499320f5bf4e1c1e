/* ccidlab — bisect: how many clean runs make a commit good (see bisect.h).
 * Pure: no I/O. */
#include "config.h"

#include <math.h>

#include "bisect/bisect.h"

double bisect_rate(unsigned k, unsigned n)
{
	if (k > n)
		return 0;
	return (k + 1.0) / (n + 2.0);
}

unsigned bisect_clean_runs(double p, double confidence)
{
	if (!(p > 0 && p < 1) || !(confidence > 0 && confidence < 1))
		return 0;
	/* (1 - p)^m <= 1 - P  <=>  m >= log(1 - P) / log(1 - p); the
	 * epsilon keeps an exact integer (0.5^2 = 0.25) from rounding up. */
	double m = log(1 - confidence) / log(1 - p);
	unsigned whole = (unsigned)ceil(m - 1e-9);
	return whole < 1 ? 1 : whole;
}

double bisect_miss(double p, unsigned m)
{
	return pow(1 - p, m);
}

const char *bisect_verdict_name(bisect_verdict v)
{
	switch (v) {
	case BISECT_GOOD:
		return "good";
	case BISECT_BAD:
		return "bad";
	case BISECT_SKIP:
		return "skip";
	default:
		return "unjudged";
	}
}
