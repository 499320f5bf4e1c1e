/* ccidlab — CCID bStatus/bError to ccid_result and back (see errmap.h). */
#include <stdbool.h>
#include <stddef.h>

#include "errmap.h"
#include "message.h"
#include "result.h"

/* Which slot states a row applies to. */
enum icc_match { ANY_ICC, ICC_ABSENT_ONLY, ICC_NOT_ABSENT };

struct failed_row {
	uint8_t lo, hi;          /* bError range, inclusive */
	uint8_t icc;             /* enum icc_match */
	int result;
};

/* bmCommandStatus "failed" (0x40): bError → result, first match wins.
 * CCID 1.1 table 6.2-2 for the values; the split of 0xFE by slot state
 * follows §6.2.6 ("ICC_MUTE ... no ICC present" when bmICCStatus is 2).
 * 0xBB and 0xBD are vendor codes for EMV/T=1 card protocol errors that
 * readers in the field send (libccid-reference.md §3.3). */
static const struct failed_row failed_table[] = {
	{ 0xFE, 0xFE, ICC_ABSENT_ONLY, CCID_R_ICC_ABSENT },
	{ 0xFE, 0xFE, ICC_NOT_ABSENT, CCID_R_ICC_MUTE },
	{ 0xFF, 0xFF, ANY_ICC, CCID_R_ABORTED },
	{ 0xFD, 0xFD, ANY_ICC, CCID_R_PARITY },
	{ 0xFC, 0xFC, ANY_ICC, CCID_R_OVERRUN },
	{ 0xFB, 0xFB, ANY_ICC, CCID_R_HW_ERROR },
	{ 0xF3, 0xF8, ANY_ICC, CCID_R_ICC_PROTOCOL },
	{ 0xF0, 0xF0, ANY_ICC, CCID_R_PIN_TIMEOUT },
	{ 0xEF, 0xEF, ANY_ICC, CCID_R_PIN_CANCELLED },
	{ 0xE0, 0xE0, ANY_ICC, CCID_R_SLOT_BUSY },
	{ 0xBB, 0xBB, ANY_ICC, CCID_R_ICC_PROTOCOL },
	{ 0xBD, 0xBD, ANY_ICC, CCID_R_ICC_PROTOCOL },
	{ 0x01, 0x7F, ANY_ICC, CCID_R_BAD_PARAMETER },
	{ 0x00, 0x00, ANY_ICC, CCID_R_CMD_NOT_SUPPORTED },
};

static bool icc_matches(uint8_t match, uint8_t icc)
{
	switch (match) {
	case ICC_ABSENT_ONLY:
		return icc == CCID_ICC_ABSENT;
	case ICC_NOT_ABSENT:
		return icc != CCID_ICC_ABSENT;
	default:
		return true;
	}
}

static int failed_result(uint8_t icc, uint8_t bError)
{
	for (size_t i = 0; i < sizeof failed_table / sizeof failed_table[0]; i++) {
		const struct failed_row *row = &failed_table[i];
		if (bError >= row->lo && bError <= row->hi && icc_matches(row->icc, icc))
			return row->result;
	}
	return CCID_R_CMD_FAILED;
}

int ccid_errmap_result(uint8_t command, int transport, uint8_t bStatus, uint8_t bError)
{
	if (transport != CCID_OK)
		return transport;
	uint8_t icc = bStatus & CCID_BSTATUS_ICC_MASK;
	switch (bStatus & CCID_BSTATUS_CMD_MASK) {
	case 0:
		return CCID_OK;
	case CCID_BSTATUS_CMD_TIME_EXTENSION:
		return CCID_R_TIME_EXTENSION;
	case CCID_BSTATUS_CMD_FAILED:
		/* GetSlotStatus reports the slot; 0xFE there only says the
		 * card is absent or mute, which bmICCStatus already tells. */
		if (command == CCID_PC_TO_RDR_GET_SLOT_STATUS && bError == CCID_ERR_ICC_MUTE)
			return CCID_OK;
		return failed_result(icc, bError);
	default:
		/* 0xC0: bmCommandStatus 3 is RFU (CCID 1.1 §6.2.6). */
		return CCID_E_PROTOCOL;
	}
}

