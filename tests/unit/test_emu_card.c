/* ccidlab — virtual cards: spec, ATR, PPS, and the card sides of T=0
 * (TPDU and character level) and T=1, each driven by the CCID core's
 * host engine (ccid_t0_transceive, ccid_t1_host_transceive).
 *
 * Past 600 lines, whole on purpose: one program for the card area of
 * src/emu (card.h), its cases sharing the harness at the top that puts a
 * card under the core's host engine; each case is one behaviour. */
#include <string.h>

#include <glib.h>

#include "ccid/atr.h"
#include "ccid/pps.h"
#include "ccid/result.h"
#include "ccid/t0.h"
#include "ccid/t1.h"
#include "emu/app.h"
#include "emu/card.h"
#include "emu/profile.h"

static uint8_t pattern[65536];
static uint8_t resp[65538];

static emu_card *card_new(const char *spec)
{
	g_autoptr(GError) err = NULL;
	emu_card *c = emu_card_new_from_spec(spec, &err);
	g_assert_no_error(err);
	g_assert_nonnull(c);
	return c;
}

static size_t card_reset(emu_card *c, uint8_t *atr)
{
	size_t n = 0;
	g_assert_cmpint(emu_card_reset(c, 1, atr, 40, &n), ==, CCID_OK);
	return n;
}

/* ---- the host side ---------------------------------------------------------- */

typedef enum level { L_T0_TPDU, L_T0_CHAR, L_T1 } level;

typedef struct harness {
	emu_card *card;
	level lvl;
	ccid_t1_host host;
	unsigned extensions;    /* extend_time calls */
	unsigned work_ms;       /* sum of the card's work_ms */
	unsigned exchanges;
} harness;

static int exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint, uint8_t *rx,
		    size_t rx_cap, size_t *rx_len)
{
	harness *h = ctx;
	unsigned w = 0;
	int r;
	h->exchanges++;
	switch (h->lvl) {
	case L_T0_TPDU:
		r = emu_card_t0_tpdu(h->card, tx, tx_len, rx, rx_cap, rx_len, &w);
		break;
	case L_T0_CHAR:
		r = emu_card_t0_chars(h->card, tx, tx_len, hint, rx, rx_cap, rx_len, &w);
		break;
	default:
		r = emu_card_t1_block(h->card, tx, tx_len, rx, rx_cap, rx_len, &w);
		if (r == CCID_OK && *rx_len == 0)
			r = CCID_E_TIMEOUT;  /* a silent card: the block is lost */
		break;
	}
	h->work_ms += w;
	return r;
}

static void extend_time(void *ctx, unsigned multiplier)
{
	(void)multiplier;
	((harness *)ctx)->extensions++;
}

static void harness_init(harness *h, const char *spec, level lvl)
{
	memset(h, 0, sizeof *h);
	h->card = card_new(spec);
	h->lvl = lvl;
	uint8_t atr[40];
	size_t n = card_reset(h->card, atr);
	ccid_atr a;
	g_assert_cmpint(ccid_atr_parse(atr, n, &a), ==, CCID_OK);
	if (lvl == L_T1) {
		emu_card_set_protocol(h->card, 1);
		g_assert_cmpint(ccid_t1_host_init(&h->host, a.ifsc, CCID_T1_DEFAULT_IFS,
						  a.edc_crc ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC),
				==, CCID_OK);
	} else {
		emu_card_set_protocol(h->card, 0);
	}
}

static void harness_clear(harness *h)
{
	emu_card_free(h->card);
}

/* One APDU through the host engine; returns the response length. */
static size_t transceive(harness *h, const uint8_t *apdu, size_t len)
{
	ccid_xfer x = { .exchange = exchange, .extend_time = extend_time, .ctx = h };
	size_t n = 0;
	int r;
	if (h->lvl == L_T1)
		r = ccid_t1_host_transceive(&h->host, &x, apdu, len, resp, sizeof resp, &n);
	else
		r = ccid_t0_transceive(&x, h->lvl == L_T0_CHAR ? CCID_T0_LEVEL_CHAR
							    : CCID_T0_LEVEL_TPDU,
				       apdu, len, resp, sizeof resp, &n);
	g_assert_cmpint(r, ==, CCID_OK);
	g_assert_cmpuint(n, >=, 2);
	return n;
}

