/* ccidlab — the CCID message codec, both roles (CCID 1.1 §6).
 *
 * One codec serves both faces of ccidlab: the host encodes PC_to_RDR
 * commands and decodes RDR_to_PC responses; the emulated reader decodes
 * PC_to_RDR and encodes RDR_to_PC.  Nothing here allocates: a decoded
 * message points into the caller's buffer (abData), and encoding writes
 * into a buffer the caller owns.
 *
 * Validation is strict on the bulk pipes: a full 10-byte header, a known
 * bMessageType, dwLength equal to the bytes that follow the header (trailing
 * bytes are a framing error, not padding), dwLength within
 * dwMaxCCIDMessageLength, bSlot within bMaxSlotIndex, and the fixed
 * payload sizes the spec pins (e.g. SlotStatus carries no data).
 * Responses are then checked against the command that was sent
 * (ccid_message_check_response): bSeq, bSlot and the answering type.
 */
#ifndef CCIDLAB_CCID_MESSAGE_H
#define CCIDLAB_CCID_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CCID 1.1 §6.1 and §6.2: every bulk message starts with 10 bytes. */
#define CCID_HEADER_SIZE 10u

/* CCID 1.1 §6.1 (PC_to_RDR), §6.2 (RDR_to_PC), §6.3 (interrupt). */
enum ccid_message_type {
	CCID_PC_TO_RDR_SET_PARAMETERS = 0x61,
	CCID_PC_TO_RDR_ICC_POWER_ON = 0x62,
	CCID_PC_TO_RDR_ICC_POWER_OFF = 0x63,
	CCID_PC_TO_RDR_GET_SLOT_STATUS = 0x65,
	CCID_PC_TO_RDR_SECURE = 0x69,
	CCID_PC_TO_RDR_T0APDU = 0x6A,
	CCID_PC_TO_RDR_ESCAPE = 0x6B,
	CCID_PC_TO_RDR_GET_PARAMETERS = 0x6C,
	CCID_PC_TO_RDR_RESET_PARAMETERS = 0x6D,
	CCID_PC_TO_RDR_ICC_CLOCK = 0x6E,
	CCID_PC_TO_RDR_XFR_BLOCK = 0x6F,
	CCID_PC_TO_RDR_MECHANICAL = 0x71,
	CCID_PC_TO_RDR_ABORT = 0x72,
	CCID_PC_TO_RDR_SET_DATA_RATE_AND_CLOCK_FREQUENCY = 0x73,

	CCID_RDR_TO_PC_DATA_BLOCK = 0x80,
	CCID_RDR_TO_PC_SLOT_STATUS = 0x81,
	CCID_RDR_TO_PC_PARAMETERS = 0x82,
	CCID_RDR_TO_PC_ESCAPE = 0x83,
	CCID_RDR_TO_PC_DATA_RATE_AND_CLOCK_FREQUENCY = 0x84,

	CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE = 0x50,
	CCID_RDR_TO_PC_HARDWARE_ERROR = 0x51,
};

/* bmCommandStatus and bmICCStatus inside bStatus (CCID 1.1 §6.2.6). */
#define CCID_BSTATUS_ICC_MASK 0x03u
#define CCID_BSTATUS_CMD_MASK 0xC0u
#define CCID_BSTATUS_CMD_FAILED 0x40u
#define CCID_BSTATUS_CMD_TIME_EXTENSION 0x80u

/* Stale-response window: a response whose bSeq is one of the
 * CCID_MESSAGE_STALE_WINDOW sequence numbers issued just before the
 * command's (modulo 256) belongs to an earlier, abandoned command (most
 * often one that timed out) and is reported as CCID_E_STALE, so the caller
 * discards it and reads again.  Anything else that differs is
 * CCID_E_BAD_SEQ.  16 covers a burst of timed-out commands while leaving
 * 239 values that flag a genuinely broken reader. */
#define CCID_MESSAGE_STALE_WINDOW 16u

/* Size of the payload that SetDataRateAndClockFrequency and
 * DataRateAndClockFrequency carry: dwClockFrequency, dwDataRate
 * (CCID 1.1 §6.1.14, §6.2.5). */
#define CCID_DATA_RATE_PAYLOAD 8u

