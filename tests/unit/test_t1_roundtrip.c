/* ccidlab — T=1 host role against T=1 card role, in memory.
 *
 * The xfer hands each host block to ccid_t1_card_input() and the card's
 * answer back, through a fault layer driven by a seeded PRNG: it drops a
 * block (CCID_E_TIMEOUT, before or after the card saw it), flips a bit
 * anywhere (caught by the EDC or LEN), garbles the PCB into a pattern
 * ISO 7816-3 §11.3.2.2 does not define (EDC made right), or flips an
 * I-block's N(S) (EDC made right).  The invariant: every APDU the card
 * completes is the one sent, and each ccid_t1_host_transceive() returns
 * the card's response intact, or CCID_E_RETRIES / CCID_E_DEAD, within
 * the exchange bound.
 *
 * Faults with a right EDC are spaced out (SEQ_FAULT_QUIET exchanges
 * between two).  With one-bit sequence numbers, two such faults in
 * concert can make a repeated block look new, which no T=1 peer can
 * detect; and R-blocks are never given a wrong N(R) with a right EDC,
 * because that turns "send it again" into "got it" undetectably.  Real
 * links do not produce either: the EDC catches the flipped bits.
 *
 * Seeds: each test prints its seed (g_test_message); rerun one with
 * T1_SEED=<n>.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ccid/ccid.h"
#include "ccid/t1.h"

#define SEQ_FAULT_QUIET 8

typedef struct wire {
	ccid_t1_card card;
	uint8_t *card_apdu;
	uint8_t *card_rsp;
	GRand *rng;
	unsigned fault_permille;        /* per block, per direction */
	unsigned quiet;                 /* exchanges before the next seq fault */
	unsigned wtx_permille;          /* per APDU */
	unsigned wtx_left;
	/* What the test sends and wants back. */
	const uint8_t *apdu;
	size_t apdu_len;
	const uint8_t *rsp;
	size_t rsp_len;
	/* Observations. */
	unsigned exchanges;
	unsigned apdus_seen;
	unsigned wtx_asked;
	unsigned wtx_last;
	unsigned faults;
} wire;

static bool roll(wire *l, unsigned permille)
{
	return permille && (unsigned)g_rand_int_range(l->rng, 0, 1000) < permille;
}

/* Damages blk[0..*len) in place; false: the block is lost. */
static bool fault(wire *l, uint8_t *blk, size_t *len, ccid_t1_edc edc)
{
	if (!roll(l, l->fault_permille))
		return true;
	l->faults++;
	size_t k = ccid_edc_size(edc);
	switch (g_rand_int_range(l->rng, 0, 4)) {
	case 0:
		return false;
	case 1:
		blk[g_rand_int_range(l->rng, 0, (gint32)*len)] ^= (uint8_t)(1u << g_rand_int_range(l->rng, 0, 8));
		return true;
	case 2: {
		static const uint8_t undefined[] = { 0x01, 0x10, 0x5F, 0x83, 0xA0, 0x8C, 0xC4, 0xFF };
		if (l->quiet)
			return true;
		blk[1] = undefined[g_rand_int_range(l->rng, 0, G_N_ELEMENTS(undefined))];
		break;
	}
	default:
		if (l->quiet || (blk[1] & 0x80))
			return true;
		blk[1] ^= 0x40;
		break;
	}
	l->quiet = SEQ_FAULT_QUIET;
	if (*len >= 3 + k)
		ccid_edc_put(edc, blk, *len - k, blk + *len - k);
	return true;
}

/* The card application: check the APDU, maybe ask for time, answer. */
static void card_app(wire *l, ccid_t1_card_event ev, uint8_t *out, size_t *out_len)
{
	ccid_t1_card *c = &l->card;
	if (ev == CCID_T1_CARD_EV_APDU) {
		size_t n = 0;
		const uint8_t *got = ccid_t1_card_apdu(c, &n);
		g_assert_cmpuint(n, ==, l->apdu_len);
		if (n)
			g_assert_true(memcmp(got, l->apdu, n) == 0);
		l->apdus_seen++;
		l->wtx_left = roll(l, l->wtx_permille) ? (unsigned)g_rand_int_range(l->rng, 1, 3) : 0;
	} else if (ev != CCID_T1_CARD_EV_WTX_GRANTED) {
		g_assert_cmpint(ev, !=, CCID_T1_CARD_EV_APDU_TOO_LONG);
		return;
	}
	if (l->wtx_left) {
		l->wtx_left--;
		l->wtx_asked++;
		unsigned m = (unsigned)g_rand_int_range(l->rng, 1, 256);
		g_assert_cmpint(ccid_t1_card_request_wtx(c, m, out, CCID_T1_MAX_BLOCK, out_len), ==, CCID_OK);
		return;
	}
	g_assert_cmpint(ccid_t1_card_respond(c, l->rsp, l->rsp_len, out, CCID_T1_MAX_BLOCK, out_len), ==, CCID_OK);
}

