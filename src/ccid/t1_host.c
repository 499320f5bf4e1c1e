/* ccidlab — T=1, the interface device's role (ISO/IEC 7816-3:2006 §11.6).
 *
 * One APDU goes out as I-blocks chained on IFSC and its response comes
 * back as I-blocks chained on IFSD, one block out and one block in per
 * xfer exchange, which is what a TPDU-level CCID reader's XfrBlock does.
 *
 * Sequence numbers: host->ns is the N(S) of our pending (or next) I-block
 * and toggles when that block is acknowledged, by an R-block with the
 * other N(R) for a chained block (§11.6.2.3) or by the card's I-block for
 * the last one (rule 2.1).  host->nr is the N(S) we expect from the card,
 * and toggles when such a block arrives.
 *
 * Error handling (§11.6.3.2):
 * - a bad block (EDC, parity, undecodable, unexpected) or a lost one (the
 *   exchange timed out) is answered by an R-block asking for the block
 *   expected, with the error indicated (rule 7.1); when our last block was
 *   an R-block, that R-block again (rule 7.2); an S(... response) is
 *   followed by an R-block, an S(... request) is sent again (rule 7.3);
 * - an R-block from the card whose N(R) is the N(S) of our pending
 *   I-block asks for that I-block again;
 * - after CCID_T1_RETRIES failed attempts in a row, S(RESYNCH request) up
 *   to CCID_T1_RESYNCH_TRIES times (rule 7.4 and rule 6); if the card
 *   never answers S(RESYNCH response) the state is dead, and only a card
 *   reset and ccid_t1_host_reset() recover (rule 7.4.3);
 * - after a resynchronisation both sequence numbers are 0 and the APDU
 *   starts over (rule 6: the interface device begins a new transmission),
 *   at most CCID_T1_MAX_RESTARTS times per APDU.  IFSC and IFSD are kept,
 *   as deployed hosts do.
 * Every loop is bounded: retries per block, resynchronisations, restarts,
 * S-requests from the card (max_s_requests), empty chained blocks, and
 * the response by rsp_cap.
 */
#include <string.h>

#include "ccid/result.h"
#include "ccid/t1.h"

/* Handlers return GO_ON to exchange the block now in host->tx, or the
 * final result of the call. */
#define GO_ON (-1)

/* What one exchange brought back. */
enum arrival {
	GOT_BLOCK,      /* a valid block, addressed to us */
	GOT_BAD_EDC,    /* EDC or parity error: R-block error 1 */
	GOT_BAD,        /* anything else wrong: R-block error 2 */
	GOT_LOST,       /* nothing came back (BWT timeout, mute card) */
	GOT_FAIL,       /* the transport failed: give up this call */
};

/* One APDU in flight. */
typedef struct run {
	ccid_t1_host *h;
	const ccid_xfer *x;
	const uint8_t *apdu;
	size_t len;
	size_t off;             /* our current I-block's INF: apdu[off..] */
	size_t chunk;           /* ...and its length */
	bool more;              /* it has M = 1 */
	bool unacked;           /* it awaits its acknowledgement */
	uint8_t *rsp;
	size_t cap;
	size_t got;
	unsigned errors;        /* failed attempts in a row */
	unsigned s_requests;
	unsigned empties;       /* empty chained I-blocks in a row */
	unsigned restarts;
} run;

static bool ifs_ok(unsigned ifs)
{
	return ifs >= 1 && ifs <= CCID_T1_MAX_INF;
}

static bool nad_ok(uint8_t nad)
{
	/* §11.3.2.1: b8 and b4 (formerly VPP control) are 0. */
	return (nad & 0x88) == 0;
}

int ccid_t1_host_init(ccid_t1_host *host, unsigned ifsc, unsigned ifsd,
		      ccid_t1_edc edc)
{
	if (host == NULL || !ifs_ok(ifsc) || !ifs_ok(ifsd) ||
	    (edc != CCID_T1_EDC_LRC && edc != CCID_T1_EDC_CRC))
		return CCID_E_INVALID_ARG;
	memset(host, 0, sizeof *host);
	host->ifsc_init = (uint8_t)ifsc;
	host->ifsd_init = (uint8_t)ifsd;
	host->edc = edc;
	host->max_s_requests = CCID_T1_MAX_S_REQUESTS;
	ccid_t1_host_reset(host);
	return CCID_OK;
}

void ccid_t1_host_reset(ccid_t1_host *host)
{
	if (host == NULL)
		return;
	host->ns = 0;
	host->nr = 0;
	host->ifsc = host->ifsc_init;
	host->ifsd = host->ifsd_init;
	host->dead = false;
	host->resynch_pending = false;
	host->wtx = 0;
	host->tx_len = 0;
}

