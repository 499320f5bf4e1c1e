/* ccidlab — IFDHControl: the PC/SC v2 part 10 features a reader offers.
 *
 * CM_IOCTL_GET_FEATURE_REQUEST lists them as TLVs (tag, 4, control code
 * big-endian).  FEATURE_GET_TLV_PROPERTIES describes the reader;
 * FEATURE_VERIFY_PIN_DIRECT and FEATURE_MODIFY_PIN_DIRECT turn the part 10
 * structures into CCID 1.1 §6.1.11 PC_to_RDR_Secure on PIN-pad readers;
 * FEATURE_CCID_ESC_COMMAND passes PC_to_RDR_Escape, only when the
 * reader's configuration allows it (escape=1).
 */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>
#include <reader.h>

#include "ifd/control.h"
#include "ifd/log.h"
#include "ifd/reader.h"
#include "ifd/result.h"

/* Part 10 control codes: SCARD_CTL_CODE(0x330000 + feature tag). */
#define IOCTL_FEATURE(tag) SCARD_CTL_CODE(0x330000 + (tag))
#define PIN_VERIFY_HEAD 19	/* PIN_VERIFY_STRUCTURE before abData */
#define PIN_MODIFY_HEAD 24	/* PIN_MODIFY_STRUCTURE before abData */
#define SECURE_MAX 1024

typedef struct tlv_buf {
	uint8_t *p;
	size_t cap, len;
	bool overflow;
} tlv_buf;

