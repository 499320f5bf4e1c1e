/* ccidlab — the card side of T=0 (ISO/IEC 7816-3 §10 and §12.2).
 *
 * One engine decides what the card answers to a command TPDU (header +
 * P3 data bytes); two faces deliver it:
 * - TPDU level (emu_card_t0_tpdu): data + SW1 SW2 in one piece;
 * - character level (emu_card_t0_chars): a byte state machine with the
 *   procedure bytes of §10.3.3: ACK = INS before all the data, ~INS
 *   before each byte when the card sends fewer than P3 bytes, NULL (60)
 *   while the application works (one per EMU_T0_MS_PER_NULL ms, at most
 *   EMU_T0_MAX_NULLS), then SW1 SW2.
 *
 * What the engine answers (§12.2):
 * - the direction of P3 comes from the application (emu_app_ins_data);
 *   INS 6x or 9x is invalid (§10.3.2): 6D00;
 * - case 2 (P3 = Le): Na = Ne: the data and SW; Na < Ne and SW 9000:
 *   6C Na, and the reader sends the header again (the command runs
 *   again, as on a real card); Na < Ne with a warning (62xx/63xx): the
 *   Na bytes and the warning; Na > Ne: Ne bytes, then 61xx for the rest;
 * - case 3 (P3 = Lc; also every case 4, whose Le T=0 cannot carry,
 *   §12.2.5): the application runs with an open Le; response data waits
 *   for GET RESPONSE behind 61xx (xx = 00 for 256 or more);
 * - GET RESPONSE (INS C0) serves what waits: P3 over what is left: 6C xx;
 *   then 61xx while more is left, and the application's SW at the end.
 *   Without anything waiting: 6985.  Any other command drops what waits.
 * Data comes back only with 9000 or a warning (7816-4 §5.6).
 */
#include "emu/card_private.h"

#include <string.h>

#include "ccid/result.h"

#define INS_GET_RESPONSE 0xC0
#define NULL_BYTE 0x60

/* What the card sends back for one TPDU. */
typedef struct t0_answer {
	const uint8_t *data;
	size_t len;
	bool bytewise;          /* fewer than P3 bytes: ~INS before each */
	uint8_t sw1, sw2;
	unsigned work_ms;
} t0_answer;

/* Direction of P3, or -1 for an invalid INS. */
static int tpdu_dir(emu_card *c, const uint8_t hdr[5])
{
	uint8_t ins = hdr[1];
	if ((ins & 0xF0) == 0x60 || (ins & 0xF0) == 0x90)
		return -1;
	emu_app_data d = ins == INS_GET_RESPONSE ? EMU_APP_DATA_RSP
						 : emu_app_ins_data(c->app, hdr[0], ins);
	if (d == EMU_APP_DATA_CMD)
		return hdr[4] ? EMU_APP_DATA_CMD : EMU_APP_DATA_NONE;
	if (d == EMU_APP_DATA_NONE && hdr[4] == 0)
		return EMU_APP_DATA_NONE;
	return EMU_APP_DATA_RSP;
}

static void set_sw(t0_answer *ans, uint16_t sw)
{
	ans->sw1 = (uint8_t)(sw >> 8);
	ans->sw2 = (uint8_t)sw;
}

/* 61xx: xx bytes wait; 00 for 256 or more (§12.2.3). */
static void set_61(t0_answer *ans, size_t left)
{
	ans->sw1 = 0x61;
	ans->sw2 = left >= 256 ? 0 : (uint8_t)left;
}

static void hold(emu_card *c, size_t off, size_t len, uint16_t sw, t0_answer *ans)
{
	c->t0.has_pending = true;
	c->t0.pending_off = off;
	c->t0.pending_len = len;
	c->t0.pending_sw = sw;
	set_61(ans, len - off);
}

static void get_response(emu_card *c, const uint8_t hdr[5], t0_answer *ans)
{
	emu_card_t0 *t = &c->t0;
	if (!t->has_pending) {
		set_sw(ans, EMU_SW_CONDITIONS);
		return;
	}
	size_t ne = hdr[4] ? hdr[4] : 256;
	size_t left = t->pending_len - t->pending_off;
	if (ne > left) {
		ans->sw1 = 0x6C;
		ans->sw2 = (uint8_t)left;  /* left < ne <= 256 */
		return;
	}
	ans->data = c->rsp + t->pending_off;
	ans->len = ne;
	t->pending_off += ne;
	left -= ne;
	if (left > 0) {
		set_61(ans, left);
	} else {
		t->has_pending = false;
		set_sw(ans, t->pending_sw);
	}
}

