/* ccidlab — fuzz target for the descriptor surface: the configuration
 * walker, the bare class descriptor and the rate/clock reply decoder all
 * take the same input (each an exact-size buffer: libFuzzer's and the
 * replay main's).  Invariants of the results are checked too, so a wrong
 * answer is a finding, not only a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/descriptor.h"
#include "ccid/quirks.h"
#include "ccid/rates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_facts(const ccid_class_desc *d, const ccid_class_facts *f)
{
	check(f->slot_count >= 1 && f->slot_count <= 256);
	check(f->max_short_apdu <= CCID_SHORT_APDU_MAX);
	check(f->max_block_payload <= d->dwMaxCCIDMessageLength);
	check((f->max_extended_apdu != 0) == (f->level == CCID_LEVEL_EXTENDED_APDU));
	check(ccid_descriptor_level_name(f->level) != NULL);
	(void)ccid_quirks_level(NULL, f->level);
}

static void fuzz_config(const uint8_t *data, size_t size, size_t cap)
{
	ccid_interface out[8];
	size_t n = (size_t)-1;
	int r = ccid_descriptor_parse_config(data, size, out, cap, &n);
	if (r != CCID_OK) {
		check(n == (size_t)-1);
		return;
	}
	check(n <= cap);
	for (size_t i = 0; i < n; i++) {
		const ccid_interface *it = &out[i];
		check(it->bInterfaceClass == CCID_IFACE_CLASS_CCID ||
		      it->bInterfaceClass == CCID_IFACE_CLASS_VENDOR);
		check(it->desc.bLength >= CCID_CLASS_DESC_LEN);
		check(it->has_interrupt_in == it->interrupt_in.present);
		check(it->kind != CCID_KIND_CCID || (it->bulk_in.present && it->bulk_out.present));
		check(ccid_descriptor_kind_name(it->kind) != NULL);
		check_facts(&it->desc, &it->facts);
	}
}

static void fuzz_class(const uint8_t *data, size_t size)
{
	ccid_class_desc d;
	ccid_class_facts f;
	if (ccid_descriptor_decode_class(data, size, &d, &f) != CCID_OK)
		return;
	check(d.bLength >= CCID_CLASS_DESC_LEN && d.bLength <= size);
	check_facts(&d, &f);
	for (unsigned bit = 0; bit < 32; bit++)
		check(ccid_descriptor_feature_name(f.auto_features & (1u << bit)) != NULL);
}

static void fuzz_rates(const uint8_t *data, size_t size)
{
	uint32_t vals[64];
	size_t n = 0;
	unsigned flags = 0;
	/* The first byte plays bNum*Supported; the whole input is the reply. */
	unsigned declared = size ? data[0] : 0;
	size_t cap = size > 1 ? data[1] % 65u : 0;
	check(ccid_rates_decode(data, size, declared, vals, cap, &n, &flags) == CCID_OK);
	check(n <= cap && n <= size / 4);
	check(declared == 0 || n <= declared);
	check(((flags & CCID_RATES_PARTIAL_DWORD) != 0) == (size % 4 != 0));
	for (unsigned bit = 1; bit <= CCID_RATES_OVER_CAP; bit <<= 1)
		if (flags & bit)
			check(ccid_rates_flag_name(bit) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_config(data, size, 8);
	fuzz_config(data, size, 1);
	fuzz_class(data, size);
	fuzz_rates(data, size);
	if (size >= 6) {
		const ccid_quirk *q = ccid_quirks_find(ccid_get_le16(data), ccid_get_le16(data + 2),
						       ccid_get_le16(data + 4));
		if (q != NULL)
			check(q->name != NULL);
	}
	return 0;
}
