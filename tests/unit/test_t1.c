/* ccidlab — T=1 (ISO/IEC 7816-3 §11): EDC and block vectors, strict
 * decoding, and each host recovery rule against a scripted card, then the
 * card role block by block.
 *
 * Past 600 lines, whole on purpose: one program for src/ccid's T=1
 * (t1.h), its recovery cases sharing the scripted card at the top; each
 * case cites its rule of ISO 7816-3 §11. */
#include <string.h>

#include <glib.h>

#include "ccid/ccid.h"
#include "ccid/t1.h"

/* PCBs by name (§11.3.2.2). */
enum {
	I0 = 0x00, I1 = 0x40, I0M = 0x20, I1M = 0x60,
	R0 = 0x80, R1 = 0x90, R0_EDC = 0x81, R1_EDC = 0x91, R0_OTH = 0x82, R1_OTH = 0x92,
	RESYNCH_REQ = 0xC0, RESYNCH_RSP = 0xE0, IFS_REQ = 0xC1, IFS_RSP = 0xE1,
	ABORT_REQ = 0xC2, ABORT_RSP = 0xE2, WTX_REQ = 0xC3, WTX_RSP = 0xE3,
};

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (hex && *hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		g_assert_true(g_ascii_isxdigit(hex[0]) && g_ascii_isxdigit(hex[1]));
		g_assert_cmpuint(n, <, cap);
		out[n++] = (uint8_t)(g_ascii_xdigit_value(hex[0]) << 4 | g_ascii_xdigit_value(hex[1]));
		hex += 2;
	}
	return n;
}

/* ---- EDC and block codec ------------------------------------------------ */

static void test_edc_vectors(void)
{
	/* The CRC's catalogue check value (edc.c says which CRC). */
	g_assert_cmphex(ccid_edc_crc((const uint8_t *)"123456789", 9), ==, 0x6F91);
	g_assert_cmphex(ccid_edc_crc(NULL, 0), ==, 0xFFFF);
	uint8_t b[] = { 0x00, 0xC1, 0x01, 0xFE };
	g_assert_cmphex(ccid_edc_lrc(b, sizeof b), ==, 0x3E);
	g_assert_cmphex(ccid_edc_crc(b, sizeof b), ==, 0x544E);
	g_assert_cmpuint(ccid_edc_size(CCID_T1_EDC_LRC), ==, 1);
	g_assert_cmpuint(ccid_edc_size(CCID_T1_EDC_CRC), ==, 2);
	g_assert_false(ccid_edc_check(CCID_T1_EDC_CRC, b, 1));
}

/* Known blocks: the IFSD request every host sends after the ATR, a
 * SELECT, and a status word answer, with LRC and with CRC. */