int ccid_t1_host_set_nad(ccid_t1_host *host, uint8_t nad)
{
	if (host == NULL || !nad_ok(nad))
		return CCID_E_INVALID_ARG;
	host->nad = nad;
	return CCID_OK;
}

/* Builds the next block to send in host->tx. */
static int put(ccid_t1_host *h, uint8_t pcb, const uint8_t *inf, size_t len)
{
	int rc = ccid_t1_block_encode(h->nad, pcb, inf, len, h->edc, h->tx,
				      sizeof h->tx, &h->tx_len);
	return rc == CCID_OK ? GO_ON : rc;
}

/* Sends host->tx, receives and sorts the answer.  A block one reader
 * message cannot hold is never handed to the exchange: it is not a lost
 * or bad block to recover from (R-blocks and S(RESYNCH) would repeat it),
 * the call ends with CCID_E_READER_LIMIT. */
static enum arrival exchange(ccid_t1_host *h, const ccid_xfer *x,
			     ccid_t1_block *b, int *fail)
{
	size_t rx_len = 0;
	if (x->max_payload != 0 && h->tx_len > x->max_payload) {
		*fail = CCID_E_READER_LIMIT;
		return GOT_FAIL;
	}
	int rc = x->exchange(x->ctx, h->tx, h->tx_len, 0, h->rx, sizeof h->rx, &rx_len);
	switch (rc) {
	case CCID_OK:
		break;
	case CCID_E_TIMEOUT:
	case CCID_R_ICC_MUTE:
		return GOT_LOST;
	case CCID_R_PARITY:
	case CCID_R_OVERRUN:
		return GOT_BAD_EDC;
	case CCID_E_BUFFER:     /* a frame longer than any block */
		return GOT_BAD;
	default:
		*fail = rc;
		return GOT_FAIL;
	}
	if (rx_len > sizeof h->rx)
		return GOT_BAD;
	rc = ccid_t1_block_decode(h->rx, rx_len, h->edc, b);
	if (rc == CCID_E_CHECKSUM)
		return GOT_BAD_EDC;
	if (rc != CCID_OK || b->nad != ccid_t1_nad_swap(h->nad))
		return GOT_BAD;
	return GOT_BLOCK;
}

/* S(RESYNCH request) up to CCID_T1_RESYNCH_TRIES times. */
static int resynch(ccid_t1_host *host, const ccid_xfer *xfer)
{
	for (int i = 0; i < CCID_T1_RESYNCH_TRIES; i++) {
		int rc = put(host, ccid_t1_block_pcb_s(CCID_T1_S_RESYNCH, false), NULL, 0);
		if (rc != GO_ON)
			return rc;
		host->n_resynchs++;
		ccid_t1_block b;
		int fail = CCID_OK;
		enum arrival got = exchange(host, xfer, &b, &fail);
		if (got == GOT_FAIL) {
			host->resynch_pending = true;
			return fail;
		}
		if (got == GOT_BLOCK && b.kind == CCID_T1_S_BLOCK && b.s_response &&
		    b.s_type == CCID_T1_S_RESYNCH) {
			/* Rule 6: both sides start again from N(S) = 0. */
			host->ns = 0;
			host->nr = 0;
			host->resynch_pending = false;
			return CCID_OK;
		}
	}
	/* Rule 7.4.3: the card is to be reset or deactivated. */
	host->dead = true;
	return CCID_E_DEAD;
}

static bool xfer_ok(const ccid_xfer *xfer)
{
	return xfer != NULL && xfer->exchange != NULL;
}

int ccid_t1_host_resynch(ccid_t1_host *host, const ccid_xfer *xfer)
{
	if (host == NULL || !xfer_ok(xfer))
		return CCID_E_INVALID_ARG;
	if (host->dead)
		return CCID_E_DEAD;
	return resynch(host, xfer);
}

/* Our current I-block (again: its chunk and M bit stay as first sent). */
static int send_chunk(run *r)
{
	r->unacked = true;
	return put(r->h, ccid_t1_block_pcb_i(r->h->ns, r->more),
		   r->chunk ? r->apdu + r->off : NULL, r->chunk);
}

/* The most INF of our I-blocks: the card's IFSC in force now (an S(IFS)
 * from the card may raise it past what the reader carries: §11.4.2 makes
 * it a ceiling, so we keep under both). */
