/* ccidlab — ATR parsing (ISO/IEC 7816-3 §8) against real and broken ATRs. */
#include <glib.h>
#include <string.h>

#include "ccid/atr.h"
#include "ccid/result.h"

/* Hex string ("3B 00") to bytes; returns the count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		g_assert_true(g_ascii_isxdigit(s[0]) && g_ascii_isxdigit(s[1]));
		g_assert_cmpuint(n, <, cap);
		out[n++] = (uint8_t)(g_ascii_xdigit_value(s[0]) << 4 | g_ascii_xdigit_value(s[1]));
		s += 2;
	}
	return n;
}

static int parse_hex(const char *hex, ccid_atr *atr)
{
	uint8_t b[64];
	size_t n = unhex(hex, b, sizeof b);
	return ccid_atr_parse(b, n, atr);
}

/* Real ATRs. */
#define ATR_BRIEF "3B DB 96 00 80 B1 FE 45 1F 83 00 31 C0 64 C7 FC 10 00 01 90 00 74"
#define ATR_OPENPGP "3B DA 18 FF 81 B1 FE 75 1F 03 00 31 C5 73 C0 01 40 00 90 00 0C"
#define ATR_YUBIKEY "3B FC 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 4E 45 4F 72 33 E1"
#define ATR_STORAGE "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"
#define ATR_GEMALTO_T0 "3B 7D 96 00 00 80 31 80 65 B0 83 11 17 D6 83 00 90 00"
#define ATR_BELPIC "3B 98 13 40 0A A5 03 01 01 01 AD 13 11"
#define ATR_INVERSE_T0 "3F 65 25 00 2C 09 69 90 00"
#define ATR_INVERSE_T1 "3F 96 18 80 01 80 51 00 61 10 30 9F"
/* Built for the tests (TCK computed). */
#define ATR_DUAL "3B 9A 96 80 31 FE 45 80 31 C0 73 D6 21 C0 81 05 90 27"
#define ATR_SPECIFIC "3B 95 13 91 81 31 FE 45 41 42 43 44 45 5D"
#define ATR_DEEP "3B 8F 81 81 81 81 81 81 81 81 81 81 81 81 81 81 01 " \
	"00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 81"

static void test_minimal_atr_is_t0_with_defaults(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 00", &a), ==, CCID_OK);
	g_assert_cmpint(a.error, ==, CCID_ATR_OK);
	g_assert_false(a.inverse);
	g_assert_cmpuint(a.n_groups, ==, 1);
	g_assert_cmpuint(a.hist_len, ==, 0);
	g_assert_false(a.has_tck);
	g_assert_cmphex(a.protocols, ==, 0x0001);
	g_assert_cmpuint(a.default_protocol, ==, 0);
	g_assert_false(a.has_ta1);
	g_assert_cmphex(a.fidi, ==, 0x11);
	g_assert_cmpuint(a.fi, ==, 372);
	g_assert_cmpuint(a.di, ==, 1);
	g_assert_cmpuint(a.fmax_khz, ==, 5000);
	g_assert_cmpuint(a.n, ==, 0);
	g_assert_cmpuint(a.wi, ==, 10);
	g_assert_cmpuint(a.ifsc, ==, 32);
	g_assert_cmpuint(a.bwi, ==, 4);
	g_assert_cmpuint(a.cwi, ==, 13);
	g_assert_false(a.has_edc);
	g_assert_false(a.specific);
	g_assert_cmphex(a.warnings, ==, 0);
}

