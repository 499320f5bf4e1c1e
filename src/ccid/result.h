/* ccidlab — results of the CCID protocol core.
 *
 * One number space for the whole of src/ccid/.  0 is success.  The
 * CCID_E_* values are failures found on this side of the wire (short
 * frame, bSeq mismatch, malformed ATR...); the CCID_R_* values are what
 * the reader or the card reported (bStatus/bError, status words).  The
 * two halves are kept apart so that the IFD layer can map each of them
 * once (see DESIGN.md "translate foreign errors once, at the edge").
 *
 * Adding a value: append it before CCID_RESULT_COUNT and give it a name in
 * result.c; the unit test /ccid/result/every-value-has-a-name checks it.
 */
#ifndef CCIDLAB_CCID_RESULT_H
#define CCIDLAB_CCID_RESULT_H

typedef enum ccid_result {
	CCID_OK = 0,

	/* Local failures: what this side found wrong. */
	CCID_E_INVALID_ARG,     /* caller passed something impossible */
	CCID_E_BUFFER,          /* caller's buffer too small for the result */
	CCID_E_SHORT,           /* fewer bytes than a header or a fixed field */
	CCID_E_LENGTH,          /* a declared length disagrees with the bytes */
	CCID_E_TOO_LONG,        /* over a protocol or descriptor maximum */
	CCID_E_BAD_TYPE,        /* unexpected message or descriptor type */
	CCID_E_BAD_SLOT,        /* bSlot out of range or not the command's */
	CCID_E_STALE,           /* bSeq of an earlier command: discard, read again */
	CCID_E_BAD_SEQ,         /* bSeq that belongs to no command in flight */
	CCID_E_MALFORMED,       /* structure violates the spec (ATR, block...) */
	CCID_E_CHECKSUM,        /* TCK, LRC or CRC mismatch */
	CCID_E_UNSUPPORTED,     /* valid, but not supported by this side */
	CCID_E_PROTOCOL,        /* the peer broke the protocol's rules */
	CCID_E_RETRIES,         /* error recovery gave up after its bound */
	CCID_E_DEAD,            /* T=1 state is dead: only a reset recovers */
	CCID_E_PPS,             /* PPS exchange failed or was not echoed */
	CCID_E_TRANSPORT,       /* the transport below failed */
	CCID_E_TIMEOUT,         /* the transport timed out */
	CCID_E_NO_DEVICE,       /* the device is gone */

	/* Reported by the reader or the card. */
	CCID_R_TIME_EXTENSION,  /* bStatus 0x80: not a failure, wait longer */
	CCID_R_ICC_MUTE,        /* bError 0xFE, card present */
	CCID_R_ICC_ABSENT,      /* bError 0xFE or bmICCStatus 2, no card */
	CCID_R_ICC_INACTIVE,    /* card present but not powered */
	CCID_R_PARITY,          /* bError 0xFD */
	CCID_R_OVERRUN,         /* bError 0xFC */
	CCID_R_HW_ERROR,        /* bError 0xFB, or HardwareError interrupt */
	CCID_R_SLOT_BUSY,       /* bError 0xE0 */
	CCID_R_CMD_NOT_SUPPORTED, /* bError 0x00 */
	CCID_R_BAD_PARAMETER,   /* bError 1..127: offset of the refused field */
	CCID_R_PIN_CANCELLED,   /* bError 0xEF */
	CCID_R_PIN_TIMEOUT,     /* bError 0xF0 */
	CCID_R_ABORTED,         /* bError 0xFF */
	CCID_R_ICC_PROTOCOL,    /* bError 0xF3..0xF8, 0xBB, 0xBD: card protocol */
	CCID_R_CMD_FAILED,      /* any other bError with bStatus "failed" */

	/* A local failure, appended to keep the numbers stable: the command
	 * cannot be carried by this reader at all (one CCID message of
	 * dwMaxCCIDMessageLength cannot hold it and the exchange level has
	 * no way to split it), so it was never sent. */
	CCID_E_READER_LIMIT,

	CCID_RESULT_COUNT
} ccid_result;

/* A short, stable, human name ("bSeq mismatch"...); never NULL. */
const char *ccid_result_name(int r);

#endif