static size_t inf_out(const run *r)
{
	size_t reader = ccid_t1_max_inf(r->x->max_payload, r->h->edc);
	return reader < r->h->ifsc ? reader : r->h->ifsc;
}

/* The next I-block of our chain, cut on inf_out(). */
static int next_chunk(run *r)
{
	size_t left = r->len - r->off;
	size_t max = inf_out(r);
	r->chunk = left < max ? left : max;
	r->more = r->chunk < left;
	return send_chunk(r);
}

static int start(run *r)
{
	r->off = 0;
	r->got = 0;
	r->errors = 0;
	r->empties = 0;
	return next_chunk(r);
}

/* Resynchronises, then either starts the APDU over (when `why` is the
 * retry bound) or ends the call with `why`. */
static int recover(run *r, int why)
{
	int rc = resynch(r->h, r->x);
	if (rc != CCID_OK)
		return rc;
	if (why == CCID_E_RETRIES && r->restarts < CCID_T1_MAX_RESTARTS) {
		r->restarts++;
		return start(r);
	}
	return why;
}

/* A bad, lost or unexpected block (rules 7.1 to 7.3). */
static int on_invalid(run *r, unsigned error)
{
	ccid_t1_host *h = r->h;
	if (++r->errors > CCID_T1_RETRIES)
		return recover(r, CCID_E_RETRIES);
	h->n_retransmits++;
	if ((h->tx[1] & 0xC0) == 0x80)
		return GO_ON;   /* rule 7.2: our R-block again */
	return put(h, ccid_t1_block_pcb_r(h->nr, error), NULL, 0);
}

static int on_i(run *r, const ccid_t1_block *b)
{
	ccid_t1_host *h = r->h;
	/* The card must acknowledge a chained block with an R-block, send
	 * the N(S) we expect, and respect our IFSD (§11.4.2). */
	if ((r->unacked && r->more) || b->seq != h->nr || b->len > h->ifsd)
		return on_invalid(r, CCID_T1_R_OTHER);
	if (r->unacked) {
		/* Rule 2.1: its I-block acknowledges our last one. */
		r->unacked = false;
		h->ns ^= 1;
	}
	h->nr ^= 1;
	r->errors = 0;
	if (b->len > r->cap - r->got) {
		/* Over the caller's buffer: a finished response leaves the
		 * link in order; a chain still running is cut by resynch. */
		return b->more ? recover(r, CCID_E_BUFFER) : CCID_E_BUFFER;
	}
	if (b->len) {
		memcpy(r->rsp + r->got, b->inf, b->len);
		r->got += b->len;
	}
	if (!b->more)
		return CCID_OK;
	if (b->len == 0) {
		if (++r->empties > CCID_T1_MAX_EMPTY_CHAIN)
			return recover(r, CCID_E_PROTOCOL);
	} else {
		r->empties = 0;
	}
	/* §11.6.2.3: R(N(R)) with N(R) the N(S) of the block we want next. */
	return put(h, ccid_t1_block_pcb_r(h->nr, CCID_T1_R_OK), NULL, 0);
}

static int on_r(run *r, const ccid_t1_block *b)
{
	ccid_t1_host *h = r->h;
	/* While we acknowledge the card's chain, an R-block from it means
	 * it did not get our R-block: that one again (rule 7.2). */
	if (!r->unacked)
		return on_invalid(r, CCID_T1_R_OTHER);
	if (b->seq == h->ns) {
		/* The card asks for our pending I-block again. */
		if (++r->errors > CCID_T1_RETRIES)
			return recover(r, CCID_E_RETRIES);
		h->n_retransmits++;
		return send_chunk(r);
	}
	/* The other N(R) acknowledges a chained block (§11.6.2.3); for our
	 * last block only the card's I-block is an acknowledgement. */
	if (!r->more)
		return on_invalid(r, CCID_T1_R_OTHER);
	h->ns ^= 1;
	r->off += r->chunk;
	r->errors = 0;
	return next_chunk(r);
}

/* Rule 9: the card aborts the chain.  We answer, then resynchronise so
 * that neither side keeps half a chain. */
static int on_abort(run *r)
{
	ccid_t1_host *h = r->h;
	int rc = put(h, ccid_t1_block_pcb_s(CCID_T1_S_ABORT, true), NULL, 0);
	if (rc != GO_ON)
		return rc;
	ccid_t1_block b;
	int fail = CCID_OK;
	if (exchange(h, r->x, &b, &fail) == GOT_FAIL) {
		h->resynch_pending = true;
		return fail;
	}
	return recover(r, CCID_E_PROTOCOL);
}

