/* ccidlab — names of the CCID core's results (see result.h). */
#include <stddef.h>

#include "result.h"

static const char *const names[CCID_RESULT_COUNT] = {
	[CCID_OK] = "success",
	[CCID_E_INVALID_ARG] = "invalid argument",
	[CCID_E_BUFFER] = "buffer too small",
	[CCID_E_SHORT] = "short data",
	[CCID_E_LENGTH] = "length mismatch",
	[CCID_E_TOO_LONG] = "too long",
	[CCID_E_BAD_TYPE] = "unexpected type",
	[CCID_E_BAD_SLOT] = "bSlot mismatch",
	[CCID_E_STALE] = "stale response",
	[CCID_E_BAD_SEQ] = "bSeq mismatch",
	[CCID_E_MALFORMED] = "malformed",
	[CCID_E_CHECKSUM] = "checksum mismatch",
	[CCID_E_UNSUPPORTED] = "not supported",
	[CCID_E_PROTOCOL] = "protocol violation",
	[CCID_E_RETRIES] = "retries exhausted",
	[CCID_E_DEAD] = "protocol state dead, reset needed",
	[CCID_E_PPS] = "PPS failed",
	[CCID_E_TRANSPORT] = "transport error",
	[CCID_E_TIMEOUT] = "timeout",
	[CCID_E_NO_DEVICE] = "no such device",
	[CCID_R_TIME_EXTENSION] = "time extension requested",
	[CCID_R_ICC_MUTE] = "card mute",
	[CCID_R_ICC_ABSENT] = "no card",
	[CCID_R_ICC_INACTIVE] = "card not powered",
	[CCID_R_PARITY] = "parity error",
	[CCID_R_OVERRUN] = "overrun",
	[CCID_R_HW_ERROR] = "hardware error",
	[CCID_R_SLOT_BUSY] = "slot busy",
	[CCID_R_CMD_NOT_SUPPORTED] = "command not supported",
	[CCID_R_BAD_PARAMETER] = "parameter refused",
	[CCID_R_PIN_CANCELLED] = "PIN entry cancelled",
	[CCID_R_PIN_TIMEOUT] = "PIN entry timed out",
	[CCID_R_ABORTED] = "aborted",
	[CCID_R_ICC_PROTOCOL] = "card protocol error",
	[CCID_R_CMD_FAILED] = "command failed",
	[CCID_E_READER_LIMIT] = "over the reader's message size",
};

const char *ccid_result_name(int r)
{
	if (r < 0 || r >= CCID_RESULT_COUNT || names[r] == NULL)
		return "unknown result";
	return names[r];
}
