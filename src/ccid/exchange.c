/* ccidlab — APDU exchange levels above XfrBlock (see exchange.h). */
#include <string.h>

#include "errmap.h"
#include "exchange.h"
#include "message.h"
#include "result.h"

/* ---- splitter ---- */

int ccid_exchange_tx_init(ccid_chain_tx *tx, const uint8_t *data, size_t len, size_t max_total,
			  size_t part_max)
{
	if (tx == NULL || part_max == 0 || (data == NULL && len > 0))
		return CCID_E_INVALID_ARG;
	if (len > max_total)
		return CCID_E_TOO_LONG;
	memset(tx, 0, sizeof *tx);
	tx->data = data;
	tx->len = len;
	tx->part_max = part_max;
	return CCID_OK;
}

bool ccid_exchange_tx_done(const ccid_chain_tx *tx)
{
	return tx->started && tx->off == tx->len;
}

int ccid_exchange_tx_next(ccid_chain_tx *tx, const uint8_t **part, size_t *part_len,
			  uint8_t *code)
{
	if (ccid_exchange_tx_done(tx))
		return CCID_E_PROTOCOL;
	size_t n = tx->len - tx->off;
	if (n > tx->part_max)
		n = tx->part_max;
	bool first = !tx->started;
	bool last = tx->off + n == tx->len;
	/* CCID 1.1 §6.1.4, wLevelParameter at the extended APDU level. */
	if (first)
		*code = last ? CCID_CHAIN_BEGIN_END : CCID_CHAIN_BEGIN_MORE;
	else
		*code = last ? CCID_CHAIN_CONTINUE_END : CCID_CHAIN_CONTINUE_MORE;
	*part = n > 0 ? tx->data + tx->off : NULL;
	*part_len = n;
	tx->off += n;
	tx->started = true;
	return CCID_OK;
}

/* ---- reassembler ---- */

enum { RX_FIRST, RX_MIDDLE, RX_DONE, RX_FAILED };

void ccid_exchange_rx_init(ccid_chain_rx *rx, uint8_t *buf, size_t cap, size_t max_total)
{
	memset(rx, 0, sizeof *rx);
	rx->buf = buf;
	rx->cap = buf != NULL ? cap : 0;
	rx->max_total = max_total;
	rx->state = RX_FIRST;
}

static int rx_fail(ccid_chain_rx *rx, int r)
{
	rx->state = RX_FAILED;
	return r;
}

/* Whether `code` may come in `state`, and whether it ends the chain. */
static bool code_allowed(uint8_t state, uint8_t code, bool *ends)
{
	*ends = code == CCID_CHAIN_BEGIN_END || code == CCID_CHAIN_CONTINUE_END;
	if (state == RX_FIRST)
		return code == CCID_CHAIN_BEGIN_END || code == CCID_CHAIN_BEGIN_MORE;
	if (state == RX_MIDDLE)
		return code == CCID_CHAIN_CONTINUE_END || code == CCID_CHAIN_CONTINUE_MORE;
	return false;
}

int ccid_exchange_rx_feed(ccid_chain_rx *rx, uint8_t code, const uint8_t *data, size_t n)
{
	bool ends;
	if (data == NULL && n > 0)
		return CCID_E_INVALID_ARG;
	if (!code_allowed(rx->state, code, &ends))
		return rx_fail(rx, CCID_E_PROTOCOL);
	/* A part that says "more follows" must carry something: otherwise a
	 * peer could keep the exchange going forever without progress. */
	if (!ends && n == 0)
		return rx_fail(rx, CCID_E_PROTOCOL);
	if (n > rx->max_total - rx->len)
		return rx_fail(rx, CCID_E_TOO_LONG);
	if (!rx->overflow && n > rx->cap - rx->len)
		rx->overflow = true;
	if (!rx->overflow && n > 0 && data != rx->buf + rx->len)
		memmove(rx->buf + rx->len, data, n);
	rx->len += n;
	rx->state = ends ? RX_DONE : RX_MIDDLE;
	return CCID_OK;
}

