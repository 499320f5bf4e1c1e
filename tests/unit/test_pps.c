/* ccidlab — PPS (ISO/IEC 7816-3 §9): build, check, decide. */
#include <glib.h>
#include <string.h>

#include "ccid/pps.h"
#include "ccid/result.h"

static ccid_atr parse(const uint8_t *b, size_t n)
{
	ccid_atr a;
	g_assert_cmpint(ccid_atr_parse(b, n, &a), ==, CCID_OK);
	return a;
}
#define PARSE(...) ({ static const uint8_t b_[] = { __VA_ARGS__ }; parse(b_, sizeof b_); })

static void test_build_request_with_pps1(void)
{
	ccid_pps_request req = { .protocol = 1, .has_pps1 = true, .pps1 = 0x96 };
	uint8_t out[CCID_PPS_MAX];
	size_t n = 0;
	g_assert_cmpint(ccid_pps_build(&req, out, sizeof out, &n), ==, CCID_OK);
	static const uint8_t want[] = { 0xFF, 0x11, 0x96, 0x78 };
	g_assert_cmpmem(out, n, want, sizeof want);
}

static void test_build_request_protocol_only(void)
{
	ccid_pps_request req = { .protocol = 0 };
	uint8_t out[CCID_PPS_MAX];
	size_t n = 0;
	g_assert_cmpint(ccid_pps_build(&req, out, sizeof out, &n), ==, CCID_OK);
	static const uint8_t want[] = { 0xFF, 0x00, 0xFF };
	g_assert_cmpmem(out, n, want, sizeof want);
}

static void test_build_request_with_all_optional_bytes(void)
{
	ccid_pps_request req = { .protocol = 1, .has_pps1 = true, .pps1 = 0x18,
				 .has_pps2 = true, .pps2 = 0x00, .has_pps3 = true, .pps3 = 0x00 };
	uint8_t out[CCID_PPS_MAX];
	size_t n = 0;
	g_assert_cmpint(ccid_pps_build(&req, out, sizeof out, &n), ==, CCID_OK);
	static const uint8_t want[] = { 0xFF, 0x71, 0x18, 0x00, 0x00, 0xFF ^ 0x71 ^ 0x18 };
	g_assert_cmpmem(out, n, want, sizeof want);
}

static void test_build_refuses_bad_arguments(void)
{
	ccid_pps_request req = { .protocol = 16 };
	uint8_t out[CCID_PPS_MAX];
	size_t n = 0;
	g_assert_cmpint(ccid_pps_build(&req, out, sizeof out, &n), ==, CCID_E_INVALID_ARG);
	req.protocol = 1;
	req.has_pps1 = true;
	g_assert_cmpint(ccid_pps_build(&req, out, 3, &n), ==, CCID_E_BUFFER);
	g_assert_cmpint(ccid_pps_build(NULL, out, sizeof out, &n), ==, CCID_E_INVALID_ARG);
}

static void test_echo_is_accepted(void)
{
	ccid_pps_request req = { .protocol = 1, .has_pps1 = true, .pps1 = 0x96 };
	static const uint8_t resp[] = { 0xFF, 0x11, 0x96, 0x78 };
	ccid_pps_outcome o;
	g_assert_cmpint(ccid_pps_check_response(&req, resp, sizeof resp, &o), ==, CCID_OK);
	g_assert_cmpuint(o.protocol, ==, 1);
	g_assert_true(o.pps1_accepted);
	g_assert_cmphex(o.fidi, ==, 0x96);
}

static void test_missing_pps1_means_defaults(void)
{
	ccid_pps_request req = { .protocol = 1, .has_pps1 = true, .pps1 = 0x96 };
	static const uint8_t resp[] = { 0xFF, 0x01, 0xFE };
	ccid_pps_outcome o;
	g_assert_cmpint(ccid_pps_check_response(&req, resp, sizeof resp, &o), ==, CCID_OK);
	g_assert_false(o.pps1_accepted);
	g_assert_cmphex(o.fidi, ==, 0x11);
}

static void test_pps2_may_be_dropped(void)
{
	ccid_pps_request req = { .protocol = 0, .has_pps1 = true, .pps1 = 0x95,
				 .has_pps2 = true, .pps2 = 0x02 };
	static const uint8_t resp[] = { 0xFF, 0x10, 0x95, 0xFF ^ 0x10 ^ 0x95 };
	ccid_pps_outcome o;
	g_assert_cmpint(ccid_pps_check_response(&req, resp, sizeof resp, &o), ==, CCID_OK);
	g_assert_true(o.pps1_accepted);
}

