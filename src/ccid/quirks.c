/* ccidlab — the reader quirk table (see quirks.h).  Data only: add a row,
 * not a branch. */
#include <stddef.h>

#include "ccid/bytes.h"
#include "ccid/message.h"

#include "ccid/quirks.h"

#define ANY_BCD 0x0000u, 0xFFFFu

static const ccid_quirk quirks[] = {
	/* Driven at extended APDU level whatever dwFeatures says, as the
	 * reference driver does (libccid-reference.md §2, exchange levels). */
	{ 0x076B, 0x3031, ANY_BCD, CCID_LEVEL_EXTENDED_APDU, 0, "HID OMNIKEY 3x21" },
	{ 0x076B, 0x6632, ANY_BCD, CCID_LEVEL_EXTENDED_APDU, 0, "HID OMNIKEY 6121" },
	{ 0x076B, 0x3A21, ANY_BCD, CCID_LEVEL_EXTENDED_APDU, 0, "HID Aviator" },
	{ 0x046A, 0x00A7, ANY_BCD, CCID_LEVEL_EXTENDED_APDU, 0, "Cherry Smart Terminal xx44" },
	{ 0x0BF8, 0x1024, ANY_BCD, CCID_LEVEL_EXTENDED_APDU, 0, "Fujitsu Smartcard Reader D323" },
	{ 0x2F7C, 0x6007, ANY_BCD, CCID_LEVEL_EXTENDED_APDU, 0, "Diebold Nixdorf PN7362AU" },
	/* Firmware 1.00 only. */
	{ 0x046A, 0x00A1, 0x0100, 0x0100, CCID_LEVEL_EXTENDED_APDU, 0, "Cherry KC 1000 SC" },
	/* Driven at short APDU level whatever dwFeatures says (same source). */
	{ 0x0D46, 0x3010, ANY_BCD, CCID_LEVEL_SHORT_APDU, 0, "Kobil TriBank" },
	/* Class descriptor attached to the last endpoint. */
	{ 0x0B97, 0x7762, ANY_BCD, CCID_QUIRK_LEVEL_KEEP,
	  CCID_QUIRK_DESC_AFTER_ENDPOINTS | CCID_QUIRK_NO_PPS | CCID_QUIRK_SPLIT_64,
	  "O2Micro OZ776" },
	{ 0x0B97, 0x7772, ANY_BCD, CCID_QUIRK_LEVEL_KEEP,
	  CCID_QUIRK_DESC_AFTER_ENDPOINTS | CCID_QUIRK_NO_PPS | CCID_QUIRK_SPLIT_64,
	  "O2Micro OZ776 (7772)" },
	{ 0x0C4B, 0x0300, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, CCID_QUIRK_DESC_AFTER_ENDPOINTS,
	  "Reiner SCT cyberJack pinpad(a)" },
	{ 0x1B0E, 0x1078, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, CCID_QUIRK_DESC_AFTER_ENDPOINTS,
	  "Bludrive II CCID" },
	/* SCM Microsystems firmware (and the OEM readers built on it) reports
	 * dwMaxCCIDMessageLength 263 but carries a whole short TPDU or APDU:
	 * the reference driver exempts exactly 263 from its size check
	 * ("reports 263 instead of 270", libccid-reference.md; doc/catalogue.md
	 * compares).  Here the exemption is by device, and the size used is
	 * the one a 261-byte short APDU needs (10 + 261). */
	{ 0x04E6, 0x5111, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "SCM SCR331-DI", 271 },
	{ 0x04E6, 0x5120, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "SCM SCR331-DI (NTT Com)", 271 },
	{ 0x04E6, 0x511C, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "Axalto Reflex USB v3 (SCM)", 271 },
	{ 0x04E6, 0x511F, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "SCM SCR3310 v2", 271 },
	{ 0x04E6, 0x5410, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "SCM SCR35xx", 271 },
	{ 0x04E6, 0x5612, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "Identiv uTrust 3720 (SCM)", 271 },
	{ 0x03F0, 0x0824, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "HP USB Smartcard Reader (SCM)",
	  271 },
	{ 0x03F0, 0x1024, ANY_BCD, CCID_QUIRK_LEVEL_KEEP, 0, "HP USB Smart Card Keyboard (SCM)",
	  271 },
	/* QEMU's usb-ccid borrows the GemPC433-Swap's ids (whose firmware
	 * says bcdDevice 0.01) with bcdDevice 0.00; its Parameters answers
	 * carry dwLength 0 (doc/vm.md). */
	{ 0x08E6, 0x4433, 0x0000, 0x0000, CCID_QUIRK_LEVEL_KEEP, CCID_QUIRK_PARAMS_LENGTH_ZERO,
	  "QEMU USB CCID" },
};

const ccid_quirk *ccid_quirks_table(unsigned *count)
{
	if (count != NULL)
		*count = (unsigned)(sizeof quirks / sizeof quirks[0]);
	return quirks;
}

const ccid_quirk *ccid_quirks_find(uint16_t idVendor, uint16_t idProduct, uint16_t bcdDevice)
{
	for (size_t i = 0; i < sizeof quirks / sizeof quirks[0]; i++) {
		const ccid_quirk *q = &quirks[i];
		if (q->idVendor == idVendor && q->idProduct == idProduct &&
		    bcdDevice >= q->bcdDevice_min && bcdDevice <= q->bcdDevice_max)
			return q;
	}
	return NULL;
}

ccid_exchange_level ccid_quirks_level(const ccid_quirk *q, ccid_exchange_level level)
{
	if (q == NULL || q->level == CCID_QUIRK_LEVEL_KEEP)
		return level;
	return (ccid_exchange_level)q->level;
}

uint32_t ccid_quirks_message_length(const ccid_quirk *q, uint32_t declared)
{
	if (q == NULL || q->message_length == 0)
		return declared;
	return q->message_length;
}

/* CCID 1.1 §6.2.3: RDR_to_PC_Parameters is the 10-byte header (its last
 * byte bProtocolNum) and dwLength bytes of abProtocolDataStructure, 5 for
 * T=0 and 7 for T=1.  A device with CCID_QUIRK_PARAMS_LENGTH_ZERO sends
 * dwLength 0 and then 7 bytes (QEMU 7.2: the larger structure, whatever
 * the protocol).  Only a trailer of one structure's size (5 or 7) is
 * trimmed, to the header the device declared: any other frame still
 * fails as a length mismatch, and the host reads no parameter from the
 * trailer. */
size_t ccid_quirks_response_len(uint32_t flags, const uint8_t *buf, size_t len)
{
	if (!(flags & CCID_QUIRK_PARAMS_LENGTH_ZERO) || buf == NULL || len < CCID_HEADER_SIZE)
		return len;
	if (buf[0] != CCID_RDR_TO_PC_PARAMETERS || ccid_get_le32(buf + 1) != 0)
		return len;
	size_t trailer = len - CCID_HEADER_SIZE;
	if (trailer != 5 && trailer != 7)
		return len;
	return CCID_HEADER_SIZE;
}
