/* ccidlab — the one table from what a CCID reader reports to ccid_result.
 *
 * Host side: (transport result, command sent, bStatus, bError) → one
 * ccid_result (STYLE.md rule 8: foreign errors are translated once, here;
 * src/ifd maps ccid_result to IFD_* once, there).  Device side: the
 * reverse, so the emulator answers in the protocol's own terms (STYLE.md
 * rule 9).  CCID 1.1 §6.2.6 defines bStatus and bError.
 */
#ifndef CCIDLAB_CCID_ERRMAP_H
#define CCIDLAB_CCID_ERRMAP_H

#include <stdint.h>

/* bmICCStatus, bStatus bits 1..0 (CCID 1.1 §6.2.6). */
typedef enum ccid_icc_status {
	CCID_ICC_ACTIVE = 0,     /* present and active */
	CCID_ICC_INACTIVE = 1,   /* present, not activated */
	CCID_ICC_ABSENT = 2,     /* no ICC present */
} ccid_icc_status;

/* bmCommandStatus, bStatus bits 7..6. */
typedef enum ccid_cmd_status {
	CCID_CMD_PROCESSED = 0,
	CCID_CMD_FAILED = 1,          /* bError says why */
	CCID_CMD_TIME_EXTENSION = 2,  /* bError is the BWT multiplier */
} ccid_cmd_status;

/* Named slot errors (CCID 1.1 table 6.2-2). */
enum ccid_bError {
	CCID_ERR_CMD_NOT_SUPPORTED = 0x00,
	CCID_ERR_BAD_LENGTH = 0x01,          /* offset of dwLength */
	CCID_ERR_BAD_SLOT = 0x05,            /* offset of bSlot */
	CCID_ERR_CMD_SLOT_BUSY = 0xE0,
	CCID_ERR_PIN_CANCELLED = 0xEF,
	CCID_ERR_PIN_TIMEOUT = 0xF0,
	CCID_ERR_BUSY_WITH_AUTO_SEQUENCE = 0xF2,
	CCID_ERR_DEACTIVATED_PROTOCOL = 0xF3,
	CCID_ERR_PROCEDURE_BYTE_CONFLICT = 0xF4,
	CCID_ERR_ICC_CLASS_NOT_SUPPORTED = 0xF5,
	CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED = 0xF6,
	CCID_ERR_BAD_ATR_TCK = 0xF7,
	CCID_ERR_BAD_ATR_TS = 0xF8,
	CCID_ERR_HW_ERROR = 0xFB,
	CCID_ERR_XFR_OVERRUN = 0xFC,
	CCID_ERR_XFR_PARITY_ERROR = 0xFD,
	CCID_ERR_ICC_MUTE = 0xFE,
	CCID_ERR_CMD_ABORTED = 0xFF,
};

/* The host's one mapping.  `transport` is what the transport returned for
 * the exchange (CCID_OK, or CCID_E_TRANSPORT/TIMEOUT/NO_DEVICE...: passed
 * through unchanged, the frame means nothing then).  `command` is the
 * PC_to_RDR type that was sent; it changes the verdict in one place:
 * GetSlotStatus failing with 0xFE (ICC mute) is the reader's normal way
 * to say "no card / card not answering" and is CCID_OK (read the slot
 * state with ccid_errmap_icc).  Otherwise:
 *   bmCommandStatus 0: CCID_OK;  2 (0x80): CCID_R_TIME_EXTENSION;
 *   3 (0xC0, RFU): CCID_E_PROTOCOL;  1 (0x40): by bError, see errmap.c. */
int ccid_errmap_result(uint8_t command, int transport, uint8_t bStatus, uint8_t bError);

/* bmICCStatus as a result: CCID_OK (active), CCID_R_ICC_INACTIVE,
 * CCID_R_ICC_ABSENT, or CCID_E_PROTOCOL for the RFU value 3. */
int ccid_errmap_icc(uint8_t bStatus);

/* Device side: bStatus from the slot's ICC state and the command status. */
uint8_t ccid_errmap_bStatus(ccid_icc_status icc, ccid_cmd_status cmd);

/* Device side: the bError that reports a result, the reverse of
 * ccid_errmap_result (CCID_R_BAD_PARAMETER → 0x01 by default; decode
 * failures map to the offset of the offending field: CCID_E_LENGTH /
 * CCID_E_TOO_LONG / CCID_E_SHORT → 0x01 dwLength, CCID_E_BAD_SLOT → 0x05,
 * CCID_E_BAD_TYPE / CCID_E_UNSUPPORTED → 0x00; anything unnamed → 0xFB
 * hardware error). */
uint8_t ccid_errmap_bError(int result);

/* A name for every bError value, e.g. "ICC mute"; never NULL. */
const char *ccid_errmap_bError_name(uint8_t bError);

#endif