static void test_dual_protocol_card_decodes_t1_and_t15(void)
{
	/* TA1 96, TC1 00, TD1 80 (T=0), TD2 B1 (T=1), TA3 FE, TB3 45,
	 * TD3 1F (T=15), TA4 83, 11 historical bytes, TCK 74. */
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_BRIEF, &a), ==, CCID_OK);
	g_assert_cmpuint(a.len, ==, 22);
	g_assert_cmpuint(a.n_groups, ==, 4);
	g_assert_cmphex(a.protocols, ==, 0x0003);
	g_assert_cmpuint(a.default_protocol, ==, 0);
	g_assert_true(a.has_ta1);
	g_assert_cmphex(a.fidi, ==, 0x96);
	g_assert_cmpuint(a.fi, ==, 512);
	g_assert_cmpuint(a.di, ==, 32);
	g_assert_cmpuint(a.fmax_khz, ==, 5000);
	g_assert_cmpuint(a.n, ==, 0);
	g_assert_true(a.has_ifsc);
	g_assert_cmpuint(a.ifsc, ==, 254);
	g_assert_true(a.has_bwi_cwi);
	g_assert_cmpuint(a.bwi, ==, 4);
	g_assert_cmpuint(a.cwi, ==, 5);
	g_assert_false(a.has_edc);
	g_assert_false(a.edc_crc);
	g_assert_true(a.has_t15_ta);
	g_assert_cmpuint(a.clock_stop, ==, 2);
	g_assert_cmphex(a.class_indicator, ==, 0x03);
	g_assert_cmpuint(a.hist_len, ==, 11);
	static const uint8_t hist[] = { 0x00, 0x31, 0xC0, 0x64, 0xC7, 0xFC, 0x10, 0x00, 0x01, 0x90, 0x00 };
	g_assert_cmpmem(a.hist, a.hist_len, hist, sizeof hist);
	g_assert_true(a.has_tck);
	g_assert_cmphex(a.tck, ==, 0x74);
	g_assert_cmpuint(a.groups[2].protocol, ==, 1);
	g_assert_cmpuint(a.groups[3].protocol, ==, 15);
	g_assert_cmphex(a.warnings, ==, 0);
	g_assert_true(ccid_atr_offers(&a, 0));
	g_assert_true(ccid_atr_offers(&a, 1));
	g_assert_false(ccid_atr_offers(&a, 2));
	g_assert_false(ccid_atr_offers(&a, 15));
}

static void test_t1_only_card_defaults_to_t1(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_OPENPGP, &a), ==, CCID_OK);
	g_assert_cmphex(a.protocols, ==, 0x0002);
	g_assert_cmpuint(a.default_protocol, ==, 1);
	g_assert_cmphex(a.fidi, ==, 0x18);
	g_assert_cmpuint(a.di, ==, 12);
	g_assert_cmpuint(a.n, ==, 255);
	g_assert_cmpuint(a.ifsc, ==, 254);
	g_assert_cmpuint(a.bwi, ==, 7);
	g_assert_cmpuint(a.cwi, ==, 5);
	g_assert_cmpuint(a.clock_stop, ==, 0);
	g_assert_cmphex(a.class_indicator, ==, 0x03);
	g_assert_cmpuint(a.hist_len, ==, 10);

	g_assert_cmpint(parse_hex(ATR_YUBIKEY, &a), ==, CCID_OK);
	g_assert_cmpuint(a.default_protocol, ==, 1);
	g_assert_cmphex(a.fidi, ==, 0x13);
	g_assert_cmpuint(a.bwi, ==, 1);
	g_assert_cmpuint(a.cwi, ==, 5);
	g_assert_cmpmem(a.hist, 7, "Yubikey", 7);
	g_assert_false(a.has_t15_ta);
}

static void test_storage_card_offers_t0_and_t1_without_t1_bytes(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_STORAGE, &a), ==, CCID_OK);
	g_assert_cmphex(a.protocols, ==, 0x0003);
	g_assert_cmpuint(a.default_protocol, ==, 0);
	g_assert_false(a.has_ifsc);
	g_assert_cmpuint(a.ifsc, ==, 32);
	g_assert_cmpuint(a.hist_len, ==, 15);
	g_assert_true(a.has_tck);
}

