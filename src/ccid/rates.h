/* ccidlab — replies to the CCID class requests GET_CLOCK_FREQUENCIES (0x02)
 * and GET_DATA_RATES (0x03), CCID 1.1 §5.3.2 and §5.3.3.
 *
 * A reply is an array of little-endian DWORDs (kHz for clocks, bps for
 * data rates).  Real readers get it wrong in several ways (readers.tsv
 * holds 1-byte replies, 256-entry replies to a reader that declares 4,
 * all-zero and "negative" values), so the decoder keeps what it can and
 * says, in flags, what was wrong.  It never fails on the reply's content.
 */
#ifndef CCIDLAB_CCID_RATES_H
#define CCIDLAB_CCID_RATES_H

#include <stddef.h>
#include <stdint.h>

/* CCID 1.1 §5.3: bRequest values of the class-specific requests. */
#define CCID_REQ_ABORT 0x01u
#define CCID_REQ_GET_CLOCK_FREQUENCIES 0x02u
#define CCID_REQ_GET_DATA_RATES 0x03u

/* What was wrong with a reply (bits of *flags). */
enum {
	CCID_RATES_PARTIAL_DWORD = 1u << 0, /* size not a multiple of 4: tail dropped */
	CCID_RATES_EMPTY = 1u << 1,         /* no whole DWORD */
	CCID_RATES_TRIMMED = 1u << 2,       /* more entries than bNum*Supported: cut */
	CCID_RATES_FEWER = 1u << 3,         /* fewer entries than bNum*Supported */
	CCID_RATES_ZERO_VALUE = 1u << 4,    /* an entry is 0 (junk) */
	CCID_RATES_HIGH_VALUE = 1u << 5,    /* an entry has bit 31 set (junk) */
	CCID_RATES_OVER_CAP = 1u << 6,      /* more entries than the caller's array */
};

/* Decodes reply[0..len) into values[0..cap): whole DWORDs only, at most
 * `declared` of them when declared (bNumClockSupported or
 * bNumDataRatesSupported) is non-zero, and at most cap.  *n_out gets the
 * number of values stored, *flags the CCID_RATES_* bits.  Returns CCID_OK,
 * or CCID_E_INVALID_ARG (NULL pointers; reply may be NULL when len is 0,
 * values when cap is 0), leaving the outputs untouched. */
int ccid_rates_decode(const uint8_t *reply, size_t len, unsigned declared,
		      uint32_t *values, size_t cap, size_t *n_out, unsigned *flags);

/* Name of one CCID_RATES_* bit, for display; never NULL. */
const char *ccid_rates_flag_name(unsigned flag);

#endif