static uint16_t sw_of(size_t n)
{
	return (uint16_t)(resp[n - 2] << 8 | resp[n - 1]);
}

static size_t run(harness *h, uint8_t ins, size_t p1p2, size_t nc, size_t ne)
{
	static uint8_t apdu[EMU_APDU_MAX_LEN];
	size_t n = emu_apdu_build(0x80, ins, (uint8_t)(p1p2 >> 8), (uint8_t)p1p2, pattern, nc, ne,
				  apdu, sizeof apdu);
	g_assert_cmpuint(n, >, 0);
	return transceive(h, apdu, n);
}

static void select_readertest(harness *h)
{
	uint8_t apdu[16];
	size_t n = emu_apdu_build(0x00, 0xA4, 0x04, 0x00, emu_app_readertest_aid, 6, 0, apdu,
				  sizeof apdu);
	size_t got = transceive(h, apdu, n);
	g_assert_cmpuint(got, ==, 2);
	g_assert_cmphex(sw_of(got), ==, 0x9000);
}

/* Every short case of readertest, every length, byte-exact. */
static void readertest_short_cases(harness *h)
{
	select_readertest(h);
	size_t n = run(h, 0x30, 0, 0, 0);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	for (size_t len = 1; len <= 256; len++) {
		if (len <= 255) {
			n = run(h, 0x32, 0, len, 0);
			g_assert_cmpuint(n, ==, 2);
			g_assert_cmphex(sw_of(n), ==, 0x9000);
		}
		n = run(h, 0x34, len, 0, len);
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		g_assert_cmpmem(resp, n - 2, pattern, len);
		size_t nc = (len * 7) % 255 + 1;
		n = run(h, 0x36, len, nc, len);
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		g_assert_cmpmem(resp, n - 2, pattern, len);
	}
	/* Odd twins and the variants without the Le check. */
	n = run(h, 0x21, 0, 10, 0);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	n = run(h, 0x22, 33, 0, 33);
	g_assert_cmpmem(resp, n - 2, pattern, 33);
	n = run(h, 0x23, 200, 100, 200);
	g_assert_cmpmem(resp, n - 2, pattern, 200);
	n = run(h, 0x3E, 17, 3, 17);
	g_assert_cmpmem(resp, n - 2, pattern, 17);
	/* A wrong data byte. */
	static uint8_t bad[5] = { 0, 1, 2, 0xFF, 4 };
	static uint8_t apdu[16];
	size_t len = emu_apdu_build(0x80, 0x32, 0, 0, bad, sizeof bad, 0, apdu, sizeof apdu);
	n = transceive(h, apdu, len);
	g_assert_cmphex(sw_of(n), ==, 0x6A03);
}

static void test_t0_tpdu_readertest_every_short_case(void)
{
	harness h;
	harness_init(&h, "readertest,t0", L_T0_TPDU);
	readertest_short_cases(&h);
	harness_clear(&h);
}

static void test_t0_char_readertest_every_short_case(void)
{
	harness h;
	harness_init(&h, "readertest,dual", L_T0_CHAR);
	readertest_short_cases(&h);
	harness_clear(&h);
}

static void test_t1_readertest_every_short_case(void)
{
	harness h;
	harness_init(&h, "readertest,t1", L_T1);
	readertest_short_cases(&h);
	harness_clear(&h);
}

static void test_t1_readertest_extended_lengths(void)
{
	harness h;
	harness_init(&h, "readertest", L_T1);
	select_readertest(&h);
	static const size_t lens[] = { 256, 257, 261, 262, 4096, 65535 };
	for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
		size_t len = lens[i];
		size_t n = run(&h, 0x32, 0, len, 0);
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		n = run(&h, 0x34, len, 0, len);
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		g_assert_cmpmem(resp, n - 2, pattern, len);
		n = run(&h, 0x36, len, len, len);
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		g_assert_cmpmem(resp, n - 2, pattern, len);
	}
	harness_clear(&h);
}

