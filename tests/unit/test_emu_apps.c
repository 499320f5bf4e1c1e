/* ccidlab — the virtual cards' applications, at APDU level
 * (emu_card_apdu): readertest, echo, script, files.
 *
 * Past 600 lines, whole on purpose: one program for the applications of
 * src/emu (app.h), all driven through the one reply helper below; the
 * readertest instructions alone are a third of it, one case each. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ccid/result.h"
#include "emu/app.h"
#include "emu/card.h"
#include "emu/profile.h"

#define RSP_CAP (65536 + 2)

typedef struct reply {
	uint8_t *b;
	size_t len;
	uint16_t sw;
	unsigned work_ms;
} reply;

static uint8_t rsp_buf[RSP_CAP];

static const char *data_path(const char *name)
{
	static char buf[4096];
	const char *dir = g_getenv("CCIDLAB_DATA");
	g_autofree char *p = NULL;
	if (dir != NULL)
		p = g_build_filename(dir, "emu", name, NULL);
	else
		p = g_build_filename(g_getenv("top_srcdir") ? g_getenv("top_srcdir") : ".",
				     "tests", "data", "emu", name, NULL);
	g_strlcpy(buf, p, sizeof buf);
	return buf;
}

static emu_card *card_up(const char *spec)
{
	g_autoptr(GError) err = NULL;
	emu_card *c = emu_card_new_from_spec(spec, &err);
	g_assert_no_error(err);
	g_assert_nonnull(c);
	uint8_t atr[40];
	size_t n = 0;
	g_assert_cmpint(emu_card_reset(c, 1, atr, sizeof atr, &n), ==, CCID_OK);
	return c;
}

static reply xfer(emu_card *c, const uint8_t *apdu, size_t len)
{
	reply r = { .b = rsp_buf };
	size_t n = 0;
	g_assert_cmpint(emu_card_apdu(c, apdu, len, rsp_buf, sizeof rsp_buf, &n, &r.work_ms), ==,
			CCID_OK);
	g_assert_cmpuint(n, >=, 2);
	r.len = n - 2;
	r.sw = (uint16_t)(rsp_buf[n - 2] << 8 | rsp_buf[n - 1]);
	return r;
}

/* Builds and sends; ne 0: no Le. */
static reply cmd(emu_card *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		 const uint8_t *data, size_t nc, size_t ne)
{
	static uint8_t apdu[EMU_APDU_MAX_LEN];
	size_t n = emu_apdu_build(cla, ins, p1, p2, data, nc, ne, apdu, sizeof apdu);
	g_assert_cmpuint(n, >, 0);
	return xfer(c, apdu, n);
}

/* An extended APDU even for short lengths. */
static reply cmd_ext(emu_card *c, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		     size_t nc, size_t ne)
{
	static uint8_t apdu[EMU_APDU_MAX_LEN];
	size_t n = 0;
	apdu[n++] = 0x80;
	apdu[n++] = ins;
	apdu[n++] = p1;
	apdu[n++] = p2;
	apdu[n++] = 0;
	if (nc) {
		apdu[n++] = (uint8_t)(nc >> 8);
		apdu[n++] = (uint8_t)nc;
		memcpy(apdu + n, data, nc);
		n += nc;
	}
	if (ne) {
		apdu[n++] = (uint8_t)(ne >> 8);
		apdu[n++] = (uint8_t)ne;
	}
	return xfer(c, apdu, n);
}

static uint8_t pattern[65536];

static void fill_pattern(void)
{
	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (uint8_t)i;
}

static emu_card *readertest_selected(const char *spec)
{
	emu_card *c = card_up(spec);
	reply r = cmd(c, 0x00, 0xA4, 0x04, 0x00, emu_app_readertest_aid, 6, 0);
	g_assert_cmphex(r.sw, ==, 0x9000);
	return c;
}

/* ---- APDU parser ------------------------------------------------------------ */

