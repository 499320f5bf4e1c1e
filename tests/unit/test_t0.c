/* ccidlab — T=0 (ISO/IEC 7816-3 §10, §12.2) against an in-memory card.
 *
 * The card model speaks TPDUs: INS 10 is case 1, B0 reads `avail` (case
 * 2), D6 writes (case 3), E0 writes and then has `avail` to give (case 4),
 * C0 is GET RESPONSE.  `mode` picks how it answers a read: with the data
 * when P3 is right (else 6Cxx), or with 61xx and GET RESPONSE in chunks.
 * At character level a wrapper turns the same card into procedure bytes,
 * with optional NULLs and one-byte (~INS) transfers, so every scenario
 * runs at both levels.
 *
 * Past 600 lines, whole on purpose: one card model, both levels, every
 * case of ISO 7816-3 §12.2 against it; the model is the file's first
 * half and every test uses it.
 */
#include <glib.h>
#include <string.h>

#include "ccid/result.h"
#include "ccid/t0.h"

enum card_mode {
	MODE_EXACT,       /* read: data if P3 = Na, else 6C Na */
	MODE_61,          /* read: 61 xx, GET RESPONSE in chunks */
	MODE_6C_THEN_61,  /* read: 6C Na, then 61 xx on the right P3 */
};

typedef struct card {
	enum card_mode mode;
	uint8_t avail[2048];
	size_t avail_len;
	size_t chunk;              /* largest chunk per 61xx */
	bool lie_61_00;            /* always 61 00, whatever is left */
	size_t pos;                /* GET RESPONSE position */
	bool pending;              /* data waiting for GET RESPONSE */
	uint8_t written[256];
	size_t written_len;
	uint8_t last_cla_gr;
	unsigned tpdus;
	unsigned gr_count;
	uint8_t p3_log[512];
	/* Character level. */
	unsigned nulls;            /* NULLs before each procedure byte */
	bool one_by_one;           /* ~INS for each byte */
	bool silent;               /* no byte at all */
	uint8_t q[4096];
	size_t qh, qt;
	uint8_t hdr[5];
	size_t expect_out;
	unsigned extends;
	/* The reader's message: no exchange may carry more (0: no bound). */
	size_t max_payload;
	size_t biggest_tx, biggest_rx;
} card;

/* What one exchange moved, against the reader's message (issue 17). */
static void saw(card *c, size_t tx_len, size_t rx_len)
{
	c->biggest_tx = MAX(c->biggest_tx, tx_len);
	c->biggest_rx = MAX(c->biggest_rx, rx_len);
	if (c->max_payload != 0) {
		g_assert_cmpuint(tx_len, <=, c->max_payload);
		g_assert_cmpuint(rx_len, <=, c->max_payload);
	}
}

static size_t p3_count(uint8_t p3)
{
	return p3 == 0 ? 256 : p3;
}

static void sw_more(card *c, uint8_t *sw)
{
	size_t left = c->avail_len - c->pos;
	if (left == 0) {
		c->pending = false;
		sw[0] = 0x90;
		sw[1] = 0x00;
		return;
	}
	size_t n = left < c->chunk ? left : c->chunk;
	sw[0] = 0x61;
	sw[1] = (uint8_t)(n == 256 || c->lie_61_00 ? 0 : n);
}

/* The card's reaction to one TPDU: data out[0..*n) and SW. */
static void card_tpdu(card *c, const uint8_t *hdr, const uint8_t *data, size_t data_len,
		      uint8_t *out, size_t *n, uint8_t sw[2])
{
	*n = 0;
	if (c->tpdus < sizeof c->p3_log)
		c->p3_log[c->tpdus] = hdr[4];
	c->tpdus++;
	switch (hdr[1]) {
	case 0x10:
		sw[0] = 0x90, sw[1] = 0x00;
		return;
	case 0xD6:
	case 0xE0:
		if (data_len > 0)
			memcpy(c->written, data, data_len);
		c->written_len = data_len;
		if (hdr[1] == 0xE0 && c->avail_len > 0) {
			c->pending = true;
			c->pos = 0;
			sw_more(c, sw);
			return;
		}
		sw[0] = 0x90, sw[1] = 0x00;
		return;
	case 0xB0: {
		size_t want = p3_count(hdr[4]);
		if (c->mode == MODE_6C_THEN_61 && want != c->avail_len) {
			sw[0] = 0x6C, sw[1] = (uint8_t)c->avail_len;
			return;
		}
		if (c->mode != MODE_EXACT) {
			c->pending = true;
			c->pos = 0;
			sw_more(c, sw);
			return;
		}
		if (want != c->avail_len) {
			sw[0] = 0x6C, sw[1] = (uint8_t)c->avail_len;
			return;
		}
		memcpy(out, c->avail, want);
		*n = want;
		sw[0] = 0x90, sw[1] = 0x00;
		return;
	}
	case 0xC0: {
		c->gr_count++;
		c->last_cla_gr = hdr[0];
		if (!c->pending) {
			sw[0] = 0x69, sw[1] = 0x85;
			return;
		}
		size_t left = c->avail_len - c->pos;
		size_t want = p3_count(hdr[4]);
		if (want > left) {
			sw[0] = 0x6C, sw[1] = (uint8_t)left;
			return;
		}
		memcpy(out, c->avail + c->pos, want);
		*n = want;
		c->pos += want;
		sw_more(c, sw);
		return;
	}
	default:
		sw[0] = 0x6D, sw[1] = 0x00;
		return;
	}
}

