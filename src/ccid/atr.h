/* ccidlab — the Answer-to-Reset (ISO/IEC 7816-3 §8), parsed.
 *
 * ccid_atr_parse() takes the ATR as a reader delivers it (already decoded:
 * TS is 0x3B for the direct convention and 0x3F for the inverse one) and
 * fills a ccid_atr with every interface byte, the historical bytes, and the
 * values derived from them (Fi/Di/fmax, N, WI, specific mode, the T=1
 * parameters, the global T=15 bytes).  A malformed ATR is refused with a
 * ccid_result and a reason (ccid_atr_error, named by ccid_atr_error_name).
 *
 * Decisions (see atr.c for the clauses):
 * - TS 0x03 (an inverse-convention TS that nobody decoded) is refused as a
 *   bad TS: CCID readers decode the convention themselves, so a 0x03 means
 *   the rest of the bytes are garbled too.
 * - Values the standard marks RFU (TA1's Fi/Di, WI = 0, IFSC 0x00/0xFF,
 *   BWI > 9) do not refuse the ATR: they are flagged in `warnings` and the
 *   derived value falls back to the default (IFSC 0xFF is clamped to 254).
 *   Real cards carry such bytes; the caller decides what to do with them.
 * - A T=0-only ATR followed by one byte that checks as a TCK is accepted
 *   with CCID_ATR_W_UNEXPECTED_TCK; any other byte past the end is refused.
 */
#ifndef CCIDLAB_CCID_ATR_H
#define CCIDLAB_CCID_ATR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ISO 7816-3 §8.2.1: at most 32 characters after TS. */
#define CCID_ATR_MAX 33
/* T0's K: at most 15 historical bytes. */
#define CCID_ATR_MAX_HIST 15
/* TS, T0 and 31 TDi leave room for 32 groups of interface bytes. */
#define CCID_ATR_MAX_GROUPS 32

/* Defaults when the ATR is silent (ISO 7816-3 §8.3, §10.2, §11.4). */
#define CCID_ATR_DEFAULT_FIDI 0x11
#define CCID_ATR_DEFAULT_WI 10
#define CCID_ATR_DEFAULT_IFSC 32
#define CCID_ATR_DEFAULT_BWI 4
#define CCID_ATR_DEFAULT_CWI 13

typedef enum ccid_atr_error {
	CCID_ATR_OK = 0,
	CCID_ATR_TOO_SHORT,            /* fewer than TS and T0 */
	CCID_ATR_BAD_TS,               /* TS neither 0x3B nor 0x3F */
	CCID_ATR_TRUNCATED_INTERFACE,  /* a TAi..TDi announced but missing */
	CCID_ATR_MISSING_HISTORICAL,   /* fewer than K historical bytes */
	CCID_ATR_MISSING_TCK,          /* TCK required, absent */
	CCID_ATR_BAD_TCK,              /* XOR of T0..TCK is not 0 */
	CCID_ATR_TOO_LONG,             /* over 33 bytes */
	CCID_ATR_TRAILING_BYTES,       /* bytes after the last character */
	CCID_ATR_ERROR_COUNT
} ccid_atr_error;

/* Non-fatal findings, a bit mask in ccid_atr.warnings. */
enum {
	CCID_ATR_W_TA1_RFU = 1u << 0,        /* Fi or Di RFU: defaults used */
	CCID_ATR_W_WI_RFU = 1u << 1,         /* TC2 = 0: WI 10 used */
	CCID_ATR_W_IFSC_INVALID = 1u << 2,   /* IFSC 0x00 (32 used) or 0xFF (254) */
	CCID_ATR_W_BWI_RFU = 1u << 3,        /* BWI 10..15 */
	CCID_ATR_W_UNEXPECTED_TCK = 1u << 4, /* T=0 only, yet a valid TCK */
	CCID_ATR_W_TA2_PROTOCOL_NOT_OFFERED = 1u << 5,
};

/* Presence bits of one group of interface bytes (the high nibble of T0/TDi). */
enum {
	CCID_ATR_HAS_TA = 1u << 0,
	CCID_ATR_HAS_TB = 1u << 1,
	CCID_ATR_HAS_TC = 1u << 2,
	CCID_ATR_HAS_TD = 1u << 3,
};

/* Group i (1-based in the standard, groups[i-1] here): TAi TBi TCi TDi. */
typedef struct ccid_atr_group {
	uint8_t present;   /* CCID_ATR_HAS_* */
	uint8_t ta, tb, tc, td;
	uint8_t protocol;  /* T that qualifies this group: T of TD(i-1); 0 for i = 1 */
} ccid_atr_group;