typedef struct bad_resp {
	const char *name;
	uint8_t bytes[8];
	size_t len;
} bad_resp;

/* Against the request FF 11 96 78 (T=1, PPS1 96). */
static const bad_resp bad_resps[] = {
	{ "short", { 0xFF, 0x11 }, 2 },
	{ "bad-ppss", { 0xFE, 0x11, 0x96, 0x79 }, 4 },
	{ "other-protocol", { 0xFF, 0x10, 0x96, 0x79 }, 4 },
	{ "other-pps1", { 0xFF, 0x11, 0x95, 0x7B }, 4 },
	{ "bad-pck", { 0xFF, 0x11, 0x96, 0x79 }, 4 },
	{ "unasked-pps2", { 0xFF, 0x31, 0x96, 0x00, 0x58 }, 5 },
	{ "byte-over", { 0xFF, 0x11, 0x96, 0x00, 0x78 }, 5 },
	{ "pps1-announced-but-absent", { 0xFF, 0x11, 0xEE }, 3 },
	{ "reserved-bit-8", { 0xFF, 0x91, 0x96, 0xF8 }, 4 },
	{ "too-long", { 0xFF, 0x11, 0x96, 0x00, 0x00, 0x00, 0x78 }, 7 },
};

static void test_bad_response_fails(gconstpointer p)
{
	const bad_resp *t = p;
	ccid_pps_request req = { .protocol = 1, .has_pps1 = true, .pps1 = 0x96 };
	ccid_pps_outcome o;
	g_assert_cmpint(ccid_pps_check_response(&req, t->bytes, t->len, &o), ==, CCID_E_PPS);
}

static void test_rate_is_f_di_over_fi(void)
{
	g_assert_cmpuint(ccid_pps_rate_bps(0x11, 4000), ==, 10752);
	g_assert_cmpuint(ccid_pps_rate_bps(0x96, 4000), ==, 250000);
	g_assert_cmpuint(ccid_pps_rate_bps(0x18, 4000), ==, 129032);
	g_assert_cmpuint(ccid_pps_rate_bps(0x13, 4800), ==, 51612);
	g_assert_cmpuint(ccid_pps_rate_bps(0x71, 4000), ==, 0);
}

static void test_rate_list_matches_within_two_bps(void)
{
	static const uint32_t rates[] = { 9600, 10753, 250000 };
	g_assert_true(ccid_pps_rate_supported(10752, rates, 3, 0));
	g_assert_true(ccid_pps_rate_supported(250002, rates, 3, 0));
	g_assert_false(ccid_pps_rate_supported(250003, rates, 3, 0));
	g_assert_false(ccid_pps_rate_supported(125000, rates, 3, 1000000));
	/* Without a list, dwMaxDataRate decides. */
	g_assert_true(ccid_pps_rate_supported(125000, NULL, 0, 125000));
	g_assert_false(ccid_pps_rate_supported(125001, NULL, 0, 125000));
	g_assert_false(ccid_pps_rate_supported(0, NULL, 0, 125000));
	static const uint32_t tiny[] = { 1 };
	g_assert_true(ccid_pps_rate_supported(3, tiny, 1, 0));
}

static void test_pick_takes_card_rate_when_listed(void)
{
	static const uint32_t rates[] = { 9600, 10752, 250000 };
	g_assert_cmphex(ccid_pps_pick_fidi(0x96, rates, 3, 0, 4000), ==, 0x96);
}

static void test_pick_lowers_di_to_a_listed_rate(void)
{
	static const uint32_t rates[] = { 10752, 125000 };
	g_assert_cmphex(ccid_pps_pick_fidi(0x96, rates, 2, 0, 4000), ==, 0x95);
	/* No list: the fastest at or under dwMaxDataRate; Di 20 is 156250. */
	g_assert_cmphex(ccid_pps_pick_fidi(0x96, NULL, 0, 200000, 4000), ==, 0x99);
}