static bool ins_sends(uint8_t ins)
{
	return ins == 0xD6 || ins == 0xE0;
}

static int tpdu_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			 uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	card *c = ctx;
	g_assert_cmpuint(hint, ==, 0);
	g_assert_cmpuint(tx_len, >=, 5);
	if (ins_sends(tx[1]))
		g_assert_cmpuint(tx_len, ==, 5 + tx[4]);
	else
		g_assert_cmpuint(tx_len, ==, 5);
	uint8_t out[256];
	size_t n;
	uint8_t sw[2];
	card_tpdu(c, tx, tx + 5, tx_len - 5, out, &n, sw);
	g_assert_cmpuint(n + 2, <=, rx_cap);
	memcpy(rx, out, n);
	rx[n] = sw[0];
	rx[n + 1] = sw[1];
	*rx_len = n + 2;
	saw(c, tx_len, *rx_len);
	return CCID_OK;
}

/* Character level: the card queues the bytes it will send. */
static void push(card *c, uint8_t b)
{
	g_assert_cmpuint(c->qt, <, sizeof c->q);
	c->q[c->qt++] = b;
}

static void push_procedure(card *c, uint8_t pb)
{
	for (unsigned i = 0; i < c->nulls; i++)
		push(c, 0x60);
	push(c, pb);
}

static void char_answer(card *c, const uint8_t *data, size_t data_len)
{
	uint8_t out[256];
	size_t n;
	uint8_t sw[2];
	card_tpdu(c, c->hdr, data, data_len, out, &n, sw);
	if (n > 0 && c->one_by_one) {
		for (size_t i = 0; i < n; i++) {
			push_procedure(c, (uint8_t)~c->hdr[1]);
			push(c, out[i]);
		}
	} else if (n > 0) {
		push_procedure(c, c->hdr[1]);
		for (size_t i = 0; i < n; i++)
			push(c, out[i]);
	}
	push_procedure(c, sw[0]);
	push(c, sw[1]);
}

static uint8_t sent[256];
static size_t sent_len;

static int char_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			 uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	card *c = ctx;
	g_assert_cmpuint(hint, <=, rx_cap);
	if (c->expect_out > 0) {
		g_assert_cmpuint(tx_len, <=, c->expect_out);
		if (tx_len > 0)
			memcpy(sent + sent_len, tx, tx_len);
		sent_len += tx_len;
		c->expect_out -= tx_len;
		if (c->expect_out == 0)
			char_answer(c, sent, sent_len);
		else if (tx_len > 0 && c->one_by_one)
			push_procedure(c, (uint8_t)~c->hdr[1]);
	} else if (tx_len == 5) {
		memcpy(c->hdr, tx, 5);
		c->qh = c->qt = 0;
		if (ins_sends(tx[1]) && tx[4] > 0) {
			c->expect_out = tx[4];
			sent_len = 0;
			push_procedure(c, c->one_by_one ? (uint8_t)~tx[1] : tx[1]);
		} else {
			char_answer(c, NULL, 0);
		}
	} else {
		g_assert_cmpuint(tx_len, ==, 0);
	}
	size_t n = 0;
	while (!c->silent && n < hint && c->qh < c->qt)
		rx[n++] = c->q[c->qh++];
	*rx_len = n;
	saw(c, tx_len, hint);
	return CCID_OK;
}

static void char_extend(void *ctx, unsigned multiplier)
{
	card *c = ctx;
	g_assert_cmpuint(multiplier, ==, 1);
	c->extends++;
}