static void test_apdu_parse_cases(void)
{
	static const struct {
		uint8_t b[12];
		size_t len;
		int kase;
		size_t nc, ne;
	} t[] = {
		{ { 0x80, 0x30, 0, 0 }, 4, EMU_APDU_CASE_1, 0, 0 },
		{ { 0x80, 0x34, 0, 0, 0x00 }, 5, EMU_APDU_CASE_2S, 0, 256 },
		{ { 0x80, 0x34, 0, 0, 0x05 }, 5, EMU_APDU_CASE_2S, 0, 5 },
		{ { 0x80, 0x32, 0, 0, 0x01, 0x00 }, 6, EMU_APDU_CASE_3S, 1, 0 },
		{ { 0x80, 0x36, 0, 0, 0x01, 0x00, 0x07 }, 7, EMU_APDU_CASE_4S, 1, 7 },
		{ { 0x80, 0x34, 0, 0, 0x00, 0x00, 0x00 }, 7, EMU_APDU_CASE_2E, 0, 65536 },
		{ { 0x80, 0x34, 0, 0, 0x00, 0x01, 0x01 }, 7, EMU_APDU_CASE_2E, 0, 257 },
		{ { 0x80, 0x32, 0, 0, 0x00, 0x00, 0x01, 0xAA }, 8, EMU_APDU_CASE_3E, 1, 0 },
		{ { 0x80, 0x36, 0, 0, 0x00, 0x00, 0x01, 0xAA, 0x00, 0x00 }, 10, EMU_APDU_CASE_4E, 1,
		  65536 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		emu_apdu a;
		g_assert_cmphex(emu_apdu_parse(t[i].b, t[i].len, &a), ==, 0);
		g_assert_cmpint(a.kase, ==, t[i].kase);
		g_assert_cmpuint(a.nc, ==, t[i].nc);
		g_assert_cmpuint(a.ne, ==, t[i].ne);
	}
}

static void test_apdu_malformed_is_6700(void)
{
	static const struct {
		uint8_t b[10];
		size_t len;
	} bad[] = {
		{ { 0x80 }, 1 },
		{ { 0x80, 0x30, 0 }, 3 },
		{ { 0x80, 0x32, 0, 0, 0x02, 0x00 }, 6 },               /* Lc 2, 1 byte */
		{ { 0x80, 0x32, 0, 0, 0x01, 0x00, 0x01, 0x02 }, 8 },   /* one too many */
		{ { 0x80, 0x32, 0, 0, 0x00, 0x00 }, 6 },               /* B1 00, L = 2 */
		{ { 0x80, 0x32, 0, 0, 0x00, 0x00, 0x00, 0x01 }, 8 },   /* ext Lc 0 */
		{ { 0x80, 0x32, 0, 0, 0x00, 0x00, 0x02, 0x01 }, 8 },   /* ext Lc 2, 1 byte */
	};
	g_autoptr(emu_card) c = readertest_selected("readertest");
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		emu_apdu a;
		g_assert_cmphex(emu_apdu_parse(bad[i].b, bad[i].len, &a), ==, 0x6700);
		reply r = xfer(c, bad[i].b, bad[i].len);
		g_assert_cmpuint(r.len, ==, 0);
		g_assert_cmphex(r.sw, ==, 0x6700);
	}
}

static void test_random_apdus_always_get_a_status_word(void)
{
	const char *specs[] = { "readertest", "echo", "echo:n=300,sw=6282" };
	g_autofree char *files_spec = g_strdup_printf("files:%s", data_path("card-pkcs15.files"));
	g_autofree char *script_spec = g_strdup_printf("script:%s", data_path("card-basic.script"));
	GRand *rng = g_rand_new_with_seed(4);
	for (size_t s = 0; s < G_N_ELEMENTS(specs) + 2; s++) {
		const char *spec = s < G_N_ELEMENTS(specs) ? specs[s] : s == 3 ? files_spec : script_spec;
		g_autoptr(emu_card) c = card_up(spec);
		static uint8_t apdu[600];
		for (int i = 0; i < 3000; i++) {
			size_t len = (size_t)g_rand_int_range(rng, 0, (gint32)sizeof apdu);
			if (i % 2)
				len = (size_t)g_rand_int_range(rng, 0, 12);
			for (size_t k = 0; k < len; k++)
				apdu[k] = (uint8_t)g_rand_int(rng);
			if (len > 1 && i % 3 == 0)
				apdu[0] = (i % 6) ? 0x80 : 0x00;
			size_t n = 0;
			unsigned w = 0;
			g_assert_cmpint(emu_card_apdu(c, apdu, len, rsp_buf, sizeof rsp_buf, &n, &w), ==,
					CCID_OK);
			g_assert_cmpuint(n, >=, 2);
		}
	}
	g_rand_free(rng);
}

/* ---- readertest -------------------------------------------------------------- */

static void test_readertest_needs_select(void)
{
	g_autoptr(emu_card) c = card_up("readertest");
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 0).sw, ==, 0x6D00);
	static const uint8_t wrong[] = { 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFE };
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x04, 0x00, wrong, 6, 0).sw, ==, 0x6A82);
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x04, 0x00, emu_app_readertest_aid, 6, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x90, 0x30, 0, 0, NULL, 0, 0).sw, ==, 0x6E00);
	g_assert_cmphex(cmd(c, 0x80, 0x77, 0, 0, NULL, 0, 0).sw, ==, 0x6D00);
	/* A reset deselects. */
	uint8_t atr[40];
	size_t n;
	g_assert_cmpint(emu_card_reset(c, 1, atr, sizeof atr, &n), ==, CCID_OK);
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 0).sw, ==, 0x6D00);
}