/* A bulk message of either direction.  Bytes 7..9 of the header are
 * message specific; `p` names them per type.  For XfrBlock and Secure
 * `p.xfr` is authoritative; for every other type the three bytes are kept
 * as they came (`p.raw`, the same storage as the named members), RFU bytes
 * included, so that encode(decode(x)) == x. */
typedef struct ccid_msg {
	uint8_t bMessageType;
	uint32_t dwLength;      /* abData length */
	uint8_t bSlot;
	uint8_t bSeq;
	union {
		uint8_t raw[3];
		/* PC_to_RDR_IccPowerOn: 0 auto, 1 5 V, 2 3 V, 3 1.8 V */
		struct { uint8_t bPowerSelect; uint8_t abRFU[2]; } power_on;
		/* PC_to_RDR_XfrBlock, PC_to_RDR_Secure */
		struct { uint8_t bBWI; uint16_t wLevelParameter; } xfr;
		/* PC_to_RDR_SetParameters */
		struct { uint8_t bProtocolNum; uint8_t abRFU[2]; } set_params;
		/* PC_to_RDR_IccClock: 0 restart, 1 stop */
		struct { uint8_t bClockCommand; uint8_t abRFU[2]; } clock;
		/* PC_to_RDR_T0APDU */
		struct { uint8_t bmChanges; uint8_t bClassGetResponse; uint8_t bClassEnvelope; } t0apdu;
		/* PC_to_RDR_Mechanical */
		struct { uint8_t bFunction; uint8_t abRFU[2]; } mechanical;
		/* PowerOff, GetSlotStatus, Get/ResetParameters, Escape, Abort,
		 * SetDataRateAndClockFrequency */
		struct { uint8_t abRFU[3]; } rfu;
		/* Every RDR_to_PC bulk message */
		struct {
			uint8_t bStatus;
			uint8_t bError;
			union {
				uint8_t bChainParameter; /* DataBlock */
				uint8_t bClockStatus;    /* SlotStatus */
				uint8_t bProtocolNum;    /* Parameters */
				uint8_t bRFU;            /* Escape, DataRateAndClockFrequency */
			};
		} rdr;
	} p;
	const uint8_t *abData;  /* dwLength bytes; NULL allowed when 0 */
} ccid_msg;

/* What the decoder checks the header against (CCID 1.1 §5.1, class
 * descriptor).  dwMaxCCIDMessageLength counts the header too; 0 means "no
 * limit but dwLength's own".  NULL limits mean both unbounded. */
typedef struct ccid_msg_limits {
	uint32_t dwMaxCCIDMessageLength;
	uint8_t bMaxSlotIndex;
} ccid_msg_limits;

/* One field that did not match, for logs ("bSeq 5/7" = got 5, expected 7). */
typedef struct ccid_msg_mismatch {
	const char *field;      /* NULL when nothing mismatched */
	uint32_t got;
	uint32_t expected;
} ccid_msg_mismatch;

/* Zeroes *m and sets the header fields. */
void ccid_message_init(ccid_msg *m, uint8_t bMessageType, uint8_t bSlot, uint8_t bSeq);

bool ccid_message_is_command(uint8_t bMessageType);
bool ccid_message_is_response(uint8_t bMessageType);
/* The RDR_to_PC type that answers a PC_to_RDR command (CCID 1.1 table
 * 6.1-1), or 0 for anything that is not a command. */
uint8_t ccid_message_response_type(uint8_t command_type);
/* "PC_to_RDR_XfrBlock"...; "unknown" for anything else.  Never NULL. */
const char *ccid_message_type_name(uint8_t bMessageType);

/* Reads the 10-byte header only (no type, length or slot checks), so that
 * a device can still answer a command it refuses with its bSlot and bSeq.
 * abData points after the header, dwLength is as declared.
 * CCID_E_SHORT when fewer than 10 bytes. */
int ccid_message_decode_header(const uint8_t *buf, size_t len, ccid_msg *out);

/* Decodes one whole bulk message of either direction with every check
 * above.  *out is written only on success; *mm (may be NULL) names the
 * offending field on failure.  Returns CCID_OK, CCID_E_SHORT,
 * CCID_E_LENGTH (dwLength != bytes after the header, or a size the type
 * does not allow), CCID_E_TOO_LONG, CCID_E_BAD_TYPE, CCID_E_BAD_SLOT,
 * CCID_E_INVALID_ARG. */
