/* ccidlab — exchange levels: short APDU, extended APDU chaining in both
 * directions (host driver against the device-side machine, in memory),
 * character level, and malformed chains refused (CCID 1.1 §6.1.4, §6.2.1). */
#include <glib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/errmap.h"
#include "ccid/exchange.h"
#include "ccid/message.h"
#include "wiredata.h"

#define RSP_ROOM (CCID_EXTENDED_RESPONSE_MAX + CCID_HEADER_SIZE)

/* ---- an emulated reader in memory, behind a ccid_xfer ----
 * The xfer plays the IFD's part (XfrBlock out, DataBlock in, checked with
 * ccid_message_check); the device side uses ccid_exchange_dev, the same
 * codec in the reader's role. */
struct reader {
	uint32_t dwMax;
	ccid_exchange_dev dev;
	uint8_t cmdbuf[CCID_EXTENDED_APDU_MAX];
	uint8_t card_rsp[CCID_EXTENDED_RESPONSE_MAX];
	size_t card_rsp_len;          /* what the card answers */
	uint8_t seen[CCID_EXTENDED_APDU_MAX];
	size_t seen_len;              /* what the card received */
	uint8_t wire[65546 + 16];
	uint8_t bSeq;
	unsigned exchanges;
	uint16_t hints[8];            /* first wLevelParameters sent */
};

static struct reader *reader_new(uint32_t dwMax)
{
	struct reader *r = g_new0(struct reader, 1);
	r->dwMax = dwMax;
	g_assert_cmpint(ccid_exchange_dev_init(&r->dev, dwMax, r->cmdbuf, sizeof r->cmdbuf), ==,
			CCID_OK);
	return r;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31u + seed + (i >> 8));
}

static int reader_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			   uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	struct reader *r = ctx;
	ccid_msg_limits lim = { r->dwMax, 0 };
	if (r->exchanges < G_N_ELEMENTS(r->hints))
		r->hints[r->exchanges] = (uint16_t)hint;
	r->exchanges++;

	/* host: the XfrBlock; every part must fit dwMaxCCIDMessageLength */
	ccid_msg cmd, dcmd, ans;
	size_t wlen;
	ccid_message_init(&cmd, CCID_PC_TO_RDR_XFR_BLOCK, 0, r->bSeq++);
	cmd.p.xfr.wLevelParameter = (uint16_t)hint;
	cmd.dwLength = (uint32_t)tx_len;
	cmd.abData = tx;
	g_assert_cmpint(ccid_message_encode(&cmd, r->wire, r->dwMax, &wlen), ==, CCID_OK);

	/* device */
	g_assert_cmpint(ccid_message_decode(r->wire, wlen, &lim, &dcmd, NULL), ==, CCID_OK);
	ccid_dev_step st;
	int e = ccid_exchange_dev_xfr(&r->dev, dcmd.p.xfr.wLevelParameter, dcmd.abData,
				      dcmd.dwLength, &st);
	ccid_message_init(&ans, CCID_RDR_TO_PC_DATA_BLOCK, dcmd.bSlot, dcmd.bSeq);
	if (e == CCID_OK && st.action == CCID_DEV_RUN_APDU) {
		memcpy(r->seen, st.data, st.len);
		r->seen_len = st.len;
		e = ccid_exchange_dev_respond(&r->dev, r->card_rsp, r->card_rsp_len, &st);
	}
	if (e != CCID_OK) {
		ans.p.rdr.bStatus = ccid_errmap_bStatus(CCID_ICC_ACTIVE, CCID_CMD_FAILED);
		ans.p.rdr.bError = ccid_errmap_bError(e);
	} else {
		g_assert_cmpint(st.action, ==, CCID_DEV_SEND_PART);
		ans.p.rdr.bChainParameter = st.bChainParameter;
		ans.dwLength = (uint32_t)st.len;
		ans.abData = st.data;
	}
	int rc = ccid_message_encode(&ans, rx, rx_cap, rx_len);
	if (rc != CCID_OK)
		return rc;
	/* host: what the IFD's xfer checks before handing the frame up */
	g_assert_cmpint(ccid_message_check(&cmd, rx, *rx_len, &lim, NULL, NULL), ==, CCID_OK);
	return CCID_OK;
}

