/* ccidlab — T=1, the card's role (ISO/IEC 7816-3:2006 §11.6), for the
 * emulator.
 *
 * A step machine without I/O: each block from the reader goes through
 * ccid_t1_card_input(), which writes the card's answer (or nothing) and
 * tells the application when an APDU is complete.  The application then
 * answers with ccid_t1_card_respond(), or first asks for time with
 * ccid_t1_card_request_wtx().
 *
 * Sequence numbers mirror the host's (t1_host.c): card->ns is the N(S) of
 * our current or next I-block, toggled when it is acknowledged (an R-block
 * with the other N(R) inside our chain, the reader's next I-block for the
 * last one); card->nr is the N(S) we expect from the reader.
 *
 * Answers to what can go wrong (§11.6.3.2):
 * - a bad block (EDC, undecodable, unexpected): R(N(R) = N(S) we expect)
 *   with the error (rule 7.1; rule 7.5 for the first block after the ATR);
 *   if our last block was an R-block, that R-block again (rule 7.2); if it
 *   was our S(WTX request), that request again (rule 7.3);
 * - an R-block whose N(R) is the N(S) of our unacknowledged I-block: that
 *   I-block again; any other R-block outside our chain: R(N(R) = N(S) we
 *   expect), which tells the reader what we miss;
 * - the card never gives up: bounding retries is the reader's job.
 * A block with a NAD not ours is ignored: no answer at all.
 */
#include <string.h>

#include "ccid/result.h"
#include "ccid/t1.h"

/* Where an answer goes. */
typedef struct reply {
	uint8_t *out;
	size_t *out_len;
} reply;

static bool ifs_ok(unsigned ifs)
{
	return ifs >= 1 && ifs <= CCID_T1_MAX_INF;
}

int ccid_t1_card_init(ccid_t1_card *card, unsigned ifsc, unsigned ifsd,
		      ccid_t1_edc edc, uint8_t *apdu, size_t apdu_cap,
		      uint8_t *rsp, size_t rsp_cap)
{
	if (card == NULL || !ifs_ok(ifsc) || !ifs_ok(ifsd) ||
	    (edc != CCID_T1_EDC_LRC && edc != CCID_T1_EDC_CRC) ||
	    (apdu == NULL && apdu_cap != 0) || (rsp == NULL && rsp_cap != 0))
		return CCID_E_INVALID_ARG;
	memset(card, 0, sizeof *card);
	card->ifsc_init = (uint8_t)ifsc;
	card->ifsd_init = (uint8_t)ifsd;
	card->edc = edc;
	card->apdu = apdu;
	card->apdu_cap = apdu_cap;
	card->rsp = rsp;
	card->rsp_cap = rsp_cap;
	ccid_t1_card_reset(card);
	return CCID_OK;
}

/* Drops any APDU or response in progress. */
static void drop_exchange(ccid_t1_card *card)
{
	card->state = CCID_T1_CARD_IDLE;
	card->apdu_len = 0;
	card->apdu_overflow = false;
	card->rsp_len = 0;
	card->rsp_off = 0;
	card->rsp_chunk = 0;
	card->wtx = 0;
}

void ccid_t1_card_reset(ccid_t1_card *card)
{
	if (card == NULL)
		return;
	drop_exchange(card);
	card->ns = 0;
	card->nr = 0;
	card->i_unacked = false;
	card->ifsc = card->ifsc_init;
	card->ifsd = card->ifsd_init;
	card->last_len = 0;
	card->last_i_len = 0;
}

int ccid_t1_card_set_nad(ccid_t1_card *card, uint8_t nad)
{
	if (card == NULL || (nad & 0x88) != 0)
		return CCID_E_INVALID_ARG;
	card->nad = nad;
	return CCID_OK;
}

/* Sends a block: keeps it as our last one (and last I-block) and copies
 * it to the caller.  The caller checked that out holds any block. */
static int emit(ccid_t1_card *card, const reply *rp, uint8_t pcb,
		const uint8_t *inf, size_t len)
{
	int rc = ccid_t1_block_encode(ccid_t1_nad_swap(card->nad), pcb, inf, len,
				      card->edc, card->last, sizeof card->last,
				      &card->last_len);
	if (rc != CCID_OK)
		return rc;
	if ((pcb & 0x80) == 0) {
		memcpy(card->last_i, card->last, card->last_len);
		card->last_i_len = card->last_len;
	}
	memcpy(rp->out, card->last, card->last_len);
	*rp->out_len = card->last_len;
	return CCID_OK;
}

/* Our last block again (rules 7.2 and 7.3). */
static int resend(ccid_t1_card *card, const reply *rp, const uint8_t *blk, size_t len)
{
	memcpy(rp->out, blk, len);
	*rp->out_len = len;
	if (blk != card->last) {
		memcpy(card->last, blk, len);
		card->last_len = len;
	}
	return CCID_OK;
}