static int wire_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			 uint8_t *rx, size_t cap, size_t *rx_len)
{
	wire *l = ctx;
	(void)hint;
	l->exchanges++;
	if (l->quiet)
		l->quiet--;
	uint8_t blk[CCID_T1_MAX_BLOCK];
	g_assert_cmpuint(tx_len, <=, sizeof blk);
	memcpy(blk, tx, tx_len);
	size_t len = tx_len;
	if (!fault(l, blk, &len, l->card.edc))
		return CCID_E_TIMEOUT;
	uint8_t out[CCID_T1_MAX_BLOCK];
	size_t out_len = 0;
	ccid_t1_card_event ev;
	g_assert_cmpint(ccid_t1_card_input(&l->card, blk, len, out, sizeof out, &out_len, &ev), ==, CCID_OK);
	card_app(l, ev, out, &out_len);
	if (out_len == 0)
		return CCID_E_TIMEOUT;
	if (!fault(l, out, &out_len, l->card.edc))
		return CCID_E_TIMEOUT;
	g_assert_cmpuint(out_len, <=, cap);
	memcpy(rx, out, out_len);
	*rx_len = out_len;
	return CCID_OK;
}

static void wire_wtx(void *ctx, unsigned multiplier)
{
	wire *l = ctx;
	g_assert_cmpuint(multiplier, >=, 1);
	g_assert_cmpuint(multiplier, <=, 255);
	l->wtx_last = multiplier;
}

typedef struct rig {
	wire l;
	ccid_t1_host host;
	ccid_xfer xfer;
	uint8_t *apdu;
	uint8_t *rsp_want;
	uint8_t *rsp_got;
	guint32 seed;
	unsigned ok, retries, dead;
} rig;

static guint32 pick_seed(void)
{
	const char *env = g_getenv("T1_SEED");
	return env ? (guint32)strtoul(env, NULL, 0) : (guint32)g_test_rand_int();
}

static void rig_open(rig *r, guint32 seed, unsigned fault_permille, unsigned wtx_permille)
{
	memset(r, 0, sizeof *r);
	r->seed = seed;
	g_test_message("seed %u (rerun with T1_SEED=%u)", r->seed, r->seed);
	r->l.rng = g_rand_new_with_seed(r->seed);
	r->l.fault_permille = fault_permille;
	r->l.wtx_permille = wtx_permille;
	r->l.card_apdu = g_malloc(CCID_T1_MAX_APDU);
	r->l.card_rsp = g_malloc(CCID_T1_MAX_RESPONSE);
	r->apdu = g_malloc(CCID_T1_MAX_APDU);
	r->rsp_want = g_malloc(CCID_T1_MAX_RESPONSE);
	r->rsp_got = g_malloc(CCID_T1_MAX_RESPONSE);
	r->xfer.exchange = wire_exchange;
	r->xfer.extend_time = wire_wtx;
	r->xfer.ctx = &r->l;
}

static void rig_close(rig *r)
{
	g_test_message("seed %u: %u ok, %u gave up (retries), %u dead, %u faults, %u exchanges, %u WTX",
		       r->seed, r->ok, r->retries, r->dead, r->l.faults, r->l.exchanges, r->l.wtx_asked);
	g_rand_free(r->l.rng);
	g_free(r->l.card_apdu);
	g_free(r->l.card_rsp);
	g_free(r->apdu);
	g_free(r->rsp_want);
	g_free(r->rsp_got);
}

/* A fresh wire after an ATR: card and host agree on IFSC, IFSD, EDC. */
static void rig_wire(rig *r, unsigned ifsc, unsigned ifsd, ccid_t1_edc edc)
{
	g_assert_cmpint(ccid_t1_card_init(&r->l.card, ifsc, ifsd, edc, r->l.card_apdu, CCID_T1_MAX_APDU,
					  r->l.card_rsp, CCID_T1_MAX_RESPONSE), ==, CCID_OK);
	g_assert_cmpint(ccid_t1_host_init(&r->host, ifsc, ifsd, edc), ==, CCID_OK);
}

static void fill(GRand *rng, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)g_rand_int(rng);
}

static size_t blocks(size_t len, unsigned ifs)
{
	return len ? (len + ifs - 1) / ifs : 1;
}