/* Case 2: P3 = Le. */
static void shape_case2(emu_card *c, const uint8_t hdr[5], const emu_app_rsp *r,
			t0_answer *ans)
{
	size_t ne = hdr[4] ? hdr[4] : 256;
	size_t na = emu_apdu_sw_carries_data(r->sw) ? r->len : 0;
	set_sw(ans, r->sw);
	if (na == 0)
		return;
	ans->data = c->rsp;
	if (na == ne) {
		ans->len = na;
	} else if (na > ne) {
		ans->len = ne;
		hold(c, ne, na, r->sw, ans);
	} else if (r->sw == EMU_SW_OK) {
		ans->data = NULL;
		ans->sw1 = 0x6C;
		ans->sw2 = (uint8_t)na;
	} else {
		ans->len = na;
		ans->bytewise = true;
	}
}

/* Runs the application on the APDU the TPDU stands for. */
static void execute(emu_card *c, const uint8_t hdr[5], const uint8_t *data, int dir,
		    t0_answer *ans)
{
	memset(ans, 0, sizeof *ans);
	if (dir < 0) {
		set_sw(ans, EMU_SW_INS_NOT_SUPPORTED);
		return;
	}
	if (hdr[1] == INS_GET_RESPONSE && c->t0.has_pending) {
		get_response(c, hdr, ans);
		return;
	}
	if (hdr[1] == INS_GET_RESPONSE) {
		set_sw(ans, EMU_SW_CONDITIONS);
		return;
	}
	c->t0.has_pending = false;
	uint8_t raw[5 + 255];
	size_t n = 4;
	memcpy(raw, hdr, 4);
	if (dir != EMU_APP_DATA_NONE)
		raw[n++] = hdr[4];
	if (dir == EMU_APP_DATA_CMD) {
		memcpy(raw + n, data, hdr[4]);
		n += hdr[4];
	}
	emu_apdu a;
	if (emu_apdu_parse(raw, n, &a) != 0) {
		set_sw(ans, EMU_SW_WRONG_LENGTH);  /* cannot happen: lengths built above */
		return;
	}
	a.t0 = true;
	a.le_open = dir == EMU_APP_DATA_CMD;
	emu_app_rsp r;
	emu_card_run_app(c, &a, &r);
	ans->work_ms = r.work_ms;
	if (dir == EMU_APP_DATA_RSP) {
		shape_case2(c, hdr, &r, ans);
		return;
	}
	set_sw(ans, r.sw);
	if (r.len > 0 && emu_apdu_sw_carries_data(r.sw))
		hold(c, 0, r.len, r.sw, ans);
}

void emu_card_t0_reset(emu_card *c)
{
	memset(&c->t0, 0, sizeof c->t0);
	c->t0.state = T0_CHAR_HEADER;
}

/* ---- TPDU level ------------------------------------------------------------ */

int emu_card_t0_tpdu(emu_card *c, const uint8_t *tpdu, size_t len, uint8_t *rsp, size_t cap,
		     size_t *rsp_len, unsigned *work_ms)
{
	if (c == NULL || rsp == NULL || rsp_len == NULL || work_ms == NULL ||
	    (tpdu == NULL && len > 0))
		return CCID_E_INVALID_ARG;
	*rsp_len = 0;
	*work_ms = 0;
	if (c->mute)
		return CCID_R_ICC_MUTE;
	t0_answer ans;
	memset(&ans, 0, sizeof ans);
	if (len < 5 || (len > 5 && len != 5 + (size_t)tpdu[4])) {
		/* Not a TPDU (§12.1): a header is 5 bytes, P3 data follow. */
		set_sw(&ans, EMU_SW_WRONG_LENGTH);
	} else {
		int dir = tpdu_dir(c, tpdu);
		if (len > 5 && dir >= 0)
			dir = EMU_APP_DATA_CMD;  /* the reader sent data: case 3 */
		if (len == 5 && dir == EMU_APP_DATA_CMD)
			set_sw(&ans, EMU_SW_WRONG_LENGTH);  /* P3 data missing */
		else
			execute(c, tpdu, tpdu + 5, dir, &ans);
	}
	if (cap < ans.len + 2)
		return CCID_E_BUFFER;
	if (ans.len > 0)
		memcpy(rsp, ans.data, ans.len);
	rsp[ans.len] = ans.sw1;
	rsp[ans.len + 1] = ans.sw2;
	*rsp_len = ans.len + 2;
	*work_ms = ans.work_ms;
	return CCID_OK;
}

