/* ccidlab — the CCID message codec, both roles (see message.h). */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "message.h"
#include "result.h"

_Static_assert(sizeof(((ccid_msg *)0)->p.raw) == 3, "raw view is bytes 7..9");
_Static_assert(sizeof(((ccid_msg *)0)->p.power_on) == 3, "3-byte view");
_Static_assert(sizeof(((ccid_msg *)0)->p.t0apdu) == 3, "3-byte view");
_Static_assert(sizeof(((ccid_msg *)0)->p.rdr) == 3, "3-byte view");

/* How many abData bytes a type may carry. */
enum payload_rule {
	PAYLOAD_ANY,
	PAYLOAD_NONE,      /* dwLength 0 */
	PAYLOAD_RATE,      /* exactly dwClockFrequency + dwDataRate */
	PAYLOAD_RATE_OR_NONE, /* a failed answer may carry nothing */
	PAYLOAD_PROTOCOL,  /* SetParameters: 5 bytes for T=0, 7 for T=1 */
};

struct type_info {
	uint8_t type;
	uint8_t answer;         /* RDR_to_PC type answering a command, else 0 */
	uint8_t rule;
	const char *name;
};

/* CCID 1.1 table 6.1-1 (commands and their answers) and §6.2 (responses).
 * The answering types follow the per-message clauses: SlotStatus answers
 * PowerOff, GetSlotStatus, IccClock, T0APDU, Mechanical and Abort
 * (§6.2.2); Parameters answers Get/Reset/SetParameters (§6.2.3). */
static const struct type_info types[] = {
	{ CCID_PC_TO_RDR_SET_PARAMETERS, CCID_RDR_TO_PC_PARAMETERS, PAYLOAD_PROTOCOL,
	  "PC_to_RDR_SetParameters" },
	{ CCID_PC_TO_RDR_ICC_POWER_ON, CCID_RDR_TO_PC_DATA_BLOCK, PAYLOAD_NONE,
	  "PC_to_RDR_IccPowerOn" },
	{ CCID_PC_TO_RDR_ICC_POWER_OFF, CCID_RDR_TO_PC_SLOT_STATUS, PAYLOAD_NONE,
	  "PC_to_RDR_IccPowerOff" },
	{ CCID_PC_TO_RDR_GET_SLOT_STATUS, CCID_RDR_TO_PC_SLOT_STATUS, PAYLOAD_NONE,
	  "PC_to_RDR_GetSlotStatus" },
	{ CCID_PC_TO_RDR_SECURE, CCID_RDR_TO_PC_DATA_BLOCK, PAYLOAD_ANY, "PC_to_RDR_Secure" },
	{ CCID_PC_TO_RDR_T0APDU, CCID_RDR_TO_PC_SLOT_STATUS, PAYLOAD_NONE, "PC_to_RDR_T0APDU" },
	{ CCID_PC_TO_RDR_ESCAPE, CCID_RDR_TO_PC_ESCAPE, PAYLOAD_ANY, "PC_to_RDR_Escape" },
	{ CCID_PC_TO_RDR_GET_PARAMETERS, CCID_RDR_TO_PC_PARAMETERS, PAYLOAD_NONE,
	  "PC_to_RDR_GetParameters" },
	{ CCID_PC_TO_RDR_RESET_PARAMETERS, CCID_RDR_TO_PC_PARAMETERS, PAYLOAD_NONE,
	  "PC_to_RDR_ResetParameters" },
	{ CCID_PC_TO_RDR_ICC_CLOCK, CCID_RDR_TO_PC_SLOT_STATUS, PAYLOAD_NONE,
	  "PC_to_RDR_IccClock" },
	{ CCID_PC_TO_RDR_XFR_BLOCK, CCID_RDR_TO_PC_DATA_BLOCK, PAYLOAD_ANY,
	  "PC_to_RDR_XfrBlock" },
	{ CCID_PC_TO_RDR_MECHANICAL, CCID_RDR_TO_PC_SLOT_STATUS, PAYLOAD_NONE,
	  "PC_to_RDR_Mechanical" },
	{ CCID_PC_TO_RDR_ABORT, CCID_RDR_TO_PC_SLOT_STATUS, PAYLOAD_NONE, "PC_to_RDR_Abort" },
	{ CCID_PC_TO_RDR_SET_DATA_RATE_AND_CLOCK_FREQUENCY,
	  CCID_RDR_TO_PC_DATA_RATE_AND_CLOCK_FREQUENCY, PAYLOAD_RATE,
	  "PC_to_RDR_SetDataRateAndClockFrequency" },

	{ CCID_RDR_TO_PC_DATA_BLOCK, 0, PAYLOAD_ANY, "RDR_to_PC_DataBlock" },
	{ CCID_RDR_TO_PC_SLOT_STATUS, 0, PAYLOAD_NONE, "RDR_to_PC_SlotStatus" },
	/* Parameters: 5 or 7 bytes when it succeeds, possibly none when it
	 * fails; the protocol structure is the caller's to judge. */
	{ CCID_RDR_TO_PC_PARAMETERS, 0, PAYLOAD_ANY, "RDR_to_PC_Parameters" },
	{ CCID_RDR_TO_PC_ESCAPE, 0, PAYLOAD_ANY, "RDR_to_PC_Escape" },
	{ CCID_RDR_TO_PC_DATA_RATE_AND_CLOCK_FREQUENCY, 0, PAYLOAD_RATE_OR_NONE,
	  "RDR_to_PC_DataRateAndClockFrequency" },

	{ CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE, 0, PAYLOAD_ANY, "RDR_to_PC_NotifySlotChange" },
	{ CCID_RDR_TO_PC_HARDWARE_ERROR, 0, PAYLOAD_ANY, "RDR_to_PC_HardwareError" },
};

