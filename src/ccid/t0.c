/* ccidlab — T=0 transport of short APDUs (ISO/IEC 7816-3 §12.2). */
#include "ccid/t0.h"

#include <string.h>

#include "ccid/result.h"

#define INS_GET_RESPONSE 0xC0
#define TPDU_MAX (5 + 255)

static const char *const case_names[] = {
	[CCID_T0_CASE_INVALID] = "invalid APDU",
	[CCID_T0_CASE_1] = "case 1",
	[CCID_T0_CASE_2S] = "case 2S",
	[CCID_T0_CASE_3S] = "case 3S",
	[CCID_T0_CASE_4S] = "case 4S",
	[CCID_T0_CASE_EXTENDED] = "extended APDU (not on T=0)",
};

const char *ccid_t0_case_name(int kase)
{
	if (kase < 0 || kase > CCID_T0_CASE_EXTENDED)
		return "unknown case";
	return case_names[kase];
}

/* 7816-4 §5.1, Table 1 (and 7816-3 §12.1.2): B1 = 00 opens the extended
 * length fields, which T=0 cannot carry. */
static int classify_extended(const uint8_t *apdu, size_t len, ccid_t0_apdu *out)
{
	if (len == 7) {
		out->kase = CCID_T0_CASE_EXTENDED;  /* 2E */
		return CCID_E_UNSUPPORTED;
	}
	if (len < 8)
		return CCID_E_LENGTH;
	size_t lc = ((size_t)apdu[5] << 8) | apdu[6];
	if (lc == 0 || (len != 7 + lc && len != 9 + lc))
		return CCID_E_LENGTH;
	out->kase = CCID_T0_CASE_EXTENDED;  /* 3E or 4E */
	return CCID_E_UNSUPPORTED;
}

int ccid_t0_classify(const uint8_t *apdu, size_t len, ccid_t0_apdu *out)
{
	if (out == NULL)
		return CCID_E_INVALID_ARG;
	memset(out, 0, sizeof *out);
	if (apdu == NULL)
		return CCID_E_INVALID_ARG;
	if (len < 4)
		return CCID_E_SHORT;
	memcpy(out->header, apdu, 4);
	if (len == 4) {
		out->kase = CCID_T0_CASE_1;
		return CCID_OK;
	}
	uint8_t b1 = apdu[4];
	if (len == 5) {
		out->kase = CCID_T0_CASE_2S;
		out->ne = b1 == 0 ? 256 : b1;
		return CCID_OK;
	}
	if (b1 == 0)
		return classify_extended(apdu, len, out);
	out->lc = b1;
	out->data = apdu + 5;
	if (len == 5 + out->lc) {
		out->kase = CCID_T0_CASE_3S;
		return CCID_OK;
	}
	if (len == 6 + out->lc) {
		out->kase = CCID_T0_CASE_4S;
		out->ne = apdu[len - 1] == 0 ? 256 : apdu[len - 1];
		return CCID_OK;
	}
	out->lc = 0;
	out->data = NULL;
	return CCID_E_LENGTH;
}

/* One APDU in flight: where its response goes. */
typedef struct t0_run {
	const ccid_xfer *x;
	ccid_t0_level level;
	uint8_t *resp;
	size_t cap;             /* resp_cap - 2: room for data */
	size_t have;            /* data bytes collected */
	uint8_t sw[2];
} t0_run;

/* One TPDU at TPDU level: response data + SW1 SW2 in one exchange.  A
 * reader at this level moves a whole TPDU in one message (CCID 1.1
 * §6.1.4): a command TPDU that one message cannot hold is refused before
 * it is sent.  (An answer longer than a message is the reader's to
 * report, an overrun: the card may well answer less than P3 asks, a
 * 6Cxx say, and that fits.) */
static int tpdu_level(const ccid_xfer *x, const uint8_t *tpdu, size_t tpdu_len,
		      size_t max_data, uint8_t *data, size_t *data_len, uint8_t sw[2])
{
	uint8_t rx[256 + 2];
	size_t got = 0;
	if (x->max_payload != 0 && tpdu_len > x->max_payload)
		return CCID_E_READER_LIMIT;
	int r = x->exchange(x->ctx, tpdu, tpdu_len, 0, rx, sizeof rx, &got);
	if (r != CCID_OK)
		return r;
	/* §10.3.4: every TPDU ends with SW1 SW2; no more data than P3 says. */
	if (got < 2 || got > sizeof rx || got - 2 > max_data)
		return CCID_E_PROTOCOL;
	*data_len = got - 2;
	memcpy(data, rx, *data_len);
	sw[0] = rx[got - 2];
	sw[1] = rx[got - 1];
	return CCID_OK;
}

/* Runs one TPDU at the run's level; card data lands in data[0..256). */
static int tpdu_round(t0_run *t, const uint8_t *tpdu, size_t tpdu_len, ccid_t0_dir dir,
		      uint8_t *data, size_t *data_len)
{
	size_t max_data = 0;
	if (dir == CCID_T0_DIR_IN)
		max_data = tpdu[4] == 0 ? 256 : tpdu[4];
	if (t->level == CCID_T0_LEVEL_CHAR)
		return ccid_t0_char_tpdu(t->x, tpdu, tpdu_len, dir, data, 256, data_len, t->sw);
	return tpdu_level(t->x, tpdu, tpdu_len, max_data, data, data_len, t->sw);
}