static void round_trip(struct reader *r, ccid_exchange_level level, const uint8_t *apdu,
		       size_t apdu_len, size_t rsp_len, uint8_t *rsp)
{
	ccid_xfer x = { .exchange = reader_exchange, .ctx = r };
	size_t got = 0;
	r->card_rsp_len = rsp_len;
	fill(r->card_rsp, rsp_len, (unsigned)(apdu_len + 7));
	r->exchanges = 0;
	int rc = ccid_exchange_transmit(&x, level, r->dwMax, apdu, apdu_len, rsp, RSP_ROOM, &got);
	if (rc != CCID_OK)
		g_error("dwMax %u apdu %zu rsp %zu: %s", r->dwMax, apdu_len, rsp_len,
			ccid_result_name(rc));
	g_assert_cmpmem(r->seen, r->seen_len, apdu, apdu_len);
	g_assert_cmpmem(rsp, got, r->card_rsp, rsp_len);
	/* one exchange per command part, one more per further response part */
	size_t part = r->dwMax - CCID_HEADER_SIZE;
	size_t cmd_parts = apdu_len == 0 ? 1 : (apdu_len + part - 1) / part;
	size_t rsp_parts = rsp_len == 0 ? 1 : (rsp_len + part - 1) / part;
	g_assert_cmpuint(r->exchanges, ==, cmd_parts + rsp_parts - 1);
}

/* Random APDU lengths 0..65,544 and responses 0..65,538 at several
 * dwMaxCCIDMessageLength values, boundaries included. */
static void test_extended_round_trips_at_every_message_size(void)
{
	static const uint32_t sizes[] = { 271, 263, 1024, 5000, 65546 };
	uint8_t *apdu = g_malloc(CCID_EXTENDED_APDU_MAX);
	uint8_t *rsp = g_malloc(RSP_ROOM);
	GRand *rng = g_rand_new_with_seed(0xCC1D);
	fill(apdu, CCID_EXTENDED_APDU_MAX, 3);
	for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
		struct reader *r = reader_new(sizes[s]);
		size_t part = sizes[s] - CCID_HEADER_SIZE;
		const size_t edges[] = { 0, 1, part - 1, part, part + 1, 2 * part, 2 * part + 1,
					 CCID_EXTENDED_APDU_MAX };
		for (size_t i = 0; i < G_N_ELEMENTS(edges); i++) {
			if (edges[i] > CCID_EXTENDED_APDU_MAX)
				continue;
			size_t rl = edges[i] > CCID_EXTENDED_RESPONSE_MAX ? CCID_EXTENDED_RESPONSE_MAX
									  : edges[i];
			round_trip(r, CCID_LEVEL_EXTENDED_APDU, apdu, edges[i], rl, rsp);
		}
		for (int i = 0; i < 40; i++) {
			size_t al = (size_t)g_rand_int_range(rng, 0, CCID_EXTENDED_APDU_MAX + 1);
			size_t rl = (size_t)g_rand_int_range(rng, 0, CCID_EXTENDED_RESPONSE_MAX + 1);
			if (i % 4 == 0)
				rl %= 300; /* short answers are the common case */
			round_trip(r, CCID_LEVEL_EXTENDED_APDU, apdu, al, rl, rsp);
		}
		g_free(r);
	}
	g_rand_free(rng);
	g_free(rsp);
	g_free(apdu);
}

static void test_extended_chain_codes_on_the_wire(void)
{
	struct reader *r = reader_new(271);
	uint8_t apdu[600], rsp[RSP_ROOM];
	fill(apdu, sizeof apdu, 1);
	/* 600 bytes in parts of 261: 0x01, 0x03, 0x02; then two response
	 * parts fetched with 0x10 */
	round_trip(r, CCID_LEVEL_EXTENDED_APDU, apdu, 600, 600, rsp);
	g_assert_cmpuint(r->exchanges, ==, 5);
	g_assert_cmphex(r->hints[0], ==, 0x01);
	g_assert_cmphex(r->hints[1], ==, 0x03);
	g_assert_cmphex(r->hints[2], ==, 0x02);
	g_assert_cmphex(r->hints[3], ==, 0x10);
	g_assert_cmphex(r->hints[4], ==, 0x10);
	round_trip(r, CCID_LEVEL_EXTENDED_APDU, apdu, 5, 2, rsp);
	g_assert_cmphex(r->hints[0], ==, 0x00);
	g_free(r);
}