static void test_readertest_case1_refuses_data(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, pattern, 1, 0).sw, ==, 0x6700);
	/* The public applet reads the fifth byte: a short Le other than 00
	 * is refused as well, Le 00 is not. */
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 5).sw, ==, 0x6700);
	g_assert_cmphex(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 256).sw, ==, 0x9000);
}

static void test_readertest_case3_checks_every_byte(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	static const uint8_t ins[] = { 0x32, 0x21, 0x3A };
	for (size_t k = 0; k < G_N_ELEMENTS(ins); k++) {
		for (size_t n = 1; n <= 255; n++) {
			reply r = cmd(c, 0x80, ins[k], 0, 0, pattern, n, 0);
			g_assert_cmphex(r.sw, ==, 0x9000);
			g_assert_cmpuint(r.len, ==, 0);
		}
		uint8_t bad[16];
		memcpy(bad, pattern, sizeof bad);
		bad[5] ^= 0xFF;
		g_assert_cmphex(cmd(c, 0x80, ins[k], 0, 0, bad, sizeof bad, 0).sw, ==, 0x6A05);
		g_assert_cmphex(cmd(c, 0x80, ins[k], 0, 0, NULL, 0, 0).sw, ==, 0x6700);
	}
	/* Issue 17: the public applet checks no Le on 32, 21 or 3A. */
	g_assert_cmphex(cmd(c, 0x80, 0x32, 0, 0, pattern, 4, 4).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x21, 0, 0, pattern, 4, 4).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x3A, 0, 0, pattern, 4, 4).sw, ==, 0x9000);
}

static void test_readertest_case2_returns_p1p2_bytes(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	static const uint8_t ins[] = { 0x34, 0x22, 0x3C };
	for (size_t k = 0; k < G_N_ELEMENTS(ins); k++) {
		for (size_t n = 1; n <= 256; n++) {
			reply r = cmd(c, 0x80, ins[k], (uint8_t)(n >> 8), (uint8_t)n, NULL, 0, n);
			g_assert_cmphex(r.sw, ==, 0x9000);
			g_assert_cmpmem(r.b, r.len, pattern, n);
		}
	}
	/* Le that does not match P1P2. */
	g_assert_cmphex(cmd(c, 0x80, 0x34, 0, 10, NULL, 0, 9).sw, ==, 0x6700);
	g_assert_cmphex(cmd(c, 0x80, 0x22, 0, 10, NULL, 0, 256).sw, ==, 0x6700);
	g_assert_cmphex(cmd(c, 0x80, 0x34, 0, 10, NULL, 0, 0).sw, ==, 0x6700);
	/* Without an Le the runtime says 256 (issue 17): P1P2 0100 works. */
	reply full = cmd(c, 0x80, 0x34, 0x01, 0x00, NULL, 0, 0);
	g_assert_cmphex(full.sw, ==, 0x9000);
	g_assert_cmpmem(full.b, full.len, pattern, 256);
	reply r = cmd(c, 0x80, 0x3C, 0, 10, NULL, 0, 3);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, pattern, 10);
}

static void test_readertest_case4_returns_p1p2_bytes(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	static const uint8_t ins[] = { 0x36, 0x23, 0x3E };
	static const size_t lens[] = { 1, 2, 127, 128, 254, 255 };
	for (size_t k = 0; k < G_N_ELEMENTS(ins); k++)
		for (size_t i = 0; i < G_N_ELEMENTS(lens); i++)
			for (size_t n = 1; n <= 256; n += (n < 8 || n > 250) ? 1 : 37) {
				reply r = cmd(c, 0x80, ins[k], (uint8_t)(n >> 8), (uint8_t)n, pattern,
					      lens[i], n);
				g_assert_cmphex(r.sw, ==, 0x9000);
				g_assert_cmpmem(r.b, r.len, pattern, n);
			}
	uint8_t bad[4] = { 0, 1, 9, 3 };
	g_assert_cmphex(cmd(c, 0x80, 0x36, 0, 4, bad, 4, 4).sw, ==, 0x6A02);
	/* Issue 17: 36 takes its length from P1P2 alone: an Le that differs,
	 * or none (a case-4 sweep sent TPDU-style), changes nothing. */
	for (size_t k = 0; k < G_N_ELEMENTS(ins); k++) {
		static const size_t les[] = { 0, 1, 3, 5, 256 };
		for (size_t i = 0; i < G_N_ELEMENTS(les); i++) {
			reply r = cmd(c, 0x80, ins[k], 0, 4, pattern, 4, les[i]);
			g_assert_cmphex(r.sw, ==, 0x9000);
			g_assert_cmpmem(r.b, r.len, pattern, 4);
		}
	}
	/* No data: 6700, but for 3E; over 256 in a short APDU: 6F00. */
	g_assert_cmphex(cmd(c, 0x80, 0x36, 0, 4, NULL, 0, 4).sw, ==, 0x6700);
	g_assert_cmphex(cmd(c, 0x80, 0x3E, 0, 4, NULL, 0, 4).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x36, 0x01, 0x01, pattern, 4, 256).sw, ==, 0x6F00);
}