static void test_t1_time_request_sends_wtx(void)
{
	harness h;
	harness_init(&h, "readertest", L_T1);
	select_readertest(&h);
	unsigned before = h.extensions;
	size_t n = run(&h, 0x38, 200, 0, 0);  /* P2 200: 2 s, over one BWT (~1.43 s) */
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpuint(h.extensions, >, before);
	g_assert_cmpuint(h.work_ms, ==, 200 * EMU_READERTEST_MS_PER_P2);
	g_assert_cmpuint(h.host.wtx, ==, 2);
	/* Short work still shows as one S(WTX). */
	before = h.extensions;
	h.work_ms = 0;
	n = run(&h, 0x38, 1, 0, 0);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpuint(h.extensions, ==, before + 1);
	g_assert_cmpuint(h.work_ms, ==, EMU_READERTEST_MS_PER_P2);
	/* And the next command is answered at once. */
	before = h.extensions;
	n = run(&h, 0x30, 0, 0, 0);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpuint(h.extensions, ==, before);
	harness_clear(&h);
}

static void test_t0_char_time_request_sends_nulls(void)
{
	harness h;
	harness_init(&h, "readertest,t0", L_T0_CHAR);
	select_readertest(&h);
	size_t n = run(&h, 0x38, 7, 0, 0);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpuint(h.extensions, ==, 7);  /* 70 ms: 7 NULLs of 10 ms */
	g_assert_cmpuint(h.work_ms, ==, 70);
	/* Bounded: P2 255 is 2550 ms, 255 NULLs. */
	h.extensions = 0;
	h.work_ms = 0;
	n = run(&h, 0x38, 255, 0, 0);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpuint(h.extensions, <=, 256);
	g_assert_cmpuint(h.work_ms, ==, 2550);
	harness_clear(&h);
}