static void test_short_apdu_is_one_xfrblock(void)
{
	struct reader *r = reader_new(271);
	uint8_t apdu[300], rsp[RSP_ROOM];
	fill(apdu, sizeof apdu, 9);
	for (size_t n = 0; n <= CCID_SHORT_APDU_MAX; n += 13) {
		round_trip(r, CCID_LEVEL_SHORT_APDU, apdu, n, 258 - n % 200, rsp);
		g_assert_cmphex(r->hints[0], ==, 0);
	}
	ccid_xfer x = { .exchange = reader_exchange, .ctx = r };
	size_t got;
	/* issue 17: what the level cannot carry is the reader's limit, never
	 * sent (an extended APDU, or one over a small reader's messages) */
	g_assert_cmpint(ccid_exchange_transmit(&x, CCID_LEVEL_SHORT_APDU, 271, apdu, 262, rsp,
					       sizeof rsp, &got), ==, CCID_E_READER_LIMIT);
	/* a reader whose messages are smaller than a short APDU */
	g_assert_cmpint(ccid_exchange_transmit(&x, CCID_LEVEL_SHORT_APDU, 100, apdu, 91, rsp,
					       sizeof rsp, &got), ==, CCID_E_READER_LIMIT);
	g_assert_cmpint(ccid_exchange_transmit(&x, CCID_LEVEL_TPDU, 271, apdu, 5, rsp, sizeof rsp,
					       &got), ==, CCID_E_UNSUPPORTED);
	g_assert_cmpint(ccid_exchange_transmit(&x, CCID_LEVEL_EXTENDED_APDU, 10, apdu, 5, rsp,
					       sizeof rsp, &got), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_exchange_transmit(&x, CCID_LEVEL_EXTENDED_APDU, 271, apdu,
					       CCID_EXTENDED_APDU_MAX + 1, rsp, sizeof rsp, &got),
			==, CCID_E_TOO_LONG);
	g_assert_cmpint(ccid_exchange_transmit(NULL, CCID_LEVEL_SHORT_APDU, 271, apdu, 5, rsp,
					       sizeof rsp, &got), ==, CCID_E_INVALID_ARG);
	g_free(r);
}

/* ---- a scripted reader: canned DataBlocks, whatever was sent ---- */
struct script {
	uint8_t frames[8][300];
	size_t lens[8];
	size_t count;
	size_t next;
	uint32_t hints[8];
	int fail_with;          /* transport error on the first exchange */
};

static void script_add(struct script *s, uint8_t bStatus, uint8_t bError, uint8_t chain,
		       const uint8_t *data, size_t n)
{
	ccid_msg m;
	ccid_message_init(&m, CCID_RDR_TO_PC_DATA_BLOCK, 0, 0);
	m.p.rdr.bStatus = bStatus;
	m.p.rdr.bError = bError;
	m.p.rdr.bChainParameter = chain;
	m.dwLength = (uint32_t)n;
	m.abData = data;
	g_assert_cmpint(ccid_message_encode(&m, s->frames[s->count], sizeof s->frames[0],
					    &s->lens[s->count]), ==, CCID_OK);
	s->count++;
}

static void script_add_raw(struct script *s, const uint8_t *frame, size_t n)
{
	memcpy(s->frames[s->count], frame, n);
	s->lens[s->count++] = n;
}

static int script_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			   uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	struct script *s = ctx;
	(void)tx;
	(void)tx_len;
	if (s->fail_with != CCID_OK)
		return s->fail_with;
	g_assert_cmpuint(s->next, <, s->count);
	s->hints[s->next] = hint;
	size_t n = s->lens[s->next];
	if (n > rx_cap)
		return CCID_E_BUFFER;
	memcpy(rx, s->frames[s->next++], n);
	*rx_len = n;
	return CCID_OK;
}

