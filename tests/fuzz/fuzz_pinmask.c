/* ccidlab — fuzz target: the PIN finder of traces (src/ccid/pinmask.c;
 * issue 20).  Input: one byte of exchange level and protocol, then
 * PC_to_RDR messages, each a 2-byte length and its bytes, fed in order to
 * one slot's state.  A range found must lie inside the message's abData. */
#include <stdint.h>
#include <stdlib.h>

#include "ccid/message.h"
#include "ccid/pinmask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ccid_exchange_level levels[4] = {
		CCID_LEVEL_CHARACTER, CCID_LEVEL_TPDU, CCID_LEVEL_SHORT_APDU,
		CCID_LEVEL_EXTENDED_APDU,
	};
	ccid_pinmask st = { 0 };

	if (size < 1)
		return 0;
	ccid_exchange_level level = levels[data[0] & 3];
	bool t1 = data[0] & 4;
	for (size_t at = 1; at + 2 <= size;) {
		size_t n = (size_t)data[at] | (size_t)data[at + 1] << 8;
		at += 2;
		if (n > size - at)
			n = size - at;
		uint8_t *msg = malloc(n ? n : 1);	/* exact size: ASan sees over-reads */
		for (size_t i = 0; i < n; i++)
			msg[i] = data[at + i];
		size_t off = 0, k = 0;
		ccid_pinmask_find(&st, level, t1, msg, n, &off, &k);
		if (k > 0 && (off < CCID_HEADER_SIZE || off + k > n))
			abort();
		free(msg);
		at += n;
	}
	return 0;
}
