/* ccidlab — T=1 blocks over a character-level reader (see t1.h).
 *
 * ISO 7816-3 §11.3.1 gives a block's length in its prologue, so a host
 * that sees only characters reads three, then LEN plus the epilogue.  The
 * reader's message size bounds every piece (CCID 1.1 §6.1.4: any count of
 * characters may be asked for), so blocks of any IFSD cross a reader whose
 * messages are small.
 */
#include "ccid/result.h"
#include "ccid/t1.h"

#define PROLOGUE 3

/* One character-level XfrBlock: sends tx, reads up to want characters. */
static int chars_xchg(const ccid_xfer *c, const uint8_t *tx, size_t tx_len, size_t want,
		      uint8_t *rx, size_t *got)
{
	/* Never hand the transport a NULL buffer, even for zero bytes. */
	static const uint8_t no_tx[1];
	uint8_t no_rx[1];

	*got = 0;
	int rc = c->exchange(c->ctx, tx != NULL ? tx : no_tx, tx_len, (uint32_t)want,
			     rx != NULL ? rx : no_rx, want, got);
	if (rc == CCID_OK && *got > want)
		return CCID_E_PROTOCOL;
	return rc;
}

/* Reads exactly n characters in pieces of at most piece_max. */
static int read_chars(const ccid_xfer *c, size_t piece_max, uint8_t *rx, size_t n)
{
	while (n > 0) {
		size_t want = n < piece_max ? n : piece_max;
		size_t got = 0;
		int rc = chars_xchg(c, NULL, 0, want, rx, &got);
		if (rc != CCID_OK)
			return rc;
		if (got < want)
			return CCID_E_TIMEOUT;	/* the card fell silent mid-block */
		rx += got;
		n -= got;
	}
	return CCID_OK;
}

static int block_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			  uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	const ccid_t1_char *tc = ctx;
	const ccid_xfer *c = tc->chars;
	size_t piece = c->max_payload != 0 ? c->max_payload : tx_len + PROLOGUE;
	size_t got = 0, off = 0;

	(void)hint;
	*rx_len = 0;
	if (rx_cap < PROLOGUE || piece < PROLOGUE)
		return piece < PROLOGUE ? CCID_E_READER_LIMIT : CCID_E_BUFFER;
	/* Every piece but the last expects nothing back: the card answers
	 * once the whole block is in. */
	while (tx_len - off > piece) {
		int rc = chars_xchg(c, tx + off, piece, 0, NULL, &got);
		if (rc != CCID_OK)
			return rc;
		off += piece;
	}
	int rc = chars_xchg(c, tx + off, tx_len - off, PROLOGUE, rx, &got);
	if (rc != CCID_OK)
		return rc;
	if (got < PROLOGUE)
		return CCID_E_TIMEOUT;
	/* LEN 255 is reserved (§11.4.2): the card's block is bad whatever
	 * follows, and the engine answers it as such. */
	size_t rest = rx[2] == 0xFF ? 0 : (size_t)rx[2] + ccid_edc_size(tc->edc);
	if (PROLOGUE + rest > rx_cap)
		return CCID_E_BUFFER;
	rc = read_chars(c, piece, rx + PROLOGUE, rest);
	if (rc != CCID_OK)
		return rc;
	*rx_len = PROLOGUE + rest;
	return CCID_OK;
}

static void block_extend(void *ctx, unsigned multiplier)
{
	const ccid_t1_char *tc = ctx;
	if (tc->chars->extend_time != NULL)
		tc->chars->extend_time(tc->chars->ctx, multiplier);
}

ccid_xfer ccid_t1_char_xfer(ccid_t1_char *tc, const ccid_xfer *chars, ccid_t1_edc edc)
{
	tc->chars = chars;
	tc->edc = edc;
	ccid_xfer x = { .exchange = block_exchange, .extend_time = block_extend, .ctx = tc };
	return x;
}