static int run_script(struct script *s, size_t apdu_len, uint32_t dwMax, uint8_t *rsp,
		      size_t *got)
{
	static uint8_t apdu[1000];
	ccid_xfer x = { .exchange = script_exchange, .ctx = s };
	return ccid_exchange_transmit(&x, CCID_LEVEL_EXTENDED_APDU, dwMax, apdu, apdu_len, rsp,
				      300 + 600, got);
}

static const uint8_t sw9000[] = { 0x90, 0x00 };
static const uint8_t data100[100] = { 1 };

static void test_malformed_response_chains_are_refused(void)
{
	struct {
		const char *what;
		uint8_t chain[3];
		size_t n;
		int want;
	} cases[] = {
		{ "0x01 after the end (0x00)", { 0x00, 0x01 }, 1, CCID_OK },
		{ "0x00 inside a chain", { 0x01, 0x00 }, 2, CCID_E_PROTOCOL },
		{ "0x01 inside a chain", { 0x01, 0x01 }, 2, CCID_E_PROTOCOL },
		{ "0x02 first", { 0x02 }, 1, CCID_E_PROTOCOL },
		{ "0x03 first", { 0x03 }, 1, CCID_E_PROTOCOL },
		{ "0x10 as a response", { 0x10 }, 1, CCID_E_PROTOCOL },
		{ "unknown code", { 0x04 }, 1, CCID_E_PROTOCOL },
		{ "0x01 0x03 0x02 is fine", { 0x01, 0x03, 0x02 }, 3, CCID_OK },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct script s = { 0 };
		uint8_t rsp[900];
		size_t got = 0;
		g_test_message("%s", cases[i].what);
		for (size_t k = 0; k < cases[i].n; k++)
			script_add(&s, 0, 0, cases[i].chain[k], data100, sizeof data100);
		g_assert_cmpint(run_script(&s, 5, 271, rsp, &got), ==, cases[i].want);
		if (cases[i].want == CCID_OK)
			g_assert_cmpuint(got, ==, 100 * (s.next));
	}
}

static void test_empty_part_that_promises_more_is_refused(void)
{
	struct script s = { 0 };
	uint8_t rsp[900];
	size_t got;
	script_add(&s, 0, 0, 0x01, NULL, 0);
	g_assert_cmpint(run_script(&s, 5, 271, rsp, &got), ==, CCID_E_PROTOCOL);
	/* an empty last part is fine */
	struct script t = { 0 };
	script_add(&t, 0, 0, 0x01, sw9000, 2);
	script_add(&t, 0, 0, 0x02, NULL, 0);
	g_assert_cmpint(run_script(&t, 5, 271, rsp, &got), ==, CCID_OK);
	g_assert_cmpuint(got, ==, 2);
	g_assert_cmphex(t.hints[1], ==, 0x10);
}

/* The reader must acknowledge a non-final command part with an empty
 * 0x10 DataBlock (CCID 1.1 §6.2.1), not answer it. */
static void test_command_part_not_acknowledged_is_refused(void)
{
	struct script s = { 0 };
	uint8_t rsp[900];
	size_t got;
	script_add(&s, 0, 0, 0x00, sw9000, 2);
	g_assert_cmpint(run_script(&s, 600, 271, rsp, &got), ==, CCID_E_PROTOCOL);
	struct script t = { 0 };
	script_add(&t, 0, 0, 0x10, sw9000, 2); /* 0x10 with data */
	g_assert_cmpint(run_script(&t, 600, 271, rsp, &got), ==, CCID_E_PROTOCOL);
	struct script u = { 0 };
	script_add_raw(&u, wire_datablock_chain_ack, sizeof wire_datablock_chain_ack);
	script_add_raw(&u, wire_datablock_chain_ack, sizeof wire_datablock_chain_ack);
	script_add_raw(&u, wire_datablock_9000, sizeof wire_datablock_9000);
	g_assert_cmpint(run_script(&u, 600, 271, rsp, &got), ==, CCID_OK);
	g_assert_cmpmem(rsp, got, sw9000, 2);
	g_assert_cmphex(u.hints[0], ==, 0x01);
	g_assert_cmphex(u.hints[1], ==, 0x03);
	g_assert_cmphex(u.hints[2], ==, 0x02);
}

