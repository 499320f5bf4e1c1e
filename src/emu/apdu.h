/* ccidlab — command APDUs as a card sees them (ISO/IEC 7816-4 §5.1).
 *
 * emu_apdu_parse() sorts a whole command APDU into its case (1, 2S, 2E,
 * 3S, 3E, 4S, 4E) and decodes Lc and Le, so that every application works
 * on Nc, the data and Ne alone.  A malformed APDU is refused with the
 * status word a card gives (6700 wrong length), never with a C error.
 *
 * (src/ccid/t0.h ccid_t0_classify() only knows the short cases, which
 * is all T=0 can carry; a card behind an APDU-level or T=1 reader also
 * gets the extended ones, hence this parser.)
 */
#ifndef CCIDLAB_EMU_APDU_H
#define CCIDLAB_EMU_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 7816-4 §5.1: Nc at most 65,535, Ne at most 65,536. */
#define EMU_APDU_MAX_NC 65535u
#define EMU_APDU_MAX_NE 65536u
/* 4 header bytes + 3 Lc bytes + 65,535 data bytes + 2 Le bytes. */
#define EMU_APDU_MAX_LEN (4u + 3u + EMU_APDU_MAX_NC + 2u)

/* Status words used throughout the emulated cards (7816-4 §5.6). */
#define EMU_SW_OK 0x9000
#define EMU_SW_EOF_BEFORE_NE 0x6282
#define EMU_SW_WRONG_LENGTH 0x6700
#define EMU_SW_INCOMPATIBLE_FILE 0x6981
#define EMU_SW_AUTH_BLOCKED 0x6983
#define EMU_SW_CONDITIONS 0x6985
#define EMU_SW_NO_CURRENT_EF 0x6986
#define EMU_SW_WRONG_DATA 0x6A80
#define EMU_SW_FUNC_NOT_SUPPORTED 0x6A81
#define EMU_SW_FILE_NOT_FOUND 0x6A82
#define EMU_SW_RECORD_NOT_FOUND 0x6A83
#define EMU_SW_NO_SPACE 0x6A84
#define EMU_SW_WRONG_P1P2_6A86 0x6A86
#define EMU_SW_DATA_NOT_FOUND 0x6A88
#define EMU_SW_WRONG_P1P2 0x6B00
#define EMU_SW_INS_NOT_SUPPORTED 0x6D00
#define EMU_SW_CLA_NOT_SUPPORTED 0x6E00
#define EMU_SW_UNKNOWN 0x6F00

typedef enum emu_apdu_case {
	EMU_APDU_CASE_1 = 1,
	EMU_APDU_CASE_2S,
	EMU_APDU_CASE_2E,
	EMU_APDU_CASE_3S,
	EMU_APDU_CASE_3E,
	EMU_APDU_CASE_4S,
	EMU_APDU_CASE_4E,
} emu_apdu_case;

typedef struct emu_apdu {
	emu_apdu_case kase;
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;    /* Nc bytes; NULL when Nc is 0 */
	size_t nc;
	bool has_le;            /* cases 2 and 4 */
	size_t ne;              /* 1..65,536 when has_le, else 0 */
	bool ne_max;            /* Le all zero: "as many as there are" (§5.1) */
	bool extended;
	/* T=0 carries a case 4 command as a case 3 TPDU and fetches the
	 * answer with GET RESPONSE (7816-3 §12.2.5): the card never sees
	 * Le, so any length of answer is acceptable. */
	bool le_open;
	/* The card runs T=0: a wrong Le can be answered 6Cxx (7816-3
	 * §12.2.3 case 2S.3), which the reader's TTL turns into a retry. */
	bool t0;
	/* The bytes as received (for T=0: rebuilt from the TPDU). */
	const uint8_t *raw;
	size_t raw_len;
} emu_apdu;

/* Decodes apdu[0..len).  Returns 0 (and fills *out) or the status word a
 * card answers: 6700 for a length that matches no case. */
uint16_t emu_apdu_parse(const uint8_t *apdu, size_t len, emu_apdu *out);

/* Encodes a short APDU (Nc <= 255, Ne <= 256) or, when either is longer,
 * an extended one.  Returns the length, or 0 when cap is too small or the
 * lengths are out of range. */
size_t emu_apdu_build(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		      size_t nc, size_t ne, uint8_t *out, size_t cap);

/* Whether a status word may come with response data (7816-3 §12.2.5,
 * 7816-4 §5.6: 9000 and the warnings 62xx/63xx). */
bool emu_apdu_sw_carries_data(uint16_t sw);

#endif
