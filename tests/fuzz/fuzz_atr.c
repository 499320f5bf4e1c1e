/* ccidlab — fuzz target: ATR parsing and everything derived from it
 * (times, PPS decision, build and response check).
 *
 * The input is the ATR, as an exact-size copy.  The same bytes are also
 * checked as a PPS response against a fixed request, so the PPS response
 * parser sees arbitrary input too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/atr.h"
#include "ccid/pps.h"
#include "ccid/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const uint32_t clocks[] = { 1, 1000, 3580, 4000, 4800, 5000, 20000, UINT32_MAX };
static const uint32_t rates_a[] = { 9600, 10752, 43010, 125000, 250000, 500000 };
static const uint32_t rates_b[] = { 0, 1, 2, UINT32_MAX };

static void check_invariants(const ccid_atr *a, size_t size)
{
	CHECK(a->len == size && size >= 2 && size <= CCID_ATR_MAX);
	CHECK(a->hist_len <= CCID_ATR_MAX_HIST);
	CHECK(a->n_groups >= 1 && a->n_groups <= CCID_ATR_MAX_GROUPS);
	CHECK(a->protocols != 0 && (a->protocols & 0x8000) == 0);
	CHECK(ccid_atr_fidi_valid(a->fidi));
	CHECK(a->ifsc >= 1 && a->ifsc <= 254);
	CHECK(a->error == CCID_ATR_OK);
}

static void exercise_times(const ccid_atr *a)
{
	ccid_atr_times t;
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		for (unsigned p = 0; p < 2; p++) {
			int r = ccid_atr_times_compute(a, a->fidi, p, clocks[i], &t);
			CHECK(r == CCID_OK);
			CHECK(t.cwt_etu >= 12 && t.gt_etu >= 11);
			(void)ccid_atr_times_compute(a, a->ta1, p, clocks[i], &t);
		}
	}
}

static void exercise_pps(const ccid_atr *a, const uint8_t *data, size_t size)
{
	for (unsigned p = 0; p < 16; p++) {
		ccid_pps_decision d;
		const uint32_t clk = clocks[p % (sizeof clocks / sizeof clocks[0])];
		int r = ccid_pps_decide(a, p, rates_a, sizeof rates_a / sizeof rates_a[0], 0, clk, &d);
		(void)ccid_pps_decide(a, p, rates_b, sizeof rates_b / sizeof rates_b[0], 0, clk, &d);
		(void)ccid_pps_decide(a, p, NULL, 0, (uint32_t)size * 40000u, clk, &d);
		if (r != CCID_OK || d.action != CCID_PPS_NEEDED)
			continue;
		uint8_t req[CCID_PPS_MAX];
		size_t n = 0;
		CHECK(ccid_pps_build(&d.request, req, sizeof req, &n) == CCID_OK);
		ccid_pps_outcome o;
		/* An echo is always accepted, with the requested values. */
		CHECK(ccid_pps_check_response(&d.request, req, n, &o) == CCID_OK);
		CHECK(o.protocol == p && o.fidi == (d.request.has_pps1 ? d.request.pps1 : 0x11));
		(void)ccid_pps_check_response(&d.request, data, size, &o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ccid_atr a;
	int r = ccid_atr_parse(data, size, &a);
	CHECK(ccid_atr_error_name(a.error) != NULL);
	CHECK((r == CCID_OK) == (a.error == CCID_ATR_OK));

	/* The input as a PPS response to a fixed request. */
	ccid_pps_request req = { .protocol = 1, .has_pps1 = true, .pps1 = 0x96,
				 .has_pps2 = true, .pps2 = 0 };
	ccid_pps_outcome o;
	(void)ccid_pps_check_response(&req, data, size, &o);
	if (size > 0)
		(void)ccid_pps_pick_fidi(data[0], rates_a, sizeof rates_a / sizeof rates_a[0], 0,
					 size > 1 ? (uint32_t)data[1] * 100u : 4000u);

	if (r != CCID_OK)
		return 0;
	check_invariants(&a, size);
	exercise_times(&a);
	exercise_pps(&a, data, size);
	return 0;
}
