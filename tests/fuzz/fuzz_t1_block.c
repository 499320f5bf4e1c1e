/* ccidlab — fuzz target: one T=1 block (ISO/IEC 7816-3 §11.3).
 *
 * The input is decoded as a block with LRC and with CRC.  A block that
 * decodes must encode back to the same bytes, and its NAD must swap back.
 * Each decode gets an exact-size copy so that ASan sees any over-read.
 */
#include <stdlib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/t1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size, ccid_t1_edc edc)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return;
	if (size)
		memcpy(copy, data, size);
	ccid_t1_block b;
	if (ccid_t1_block_decode(copy, size, edc, &b) == CCID_OK) {
		uint8_t out[CCID_T1_MAX_BLOCK];
		size_t n = 0;
		if (ccid_t1_block_encode(b.nad, b.pcb, b.inf, b.len, edc, out, sizeof out, &n) != CCID_OK)
			abort();
		if (n != size || memcmp(out, data, n) != 0)
			abort();
		if (b.len > CCID_T1_MAX_INF || (b.len != 0) != (b.inf != NULL))
			abort();
		if (b.kind == CCID_T1_R_BLOCK && b.r_error > CCID_T1_R_OTHER)
			abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size, CCID_T1_EDC_LRC);
	one(data, size, CCID_T1_EDC_CRC);
	if (size && ccid_t1_nad_swap(ccid_t1_nad_swap(data[0])) != (data[0] & 0x77))
		abort();
	return 0;
}