/* One APDU through the wire; checks the invariant and the bound. */
static void rig_apdu(rig *r, size_t len, size_t rsp_len)
{
	wire *l = &r->l;
	fill(l->rng, r->apdu, len);
	fill(l->rng, r->rsp_want, rsp_len);
	l->apdu = r->apdu;
	l->apdu_len = len;
	l->rsp = r->rsp_want;
	l->rsp_len = rsp_len;
	unsigned before = l->exchanges, wtx_before = l->wtx_asked;
	size_t got = 0;
	int rc = ccid_t1_host_transceive(&r->host, &r->xfer, r->apdu, len, r->rsp_got,
					 CCID_T1_MAX_RESPONSE, &got);
	unsigned used = l->exchanges - before, wtx = l->wtx_asked - wtx_before;
	/* Every progress step (a block each way, a WTX) costs at most one
	 * try and CCID_T1_RETRIES retries plus the wrong turns a fault can
	 * start; each restart adds a resynchronisation. */
	size_t steps = blocks(len, r->host.ifsc) + blocks(rsp_len, r->host.ifsd) + 2 * wtx;
	size_t bound = (CCID_T1_MAX_RESTARTS + 1) *
		       (steps * (2 * CCID_T1_RETRIES + 2) + CCID_T1_RESYNCH_TRIES) + CCID_T1_RESYNCH_TRIES;
	if (used > bound)
		g_error("seed %u: len %zu rsp %zu took %u exchanges, bound %zu", r->seed, len, rsp_len, used, bound);
	switch (rc) {
	case CCID_OK:
		g_assert_cmpuint(got, ==, rsp_len);
		if (got && memcmp(r->rsp_got, r->rsp_want, got) != 0)
			g_error("seed %u: len %zu: response corrupted", r->seed, len);
		if (l->fault_permille == 0) {
			g_assert_cmpuint(used, ==, blocks(len, r->host.ifsc) + blocks(rsp_len, r->host.ifsd) - 1 + wtx);
		}
		r->ok++;
		break;
	case CCID_E_RETRIES:
		g_assert_cmpuint(l->fault_permille, >, 0);
		r->retries++;
		break;
	case CCID_E_DEAD:
		g_assert_cmpuint(l->fault_permille, >, 0);
		r->dead++;
		/* The card is reset: a new ATR, both roles start over. */
		ccid_t1_card_reset(&l->card);
		ccid_t1_host_reset(&r->host);
		break;
	default:
		g_error("seed %u: len %zu: unexpected result %s", r->seed, len, ccid_result_name(rc));
	}
}

static unsigned rand_ifs(GRand *rng)
{
	/* Half small (the hard cases), half anywhere. */
	unsigned small = (unsigned)g_rand_int_range(rng, 1, 17), any = (unsigned)g_rand_int_range(rng, 1, 255);
	return g_rand_boolean(rng) ? small : any;
}

static void lengths_0_to_600(unsigned fault_permille)
{
	rig r;
	rig_open(&r, pick_seed(), fault_permille, 60);
	for (size_t len = 0; len <= 600; len++) {
		if (len % 50 == 0)
			rig_wire(&r, rand_ifs(r.l.rng), rand_ifs(r.l.rng),
				 (len / 50) & 1 ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC);
		rig_apdu(&r, len, (size_t)g_rand_int_range(r.l.rng, 0, 601));
	}
	g_assert_cmpuint(r.l.apdus_seen, >=, r.ok);
	if (fault_permille == 0)
		g_assert_cmpuint(r.ok, ==, 601);
	rig_close(&r);
}

static void test_lengths_0_to_600_clean(void)
{
	lengths_0_to_600(0);
}

static void test_lengths_0_to_600_with_faults(void)
{
	lengths_0_to_600(30);
}

/* Every IFSC and IFSD value, with APDUs around multiples of IFSC and
 * responses around multiples of IFSD. */
static void test_every_ifs(void)
{
	rig r;
	rig_open(&r, pick_seed(), 10, 20);
	for (unsigned ifs = 1; ifs <= CCID_T1_MAX_INF; ifs++) {
		unsigned ifsd = CCID_T1_MAX_INF + 1 - ifs;
		rig_wire(&r, ifs, ifsd, ifs & 1 ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC);
		for (unsigned k = 0; k <= 3; k++) {
			for (int d = -1; d <= 1; d++) {
				long len = (long)k * ifs + d, rsp = (long)k * ifsd + d;
				if (len < 0 || rsp < 0)
					continue;
				rig_apdu(&r, (size_t)len, (size_t)rsp);
			}
		}
	}
	rig_close(&r);
}