static void test_pick_falls_back_to_default(void)
{
	static const uint32_t rates[] = { 10752 };
	g_assert_cmphex(ccid_pps_pick_fidi(0x96, rates, 1, 0, 4000), ==, 0x11);
	g_assert_cmphex(ccid_pps_pick_fidi(0x71, NULL, 0, 1000000, 4000), ==, 0x11);
	g_assert_cmphex(ccid_pps_pick_fidi(0x96, NULL, 0, 1000000, 0), ==, 0x11);
	/* A clock above the Fi's fmax (5 MHz for Fi 372 index 1). */
	g_assert_cmphex(ccid_pps_pick_fidi(0x18, NULL, 0, 1000000, 6000), ==, 0x11);
}

static void test_decide_no_pps_for_default_card(void)
{
	ccid_atr a = PARSE(0x3B, 0x00);
	ccid_pps_decision d;
	g_assert_cmpint(ccid_pps_decide(&a, 0, NULL, 0, 344086, 4000, &d), ==, CCID_OK);
	g_assert_cmpint(d.action, ==, CCID_PPS_NOT_NEEDED);
	g_assert_cmphex(d.fidi, ==, 0x11);
	g_assert_cmpuint(d.rate_bps, ==, 10752);
}

static void test_decide_pps1_for_fast_card(void)
{
	/* OpenPGP card: TA1 18, T=1 only. */
	ccid_atr a = PARSE(0x3B, 0xDA, 0x18, 0xFF, 0x81, 0xB1, 0xFE, 0x75, 0x1F, 0x03, 0x00,
			   0x31, 0xC5, 0x73, 0xC0, 0x01, 0x40, 0x00, 0x90, 0x00, 0x0C);
	static const uint32_t rates[] = { 10752, 129032 };
	ccid_pps_decision d;
	g_assert_cmpint(ccid_pps_decide(&a, 1, rates, 2, 0, 4000, &d), ==, CCID_OK);
	g_assert_cmpint(d.action, ==, CCID_PPS_NEEDED);
	g_assert_cmpuint(d.request.protocol, ==, 1);
	g_assert_true(d.request.has_pps1);
	g_assert_cmphex(d.request.pps1, ==, 0x18);
	g_assert_cmpuint(d.rate_bps, ==, 129032);
	/* A slow reader: nothing to negotiate, T=1 is already the default. */
	g_assert_cmpint(ccid_pps_decide(&a, 1, NULL, 0, 10752, 4000, &d), ==, CCID_OK);
	g_assert_cmpint(d.action, ==, CCID_PPS_NOT_NEEDED);
	/* T=0 is not offered. */
	g_assert_cmpint(ccid_pps_decide(&a, 0, rates, 2, 0, 4000, &d), ==, CCID_E_UNSUPPORTED);
}

static void test_decide_protocol_only_pps_for_second_protocol(void)
{
	/* T=0 first, T=1 offered, no TA1: PPS0 only. */
	ccid_atr a = PARSE(0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03,
			   0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A);
	ccid_pps_decision d;
	g_assert_cmpint(ccid_pps_decide(&a, 1, NULL, 0, 344086, 4000, &d), ==, CCID_OK);
	g_assert_cmpint(d.action, ==, CCID_PPS_NEEDED);
	g_assert_false(d.request.has_pps1);
	uint8_t out[CCID_PPS_MAX];
	size_t n = 0;
	g_assert_cmpint(ccid_pps_build(&d.request, out, sizeof out, &n), ==, CCID_OK);
	static const uint8_t want[] = { 0xFF, 0x01, 0xFE };
	g_assert_cmpmem(out, n, want, sizeof want);
	g_assert_cmpint(ccid_pps_decide(&a, 2, NULL, 0, 344086, 4000, &d), ==, CCID_E_UNSUPPORTED);
}

static void test_decide_specific_mode_sends_no_pps(void)
{
	/* TA1 13, TA2 81: specific T=1, not changeable. */
	ccid_atr a = PARSE(0x3B, 0x95, 0x13, 0x91, 0x81, 0x31, 0xFE, 0x45, 0x41, 0x42, 0x43,
			   0x44, 0x45, 0x5D);
	static const uint32_t rates[] = { 10752, 43010 };
	ccid_pps_decision d;
	g_assert_cmpint(ccid_pps_decide(&a, 1, rates, 2, 0, 4000, &d), ==, CCID_OK);
	g_assert_cmpint(d.action, ==, CCID_PPS_SPECIFIC);
	g_assert_cmphex(d.fidi, ==, 0x13);
	/* The reader cannot run TA1's rate. */
	g_assert_cmpint(ccid_pps_decide(&a, 1, rates, 1, 0, 4000, &d), ==, CCID_E_UNSUPPORTED);
	g_assert_cmpint(d.action, ==, CCID_PPS_SPECIFIC);
	g_assert_false(a.specific_changeable);
	/* Another protocol than TA2's. */
	g_assert_cmpint(ccid_pps_decide(&a, 0, rates, 2, 0, 4000, &d), ==, CCID_E_UNSUPPORTED);
}