static void test_failed_status_and_bad_frames_are_refused(void)
{
	uint8_t rsp[900];
	size_t got;
	struct script a = { 0 };
	script_add_raw(&a, wire_datablock_mute, sizeof wire_datablock_mute);
	g_assert_cmpint(run_script(&a, 5, 271, rsp, &got), ==, CCID_R_ICC_MUTE);
	struct script b = { 0 };
	script_add_raw(&b, wire_datablock_time_ext, sizeof wire_datablock_time_ext);
	g_assert_cmpint(run_script(&b, 5, 271, rsp, &got), ==, CCID_E_PROTOCOL);
	struct script c = { 0 };
	script_add_raw(&c, wire_slot_status_active, sizeof wire_slot_status_active);
	g_assert_cmpint(run_script(&c, 5, 271, rsp, &got), ==, CCID_E_BAD_TYPE);
	struct script d = { 0 };
	script_add(&d, 0, 0, 0x00, data100, sizeof data100);
	g_assert_cmpint(run_script(&d, 5, 100, rsp, &got), ==, CCID_E_TOO_LONG);
	struct script e = { 0 };
	script_add_raw(&e, wire_datablock_9000, 11);
	g_assert_cmpint(run_script(&e, 5, 271, rsp, &got), ==, CCID_E_LENGTH);
	struct script f = { .fail_with = CCID_E_TIMEOUT };
	g_assert_cmpint(run_script(&f, 5, 271, rsp, &got), ==, CCID_E_TIMEOUT);
	/* mid-chain failure */
	struct script g = { 0 };
	script_add(&g, 0, 0, 0x01, data100, sizeof data100);
	script_add(&g, 0x40, 0xFD, 0x00, NULL, 0);
	g_assert_cmpint(run_script(&g, 5, 271, rsp, &got), ==, CCID_R_PARITY);
}

static void test_response_over_65538_is_refused(void)
{
	ccid_chain_rx rx;
	uint8_t *buf = g_malloc(70000);
	ccid_exchange_rx_init(&rx, buf, 70000, CCID_EXTENDED_RESPONSE_MAX);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x01, buf + 1000, 65536), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x03, buf, 2), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x02, buf, 1), ==, CCID_E_TOO_LONG);
	/* and it stays failed */
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x02, buf, 0), ==, CCID_E_PROTOCOL);
	g_assert_false(ccid_exchange_rx_done(&rx));
	g_assert_cmpint(ccid_exchange_rx_result(&rx), ==, CCID_E_PROTOCOL);
	ccid_exchange_rx_init(&rx, buf, 70000, CCID_EXTENDED_RESPONSE_MAX);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x00, buf, 65539), ==, CCID_E_TOO_LONG);
	g_free(buf);
}

/* Past the caller's buffer the chain is counted, not stored, so the
 * caller can drain the reader and learn the size it needed. */
static void test_overflow_drains_and_reports_needed_size(void)
{
	ccid_chain_rx rx;
	uint8_t buf[4];
	ccid_exchange_rx_init(&rx, buf, sizeof buf, CCID_EXTENDED_RESPONSE_MAX);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x01, (const uint8_t *)"abc", 3), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x03, (const uint8_t *)"def", 3), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x02, (const uint8_t *)"g", 1), ==, CCID_OK);
	g_assert_true(ccid_exchange_rx_done(&rx));
	g_assert_cmpint(ccid_exchange_rx_result(&rx), ==, CCID_E_BUFFER);
	g_assert_cmpuint(rx.len, ==, 7);
	g_assert_cmpmem(buf, 3, "abc", 3);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x00, NULL, 0), ==, CCID_E_PROTOCOL);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, 0x00, NULL, 1), ==, CCID_E_INVALID_ARG);
}