static void test_t0_only_cards_have_no_tck(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_GEMALTO_T0, &a), ==, CCID_OK);
	g_assert_false(a.has_tck);
	g_assert_cmphex(a.protocols, ==, 0x0001);
	g_assert_cmphex(a.fidi, ==, 0x96);
	g_assert_cmpuint(a.hist_len, ==, 13);

	g_assert_cmpint(parse_hex(ATR_BELPIC, &a), ==, CCID_OK);
	g_assert_false(a.has_tck);
	g_assert_true(a.has_tc2);
	g_assert_cmpuint(a.wi, ==, 10);
	g_assert_cmphex(a.fidi, ==, 0x13);
	g_assert_cmpuint(a.hist_len, ==, 8);
}

static void test_tc2_sets_wi_and_zero_is_flagged(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 80 40 FF", &a), ==, CCID_OK);
	g_assert_true(a.has_tc2);
	g_assert_cmpuint(a.wi, ==, 255);
	g_assert_cmpint(parse_hex("3B 80 40 00", &a), ==, CCID_OK);
	g_assert_cmpuint(a.wi, ==, 10);
	g_assert_cmphex(a.warnings & CCID_ATR_W_WI_RFU, !=, 0);
}

static void test_inverse_convention_is_recognised(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_INVERSE_T0, &a), ==, CCID_OK);
	g_assert_true(a.inverse);
	g_assert_cmphex(a.groups[0].tb, ==, 0x25);
	g_assert_cmpuint(a.hist_len, ==, 5);

	g_assert_cmpint(parse_hex(ATR_INVERSE_T1, &a), ==, CCID_OK);
	g_assert_true(a.inverse);
	g_assert_cmphex(a.protocols, ==, 0x0003);
	g_assert_cmphex(a.fidi, ==, 0x18);
}

static void test_undecoded_inverse_ts_is_refused(void)
{
	/* 0x03 is TS 0x3F seen without decoding: the rest is garbled too. */
	ccid_atr a;
	g_assert_cmpint(parse_hex("03 00", &a), ==, CCID_E_MALFORMED);
	g_assert_cmpint(a.error, ==, CCID_ATR_BAD_TS);
}

static void test_dual_protocol_with_t1_bytes_after_t0(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_DUAL, &a), ==, CCID_OK);
	g_assert_cmphex(a.protocols, ==, 0x0003);
	g_assert_cmpuint(a.default_protocol, ==, 0);
	g_assert_cmpuint(a.ifsc, ==, 254);
	g_assert_cmpuint(a.bwi, ==, 4);
	g_assert_cmpuint(a.cwi, ==, 5);
}

static void test_specific_mode_forces_its_protocol(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_SPECIFIC, &a), ==, CCID_OK);
	g_assert_true(a.specific);
	g_assert_cmpuint(a.specific_protocol, ==, 1);
	g_assert_false(a.specific_implicit);
	g_assert_false(a.specific_changeable);
	g_assert_cmpuint(a.default_protocol, ==, 1);

	/* TA2 = 0x10: T=0, implicit, changeable; TD1 says T=1 only. */
	g_assert_cmpint(parse_hex("3B 90 11 11 10 80", &a), ==, CCID_OK);
	g_assert_cmpuint(a.default_protocol, ==, 0);
	g_assert_true(a.specific_implicit);
	g_assert_true(a.specific_changeable);
	g_assert_cmphex(a.warnings & CCID_ATR_W_TA2_PROTOCOL_NOT_OFFERED, !=, 0);
}

static void test_t1_bytes_come_from_first_t1_group_only(void)
{
	/* TD1 81 (TD2), TD2 F1: TA3 TB3 TC3 TD3 for T=1; TD3 71: TA4 TB4
	 * TC4 for T=1 again, which must be ignored. */
	ccid_atr a;
	uint8_t b[32] = { 0x3B, 0x80, 0x81, 0xF1, 0x40, 0x23, 0x01, 0x71, 0x10, 0x99, 0x00 };
	size_t n = 11;
	uint8_t x = 0;
	for (size_t i = 1; i < n; i++)
		x ^= b[i];
	b[n++] = x;
	g_assert_cmpint(ccid_atr_parse(b, n, &a), ==, CCID_OK);
	g_assert_cmpuint(a.ifsc, ==, 0x40);
	g_assert_cmpuint(a.bwi, ==, 2);
	g_assert_cmpuint(a.cwi, ==, 3);
	g_assert_true(a.has_edc);
	g_assert_true(a.edc_crc);
	g_assert_cmpuint(a.n_groups, ==, 4);
	g_assert_cmphex(a.warnings, ==, 0);
}