bool ccid_exchange_rx_done(const ccid_chain_rx *rx)
{
	return rx->state == RX_DONE;
}

int ccid_exchange_rx_result(const ccid_chain_rx *rx)
{
	if (rx->state != RX_DONE)
		return CCID_E_PROTOCOL;
	return rx->overflow ? CCID_E_BUFFER : CCID_OK;
}

/* ---- host drivers ---- */

static size_t part_max_of(uint32_t dwMaxCCIDMessageLength)
{
	if (dwMaxCCIDMessageLength <= CCID_HEADER_SIZE)
		return 0;
	return dwMaxCCIDMessageLength - CCID_HEADER_SIZE;
}

/* One XfrBlock round trip.  The DataBlock lands at rsp + at; its abData
 * is returned in *data / *n (still behind its header) with its
 * bChainParameter. */
static int xfer_part(const ccid_xfer *x, uint32_t dwMax, const uint8_t *tx, size_t tx_len,
		     uint16_t wLevelParameter, uint8_t *rsp, size_t rsp_cap, size_t at,
		     const uint8_t **data, size_t *n, uint8_t *bChainParameter)
{
	size_t got = 0;
	if (at > rsp_cap)
		return CCID_E_BUFFER;
	int r = x->exchange(x->ctx, tx, tx_len, wLevelParameter, rsp + at, rsp_cap - at, &got);
	if (r != CCID_OK)
		return r;
	if (got > rsp_cap - at)
		return CCID_E_TRANSPORT;
	ccid_msg_limits lim = { .dwMaxCCIDMessageLength = dwMax, .bMaxSlotIndex = 0xFF };
	ccid_msg m;
	r = ccid_message_decode(rsp + at, got, &lim, &m, NULL);
	if (r != CCID_OK)
		return r;
	if (m.bMessageType != CCID_RDR_TO_PC_DATA_BLOCK)
		return CCID_E_BAD_TYPE;
	r = ccid_errmap_result(CCID_PC_TO_RDR_XFR_BLOCK, CCID_OK, m.p.rdr.bStatus, m.p.rdr.bError);
	if (r == CCID_R_TIME_EXTENSION)
		return CCID_E_PROTOCOL; /* the xfer's to wait out; see exchange.h */
	if (r != CCID_OK)
		return r;
	*data = m.abData;
	*n = m.dwLength;
	*bChainParameter = m.p.rdr.bChainParameter;
	return CCID_OK;
}

static int transmit_short(const ccid_xfer *x, uint32_t dwMax, const uint8_t *apdu,
			  size_t apdu_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	const uint8_t *data;
	size_t n;
	uint8_t chain;
	/* One XfrBlock carries the whole APDU at this level (CCID 1.1
	 * §6.1.4): a longer one, or an extended one, cannot be carried. */
	if (apdu_len > CCID_SHORT_APDU_MAX || apdu_len > part_max_of(dwMax))
		return CCID_E_READER_LIMIT;
	int r = xfer_part(x, dwMax, apdu, apdu_len, 0, rsp, rsp_cap, 0, &data, &n, &chain);
	if (r != CCID_OK)
		return r;
	/* bChainParameter is RFU below the extended level: ignored. */
	memmove(rsp, data, n);
	*rsp_len = n;
	return CCID_OK;
}

/* Sends every command part; the reader acknowledges each non-final one
 * with an empty DataBlock whose bChainParameter is 0x10 (CCID 1.1
 * §6.2.1).  The final part's answer is the response's first part. */
static int send_command(const ccid_xfer *x, uint32_t dwMax, ccid_chain_tx *tx, uint8_t *rsp,
			size_t rsp_cap, const uint8_t **data, size_t *n, uint8_t *chain)
{
	for (;;) {
		const uint8_t *part;
		size_t part_len;
		uint8_t code;
		int r = ccid_exchange_tx_next(tx, &part, &part_len, &code);
		if (r != CCID_OK)
			return r;
		r = xfer_part(x, dwMax, part, part_len, code, rsp, rsp_cap, 0, data, n, chain);
		if (r != CCID_OK || ccid_exchange_tx_done(tx))
			return r;
		if (*chain != CCID_CHAIN_EMPTY_NEXT || *n != 0)
			return CCID_E_PROTOCOL;
	}
}