/* Issue 17: an APDU-level reader in front of a T=0 card maps the APDU
 * onto TPDUs (ISO 7816-3 §12.2), so the host sees what a real T=0 card
 * gives: 61xx where the card says 61xx (36 sent without Le, TPDU-style),
 * the data fetched by GET RESPONSE for a case 4 with Le, 9000 for case 2
 * and 3.  A T=1 card gets the APDU as it is. */
static void test_readertest_t0_card_behind_an_apdu_reader(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest,t0");
	reply r = cmd(c, 0x80, 0x36, 0x00, 0x10, pattern, 0x10, 0);
	g_assert_cmphex(r.sw, ==, 0x6110);
	g_assert_cmpuint(r.len, ==, 0);
	r = cmd(c, 0x80, 0x36, 0x01, 0x00, pattern, 5, 0);
	g_assert_cmphex(r.sw, ==, 0x6100);
	for (size_t n = 1; n <= 256; n++) {
		size_t lc = n <= 255 ? n : 255;
		r = cmd(c, 0x80, 0x36, (uint8_t)(n >> 8), (uint8_t)n, pattern, lc, n);
		g_assert_cmphex(r.sw, ==, 0x9000);
		g_assert_cmpmem(r.b, r.len, pattern, n);
		r = cmd(c, 0x80, 0x34, (uint8_t)(n >> 8), (uint8_t)n, NULL, 0, n);
		g_assert_cmphex(r.sw, ==, 0x9000);
		g_assert_cmpmem(r.b, r.len, pattern, n);
	}
	/* The card's 6Cxx behind a wrong Le is the reader's to resend. */
	g_autoptr(emu_card) e = card_up("echo:n=16,t0");
	r = cmd(e, 0x80, 0xCA, 0, 0, NULL, 0, 0x20);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, pattern, 16);
	g_autoptr(emu_card) t1 = readertest_selected("readertest,t1");
	r = cmd(t1, 0x80, 0x36, 0x00, 0x10, pattern, 0x10, 0);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, pattern, 0x10);
}

static void test_readertest_extended_lengths(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	static const size_t lens[] = { 1, 255, 256, 257, 261, 262, 4096, 65534, 65535 };
	for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
		size_t n = lens[i];
		reply r = cmd_ext(c, 0x32, 0, 0, pattern, n, 0);
		g_assert_cmphex(r.sw, ==, 0x9000);
		r = cmd_ext(c, 0x34, (uint8_t)(n >> 8), (uint8_t)n, NULL, 0, n);
		g_assert_cmphex(r.sw, ==, 0x9000);
		g_assert_cmpmem(r.b, r.len, pattern, n);
		r = cmd_ext(c, 0x36, (uint8_t)(n >> 8), (uint8_t)n, pattern, n, n);
		g_assert_cmphex(r.sw, ==, 0x9000);
		g_assert_cmpmem(r.b, r.len, pattern, n);
	}
	/* A bad byte past 256 reports its index mod 256. */
	static uint8_t bad[300];
	memcpy(bad, pattern, sizeof bad);
	bad[258] ^= 1;
	g_assert_cmphex(cmd_ext(c, 0x32, 0, 0, bad, sizeof bad, 0).sw, ==, 0x6A02);
	/* Extended Le 0000 is 65,536: never P1P2. */
	g_assert_cmphex(cmd_ext(c, 0x34, 0xFF, 0xFF, NULL, 0, 0x10000).sw, ==, 0x6700);
}

static void test_readertest_time_request(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	reply r = cmd(c, 0x80, 0x38, 0, 25, NULL, 0, 0);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpuint(r.work_ms, ==, 25 * EMU_READERTEST_MS_PER_P2);
	g_assert_cmpuint(cmd(c, 0x80, 0x30, 0, 0, NULL, 0, 0).work_ms, ==, 0);
}

/* The public applet's VERIFY: the "1234..." pattern at any length, no
 * data 6700, and no retry counter. */