/* The next I-block of our response, cut on the IFSD in force now. */
static int next_chunk(ccid_t1_card *card, const reply *rp)
{
	size_t left = card->rsp_len - card->rsp_off;
	size_t chunk = left < card->ifsd ? left : card->ifsd;
	bool more = chunk < left;
	card->rsp_chunk = chunk;
	card->i_unacked = true;
	card->state = more ? CCID_T1_CARD_SENDING : CCID_T1_CARD_IDLE;
	return emit(card, rp, ccid_t1_block_pcb_i(card->ns, more),
		    chunk ? card->rsp + card->rsp_off : NULL, chunk);
}

static bool last_is_r(const ccid_t1_card *card)
{
	return card->last_len >= 2 && (card->last[1] & 0xC0) == 0x80;
}

/* Rules 7.1 to 7.3. */
static int on_invalid(ccid_t1_card *card, const reply *rp, unsigned error)
{
	if (card->state == CCID_T1_CARD_WTX || last_is_r(card))
		return resend(card, rp, card->last, card->last_len);
	return emit(card, rp, ccid_t1_block_pcb_r(card->nr, error), NULL, 0);
}

static int on_i(ccid_t1_card *card, const reply *rp, const ccid_t1_block *b,
		ccid_t1_card_event *event)
{
	bool waiting = card->state == CCID_T1_CARD_IDLE ||
		       card->state == CCID_T1_CARD_RECEIVING;
	if (!waiting || b->seq != card->nr || b->len > card->ifsc)
		return on_invalid(card, rp, CCID_T1_R_OTHER);
	if (card->i_unacked) {
		/* Rule 2.1: the reader's I-block acknowledges our last. */
		card->i_unacked = false;
		card->ns ^= 1;
	}
	card->nr ^= 1;
	if (card->state == CCID_T1_CARD_IDLE) {
		card->apdu_len = 0;
		card->apdu_overflow = false;
	}
	if (b->len > card->apdu_cap - card->apdu_len)
		card->apdu_overflow = true;
	if (!card->apdu_overflow && b->len) {
		memcpy(card->apdu + card->apdu_len, b->inf, b->len);
		card->apdu_len += b->len;
	}
	if (b->more) {
		/* §11.6.2.3: acknowledge, asking for the next block. */
		card->state = CCID_T1_CARD_RECEIVING;
		return emit(card, rp, ccid_t1_block_pcb_r(card->nr, CCID_T1_R_OK), NULL, 0);
	}
	card->state = CCID_T1_CARD_PROCESSING;
	*event = card->apdu_overflow ? CCID_T1_CARD_EV_APDU_TOO_LONG : CCID_T1_CARD_EV_APDU;
	return CCID_OK;
}

static int on_r(ccid_t1_card *card, const reply *rp, const ccid_t1_block *b)
{
	if (card->state == CCID_T1_CARD_WTX)
		return resend(card, rp, card->last, card->last_len);
	if (card->i_unacked && b->seq == card->ns)
		return resend(card, rp, card->last_i, card->last_i_len);
	if (card->state == CCID_T1_CARD_SENDING) {
		/* §11.6.2.3: the other N(R) acknowledges our chained block. */
		card->ns ^= 1;
		card->i_unacked = false;
		card->rsp_off += card->rsp_chunk;
		return next_chunk(card, rp);
	}
	/* The reader misses a block we did not send: tell it which N(S)
	 * we expect from it. */
	return emit(card, rp, ccid_t1_block_pcb_r(card->nr, CCID_T1_R_OK), NULL, 0);
}

static int on_s_request(ccid_t1_card *card, const reply *rp, const ccid_t1_block *b,
			ccid_t1_card_event *event)
{
	/* Our S(WTX request) awaits its answer first (rule 3); only a
	 * resynchronisation overrides it. */
	if (card->state == CCID_T1_CARD_WTX && b->s_type != CCID_T1_S_RESYNCH)
		return on_invalid(card, rp, CCID_T1_R_OTHER);
	switch (b->s_type) {
	case CCID_T1_S_RESYNCH:
		/* Rule 6: back to N(S) = 0 both ways, nothing in progress. */
		drop_exchange(card);
		card->ns = 0;
		card->nr = 0;
		card->i_unacked = false;
		card->last_i_len = 0;
		*event = CCID_T1_CARD_EV_RESYNCH;
		return emit(card, rp, ccid_t1_block_pcb_s(CCID_T1_S_RESYNCH, true), NULL, 0);
	case CCID_T1_S_IFS: {
		/* Rule 4: the reader announces its IFSD; echo it. */
		uint8_t value = b->inf[0];
		card->ifsd = value;
		return emit(card, rp, ccid_t1_block_pcb_s(CCID_T1_S_IFS, true), &value, 1);
	}
	case CCID_T1_S_ABORT:
		/* Rule 9: whichever chain runs is abandoned. */
		if (card->state == CCID_T1_CARD_RECEIVING || card->state == CCID_T1_CARD_SENDING) {
			drop_exchange(card);
			*event = CCID_T1_CARD_EV_ABORT;
		}
		return emit(card, rp, ccid_t1_block_pcb_s(CCID_T1_S_ABORT, true), NULL, 0);
	default:
		/* S(WTX request) is the card's to send, not the reader's. */
		return on_invalid(card, rp, CCID_T1_R_OTHER);
	}
}