int ccid_message_decode(const uint8_t *buf, size_t len, const ccid_msg_limits *lim,
			ccid_msg *out, ccid_msg_mismatch *mm);

/* Writes 10 + dwLength bytes.  m->abData may point anywhere, including
 * out + CCID_HEADER_SIZE (a device building its answer in place).
 * CCID_E_BUFFER when cap is too small, CCID_E_INVALID_ARG for an unknown
 * bulk type or dwLength > 0 with abData NULL. */
int ccid_message_encode(const ccid_msg *m, uint8_t *out, size_t cap, size_t *out_len);

/* Checks a decoded response against the command that was sent.  Order:
 * bSeq first (a stale answer may be of any type and is to be dropped, not
 * judged), then bSlot, then the answering type, then bmCommandStatus.
 * Returns CCID_OK, CCID_E_STALE, CCID_E_BAD_SEQ, CCID_E_BAD_SLOT,
 * CCID_E_BAD_TYPE, or CCID_R_TIME_EXTENSION (not a failure: wait
 * ccid_message_time_extension(rsp) times longer and read again).
 * A failed bmCommandStatus is not judged here: see ccid_errmap_result. */
int ccid_message_check_response(const ccid_msg *cmd, const ccid_msg *rsp, ccid_msg_mismatch *mm);

/* decode + check_response in one call: the usual host path. */
int ccid_message_check(const ccid_msg *cmd, const uint8_t *buf, size_t len,
		       const ccid_msg_limits *lim, ccid_msg *rsp, ccid_msg_mismatch *mm);

/* The BWT multiplier of a time-extension response (bError, CCID 1.1
 * §6.2.6), 0 when rsp is not one. */
unsigned ccid_message_time_extension(const ccid_msg *rsp);

/* Formats "<field> <got>/<expected>" (e.g. "bSeq 5/7") into buf, always
 * NUL-terminated when cap > 0.  Returns what snprintf returns. */
int ccid_message_format_mismatch(const ccid_msg_mismatch *mm, char *buf, size_t cap);

/* ---- interrupt-IN (CCID 1.1 §6.3) ---- */

#define CCID_MAX_SLOTS 256u

/* RDR_to_PC_NotifySlotChange: 2 bits per slot, bit 0 present, bit 1
 * changed, slot 0 in the low bits of the first byte. */
typedef struct ccid_notify {
	unsigned nslots;                              /* 1..256 */
	uint8_t bmSlotICCState[(CCID_MAX_SLOTS + 3) / 4];
} ccid_notify;

typedef struct ccid_hw_error {
	uint8_t bSlot;
	uint8_t bSeq;
	uint8_t bHardwareErrorCode;  /* 0x01 overcurrent */
} ccid_hw_error;

typedef struct ccid_interrupt {
	uint8_t bMessageType;   /* 0x50 or 0x51 */
	size_t len;             /* bytes the message occupies */
	union {
		ccid_notify notify;
		ccid_hw_error hw;
	} u;
} ccid_interrupt;

/* 1 + ceil(2 * nslots / 8): 2 bytes for 1..4 slots, 65 for 256. */
size_t ccid_message_notify_size(unsigned nslots);
void ccid_message_notify_init(ccid_notify *n, unsigned nslots);
bool ccid_message_notify_present(const ccid_notify *n, unsigned slot);
bool ccid_message_notify_changed(const ccid_notify *n, unsigned slot);
void ccid_message_notify_set(ccid_notify *n, unsigned slot, bool present, bool changed);

/* Decodes one interrupt message for a reader of nslots slots (1..256).
 * Shorter than the type needs: CCID_E_SHORT.  The interrupt pipe has no
 * length field, so bytes after the message are ignored (out->len says how
 * many were used); bits for slots past nslots are kept but mean nothing.
 * CCID_E_BAD_TYPE for anything but 0x50/0x51. */
int ccid_message_interrupt_decode(const uint8_t *buf, size_t len, unsigned nslots,
				  ccid_interrupt *out);
/* Writes in->bMessageType's message (NotifySlotChange: for in->u.notify.nslots). */
int ccid_message_interrupt_encode(const ccid_interrupt *in, uint8_t *out, size_t cap,
				  size_t *out_len);

#endif
