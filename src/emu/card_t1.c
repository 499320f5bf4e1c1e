/* ccidlab — the card side of T=1 (ISO/IEC 7816-3 §11), on the CCID
 * core's card role (ccid_t1_card_*, src/ccid/t1.h): this file only wires
 * the role to the application and turns work_ms into S(WTX).
 *
 * - Set up at every reset when the ATR offers T=1: IFSC from the ATR
 *   (first TA for T=1; 32 when absent), IFSD 32 until the reader sends
 *   S(IFS request), EDC from the first TC for T=1.
 * - When the application asks for time, the card answers the APDU's last
 *   block with S(WTX request) (§11.6.2.2 rule 3) instead of the response:
 *   multiplier = ceil(work_ms / BWT), 1..255, with BWT from the ATR's BWI
 *   at the Fi/Di in force and EMU_CARD_CLOCK_KHZ.  Once the reader grants
 *   it, the card works that long (reported in *work_ms, for the device to
 *   wait) and answers, or asks again when 255 BWT were not enough.
 */
#include "emu/card_private.h"

#include <string.h>

#include "ccid/result.h"

void emu_card_t1_reset(emu_card *c)
{
	emu_card_t1 *t = &c->t1;
	t->ready = false;
	t->holding = false;
	t->work_left = 0;
	t->work_next = 0;
	t->cin_len = 0;
	t->cout_len = 0;
	t->cout_off = 0;
	t->cout_work = 0;
	bool offered = c->atr_valid ? ccid_atr_offers(&c->parsed, 1) : c->protocols != EMU_CARD_T0;
	if (!offered)
		return;
	unsigned ifsc = CCID_T1_DEFAULT_IFS;
	ccid_t1_edc edc = CCID_T1_EDC_LRC;
	if (c->atr_valid) {
		ifsc = c->parsed.ifsc;
		edc = c->parsed.edc_crc ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC;
	}
	if (ifsc < 1 || ifsc > CCID_T1_MAX_INF)
		ifsc = CCID_T1_DEFAULT_IFS;
	t->ready = ccid_t1_card_init(&t->role, ifsc, CCID_T1_DEFAULT_IFS, edc, t->apdu,
				     CCID_T1_MAX_APDU, c->rsp, EMU_CARD_RSP_CAP) == CCID_OK;
}

static unsigned bwt_ms(const emu_card *c)
{
	uint8_t bwi = c->atr_valid ? c->parsed.bwi : CCID_ATR_DEFAULT_BWI;
	uint64_t us = ccid_atr_bwt_us(bwi, c->fidi, EMU_CARD_CLOCK_KHZ);
	if (us == 0)
		us = ccid_atr_bwt_us(bwi, CCID_ATR_DEFAULT_FIDI, EMU_CARD_CLOCK_KHZ);
	uint64_t ms = (us + 999) / 1000;
	return ms == 0 ? 1 : ms > 100000 ? 100000 : (unsigned)ms;
}

/* S(WTX request) for what is left of the work. */
static int wtx_step(emu_card *c, uint8_t *blk, size_t cap, size_t *n)
{
	emu_card_t1 *t = &c->t1;
	unsigned bwt = bwt_ms(c);
	unsigned m = (t->work_left + bwt - 1) / bwt;
	if (m < 1)
		m = 1;
	if (m > 255)
		m = 255;
	unsigned covered = m * bwt < t->work_left ? m * bwt : t->work_left;
	t->work_left -= covered;
	t->work_next = covered;
	return ccid_t1_card_request_wtx(&t->role, m, blk, cap, n);
}

/* The application's answer (data + SW) in c->rsp; returns its length. */
static size_t run_apdu(emu_card *c, const uint8_t *apdu, size_t len, unsigned *work)
{
	emu_apdu a;
	emu_app_rsp r = { .data = c->rsp, .cap = EMU_APDU_MAX_NE };
	uint16_t sw = emu_apdu_parse(apdu, len, &a);
	if (sw != 0)
		r.sw = sw;
	else
		emu_card_run_app(c, &a, &r);
	c->rsp[r.len] = (uint8_t)(r.sw >> 8);
	c->rsp[r.len + 1] = (uint8_t)r.sw;
	*work = r.work_ms;
	return r.len + 2;
}

static int on_apdu(emu_card *c, uint8_t *blk, size_t cap, size_t *n)
{
	emu_card_t1 *t = &c->t1;
	size_t alen = 0;
	const uint8_t *apdu = ccid_t1_card_apdu(&t->role, &alen);
	unsigned work = 0;
	size_t rlen = run_apdu(c, apdu, apdu ? alen : 0, &work);
	if (work == 0)
		return ccid_t1_card_respond(&t->role, c->rsp, rlen, blk, cap, n);
	t->holding = true;
	t->held_len = rlen;
	t->work_left = work;
	return wtx_step(c, blk, cap, n);
}