static void test_block_vectors(void)
{
	static const struct {
		ccid_t1_edc edc;
		uint8_t pcb;
		const char *inf;
		const char *wire;
	} v[] = {
		{ CCID_T1_EDC_LRC, IFS_REQ, "FE", "00 C1 01 FE 3E" },
		{ CCID_T1_EDC_CRC, IFS_REQ, "FE", "00 C1 01 FE 54 4E" },
		{ CCID_T1_EDC_LRC, I0, "00 A4 04 00", "00 00 04 00 A4 04 00 A4" },
		{ CCID_T1_EDC_CRC, I0, "00 A4 04 00", "00 00 04 00 A4 04 00 55 49" },
		{ CCID_T1_EDC_CRC, I1, "90 00", "00 40 02 90 00 8A DA" },
		{ CCID_T1_EDC_LRC, I1, "90 00", "00 40 02 90 00 D2" },
		{ CCID_T1_EDC_LRC, R1, "", "00 90 00 90" },
		{ CCID_T1_EDC_LRC, R0_EDC, "", "00 81 00 81" },
		{ CCID_T1_EDC_LRC, RESYNCH_REQ, "", "00 C0 00 C0" },
		{ CCID_T1_EDC_LRC, WTX_RSP, "01", "00 E3 01 01 E3" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		uint8_t inf[8], wire[16], out[CCID_T1_MAX_BLOCK];
		size_t n_inf = unhex(v[i].inf, inf, sizeof inf);
		size_t n_wire = unhex(v[i].wire, wire, sizeof wire);
		size_t n_out = 0;
		g_assert_cmpint(ccid_t1_block_encode(0, v[i].pcb, inf, n_inf, v[i].edc, out,
						     sizeof out, &n_out), ==, CCID_OK);
		g_assert_cmpmem(out, n_out, wire, n_wire);
		ccid_t1_block b;
		g_assert_cmpint(ccid_t1_block_decode(wire, n_wire, v[i].edc, &b), ==, CCID_OK);
		g_assert_cmphex(b.pcb, ==, v[i].pcb);
		g_assert_cmpmem(b.len ? b.inf : inf, b.len, inf, n_inf);
	}
}

static void test_block_fields(void)
{
	uint8_t w[CCID_T1_MAX_BLOCK];
	size_t n;
	ccid_t1_block b;
	const uint8_t data[3] = { 1, 2, 3 };

	g_assert_cmpint(ccid_t1_block_encode(0x12, ccid_t1_block_pcb_i(1, true), data, 3,
					     CCID_T1_EDC_LRC, w, sizeof w, &n), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_block_decode(w, n, CCID_T1_EDC_LRC, &b), ==, CCID_OK);
	g_assert_cmpint(b.kind, ==, CCID_T1_I_BLOCK);
	g_assert_cmphex(b.nad, ==, 0x12);
	g_assert_cmpuint(b.seq, ==, 1);
	g_assert_true(b.more);
	g_assert_cmpmem(b.inf, b.len, data, 3);

	g_assert_cmphex(ccid_t1_block_pcb_r(1, CCID_T1_R_OTHER), ==, R1_OTH);
	g_assert_cmpint(ccid_t1_block_encode(0, R1_OTH, NULL, 0, CCID_T1_EDC_CRC, w, sizeof w, &n), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_block_decode(w, n, CCID_T1_EDC_CRC, &b), ==, CCID_OK);
	g_assert_cmpint(b.kind, ==, CCID_T1_R_BLOCK);
	g_assert_cmpuint(b.seq, ==, 1);
	g_assert_cmpuint(b.r_error, ==, CCID_T1_R_OTHER);
	g_assert_null(b.inf);

	g_assert_cmphex(ccid_t1_block_pcb_s(CCID_T1_S_WTX, false), ==, WTX_REQ);
	g_assert_cmpint(ccid_t1_block_encode(0, WTX_REQ, data, 1, CCID_T1_EDC_LRC, w, sizeof w, &n), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_block_decode(w, n, CCID_T1_EDC_LRC, &b), ==, CCID_OK);
	g_assert_cmpint(b.kind, ==, CCID_T1_S_BLOCK);
	g_assert_cmpuint(b.s_type, ==, CCID_T1_S_WTX);
	g_assert_false(b.s_response);

	g_assert_cmphex(ccid_t1_nad_swap(0x12), ==, 0x21);
	g_assert_cmphex(ccid_t1_nad_swap(0x00), ==, 0x00);
	g_assert_cmphex(ccid_t1_nad_swap(0x70), ==, 0x07);
}

/* What §11.3.2.2 defines, written out independently of the codec. */
static bool pcb_defined(uint8_t pcb, size_t len, uint8_t inf0)
{
	if (!(pcb & 0x80))
		return (pcb & 0x1F) == 0;
	if ((pcb & 0xC0) == 0x80)
		return len == 0 && (pcb & 0x2C) == 0 && (pcb & 0x03) != 3;
	switch (pcb & 0x1F) {
	case 0:
	case 2:
		return len == 0;
	case 1:
		return len == 1 && inf0 != 0 && inf0 != 0xFF;
	case 3:
		return len == 1 && inf0 != 0;
	default:
		return false;
	}
}

static void test_every_pcb_classified(void)
{
	static const uint8_t infs[] = { 0x00, 0x01, 0x20, 0xFE, 0xFF };
	for (unsigned edc = 0; edc < 2; edc++) {
		for (unsigned pcb = 0; pcb < 256; pcb++) {
			for (size_t len = 0; len <= 2; len++) {
				for (size_t k = 0; k < G_N_ELEMENTS(infs); k++) {
					uint8_t w[8] = { 0, (uint8_t)pcb, (uint8_t)len, infs[k], infs[k] };
					size_t n = 3 + len;
					ccid_edc_put((ccid_t1_edc)edc, w, n, w + n);
					n += ccid_edc_size((ccid_t1_edc)edc);
					ccid_t1_block b;
					int rc = ccid_t1_block_decode(w, n, (ccid_t1_edc)edc, &b);
					bool ok = pcb_defined((uint8_t)pcb, len, infs[k]);
					g_assert_cmpint(rc, ==, ok ? CCID_OK : CCID_E_MALFORMED);
					uint8_t e[8];
					size_t en = 0;
					rc = ccid_t1_block_encode(0, (uint8_t)pcb, w + 3, len, (ccid_t1_edc)edc,
								  e, sizeof e, &en);
					g_assert_cmpint(rc, ==, ok ? CCID_OK : CCID_E_MALFORMED);
					if (ok)
						g_assert_cmpmem(e, en, w, n);
				}
			}
		}
	}
}

static int decode_hex(const char *hex, ccid_t1_edc edc)
{
	uint8_t w[300];
	size_t n = unhex(hex, w, sizeof w);
	ccid_t1_block b;
	memset(&b, 0xA5, sizeof b);
	ccid_t1_block before = b;
	int rc = ccid_t1_block_decode(w, n, edc, &b);
	if (rc != CCID_OK)
		g_assert_cmpmem(&b, sizeof b, &before, sizeof before);
	return rc;
}

static void test_malformed_rejected(void)
{
	const ccid_t1_edc L = CCID_T1_EDC_LRC, C = CCID_T1_EDC_CRC;
	g_assert_cmpint(decode_hex("", L), ==, CCID_E_SHORT);
	g_assert_cmpint(decode_hex("00 00", L), ==, CCID_E_SHORT);
	g_assert_cmpint(decode_hex("00 00 00", L), ==, CCID_E_SHORT);
	g_assert_cmpint(decode_hex("00 00 00 00", C), ==, CCID_E_SHORT);
	g_assert_cmpint(decode_hex("00 00 FF 00", L), ==, CCID_E_TOO_LONG);
	g_assert_cmpint(decode_hex("00 00 01 00", L), ==, CCID_E_LENGTH);
	g_assert_cmpint(decode_hex("00 00 00 00 00", L), ==, CCID_E_LENGTH);
	g_assert_cmpint(decode_hex("00 00 02 01 03", L), ==, CCID_E_LENGTH);
	g_assert_cmpint(decode_hex("00 00 00 01", L), ==, CCID_E_CHECKSUM);
	g_assert_cmpint(decode_hex("00 C1 01 FE 54 4F", C), ==, CCID_E_CHECKSUM);
	g_assert_cmpint(decode_hex("00 C1 01 FE 3E", C), ==, CCID_E_LENGTH);
	/* Reserved PCB patterns, each with a right LRC. */
	g_assert_cmpint(decode_hex("00 01 00 01", L), ==, CCID_E_MALFORMED);  /* I RFU */
	g_assert_cmpint(decode_hex("00 A0 00 A0", L), ==, CCID_E_MALFORMED);  /* R b6 */
	g_assert_cmpint(decode_hex("00 83 00 83", L), ==, CCID_E_MALFORMED);  /* R ee=3 */
	g_assert_cmpint(decode_hex("00 84 00 84", L), ==, CCID_E_MALFORMED);  /* R b3 */
	g_assert_cmpint(decode_hex("00 80 01 00 81", L), ==, CCID_E_MALFORMED); /* R + INF */
	g_assert_cmpint(decode_hex("00 C4 00 C4", L), ==, CCID_E_MALFORMED);  /* S VPP */
	g_assert_cmpint(decode_hex("00 DF 00 DF", L), ==, CCID_E_MALFORMED);
	g_assert_cmpint(decode_hex("00 C1 00 C1", L), ==, CCID_E_MALFORMED);  /* IFS no INF */
	g_assert_cmpint(decode_hex("00 C1 01 00 C0", L), ==, CCID_E_MALFORMED);
	g_assert_cmpint(decode_hex("00 C1 01 FF 3F", L), ==, CCID_E_MALFORMED);
	g_assert_cmpint(decode_hex("00 C3 01 00 C2", L), ==, CCID_E_MALFORMED); /* WTX 0 */
	g_assert_cmpint(decode_hex("00 C0 01 00 C1", L), ==, CCID_E_MALFORMED); /* RESYNCH + INF */
	g_assert_cmpint(decode_hex("00 E2 01 01 E2", L), ==, CCID_E_MALFORMED); /* ABORT + INF */
	/* LEN 254 is the longest. */
	uint8_t w[CCID_T1_MAX_BLOCK + 1] = { 0, 0, 254 };
	ccid_edc_put(C, w, 257, w + 257);
	ccid_t1_block b;
	g_assert_cmpint(ccid_t1_block_decode(w, 259, C, &b), ==, CCID_OK);
	g_assert_cmpuint(b.len, ==, 254);
	g_assert_cmpint(ccid_t1_block_decode(w, 260, C, &b), ==, CCID_E_LENGTH);
	g_assert_cmpint(ccid_t1_block_decode(NULL, 4, C, &b), ==, CCID_E_INVALID_ARG);
}

static void test_encode_refuses(void)
{
	uint8_t inf[255] = { 0 }, w[CCID_T1_MAX_BLOCK + 8];
	size_t n = 0;
	g_assert_cmpint(ccid_t1_block_encode(0, I0, inf, 255, CCID_T1_EDC_LRC, w, sizeof w, &n),
			==, CCID_E_TOO_LONG);
	g_assert_cmpint(ccid_t1_block_encode(0, I0, inf, 254, CCID_T1_EDC_CRC, w, 258, &n),
			==, CCID_E_BUFFER);
	g_assert_cmpint(ccid_t1_block_encode(0, I0, inf, 254, CCID_T1_EDC_CRC, w, 259, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 259);
	g_assert_cmpint(ccid_t1_block_encode(0, I0, NULL, 1, CCID_T1_EDC_LRC, w, sizeof w, &n),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_block_encode(0, 0x10, NULL, 0, CCID_T1_EDC_LRC, w, sizeof w, &n),
			==, CCID_E_MALFORMED);
	g_assert_cmpint(ccid_t1_block_encode(0, IFS_REQ, inf, 1, CCID_T1_EDC_LRC, w, sizeof w, &n),
			==, CCID_E_MALFORMED);
}

/* ---- host against a scripted card --------------------------------------- */

enum { RX_BLOCK, RX_TIMEOUT, RX_BAD_EDC, RX_FAIL, RX_GARBAGE, RX_PARITY };

typedef struct step {
	int tx_pcb;             /* what the host must send; -1: anything */
	const char *tx_inf;     /* NULL: not checked */
	int rx;                 /* RX_* */
	int rx_pcb;
	const char *rx_inf;
} step;

#define ANY (-1)

typedef struct script {
	const step *steps;
	size_t n, pos;
	ccid_t1_edc edc;
	uint8_t nad;            /* NAD of the card's replies */
	uint8_t host_nad;       /* NAD the host must send */
	unsigned wtx[8];
	size_t n_wtx;
} script;

static int script_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			   uint8_t *rx, size_t cap, size_t *rx_len)
{
	script *s = ctx;
	g_assert_cmpuint(hint, ==, 0);
	if (s->pos >= s->n)
		g_error("host sent block %zu, the script has %zu", s->pos + 1, s->n);
	const step *st = &s->steps[s->pos++];
	ccid_t1_block b;
	g_assert_cmpint(ccid_t1_block_decode(tx, tx_len, s->edc, &b), ==, CCID_OK);
	g_assert_cmphex(b.nad, ==, s->host_nad);
	if (st->tx_pcb != ANY)
		g_assert_cmphex(b.pcb, ==, st->tx_pcb);
	if (st->tx_inf) {
		uint8_t want[CCID_T1_MAX_INF];
		size_t n = unhex(st->tx_inf, want, sizeof want);
		g_assert_cmpmem(b.len ? b.inf : want, b.len, want, n);
	}
	switch (st->rx) {
	case RX_TIMEOUT:
		return CCID_E_TIMEOUT;
	case RX_FAIL:
		return CCID_E_TRANSPORT;
	case RX_PARITY:
		return CCID_R_PARITY;
	case RX_GARBAGE:
		rx[0] = 0xFF;
		*rx_len = 1;
		return CCID_OK;
	default:
		break;
	}
	uint8_t inf[CCID_T1_MAX_INF];
	size_t n = unhex(st->rx_inf, inf, sizeof inf);
	g_assert_cmpint(ccid_t1_block_encode(s->nad, (uint8_t)st->rx_pcb, inf, n, s->edc, rx,
					     cap, rx_len), ==, CCID_OK);
	if (st->rx == RX_BAD_EDC)
		rx[*rx_len - 1] ^= 0x01;
	return CCID_OK;
}

static void script_wtx(void *ctx, unsigned multiplier)
{
	script *s = ctx;
	g_assert_cmpuint(s->n_wtx, <, G_N_ELEMENTS(s->wtx));
	s->wtx[s->n_wtx++] = multiplier;
}

typedef struct fixture {
	ccid_t1_host host;
	script sc;
	ccid_xfer xfer;
	uint8_t rsp[1024];
	size_t rsp_len;
} fixture;

static void fx_setup(fixture *f, unsigned ifsc, ccid_t1_edc edc)
{
	memset(f, 0, sizeof *f);
	g_assert_cmpint(ccid_t1_host_init(&f->host, ifsc, CCID_T1_DEFAULT_IFS, edc), ==, CCID_OK);
	f->sc.edc = edc;
	f->xfer.exchange = script_exchange;
	f->xfer.extend_time = script_wtx;
	f->xfer.ctx = &f->sc;
}

static void fx_script(fixture *f, const step *steps, size_t n)
{
	f->sc.steps = steps;
	f->sc.n = n;
	f->sc.pos = 0;
}

#define SCRIPT(f, ...) do { \
		static const step steps_[] = { __VA_ARGS__ }; \
		fx_script((f), steps_, G_N_ELEMENTS(steps_)); \
	} while (0)