static int transmit_extended(const ccid_xfer *x, uint32_t dwMax, const uint8_t *apdu,
			     size_t apdu_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	ccid_chain_tx tx;
	ccid_chain_rx rx;
	const uint8_t *data;
	size_t n;
	uint8_t chain;
	int r = ccid_exchange_tx_init(&tx, apdu, apdu_len, CCID_EXTENDED_APDU_MAX,
				      part_max_of(dwMax));
	if (r != CCID_OK)
		return r;
	r = send_command(x, dwMax, &tx, rsp, rsp_cap, &data, &n, &chain);
	if (r != CCID_OK)
		return r;
	ccid_exchange_rx_init(&rx, rsp, rsp_cap, CCID_EXTENDED_RESPONSE_MAX);
	/* Bounded: every part but the last adds at least one byte, and the
	 * reassembler refuses more than 65,538. */
	for (;;) {
		r = ccid_exchange_rx_feed(&rx, chain, data, n);
		if (r != CCID_OK)
			return r;
		if (ccid_exchange_rx_done(&rx))
			break;
		r = xfer_part(x, dwMax, NULL, 0, CCID_CHAIN_EMPTY_NEXT, rsp, rsp_cap, rx.len,
			      &data, &n, &chain);
		if (r != CCID_OK)
			return r;
	}
	r = ccid_exchange_rx_result(&rx);
	if (r != CCID_OK)
		return r;
	*rsp_len = rx.len;
	return CCID_OK;
}

int ccid_exchange_transmit(const ccid_xfer *x, ccid_exchange_level level,
			   uint32_t dwMaxCCIDMessageLength, const uint8_t *apdu, size_t apdu_len,
			   uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	if (x == NULL || x->exchange == NULL || rsp == NULL || rsp_len == NULL ||
	    (apdu == NULL && apdu_len > 0))
		return CCID_E_INVALID_ARG;
	if (part_max_of(dwMaxCCIDMessageLength) == 0)
		return CCID_E_INVALID_ARG;
	switch (level) {
	case CCID_LEVEL_SHORT_APDU:
		return transmit_short(x, dwMaxCCIDMessageLength, apdu, apdu_len, rsp, rsp_cap,
				      rsp_len);
	case CCID_LEVEL_EXTENDED_APDU:
		return transmit_extended(x, dwMaxCCIDMessageLength, apdu, apdu_len, rsp, rsp_cap,
					 rsp_len);
	default:
		/* TPDU and character levels need a protocol engine (T=0 or
		 * T=1) above this one. */
		return CCID_E_UNSUPPORTED;
	}
}

int ccid_exchange_char(const ccid_xfer *x, uint32_t dwMaxCCIDMessageLength, const uint8_t *tx,
		       size_t tx_len, uint16_t expected, uint8_t *rsp, size_t rsp_cap,
		       size_t *rsp_len)
{
	const uint8_t *data;
	size_t n;
	uint8_t chain;
	if (x == NULL || x->exchange == NULL || rsp == NULL || rsp_len == NULL ||
	    (tx == NULL && tx_len > 0))
		return CCID_E_INVALID_ARG;
	if (tx_len > part_max_of(dwMaxCCIDMessageLength))
		return CCID_E_READER_LIMIT;
	/* CCID 1.1 §6.1.4: at the character level wLevelParameter is the
	 * size of the data expected back on the bulk-IN pipe. */
	int r = xfer_part(x, dwMaxCCIDMessageLength, tx, tx_len, expected, rsp, rsp_cap, 0, &data,
			  &n, &chain);
	if (r != CCID_OK)
		return r;
	if (n > expected)
		return CCID_E_LENGTH;
	memmove(rsp, data, n);
	*rsp_len = n;
	return CCID_OK;
}

/* ---- device side ---- */

enum { DEV_IDLE, DEV_RECEIVING, DEV_RUNNING, DEV_SENDING };