static const struct type_info *find_type(uint8_t type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

void ccid_message_init(ccid_msg *m, uint8_t bMessageType, uint8_t bSlot, uint8_t bSeq)
{
	memset(m, 0, sizeof *m);
	m->bMessageType = bMessageType;
	m->bSlot = bSlot;
	m->bSeq = bSeq;
}

bool ccid_message_is_command(uint8_t bMessageType)
{
	const struct type_info *t = find_type(bMessageType);
	return t != NULL && t->answer != 0;
}

bool ccid_message_is_response(uint8_t bMessageType)
{
	return bMessageType >= CCID_RDR_TO_PC_DATA_BLOCK &&
	       bMessageType <= CCID_RDR_TO_PC_DATA_RATE_AND_CLOCK_FREQUENCY;
}

static bool is_bulk(uint8_t bMessageType)
{
	return ccid_message_is_command(bMessageType) || ccid_message_is_response(bMessageType);
}

uint8_t ccid_message_response_type(uint8_t command_type)
{
	const struct type_info *t = find_type(command_type);
	return t != NULL ? t->answer : 0;
}

const char *ccid_message_type_name(uint8_t bMessageType)
{
	const struct type_info *t = find_type(bMessageType);
	return t != NULL ? t->name : "unknown";
}

/* XfrBlock and Secure carry a little-endian wLevelParameter in bytes 8..9
 * (CCID 1.1 §6.1.4, §6.1.11); every other type three single bytes. */
static bool has_level_parameter(uint8_t type)
{
	return type == CCID_PC_TO_RDR_XFR_BLOCK || type == CCID_PC_TO_RDR_SECURE;
}

int ccid_message_decode_header(const uint8_t *buf, size_t len, ccid_msg *out)
{
	if (buf == NULL || out == NULL)
		return CCID_E_INVALID_ARG;
	if (len < CCID_HEADER_SIZE)
		return CCID_E_SHORT;
	ccid_msg m;
	memset(&m, 0, sizeof m);
	m.bMessageType = buf[0];
	m.dwLength = ccid_get_le32(buf + 1);
	m.bSlot = buf[5];
	m.bSeq = buf[6];
	if (has_level_parameter(m.bMessageType)) {
		m.p.xfr.bBWI = buf[7];
		m.p.xfr.wLevelParameter = ccid_get_le16(buf + 8);
	} else {
		memcpy(m.p.raw, buf + 7, 3);
	}
	m.abData = buf + CCID_HEADER_SIZE;
	*out = m;
	return CCID_OK;
}

static int mismatch(ccid_msg_mismatch *mm, int r, const char *field, uint32_t got,
		    uint32_t expected)
{
	if (mm != NULL) {
		mm->field = field;
		mm->got = got;
		mm->expected = expected;
	}
	return r;
}

/* The payload sizes the spec pins per type (CCID 1.1 §6.1, §6.2). */
static int check_payload(const struct type_info *t, const ccid_msg *m, ccid_msg_mismatch *mm)
{
	uint32_t n = m->dwLength;
	switch (t->rule) {
	case PAYLOAD_NONE:
		if (n != 0)
			return mismatch(mm, CCID_E_LENGTH, "dwLength", n, 0);
		break;
	case PAYLOAD_RATE:
		if (n != CCID_DATA_RATE_PAYLOAD)
			return mismatch(mm, CCID_E_LENGTH, "dwLength", n, CCID_DATA_RATE_PAYLOAD);
		break;
	case PAYLOAD_RATE_OR_NONE:
		if (n != 0 && n != CCID_DATA_RATE_PAYLOAD)
			return mismatch(mm, CCID_E_LENGTH, "dwLength", n, CCID_DATA_RATE_PAYLOAD);
		break;
	case PAYLOAD_PROTOCOL:
		/* §6.1.7: abProtocolDataStructure is 5 bytes for T=0 and 7
		 * for T=1; the other protocol numbers (2-wire, 3-wire, I2C)
		 * have their own sizes and are left to the caller. */
		if (m->p.set_params.bProtocolNum == 0 && n != 5)
			return mismatch(mm, CCID_E_LENGTH, "dwLength (T=0)", n, 5);
		if (m->p.set_params.bProtocolNum == 1 && n != 7)
			return mismatch(mm, CCID_E_LENGTH, "dwLength (T=1)", n, 7);
		break;
	default:
		break;
	}
	return CCID_OK;
}

int ccid_message_decode(const uint8_t *buf, size_t len, const ccid_msg_limits *lim,
			ccid_msg *out, ccid_msg_mismatch *mm)
{
	ccid_msg m;
	if (out == NULL)
		return CCID_E_INVALID_ARG;
	int r = ccid_message_decode_header(buf, len, &m);
	if (r == CCID_E_SHORT)
		return mismatch(mm, r, "header", (uint32_t)len, CCID_HEADER_SIZE);
	if (r != CCID_OK)
		return r;
	if (lim != NULL && lim->dwMaxCCIDMessageLength != 0 &&
	    lim->dwMaxCCIDMessageLength < CCID_HEADER_SIZE)
		return CCID_E_INVALID_ARG;

	const struct type_info *t = find_type(m.bMessageType);
	if (t == NULL || !is_bulk(m.bMessageType))
		return mismatch(mm, CCID_E_BAD_TYPE, "bMessageType", m.bMessageType, 0);

	/* dwLength against the limit first: a huge declared length is the
	 * more useful diagnosis than "not that many bytes arrived". */
	if (lim != NULL && lim->dwMaxCCIDMessageLength != 0 &&
	    m.dwLength > lim->dwMaxCCIDMessageLength - CCID_HEADER_SIZE)
		return mismatch(mm, CCID_E_TOO_LONG, "dwLength (max)", m.dwLength,
				lim->dwMaxCCIDMessageLength - CCID_HEADER_SIZE);
	size_t received = len - CCID_HEADER_SIZE;
	if (m.dwLength != received)
		/* Strict both ways: fewer bytes is a truncated transfer, more
		 * is a framing error (a second message glued on, or junk). */
		return mismatch(mm, CCID_E_LENGTH, "dwLength", m.dwLength,
				received > UINT32_MAX ? UINT32_MAX : (uint32_t)received);
	if (lim != NULL && m.bSlot > lim->bMaxSlotIndex)
		return mismatch(mm, CCID_E_BAD_SLOT, "bSlot (max)", m.bSlot, lim->bMaxSlotIndex);
	r = check_payload(t, &m, mm);
	if (r != CCID_OK)
		return r;
	if (m.dwLength == 0)
		m.abData = NULL;
	*out = m;
	if (mm != NULL)
		mm->field = NULL;
	return CCID_OK;
}

int ccid_message_encode(const ccid_msg *m, uint8_t *out, size_t cap, size_t *out_len)
{
	if (m == NULL || out == NULL || out_len == NULL || !is_bulk(m->bMessageType))
		return CCID_E_INVALID_ARG;
	if (m->dwLength > 0 && m->abData == NULL)
		return CCID_E_INVALID_ARG;
	if (cap < CCID_HEADER_SIZE || m->dwLength > cap - CCID_HEADER_SIZE)
		return CCID_E_BUFFER;
	/* The payload first: abData may sit inside out (an in-place answer),
	 * even over where the header goes. */
	if (m->dwLength > 0 && m->abData != out + CCID_HEADER_SIZE)
		memmove(out + CCID_HEADER_SIZE, m->abData, m->dwLength);
	out[0] = m->bMessageType;
	ccid_put_le32(out + 1, m->dwLength);
	out[5] = m->bSlot;
	out[6] = m->bSeq;
	if (has_level_parameter(m->bMessageType)) {
		out[7] = m->p.xfr.bBWI;
		ccid_put_le16(out + 8, m->p.xfr.wLevelParameter);
	} else {
		memcpy(out + 7, m->p.raw, 3);
	}
	*out_len = CCID_HEADER_SIZE + (size_t)m->dwLength;
	return CCID_OK;
}

int ccid_message_check_response(const ccid_msg *cmd, const ccid_msg *rsp, ccid_msg_mismatch *mm)
{
	if (cmd == NULL || rsp == NULL)
		return CCID_E_INVALID_ARG;
	uint8_t want = ccid_message_response_type(cmd->bMessageType);
	if (want == 0)
		return CCID_E_INVALID_ARG;
	if (rsp->bSeq != cmd->bSeq) {
		/* Distance back from the command's bSeq, modulo 256. */
		unsigned back = (uint8_t)(cmd->bSeq - rsp->bSeq);
		int r = back <= CCID_MESSAGE_STALE_WINDOW ? CCID_E_STALE : CCID_E_BAD_SEQ;
		return mismatch(mm, r, "bSeq", rsp->bSeq, cmd->bSeq);
	}
	/* CCID 1.1 §6.2: "bSlot: same value as in Bulk-OUT message". */
	if (rsp->bSlot != cmd->bSlot)
		return mismatch(mm, CCID_E_BAD_SLOT, "bSlot", rsp->bSlot, cmd->bSlot);
	if (rsp->bMessageType != want)
		return mismatch(mm, CCID_E_BAD_TYPE, "bMessageType", rsp->bMessageType, want);
	if (mm != NULL)
		mm->field = NULL;
	if ((rsp->p.rdr.bStatus & CCID_BSTATUS_CMD_MASK) == CCID_BSTATUS_CMD_TIME_EXTENSION)
		return CCID_R_TIME_EXTENSION;
	return CCID_OK;
}

int ccid_message_check(const ccid_msg *cmd, const uint8_t *buf, size_t len,
		       const ccid_msg_limits *lim, ccid_msg *rsp, ccid_msg_mismatch *mm)
{
	ccid_msg m;
	int r = ccid_message_decode(buf, len, lim, &m, mm);
	if (r != CCID_OK)
		return r;
	r = ccid_message_check_response(cmd, &m, mm);
	if (rsp != NULL)
		*rsp = m;
	return r;
}

unsigned ccid_message_time_extension(const ccid_msg *rsp)
{
	if (rsp == NULL || !ccid_message_is_response(rsp->bMessageType))
		return 0;
	if ((rsp->p.rdr.bStatus & CCID_BSTATUS_CMD_MASK) != CCID_BSTATUS_CMD_TIME_EXTENSION)
		return 0;
	return rsp->p.rdr.bError;
}

int ccid_message_format_mismatch(const ccid_msg_mismatch *mm, char *buf, size_t cap)
{
	if (mm == NULL || mm->field == NULL)
		return snprintf(buf, cap, "no mismatch");
	return snprintf(buf, cap, "%s %lu/%lu", mm->field, (unsigned long)mm->got,
			(unsigned long)mm->expected);
}

/* ---- interrupt-IN (CCID 1.1 §6.3) ---- */

size_t ccid_message_notify_size(unsigned nslots)
{
	return 1 + (nslots + 3) / 4;
}

void ccid_message_notify_init(ccid_notify *n, unsigned nslots)
{
	memset(n, 0, sizeof *n);
	n->nslots = nslots;
}

static unsigned slot_bits(const ccid_notify *n, unsigned slot)
{
	if (n == NULL || slot >= n->nslots || slot >= CCID_MAX_SLOTS)
		return 0;
	return (n->bmSlotICCState[slot / 4] >> (2 * (slot % 4))) & 3u;
}

bool ccid_message_notify_present(const ccid_notify *n, unsigned slot)
{
	return (slot_bits(n, slot) & 1u) != 0;
}

bool ccid_message_notify_changed(const ccid_notify *n, unsigned slot)
{
	return (slot_bits(n, slot) & 2u) != 0;
}

void ccid_message_notify_set(ccid_notify *n, unsigned slot, bool present, bool changed)
{
	if (n == NULL || slot >= CCID_MAX_SLOTS)
		return;
	unsigned shift = 2 * (slot % 4);
	uint8_t *b = &n->bmSlotICCState[slot / 4];
	*b = (uint8_t)((*b & ~(3u << shift)) | (((present ? 1u : 0u) | (changed ? 2u : 0u)) << shift));
}

int ccid_message_interrupt_decode(const uint8_t *buf, size_t len, unsigned nslots,
				  ccid_interrupt *out)
{
	if (buf == NULL || out == NULL || nslots == 0 || nslots > CCID_MAX_SLOTS)
		return CCID_E_INVALID_ARG;
	ccid_cursor c = ccid_cursor_make(buf, len);
	ccid_interrupt in;
	memset(&in, 0, sizeof in);
	if (!ccid_cursor_u8(&c, &in.bMessageType))
		return CCID_E_SHORT;
	const uint8_t *p;
	switch (in.bMessageType) {
	case CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE: {
		size_t n = ccid_message_notify_size(nslots) - 1;
		if ((p = ccid_cursor_take(&c, n)) == NULL)
			return CCID_E_SHORT;
		in.u.notify.nslots = nslots;
		memcpy(in.u.notify.bmSlotICCState, p, n);
		break;
	}
	case CCID_RDR_TO_PC_HARDWARE_ERROR:
		/* §6.3.2: bSlot, bSeq, bHardwareErrorCode. */
		if ((p = ccid_cursor_take(&c, 3)) == NULL)
			return CCID_E_SHORT;
		in.u.hw.bSlot = p[0];
		in.u.hw.bSeq = p[1];
		in.u.hw.bHardwareErrorCode = p[2];
		break;
	default:
		return CCID_E_BAD_TYPE;
	}
	in.len = len - c.left;
	*out = in;
	return CCID_OK;
}

int ccid_message_interrupt_encode(const ccid_interrupt *in, uint8_t *out, size_t cap,
				  size_t *out_len)
{
	if (in == NULL || out == NULL || out_len == NULL)
		return CCID_E_INVALID_ARG;
	size_t n;
	switch (in->bMessageType) {
	case CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE:
		if (in->u.notify.nslots == 0 || in->u.notify.nslots > CCID_MAX_SLOTS)
			return CCID_E_INVALID_ARG;
		n = ccid_message_notify_size(in->u.notify.nslots);
		if (cap < n)
			return CCID_E_BUFFER;
		memcpy(out + 1, in->u.notify.bmSlotICCState, n - 1);
		break;
	case CCID_RDR_TO_PC_HARDWARE_ERROR:
		n = 4;
		if (cap < n)
			return CCID_E_BUFFER;
		out[1] = in->u.hw.bSlot;
		out[2] = in->u.hw.bSeq;
		out[3] = in->u.hw.bHardwareErrorCode;
		break;
	default:
		return CCID_E_INVALID_ARG;
	}
	out[0] = in->bMessageType;
	*out_len = n;
	return CCID_OK;
}