static card *card_new(enum card_mode mode, size_t avail_len)
{
	card *c = g_new0(card, 1);
	c->mode = mode;
	c->avail_len = avail_len;
	c->chunk = 256;
	for (size_t i = 0; i < avail_len; i++)
		c->avail[i] = (uint8_t)(i * 7 + 1);
	return c;
}

static ccid_xfer xfer_for(card *c, ccid_t0_level level)
{
	ccid_xfer x = {
		.exchange = level == CCID_T0_LEVEL_TPDU ? tpdu_exchange : char_exchange,
		.extend_time = char_extend,
		.ctx = c,
		.max_payload = c->max_payload,
	};
	return x;
}

/* Each scenario runs at both levels; the char variants add NULLs and
 * single-byte transfers. */
typedef struct level_param {
	ccid_t0_level level;
	unsigned nulls;
	bool one_by_one;
} level_param;

static const level_param levels[] = {
	{ CCID_T0_LEVEL_TPDU, 0, false },
	{ CCID_T0_LEVEL_CHAR, 0, false },
	{ CCID_T0_LEVEL_CHAR, 2, false },
	{ CCID_T0_LEVEL_CHAR, 0, true },
	{ CCID_T0_LEVEL_CHAR, 1, true },
};
static const char *const level_names[] = {
	"tpdu", "char", "char-nulls", "char-single-bytes", "char-nulls-single-bytes",
};

static int run(card *c, const level_param *lp, const uint8_t *apdu, size_t apdu_len,
	       uint8_t *resp, size_t cap, size_t *resp_len)
{
	c->nulls = lp->nulls;
	c->one_by_one = lp->one_by_one;
	ccid_xfer x = xfer_for(c, lp->level);
	return ccid_t0_transceive(&x, lp->level, apdu, apdu_len, resp, cap, resp_len);
}

static void assert_sw(const uint8_t *resp, size_t len, uint8_t sw1, uint8_t sw2)
{
	g_assert_cmpuint(len, >=, 2);
	g_assert_cmphex(resp[len - 2], ==, sw1);
	g_assert_cmphex(resp[len - 1], ==, sw2);
}

static void test_case1_sends_p3_zero(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0);
	static const uint8_t apdu[] = { 0x00, 0x10, 0x01, 0x02 };
	uint8_t resp[64];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 4, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmpuint(c->tpdus, ==, 1);
	g_assert_cmphex(c->p3_log[0], ==, 0x00);
	g_free(c);
}

static void test_case2_exact_le(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0x20);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x20 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0x22);
	g_assert_cmpmem(resp, 0x20, c->avail, 0x20);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmpuint(c->tpdus, ==, 1);
	g_free(c);
}

static void test_case2_6c_reissues_with_right_le(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0x11);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0x13);
	g_assert_cmpmem(resp, 0x11, c->avail, 0x11);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmpuint(c->tpdus, ==, 2);
	g_assert_cmphex(c->p3_log[0], ==, 0x00);
	g_assert_cmphex(c->p3_log[1], ==, 0x11);
	g_free(c);
}

static void test_case2_256_bytes_with_le_zero(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 256);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 258);
	g_assert_cmpmem(resp, 256, c->avail, 256);
	g_free(c);
}

static void test_case2_61_chain_collects_all_data(gconstpointer p)
{
	card *c = card_new(MODE_61, 700);
	c->chunk = 200;
	static const uint8_t apdu[] = { 0x80, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t resp[1024];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 702);
	g_assert_cmpmem(resp, 700, c->avail, 700);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmpuint(c->gr_count, ==, 4);
	g_assert_cmphex(c->last_cla_gr, ==, 0x80);  /* proprietary CLA echoed */
	g_free(c);
}

static void test_case2_6c_then_61(gconstpointer p)
{
	card *c = card_new(MODE_6C_THEN_61, 0x30);
	static const uint8_t apdu[] = { 0x01, 0xB0, 0x00, 0x00, 0x10 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0x32);
	g_assert_cmpmem(resp, 0x30, c->avail, 0x30);
	g_assert_cmphex(c->p3_log[1], ==, 0x30);
	g_assert_cmphex(c->last_cla_gr, ==, 0x01);  /* logical channel kept */
	g_free(c);
}