/* Lengths 601..65,544: stepped, random, and the boundaries that matter. */
static void test_long_apdus(void)
{
	rig r;
	rig_open(&r, pick_seed(), 2, 30);
	static const size_t edges[] = { 1023, 1024, 1025, 4095, 4096, 4097, 32767, 32768,
					65534, 65535, 65536, 65537, 65543, 65544 };
	GArray *lens = g_array_new(FALSE, FALSE, sizeof(size_t));
	for (size_t len = 601; len <= CCID_T1_MAX_APDU; len += 1987)
		g_array_append_val(lens, len);
	for (int i = 0; i < 16; i++) {
		size_t len = (size_t)g_rand_int_range(r.l.rng, 601, CCID_T1_MAX_APDU + 1);
		g_array_append_val(lens, len);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(edges); i++)
		g_array_append_val(lens, edges[i]);
	for (guint i = 0; i < lens->len; i++) {
		size_t len = g_array_index(lens, size_t, i);
		/* Mostly large blocks: a 64 KiB APDU at IFSC 1 is 65,544
		 * exchanges; a few small ones keep that path honest. */
		unsigned ifsc = i % 8 == 0 ? (unsigned)g_rand_int_range(r.l.rng, 1, 8)
					   : (unsigned)g_rand_int_range(r.l.rng, 32, 255);
		unsigned ifsd = (unsigned)g_rand_int_range(r.l.rng, 32, 255);
		rig_wire(&r, ifsc, ifsd, i & 1 ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC);
		size_t rsp = i % 3 == 0 ? CCID_T1_MAX_RESPONSE
					: (size_t)g_rand_int_range(r.l.rng, 0, CCID_T1_MAX_RESPONSE + 1);
		rig_apdu(&r, len, rsp);
	}
	g_array_free(lens, TRUE);
	rig_close(&r);
}

/* Many faults: most APDUs still get through, and every failure is one of
 * the two the recovery rules allow. */
static void test_heavy_faults(void)
{
	static const guint32 fixed[] = { 1, 7, 42, 1234567, 0xC0FFEE };
	for (size_t s = 0; s <= G_N_ELEMENTS(fixed); s++) {
		/* The fixed seeds, then one that changes with the run. */
		rig r;
		guint32 seed = s < G_N_ELEMENTS(fixed) && !g_getenv("T1_SEED") ? fixed[s] : pick_seed();
		rig_open(&r, seed, 150, 100);
		for (int i = 0; i < 300; i++) {
			if (i % 25 == 0)
				rig_wire(&r, rand_ifs(r.l.rng), rand_ifs(r.l.rng),
					 g_rand_boolean(r.l.rng) ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC);
			rig_apdu(&r, (size_t)g_rand_int_range(r.l.rng, 0, 400),
				 (size_t)g_rand_int_range(r.l.rng, 0, 400));
		}
		g_assert_cmpuint(r.ok, >, 150);
		rig_close(&r);
	}
}

/* The host negotiates IFSD after the ATR; the card starts at 32. */
static void test_ifsd_negotiated(void)
{
	rig r;
	rig_open(&r, pick_seed(), 20, 0);
	for (unsigned ifsd = 1; ifsd <= CCID_T1_MAX_INF; ifsd += 3) {
		g_assert_cmpint(ccid_t1_card_init(&r.l.card, 32, CCID_T1_DEFAULT_IFS, CCID_T1_EDC_LRC,
						  r.l.card_apdu, CCID_T1_MAX_APDU, r.l.card_rsp,
						  CCID_T1_MAX_RESPONSE), ==, CCID_OK);
		g_assert_cmpint(ccid_t1_host_init(&r.host, 32, CCID_T1_DEFAULT_IFS, CCID_T1_EDC_LRC), ==, CCID_OK);
		int rc = ccid_t1_host_negotiate_ifsd(&r.host, &r.xfer, ifsd);
		if (rc != CCID_OK) {
			g_assert_true(rc == CCID_E_RETRIES || rc == CCID_E_DEAD);
			continue;
		}
		g_assert_cmpuint(r.host.ifsd, ==, ifsd);
		g_assert_cmpuint(r.l.card.ifsd, ==, ifsd);
		rig_apdu(&r, 5, 3 * ifsd + 1);
	}
	rig_close(&r);
}

/* A character-level reader in front of the wire (CCID 1.1 §6.1.4): the
 * host's characters gather until the block is whole, the card's answer
 * is served as many characters at a time as asked; no exchange moves
 * more than max_payload either way. */
