/* ccidlab — fuzz target: the T=0 engine against a card the input plays.
 *
 * Input: byte 0 picks the level (bit 0: character level) and the size of
 * the response buffer (bits 1..7, n: 2 + 8 x n bytes, or 600 for 0; n of
 * 65 and up: 600 bytes and a reader whose messages carry n - 60 bytes,
 * which no exchange may pass, issue 17); byte 1
 * is the APDU length L, bytes 2..L+1 the APDU; the rest is the card's
 * side, one reply per exchange: a length byte, then that many bytes
 * (cut at what the engine asked for).  Length 0xFF makes the exchange
 * fail with CCID_E_TIMEOUT; running out of input gives empty replies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/result.h"
#include "ccid/t0.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

typedef struct script {
	const uint8_t *p;
	size_t left;
	unsigned exchanges;
	unsigned extends;
	int char_level;
	size_t max_payload;	/* 0: none */
} script;

static int exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint, uint8_t *rx,
		    size_t rx_cap, size_t *rx_len)
{
	script *s = ctx;
	CHECK(tx != NULL && rx != NULL);
	/* Touch what the engine hands over, so ASan sees any bad buffer. */
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < tx_len; i++)
		sink ^= tx[i];
	(void)sink;
	if (s->char_level)
		CHECK(hint == rx_cap);
	if (s->max_payload != 0)
		CHECK(tx_len <= s->max_payload && (!s->char_level || hint <= s->max_payload));
	s->exchanges++;
	*rx_len = 0;
	if (s->left == 0)
		return CCID_OK;
	size_t len = s->p[0];
	s->p++;
	s->left--;
	if (len == 0xFF)
		return CCID_E_TIMEOUT;
	if (len > s->left)
		len = s->left;
	size_t give = len < rx_cap ? len : rx_cap;
	if (give > 0)
		memcpy(rx, s->p, give);
	s->p += len;
	s->left -= len;
	*rx_len = give;
	return CCID_OK;
}

static void extend(void *ctx, unsigned multiplier)
{
	script *s = ctx;
	CHECK(multiplier == 1);
	s->extends++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	ccid_t0_level level = (data[0] & 1) ? CCID_T0_LEVEL_CHAR : CCID_T0_LEVEL_TPDU;
	size_t n = data[0] >> 1;
	size_t cap = n == 0 || n >= 65 ? 600 : 2 + 8u * n;
	size_t max_payload = n >= 65 ? n - 60 : 0;
	size_t apdu_len = data[1];
	if (size - 2 < apdu_len)
		return 0;
	/* Exact-size copies, so ASan catches any over-read. */
	uint8_t *apdu = malloc(apdu_len ? apdu_len : 1);
	uint8_t *resp = malloc(cap);
	if (apdu == NULL || resp == NULL)
		goto out;
	memcpy(apdu, data + 2, apdu_len);
	script s = { .p = data + 2 + apdu_len, .left = size - 2 - apdu_len,
		     .char_level = level == CCID_T0_LEVEL_CHAR, .max_payload = max_payload };
	ccid_xfer x = { .exchange = exchange, .extend_time = extend, .ctx = &s,
			.max_payload = max_payload };
	size_t resp_len = 0;
	int r = ccid_t0_transceive(&x, level, apdu, apdu_len, resp, cap, &resp_len);
	if (r == CCID_OK)
		CHECK(resp_len >= 2 && resp_len <= cap);
	else
		CHECK(resp_len == 0);
	if (r == CCID_E_READER_LIMIT)
		CHECK(max_payload != 0);
	CHECK(s.extends <= (CCID_T0_MAX_GET_RESPONSE + 2) * (CCID_T0_MAX_NULL + 1));
out:
	free(apdu);
	free(resp);
	return 0;
}