static void test_readertest_verify_like_the_public_applet(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest");
	static const uint8_t good[] = "12345678";
	static const uint8_t bad[] = "12395678";
	g_assert_cmphex(cmd(c, 0x80, 0x40, 0, 0, NULL, 0, 256).sw, ==, 0x6A88);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, NULL, 0, 0).sw, ==, 0x6700);
	for (int i = 0; i < 5; i++)
		g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, bad, 8, 0).sw, ==, 0x6A03);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 8, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 4, 0).sw, ==, 0x9000);
	/* INS 40 dumps it as kept: header, Lc and data, the Le left out. */
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 4, 256).sw, ==, 0x9000);
	reply r = cmd(c, 0x80, 0x40, 0, 0, NULL, 0, 256);
	g_assert_cmpmem(r.b, r.len, ((const uint8_t[]){ 0x80, 0x20, 0, 0, 4, '1', '2', '3', '4' }),
			9);
}

/* With pin=, an ISO 7816-4 PIN: a retry counter that blocks. */
static void test_readertest_pin_counter(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest,pin=12345678");
	static const uint8_t good[] = "12345678";
	static const uint8_t bad[] = "12395678";
	g_assert_cmphex(cmd(c, 0x80, 0x40, 0, 0, NULL, 0, 256).sw, ==, 0x6A88);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, NULL, 0, 0).sw, ==, 0x63C3);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 8, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 4, 0).sw, ==, 0x6A04);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, NULL, 0, 0).sw, ==, 0x63C2);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 8, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, bad, 8, 0).sw, ==, 0x6A03);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, NULL, 0, 0).sw, ==, 0x63C2);
	/* INS 40 dumps the last VERIFY as received. */
	reply r = cmd(c, 0x80, 0x40, 0, 0, NULL, 0, 256);
	g_assert_cmphex(r.sw, ==, 0x9000);
	static const uint8_t last[] = { 0x80, 0x20, 0, 0 };
	g_assert_cmpmem(r.b, r.len, last, sizeof last);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 8, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, NULL, 0, 0).sw, ==, 0x63C3);
	/* Three misses block it; a reset does not help. */
	static const uint8_t bad_modify[] = "1239567887654321";
	g_assert_cmphex(cmd(c, 0x80, 0x24, 0, 0, bad_modify, 16, 0).sw, ==, 0x6A03);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, bad, 8, 0).sw, ==, 0x6A03);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, bad, 8, 0).sw, ==, 0x6A03);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, NULL, 0, 0).sw, ==, 0x63C0);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 8, 0).sw, ==, 0x6983);
	r = cmd(c, 0x80, 0x40, 0, 0, NULL, 0, 256);
	g_assert_cmpmem(r.b, r.len, ((const uint8_t[]){ 0x80, 0x20, 0, 0, 8, '1', '2', '3', '4',
						       '5', '6', '7', '8' }), 13);
	uint8_t atr[40];
	size_t n;
	g_assert_cmpint(emu_card_reset(c, 1, atr, sizeof atr, &n), ==, CCID_OK);
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x04, 0x00, emu_app_readertest_aid, 6, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x80, 0x20, 0, 0, good, 8, 0).sw, ==, 0x6983);
}

static void test_readertest_configured_pin_and_modify(void)
{
	g_autoptr(emu_card) c = readertest_selected("readertest,pin=4711");
	g_assert_cmphex(cmd(c, 0x00, 0x20, 0, 0, (const uint8_t *)"1234", 4, 0).sw, ==, 0x6A00);
	g_assert_cmphex(cmd(c, 0x00, 0x20, 0, 0, (const uint8_t *)"471", 3, 0).sw, ==, 0x6A03);
	g_assert_cmphex(cmd(c, 0x00, 0x20, 0, 0, (const uint8_t *)"4711", 4, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x00, 0x24, 0, 0, (const uint8_t *)"47110815", 8, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x00, 0x20, 0, 0, (const uint8_t *)"4711", 4, 0).sw, ==, 0x6A00);
	g_assert_cmphex(cmd(c, 0x00, 0x20, 0, 0, (const uint8_t *)"0815", 4, 0).sw, ==, 0x9000);
}

/* ---- echo ----------------------------------------------------------------------- */

static void test_echo_returns_data_or_n_bytes(void)
{
	g_autoptr(emu_card) c = card_up("echo");
	reply r = cmd(c, 0x00, 0x12, 0, 0, (const uint8_t *)"hello", 5, 0);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, "hello", 5);
	g_autoptr(emu_card) d = card_up("echo:sw=6282,n=300");
	r = cmd(d, 0x00, 0x12, 0, 0, NULL, 0, 0);
	g_assert_cmphex(r.sw, ==, 0x6282);
	g_assert_cmpmem(r.b, r.len, pattern, 300);
	const char *bad[] = { "echo:sw=12", "echo:sw=6000", "echo:n=-1", "echo:n=65537",
			      "echo,size=3", "echo:sw=90000" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) err = NULL;
		g_assert_null(emu_card_new_from_spec(bad[i], &err));
		g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	}
}