static int fx_send(fixture *f, const char *apdu_hex)
{
	uint8_t apdu[1024];
	size_t n = unhex(apdu_hex, apdu, sizeof apdu);
	f->rsp_len = 0;
	int rc = ccid_t1_host_transceive(&f->host, &f->xfer, apdu, n, f->rsp, sizeof f->rsp, &f->rsp_len);
	g_assert_cmpuint(f->sc.pos, ==, f->sc.n);
	return rc;
}

static void assert_rsp(fixture *f, const char *hex)
{
	uint8_t want[1024];
	size_t n = unhex(hex, want, sizeof want);
	g_assert_cmpmem(f->rsp, f->rsp_len, want, n);
}

static void test_host_single_block(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	SCRIPT(&f, { I0, "00 A4 04 00", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 A4 04 00"), ==, CCID_OK);
	assert_rsp(&f, "90 00");
	/* Both sequence numbers move on: the next APDU is I(1). */
	SCRIPT(&f, { I1, "00 B0 00 00 02", RX_BLOCK, I1, "12 34 90 00" });
	g_assert_cmpint(fx_send(&f, "00 B0 00 00 02"), ==, CCID_OK);
	assert_rsp(&f, "12 34 90 00");
	/* An empty APDU is one empty I-block. */
	SCRIPT(&f, { I0, "", RX_BLOCK, I0, "" });
	g_assert_cmpint(fx_send(&f, ""), ==, CCID_OK);
	g_assert_cmpuint(f.rsp_len, ==, 0);
}

static void test_host_chains_both_ways(void)
{
	fixture f;
	fx_setup(&f, 4, CCID_T1_EDC_CRC);
	SCRIPT(&f,
	       { I0M, "01 02 03 04", RX_BLOCK, R1, "" },
	       { I1M, "05 06 07 08", RX_BLOCK, R0, "" },
	       { I0, "09 0A", RX_BLOCK, I0M, "AA BB" },
	       { R1, "", RX_BLOCK, I1M, "" },        /* empty block inside a chain */
	       { R0, "", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "01 02 03 04 05 06 07 08 09 0A"), ==, CCID_OK);
	assert_rsp(&f, "AA BB 90 00");
	g_assert_cmpuint(f.host.ns, ==, 1);
	g_assert_cmpuint(f.host.nr, ==, 1);
	/* Exactly IFSC bytes: one block, no chaining. */
	SCRIPT(&f, { I1, "01 02 03 04", RX_BLOCK, I1, "90 00" });
	g_assert_cmpint(fx_send(&f, "01 02 03 04"), ==, CCID_OK);
}

/* The card asks for our I-block again with R(N(R) = its N(S)). */
static void test_host_retransmit_on_r_block(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { I0, "00 CA 00 00", RX_BLOCK, R0_EDC, "" },
	       { I0, "00 CA 00 00", RX_BLOCK, R0, "" },
	       { I0, "00 CA 00 00", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 CA 00 00"), ==, CCID_OK);
	assert_rsp(&f, "90 00");
	g_assert_cmpuint(f.host.n_retransmits, ==, 2);
	/* Inside a chain too, and the acknowledged part is not sent again. */
	fx_setup(&f, 2, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { I0M, "01 02", RX_BLOCK, R1, "" },
	       { I1, "03", RX_BLOCK, R1_OTH, "" },
	       { I1, "03", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "01 02 03"), ==, CCID_OK);
}

/* Rule 7.1 with the EDC error code, then rule 7.4: three retries, then
 * S(RESYNCH), then the APDU starts over from N(S) = 0. */
static void test_resync_after_bad_edc(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	/* Move the sequence numbers off 0 first. */
	SCRIPT(&f, { I0, NULL, RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_OK);
	SCRIPT(&f,
	       { I1, "80 CA 9F 7F", RX_BAD_EDC, I1, "90 00" },
	       { R1_EDC, "", RX_BAD_EDC, I1, "90 00" },
	       { R1_EDC, "", RX_BAD_EDC, I1, "90 00" },
	       { R1_EDC, "", RX_BAD_EDC, I1, "90 00" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" },
	       { I0, "80 CA 9F 7F", RX_BLOCK, I0, "01 90 00" });
	g_assert_cmpint(fx_send(&f, "80 CA 9F 7F"), ==, CCID_OK);
	assert_rsp(&f, "01 90 00");
	g_assert_cmpuint(f.host.n_resynchs, ==, 1);
	g_assert_cmpuint(f.host.ns, ==, 1);
	g_assert_cmpuint(f.host.nr, ==, 1);
}

/* Rule 7.1 for a lost block ("other error"), rule 7.2: the R-block again
 * when the answer to it is bad too; a reader's parity report is an EDC
 * error. */
static void test_host_r_block_repeated(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { I0, NULL, RX_TIMEOUT, 0, NULL },
	       { R0_OTH, "", RX_PARITY, 0, NULL },
	       { R0_OTH, "", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_OK);
	SCRIPT(&f,
	       { I1, NULL, RX_PARITY, 0, NULL },
	       { R1_EDC, "", RX_GARBAGE, 0, NULL },
	       { R1_EDC, "", RX_BLOCK, I1, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_OK);
}

/* Rule 3: S(WTX) is echoed, the multiplier goes to the caller. */
static void test_host_wtx(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_CRC);
	SCRIPT(&f,
	       { I0, NULL, RX_BLOCK, WTX_REQ, "05" },
	       { WTX_RSP, "05", RX_BLOCK, WTX_REQ, "FF" },
	       { WTX_RSP, "FF", RX_BAD_EDC, I0, "90 00" },
	       { R0_EDC, "", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 46 00 00"), ==, CCID_OK);
	g_assert_cmpuint(f.sc.n_wtx, ==, 2);
	g_assert_cmpuint(f.sc.wtx[0], ==, 5);
	g_assert_cmpuint(f.sc.wtx[1], ==, 255);
	g_assert_cmpuint(f.host.wtx, ==, 255);
	/* Without an extend_time hook the multiplier is still kept. */
	f.xfer.extend_time = NULL;
	SCRIPT(&f,
	       { I1, NULL, RX_BLOCK, WTX_REQ, "02" },
	       { WTX_RSP, "02", RX_BLOCK, I1, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 46 00 00"), ==, CCID_OK);
	g_assert_cmpuint(f.host.wtx, ==, 2);
}

/* Rule 4: the card's S(IFS request) changes IFSC for the next blocks. */
static void test_host_card_ifs_request(void)
{
	fixture f;
	fx_setup(&f, 3, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { I0M, "01 02 03", RX_BLOCK, IFS_REQ, "02" },
	       { IFS_RSP, "02", RX_BLOCK, R1, "" },
	       { I1M, "04 05", RX_BLOCK, R0, "" },
	       { I0, "06", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "01 02 03 04 05 06"), ==, CCID_OK);
	g_assert_cmpuint(f.host.ifsc, ==, 2);
}

/* Issue 17: the blocks we send stay within one reader message
 * (xfer.max_payload less prologue and epilogue), whatever IFSC the ATR or
 * an S(IFS request) of the card names: §11.4.2 makes IFSC a ceiling. */
static void test_host_chains_under_the_reader_message(void)
{
	fixture f;
	fx_setup(&f, 254, CCID_T1_EDC_LRC);
	f.xfer.max_payload = 3 + 4 + 1;	/* a block of at most 4 INF bytes */
	g_assert_cmpuint(ccid_t1_max_inf(f.xfer.max_payload, CCID_T1_EDC_LRC), ==, 4);
	g_assert_cmpuint(ccid_t1_max_inf(f.xfer.max_payload, CCID_T1_EDC_CRC), ==, 3);
	g_assert_cmpuint(ccid_t1_max_inf(0, CCID_T1_EDC_CRC), ==, 254);
	g_assert_cmpuint(ccid_t1_max_inf(271 - 10, CCID_T1_EDC_CRC), ==, 254);
	g_assert_cmpuint(ccid_t1_max_inf(263 - 10, CCID_T1_EDC_LRC), ==, 249);
	SCRIPT(&f,
	       { I0M, "01 02 03 04", RX_BLOCK, R1, "" },
	       { I1M, "05 06 07 08", RX_BLOCK, IFS_REQ, "FE" },
	       /* The card raises IFSC to 254: it is kept as the card's, and
		* the blocks still fit the reader. */
	       { IFS_RSP, "FE", RX_BLOCK, R0, "" },
	       { I0, "09", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "01 02 03 04 05 06 07 08 09"), ==, CCID_OK);
	assert_rsp(&f, "90 00");
	g_assert_cmpuint(f.host.ifsc, ==, 254);
	/* A reader whose message cannot hold one INF byte: nothing is sent,
	 * no R-block, no S(RESYNCH) (a block never sent is no lost block). */
	f.xfer.max_payload = 4;
	SCRIPT(&f, );
	g_assert_cmpint(fx_send(&f, "00 A4 04 00"), ==, CCID_E_READER_LIMIT);
	g_assert_cmpuint(f.host.n_retransmits, ==, 0);
	g_assert_cmpuint(f.host.n_resynchs, ==, 0);
	g_assert_false(f.host.dead);
}

static void test_host_negotiate_ifsd(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { IFS_REQ, "FE", RX_BLOCK, IFS_RSP, "20" },  /* wrong echo */
	       { IFS_REQ, "FE", RX_TIMEOUT, 0, NULL },
	       { IFS_REQ, "FE", RX_BLOCK, IFS_RSP, "FE" });
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 254), ==, CCID_OK);
	g_assert_cmpuint(f.sc.pos, ==, f.sc.n);
	g_assert_cmpuint(f.host.ifsd, ==, 254);
	/* A card that never echoes: 4 tries, a resynch, and IFSD stays. */
	SCRIPT(&f,
	       { IFS_REQ, "40", RX_BLOCK, R0, "" },
	       { IFS_REQ, "40", RX_BLOCK, R0, "" },
	       { IFS_REQ, "40", RX_BLOCK, R0, "" },
	       { IFS_REQ, "40", RX_BLOCK, R0, "" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" });
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 64), ==, CCID_E_RETRIES);
	g_assert_cmpuint(f.sc.pos, ==, f.sc.n);
	g_assert_cmpuint(f.host.ifsd, ==, 254);
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 0), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 255), ==, CCID_E_INVALID_ARG);
	/* A transport failure is returned, and the next call resynchs first. */
	SCRIPT(&f, { IFS_REQ, "40", RX_FAIL, 0, NULL });
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 64), ==, CCID_E_TRANSPORT);
	g_assert_true(f.host.resynch_pending);
	SCRIPT(&f,
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" },
	       { IFS_REQ, "40", RX_BLOCK, IFS_RSP, "40" });
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 64), ==, CCID_OK);
	g_assert_cmpuint(f.host.ifsd, ==, 64);
}