static void test_t1_bytes_in_group_2_are_not_t1_parameters(void)
{
	/* TD1 71 (T=1): TA2 is specific mode, TB2 TC2 are global/T=0; the
	 * T=1 parameters need i >= 3 (§11.4). */
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 80 71 11 00 0A EA", &a), ==, CCID_OK);
	g_assert_false(a.has_ifsc);
	g_assert_false(a.has_bwi_cwi);
	g_assert_false(a.has_edc);
	g_assert_cmpuint(a.wi, ==, 10);
	g_assert_true(a.specific);
}

static void test_invalid_ifsc_is_flagged_and_clamped(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 80 81 11 FF EF", &a), ==, CCID_OK);
	g_assert_cmpuint(a.ifsc, ==, 254);
	g_assert_cmphex(a.warnings & CCID_ATR_W_IFSC_INVALID, !=, 0);
	g_assert_cmpint(parse_hex("3B 80 81 11 00 10", &a), ==, CCID_OK);
	g_assert_cmpuint(a.ifsc, ==, 32);
	g_assert_cmphex(a.warnings & CCID_ATR_W_IFSC_INVALID, !=, 0);
	/* BWI 10 is RFU. */
	g_assert_cmpint(parse_hex("3B 80 81 21 A5 85", &a), ==, CCID_OK);
	g_assert_cmpuint(a.bwi, ==, 10);
	g_assert_cmphex(a.warnings & CCID_ATR_W_BWI_RFU, !=, 0);
}

static void test_t15_tb_gives_spu(void)
{
	/* TD1 80 (T=0), TD2 2F (T=15, TB3), TB3 42: T=15 alone asks for a TCK. */
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 80 80 2F 42 6D", &a), ==, CCID_OK);
	g_assert_true(a.has_t15_tb);
	g_assert_cmphex(a.spu, ==, 0x42);
	g_assert_false(a.has_t15_ta);
	g_assert_cmphex(a.protocols, ==, 0x0001);
	g_assert_true(a.has_tck);
}

static void test_rfu_ta1_is_flagged_and_defaults_used(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 10 7A", &a), ==, CCID_OK);  /* Fi 7 RFU */
	g_assert_true(a.has_ta1);
	g_assert_cmphex(a.ta1, ==, 0x7A);
	g_assert_cmphex(a.fidi, ==, 0x11);
	g_assert_cmphex(a.warnings & CCID_ATR_W_TA1_RFU, !=, 0);
	g_assert_cmpint(parse_hex("3B 10 10", &a), ==, CCID_OK);  /* Di 0 RFU */
	g_assert_cmphex(a.fidi, ==, 0x11);
	g_assert_cmphex(a.warnings & CCID_ATR_W_TA1_RFU, !=, 0);
}

static void test_deep_chain_fills_33_bytes(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex(ATR_DEEP, &a), ==, CCID_OK);
	g_assert_cmpuint(a.len, ==, 33);
	g_assert_cmpuint(a.n_groups, ==, 16);
	g_assert_cmpuint(a.hist_len, ==, 15);
	g_assert_cmphex(a.protocols, ==, 0x0002);
}

static void test_trailing_tck_on_t0_only_card_is_tolerated(void)
{
	ccid_atr a;
	g_assert_cmpint(parse_hex("3B 01 42 43", &a), ==, CCID_OK);
	g_assert_true(a.has_tck);
	g_assert_cmphex(a.warnings & CCID_ATR_W_UNEXPECTED_TCK, !=, 0);
}