typedef struct chars {
	wire *l;
	size_t max_payload;
	uint8_t in[CCID_T1_MAX_BLOCK];
	size_t in_len;
	uint8_t out[CCID_T1_MAX_BLOCK];
	size_t out_len, out_off;
	unsigned exchanges;
} chars;

static int chars_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			  uint8_t *rx, size_t cap, size_t *rx_len)
{
	chars *c = ctx;
	c->exchanges++;
	g_assert_cmpuint(tx_len, <=, c->max_payload);
	g_assert_cmpuint(hint, <=, c->max_payload);
	g_assert_cmpuint(hint, <=, cap);
	for (size_t i = 0; i < tx_len; i++) {
		c->out_len = c->out_off = 0;
		g_assert_cmpuint(c->in_len, <, sizeof c->in);
		c->in[c->in_len++] = tx[i];
		size_t need = c->in_len >= 3 ? 3 + c->in[2] + ccid_edc_size(c->l->card.edc) : 0;
		if (need == 0 || c->in_len < need)
			continue;
		size_t n = 0;
		int rc = wire_exchange(c->l, c->in, c->in_len, 0, c->out, sizeof c->out, &n);
		c->in_len = 0;
		if (rc == CCID_OK)
			c->out_len = n;
	}
	size_t n = 0;
	while (n < hint && c->out_off < c->out_len)
		rx[n++] = c->out[c->out_off++];
	*rx_len = n;
	return CCID_OK;
}

static int silent_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			   uint8_t *rx, size_t cap, size_t *rx_len)
{
	(void)ctx, (void)tx, (void)tx_len, (void)hint, (void)rx, (void)cap;
	*rx_len = 0;
	return CCID_OK;
}

/* Issue 17: T=1 over a character-level reader whose messages carry a
 * few bytes only; the blocks of the largest IFS cross in pieces. */
static void test_blocks_as_characters_in_pieces(void)
{
	rig r;
	rig_open(&r, pick_seed(), 0, 0);
	chars c = { .l = &r.l, .max_payload = 7 };
	ccid_xfer inner = { .exchange = chars_exchange, .ctx = &c, .max_payload = c.max_payload };
	ccid_t1_char tc;
	for (int edc = 0; edc <= 1; edc++) {
		rig_wire(&r, 254, 254, edc ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC);
		r.xfer = ccid_t1_char_xfer(&tc, &inner, r.host.edc);
		for (size_t len = 0; len <= 600; len += len < 300 ? 1 : 37)
			rig_apdu(&r, len, (len * 7) % 600);
	}
	g_assert_cmpuint(r.ok, >, 0);
	g_assert_cmpuint(c.exchanges, >, r.l.exchanges);
	/* A card that falls silent is a lost block to the engine (a timeout),
	 * and a reader that cannot take a prologue is refused. */
	ccid_xfer mute = { .exchange = silent_exchange, .max_payload = 7 };
	ccid_xfer blocks = ccid_t1_char_xfer(&tc, &mute, CCID_T1_EDC_LRC);
	static const uint8_t blk[4] = { 0x00, 0x00, 0x00, 0x00 };
	uint8_t rx[CCID_T1_MAX_BLOCK + 1];
	size_t got = 0;
	g_assert_cmpint(blocks.exchange(blocks.ctx, blk, sizeof blk, 0, rx, sizeof rx, &got), ==,
			CCID_E_TIMEOUT);
	mute.max_payload = 2;
	g_assert_cmpint(blocks.exchange(blocks.ctx, blk, sizeof blk, 0, rx, sizeof rx, &got), ==,
			CCID_E_READER_LIMIT);
	rig_close(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/t1/roundtrip/blocks-as-characters-in-pieces",
			test_blocks_as_characters_in_pieces);
	g_test_add_func("/ccid/t1/roundtrip/every-length-0-to-600", test_lengths_0_to_600_clean);
	g_test_add_func("/ccid/t1/roundtrip/every-length-0-to-600-with-faults", test_lengths_0_to_600_with_faults);
	g_test_add_func("/ccid/t1/roundtrip/every-ifsc-and-ifsd-around-multiples", test_every_ifs);
	g_test_add_func("/ccid/t1/roundtrip/long-apdus-up-to-65544", test_long_apdus);
	g_test_add_func("/ccid/t1/roundtrip/heavy-faults-recover-or-fail-as-specified", test_heavy_faults);
	g_test_add_func("/ccid/t1/roundtrip/ifsd-negotiated-then-used", test_ifsd_negotiated);
	return g_test_run();
}