/* Rule 7.4.3: no answer to three S(RESYNCH): dead until a reset. */
static void test_host_dead_after_retries(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { I0, NULL, RX_TIMEOUT, 0, NULL },
	       { R0_OTH, "", RX_TIMEOUT, 0, NULL },
	       { R0_OTH, "", RX_TIMEOUT, 0, NULL },
	       { R0_OTH, "", RX_TIMEOUT, 0, NULL },
	       { RESYNCH_REQ, "", RX_TIMEOUT, 0, NULL },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_REQ, "" },
	       { RESYNCH_REQ, "", RX_BAD_EDC, RESYNCH_RSP, "" });
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_E_DEAD);
	g_assert_true(f.host.dead);
	g_assert_cmpuint(f.host.n_resynchs, ==, 3);
	/* Dead: nothing more goes to the card. */
	SCRIPT(&f, { ANY, NULL, RX_TIMEOUT, 0, NULL });
	f.sc.n = 0;
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_E_DEAD);
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&f.host, &f.xfer, 254), ==, CCID_E_DEAD);
}

static void test_host_reset_recovers(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	f.host.dead = true;
	f.host.ns = 1;
	f.host.ifsc = 5;
	ccid_t1_host_reset(&f.host);
	g_assert_false(f.host.dead);
	g_assert_cmpuint(f.host.ifsc, ==, 32);
	SCRIPT(&f, { I0, NULL, RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_OK);
	/* An explicit resynch works on a live link, not on a dead one. */
	SCRIPT(&f, { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" });
	g_assert_cmpint(ccid_t1_host_resynch(&f.host, &f.xfer), ==, CCID_OK);
	g_assert_cmpuint(f.host.ns, ==, 0);
	f.host.dead = true;
	g_assert_cmpint(ccid_t1_host_resynch(&f.host, &f.xfer), ==, CCID_E_DEAD);
	ccid_t1_host_reset(NULL);
}

/* Each restart needs a failure episode; the third gives up. */
static void test_host_restart_bound(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
#define EPISODE \
	{ I0, NULL, RX_BLOCK, R0_OTH, "" }, { I0, NULL, RX_BLOCK, R0_OTH, "" }, \
	{ I0, NULL, RX_BLOCK, R0_OTH, "" }, { I0, NULL, RX_BLOCK, R0_OTH, "" }, \
	{ RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" }
	SCRIPT(&f, EPISODE, EPISODE, EPISODE);
#undef EPISODE
	g_assert_cmpint(fx_send(&f, "00 00 00 00"), ==, CCID_E_RETRIES);
	g_assert_false(f.host.dead);
	g_assert_cmpuint(f.host.n_resynchs, ==, 3);
}

/* Rule 9: the card aborts; we answer and resynchronise. */
static void test_host_card_abort(void)
{
	fixture f;
	fx_setup(&f, 2, CCID_T1_EDC_LRC);
	SCRIPT(&f,
	       { I0M, "01 02", RX_BLOCK, ABORT_REQ, "" },
	       { ABORT_RSP, "", RX_BLOCK, R1, "" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" });
	g_assert_cmpint(fx_send(&f, "01 02 03"), ==, CCID_E_PROTOCOL);
	SCRIPT(&f, { I0, NULL, RX_FAIL, 0, NULL });
	g_assert_cmpint(fx_send(&f, "01"), ==, CCID_E_TRANSPORT);
	SCRIPT(&f, { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" },
	       { I0M, "01 02", RX_BLOCK, ABORT_REQ, "" },
	       { ABORT_RSP, "", RX_FAIL, 0, NULL });
	g_assert_cmpint(fx_send(&f, "01 02 03"), ==, CCID_E_TRANSPORT);
	g_assert_true(f.host.resynch_pending);
}

static void test_host_response_over_buffer(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	uint8_t apdu[1] = { 0 }, rsp[3];
	size_t n = 99;
	SCRIPT(&f, { I0, NULL, RX_BLOCK, I0, "01 02 03 04" });
	g_assert_cmpint(ccid_t1_host_transceive(&f.host, &f.xfer, apdu, 1, rsp, sizeof rsp, &n),
			==, CCID_E_BUFFER);
	g_assert_cmpuint(n, ==, 99);
	/* Inside a chain: cut by a resynchronisation. */
	SCRIPT(&f,
	       { I1, NULL, RX_BLOCK, I1M, "01 02" },
	       { R0, "", RX_BLOCK, I0M, "03 04" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" });
	g_assert_cmpint(ccid_t1_host_transceive(&f.host, &f.xfer, apdu, 1, rsp, sizeof rsp, &n),
			==, CCID_E_BUFFER);
	g_assert_cmpuint(f.sc.pos, ==, f.sc.n);
	g_assert_cmpuint(f.host.ns, ==, 0);
	/* A zero-capacity buffer takes an empty answer. */
	SCRIPT(&f, { I0, NULL, RX_BLOCK, I0, "" });
	g_assert_cmpint(ccid_t1_host_transceive(&f.host, &f.xfer, apdu, 1, NULL, 0, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
}

/* Blocks that are valid but wrong here are answered as invalid (rule 7.1). */
static void test_host_unexpected_blocks(void)
{
	fixture f;
	fx_setup(&f, 2, CCID_T1_EDC_LRC);
	f.host.ifsd = 2;
	SCRIPT(&f,
	       { I0M, "01 02", RX_BLOCK, I0, "90 00" },      /* I-block, not an ack */
	       { R0_OTH, "", RX_BLOCK, R1, "" },
	       { I1, "03", RX_BLOCK, R0, "" },               /* ack of an unchained block */
	       { R0_OTH, "", RX_BLOCK, I1, "90 00" },        /* wrong N(S) */
	       { R0_OTH, "", RX_BLOCK, IFS_RSP, "10" },      /* response to nothing */
	       { R0_OTH, "", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "01 02 03"), ==, CCID_OK);
	assert_rsp(&f, "90 00");
	SCRIPT(&f,
	       { I0, NULL, RX_BLOCK, RESYNCH_REQ, "" },      /* only we resynch */
	       { R1_OTH, "", RX_BLOCK, I1, "01 02 03" },     /* over IFSD */
	       { R1_OTH, "", RX_BLOCK, I1M, "01" },
	       { R0, "", RX_BLOCK, R0, "" },                 /* R while we ack: our R again */
	       { R0, "", RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "04"), ==, CCID_OK);
	assert_rsp(&f, "01 90 00");
}

static void test_host_nad(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(ccid_t1_host_set_nad(&f.host, 0x88), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_set_nad(&f.host, 0x12), ==, CCID_OK);
	f.sc.host_nad = 0x12;
	/* The card answers with SAD and DAD swapped. */
	f.sc.nad = 0x21;
	SCRIPT(&f, { I0, NULL, RX_BLOCK, I0, "90 00" });
	g_assert_cmpint(fx_send(&f, "00"), ==, CCID_OK);
	/* An answer with them not swapped is not for us: a bad block, and
	 * a card that keeps doing it ends dead. */
	f.sc.nad = 0x12;
	SCRIPT(&f,
	       { I1, NULL, RX_BLOCK, I1, "90 00" },
	       { R1_OTH, "", RX_BLOCK, I1, "90 00" },
	       { R1_OTH, "", RX_BLOCK, I1, "90 00" },
	       { R1_OTH, "", RX_BLOCK, I1, "90 00" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" });
	g_assert_cmpint(fx_send(&f, "00"), ==, CCID_E_DEAD);
}

static void test_host_bounds(void)
{
	fixture f;
	fx_setup(&f, 32, CCID_T1_EDC_LRC);
	/* S(WTX) without end. */
	f.host.max_s_requests = 2;
	SCRIPT(&f,
	       { I0, NULL, RX_BLOCK, WTX_REQ, "01" },
	       { WTX_RSP, "01", RX_BLOCK, IFS_REQ, "10" },
	       { IFS_RSP, "10", RX_BLOCK, WTX_REQ, "01" },
	       { RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" });
	g_assert_cmpint(fx_send(&f, "00"), ==, CCID_E_TIMEOUT);
	/* Empty chained blocks without end. */
	static step empties[CCID_T1_MAX_EMPTY_CHAIN + 3];
	empties[0] = (step){ I0, NULL, RX_BLOCK, I0M, "" };
	for (size_t i = 1; i <= CCID_T1_MAX_EMPTY_CHAIN; i++)
		empties[i] = (step){ (i & 1) ? R1 : R0, "", RX_BLOCK, (i & 1) ? I1M : I0M, "" };
	empties[CCID_T1_MAX_EMPTY_CHAIN + 1] = (step){ RESYNCH_REQ, "", RX_BLOCK, RESYNCH_RSP, "" };
	fx_script(&f, empties, CCID_T1_MAX_EMPTY_CHAIN + 2);
	g_assert_cmpint(fx_send(&f, "00"), ==, CCID_E_PROTOCOL);
}

static int fixed_rc_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			     uint8_t *rx, size_t cap, size_t *rx_len)
{
	(void)tx, (void)tx_len, (void)hint, (void)rx;
	int *rc = ctx;
	*rx_len = cap + 1;      /* a lying transport */
	return *rc;
}

static void test_host_transport_results(void)
{
	ccid_t1_host h;
	g_assert_cmpint(ccid_t1_host_init(&h, 32, 32, CCID_T1_EDC_LRC), ==, CCID_OK);
	int rc = CCID_OK;
	ccid_xfer x = { fixed_rc_exchange, NULL, &rc };
	uint8_t apdu[4] = { 0 }, rsp[4];
	size_t n;
	/* Over-long frames and bad frames end in a failed resynch. */
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, &n), ==, CCID_E_DEAD);
	ccid_t1_host_reset(&h);
	rc = CCID_E_BUFFER;
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, &n), ==, CCID_E_DEAD);
	ccid_t1_host_reset(&h);
	rc = CCID_R_ICC_MUTE;
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, &n), ==, CCID_E_DEAD);
	ccid_t1_host_reset(&h);
	rc = CCID_R_OVERRUN;
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, &n), ==, CCID_E_DEAD);
	ccid_t1_host_reset(&h);
	rc = CCID_E_NO_DEVICE;
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, &n), ==, CCID_E_NO_DEVICE);
	g_assert_true(h.resynch_pending);
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, &n), ==, CCID_E_NO_DEVICE);
	g_assert_cmpint(ccid_t1_host_resynch(&h, &x), ==, CCID_E_NO_DEVICE);
	/* Arguments. */
	g_assert_cmpint(ccid_t1_host_init(NULL, 32, 32, CCID_T1_EDC_LRC), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_init(&h, 0, 32, CCID_T1_EDC_LRC), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_init(&h, 32, 255, CCID_T1_EDC_LRC), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_init(&h, 32, 32, (ccid_t1_edc)2), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_init(&h, 254, 254, CCID_T1_EDC_CRC), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_host_transceive(&h, NULL, apdu, 4, rsp, 4, &n), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, NULL, 4, rsp, 4, &n), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, NULL, 4, &n), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, 4, rsp, 4, NULL), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_transceive(&h, &x, apdu, CCID_T1_MAX_APDU + 1, rsp, 4, &n),
			==, CCID_E_TOO_LONG);
	g_assert_cmpint(ccid_t1_host_resynch(NULL, &x), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_negotiate_ifsd(&h, NULL, 32), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_host_set_nad(NULL, 0), ==, CCID_E_INVALID_ARG);
}