typedef struct ccid_atr {
	uint8_t raw[CCID_ATR_MAX];
	size_t len;
	ccid_atr_error error;
	uint32_t warnings;            /* CCID_ATR_W_* */

	bool inverse;                 /* TS 0x3F */
	uint8_t t0;
	size_t n_groups;
	ccid_atr_group groups[CCID_ATR_MAX_GROUPS];
	uint8_t hist[CCID_ATR_MAX_HIST];
	size_t hist_len;              /* K */
	bool has_tck;
	uint8_t tck;

	/* Protocols: bit T set for each T (0..14) a TDi names; bit 0 alone
	 * when there is no TD1.  T=15 is not a protocol (§8.2.3). */
	uint16_t protocols;
	uint8_t default_protocol;     /* TA2's T, else TD1's T, else 0 */

	/* Global bytes. */
	bool has_ta1;
	uint8_t ta1;                  /* raw TA1, 0x11 when absent */
	uint8_t fidi;                 /* TA1, or 0x11 when absent or RFU */
	uint16_t fi;                  /* Table 7 */
	uint8_t di;                   /* Table 8 */
	uint32_t fmax_khz;            /* Table 7 */
	uint8_t n;                    /* TC1: extra guard time, 0 when absent */
	bool has_tc2;
	uint8_t wi;                   /* TC2 (T=0), 10 when absent */

	/* Specific mode (TA2, §8.3). */
	bool specific;
	uint8_t specific_protocol;    /* TA2 bits 4..1 */
	bool specific_implicit;       /* TA2 bit 5: Fi/Di implicit, not TA1 */
	bool specific_changeable;     /* TA2 bit 8 = 0: can switch to negotiable */

	/* T=1 (§11.4): the first TA/TB/TC after a TD(i-1) with T=1, i >= 3. */
	bool has_ifsc;
	uint8_t ifsc;                 /* 32 when absent */
	bool has_bwi_cwi;
	uint8_t bwi, cwi;             /* 4 and 13 when absent */
	bool has_edc;
	bool edc_crc;                 /* TC bit 1: 0 LRC, 1 CRC */

	/* Global bytes after T=15 (§8.3): clock stop and class, SPU. */
	bool has_t15_ta;
	uint8_t clock_stop;           /* TA bits 8..7: 0 none, 1 L, 2 H, 3 either */
	uint8_t class_indicator;      /* TA bits 6..1: bit0 A 5V, bit1 B 3V, bit2 C 1.8V */
	bool has_t15_tb;
	uint8_t spu;                  /* raw TB for T=15 */
} ccid_atr;

/* Parses atr[0..len).  Returns CCID_OK, or CCID_E_SHORT (too short,
 * truncated, missing historical or TCK), CCID_E_MALFORMED (bad TS,
 * trailing bytes), CCID_E_CHECKSUM (bad TCK), CCID_E_TOO_LONG (over 33),
 * CCID_E_INVALID_ARG (NULL).  out->error always holds the reason. */
int ccid_atr_parse(const uint8_t *atr, size_t len, ccid_atr *out);

/* A short, stable name for a reason ("bad TCK"...); never NULL. */
const char *ccid_atr_error_name(int e);

/* Tables 7 and 8 of ISO 7816-3, keyed by a TA1-style byte (Fi index in the
 * high nibble, Di index in the low nibble).  0 for RFU. */
uint16_t ccid_atr_fi(uint8_t fidi);
uint8_t ccid_atr_di(uint8_t fidi);
uint32_t ccid_atr_fmax_khz(uint8_t fidi);
bool ccid_atr_fidi_valid(uint8_t fidi);

/* Whether protocol T (0..14) is offered. */
bool ccid_atr_offers(const ccid_atr *atr, unsigned protocol);

/* Times derived from the ATR, for the IFD layer's timeouts. */
typedef struct ccid_atr_times {
	uint64_t etu_ns;        /* Fi / (Di f) */
	uint32_t gt_etu;        /* guard time: 12 + N, or 12 (T=0) / 11 (T=1) for N = 255 */
	uint32_t wwt_etu;       /* T=0: 960 WI Di */
	uint64_t wwt_us;        /* T=0: 960 WI Fi / f */
	uint32_t cwt_etu;       /* T=1: 11 + 2^CWI */
	uint64_t cwt_us;
	uint64_t bwt_us;        /* T=1: 11 etu + 2^BWI 960 372 / f */
	uint32_t bwt_etu;       /* bwt_us in ETU, rounded up */
} ccid_atr_times;

/* Fills *out for the Fi/Di in force (`fidi`: TA1, or what PPS agreed, or
 * 0x11), the protocol and a clock of clock_khz.  Microseconds are rounded
 * up.  CCID_E_INVALID_ARG for a NULL, an RFU fidi or a zero clock. */
int ccid_atr_times_compute(const ccid_atr *atr, uint8_t fidi, unsigned protocol,
			   uint32_t clock_khz, ccid_atr_times *out);

/* Pieces of the above, for callers with their own parameters. */
uint64_t ccid_atr_etu_to_us(uint64_t etu, uint8_t fidi, uint32_t clock_khz);
uint32_t ccid_atr_wwt_etu(uint8_t wi, uint8_t fidi);
uint32_t ccid_atr_cwt_etu(uint8_t cwi);
uint64_t ccid_atr_bwt_us(uint8_t bwi, uint8_t fidi, uint32_t clock_khz);

#endif