static int on_s(run *r, const ccid_t1_block *b)
{
	ccid_t1_host *h = r->h;
	/* We sent no request, and only we may resynchronise (rule 6). */
	if (b->s_response || b->s_type == CCID_T1_S_RESYNCH)
		return on_invalid(r, CCID_T1_R_OTHER);
	if (b->s_type == CCID_T1_S_ABORT)
		return on_abort(r);
	if (++r->s_requests > h->max_s_requests)
		return recover(r, CCID_E_TIMEOUT);
	uint8_t value = b->inf[0];
	if (b->s_type == CCID_T1_S_WTX) {
		/* Rule 3: echo the multiplier; it stretches BWT for the
		 * card's next block only, which the caller's exchange does. */
		h->wtx = value;
		if (r->x->extend_time)
			r->x->extend_time(r->x->ctx, value);
	} else {
		/* Rule 4: the card announces a new IFSC. */
		h->ifsc = value;
	}
	return put(h, ccid_t1_block_pcb_s((ccid_t1_s_type)b->s_type, true), &value, 1);
}

static int on_block(run *r, const ccid_t1_block *b)
{
	switch (b->kind) {
	case CCID_T1_I_BLOCK:
		return on_i(r, b);
	case CCID_T1_R_BLOCK:
		return on_r(r, b);
	default:
		return on_s(r, b);
	}
}

int ccid_t1_host_transceive(ccid_t1_host *host, const ccid_xfer *xfer,
			    const uint8_t *apdu, size_t len, uint8_t *rsp,
			    size_t rsp_cap, size_t *rsp_len)
{
	if (host == NULL || !xfer_ok(xfer) || (apdu == NULL && len != 0) ||
	    (rsp == NULL && rsp_cap != 0) || rsp_len == NULL)
		return CCID_E_INVALID_ARG;
	if (host->dead)
		return CCID_E_DEAD;
	if (len > CCID_T1_MAX_APDU)
		return CCID_E_TOO_LONG;
	if (ccid_t1_max_inf(xfer->max_payload, host->edc) == 0)
		return CCID_E_READER_LIMIT;
	if (host->resynch_pending) {
		int rc = resynch(host, xfer);
		if (rc != CCID_OK)
			return rc;
	}
	host->wtx = 0;
	run r = { .h = host, .x = xfer, .apdu = apdu, .len = len, .rsp = rsp, .cap = rsp_cap };
	int rc = start(&r);
	while (rc == GO_ON) {
		ccid_t1_block b;
		int fail = CCID_OK;
		switch (exchange(host, xfer, &b, &fail)) {
		case GOT_FAIL:
			host->resynch_pending = true;
			rc = fail;
			break;
		case GOT_BAD_EDC:
			rc = on_invalid(&r, CCID_T1_R_EDC);
			break;
		case GOT_BAD:
		case GOT_LOST:
			rc = on_invalid(&r, CCID_T1_R_OTHER);
			break;
		default:
			rc = on_block(&r, &b);
			break;
		}
	}
	if (rc == CCID_OK)
		*rsp_len = r.got;
	return rc;
}

int ccid_t1_host_negotiate_ifsd(ccid_t1_host *host, const ccid_xfer *xfer,
				unsigned ifsd)
{
	if (host == NULL || !xfer_ok(xfer) || !ifs_ok(ifsd))
		return CCID_E_INVALID_ARG;
	if (host->dead)
		return CCID_E_DEAD;
	if (host->resynch_pending) {
		int rc = resynch(host, xfer);
		if (rc != CCID_OK)
			return rc;
	}
	uint8_t value = (uint8_t)ifsd;
	int rc = put(host, ccid_t1_block_pcb_s(CCID_T1_S_IFS, false), &value, 1);
	if (rc != GO_ON)
		return rc;
	for (unsigned errors = 0;; errors++) {
		ccid_t1_block b;
		int fail = CCID_OK;
		enum arrival got = exchange(host, xfer, &b, &fail);
		if (got == GOT_FAIL) {
			host->resynch_pending = true;
			return fail;
		}
		/* Rule 4: the card echoes the value in S(IFS response). */
		if (got == GOT_BLOCK && b.kind == CCID_T1_S_BLOCK && b.s_response &&
		    b.s_type == CCID_T1_S_IFS && b.inf[0] == value) {
			host->ifsd = value;
			return CCID_OK;
		}
		if (errors >= CCID_T1_RETRIES) {
			rc = resynch(host, xfer);
			return rc == CCID_OK ? CCID_E_RETRIES : rc;
		}
		/* Rule 7.3: the S(IFS request) again (still in host->tx). */
		host->n_retransmits++;
	}
}