/* ---- card role ------------------------------------------------------------ */

typedef struct card_fx {
	ccid_t1_card card;
	ccid_t1_edc edc;
	uint8_t apdu[64];
	uint8_t rsp[64];
	uint8_t out[CCID_T1_MAX_BLOCK];
	size_t out_len;
	ccid_t1_card_event ev;
} card_fx;

static void card_setup(card_fx *c, unsigned ifsc, unsigned ifsd, ccid_t1_edc edc)
{
	memset(c, 0, sizeof *c);
	c->edc = edc;
	g_assert_cmpint(ccid_t1_card_init(&c->card, ifsc, ifsd, edc, c->apdu, sizeof c->apdu,
					  c->rsp, sizeof c->rsp), ==, CCID_OK);
}

/* Feeds one block (pcb + INF hex, NAD nad; corrupt: flip the EDC). */
static int card_feed_nad(card_fx *c, uint8_t nad, uint8_t pcb, const char *inf_hex, bool corrupt)
{
	uint8_t inf[CCID_T1_MAX_INF], blk[CCID_T1_MAX_BLOCK];
	size_t n = unhex(inf_hex, inf, sizeof inf), len = 0;
	g_assert_cmpint(ccid_t1_block_encode(nad, pcb, inf, n, c->edc, blk, sizeof blk, &len), ==, CCID_OK);
	if (corrupt)
		blk[len - 1] ^= 0x80;
	return ccid_t1_card_input(&c->card, blk, len, c->out, sizeof c->out, &c->out_len, &c->ev);
}