/* ---- script ------------------------------------------------------------------------ */

static void test_script_first_match_wins(void)
{
	g_autofree char *spec = g_strdup_printf("script:%s", data_path("card-basic.script"));
	g_autoptr(emu_card) c = card_up(spec);
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x04, 0x00, emu_app_readertest_aid, 6, 0).sw, ==, 0x9000);
	reply r = cmd(c, 0x80, 0xCA, 0x9F, 0x7F, NULL, 0, 256);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, ((const uint8_t[]){ 1, 2, 3, 4 }), 4);
	g_assert_cmphex(cmd(c, 0x80, 0xCA, 0x00, 0x66, NULL, 0, 256).sw, ==, 0x6A88);
	/* ".." matches one byte only: Le 05 is a different APDU length? no, one byte. */
	g_assert_cmphex(cmd(c, 0x80, 0xCA, 0x9F, 0x7F, NULL, 0, 5).sw, ==, 0x9000);
	r = cmd(c, 0x80, 0x38, 0x00, 0x00, NULL, 0, 0);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpuint(r.work_ms, ==, 250);
	r = cmd(c, 0x80, 0x10, 0x00, 0x00, pattern, 100, 0);
	g_assert_cmphex(r.sw, ==, 0x6282);
	g_assert_cmpmem(r.b, r.len, ((const uint8_t[]){ 0xCA, 0xFE }), 2);
	g_assert_cmphex(cmd(c, 0x80, 0x11, 0x00, 0x00, NULL, 0, 0).sw, ==, 0x6D00);
}

static void test_script_parse_errors_name_the_line(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *spec = g_strdup_printf("script:%s", data_path("card-bad.script"));
	g_assert_null(emu_card_new_from_spec(spec, &err));
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "card-bad.script:3:"));
	static const char *const bad[] = {
		"80 30 => 90 00\n",                  /* under 4 bytes */
		"80 30 00 00 => 9\n",                /* odd digits */
		"80 30 00 00 => 90\n",               /* no SW2 */
		"80 30 * 00 => 90 00\n",             /* '*' not last */
		"80 30 00 00 90 00\n",               /* no arrow */
		"80 30 00 00 => .. 90 00\n",         /* wildcard in a response */
		"80 30 00 00 => 90 00 delay=x\n",
		"80 30 00 00 => 90 00 delay=60001\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;
		g_autofree char *text = g_strdup_printf("# ok\n\n%s", bad[i]);
		g_assert_null(emu_app_script_new_from_text(text, strlen(text), "t", &e));
		g_assert_error(e, EMU_ERROR, EMU_ERROR_PARSE);
		g_assert_true(g_str_has_prefix(e->message, "t:3:"));
	}
	g_autoptr(GError) e2 = NULL;
	g_assert_null(emu_card_new_from_spec("script:/nonexistent/x.script", &e2));
	g_assert_error(e2, EMU_ERROR, EMU_ERROR_NOT_FOUND);
	/* The size bound holds before parsing. */
	gsize big = EMU_SCRIPT_MAX_BYTES + 1;
	g_autofree char *huge = g_malloc0(big);
	memset(huge, '#', big);
	g_autoptr(GError) e3 = NULL;
	g_assert_null(emu_app_script_new_from_text(huge, big, "big", &e3));
	g_assert_error(e3, EMU_ERROR, EMU_ERROR_PARSE);
}

/* ---- files ----------------------------------------------------------------------------- */

static emu_card *files_card(void)
{
	g_autofree char *spec = g_strdup_printf("files:%s", data_path("card-pkcs15.files"));
	return card_up(spec);
}