static void test_splitter_codes(void)
{
	static const uint8_t data[10] = { 0 };
	struct {
		size_t len, part;
		uint8_t codes[5];
		size_t n;
	} cases[] = {
		{ 0, 4, { 0x00 }, 1 },
		{ 4, 4, { 0x00 }, 1 },
		{ 5, 4, { 0x01, 0x02 }, 2 },
		{ 8, 4, { 0x01, 0x02 }, 2 },
		{ 9, 4, { 0x01, 0x03, 0x02 }, 3 },
		{ 10, 1, { 0x01, 0x03, 0x03, 0x03, 0x03 }, 5 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		ccid_chain_tx tx;
		g_assert_cmpint(ccid_exchange_tx_init(&tx, data, cases[i].len, 100, cases[i].part),
				==, CCID_OK);
		for (size_t k = 0; k < cases[i].n; k++) {
			const uint8_t *p;
			size_t n;
			uint8_t code;
			g_assert_false(ccid_exchange_tx_done(&tx));
			g_assert_cmpint(ccid_exchange_tx_next(&tx, &p, &n, &code), ==, CCID_OK);
			g_assert_cmphex(code, ==, cases[i].codes[k]);
		}
		if (cases[i].len != 10) {
			const uint8_t *p;
			size_t n;
			uint8_t code;
			g_assert_true(ccid_exchange_tx_done(&tx));
			g_assert_cmpint(ccid_exchange_tx_next(&tx, &p, &n, &code), ==,
					CCID_E_PROTOCOL);
		}
	}
	ccid_chain_tx tx;
	g_assert_cmpint(ccid_exchange_tx_init(&tx, data, 10, 9, 4), ==, CCID_E_TOO_LONG);
	g_assert_cmpint(ccid_exchange_tx_init(&tx, data, 10, 10, 0), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_exchange_tx_init(&tx, NULL, 1, 10, 1), ==, CCID_E_INVALID_ARG);
}

/* The emulated reader refuses broken chains and starts over. */
static void test_device_refuses_malformed_chains(void)
{
	ccid_exchange_dev d;
	uint8_t buf[CCID_EXTENDED_APDU_MAX];
	uint8_t big[300];
	ccid_dev_step st;
	fill(big, sizeof big, 5);
	g_assert_cmpint(ccid_exchange_dev_init(&d, 271, buf, sizeof buf), ==, CCID_OK);
	/* "send the next part" with nothing to send */
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x10, NULL, 0, &st), ==, CCID_E_PROTOCOL);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x02, big, 4, &st), ==, CCID_E_PROTOCOL);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x100, big, 4, &st), ==, CCID_E_PROTOCOL);
	/* begin, then begin again */
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x01, big, 261, &st), ==, CCID_OK);
	g_assert_cmpint(st.action, ==, CCID_DEV_SEND_PART);
	g_assert_cmphex(st.bChainParameter, ==, 0x10);
	g_assert_cmpuint(st.len, ==, 0);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x01, big, 261, &st), ==, CCID_E_PROTOCOL);
	/* after the reset, a whole command works */
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x00, big, 5, &st), ==, CCID_OK);
	g_assert_cmpint(st.action, ==, CCID_DEV_RUN_APDU);
	g_assert_cmpmem(st.data, st.len, big, 5);
	/* a command while the card runs is refused */
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x00, big, 5, &st), ==, CCID_E_PROTOCOL);
	g_assert_cmpint(ccid_exchange_dev_respond(&d, big, 2, &st), ==, CCID_E_PROTOCOL);
	/* a long answer, and the host sends data instead of 0x10 */
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x00, big, 5, &st), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_dev_respond(&d, big, 300, &st), ==, CCID_OK);
	g_assert_cmphex(st.bChainParameter, ==, 0x01);
	g_assert_cmpuint(st.len, ==, 261);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x10, big, 1, &st), ==, CCID_E_PROTOCOL);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x10, NULL, 0, &st), ==, CCID_E_PROTOCOL);
	/* an answer over 65,538 is refused */
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x00, big, 5, &st), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_dev_respond(&d, buf, CCID_EXTENDED_RESPONSE_MAX + 1, &st),
			==, CCID_E_TOO_LONG);
	g_assert_cmpint(ccid_exchange_dev_init(&d, 10, buf, sizeof buf), ==, CCID_E_INVALID_ARG);
}