static int on_wtx_granted(emu_card *c, uint8_t *blk, size_t cap, size_t *n, unsigned *work_ms)
{
	emu_card_t1 *t = &c->t1;
	static const uint8_t sw_unknown[2] = { 0x6F, 0x00 };
	*work_ms = t->work_next;
	t->work_next = 0;
	if (!t->holding)
		return ccid_t1_card_respond(&t->role, sw_unknown, 2, blk, cap, n);
	if (t->work_left > 0)
		return wtx_step(c, blk, cap, n);
	t->holding = false;
	return ccid_t1_card_respond(&t->role, c->rsp, t->held_len, blk, cap, n);
}

int emu_card_t1_block(emu_card *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		      size_t *out_len, unsigned *work_ms)
{
	int rc = emu_card_enter(c, in, len, out, cap, out_len, work_ms);
	if (rc != CCID_OK)
		return rc;
	emu_card_t1 *t = &c->t1;
	if (!t->ready)
		return CCID_OK;  /* a card without T=1 does not understand blocks */
	uint8_t blk[CCID_T1_MAX_BLOCK];
	size_t n = 0;
	ccid_t1_card_event ev = CCID_T1_CARD_EV_NONE;
	static const uint8_t no_bytes[1];
	int r = ccid_t1_card_input(&t->role, in ? in : no_bytes, len, blk, sizeof blk, &n, &ev);
	if (r == CCID_E_PROTOCOL)
		return CCID_OK;  /* a block while we work: no answer */
	if (r != CCID_OK)
		return r;
	static const uint8_t sw_wrong_length[2] = { 0x67, 0x00 };
	switch (ev) {
	case CCID_T1_CARD_EV_APDU:
		r = on_apdu(c, blk, sizeof blk, &n);
		break;
	case CCID_T1_CARD_EV_APDU_TOO_LONG:
		r = ccid_t1_card_respond(&t->role, sw_wrong_length, 2, blk, sizeof blk, &n);
		break;
	case CCID_T1_CARD_EV_WTX_GRANTED:
		r = on_wtx_granted(c, blk, sizeof blk, &n, work_ms);
		break;
	case CCID_T1_CARD_EV_RESYNCH:
	case CCID_T1_CARD_EV_ABORT:
		t->holding = false;
		t->work_left = 0;
		break;
	case CCID_T1_CARD_EV_NONE:
	default:
		break;
	}
	if (r != CCID_OK)
		return r;
	if (n > cap)
		return CCID_E_BUFFER;
	if (n > 0)
		memcpy(out, blk, n);
	*out_len = n;
	return CCID_OK;
}

void emu_card_t1_auto_ifsd(emu_card *c, unsigned max_ifsd, size_t max_payload)
{
	if (c == NULL || !c->t1.ready)
		return;
	unsigned ifsd = max_ifsd == 0 ? CCID_T1_DEFAULT_IFS : MIN(max_ifsd, CCID_T1_MAX_INF);
	size_t fits = ccid_t1_max_inf(max_payload, c->t1.role.edc);
	if (fits < ifsd)
		ifsd = (unsigned)fits;
	if (ifsd >= 1)
		c->t1.role.ifsd = (uint8_t)ifsd;
}

/* The block is whole once LEN and the epilogue are in (LEN 255 is
 * reserved: the prologue and an epilogue make it whole, and bad). */
static bool block_whole(const emu_card *c)
{
	const emu_card_t1 *t = &c->t1;
	if (t->cin_len < 3)
		return false;
	size_t len = t->cin[2] == 0xFF ? 0 : t->cin[2];
	return t->cin_len >= 3 + len + ccid_edc_size(t->role.edc);
}

int emu_card_t1_chars(emu_card *c, const uint8_t *in, size_t len, size_t expected,
		      uint8_t *out, size_t cap, size_t *out_len, unsigned *work_ms)
{
	int rc = emu_card_enter(c, in, len, out, cap, out_len, work_ms);
	if (rc != CCID_OK)
		return rc;
	emu_card_t1 *t = &c->t1;
	if (!t->ready)
		return CCID_OK;
	for (size_t i = 0; i < len; i++) {
		/* The reader speaks before our answer is out: it gave up on it. */
		t->cout_len = t->cout_off = 0;
		t->cin[t->cin_len++] = in[i];
		if (!block_whole(c))
			continue;
		size_t n = 0;
		rc = emu_card_t1_block(c, t->cin, t->cin_len, t->cout, sizeof t->cout, &n,
				       &t->cout_work);
		t->cin_len = 0;
		if (rc != CCID_OK)
			return rc;
		t->cout_len = n;
	}
	size_t n = 0;
	while (n < expected && n < cap && t->cout_off < t->cout_len)
		out[n++] = t->cout[t->cout_off++];
	if (n > 0) {
		*work_ms = t->cout_work;
		t->cout_work = 0;
	}
	*out_len = n;
	return CCID_OK;
}