int ccid_exchange_dev_init(ccid_exchange_dev *d, uint32_t dwMaxCCIDMessageLength, uint8_t *buf,
			   size_t cap)
{
	if (d == NULL || part_max_of(dwMaxCCIDMessageLength) == 0 || (buf == NULL && cap > 0))
		return CCID_E_INVALID_ARG;
	memset(d, 0, sizeof *d);
	d->part_max = part_max_of(dwMaxCCIDMessageLength);
	ccid_exchange_rx_init(&d->cmd, buf, cap, CCID_EXTENDED_APDU_MAX);
	d->state = DEV_IDLE;
	return CCID_OK;
}

static int dev_fail(ccid_exchange_dev *d, int r)
{
	ccid_exchange_rx_init(&d->cmd, d->cmd.buf, d->cmd.cap, CCID_EXTENDED_APDU_MAX);
	d->state = DEV_IDLE;
	return r;
}

static void dev_send_next(ccid_exchange_dev *d, ccid_dev_step *out)
{
	const uint8_t *part = NULL;
	size_t n = 0;
	uint8_t code = CCID_CHAIN_BEGIN_END;
	/* Cannot fail: called only while parts remain. */
	(void)ccid_exchange_tx_next(&d->rsp, &part, &n, &code);
	out->action = CCID_DEV_SEND_PART;
	out->data = part;
	out->len = n;
	out->bChainParameter = code;
	d->state = ccid_exchange_tx_done(&d->rsp) ? DEV_IDLE : DEV_SENDING;
}

int ccid_exchange_dev_xfr(ccid_exchange_dev *d, uint16_t wLevelParameter, const uint8_t *abData,
			  size_t len, ccid_dev_step *out)
{
	if (d == NULL || out == NULL || (abData == NULL && len > 0))
		return CCID_E_INVALID_ARG;
	if (d->state == DEV_SENDING) {
		/* Only "send the next part" may come while a response is
		 * being delivered (CCID 1.1 §6.1.4, wLevelParameter 0x10). */
		if (wLevelParameter != CCID_CHAIN_EMPTY_NEXT || len != 0)
			return dev_fail(d, CCID_E_PROTOCOL);
		dev_send_next(d, out);
		return CCID_OK;
	}
	if (d->state == DEV_RUNNING || wLevelParameter > 0xFF)
		return dev_fail(d, CCID_E_PROTOCOL);
	if (d->state == DEV_IDLE)
		ccid_exchange_rx_init(&d->cmd, d->cmd.buf, d->cmd.cap, CCID_EXTENDED_APDU_MAX);
	int r = ccid_exchange_rx_feed(&d->cmd, (uint8_t)wLevelParameter, abData, len);
	if (r != CCID_OK)
		return dev_fail(d, r);
	if (!ccid_exchange_rx_done(&d->cmd)) {
		d->state = DEV_RECEIVING;
		out->action = CCID_DEV_SEND_PART;
		out->data = NULL;
		out->len = 0;
		out->bChainParameter = CCID_CHAIN_EMPTY_NEXT;
		return CCID_OK;
	}
	r = ccid_exchange_rx_result(&d->cmd);
	if (r != CCID_OK)
		return dev_fail(d, r);
	d->state = DEV_RUNNING;
	out->action = CCID_DEV_RUN_APDU;
	out->data = d->cmd.buf;
	out->len = d->cmd.len;
	out->bChainParameter = 0;
	return CCID_OK;
}

int ccid_exchange_dev_respond(ccid_exchange_dev *d, const uint8_t *resp, size_t len,
			      ccid_dev_step *out)
{
	if (d == NULL || out == NULL)
		return CCID_E_INVALID_ARG;
	if (d->state != DEV_RUNNING)
		return CCID_E_PROTOCOL;
	int r = ccid_exchange_tx_init(&d->rsp, resp, len, CCID_EXTENDED_RESPONSE_MAX, d->part_max);
	if (r != CCID_OK)
		return dev_fail(d, r);
	dev_send_next(d, out);
	return CCID_OK;
}