/* ---- character level ---------------------------------------------------------- */

static void push(emu_card_t0 *t, uint8_t b)
{
	if (t->out_len < sizeof t->out)
		t->out[t->out_len++] = b;
}

static void queue_clear(emu_card_t0 *t)
{
	t->out_len = 0;
	t->out_off = 0;
	t->null_end = 0;
}

/* Queues the whole answer: NULLs for the work, then data, then SW. */
static void queue_answer(emu_card_t0 *t, uint8_t ins, const t0_answer *ans)
{
	queue_clear(t);
	if (ans->work_ms > 0) {
		unsigned k = (ans->work_ms + EMU_T0_MS_PER_NULL - 1) / EMU_T0_MS_PER_NULL;
		if (k > EMU_T0_MAX_NULLS)
			k = EMU_T0_MAX_NULLS;
		t->null_ms = ans->work_ms / k;
		t->null_ms_extra = ans->work_ms - t->null_ms * k;
		for (unsigned i = 0; i < k; i++)
			push(t, NULL_BYTE);
		t->null_end = k;
	}
	if (ans->len > 0 && !ans->bytewise)
		push(t, ins);
	for (size_t i = 0; i < ans->len; i++) {
		if (ans->bytewise)
			push(t, (uint8_t)~ins);
		push(t, ans->data[i]);
	}
	push(t, ans->sw1);
	push(t, ans->sw2);
	t->state = T0_CHAR_SEND;
}

static void on_header(emu_card *c)
{
	emu_card_t0 *t = &c->t0;
	int dir = tpdu_dir(c, t->hdr);
	if (dir == EMU_APP_DATA_CMD) {
		/* §10.3.3: INS asks for all the data at once. */
		queue_clear(t);
		push(t, t->hdr[1]);
		t->state = T0_CHAR_DATA;
		t->data_len = 0;
		t->data_want = t->hdr[4];
		return;
	}
	t0_answer ans;
	execute(c, t->hdr, NULL, dir, &ans);
	queue_answer(t, t->hdr[1], &ans);
}

static void feed(emu_card *c, uint8_t b)
{
	emu_card_t0 *t = &c->t0;
	switch (t->state) {
	case T0_CHAR_SEND:
		/* The reader speaks before the card is done: it gave up on
		 * the last command, and this byte starts a new header. */
		queue_clear(t);
		t->state = T0_CHAR_HEADER;
		t->hdr_len = 0;
		/* fall through */
	case T0_CHAR_HEADER:
		t->hdr[t->hdr_len++] = b;
		if (t->hdr_len == sizeof t->hdr) {
			t->hdr_len = 0;
			on_header(c);
		}
		break;
	case T0_CHAR_DATA:
		t->data[t->data_len++] = b;
		if (t->data_len == t->data_want) {
			t0_answer ans;
			execute(c, t->hdr, t->data, EMU_APP_DATA_CMD, &ans);
			queue_answer(t, t->hdr[1], &ans);
		}
		break;
	}
}

int emu_card_t0_chars(emu_card *c, const uint8_t *in, size_t len, size_t expected,
		      uint8_t *out, size_t cap, size_t *out_len, unsigned *work_ms)
{
	int rc = emu_card_enter(c, in, len, out, cap, out_len, work_ms);
	if (rc != CCID_OK)
		return rc;
	emu_card_t0 *t = &c->t0;
	for (size_t i = 0; i < len; i++)
		feed(c, in[i]);
	size_t n = 0;
	unsigned ms = 0;
	while (n < expected && n < cap && t->out_off < t->out_len) {
		size_t pos = t->out_off++;
		if (pos < t->null_end)
			ms += t->null_ms + (pos == 0 ? t->null_ms_extra : 0);
		out[n++] = t->out[pos];
	}
	if (t->state == T0_CHAR_SEND && t->out_off == t->out_len) {
		queue_clear(t);
		t->state = T0_CHAR_HEADER;
	}
	*out_len = n;
	*work_ms = ms;
	return CCID_OK;
}