static void test_t0_tpdu_wrong_le_gets_6c_then_data(void)
{
	g_autoptr(emu_card) c = card_new("readertest,t0");
	uint8_t atr[40];
	card_reset(c, atr);
	size_t n = 0;
	unsigned w = 0;
	uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };
	g_assert_cmpint(emu_card_t0_tpdu(c, sel, sizeof sel, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	/* Le 08 for 16 bytes: the public applet's 6700 (issue 17: its Ne
	 * check is its own, the runtime does not turn it into 6Cxx). */
	uint8_t t34[] = { 0x80, 0x34, 0x00, 0x10, 0x08 };
	g_assert_cmpint(emu_card_t0_tpdu(c, t34, 5, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(sw_of(n), ==, 0x6700);
	/* The runtime's 6Cxx: an application with 16 bytes asked for 32. */
	g_autoptr(emu_card) e = card_new("echo:n=16,t0");
	card_reset(e, atr);
	uint8_t t_echo[] = { 0x80, 0xCA, 0x00, 0x00, 0x20 };
	g_assert_cmpint(emu_card_t0_tpdu(e, t_echo, 5, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(sw_of(n), ==, 0x6C10);
	/* Through the host engine: the retry with P3 = 10 brings the data. */
	harness he = { .card = e, .lvl = L_T0_TPDU };
	n = run(&he, 0xCA, 0, 0, 0x20);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpmem(resp, n - 2, pattern, 16);
	/* Case 4 on T=0: 61xx, then GET RESPONSE. */
	uint8_t t36[] = { 0x80, 0x36, 0x01, 0x00, 0x03, 0x00, 0x01, 0x02 };
	g_assert_cmpint(emu_card_t0_tpdu(c, t36, sizeof t36, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmphex(sw_of(n), ==, 0x6100);
	uint8_t gr[] = { 0x80, 0xC0, 0x00, 0x00, 0x80 };
	g_assert_cmpint(emu_card_t0_tpdu(c, gr, 5, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0x82);
	g_assert_cmphex(sw_of(n), ==, 0x6180);
	g_assert_cmpmem(resp, 0x80, pattern, 0x80);
	gr[4] = 0x81;
	g_assert_cmpint(emu_card_t0_tpdu(c, gr, 5, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmphex(sw_of(n), ==, 0x6C80);
	gr[4] = 0x80;
	g_assert_cmpint(emu_card_t0_tpdu(c, gr, 5, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpmem(resp, 0x80, pattern + 0x80, 0x80);
	g_assert_cmpint(emu_card_t0_tpdu(c, gr, 5, resp, sizeof resp, &n, &w), ==, CCID_OK);
	g_assert_cmphex(sw_of(n), ==, 0x6985);
}

/* Fewer bytes than Le with a warning: ~INS before each byte at character
 * level; the echo card's data comes back through 61xx. */
static void test_t0_short_data_and_echo_at_both_levels(void)
{
	for (int lvl = L_T0_TPDU; lvl <= L_T0_CHAR; lvl++) {
		harness h;
		harness_init(&h, "echo:n=3,sw=6282,t0", (level)lvl);
		size_t n = run(&h, 0x12, 0, 0, 10);
		g_assert_cmphex(sw_of(n), ==, 0x6282);
		g_assert_cmpmem(resp, n - 2, pattern, 3);
		harness_clear(&h);
		harness_init(&h, "echo,t0", (level)lvl);
		n = run(&h, 0x12, 0, 200, 0);   /* case 3: 61C8 goes back as it is */
		g_assert_cmphex(sw_of(n), ==, 0x61C8);
		n = run(&h, 0x12, 0, 200, 256); /* case 4: GET RESPONSE fetches it */
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		g_assert_cmpmem(resp, n - 2, pattern, 200);
		harness_clear(&h);
	}
}

/* A middleware reading a certificate from a files card over T=0: SELECT
 * answers through 61xx, the last chunk through 6Cxx. */
static void test_t0_files_card_reads_certificate(void)
{
	const char *dir = g_getenv("CCIDLAB_DATA");
	g_autofree char *files = g_build_filename(dir ? dir : "tests/data", "emu",
						  "card-pkcs15.files", NULL);
	g_autofree char *cert_path = g_build_filename(dir ? dir : "tests/data", "emu",
						      "card-cert.der", NULL);
	g_autofree char *spec = g_strdup_printf("files:%s,t0", files);
	g_autofree char *cert = NULL;
	gsize cert_len = 0;
	g_assert_true(g_file_get_contents(cert_path, &cert, &cert_len, NULL));
	harness h;
	harness_init(&h, spec, L_T0_TPDU);
	static const uint8_t path[] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x01 };
	uint8_t apdu[16];
	size_t len = emu_apdu_build(0x00, 0xA4, 0x08, 0x04, path, sizeof path, 256, apdu, sizeof apdu);
	size_t n = transceive(&h, apdu, len);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmphex(resp[0], ==, 0x62);
	GByteArray *got = g_byte_array_new();
	for (size_t off = 0; off < cert_len; off += 256) {
		len = emu_apdu_build(0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, 256, apdu,
				     sizeof apdu);
		n = transceive(&h, apdu, len);
		g_assert_cmphex(sw_of(n), ==, 0x9000);
		g_byte_array_append(got, resp, (guint)(n - 2));
	}
	g_assert_cmpmem(got->data, got->len, cert, cert_len);
	g_byte_array_unref(got);
	harness_clear(&h);
}

static void test_t0_bad_tpdus_get_status_words(void)
{
	g_autoptr(emu_card) c = card_new("readertest,t0");
	uint8_t atr[40];
	card_reset(c, atr);
	size_t n = 0;
	unsigned w = 0;
	static const struct {
		uint8_t b[8];
		size_t len;
		uint16_t sw;
	} t[] = {
		{ { 0x80, 0x30, 0, 0 }, 4, 0x6700 },
		{ { 0x80, 0x32, 0, 0, 0x03, 0, 1 }, 7, 0x6700 },     /* P3 3, 2 bytes */
		{ { 0x80, 0x32, 0, 0, 0x03 }, 5, 0x6700 },           /* data missing */
		{ { 0x80, 0x61, 0, 0, 0x00 }, 5, 0x6D00 },           /* INS 6x */
		{ { 0x80, 0x9A, 0, 0, 0x00 }, 5, 0x6D00 },           /* INS 9x */
	};
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
		g_assert_cmpint(emu_card_t0_tpdu(c, t[i].b, t[i].len, resp, sizeof resp, &n, &w), ==,
				CCID_OK);
		g_assert_cmpuint(n, ==, 2);
		g_assert_cmphex(sw_of(n), ==, t[i].sw);
	}
	/* Random TPDUs and random character streams never break the card. */
	GRand *rng = g_rand_new_with_seed(7);
	uint8_t in[300];
	for (int i = 0; i < 5000; i++) {
		size_t len = (size_t)g_rand_int_range(rng, 0, (gint32)sizeof in);
		for (size_t k = 0; k < len; k++)
			in[k] = (uint8_t)g_rand_int(rng);
		if (len > 2 && (i & 1))
			in[0] = 0x80;
		g_assert_cmpint(emu_card_t0_tpdu(c, in, len, resp, sizeof resp, &n, &w), ==, CCID_OK);
		g_assert_cmpuint(n, >=, 2);
		size_t want = (size_t)g_rand_int_range(rng, 0, 300);
		g_assert_cmpint(emu_card_t0_chars(c, in, len % 8, want, resp, sizeof resp, &n, &w), ==,
				CCID_OK);
		g_assert_cmpuint(n, <=, want);
		g_assert_cmpint(emu_card_t1_block(c, in, len, resp, sizeof resp, &n, &w), ==, CCID_OK);
	}
	g_rand_free(rng);
}

static void test_t1_garbage_blocks_are_answered_by_the_rules(void)
{
	harness h;
	harness_init(&h, "echo", L_T1);
	GRand *rng = g_rand_new_with_seed(11);
	uint8_t in[270];
	for (int i = 0; i < 3000; i++) {
		size_t len = (size_t)g_rand_int_range(rng, 0, (gint32)sizeof in);
		for (size_t k = 0; k < len; k++)
			in[k] = (uint8_t)g_rand_int(rng);
		size_t n = 0;
		unsigned w = 0;
		g_assert_cmpint(emu_card_t1_block(h.card, in, len, resp, sizeof resp, &n, &w), ==,
				CCID_OK);
		g_assert_cmpuint(n, <=, CCID_T1_MAX_BLOCK);
	}
	g_rand_free(rng);
	/* After a resynchronisation the link works again. */
	ccid_xfer x = { .exchange = exchange, .extend_time = extend_time, .ctx = &h };
	g_assert_cmpint(ccid_t1_host_resynch(&h.host, &x), ==, CCID_OK);
	size_t n = run(&h, 0x12, 0, 40, 0);
	g_assert_cmphex(sw_of(n), ==, 0x9000);
	g_assert_cmpmem(resp, n - 2, pattern, 40);
	harness_clear(&h);
}

/* ---- ATR, spec, PPS ------------------------------------------------------------ */

static void test_default_atrs_parse(void)
{
	uint8_t atr[CCID_ATR_MAX];
	ccid_atr a;
	size_t n = emu_card_default_atr(EMU_CARD_T0, atr, sizeof atr);
	g_assert_cmpint(ccid_atr_parse(atr, n, &a), ==, CCID_OK);
	g_assert_cmpuint(a.warnings, ==, 0);
	g_assert_cmphex(a.protocols, ==, 1);
	g_assert_false(a.has_tck);
	g_assert_cmphex(a.ta1, ==, 0x96);
	n = emu_card_default_atr(EMU_CARD_T1, atr, sizeof atr);
	g_assert_cmpint(ccid_atr_parse(atr, n, &a), ==, CCID_OK);
	g_assert_cmpuint(a.warnings, ==, 0);
	g_assert_cmphex(a.protocols, ==, 2);
	g_assert_true(a.has_tck);
	g_assert_cmpuint(a.ifsc, ==, 254);
	g_assert_cmpuint(a.bwi, ==, 4);
	g_assert_cmpuint(a.cwi, ==, 5);
	g_assert_false(a.edc_crc);
	n = emu_card_default_atr(EMU_CARD_T0_T1, atr, sizeof atr);
	g_assert_cmpint(ccid_atr_parse(atr, n, &a), ==, CCID_OK);
	g_assert_cmpuint(a.warnings, ==, 0);
	g_assert_cmphex(a.protocols, ==, 3);
	g_assert_cmpuint(a.default_protocol, ==, 0);
	g_assert_cmpuint(a.ifsc, ==, 254);
	g_assert_cmpuint(emu_card_default_atr(EMU_CARD_T1, atr, 3), ==, 0);
}

static void test_spec_options(void)
{
	uint8_t atr[40];
	ccid_atr a;
	g_autoptr(emu_card) t1 = card_new("readertest");
	g_assert_cmpint(emu_card_offered(t1), ==, EMU_CARD_T1);
	g_assert_cmpstr(emu_card_spec(t1), ==, "readertest");
	size_t n = card_reset(t1, atr);
	g_assert_cmpint(ccid_atr_parse(atr, n, &a), ==, CCID_OK);
	g_assert_cmpuint(emu_card_protocol(t1), ==, 1);
	g_autoptr(emu_card) dual = card_new("echo:sw=9000,dual");
	card_reset(dual, atr);
	g_assert_cmpint(emu_card_offered(dual), ==, EMU_CARD_T0_T1);
	g_assert_cmpuint(emu_card_protocol(dual), ==, 0);
	emu_card_set_protocol(dual, 1);
	g_assert_cmpuint(emu_card_protocol(dual), ==, 1);
	/* atr= replaces the ATR. */
	g_autoptr(emu_card) own = card_new("readertest,atr=3B 02 14 50");
	n = card_reset(own, atr);
	g_assert_cmpmem(atr, n, ((const uint8_t[]){ 0x3B, 0x02, 0x14, 0x50 }), 4);
	g_assert_cmpint(emu_card_offered(own), ==, EMU_CARD_T0);
	/* An invalid ATR needs badatr. */
	g_autoptr(GError) err = NULL;
	g_assert_null(emu_card_new_from_spec("readertest,atr=3B8180", &err));
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	g_autoptr(emu_card) bad = card_new("readertest,atr=3B8180,badatr");
	n = card_reset(bad, atr);
	g_assert_cmpmem(atr, n, ((const uint8_t[]){ 0x3B, 0x81, 0x80 }), 3);
	g_autoptr(emu_card) bad2 = card_new("readertest,badatr");
	n = card_reset(bad2, atr);
	g_assert_cmpint(ccid_atr_parse(atr, n, &a), !=, CCID_OK);
	const char *wrong[] = { "", "nosuchapp", "readertest,t0,t1", "readertest,bogus",
				"readertest:x", "script", "files:", "readertest,atr=zz",
				"readertest,t0,atr=3B99968131FE45805763636964 6C6162" };
	for (size_t i = 0; i < G_N_ELEMENTS(wrong); i++) {
		g_autoptr(GError) e = NULL;
		g_assert_null(emu_card_new_from_spec(wrong[i], &e));
		g_assert_nonnull(e);
		g_assert_true(e->domain == EMU_ERROR);
	}
}

static void test_mute_card_answers_no_atr(void)
{
	g_autoptr(emu_card) c = card_new("readertest,mute");
	g_assert_true(emu_card_is_mute(c));
	uint8_t atr[40];
	g_assert_cmpuint(card_reset(c, atr), ==, 0);
	size_t n = 0;
	unsigned w = 0;
	static const uint8_t apdu[] = { 0x80, 0x30, 0, 0 };
	g_assert_cmpint(emu_card_apdu(c, apdu, 4, resp, sizeof resp, &n, &w), ==, CCID_R_ICC_MUTE);
	emu_card_set_mute(c, false);
	g_assert_cmpuint(card_reset(c, atr), >, 0);
	g_assert_cmpint(emu_card_apdu(c, apdu, 4, resp, sizeof resp, &n, &w), ==, CCID_OK);
}

static size_t pps(emu_card *c, const uint8_t *req, size_t len, uint8_t *out)
{
	size_t n = 99;
	g_assert_cmpint(emu_card_pps(c, req, len, out, CCID_PPS_MAX, &n), ==, CCID_OK);
	return n;
}

static void test_pps_answers(void)
{
	g_autoptr(emu_card) c = card_new("readertest,dual");
	uint8_t atr[40], out[CCID_PPS_MAX], req[CCID_PPS_MAX];
	size_t n = 0;
	card_reset(c, atr);
	/* TA1's own Fi/Di, T=1: echoed. */
	ccid_pps_request r = { .protocol = 1, .has_pps1 = true, .pps1 = 0x96 };
	g_assert_cmpint(ccid_pps_build(&r, req, sizeof req, &n), ==, CCID_OK);
	size_t got = pps(c, req, n, out);
	g_assert_cmpmem(out, got, req, n);
	ccid_pps_outcome o;
	g_assert_cmpint(ccid_pps_check_response(&r, out, got, &o), ==, CCID_OK);
	g_assert_true(o.pps1_accepted);
	g_assert_cmpuint(emu_card_protocol(c), ==, 1);
	g_assert_cmphex(emu_card_fidi(c), ==, 0x96);
	/* Same Fi, slower Di: echoed. */
	card_reset(c, atr);
	r = (ccid_pps_request){ .protocol = 0, .has_pps1 = true, .pps1 = 0x94 };
	g_assert_cmpint(ccid_pps_build(&r, req, sizeof req, &n), ==, CCID_OK);
	got = pps(c, req, n, out);
	g_assert_cmpint(ccid_pps_check_response(&r, out, got, &o), ==, CCID_OK);
	g_assert_true(o.pps1_accepted);
	g_assert_cmpuint(emu_card_protocol(c), ==, 0);
	/* Another Fi: PPS1 left out, Fd/Dd kept. */
	card_reset(c, atr);
	r = (ccid_pps_request){ .protocol = 1, .has_pps1 = true, .pps1 = 0x18 };
	g_assert_cmpint(ccid_pps_build(&r, req, sizeof req, &n), ==, CCID_OK);
	got = pps(c, req, n, out);
	g_assert_cmpmem(out, got, ((const uint8_t[]){ 0xFF, 0x01, 0xFE }), 3);
	g_assert_cmpint(ccid_pps_check_response(&r, out, got, &o), ==, CCID_OK);
	g_assert_false(o.pps1_accepted);
	g_assert_cmphex(emu_card_fidi(c), ==, 0x11);
	/* PPS2 is never echoed. */
	r = (ccid_pps_request){ .protocol = 0, .has_pps2 = true, .pps2 = 0x01 };
	g_assert_cmpint(ccid_pps_build(&r, req, sizeof req, &n), ==, CCID_OK);
	got = pps(c, req, n, out);
	g_assert_cmpint(ccid_pps_check_response(&r, out, got, &o), ==, CCID_OK);
	/* Malformed: silence. */
	static const uint8_t bad_pck[] = { 0xFF, 0x11, 0x96, 0x00 };
	static const uint8_t bad_ppss[] = { 0xFE, 0x00, 0x01 };
	static const uint8_t short_req[] = { 0xFF, 0x10, 0xEF };  /* PPS1 announced, missing */
	static const uint8_t t2[] = { 0xFF, 0x02, 0xFD };         /* T=2 not offered */
	g_assert_cmpuint(pps(c, bad_pck, sizeof bad_pck, out), ==, 0);
	g_assert_cmpuint(pps(c, bad_ppss, sizeof bad_ppss, out), ==, 0);
	g_assert_cmpuint(pps(c, short_req, sizeof short_req, out), ==, 0);
	g_assert_cmpuint(pps(c, t2, sizeof t2, out), ==, 0);
	g_autoptr(emu_card) t0only = card_new("readertest,t0");
	card_reset(t0only, atr);
	static const uint8_t to_t1[] = { 0xFF, 0x01, 0xFE };
	g_assert_cmpuint(pps(t0only, to_t1, sizeof to_t1, out), ==, 0);
}

/* One T=1 block from the reader (NAD 0, LRC) to the card; the card's
 * answer in out.  Returns its length. */
static size_t t1_block(emu_card *c, uint8_t pcb, const uint8_t *inf, size_t n, uint8_t *out)
{
	uint8_t blk[CCID_T1_MAX_BLOCK];
	size_t len = 0, got = 0;
	unsigned w = 0;
	g_assert_cmpint(ccid_t1_block_encode(0, pcb, inf, n, CCID_T1_EDC_LRC, blk, sizeof blk,
					     &len), ==, CCID_OK);
	g_assert_cmpint(emu_card_t1_block(c, blk, len, out, CCID_T1_MAX_BLOCK, &got, &w), ==,
			CCID_OK);
	return got;
}

/* Issue 17: a reader with automatic IFSD exchange sets the card's IFSD to
 * its dwMaxIFSD, but no larger than its messages carry back (a 64-byte
 * reader: 54 bytes, less 4 of block: IFSD 50), so the card chains its
 * answer on 50. */
static void test_t1_auto_ifsd_within_the_reader_message(void)
{
	g_autoptr(emu_card) c = card_new("readertest,t1");
	uint8_t atr[40], out[CCID_T1_MAX_BLOCK];
	card_reset(c, atr);
	emu_card_t1_auto_ifsd(c, 254, 64 - 10);
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x06,
				       0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };
	g_assert_cmpuint(t1_block(c, 0x00, sel, sizeof sel, out), ==, 3 + 2 + 1);
	static const uint8_t case2[] = { 0x80, 0x34, 0x00, 0xC8, 0xC8 };
	size_t n = t1_block(c, 0x40, case2, sizeof case2, out);
	g_assert_cmpuint(n, ==, 3 + 50 + 1);
	g_assert_cmphex(out[1], ==, 0x60);	/* I(1), more follows */
	g_assert_cmpuint(out[2], ==, 50);
	/* Without a bound, dwMaxIFSD: the first block carries 200 + SW. */
	g_autoptr(emu_card) d = card_new("readertest,t1");
	card_reset(d, atr);
	emu_card_t1_auto_ifsd(d, 254, 0);
	t1_block(d, 0x00, sel, sizeof sel, out);
	n = t1_block(d, 0x40, case2, sizeof case2, out);
	g_assert_cmpuint(out[2], ==, 202);
	g_assert_cmphex(out[1], ==, 0x40);	/* I(1), the last */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (uint8_t)i;
	g_test_add_func("/emu/card/default-atrs-parse-with-their-protocols", test_default_atrs_parse);
	g_test_add_func("/emu/card/spec-options-choose-app-atr-and-protocol", test_spec_options);
	g_test_add_func("/emu/card/mute-card-answers-no-atr", test_mute_card_answers_no_atr);
	g_test_add_func("/emu/card/pps-echoes-what-ta1-allows-and-ignores-malformed",
			test_pps_answers);
	g_test_add_func("/emu/card/t0-tpdu-readertest-every-short-case-through-host-engine",
			test_t0_tpdu_readertest_every_short_case);
	g_test_add_func("/emu/card/t0-char-readertest-every-short-case-through-host-engine",
			test_t0_char_readertest_every_short_case);
	g_test_add_func("/emu/card/t1-readertest-every-short-case-through-host-engine",
			test_t1_readertest_every_short_case);
	g_test_add_func("/emu/card/t1-readertest-extended-lengths-through-host-engine",
			test_t1_readertest_extended_lengths);
	g_test_add_func("/emu/card/t1-time-request-sends-wtx", test_t1_time_request_sends_wtx);
	g_test_add_func("/emu/card/t1-automatic-ifsd-stays-within-the-reader-message",
			test_t1_auto_ifsd_within_the_reader_message);
	g_test_add_func("/emu/card/t0-char-time-request-sends-null-bytes",
			test_t0_char_time_request_sends_nulls);
	g_test_add_func("/emu/card/t0-tpdu-wrong-le-gets-6c-and-case4-61xx",
			test_t0_tpdu_wrong_le_gets_6c_then_data);
	g_test_add_func("/emu/card/t0-short-data-with-warning-and-echo-through-61xx",
			test_t0_short_data_and_echo_at_both_levels);
	g_test_add_func("/emu/card/t0-files-card-reads-a-certificate",
			test_t0_files_card_reads_certificate);
	g_test_add_func("/emu/card/t0-bad-tpdus-get-status-words", test_t0_bad_tpdus_get_status_words);
	g_test_add_func("/emu/card/t1-garbage-blocks-then-resynch-works",
			test_t1_garbage_blocks_are_answered_by_the_rules);
	return g_test_run();
}