static int card_feed(card_fx *c, uint8_t pcb, const char *inf_hex)
{
	return card_feed_nad(c, 0, pcb, inf_hex, false);
}

/* The card's answer must be this block (pcb -1: no answer). */
static void card_said(card_fx *c, int pcb, const char *inf_hex)
{
	if (pcb < 0) {
		g_assert_cmpuint(c->out_len, ==, 0);
		return;
	}
	ccid_t1_block b;
	g_assert_cmpint(ccid_t1_block_decode(c->out, c->out_len, c->edc, &b), ==, CCID_OK);
	g_assert_cmphex(b.nad, ==, ccid_t1_nad_swap(c->card.nad));
	g_assert_cmphex(b.pcb, ==, pcb);
	uint8_t want[CCID_T1_MAX_INF];
	size_t n = unhex(inf_hex, want, sizeof want);
	g_assert_cmpmem(b.len ? b.inf : want, b.len, want, n);
}

static void card_respond(card_fx *c, const char *hex)
{
	uint8_t r[64];
	size_t n = unhex(hex, r, sizeof r);
	g_assert_cmpint(ccid_t1_card_respond(&c->card, r, n, c->out, sizeof c->out, &c->out_len), ==, CCID_OK);
}

static void test_card_chained_apdu_and_response(void)
{
	card_fx c;
	card_setup(&c, 2, 3, CCID_T1_EDC_CRC);
	g_assert_cmpint(card_feed(&c, I0M, "01 02"), ==, CCID_OK);
	card_said(&c, R1, "");
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_NONE);
	g_assert_null(ccid_t1_card_apdu(&c.card, NULL));
	g_assert_cmpint(card_feed(&c, I1, "03"), ==, CCID_OK);
	card_said(&c, -1, NULL);
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_APDU);
	size_t n = 0;
	const uint8_t *apdu = ccid_t1_card_apdu(&c.card, &n);
	g_assert_cmpmem(apdu, n, "\x01\x02\x03", 3);
	/* The reader must wait while we process. */
	g_assert_cmpint(card_feed(&c, R0, ""), ==, CCID_E_PROTOCOL);
	card_respond(&c, "AA BB CC DD 90 00");
	card_said(&c, I0M, "AA BB CC");
	g_assert_cmpint(card_feed(&c, R0, ""), ==, CCID_OK);     /* again, please */
	card_said(&c, I0M, "AA BB CC");
	g_assert_cmpint(card_feed(&c, R1, ""), ==, CCID_OK);
	card_said(&c, I1, "DD 90 00");
	/* Lost: the reader asks for it again. */
	g_assert_cmpint(card_feed(&c, R1_OTH, ""), ==, CCID_OK);
	card_said(&c, I1, "DD 90 00");
	/* Next APDU, I(0): acknowledges our last block. */
	g_assert_cmpint(card_feed(&c, I0, "04"), ==, CCID_OK);
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_APDU);
	card_respond(&c, "");
	card_said(&c, I0, "");
	g_assert_cmpint(ccid_t1_card_respond(&c.card, NULL, 0, c.out, sizeof c.out, &c.out_len),
			==, CCID_E_PROTOCOL);
}