typedef struct bad_atr {
	const char *name;
	const char *hex;
	int result;
	ccid_atr_error why;
} bad_atr;

static const bad_atr bad_atrs[] = {
	{ "empty", "", CCID_E_SHORT, CCID_ATR_TOO_SHORT },
	{ "ts-only", "3B", CCID_E_SHORT, CCID_ATR_TOO_SHORT },
	{ "bad-ts", "3C 00", CCID_E_MALFORMED, CCID_ATR_BAD_TS },
	{ "td1-missing", "3B 80", CCID_E_SHORT, CCID_ATR_TRUNCATED_INTERFACE },
	{ "tc1-missing", "3B F0 11 00", CCID_E_SHORT, CCID_ATR_TRUNCATED_INTERFACE },
	{ "td-chain-runs-out",
	  "3B 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80 80",
	  CCID_E_SHORT, CCID_ATR_TRUNCATED_INTERFACE },
	{ "historical-missing", "3B 02 14", CCID_E_SHORT, CCID_ATR_MISSING_HISTORICAL },
	{ "tck-missing", "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00",
	  CCID_E_SHORT, CCID_ATR_MISSING_TCK },
	{ "tck-missing-t15", "3B 80 1F 00", CCID_E_SHORT, CCID_ATR_MISSING_TCK },
	{ "bad-tck", "3B DB 96 00 80 B1 FE 45 1F 83 00 31 C0 64 C7 FC 10 00 01 90 00 75",
	  CCID_E_CHECKSUM, CCID_ATR_BAD_TCK },
	{ "too-long",
	  "3B 8F 81 81 81 81 81 81 81 81 81 81 81 81 81 81 01 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 81 00",
	  CCID_E_TOO_LONG, CCID_ATR_TOO_LONG },
	{ "trailing-junk-t0", "3B 00 AA", CCID_E_MALFORMED, CCID_ATR_TRAILING_BYTES },
	{ "trailing-two-t0", "3B 00 00 00", CCID_E_MALFORMED, CCID_ATR_TRAILING_BYTES },
	{ "trailing-after-tck", "3B 80 01 81 00", CCID_E_MALFORMED, CCID_ATR_TRAILING_BYTES },
};

static void test_malformed_atr(gconstpointer p)
{
	const bad_atr *t = p;
	ccid_atr a;
	g_assert_cmpint(parse_hex(t->hex, &a), ==, t->result);
	g_assert_cmpint(a.error, ==, t->why);
	g_assert_cmpstr(ccid_atr_error_name(a.error), !=, "unknown ATR error");
}

static void test_null_arguments_are_refused(void)
{
	ccid_atr a;
	g_assert_cmpint(ccid_atr_parse(NULL, 2, &a), ==, CCID_E_INVALID_ARG);
	uint8_t b[2] = { 0x3B, 0x00 };
	g_assert_cmpint(ccid_atr_parse(b, 2, NULL), ==, CCID_E_INVALID_ARG);
}

static void test_every_reason_has_a_name(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (int e = 0; e < CCID_ATR_ERROR_COUNT; e++) {
		const char *name = ccid_atr_error_name(e);
		g_assert_nonnull(name);
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
	}
	g_hash_table_unref(seen);
	g_assert_cmpstr(ccid_atr_error_name(-1), ==, "unknown ATR error");
	g_assert_cmpstr(ccid_atr_error_name(CCID_ATR_ERROR_COUNT), ==, "unknown ATR error");
}