static void test_files_reads_the_certificate(void)
{
	g_autoptr(emu_card) c = files_card();
	g_autofree char *certp = g_strdup(data_path("card-cert.der"));
	g_autofree char *cert = NULL;
	gsize cert_len = 0;
	g_assert_true(g_file_get_contents(certp, &cert, &cert_len, NULL));
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50, 0x4B, 0x43, 0x53, 0x2D,
				       0x31, 0x35 };
	reply r = cmd(c, 0x00, 0xA4, 0x04, 0x00, aid, sizeof aid, 256);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmphex(r.b[0], ==, 0x6F);
	static const uint8_t fid[] = { 0x44, 0x01 };
	r = cmd(c, 0x00, 0xA4, 0x02, 0x04, fid, 2, 256);
	g_assert_cmphex(r.sw, ==, 0x9000);
	static const uint8_t fcp[] = { 0x62, 0x0B, 0x82, 0x01, 0x01, 0x83, 0x02, 0x44, 0x01, 0x80,
				       0x02 };
	g_assert_cmpmem(r.b, 11, fcp, sizeof fcp);
	g_assert_cmpuint((size_t)(r.b[11] << 8 | r.b[12]), ==, cert_len);
	/* Read it in 256-byte chunks, Le 00 ("all there is"). */
	GByteArray *got = g_byte_array_new();
	for (size_t off = 0; off < cert_len; off += 256) {
		r = cmd(c, 0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, 256);
		g_assert_cmphex(r.sw, ==, 0x9000);
		g_byte_array_append(got, r.b, (guint)r.len);
	}
	g_assert_cmpmem(got->data, got->len, cert, cert_len);
	g_byte_array_unref(got);
	/* Exact Le past the end: 6282 with what there is. */
	r = cmd(c, 0x00, 0xB0, (uint8_t)((cert_len - 4) >> 8), (uint8_t)(cert_len - 4), NULL, 0, 16);
	g_assert_cmphex(r.sw, ==, 0x6282);
	g_assert_cmpmem(r.b, r.len, cert + cert_len - 4, 4);
	g_assert_cmphex(cmd(c, 0x00, 0xB0, 0x7F, 0x00, NULL, 0, 1).sw, ==, 0x6B00);
	g_assert_cmphex(cmd(c, 0x00, 0xB0, 0, 0, NULL, 0, 0).sw, ==, 0x6700);
	/* The whole file at once with an extended Le. */
	r = cmd(c, 0x00, 0xB0, 0, 0, NULL, 0, 65536);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, cert, cert_len);
	/* By SFI 1 (P1 = 81), offset 2, from the MF path. */
	static const uint8_t path[] = { 0x50, 0x15 };
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x08, 0x0C, path, 2, 0).sw, ==, 0x9000);
	r = cmd(c, 0x00, 0xB0, 0x81, 0x02, NULL, 0, 3);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, cert + 2, 3);
}

static void test_files_select_and_errors(void)
{
	g_autoptr(emu_card) c = files_card();
	/* Nothing selected yet but the MF. */
	g_assert_cmphex(cmd(c, 0x00, 0xB0, 0, 0, NULL, 0, 1).sw, ==, 0x6986);
	static const uint8_t nf[] = { 0x12, 0x34 };
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x00, 0x0C, nf, 2, 0).sw, ==, 0x6A82);
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x00, 0x0C, nf, 1, 0).sw, ==, 0x6700);
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x07, 0x0C, nf, 2, 0).sw, ==, 0x6A86);
	static const uint8_t small_path[] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x02 };
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x08, 0x0C, small_path, 6, 0).sw, ==, 0x9000);
	reply r = cmd(c, 0x00, 0xB0, 0, 8, NULL, 0, 2);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, ((const uint8_t[]){ 0x88, 0x99 }), 2);
	static const uint8_t upd[] = { 0xAA, 0xBB };
	g_assert_cmphex(cmd(c, 0x00, 0xD6, 0, 8, upd, 2, 0).sw, ==, 0x9000);
	g_assert_cmphex(cmd(c, 0x00, 0xD6, 0, 9, upd, 2, 0).sw, ==, 0x6A84);
	g_assert_cmphex(cmd(c, 0x00, 0xD6, 0, 11, upd, 1, 0).sw, ==, 0x6B00);
	r = cmd(c, 0x00, 0xB0, 0, 8, NULL, 0, 2);
	g_assert_cmpmem(r.b, r.len, upd, 2);
	g_assert_cmphex(cmd(c, 0x00, 0xB2, 1, 0x04, NULL, 0, 256).sw, ==, 0x6981);
	/* Records of EF.DIR, by SFI 1E from the MF. */
	g_assert_cmphex(cmd(c, 0x00, 0xA4, 0x00, 0x0C, NULL, 0, 0).sw, ==, 0x9000);
	r = cmd(c, 0x00, 0xB2, 2, (0x1E << 3) | 0x04, NULL, 0, 256);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpmem(r.b, r.len, ((const uint8_t[]){ 0x61, 0x03, 0x50, 0x01, 0x41 }), 5);
	g_assert_cmphex(cmd(c, 0x00, 0xB2, 3, 0x04, NULL, 0, 256).sw, ==, 0x6A83);
	g_assert_cmphex(cmd(c, 0x00, 0xB2, 1, 0x04, NULL, 0, 2).sw, ==, 0x6C15);
	g_assert_cmphex(cmd(c, 0x00, 0xB2, 1, 0x05, NULL, 0, 256).sw, ==, 0x6A86);
	g_assert_cmphex(cmd(c, 0x00, 0xB0, 0, 0, NULL, 0, 1).sw, ==, 0x6981);
	/* GET DATA. */
	r = cmd(c, 0x00, 0xCA, 0x9F, 0x7F, NULL, 0, 256);
	g_assert_cmphex(r.sw, ==, 0x9000);
	g_assert_cmpuint(r.len, ==, 8);
	g_assert_cmphex(cmd(c, 0x00, 0xCA, 0x9F, 0x7E, NULL, 0, 256).sw, ==, 0x6A88);
	g_assert_cmphex(cmd(c, 0x80, 0xCA, 0x9F, 0x7F, NULL, 0, 256).sw, ==, 0x6E00);
	g_assert_cmphex(cmd(c, 0x00, 0x44, 0, 0, NULL, 0, 0).sw, ==, 0x6D00);
}