static void test_get_response_6c_is_reissued(gconstpointer p)
{
	/* The card says 61 00 (256) but has 0x50: GET RESPONSE 00 gets 6C 50
	 * and goes again with P3 = 50. */
	card *c = card_new(MODE_61, 0x50);
	c->lie_61_00 = true;
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0x52);
	g_assert_cmpmem(resp, 0x50, c->avail, 0x50);
	g_assert_cmpuint(c->gr_count, ==, 2);
	g_assert_cmphex(c->p3_log[1], ==, 0x00);
	g_assert_cmphex(c->p3_log[2], ==, 0x50);
	g_free(c);
}

static void test_case3_sends_data(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0);
	static const uint8_t apdu[] = { 0x00, 0xD6, 0x00, 0x00, 0x03, 0xAA, 0xBB, 0xCC };
	uint8_t resp[64];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, sizeof apdu, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmpmem(c->written, c->written_len, apdu + 5, 3);
	g_free(c);
}

static void test_case4_gets_response_with_min_of_xx_and_le(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0x40);
	static const uint8_t apdu[] = { 0x10, 0xE0, 0x00, 0x00, 0x02, 0x01, 0x02, 0x20 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, sizeof apdu, resp, sizeof resp, &n), ==, CCID_OK);
	/* First GET RESPONSE asks Ne = 0x20, the rest follows on 61 20. */
	g_assert_cmphex(c->p3_log[1], ==, 0x20);
	g_assert_cmpuint(n, ==, 0x42);
	g_assert_cmpmem(resp, 0x40, c->avail, 0x40);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmphex(c->last_cla_gr, ==, 0x00);  /* chaining bit cleared */
	g_assert_cmpmem(c->written, c->written_len, apdu + 5, 2);
	g_free(c);
}

static void test_case4_without_data_returns_9000(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0);
	static const uint8_t apdu[] = { 0x00, 0xE0, 0x00, 0x00, 0x01, 0x55, 0x00 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, sizeof apdu, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	assert_sw(resp, n, 0x90, 0x00);
	g_assert_cmpuint(c->gr_count, ==, 0);
	g_free(c);
}

static void test_case4_le_zero_takes_whole_chunk(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0x100);
	static const uint8_t apdu[] = { 0x00, 0xE0, 0x00, 0x00, 0x01, 0x55, 0x00 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, sizeof apdu, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 258);
	g_assert_cmpuint(c->gr_count, ==, 1);
	g_free(c);
}

static void test_full_buffer_returns_data_and_61(gconstpointer p)
{
	card *c = card_new(MODE_61, 600);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t resp[300];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 300);
	g_assert_cmpmem(resp, 298, c->avail, 298);
	g_assert_cmphex(resp[298], ==, 0x61);
	g_free(c);
}

static void test_response_over_buffer_is_refused(gconstpointer p)
{
	card *c = card_new(MODE_EXACT, 0x80);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x80 };
	uint8_t resp[50];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_E_BUFFER);
	g_assert_cmpint(run(c, p, apdu, 5, resp, 1, &n), ==, CCID_E_BUFFER);
	g_free(c);
}

static void test_endless_61_chain_is_bounded(gconstpointer p)
{
	card *c = card_new(MODE_61, 2000);
	c->chunk = 1;
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	static uint8_t resp[4096];
	size_t n;
	g_assert_cmpint(run(c, p, apdu, 5, resp, sizeof resp, &n), ==, CCID_E_PROTOCOL);
	g_assert_cmpuint(c->gr_count, ==, CCID_T0_MAX_GET_RESPONSE);
	g_free(c);
}

static void test_case1_61_goes_back_to_caller(void)
{
	/* E0 with data pending yields 61xx; as case 3 (no Le) it stays. */
	card *c = card_new(MODE_EXACT, 0x10);
	static const uint8_t apdu[] = { 0x00, 0xE0, 0x00, 0x00, 0x01, 0x55 };
	uint8_t resp[64];
	size_t n;
	g_assert_cmpint(run(c, &levels[0], apdu, sizeof apdu, resp, sizeof resp, &n), ==, CCID_OK);
	assert_sw(resp, n, 0x61, 0x10);
	g_assert_cmpuint(c->gr_count, ==, 0);
	g_free(c);
}

static void test_char_null_extends_time(void)
{
	card *c = card_new(MODE_EXACT, 4);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	uint8_t resp[64];
	size_t n;
	g_assert_cmpint(run(c, &levels[2], apdu, 5, resp, sizeof resp, &n), ==, CCID_OK);
	g_assert_cmpuint(c->extends, ==, 4);  /* 2 before INS, 2 before SW1 */
	g_free(c);
}