static void test_card_answers_invalid_blocks(void)
{
	card_fx c;
	card_setup(&c, 32, 32, CCID_T1_EDC_LRC);
	/* Rule 7.5: the first block after the ATR is bad: R(0) EDC. */
	g_assert_cmpint(card_feed_nad(&c, 0, I0, "01", true), ==, CCID_OK);
	card_said(&c, R0_EDC, "");
	/* Rule 7.2: bad again after our R-block: the same R-block. */
	g_assert_cmpint(ccid_t1_card_input(&c.card, (const uint8_t *)"\x00", 1, c.out, sizeof c.out,
					   &c.out_len, &c.ev), ==, CCID_OK);
	card_said(&c, R0_EDC, "");
	/* Wrong N(S), too long for IFSC, a WTX request from the reader. */
	card_setup(&c, 2, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(card_feed(&c, I1, "01"), ==, CCID_OK);
	card_said(&c, R0_OTH, "");
	card_setup(&c, 2, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(card_feed(&c, I0, "01 02 03"), ==, CCID_OK);
	card_said(&c, R0_OTH, "");
	card_setup(&c, 2, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(card_feed(&c, WTX_REQ, "01"), ==, CCID_OK);
	card_said(&c, R0_OTH, "");
	card_setup(&c, 2, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(card_feed(&c, IFS_RSP, "20"), ==, CCID_OK);
	card_said(&c, R0_OTH, "");
	/* R-block for a block we never sent: we say what we expect. */
	card_setup(&c, 2, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(card_feed(&c, R0_OTH, ""), ==, CCID_OK);
	card_said(&c, R0, "");
	/* An I-block inside our chain is answered with an R-block. */
	card_setup(&c, 32, 2, CCID_T1_EDC_LRC);
	g_assert_cmpint(card_feed(&c, I0, "01"), ==, CCID_OK);
	card_respond(&c, "01 02 03");
	card_said(&c, I0M, "01 02");
	g_assert_cmpint(card_feed(&c, I1, "05"), ==, CCID_OK);
	card_said(&c, R1_OTH, "");
	/* A block for another NAD is ignored. */
	g_assert_cmpint(card_feed_nad(&c, 0x12, R1, "", false), ==, CCID_OK);
	card_said(&c, -1, NULL);
	g_assert_cmpint(card_feed(&c, R1, ""), ==, CCID_OK);
	card_said(&c, I1, "03");
}

static void test_card_s_blocks(void)
{
	card_fx c;
	card_setup(&c, 32, 32, CCID_T1_EDC_CRC);
	g_assert_cmpint(ccid_t1_card_set_nad(&c.card, 0x12), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_card_set_nad(&c.card, 0x80), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(card_feed_nad(&c, 0x12, IFS_REQ, "FE", false), ==, CCID_OK);
	card_said(&c, IFS_RSP, "FE");
	g_assert_cmpuint(c.card.ifsd, ==, 254);
	/* Resynch in the middle of a chain. */
	g_assert_cmpint(card_feed_nad(&c, 0x12, I0M, "01", false), ==, CCID_OK);
	card_said(&c, R1, "");
	g_assert_cmpint(card_feed_nad(&c, 0x12, RESYNCH_REQ, "", false), ==, CCID_OK);
	card_said(&c, RESYNCH_RSP, "");
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_RESYNCH);
	g_assert_cmpuint(c.card.nr, ==, 0);
	/* Abort a chain. */
	g_assert_cmpint(card_feed_nad(&c, 0x12, I0M, "01", false), ==, CCID_OK);
	g_assert_cmpint(card_feed_nad(&c, 0x12, ABORT_REQ, "", false), ==, CCID_OK);
	card_said(&c, ABORT_RSP, "");
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_ABORT);
	g_assert_cmpint(card_feed_nad(&c, 0x12, ABORT_REQ, "", false), ==, CCID_OK);
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_NONE);
	/* After a resynch, a bad block gets R(0). */
	g_assert_cmpint(card_feed_nad(&c, 0x12, RESYNCH_REQ, "", false), ==, CCID_OK);
	g_assert_cmpint(card_feed_nad(&c, 0x12, I0, "", true), ==, CCID_OK);
	card_said(&c, R0_EDC, "");
}

static void test_card_wtx(void)
{
	card_fx c;
	card_setup(&c, 32, 32, CCID_T1_EDC_LRC);
	g_assert_cmpint(ccid_t1_card_request_wtx(&c.card, 3, c.out, sizeof c.out, &c.out_len),
			==, CCID_E_PROTOCOL);
	g_assert_cmpint(card_feed(&c, I0, "00 84 00 00 08"), ==, CCID_OK);
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_APDU);
	g_assert_cmpint(ccid_t1_card_request_wtx(&c.card, 0, c.out, sizeof c.out, &c.out_len),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_card_request_wtx(&c.card, 3, c.out, 10, &c.out_len), ==, CCID_E_BUFFER);
	g_assert_cmpint(ccid_t1_card_request_wtx(&c.card, 3, c.out, sizeof c.out, &c.out_len), ==, CCID_OK);
	card_said(&c, WTX_REQ, "03");
	g_assert_nonnull(ccid_t1_card_apdu(&c.card, NULL));
	/* Rule 7.3: garbled, an R-block, a wrong echo: the request again. */
	g_assert_cmpint(card_feed_nad(&c, 0, WTX_RSP, "03", true), ==, CCID_OK);
	card_said(&c, WTX_REQ, "03");
	g_assert_cmpint(card_feed(&c, R0_OTH, ""), ==, CCID_OK);
	card_said(&c, WTX_REQ, "03");
	g_assert_cmpint(card_feed(&c, WTX_RSP, "04"), ==, CCID_OK);
	card_said(&c, WTX_REQ, "03");
	g_assert_cmpint(card_feed(&c, IFS_REQ, "10"), ==, CCID_OK);
	card_said(&c, WTX_REQ, "03");
	g_assert_cmpuint(c.card.ifsd, ==, 32);
	g_assert_cmpint(card_feed(&c, WTX_RSP, "03"), ==, CCID_OK);
	card_said(&c, -1, NULL);
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_WTX_GRANTED);
	card_respond(&c, "01 02 03 04 05 06 07 08 90 00");
	card_said(&c, I0, "01 02 03 04 05 06 07 08 90 00");
}

static void test_card_apdu_too_long(void)
{
	card_fx c;
	card_setup(&c, 254, 32, CCID_T1_EDC_LRC);
	char hex[3 * 40 + 1] = "";
	for (int i = 0; i < 40; i++)
		strcat(hex, "AB ");
	g_assert_cmpint(card_feed(&c, I0M, hex), ==, CCID_OK);
	g_assert_cmpint(card_feed(&c, I1, hex), ==, CCID_OK);
	g_assert_cmpint(c.ev, ==, CCID_T1_CARD_EV_APDU_TOO_LONG);
	g_assert_null(ccid_t1_card_apdu(&c.card, NULL));
	uint8_t big[65] = { 0 };
	g_assert_cmpint(ccid_t1_card_respond(&c.card, big, sizeof big, c.out, sizeof c.out, &c.out_len),
			==, CCID_E_TOO_LONG);
	/* The response may be built in place, in the card's own buffer. */
	c.card.rsp[0] = 0x67;
	c.card.rsp[1] = 0x00;
	g_assert_cmpint(ccid_t1_card_respond(&c.card, c.card.rsp, 2, c.out, sizeof c.out, &c.out_len), ==, CCID_OK);
	card_said(&c, I0, "67 00");
	/* Arguments. */
	g_assert_cmpint(ccid_t1_card_init(NULL, 32, 32, CCID_T1_EDC_LRC, NULL, 0, NULL, 0), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_card_init(&c.card, 0, 32, CCID_T1_EDC_LRC, NULL, 0, NULL, 0), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_card_init(&c.card, 32, 32, CCID_T1_EDC_LRC, NULL, 1, NULL, 0), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_card_init(&c.card, 32, 32, CCID_T1_EDC_LRC, NULL, 0, NULL, 0), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_card_input(&c.card, NULL, 0, c.out, sizeof c.out, &c.out_len, &c.ev), ==, CCID_OK);
	card_said(&c, R0_OTH, "");
	g_assert_cmpint(ccid_t1_card_input(&c.card, NULL, 0, c.out, 10, &c.out_len, &c.ev), ==, CCID_E_BUFFER);
	g_assert_cmpint(ccid_t1_card_input(NULL, NULL, 0, c.out, 10, &c.out_len, &c.ev), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_card_respond(&c.card, NULL, 0, NULL, 0, &c.out_len), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t1_card_set_nad(NULL, 0), ==, CCID_E_INVALID_ARG);
	ccid_t1_card_reset(NULL);
	g_assert_null(ccid_t1_card_apdu(NULL, NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/t1/edc/lrc-and-crc-check-values", test_edc_vectors);
	g_test_add_func("/ccid/t1/block/known-blocks-encode-and-decode", test_block_vectors);
	g_test_add_func("/ccid/t1/block/fields-of-each-kind", test_block_fields);
	g_test_add_func("/ccid/t1/block/every-pcb-classified-as-the-standard-says", test_every_pcb_classified);
	g_test_add_func("/ccid/t1/block/malformed-rejected-with-reason", test_malformed_rejected);
	g_test_add_func("/ccid/t1/block/encode-refuses-what-decode-refuses", test_encode_refuses);
	g_test_add_func("/ccid/t1/host/single-block-apdu", test_host_single_block);
	g_test_add_func("/ccid/t1/host/chains-both-ways", test_host_chains_both_ways);
	g_test_add_func("/ccid/t1/host/retransmits-on-r-block", test_host_retransmit_on_r_block);
	g_test_add_func("/ccid/t1/resync-after-bad-edc", test_resync_after_bad_edc);
	g_test_add_func("/ccid/t1/host/r-block-repeated-when-answer-is-bad", test_host_r_block_repeated);
	g_test_add_func("/ccid/t1/host/wtx-echoed-and-multiplier-exposed", test_host_wtx);
	g_test_add_func("/ccid/t1/host/card-ifs-request-changes-ifsc", test_host_card_ifs_request);
	g_test_add_func("/ccid/t1/host/ifsd-negotiation", test_host_negotiate_ifsd);
	g_test_add_func("/ccid/t1/host/chains-under-the-reader-message",
			test_host_chains_under_the_reader_message);
	g_test_add_func("/ccid/t1/host/dead-after-retries", test_host_dead_after_retries);
	g_test_add_func("/ccid/t1/host/reset-recovers", test_host_reset_recovers);
	g_test_add_func("/ccid/t1/host/restarts-are-bounded", test_host_restart_bound);
	g_test_add_func("/ccid/t1/host/card-abort-answered-then-resynch", test_host_card_abort);
	g_test_add_func("/ccid/t1/host/response-over-buffer", test_host_response_over_buffer);
	g_test_add_func("/ccid/t1/host/unexpected-blocks-answered-as-invalid", test_host_unexpected_blocks);
	g_test_add_func("/ccid/t1/host/nad-swapped-and-checked", test_host_nad);
	g_test_add_func("/ccid/t1/host/card-requests-and-empty-chains-bounded", test_host_bounds);
	g_test_add_func("/ccid/t1/host/transport-results-mapped", test_host_transport_results);
	g_test_add_func("/ccid/t1/card/chained-apdu-and-response", test_card_chained_apdu_and_response);
	g_test_add_func("/ccid/t1/card/answers-invalid-blocks-by-the-rules", test_card_answers_invalid_blocks);
	g_test_add_func("/ccid/t1/card/s-blocks-ifs-resynch-abort", test_card_s_blocks);
	g_test_add_func("/ccid/t1/card/wtx-request-until-granted", test_card_wtx);
	g_test_add_func("/ccid/t1/card/apdu-too-long-and-arguments", test_card_apdu_too_long);
	return g_test_run();
}
