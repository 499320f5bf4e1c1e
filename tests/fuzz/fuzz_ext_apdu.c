/* ccidlab — fuzz target: extended-APDU chaining (CCID 1.1 §6.1.4, §6.2.1).
 *
 * Stateful.  Input layout:
 *   byte 0      dwMaxCCIDMessageLength choice (low 3 bits)
 *   bytes 1..2  command APDU length, little-endian (mod 65,545)
 *   then records: a 2-byte little-endian length and that many bytes.
 * Pass 1: the host driver sends the APDU; each record is the next whole
 * RDR_to_PC_DataBlock the reader "answers".  Pass 2: the same records,
 * as (bChainParameter, abData) parts, go straight into a response
 * reassembler with a small buffer (overflow counting).  Pass 3: the records
 * are XfrBlock parts (first two bytes wLevelParameter) for the device-side
 * machine, which answers chained responses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/exchange.h"
#include "ccid/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct records {
	const uint8_t *p;
	size_t left;
};

/* The next record, or false when the input is used up. */
static bool next_record(struct records *rec, const uint8_t **r, size_t *n)
{
	if (rec->left < 2)
		return false;
	size_t len = (size_t)rec->p[0] | ((size_t)rec->p[1] << 8);
	rec->p += 2;
	rec->left -= 2;
	if (len > rec->left)
		len = rec->left;
	*r = rec->p;
	*n = len;
	rec->p += len;
	rec->left -= len;
	return true;
}

static int replay_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			   uint8_t *rx, size_t rx_cap, size_t *rx_len)
{
	struct records *rec = ctx;
	const uint8_t *r;
	size_t n;
	(void)tx;
	(void)tx_len;
	(void)hint;
	if (!next_record(rec, &r, &n))
		return CCID_E_TIMEOUT;
	if (n > rx_cap)
		return CCID_E_BUFFER;
	memcpy(rx, r, n);
	*rx_len = n;
	return CCID_OK;
}

static uint8_t apdu[CCID_EXTENDED_APDU_MAX];
static uint8_t rsp[CCID_EXTENDED_RESPONSE_MAX + CCID_HEADER_SIZE];
static uint8_t cmdbuf[CCID_EXTENDED_APDU_MAX];

static void host_pass(uint32_t dwMax, size_t apdu_len, struct records rec)
{
	ccid_xfer x = { .exchange = replay_exchange, .ctx = &rec };
	size_t got = 0;
	int r = ccid_exchange_transmit(&x, CCID_LEVEL_EXTENDED_APDU, dwMax, apdu, apdu_len, rsp,
				       sizeof rsp, &got);
	if (r == CCID_OK && got > CCID_EXTENDED_RESPONSE_MAX)
		abort();
}

static void reassembler_pass(struct records rec)
{
	uint8_t small[64];
	ccid_chain_rx rx;
	const uint8_t *f;
	size_t n;
	ccid_exchange_rx_init(&rx, small, sizeof small, CCID_EXTENDED_RESPONSE_MAX);
	while (next_record(&rec, &f, &n)) {
		ccid_msg m;
		if (ccid_message_decode(f, n, NULL, &m, NULL) != CCID_OK ||
		    m.bMessageType != CCID_RDR_TO_PC_DATA_BLOCK)
			continue;
		if (ccid_exchange_rx_feed(&rx, m.p.rdr.bChainParameter, m.abData, m.dwLength) !=
		    CCID_OK)
			return;
		if (rx.len > CCID_EXTENDED_RESPONSE_MAX)
			abort();
		if (ccid_exchange_rx_done(&rx)) {
			int r = ccid_exchange_rx_result(&rx);
			if ((r == CCID_E_BUFFER) != (rx.len > sizeof small))
				abort();
			ccid_exchange_rx_init(&rx, small, sizeof small, CCID_EXTENDED_RESPONSE_MAX);
		}
	}
}

static void device_pass(uint32_t dwMax, struct records rec)
{
	ccid_exchange_dev d;
	const uint8_t *f;
	size_t n;
	if (ccid_exchange_dev_init(&d, dwMax, cmdbuf, sizeof cmdbuf) != CCID_OK)
		return;
	while (next_record(&rec, &f, &n)) {
		if (n < 2)
			continue;
		uint16_t level = (uint16_t)(f[0] | (f[1] << 8));
		ccid_dev_step st;
		if (ccid_exchange_dev_xfr(&d, level, n > 2 ? f + 2 : NULL, n - 2, &st) != CCID_OK)
			continue;
		if (st.action == CCID_DEV_RUN_APDU) {
			/* the card echoes the command, three times over */
			size_t len = st.len * 3 > CCID_EXTENDED_RESPONSE_MAX
					     ? CCID_EXTENDED_RESPONSE_MAX : st.len * 3;
			if (ccid_exchange_dev_respond(&d, apdu, len, &st) != CCID_OK)
				abort();
		}
		if (st.len > dwMax - CCID_HEADER_SIZE)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sizes[] = { 271, 263, 300, 1024, 5000, 65546, 11, 12 };
	if (size < 3)
		return 0;
	uint32_t dwMax = sizes[data[0] & 7];
	size_t apdu_len = ((size_t)data[1] | ((size_t)data[2] << 8)) % (CCID_EXTENDED_APDU_MAX + 1);
	struct records rec = { data + 3, size - 3 };
	host_pass(dwMax, apdu_len, rec);
	reassembler_pass(rec);
	device_pass(dwMax, rec);
	return 0;
}
