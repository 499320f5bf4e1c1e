/* ccidlab — T=0: short APDUs over TPDUs (ISO/IEC 7816-3 §10 and §12.2).
 *
 * ccid_t0_transceive() maps one short APDU (7816-4 §5.1 cases 1, 2S, 3S,
 * 4S) onto T=0 TPDUs and runs them through a ccid_xfer, at one of two
 * exchange levels:
 *
 * - TPDU (CCID 1.1 dwFeatures 0x10000): one exchange per TPDU, tx = the
 *   command TPDU, rx = response data + SW1 SW2, hint 0.
 * - character (dwFeatures exchange level 0): the host drives the
 *   procedure bytes (§10.3.3) itself.  Each exchange sends some bytes
 *   (possibly none) and asks for `hint` bytes back (wLevelParameter).
 *
 * The engine does the transport-level work of the TTL (§12.2):
 * - 6Cxx to a TPDU that expects data: the same TPDU again with P3 = xx
 *   (once per TPDU: a second 6Cxx goes back to the caller);
 * - 61xx after case 2S or 4S: GET RESPONSE (CLA of the command with the
 *   chaining bit b5 cleared, INS C0, P1 P2 00 00, P3 = xx), repeated while
 *   61xx comes back and the caller's buffer has room, at most
 *   CCID_T0_MAX_GET_RESPONSE times.  The first GET RESPONSE after a case
 *   4S asks min(xx, Ne) (§12.2.5).  When the buffer is full, the data so
 *   far goes back with the last 61xx, so the caller can fetch the rest.
 *   GET RESPONSE echoes the command's CLA (7816-4 §5.1.1: the logical
 *   channel and class are the command's, as bClassGetResponse 0xFF does in
 *   CCID 1.1 §6.1.12); only command chaining (b5) is cleared.
 * - 9000 to a case 4S TPDU without 61xx: no GET RESPONSE, the card has
 *   no data (the EMV 62xx/63xx rule is not applied).
 * - 61xx after case 1 or 3S goes back to the caller as it is.
 * Extended APDUs cannot travel on T=0 (§12.1): refused with
 * CCID_E_UNSUPPORTED; ccid_t0_classify() tells the case.
 */
#ifndef CCIDLAB_CCID_T0_H
#define CCIDLAB_CCID_T0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/xfer.h"

/* Bound on GET RESPONSE rounds for one APDU. */
#define CCID_T0_MAX_GET_RESPONSE 256
/* Bound on NULL (0x60) procedure bytes for one TPDU at character level. */
#define CCID_T0_MAX_NULL 4096

typedef enum ccid_t0_case {
	CCID_T0_CASE_INVALID = 0,
	CCID_T0_CASE_1,         /* CLA INS P1 P2 */
	CCID_T0_CASE_2S,        /* + Le */
	CCID_T0_CASE_3S,        /* + Lc data */
	CCID_T0_CASE_4S,        /* + Lc data Le */
	CCID_T0_CASE_EXTENDED,  /* 2E, 3E or 4E: not for T=0 */
} ccid_t0_case;

typedef struct ccid_t0_apdu {
	ccid_t0_case kase;
	uint8_t header[4];      /* CLA INS P1 P2 */
	const uint8_t *data;    /* into the APDU; Lc bytes */
	size_t lc;
	size_t ne;              /* 1..256 for 2S/4S, 0 otherwise */
} ccid_t0_apdu;

typedef enum ccid_t0_level {
	CCID_T0_LEVEL_TPDU,
	CCID_T0_LEVEL_CHAR,
} ccid_t0_level;

/* Which way a TPDU's P3 bytes go. */
typedef enum ccid_t0_dir {
	CCID_T0_DIR_NONE,       /* case 1: P3 = 00, nothing moves */
	CCID_T0_DIR_IN,         /* card sends P3 bytes (00 = 256) */
	CCID_T0_DIR_OUT,        /* host sends P3 bytes */
} ccid_t0_dir;

/* Sorts an APDU into its 7816-4 §5.1 case.  CCID_OK for 1, 2S, 3S, 4S;
 * CCID_E_UNSUPPORTED for an extended APDU (out->kase says EXTENDED);
 * CCID_E_SHORT under 4 bytes; CCID_E_LENGTH when Lc disagrees with the
 * length. */
int ccid_t0_classify(const uint8_t *apdu, size_t len, ccid_t0_apdu *out);

/* "case 1", "case 2S"... "extended APDU (not on T=0)"; never NULL. */
const char *ccid_t0_case_name(int kase);

/* Sends one short APDU; writes response data + SW1 SW2 to resp.
 * Failures: the classify ones, CCID_E_BUFFER (resp_cap < 2, or a response
 * that cannot fit), CCID_E_PROTOCOL (a card that breaks T=0: data where
 * none may be, more data than P3, an unknown procedure byte, a GET
 * RESPONSE chain beyond the bound), CCID_E_TIMEOUT (no byte where one was
 * due, at character level), CCID_E_READER_LIMIT (TPDU level: a command
 * TPDU over x->max_payload; nothing of that TPDU was sent), or whatever
 * the xfer returned (an answer over the reader's message: its overrun).
 * Under x->max_payload the engine splits what it can: GET RESPONSE asks
 * for at most max_payload - 2 bytes at a time (TPDU level), and the
 * character level moves data bytes in pieces of at most max_payload. */
int ccid_t0_transceive(const ccid_xfer *x, ccid_t0_level level, const uint8_t *apdu,
		       size_t apdu_len, uint8_t *resp, size_t resp_cap, size_t *resp_len);

/* One TPDU at character level (§10.3): sends the 5-byte header, then
 * follows the procedure bytes (INS: all remaining data; ~INS: one byte;
 * 0x60: wait, extend_time(1), read again, at most CCID_T0_MAX_NULL times;
 * 6x/9x: SW1, then SW2).  Data the card sends goes to data[0..*data_len)
 * (data_cap must hold P3 bytes for DIR_IN, 256 for P3 = 0); the status
 * word to sw[2]. */
int ccid_t0_char_tpdu(const ccid_xfer *x, const uint8_t *tpdu, size_t tpdu_len,
		      ccid_t0_dir dir, uint8_t *data, size_t data_cap, size_t *data_len,
		      uint8_t sw[2]);

#endif