/* A TPDU that sends (case 1: nothing, case 3: Lc bytes); the card may
 * answer nothing but SW1 SW2. */
static int send_tpdu(t0_run *t, const ccid_t0_apdu *a)
{
	uint8_t tpdu[TPDU_MAX];
	uint8_t data[256];
	size_t data_len = 0;
	memcpy(tpdu, a->header, 4);
	tpdu[4] = (uint8_t)a->lc;  /* §12.2.2: case 1 sends P3 = 00 */
	if (a->lc > 0)
		memcpy(tpdu + 5, a->data, a->lc);
	ccid_t0_dir dir = a->lc > 0 ? CCID_T0_DIR_OUT : CCID_T0_DIR_NONE;
	return tpdu_round(t, tpdu, 5 + a->lc, dir, data, &data_len);
}

/* A TPDU that receives ne (1..256) bytes (§12.2.3).  6Cxx: the same
 * header once more with P3 = xx.  The data is appended to the response. */
static int fetch_tpdu(t0_run *t, const uint8_t header[4], size_t ne)
{
	uint8_t tpdu[5];
	uint8_t data[256];
	size_t data_len = 0;
	memcpy(tpdu, header, 4);
	tpdu[4] = (uint8_t)ne;  /* 256 travels as 00 */
	int r = tpdu_round(t, tpdu, 5, CCID_T0_DIR_IN, data, &data_len);
	if (r == CCID_OK && t->sw[0] == 0x6C) {
		tpdu[4] = t->sw[1];
		r = tpdu_round(t, tpdu, 5, CCID_T0_DIR_IN, data, &data_len);
	}
	if (r != CCID_OK)
		return r;
	if (data_len > t->cap - t->have)
		return CCID_E_BUFFER;
	memcpy(t->resp + t->have, data, data_len);
	t->have += data_len;
	return CCID_OK;
}

/* 7816-4 §5.4.1: the CLA of the command, so that the logical channel and
 * class stay; an interindustry CLA (b8 = 0) loses command chaining (b5). */
static uint8_t get_response_cla(uint8_t cla)
{
	return (cla & 0x80) ? cla : (uint8_t)(cla & ~0x10);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* §12.2.3/§12.2.5: GET RESPONSE while the card answers 61xx.  `first_ne`
 * caps the first round (Ne for case 4S); later rounds take what the card
 * offers, as far as the caller's buffer goes. */
static int get_response_chain(t0_run *t, uint8_t cla, size_t first_ne)
{
	uint8_t header[4] = { get_response_cla(cla), INS_GET_RESPONSE, 0x00, 0x00 };
	for (unsigned round = 0; t->sw[0] == 0x61; round++) {
		if (round == CCID_T0_MAX_GET_RESPONSE)
			return CCID_E_PROTOCOL;
		size_t room = t->cap - t->have;
		if (room == 0)
			return CCID_OK;  /* the caller gets 61xx and can go on */
		size_t ne = t->sw[1] == 0 ? 256 : t->sw[1];
		if (round == 0)
			ne = min_size(ne, first_ne);
		/* At TPDU level the answer comes in one message: ask for what
		 * it holds, the card keeps the rest behind 61xx (7816-4 §7.6.1,
		 * GET RESPONSE with Le under what is available). */
		if (t->level == CCID_T0_LEVEL_TPDU && t->x->max_payload > 2)
			ne = min_size(ne, t->x->max_payload - 2);
		int r = fetch_tpdu(t, header, min_size(ne, room));
		if (r != CCID_OK)
			return r;
	}
	return CCID_OK;
}

static int run_apdu(t0_run *t, const ccid_t0_apdu *a)
{
	int r;
	switch (a->kase) {
	case CCID_T0_CASE_1:
	case CCID_T0_CASE_3S:
		return send_tpdu(t, a);
	case CCID_T0_CASE_2S:
		/* P3 = Ne as the application asked: a shorter P3 could read
		 * as an end of file; data over the buffer is CCID_E_BUFFER. */
		r = fetch_tpdu(t, a->header, a->ne);
		if (r != CCID_OK)
			return r;
		return get_response_chain(t, a->header[0], 256);
	case CCID_T0_CASE_4S:
		/* §12.2.5: case 3 first, then GET RESPONSE on 61xx. */
		r = send_tpdu(t, a);
		if (r != CCID_OK)
			return r;
		return get_response_chain(t, a->header[0], a->ne);
	default:
		return CCID_E_INVALID_ARG;
	}
}

int ccid_t0_transceive(const ccid_xfer *x, ccid_t0_level level, const uint8_t *apdu,
		       size_t apdu_len, uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
	if (x == NULL || x->exchange == NULL || resp == NULL || resp_len == NULL ||
	    (level != CCID_T0_LEVEL_TPDU && level != CCID_T0_LEVEL_CHAR))
		return CCID_E_INVALID_ARG;
	*resp_len = 0;
	ccid_t0_apdu a;
	int r = ccid_t0_classify(apdu, apdu_len, &a);
	if (r != CCID_OK)
		return r;
	if (resp_cap < 2)
		return CCID_E_BUFFER;
	t0_run t = { .x = x, .level = level, .resp = resp, .cap = resp_cap - 2 };
	r = run_apdu(&t, &a);
	if (r != CCID_OK)
		return r;
	t.resp[t.have] = t.sw[0];
	t.resp[t.have + 1] = t.sw[1];
	*resp_len = t.have + 2;
	return CCID_OK;
}