/* A command over 65,544 bytes is refused by the reader. */
static void test_device_refuses_command_over_65544(void)
{
	ccid_exchange_dev d;
	uint8_t *buf = g_malloc(CCID_EXTENDED_APDU_MAX);
	uint8_t *part = g_malloc0(65536);
	ccid_dev_step st;
	g_assert_cmpint(ccid_exchange_dev_init(&d, 65546, buf, CCID_EXTENDED_APDU_MAX), ==,
			CCID_OK);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x01, part, 65536, &st), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x02, part, 9, &st), ==, CCID_E_TOO_LONG);
	/* a reader model whose command buffer is smaller than the command */
	uint8_t small[10];
	g_assert_cmpint(ccid_exchange_dev_init(&d, 271, small, sizeof small), ==, CCID_OK);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x00, part, 11, &st), ==, CCID_E_BUFFER);
	g_assert_cmpint(ccid_exchange_dev_xfr(&d, 0x00, part, 10, &st), ==, CCID_OK);
	g_assert_cmpint(st.action, ==, CCID_DEV_RUN_APDU);
	g_free(part);
	g_free(buf);
}

/* Character level: wLevelParameter carries the count expected back. */
static void test_character_level_passes_expected_count(void)
{
	uint8_t rsp[300];
	size_t got;
	static const uint8_t five[] = { 0xA4, 0x61, 0x10, 0x90, 0x00 };
	ccid_xfer x = { .exchange = script_exchange };
	struct script s = { 0 };
	x.ctx = &s;
	script_add(&s, 0, 0, 0, five, 5);
	g_assert_cmpint(ccid_exchange_char(&x, 271, (const uint8_t *)"\x00\xA4\x04\x00\x02", 5, 5,
					   rsp, sizeof rsp, &got), ==, CCID_OK);
	g_assert_cmpuint(s.hints[0], ==, 5);
	g_assert_cmpmem(rsp, got, five, 5);
	struct script t = { 0 };
	x.ctx = &t;
	script_add(&t, 0, 0, 0, five, 5);
	g_assert_cmpint(ccid_exchange_char(&x, 271, five, 1, 1, rsp, sizeof rsp, &got), ==,
			CCID_E_LENGTH);
	struct script u = { 0 };
	x.ctx = &u;
	script_add_raw(&u, wire_datablock_mute, sizeof wire_datablock_mute);
	g_assert_cmpint(ccid_exchange_char(&x, 271, five, 1, 1, rsp, sizeof rsp, &got), ==,
			CCID_R_ICC_MUTE);
	g_assert_cmpint(ccid_exchange_char(&x, 20, data100, 11, 1, rsp, sizeof rsp, &got), ==,
			CCID_E_READER_LIMIT);
	g_assert_cmpint(ccid_exchange_char(NULL, 271, five, 1, 1, rsp, sizeof rsp, &got), ==,
			CCID_E_INVALID_ARG);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/exchange/extended-round-trips-at-every-message-size",
			test_extended_round_trips_at_every_message_size);
	g_test_add_func("/ccid/exchange/extended-chain-codes-on-the-wire",
			test_extended_chain_codes_on_the_wire);
	g_test_add_func("/ccid/exchange/short-apdu-is-one-xfrblock",
			test_short_apdu_is_one_xfrblock);
	g_test_add_func("/ccid/exchange/malformed-response-chains-are-refused",
			test_malformed_response_chains_are_refused);
	g_test_add_func("/ccid/exchange/empty-part-that-promises-more-is-refused",
			test_empty_part_that_promises_more_is_refused);
	g_test_add_func("/ccid/exchange/command-part-not-acknowledged-is-refused",
			test_command_part_not_acknowledged_is_refused);
	g_test_add_func("/ccid/exchange/failed-status-and-bad-frames-are-refused",
			test_failed_status_and_bad_frames_are_refused);
	g_test_add_func("/ccid/exchange/response-over-65538-is-refused",
			test_response_over_65538_is_refused);
	g_test_add_func("/ccid/exchange/overflow-drains-and-reports-needed-size",
			test_overflow_drains_and_reports_needed_size);
	g_test_add_func("/ccid/exchange/splitter-codes", test_splitter_codes);
	g_test_add_func("/ccid/exchange/device-refuses-malformed-chains",
			test_device_refuses_malformed_chains);
	g_test_add_func("/ccid/exchange/device-refuses-command-over-65544",
			test_device_refuses_command_over_65544);
	g_test_add_func("/ccid/exchange/character-level-passes-expected-count",
			test_character_level_passes_expected_count);
	return g_test_run();
}