static void test_char_silent_card_times_out(void)
{
	card *c = card_new(MODE_EXACT, 4);
	c->silent = true;
	ccid_xfer x = xfer_for(c, CCID_T0_LEVEL_CHAR);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	uint8_t resp[64];
	size_t n;
	g_assert_cmpint(ccid_t0_transceive(&x, CCID_T0_LEVEL_CHAR, apdu, 5, resp, sizeof resp, &n),
			==, CCID_E_TIMEOUT);
	g_free(c);
}

/* Scripted exchanges, for cards that break the rules. */
typedef struct script {
	const uint8_t *const *replies;
	const size_t *lens;
	size_t n, at;
	int fail_with;
	uint32_t hints[64];
} script;

static int script_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			   uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	(void)tx;
	(void)tx_len;
	script *s = ctx;
	if (s->fail_with != CCID_OK)
		return s->fail_with;
	if (s->at < G_N_ELEMENTS(s->hints))
		s->hints[s->at] = hint;
	if (s->at >= s->n) {
		*rx_len = 0;
		return CCID_OK;
	}
	size_t len = s->lens[s->at];
	g_assert_cmpuint(len, <=, rx_cap + 1);
	memcpy(rx, s->replies[s->at], len <= rx_cap ? len : rx_cap);
	*rx_len = len;  /* may exceed what was asked: the engine must notice */
	s->at++;
	return CCID_OK;
}

#define REPLY(name, ...) static const uint8_t name[] = { __VA_ARGS__ }

static int run_script(ccid_t0_level level, const uint8_t *const *replies, const size_t *lens,
		      size_t n, const uint8_t *apdu, size_t apdu_len, script *s)
{
	*s = (script){ .replies = replies, .lens = lens, .n = n };
	ccid_xfer x = { .exchange = script_exchange, .ctx = s };
	uint8_t resp[600];
	size_t rl;
	return ccid_t0_transceive(&x, level, apdu, apdu_len, resp, sizeof resp, &rl);
}

static void test_tpdu_violations_are_protocol_errors(void)
{
	static const uint8_t case1[] = { 0x00, 0x10, 0x00, 0x00 };
	static const uint8_t case2[] = { 0x00, 0xB0, 0x00, 0x00, 0x02 };
	script s;
	REPLY(one_byte, 0x90);
	REPLY(data_on_case1, 0x01, 0x90, 0x00);
	REPLY(too_much, 0x01, 0x02, 0x03, 0x90, 0x00);
	const uint8_t *r1[] = { one_byte };
	const size_t l1[] = { sizeof one_byte };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_TPDU, r1, l1, 1, case1, 4, &s), ==, CCID_E_PROTOCOL);
	const uint8_t *r2[] = { data_on_case1 };
	const size_t l2[] = { sizeof data_on_case1 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_TPDU, r2, l2, 1, case1, 4, &s), ==, CCID_E_PROTOCOL);
	const uint8_t *r3[] = { too_much };
	const size_t l3[] = { sizeof too_much };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_TPDU, r3, l3, 1, case2, 5, &s), ==, CCID_E_PROTOCOL);
	/* The transport's failure comes back as it is. */
	s = (script){ .fail_with = CCID_E_TIMEOUT };
	ccid_xfer x = { .exchange = script_exchange, .ctx = &s };
	uint8_t resp[16];
	size_t rl;
	g_assert_cmpint(ccid_t0_transceive(&x, CCID_T0_LEVEL_TPDU, case1, 4, resp, sizeof resp, &rl),
			==, CCID_E_TIMEOUT);
	g_assert_cmpint(ccid_t0_transceive(&x, CCID_T0_LEVEL_CHAR, case1, 4, resp, sizeof resp, &rl),
			==, CCID_E_TIMEOUT);
}