static int on_s(ccid_t1_card *card, const reply *rp, const ccid_t1_block *b,
		ccid_t1_card_event *event)
{
	if (!b->s_response)
		return on_s_request(card, rp, b, event);
	if (card->state == CCID_T1_CARD_WTX && b->s_type == CCID_T1_S_WTX &&
	    b->inf[0] == card->wtx) {
		/* Rule 3: granted; the application answers or asks again. */
		card->state = CCID_T1_CARD_PROCESSING;
		*event = CCID_T1_CARD_EV_WTX_GRANTED;
		return CCID_OK;
	}
	return on_invalid(card, rp, CCID_T1_R_OTHER);
}

int ccid_t1_card_input(ccid_t1_card *card, const uint8_t *in, size_t in_len,
		       uint8_t *out, size_t cap, size_t *out_len,
		       ccid_t1_card_event *event)
{
	if (card == NULL || (in == NULL && in_len != 0) || out == NULL ||
	    out_len == NULL || event == NULL)
		return CCID_E_INVALID_ARG;
	if (cap < CCID_T1_MAX_BLOCK)
		return CCID_E_BUFFER;
	*out_len = 0;
	*event = CCID_T1_CARD_EV_NONE;
	if (card->state == CCID_T1_CARD_PROCESSING)
		return CCID_E_PROTOCOL;
	reply rp = { out, out_len };
	ccid_t1_block b;
	int rc = in ? ccid_t1_block_decode(in, in_len, card->edc, &b) : CCID_E_SHORT;
	if (rc != CCID_OK)
		return on_invalid(card, &rp, rc == CCID_E_CHECKSUM ? CCID_T1_R_EDC : CCID_T1_R_OTHER);
	if (b.nad != card->nad)
		return CCID_OK;
	switch (b.kind) {
	case CCID_T1_I_BLOCK:
		return on_i(card, &rp, &b, event);
	case CCID_T1_R_BLOCK:
		return on_r(card, &rp, &b);
	default:
		return on_s(card, &rp, &b, event);
	}
}

const uint8_t *ccid_t1_card_apdu(const ccid_t1_card *card, size_t *len)
{
	bool have = card != NULL && !card->apdu_overflow &&
		    (card->state == CCID_T1_CARD_PROCESSING || card->state == CCID_T1_CARD_WTX);
	if (len != NULL)
		*len = have ? card->apdu_len : 0;
	return have ? card->apdu : NULL;
}

static int out_ok(const uint8_t *out, size_t cap, const size_t *out_len)
{
	if (out == NULL || out_len == NULL)
		return CCID_E_INVALID_ARG;
	return cap < CCID_T1_MAX_BLOCK ? CCID_E_BUFFER : CCID_OK;
}

int ccid_t1_card_respond(ccid_t1_card *card, const uint8_t *rsp, size_t len,
			 uint8_t *out, size_t cap, size_t *out_len)
{
	if (card == NULL || (rsp == NULL && len != 0))
		return CCID_E_INVALID_ARG;
	int rc = out_ok(out, cap, out_len);
	if (rc != CCID_OK)
		return rc;
	if (card->state != CCID_T1_CARD_PROCESSING)
		return CCID_E_PROTOCOL;
	if (len > card->rsp_cap)
		return CCID_E_TOO_LONG;
	if (len && rsp != card->rsp)
		memmove(card->rsp, rsp, len);
	card->rsp_len = len;
	card->rsp_off = 0;
	reply rp = { out, out_len };
	return next_chunk(card, &rp);
}

int ccid_t1_card_request_wtx(ccid_t1_card *card, unsigned multiplier,
			     uint8_t *out, size_t cap, size_t *out_len)
{
	if (card == NULL || multiplier < 1 || multiplier > 255)
		return CCID_E_INVALID_ARG;
	int rc = out_ok(out, cap, out_len);
	if (rc != CCID_OK)
		return rc;
	if (card->state != CCID_T1_CARD_PROCESSING)
		return CCID_E_PROTOCOL;
	card->wtx = (uint8_t)multiplier;
	card->state = CCID_T1_CARD_WTX;
	reply rp = { out, out_len };
	uint8_t value = card->wtx;
	return emit(card, &rp, ccid_t1_block_pcb_s(CCID_T1_S_WTX, false), &value, 1);
}