static void tlv_add(tlv_buf *b, uint8_t tag, uint32_t v, size_t n)
{
	if (b->len + 2 + n > b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = tag;
	b->p[b->len++] = (uint8_t)n;
	/* TLV property values are little-endian (part 10 §2.6.14). */
	for (size_t i = 0; i < n; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void feature_add(tlv_buf *b, uint8_t tag)
{
	uint32_t code = IOCTL_FEATURE(tag);
	if (b->len + 6 > b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->len++] = tag;
	b->p[b->len++] = 4;
	for (int i = 3; i >= 0; i--)
		b->p[b->len++] = (uint8_t)(code >> (8 * i));
}

static bool has_pinpad(const ifd_reader *r, uint8_t bit)
{
	return (host_reader_interface(r->host)->desc.bPINSupport & bit) != 0;
}

static long features(ifd_reader *r, PUCHAR rx, DWORD rx_len, LPDWORD returned)
{
	tlv_buf b = { rx, rx_len, 0, false };

	if (has_pinpad(r, CCID_PIN_VERIFY))
		feature_add(&b, FEATURE_VERIFY_PIN_DIRECT);
	if (has_pinpad(r, CCID_PIN_MODIFY))
		feature_add(&b, FEATURE_MODIFY_PIN_DIRECT);
	feature_add(&b, FEATURE_IFD_PIN_PROPERTIES);
	feature_add(&b, FEATURE_GET_TLV_PROPERTIES);
	if (r->escape_allowed)
		feature_add(&b, FEATURE_CCID_ESC_COMMAND);
	if (b.overflow)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	*returned = (DWORD)b.len;
	return IFD_SUCCESS;
}

static long tlv_properties(ifd_reader *r, PUCHAR rx, DWORD rx_len, LPDWORD returned)
{
	const ccid_interface *i = host_reader_interface(r->host);
	const transport_info *info = host_reader_info(r->host);
	tlv_buf b = { rx, rx_len, 0, false };
	bool pinpad = i->desc.bPINSupport != 0;

	tlv_add(&b, PCSCv2_PART10_PROPERTY_wLcdLayout, i->desc.wLcdLayout, 2);
	if (pinpad) {
		/* Validation by the OK key; PIN sizes as the emulated keypad takes. */
		tlv_add(&b, PCSCv2_PART10_PROPERTY_bEntryValidationCondition, 0x02, 1);
		tlv_add(&b, PCSCv2_PART10_PROPERTY_bTimeOut2, 0, 1);
		tlv_add(&b, PCSCv2_PART10_PROPERTY_bMinPINSize, 4, 1);
		tlv_add(&b, PCSCv2_PART10_PROPERTY_bMaxPINSize, 8, 1);
	}
	if (i->facts.has_lcd) {
		tlv_add(&b, PCSCv2_PART10_PROPERTY_wLcdMaxCharacters, i->facts.lcd_chars, 2);
		tlv_add(&b, PCSCv2_PART10_PROPERTY_wLcdMaxLines, i->facts.lcd_lines, 2);
	}
	/* No PPDU: PIN commands go through SCardControl, never in APDUs. */
	tlv_add(&b, PCSCv2_PART10_PROPERTY_bPPDUSupport, 0, 1);
	tlv_add(&b, PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize,
		i->facts.level == CCID_LEVEL_EXTENDED_APDU ? 65536 : 0, 4);
	tlv_add(&b, PCSCv2_PART10_PROPERTY_wIdVendor, info->idVendor, 2);
	tlv_add(&b, PCSCv2_PART10_PROPERTY_wIdProduct, info->idProduct, 2);
	if (b.overflow)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	*returned = (DWORD)b.len;
	return IFD_SUCCESS;
}

static long pin_properties(ifd_reader *r, PUCHAR rx, DWORD rx_len, LPDWORD returned)
{
	uint16_t lcd = host_reader_interface(r->host)->desc.wLcdLayout;
	uint8_t p[4] = { (uint8_t)lcd, (uint8_t)(lcd >> 8), 0x02, 0 };

	if (rx_len < sizeof p)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	memcpy(rx, p, sizeof p);
	*returned = sizeof p;
	return IFD_SUCCESS;
}

/* Part 10 PIN_VERIFY/MODIFY_STRUCTURE to the CCID PIN data structure
 * (CCID 1.1 §6.1.11.4/5): bPINOperation first, bTimeOut2 and
 * ulDataLength dropped, the APDU template kept. */
static long pin_secure(ifd_reader *r, unsigned slot, bool modify, const UCHAR *tx, DWORD tx_len,
		       PUCHAR rx, DWORD rx_len, LPDWORD returned)
{
	size_t head = modify ? PIN_MODIFY_HEAD : PIN_VERIFY_HEAD;
	uint8_t ccid[SECURE_MAX];
	size_t n = 0;

	if (tx_len < head || tx_len > head + SECURE_MAX - 32)
		return IFD_NOT_SUPPORTED;
	uint32_t data_len = (uint32_t)tx[head - 4] | (uint32_t)tx[head - 3] << 8 |
			    (uint32_t)tx[head - 2] << 16 | (uint32_t)tx[head - 1] << 24;
	if (data_len != tx_len - head)
		return IFD_NOT_SUPPORTED;	/* the structure's own length disagrees */
	ccid[n++] = modify ? 1 : 0;
	ccid[n++] = tx[0];	/* bTimerOut; bTimerOut2 (tx[1]) has no CCID field */
	size_t fixed = head - 4 - 2;
	if (modify) {
		/* bNumberMessage decides how many message indexes follow
		 * (CCID 1.1 table 6.1-13): bMsgIndex2/3 only with 2 or 3. */
		uint8_t msgs = tx[2 + 9];
		memcpy(ccid + n, tx + 2, 12);
		n += 12;
		ccid[n++] = tx[14];	/* bMsgIndex1 */
		if (msgs > 1)
			ccid[n++] = tx[15];
		if (msgs > 2)
			ccid[n++] = tx[16];
		memcpy(ccid + n, tx + 17, 3);	/* bTeoPrologue */
		n += 3;
	} else {
		memcpy(ccid + n, tx + 2, fixed);
		n += fixed;
	}
	memcpy(ccid + n, tx + head, data_len);
	n += data_len;
	size_t got = 0;
	int rc = host_secure(r->host, slot, ccid, n, rx, rx_len, &got);
	/* libccid's convention, which applications know: a cancelled or
	 * timed-out entry comes back as the status word 64 01 / 64 00. */
	if ((rc == CCID_R_PIN_CANCELLED || rc == CCID_R_PIN_TIMEOUT) && rx_len >= 2) {
		rx[0] = 0x64;
		rx[1] = rc == CCID_R_PIN_CANCELLED ? 0x01 : 0x00;
		*returned = 2;
		return IFD_SUCCESS;
	}
	if (rc != CCID_OK)
		return ifd_result(rc);
	*returned = (DWORD)got;
	return IFD_SUCCESS;
}

long ifd_control(unsigned long lun, DWORD code, const UCHAR *tx, DWORD tx_len, PUCHAR rx,
		 DWORD rx_len, LPDWORD returned)
{
	ifd_reader *r = ifd_reader_get(lun);
	unsigned slot = (unsigned)(lun & 0xFFFF);
	size_t got = 0;

	if (returned == NULL)
		return IFD_COMMUNICATION_ERROR;
	*returned = 0;
	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	if (r->null_reader)
		return IFD_ERROR_NOT_SUPPORTED;
	if (code == CM_IOCTL_GET_FEATURE_REQUEST)
		return features(r, rx, rx_len, returned);
	if (code == IOCTL_FEATURE(FEATURE_GET_TLV_PROPERTIES))
		return tlv_properties(r, rx, rx_len, returned);
	if (code == IOCTL_FEATURE(FEATURE_IFD_PIN_PROPERTIES))
		return pin_properties(r, rx, rx_len, returned);
	if (code == IOCTL_FEATURE(FEATURE_VERIFY_PIN_DIRECT) && has_pinpad(r, CCID_PIN_VERIFY))
		return pin_secure(r, slot, false, tx, tx_len, rx, rx_len, returned);
	if (code == IOCTL_FEATURE(FEATURE_MODIFY_PIN_DIRECT) && has_pinpad(r, CCID_PIN_MODIFY))
		return pin_secure(r, slot, true, tx, tx_len, rx, rx_len, returned);
	if (code == IOCTL_FEATURE(FEATURE_CCID_ESC_COMMAND) && r->escape_allowed) {
		int rc = host_escape(r->host, slot, tx, tx_len, rx, rx_len, &got);
		*returned = rc == CCID_OK ? (DWORD)got : 0;
		return ifd_result(rc);
	}
	ifd_debug("reader %u: control code 0x%lX not supported", r->number, (unsigned long)code);
	return IFD_ERROR_NOT_SUPPORTED;
}