static void test_files_bad_descriptions_are_refused(void)
{
	static const char *const bad[] = {
		"[a]\ntype=EF\n",                              /* no fid */
		"[a]\nfid=1234\ntype=XF\n",
		"[a]\nfid=1234\ncontent=ABC\n",
		"[a]\nfid=1234\nparent=b\n",
		"[a]\nfid=1234\ntype=DF\nparent=b\n[b]\nfid=1235\ntype=DF\nparent=a\n",
		"[a]\nfid=1234\ncontent-file=/nonexistent\n",
		"[getdata]\nzz=01\n",
		/* Values GLib cannot give as text (a bad escape, invalid
		 * UTF-8): taken as absent, a GET DATA object had no value
		 * (fuzz_emu_apps' finding, a NULL read). */
		"[getdata]\n9F7F=\\q01\n",
		"[getdata]\n9F7F=\xff" "01\n",
		"[a]\nfid=1234\ntype=\\q\n",
		"[a]\nfid=1234\ntype=linear-fixed\nrecords=\\q01\n",
		"[a]\nfid=1234\nparent=\\q\n",
		"[MF]\nfid=3F01\ntype=DF\n",
		"not a key file",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *path = g_build_filename(g_get_tmp_dir(), "ccidlab-card-bad.files",
							 NULL);
		g_assert_true(g_file_set_contents(path, bad[i], -1, NULL));
		g_autoptr(GError) err = NULL;
		g_assert_null(emu_app_files_new(path, &err));
		g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
		g_unlink(path);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	fill_pattern();
	g_test_add_func("/emu/apdu/parse-decodes-every-case", test_apdu_parse_cases);
	g_test_add_func("/emu/apdu/malformed-lengths-answer-6700", test_apdu_malformed_is_6700);
	g_test_add_func("/emu/apps/random-apdus-always-get-a-status-word",
			test_random_apdus_always_get_a_status_word);
	g_test_add_func("/emu/apps/readertest-needs-select-first", test_readertest_needs_select);
	g_test_add_func("/emu/apps/readertest-case1-refuses-data", test_readertest_case1_refuses_data);
	g_test_add_func("/emu/apps/readertest-case3-checks-every-byte",
			test_readertest_case3_checks_every_byte);
	g_test_add_func("/emu/apps/readertest-case2-returns-p1p2-bytes",
			test_readertest_case2_returns_p1p2_bytes);
	g_test_add_func("/emu/apps/readertest-case4-returns-p1p2-bytes",
			test_readertest_case4_returns_p1p2_bytes);
	g_test_add_func("/emu/apps/readertest-t0-card-behind-an-apdu-reader-answers-61xx",
			test_readertest_t0_card_behind_an_apdu_reader);
	g_test_add_func("/emu/apps/readertest-extended-lengths-up-to-65535",
			test_readertest_extended_lengths);
	g_test_add_func("/emu/apps/readertest-time-request-asks-p2-times-10ms",
			test_readertest_time_request);
	g_test_add_func("/emu/apps/readertest-verify-checks-the-pattern-without-a-counter",
			test_readertest_verify_like_the_public_applet);
	g_test_add_func("/emu/apps/readertest-pin-counter-blocks-after-three-misses",
			test_readertest_pin_counter);
	g_test_add_func("/emu/apps/readertest-configured-pin-and-modify",
			test_readertest_configured_pin_and_modify);
	g_test_add_func("/emu/apps/echo-returns-data-or-n-bytes", test_echo_returns_data_or_n_bytes);
	g_test_add_func("/emu/apps/script-first-match-wins", test_script_first_match_wins);
	g_test_add_func("/emu/apps/script-parse-errors-name-the-line",
			test_script_parse_errors_name_the_line);
	g_test_add_func("/emu/apps/files-reads-the-certificate", test_files_reads_the_certificate);
	g_test_add_func("/emu/apps/files-select-read-update-record-getdata",
			test_files_select_and_errors);
	g_test_add_func("/emu/apps/files-bad-descriptions-are-refused",
			test_files_bad_descriptions_are_refused);
	return g_test_run();
}
