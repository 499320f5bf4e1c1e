/* ccidlab — which bytes of PC_to_RDR messages a trace must leave out
 * (src/ccid/pinmask.h, issue 20): the PIN of every verification command,
 * at every exchange level, chained or not, and nothing else. */
#include <string.h>

#include <glib.h>

#include "ccid/bytes.h"
#include "ccid/message.h"
#include "ccid/pinmask.h"

/* A PC_to_RDR message of type with abData, wLevelParameter wlevel. */
static size_t msg(uint8_t type, const uint8_t *ab, size_t n, uint16_t wlevel, uint8_t *out)
{
	memset(out, 0, CCID_HEADER_SIZE);
	out[0] = type;
	ccid_put_le32(out + 1, (uint32_t)n);
	ccid_put_le16(out + 8, wlevel);
	if (n > 0)
		memcpy(out + CCID_HEADER_SIZE, ab, n);
	return CCID_HEADER_SIZE + n;
}

/* The masked range of one message, as "off+n" ("" for none). */
static const char *find(ccid_pinmask *st, ccid_exchange_level level, bool t1, uint8_t type,
			const uint8_t *ab, size_t n, uint16_t wlevel)
{
	static char out[32];
	uint8_t m[512];
	size_t off, k;

	ccid_pinmask_find(st, level, t1, m, msg(type, ab, n, wlevel, m), &off, &k);
	if (k == 0)
		return "";
	g_snprintf(out, sizeof out, "%zu+%zu", off, k);
	return out;
}

#define XFR CCID_PC_TO_RDR_XFR_BLOCK

static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '4' };
static const uint8_t select_aid[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };

static void test_apdu_levels(void)
{
	ccid_pinmask st = { 0 };

	/* The data field, after Lc: 10 header + 5. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_SHORT_APDU, false, XFR, verify, sizeof verify, 0), ==,
			"15+4");
	g_assert_cmpstr(find(&st, CCID_LEVEL_SHORT_APDU, false, XFR, select_aid,
			     sizeof select_aid, 0), ==, "");
	/* A proprietary class too (80 20: a card application's own VERIFY). */
	const uint8_t prop[] = { 0x80, 0x24, 0x00, 0x00, 0x02, 0x12, 0x34 };
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, prop, sizeof prop, 0), ==,
			"15+2");
	/* An extended Lc (00 LcHi LcLo): the data after it. */
	const uint8_t ext[] = { 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x02, 0x56, 0x78 };
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, ext, sizeof ext, 0), ==,
			"17+2");
	/* No data field (VERIFY asking the retry counter): nothing. */
	const uint8_t status[] = { 0x00, 0x20, 0x00, 0x81 };
	g_assert_cmpstr(find(&st, CCID_LEVEL_SHORT_APDU, false, XFR, status, sizeof status, 0), ==,
			"");
	/* A chained VERIFY (CCID 1.1 §6.1.4): every later block whole. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, verify, 7,
			     CCID_CHAIN_BEGIN_MORE), ==, "15+2");
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, verify + 7, 1,
			     CCID_CHAIN_CONTINUE_MORE), ==, "10+1");
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, NULL, 0,
			     CCID_CHAIN_EMPTY_NEXT), ==, "");
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, verify + 8, 1,
			     CCID_CHAIN_CONTINUE_END), ==, "10+1");
	/* ... and a chained SELECT after it: nothing. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, select_aid, 5,
			     CCID_CHAIN_BEGIN_MORE), ==, "");
	g_assert_cmpstr(find(&st, CCID_LEVEL_EXTENDED_APDU, false, XFR, select_aid + 5, 2,
			     CCID_CHAIN_CONTINUE_END), ==, "");
}

static void test_tpdu_level(void)
{
	ccid_pinmask st = { 0 };

	/* T=0: the TPDU is the APDU. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, false, XFR, verify, sizeof verify, 0), ==,
			"15+4");
	/* T=1: the INF of the I-block (NAD PCB LEN, then the APDU, then
	 * the LRC: 10 + 3 + 5, four bytes). */
	uint8_t blk[3 + sizeof verify + 1] = { 0x00, 0x00, sizeof verify };
	memcpy(blk + 3, verify, sizeof verify);
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, true, XFR, blk, sizeof blk, 0), ==, "18+4");
	/* A chain: the first block's data, the next block's whole INF. */
	uint8_t first[3 + 7 + 1] = { 0x00, 0x20, 7 };
	memcpy(first + 3, verify, 7);
	uint8_t second[3 + 2 + 1] = { 0x00, 0x40, 2, '3', '4', 0 };
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, true, XFR, first, sizeof first, 0), ==,
			"18+2");
	/* An R-block between them (the card acknowledges): nothing. */
	const uint8_t rblock[] = { 0x00, 0x90, 0x00, 0x90 };
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, true, XFR, rblock, sizeof rblock, 0), ==, "");
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, true, XFR, second, sizeof second, 0), ==,
			"13+2");
	/* The chain is over: a plain I-block of SELECT shows. */
	uint8_t sel[3 + sizeof select_aid + 1] = { 0x00, 0x00, sizeof select_aid };
	memcpy(sel + 3, select_aid, sizeof select_aid);
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, true, XFR, sel, sizeof sel, 0), ==, "");
	/* A LEN past the bytes there: the INF stops at the message's end. */
	uint8_t liar[3 + 6] = { 0x00, 0x00, 0xFE, 0x00, 0x20, 0x00, 0x00, 0x01, 'x' };
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, true, XFR, liar, sizeof liar, 0), ==, "18+1");
}