static void test_fi_di_tables(void)
{
	/* ISO 7816-3 Tables 7 and 8. */
	static const uint16_t fi[16] = { 372, 372, 558, 744, 1116, 1488, 1860, 0,
					 0, 512, 768, 1024, 1536, 2048, 0, 0 };
	static const uint32_t fmax[16] = { 4000, 5000, 6000, 8000, 12000, 16000, 20000, 0,
					   0, 5000, 7500, 10000, 15000, 20000, 0, 0 };
	static const uint8_t di[16] = { 0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0 };
	for (unsigned i = 0; i < 16; i++) {
		g_assert_cmpuint(ccid_atr_fi((uint8_t)(i << 4 | 1)), ==, fi[i]);
		g_assert_cmpuint(ccid_atr_fmax_khz((uint8_t)(i << 4 | 1)), ==, fmax[i]);
		g_assert_cmpuint(ccid_atr_di((uint8_t)(0x10 | i)), ==, di[i]);
	}
	g_assert_true(ccid_atr_fidi_valid(0x11));
	g_assert_false(ccid_atr_fidi_valid(0x71));
	g_assert_false(ccid_atr_fidi_valid(0x1A));
}

static void test_default_times_at_4mhz(void)
{
	ccid_atr a;
	ccid_atr_times t;
	g_assert_cmpint(parse_hex("3B 00", &a), ==, CCID_OK);
	g_assert_cmpint(ccid_atr_times_compute(&a, 0x11, 0, 4000, &t), ==, CCID_OK);
	g_assert_cmpuint(t.etu_ns, ==, 93000);       /* 372 / 4 MHz */
	g_assert_cmpuint(t.gt_etu, ==, 12);
	g_assert_cmpuint(t.wwt_etu, ==, 9600);       /* 960 x 10 x 1 */
	g_assert_cmpuint(t.wwt_us, ==, 892800);
	g_assert_cmpuint(t.cwt_etu, ==, 11 + 8192);
	g_assert_cmpuint(t.cwt_us, ==, 8203 * 93);
	g_assert_cmpuint(t.bwt_us, ==, 1023 + 1428480);  /* 11 etu + 16 x 960 x 372 / f */
	g_assert_cmpuint(t.bwt_etu, ==, 11 + 16 * 960);
}

static void test_fast_card_times_at_4mhz(void)
{
	ccid_atr a;
	ccid_atr_times t;
	g_assert_cmpint(parse_hex(ATR_YUBIKEY, &a), ==, CCID_OK);
	g_assert_cmpint(ccid_atr_times_compute(&a, a.fidi, 1, 4000, &t), ==, CCID_OK);
	g_assert_cmpuint(t.etu_ns, ==, 23250);
	g_assert_cmpuint(t.cwt_etu, ==, 43);
	g_assert_cmpuint(t.cwt_us, ==, 1000);        /* 999.75 rounded up */
	g_assert_cmpuint(t.bwt_us, ==, 178816);      /* 255.75 + 178560 */
	g_assert_cmpuint(t.bwt_etu, ==, 11 + 7680);
	g_assert_cmpuint(t.gt_etu, ==, 12);

	g_assert_cmpint(parse_hex(ATR_OPENPGP, &a), ==, CCID_OK);
	g_assert_cmpint(ccid_atr_times_compute(&a, a.fidi, 1, 4000, &t), ==, CCID_OK);
	g_assert_cmpuint(t.gt_etu, ==, 11);          /* N = 255 on T=1 */
	g_assert_cmpint(ccid_atr_times_compute(&a, a.fidi, 0, 4000, &t), ==, CCID_OK);
	g_assert_cmpuint(t.gt_etu, ==, 12);          /* N = 255 on T=0 */

	g_assert_cmpint(parse_hex("3B 40 05", &a), ==, CCID_OK);
	g_assert_cmpint(ccid_atr_times_compute(&a, a.fidi, 0, 4000, &t), ==, CCID_OK);
	g_assert_cmpuint(t.gt_etu, ==, 17);
}