static void test_char_procedure_violations(void)
{
	static const uint8_t case1[] = { 0x00, 0x10, 0x00, 0x00 };
	static const uint8_t case2[] = { 0x00, 0xB0, 0x00, 0x00, 0x02 };
	static const uint8_t case3[] = { 0x00, 0xD6, 0x00, 0x00, 0x01, 0x42 };
	script s;
	REPLY(bad_pb, 0x42);
	REPLY(ins, 0xB0);
	REPLY(sw1, 0x90);
	REPLY(two, 0x01, 0x02);
	REPLY(three, 0x01, 0x02, 0x03);
	REPLY(empty, 0);
	/* Unknown procedure byte. */
	const uint8_t *r1[] = { bad_pb };
	const size_t l1[] = { 1 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, r1, l1, 1, case2, 5, &s), ==, CCID_E_PROTOCOL);
	/* ~INS on case 1: no byte to move. */
	REPLY(nins10, 0xEF);
	const uint8_t *r2[] = { nins10 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, r2, l1, 1, case1, 4, &s), ==, CCID_E_PROTOCOL);
	/* INS then data, then silence where SW1 was due. */
	const uint8_t *r3[] = { ins, two };
	const size_t l3[] = { 1, 2 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, r3, l3, 2, case2, 5, &s), ==, CCID_E_TIMEOUT);
	g_assert_cmpuint(s.hints[0], ==, 1);
	g_assert_cmpuint(s.hints[1], ==, 2);
	g_assert_cmpuint(s.hints[2], ==, 1);
	/* The reader returns more than asked. */
	const uint8_t *r4[] = { ins, three };
	const size_t l4[] = { 1, 3 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, r4, l4, 2, case2, 5, &s), ==, CCID_E_PROTOCOL);
	/* SW1 then no SW2. */
	const uint8_t *r5[] = { sw1 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, r5, l1, 1, case3, 6, &s), ==, CCID_E_TIMEOUT);
	/* ~INS past the data. */
	REPLY(nins_d6, 0x29);
	const uint8_t *r7[] = { nins_d6, empty, nins_d6 };
	const size_t l7[] = { 1, 0, 1 };
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, r7, l7, 3, case3, 6, &s), ==, CCID_E_PROTOCOL);
}

static void test_char_endless_nulls_time_out(void)
{
	static const uint8_t case1[] = { 0x00, 0x10, 0x00, 0x00 };
	static const uint8_t null_byte[] = { 0x60 };
	enum { N = CCID_T0_MAX_NULL + 2 };
	const uint8_t **replies = g_new(const uint8_t *, N);
	size_t *lens = g_new(size_t, N);
	for (size_t i = 0; i < N; i++) {
		replies[i] = null_byte;
		lens[i] = 1;
	}
	script s;
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, replies, lens, N, case1, 4, &s), ==,
			CCID_E_TIMEOUT);
	g_free(replies);
	g_free(lens);
}

static void test_char_endless_ins_is_bounded(void)
{
	static const uint8_t case1[] = { 0x00, 0x10, 0x00, 0x00 };
	static const uint8_t ins[] = { 0x10 };
	enum { N = 300 };
	const uint8_t *replies[N];
	size_t lens[N];
	for (size_t i = 0; i < N; i++) {
		replies[i] = ins;
		lens[i] = 1;
	}
	script s;
	g_assert_cmpint(run_script(CCID_T0_LEVEL_CHAR, replies, lens, N, case1, 4, &s), ==,
			CCID_E_PROTOCOL);
}