int ccid_errmap_icc(uint8_t bStatus)
{
	switch (bStatus & CCID_BSTATUS_ICC_MASK) {
	case CCID_ICC_ACTIVE:
		return CCID_OK;
	case CCID_ICC_INACTIVE:
		return CCID_R_ICC_INACTIVE;
	case CCID_ICC_ABSENT:
		return CCID_R_ICC_ABSENT;
	default:
		return CCID_E_PROTOCOL;
	}
}

uint8_t ccid_errmap_bStatus(ccid_icc_status icc, ccid_cmd_status cmd)
{
	return (uint8_t)((((unsigned)cmd & 3u) << 6) | ((unsigned)icc & CCID_BSTATUS_ICC_MASK));
}

uint8_t ccid_errmap_bError(int result)
{
	switch (result) {
	case CCID_R_ICC_MUTE:
	case CCID_R_ICC_ABSENT:
		return CCID_ERR_ICC_MUTE;
	case CCID_R_PARITY:
		return CCID_ERR_XFR_PARITY_ERROR;
	case CCID_R_OVERRUN:
		return CCID_ERR_XFR_OVERRUN;
	case CCID_R_SLOT_BUSY:
		return CCID_ERR_CMD_SLOT_BUSY;
	case CCID_R_CMD_NOT_SUPPORTED:
	case CCID_E_BAD_TYPE:
	case CCID_E_UNSUPPORTED:
		return CCID_ERR_CMD_NOT_SUPPORTED;
	case CCID_R_BAD_PARAMETER:
	case CCID_E_SHORT:
	case CCID_E_LENGTH:
	case CCID_E_TOO_LONG:
		return CCID_ERR_BAD_LENGTH;
	case CCID_E_BAD_SLOT:
		return CCID_ERR_BAD_SLOT;
	case CCID_R_PIN_CANCELLED:
		return CCID_ERR_PIN_CANCELLED;
	case CCID_R_PIN_TIMEOUT:
		return CCID_ERR_PIN_TIMEOUT;
	case CCID_R_ABORTED:
		return CCID_ERR_CMD_ABORTED;
	case CCID_R_ICC_PROTOCOL:
		return CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED;
	default:
		return CCID_ERR_HW_ERROR;
	}
}

/* CCID 1.1 table 6.2-2; the 0x81..0xC0 "user defined" range carries the
 * vendor codes seen in the field (libccid-reference.md §3.3). */
const char *ccid_errmap_bError_name(uint8_t bError)
{
	switch (bError) {
	case 0x00: return "command not supported";
	case 0x01: return "bad dwLength";
	case 0x05: return "bad bSlot";
	case 0x07: return "bad byte 7 (bPowerSelect, bBWI, bProtocolNum...)";
	case 0x08: return "bad byte 8 (wLevelParameter, ...)";
	case 0x09: return "bad byte 9";
	case 0x0A: return "bad abData[0]";
	case 0x80: return "reserved";
	case 0xA2: return "ICC short-circuit (vendor)";
	case 0xA3: return "ATR too long (vendor)";
	case 0xAB: return "no data exchanged (vendor)";
	case 0xB0: return "EMV T=1 message too long (vendor)";
	case 0xBB: return "EMV protocol error (vendor)";
	case 0xBD: return "T=1 card error (vendor)";
	case 0xBE: return "wrong APDU length (vendor)";
	case 0xE0: return "slot busy";
	case 0xEF: return "PIN cancelled";
	case 0xF0: return "PIN timeout";
	case 0xF2: return "busy with auto sequence";
	case 0xF3: return "deactivated protocol";
	case 0xF4: return "procedure byte conflict";
	case 0xF5: return "ICC class not supported";
	case 0xF6: return "ICC protocol not supported";
	case 0xF7: return "bad ATR TCK";
	case 0xF8: return "bad ATR TS";
	case 0xFB: return "hardware error";
	case 0xFC: return "transfer overrun";
	case 0xFD: return "transfer parity error";
	case 0xFE: return "ICC mute";
	case 0xFF: return "command aborted";
	default:
		break;
	}
	if (bError <= 0x7F)
		return "bad parameter";
	if (bError >= 0x81 && bError <= 0xC0)
		return "user-defined error";
	return "reserved error";
}