static void test_times_refuse_bad_arguments(void)
{
	ccid_atr a;
	ccid_atr_times t;
	g_assert_cmpint(parse_hex("3B 00", &a), ==, CCID_OK);
	g_assert_cmpint(ccid_atr_times_compute(&a, 0x11, 0, 0, &t), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_atr_times_compute(&a, 0x71, 0, 4000, &t), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_atr_times_compute(NULL, 0x11, 0, 4000, &t), ==, CCID_E_INVALID_ARG);
	g_assert_cmpuint(ccid_atr_etu_to_us(10, 0x71, 4000), ==, 0);
	g_assert_cmpuint(ccid_atr_etu_to_us(UINT64_MAX, 0x11, 4000), ==, UINT64_MAX);
	g_assert_cmpuint(ccid_atr_bwt_us(4, 0x11, 0), ==, 0);
	g_assert_cmpuint(ccid_atr_wwt_etu(10, 0x96), ==, 960 * 10 * 32);
	g_assert_false(ccid_atr_offers(NULL, 0));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/atr/minimal-atr-is-t0-with-defaults", test_minimal_atr_is_t0_with_defaults);
	g_test_add_func("/ccid/atr/dual-protocol-card-decodes-t1-and-t15",
			test_dual_protocol_card_decodes_t1_and_t15);
	g_test_add_func("/ccid/atr/t1-only-card-defaults-to-t1", test_t1_only_card_defaults_to_t1);
	g_test_add_func("/ccid/atr/storage-card-offers-t0-and-t1-without-t1-bytes",
			test_storage_card_offers_t0_and_t1_without_t1_bytes);
	g_test_add_func("/ccid/atr/t0-only-cards-have-no-tck", test_t0_only_cards_have_no_tck);
	g_test_add_func("/ccid/atr/tc2-sets-wi-and-zero-is-flagged", test_tc2_sets_wi_and_zero_is_flagged);
	g_test_add_func("/ccid/atr/inverse-convention-is-recognised", test_inverse_convention_is_recognised);
	g_test_add_func("/ccid/atr/undecoded-inverse-ts-is-refused", test_undecoded_inverse_ts_is_refused);
	g_test_add_func("/ccid/atr/dual-protocol-with-t1-bytes-after-t0",
			test_dual_protocol_with_t1_bytes_after_t0);
	g_test_add_func("/ccid/atr/specific-mode-forces-its-protocol", test_specific_mode_forces_its_protocol);
	g_test_add_func("/ccid/atr/t1-bytes-come-from-first-t1-group-only",
			test_t1_bytes_come_from_first_t1_group_only);
	g_test_add_func("/ccid/atr/t1-bytes-in-group-2-are-not-t1-parameters",
			test_t1_bytes_in_group_2_are_not_t1_parameters);
	g_test_add_func("/ccid/atr/invalid-ifsc-is-flagged-and-clamped", test_invalid_ifsc_is_flagged_and_clamped);
	g_test_add_func("/ccid/atr/rfu-ta1-is-flagged-and-defaults-used", test_rfu_ta1_is_flagged_and_defaults_used);
	g_test_add_func("/ccid/atr/t15-tb-gives-spu", test_t15_tb_gives_spu);
	g_test_add_func("/ccid/atr/deep-chain-fills-33-bytes", test_deep_chain_fills_33_bytes);
	g_test_add_func("/ccid/atr/trailing-tck-on-t0-only-card-is-tolerated",
			test_trailing_tck_on_t0_only_card_is_tolerated);
	for (size_t i = 0; i < G_N_ELEMENTS(bad_atrs); i++) {
		char *path = g_strdup_printf("/ccid/atr/malformed-is-refused/%s", bad_atrs[i].name);
		g_test_add_data_func(path, &bad_atrs[i], test_malformed_atr);
		g_free(path);
	}
	g_test_add_func("/ccid/atr/null-arguments-are-refused", test_null_arguments_are_refused);
	g_test_add_func("/ccid/atr/every-reason-has-a-name", test_every_reason_has_a_name);
	g_test_add_func("/ccid/atr/fi-di-tables-match-iso-7816-3", test_fi_di_tables);
	g_test_add_func("/ccid/atr/default-times-at-4mhz", test_default_times_at_4mhz);
	g_test_add_func("/ccid/atr/fast-card-times-at-4mhz", test_fast_card_times_at_4mhz);
	g_test_add_func("/ccid/atr/times-refuse-bad-arguments", test_times_refuse_bad_arguments);
	return g_test_run();
}