static void test_char_tpdu_refuses_bad_arguments(void)
{
	card *c = card_new(MODE_EXACT, 0);
	ccid_xfer x = xfer_for(c, CCID_T0_LEVEL_CHAR);
	static const uint8_t hdr[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	uint8_t data[16], sw[2];
	size_t n;
	g_assert_cmpint(ccid_t0_char_tpdu(&x, hdr, 5, CCID_T0_DIR_IN, data, sizeof data - 1, &n, sw),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_char_tpdu(&x, hdr, 5, CCID_T0_DIR_OUT, data, sizeof data, &n, sw),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_char_tpdu(&x, hdr, 6, CCID_T0_DIR_NONE, data, sizeof data, &n, sw),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_char_tpdu(&x, hdr, 4, CCID_T0_DIR_NONE, data, sizeof data, &n, sw),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_char_tpdu(&x, hdr, 5, (ccid_t0_dir)7, data, sizeof data, &n, sw),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_char_tpdu(NULL, hdr, 5, CCID_T0_DIR_NONE, data, sizeof data, &n, sw),
			==, CCID_E_INVALID_ARG);
	g_free(c);
}

typedef struct apdu_case {
	const char *name;
	uint8_t bytes[12];
	size_t len;
	int result;
	ccid_t0_case kase;
	size_t lc, ne;
} apdu_case;

static const apdu_case apdu_cases[] = {
	{ "case-1", { 0, 0xA4, 0, 0 }, 4, CCID_OK, CCID_T0_CASE_1, 0, 0 },
	{ "case-2s", { 0, 0xB0, 0, 0, 0x10 }, 5, CCID_OK, CCID_T0_CASE_2S, 0, 0x10 },
	{ "case-2s-256", { 0, 0xB0, 0, 0, 0x00 }, 5, CCID_OK, CCID_T0_CASE_2S, 0, 256 },
	{ "case-3s", { 0, 0xD6, 0, 0, 2, 1, 2 }, 7, CCID_OK, CCID_T0_CASE_3S, 2, 0 },
	{ "case-4s", { 0, 0xE0, 0, 0, 2, 1, 2, 0x33 }, 8, CCID_OK, CCID_T0_CASE_4S, 2, 0x33 },
	{ "case-4s-256", { 0, 0xE0, 0, 0, 1, 1, 0 }, 7, CCID_OK, CCID_T0_CASE_4S, 1, 256 },
	{ "case-2e", { 0, 0xB0, 0, 0, 0, 0x01, 0x00 }, 7, CCID_E_UNSUPPORTED, CCID_T0_CASE_EXTENDED, 0, 0 },
	{ "case-3e", { 0, 0xD6, 0, 0, 0, 0, 2, 1, 2 }, 9, CCID_E_UNSUPPORTED, CCID_T0_CASE_EXTENDED, 0, 0 },
	{ "case-4e", { 0, 0xE0, 0, 0, 0, 0, 1, 9, 0, 0 }, 10, CCID_E_UNSUPPORTED, CCID_T0_CASE_EXTENDED, 0, 0 },
	{ "too-short", { 0, 0xA4, 0 }, 3, CCID_E_SHORT, CCID_T0_CASE_INVALID, 0, 0 },
	{ "lc-disagrees", { 0, 0xD6, 0, 0, 5, 1 }, 6, CCID_E_LENGTH, CCID_T0_CASE_INVALID, 0, 0 },
	{ "zero-b1-six-bytes", { 0, 0xD6, 0, 0, 0, 1 }, 6, CCID_E_LENGTH, CCID_T0_CASE_INVALID, 0, 0 },
	{ "extended-lc-zero", { 0, 0xD6, 0, 0, 0, 0, 0, 1 }, 8, CCID_E_LENGTH, CCID_T0_CASE_INVALID, 0, 0 },
	{ "extended-lc-disagrees", { 0, 0xD6, 0, 0, 0, 0, 5, 1 }, 8, CCID_E_LENGTH, CCID_T0_CASE_INVALID, 0, 0 },
};

static void test_classify(gconstpointer p)
{
	const apdu_case *t = p;
	ccid_t0_apdu a;
	g_assert_cmpint(ccid_t0_classify(t->bytes, t->len, &a), ==, t->result);
	g_assert_cmpint(a.kase, ==, t->kase);
	g_assert_cmpuint(a.lc, ==, t->lc);
	g_assert_cmpuint(a.ne, ==, t->ne);
	g_assert_cmpstr(ccid_t0_case_name(a.kase), !=, "unknown case");
}

static void test_extended_apdu_is_refused_before_any_exchange(void)
{
	card *c = card_new(MODE_EXACT, 0);
	ccid_xfer x = xfer_for(c, CCID_T0_LEVEL_TPDU);
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00 };
	uint8_t resp[600];
	size_t n = 99;
	g_assert_cmpint(ccid_t0_transceive(&x, CCID_T0_LEVEL_TPDU, apdu, sizeof apdu, resp, sizeof resp, &n),
			==, CCID_E_UNSUPPORTED);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpuint(c->tpdus, ==, 0);
	g_assert_cmpstr(ccid_t0_case_name(CCID_T0_CASE_EXTENDED), ==, "extended APDU (not on T=0)");
	g_assert_cmpstr(ccid_t0_case_name(99), ==, "unknown case");
	g_assert_cmpint(ccid_t0_transceive(&x, (ccid_t0_level)5, apdu, 4, resp, sizeof resp, &n),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_transceive(NULL, CCID_T0_LEVEL_TPDU, apdu, 4, resp, sizeof resp, &n),
			==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_t0_classify(apdu, 4, NULL), ==, CCID_E_INVALID_ARG);
	ccid_t0_apdu a;
	g_assert_cmpint(ccid_t0_classify(NULL, 4, &a), ==, CCID_E_INVALID_ARG);
	g_free(c);
}

/* Issue 17: a reader whose messages carry 54 bytes (dwMaxCCIDMessageLength
 * 64).  At TPDU level a command TPDU over it is refused before anything
 * is sent, GET RESPONSE asks for pieces that fit; at character level the
 * bytes cross in pieces, so every length works. */