static void test_decide_specific_implicit_is_unsupported(void)
{
	ccid_atr a = PARSE(0x3B, 0x90, 0x11, 0x11, 0x10, 0x80);
	ccid_pps_decision d;
	g_assert_cmpint(ccid_pps_decide(&a, 0, NULL, 0, 344086, 4000, &d), ==, CCID_E_UNSUPPORTED);
	g_assert_true(a.specific_changeable);
	g_assert_cmpint(ccid_pps_decide(NULL, 0, NULL, 0, 0, 4000, &d), ==, CCID_E_INVALID_ARG);
}

static void test_decide_specific_default_rate_always_runs(void)
{
	/* TA2 01 (specific T=1), no TA1: the default rate needs no list. */
	ccid_atr a = PARSE(0x3B, 0x80, 0x11, 0x01, 0x11 ^ 0x01 ^ 0x80);
	ccid_pps_decision d;
	g_assert_cmpint(ccid_pps_decide(&a, 1, NULL, 0, 0, 4000, &d), ==, CCID_OK);
	g_assert_cmpint(d.action, ==, CCID_PPS_SPECIFIC);
	g_assert_cmphex(d.fidi, ==, 0x11);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/pps/build-request-with-pps1", test_build_request_with_pps1);
	g_test_add_func("/ccid/pps/build-request-protocol-only", test_build_request_protocol_only);
	g_test_add_func("/ccid/pps/build-request-with-all-optional-bytes",
			test_build_request_with_all_optional_bytes);
	g_test_add_func("/ccid/pps/build-refuses-bad-arguments", test_build_refuses_bad_arguments);
	g_test_add_func("/ccid/pps/echo-is-accepted", test_echo_is_accepted);
	g_test_add_func("/ccid/pps/missing-pps1-means-defaults", test_missing_pps1_means_defaults);
	g_test_add_func("/ccid/pps/pps2-may-be-dropped", test_pps2_may_be_dropped);
	for (size_t i = 0; i < G_N_ELEMENTS(bad_resps); i++) {
		char *path = g_strdup_printf("/ccid/pps/bad-response-fails/%s", bad_resps[i].name);
		g_test_add_data_func(path, &bad_resps[i], test_bad_response_fails);
		g_free(path);
	}
	g_test_add_func("/ccid/pps/rate-is-f-di-over-fi", test_rate_is_f_di_over_fi);
	g_test_add_func("/ccid/pps/rate-list-matches-within-two-bps", test_rate_list_matches_within_two_bps);
	g_test_add_func("/ccid/pps/pick-takes-card-rate-when-listed", test_pick_takes_card_rate_when_listed);
	g_test_add_func("/ccid/pps/pick-lowers-di-to-a-listed-rate", test_pick_lowers_di_to_a_listed_rate);
	g_test_add_func("/ccid/pps/pick-falls-back-to-default", test_pick_falls_back_to_default);
	g_test_add_func("/ccid/pps/decide-no-pps-for-default-card", test_decide_no_pps_for_default_card);
	g_test_add_func("/ccid/pps/decide-pps1-for-fast-card", test_decide_pps1_for_fast_card);
	g_test_add_func("/ccid/pps/decide-protocol-only-pps-for-second-protocol",
			test_decide_protocol_only_pps_for_second_protocol);
	g_test_add_func("/ccid/pps/decide-specific-mode-sends-no-pps", test_decide_specific_mode_sends_no_pps);
	g_test_add_func("/ccid/pps/decide-specific-implicit-is-unsupported",
			test_decide_specific_implicit_is_unsupported);
	g_test_add_func("/ccid/pps/decide-specific-default-rate-always-runs",
			test_decide_specific_default_rate_always_runs);
	return g_test_run();
}