static void test_character_level(void)
{
	ccid_pinmask st = { 0 };

	/* The header alone, then the data byte by byte and in one piece. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_CHARACTER, false, XFR, verify, 5, 1), ==, "");
	g_assert_cmpstr(find(&st, CCID_LEVEL_CHARACTER, false, XFR, verify + 5, 1, 1), ==, "10+1");
	g_assert_cmpstr(find(&st, CCID_LEVEL_CHARACTER, false, XFR, verify + 6, 3, 2), ==, "10+3");
	/* The 4 bytes of Lc are spent: the next header shows. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_CHARACTER, false, XFR, select_aid, 5, 1), ==, "");
	g_assert_cmpstr(find(&st, CCID_LEVEL_CHARACTER, false, XFR, select_aid + 5, 2, 2), ==, "");
	/* Header and data together. */
	g_assert_cmpstr(find(&st, CCID_LEVEL_CHARACTER, false, XFR, verify, sizeof verify, 2), ==,
			"15+4");
	g_assert_cmpuint(st.char_left, ==, 0);
}

static void test_secure_and_others(void)
{
	ccid_pinmask st = { 0 };
	/* bPINOperation 00 (verify), then the PIN structure and APDU. */
	const uint8_t secure[] = { 0x00, 0x1E, 0x82, 0x04, 0x00, 0x08, 0x04, 0x02, 0x01,
				   0x04, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
				   0x81, 0x08, 0xFF, 0xFF };
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, false, CCID_PC_TO_RDR_SECURE, secure,
			     sizeof secure, 0), ==, "11+21");
	g_assert_cmpstr(find(&st, CCID_LEVEL_TPDU, false, CCID_PC_TO_RDR_ESCAPE, verify,
			     sizeof verify, 0), ==, "");
	/* Less than a header, and a dwLength past the message: bounded. */
	uint8_t m[CCID_HEADER_SIZE + 9];
	size_t off, n;
	ccid_pinmask_find(&st, CCID_LEVEL_SHORT_APDU, false, m, 9, &off, &n);
	g_assert_cmpuint(n, ==, 0);
	msg(XFR, verify, sizeof verify, 0, m);
	ccid_put_le32(m + 1, 0xFFFFFFFFu);
	ccid_pinmask_find(&st, CCID_LEVEL_SHORT_APDU, false, m, sizeof m, &off, &n);
	g_assert_cmpuint(off, ==, 15);
	g_assert_cmpuint(n, ==, 4);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/pinmask/apdu-levels-mask-the-data-of-verification-commands",
			test_apdu_levels);
	g_test_add_func("/ccid/pinmask/tpdu-level-masks-t0-data-and-t1-inf", test_tpdu_level);
	g_test_add_func("/ccid/pinmask/character-level-masks-the-bytes-after-the-header",
			test_character_level);
	g_test_add_func("/ccid/pinmask/secure-is-masked-past-bPINOperation", test_secure_and_others);
	return g_test_run();
}
