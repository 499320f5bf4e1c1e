/* ccidlab — GET_CLOCK_FREQUENCIES / GET_DATA_RATES replies (see rates.h). */
#include "ccid/bytes.h"
#include "ccid/rates.h"
#include "ccid/result.h"

/* Flags that describe the values themselves: 0 and values of 2 GHz / 2 Gbps
 * and more are junk (CCID 1.1 §5.3.2 gives kHz and bps). */
static unsigned value_flags(uint32_t v)
{
	unsigned f = 0;
	if (v == 0)
		f |= CCID_RATES_ZERO_VALUE;
	if (v & 0x80000000u)
		f |= CCID_RATES_HIGH_VALUE;
	return f;
}

/* How many entries to keep, and the flags the count earns. */
static size_t entries_to_keep(size_t whole, unsigned declared, size_t cap, unsigned *f)
{
	size_t keep = whole;
	if (whole == 0)
		*f |= CCID_RATES_EMPTY;
	/* bNum*Supported 0 means "use whatever is returned" (§5.1). */
	if (declared != 0 && whole > declared) {
		*f |= CCID_RATES_TRIMMED;
		keep = declared;
	} else if (declared != 0 && whole < declared) {
		*f |= CCID_RATES_FEWER;
	}
	if (keep > cap) {
		*f |= CCID_RATES_OVER_CAP;
		keep = cap;
	}
	return keep;
}

int ccid_rates_decode(const uint8_t *reply, size_t len, unsigned declared,
		      uint32_t *values, size_t cap, size_t *n_out, unsigned *flags)
{
	if ((reply == NULL && len != 0) || (values == NULL && cap != 0) || n_out == NULL ||
	    flags == NULL)
		return CCID_E_INVALID_ARG;

	unsigned f = 0;
	if (len % 4u != 0)
		f |= CCID_RATES_PARTIAL_DWORD;
	size_t keep = entries_to_keep(len / 4u, declared, cap, &f);

	ccid_cursor c = ccid_cursor_make(reply, keep * 4u);
	for (size_t i = 0; i < keep; i++) {
		const uint8_t *dw = ccid_cursor_take(&c, 4);
		values[i] = ccid_get_le32(dw);
		f |= value_flags(values[i]);
	}
	*n_out = keep;
	*flags = f;
	return CCID_OK;
}

const char *ccid_rates_flag_name(unsigned flag)
{
	switch (flag) {
	case CCID_RATES_PARTIAL_DWORD:
		return "size not a multiple of 4";
	case CCID_RATES_EMPTY:
		return "no entry";
	case CCID_RATES_TRIMMED:
		return "more entries than declared";
	case CCID_RATES_FEWER:
		return "fewer entries than declared";
	case CCID_RATES_ZERO_VALUE:
		return "zero value";
	case CCID_RATES_HIGH_VALUE:
		return "value with bit 31 set";
	case CCID_RATES_OVER_CAP:
		return "more entries than room";
	default:
		return "unknown flag";
	}
}