static void test_reader_message_bounds_every_exchange(gconstpointer p)
{
	const level_param *lp = p;
	uint8_t apdu[5 + 255 + 1], resp[300];
	size_t n = 0;

	for (size_t lc = 1; lc <= 255; lc++) {
		card *c = card_new(MODE_61, 200);
		c->max_payload = 54;
		apdu[0] = 0x00, apdu[1] = 0xE0, apdu[2] = 0, apdu[3] = 0, apdu[4] = (uint8_t)lc;
		for (size_t i = 0; i < lc; i++)
			apdu[5 + i] = (uint8_t)i;
		apdu[5 + lc] = 0x00;	/* Le 256: all 200 bytes */
		int rc = run(c, lp, apdu, 6 + lc, resp, sizeof resp, &n);
		if (lp->level == CCID_T0_LEVEL_TPDU && 5 + lc > 54) {
			g_assert_cmpint(rc, ==, CCID_E_READER_LIMIT);
			g_assert_cmpuint(c->tpdus, ==, 0);
		} else {
			g_assert_cmpint(rc, ==, CCID_OK);
			g_assert_cmpuint(n, ==, 202);
			g_assert_cmpmem(resp, 200, c->avail, 200);
			g_assert_cmpmem(c->written, c->written_len, apdu + 5, lc);
			/* The answer came in pieces of at most 52 bytes + SW. */
			g_assert_cmpuint(c->biggest_rx, <=, 54);
		}
		g_free(c);
	}
}

typedef void (*level_test)(gconstpointer);

static void add_all_levels(const char *name, level_test fn)
{
	for (size_t i = 0; i < G_N_ELEMENTS(levels); i++) {
		char *path = g_strdup_printf("/ccid/t0/%s/%s", name, level_names[i]);
		g_test_add_data_func(path, &levels[i], fn);
		g_free(path);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	add_all_levels("case1-sends-p3-zero", test_case1_sends_p3_zero);
	add_all_levels("case2-exact-le", test_case2_exact_le);
	add_all_levels("case2-6c-reissues-with-right-le", test_case2_6c_reissues_with_right_le);
	add_all_levels("case2-256-bytes-with-le-zero", test_case2_256_bytes_with_le_zero);
	add_all_levels("case2-61-chain-collects-all-data", test_case2_61_chain_collects_all_data);
	add_all_levels("case2-6c-then-61", test_case2_6c_then_61);
	add_all_levels("get-response-6c-is-reissued", test_get_response_6c_is_reissued);
	add_all_levels("case3-sends-data", test_case3_sends_data);
	add_all_levels("case4-gets-response-with-min-of-xx-and-le",
		       test_case4_gets_response_with_min_of_xx_and_le);
	add_all_levels("case4-without-data-returns-9000", test_case4_without_data_returns_9000);
	add_all_levels("case4-le-zero-takes-whole-chunk", test_case4_le_zero_takes_whole_chunk);
	add_all_levels("full-buffer-returns-data-and-61", test_full_buffer_returns_data_and_61);
	add_all_levels("response-over-buffer-is-refused", test_response_over_buffer_is_refused);
	add_all_levels("endless-61-chain-is-bounded", test_endless_61_chain_is_bounded);
	add_all_levels("reader-message-bounds-every-exchange",
		       test_reader_message_bounds_every_exchange);
	g_test_add_func("/ccid/t0/case3-61-goes-back-to-caller", test_case1_61_goes_back_to_caller);
	g_test_add_func("/ccid/t0/char/null-extends-time", test_char_null_extends_time);
	g_test_add_func("/ccid/t0/char/silent-card-times-out", test_char_silent_card_times_out);
	g_test_add_func("/ccid/t0/tpdu-violations-are-protocol-errors", test_tpdu_violations_are_protocol_errors);
	g_test_add_func("/ccid/t0/char/procedure-violations", test_char_procedure_violations);
	g_test_add_func("/ccid/t0/char/endless-nulls-time-out", test_char_endless_nulls_time_out);
	g_test_add_func("/ccid/t0/char/endless-ins-is-bounded", test_char_endless_ins_is_bounded);
	g_test_add_func("/ccid/t0/char/tpdu-refuses-bad-arguments", test_char_tpdu_refuses_bad_arguments);
	for (size_t i = 0; i < G_N_ELEMENTS(apdu_cases); i++) {
		char *path = g_strdup_printf("/ccid/t0/classify/%s", apdu_cases[i].name);
		g_test_add_data_func(path, &apdu_cases[i], test_classify);
		g_free(path);
	}
	g_test_add_func("/ccid/t0/extended-apdu-is-refused-before-any-exchange",
			test_extended_apdu_is_refused_before_any_exchange);
	return g_test_run();
}
