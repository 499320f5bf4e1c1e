/* ccidlab — IFDHGetCapabilities / IFDHSetCapabilities: pcscd's tags and
 * the SCARD_ATTR_* values that SCardGetAttrib reads through them.
 *
 * Every value comes from the reader's class descriptor, its identity, the
 * card's ATR and what the protocol choice agreed; nothing is invented.
 * DWORD attributes are 4 bytes, little-endian, as PC/SC part 3 has them.
 */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>
#include <reader.h>

#include "ccid/atr.h"
#include "ifd/caps.h"
#include "ifd/events.h"
#include "ifd/log.h"
#include "ifd/null_reader.h"
#include "ifd/reader.h"

static long put(PDWORD Length, PUCHAR Value, const void *data, size_t n)
{
	if (Length == NULL || Value == NULL || *Length < n) {
		if (Length != NULL)
			*Length = (DWORD)n;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	if (n > 0)
		memcpy(Value, data, n);
	*Length = (DWORD)n;
	return IFD_SUCCESS;
}

static long put_u8(PDWORD Length, PUCHAR Value, uint8_t v)
{
	return put(Length, Value, &v, 1);
}

static long put_u32(PDWORD Length, PUCHAR Value, uint32_t v)
{
	uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return put(Length, Value, le, 4);
}

static long put_str(PDWORD Length, PUCHAR Value, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return IFD_ERROR_TAG;
	return put(Length, Value, s, strlen(s) + 1);
}

static long put_fn(PDWORD Length, PUCHAR Value, void *fn)
{
	return put(Length, Value, &fn, sizeof fn);
}

/* Event mode hands pcscd our wait and stop functions; polling-only mode
 * answers IFD_ERROR_TAG to all three, so pcscd polls (DESIGN.md).  Never
 * killable: the stop function ends a wait cleanly. */
static long polling_tag(bool event, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	if (!event)
		return IFD_ERROR_TAG;
	if (Tag == TAG_IFD_POLLING_THREAD_WITH_TIMEOUT)
		return put_fn(Length, Value, (void *)ifd_events_wait);
	if (Tag == TAG_IFD_STOP_POLLING_THREAD)
		return put_fn(Length, Value, (void *)ifd_events_stop_wait);
	return put_u8(Length, Value, 0);
}

/* The tags pcscd itself asks (pcscd-driver-facts §3.2). */
static long pcscd_tag(ifd_reader *r, unsigned slot, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	const ccid_class_desc *d = &host_reader_interface(r->host)->desc;
	bool event = r->mode == IFD_MODE_EVENT;
	size_t atr_len = 0;
	const uint8_t *atr;

	switch (Tag) {
	case TAG_IFD_SLOTS_NUMBER:
		return put_u8(Length, Value, (uint8_t)r->n_slots);
	case TAG_IFD_SLOT_THREAD_SAFE:
		/* Slots may run side by side only where the reader says so. */
		return put_u8(Length, Value, d->bMaxCCIDBusySlots > 1 ? 1 : 0);
	case TAG_IFD_ATR:
		atr = host_slot_atr(r->host, slot, &atr_len);
		return put(Length, Value, atr, atr_len);
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT:
	case TAG_IFD_STOP_POLLING_THREAD:
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		return polling_tag(event, Tag, Length, Value);
	case TAG_IFD_DEVICE_REMOVED:
		return put_u8(Length, Value, 1);
	default:
		return -1;
	}
}

static uint32_t bcd_version(uint16_t bcd)
{
	/* 0xMMmmbbbb from bcdDevice 0xMMmm (PC/SC part 3). */
	return (uint32_t)bcd << 16;
}

static long vendor_attr(ifd_reader *r, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	const transport_info *info = host_reader_info(r->host);
	const ccid_class_desc *d = &host_reader_interface(r->host)->desc;

	switch (Tag) {
	case SCARD_ATTR_VENDOR_NAME:
		return put_str(Length, Value, info->manufacturer);
	case SCARD_ATTR_VENDOR_IFD_TYPE:
		return put_str(Length, Value, info->product);
	case SCARD_ATTR_VENDOR_IFD_VERSION:
		return put_u32(Length, Value, bcd_version(info->bcdDevice));
	case SCARD_ATTR_VENDOR_IFD_SERIAL_NO:
		return put_str(Length, Value, info->serial);
	case SCARD_ATTR_CHANNEL_ID:
		/* 0xDDDDCCCC: DDDD 0x0020 is USB; CCCC the device (PC/SC part 3):
		 * bus << 8 | address for a USB reader, as libccid has it, so
		 * that both drivers name a device alike; the reader number for
		 * an emulated one, which has no address. */
		return put_u32(Length, Value,
			       0x00200000u | (r->usb_location ? r->usb_location
							      : r->number & 0xFFFF));
	case SCARD_ATTR_ASYNC_PROTOCOL_TYPES:
		return put_u32(Length, Value, d->dwProtocols);
	case SCARD_ATTR_DEFAULT_CLK:
		return put_u32(Length, Value, d->dwDefaultClock);
	case SCARD_ATTR_MAX_CLK:
		return put_u32(Length, Value, d->dwMaximumClock);
	case SCARD_ATTR_DEFAULT_DATA_RATE:
		return put_u32(Length, Value, d->dwDataRate);
	case SCARD_ATTR_MAX_DATA_RATE:
		return put_u32(Length, Value, d->dwMaxDataRate);
	case SCARD_ATTR_MAX_IFSD:
		return put_u32(Length, Value, d->dwMaxIFSD);
	case SCARD_ATTR_MAXINPUT:
		return put_u32(Length, Value, host_reader_interface(r->host)->facts.max_block_payload);
	default:
		return -1;
	}
}

static bool slot_present(ifd_reader *r, unsigned slot)
{
	ccid_icc_status icc = CCID_ICC_ABSENT;

	if (r->mode == IFD_MODE_EVENT)
		return ifd_events_present_peek(r, slot);
	return host_slot_status(r->host, slot, &icc) == CCID_OK && icc != CCID_ICC_ABSENT;
}

/* The card's values: from its ATR and what set_protocol agreed. */
static long card_attr(ifd_reader *r, unsigned slot, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	const ccid_atr *a = host_slot_atr_parsed(r->host, slot);
	const ccid_t1_host *t1 = host_slot_t1(r->host, slot);
	const ccid_class_desc *d = &host_reader_interface(r->host)->desc;
	int proto = host_slot_protocol(r->host, slot);
	uint8_t fidi = host_slot_fidi(r->host, slot);
	size_t atr_len = 0;
	const uint8_t *atr = host_slot_atr(r->host, slot, &atr_len);
	ccid_atr_times times;

	switch (Tag) {
	case SCARD_ATTR_ATR_STRING:
		return atr_len ? put(Length, Value, atr, atr_len) : IFD_ERROR_TAG;
	case SCARD_ATTR_ICC_PRESENCE:
		/* 0 absent, 2 present (PC/SC part 3). */
		return put_u8(Length, Value, slot_present(r, slot) ? 2 : 0);
	case SCARD_ATTR_ICC_INTERFACE_STATUS:
		return put_u8(Length, Value, atr_len ? 1 : 0);
	case SCARD_ATTR_ICC_TYPE_PER_ATR:
		/* 1: ISO 7816 asynchronous card, the only kind a CCID ATR tells. */
		return put_u8(Length, Value, a != NULL ? 1 : 0);
	default:
		break;
	}
	if (a == NULL || proto < 0)
		return IFD_ERROR_TAG;
	switch (Tag) {
	case SCARD_ATTR_CURRENT_PROTOCOL_TYPE:
		return put_u32(Length, Value, proto == 1 ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0);
	case SCARD_ATTR_CURRENT_CLK:
		return put_u32(Length, Value, d->dwDefaultClock);
	case SCARD_ATTR_CURRENT_F:
		return put_u32(Length, Value, ccid_atr_fi(fidi));
	case SCARD_ATTR_CURRENT_D:
		return put_u32(Length, Value, ccid_atr_di(fidi));
	case SCARD_ATTR_CURRENT_N:
		return put_u32(Length, Value, a->n);
	case SCARD_ATTR_CURRENT_W:
		return proto == 0 ? put_u32(Length, Value, a->wi) : IFD_ERROR_TAG;
	default:
		break;
	}
	if (proto != 1 || t1 == NULL)
		return IFD_ERROR_TAG;
	switch (Tag) {
	case SCARD_ATTR_CURRENT_IFSC:
		return put_u32(Length, Value, t1->ifsc);
	case SCARD_ATTR_CURRENT_IFSD:
		return put_u32(Length, Value, t1->ifsd);
	case SCARD_ATTR_CURRENT_EBC_ENCODING:
		return put_u32(Length, Value, a->edc_crc ? 1 : 0);
	case SCARD_ATTR_CURRENT_BWT:
	case SCARD_ATTR_CURRENT_CWT:
		/* In ETU, as ISO 7816-3 §11.4.3 defines them. */
		if (ccid_atr_times_compute(a, fidi, 1, d->dwDefaultClock, &times) != CCID_OK)
			return IFD_ERROR_TAG;
		return put_u32(Length, Value,
			       Tag == SCARD_ATTR_CURRENT_BWT ? times.bwt_etu : times.cwt_etu);
	default:
		return IFD_ERROR_TAG;
	}
}

/* The null reader: one slot, its ATR, the polling tags of its mode. */
static long null_tag(ifd_reader *r, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	bool event = r->mode == IFD_MODE_EVENT;

	switch (Tag) {
	case TAG_IFD_SLOTS_NUMBER:
		return put_u8(Length, Value, 1);
	case TAG_IFD_SLOT_THREAD_SAFE:
		return put_u8(Length, Value, 1);
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING:
		return Length != NULL && Value != NULL ? ifd_null_atr(r, Length, Value)
						      : IFD_ERROR_INSUFFICIENT_BUFFER;
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT:
	case TAG_IFD_STOP_POLLING_THREAD:
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		return polling_tag(event, Tag, Length, Value);
	default:
		return IFD_ERROR_TAG;
	}
}

long ifd_caps_get(unsigned long lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	/* Driver-wide answers, whatever the Lun: pcscd asks them while it
	 * numbers readers, before any channel is open. */
	if (Tag == TAG_IFD_SIMULTANEOUS_ACCESS)
		return put_u8(Length, Value, IFD_MAX_READERS);
	if (Tag == TAG_IFD_THREAD_SAFE)
		return put_u8(Length, Value, 1);
	ifd_reader *r = ifd_reader_get(lun);
	if (r == NULL) {
		if (Length != NULL)
			*Length = 0;
		ifd_error("Lun 0x%lX is not open (tag 0x%lX)", lun, (unsigned long)Tag);
		return IFD_COMMUNICATION_ERROR;
	}
	unsigned slot = (unsigned)(lun & 0xFFFF);
	if (r->null_reader)
		return null_tag(r, Tag, Length, Value);
	long rc = pcscd_tag(r, slot, Tag, Length, Value);
	if (rc < 0)
		rc = vendor_attr(r, Tag, Length, Value);
	if (rc < 0)
		rc = card_attr(r, slot, Tag, Length, Value);
	return rc;
}

long ifd_caps_set(unsigned long lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	ifd_reader *r = ifd_reader_get(lun);

	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	if (Tag == TAG_IFD_DEVICE_REMOVED) {
		/* pcscd says the device is unplugged: no more I/O on it. */
		if (Length >= 1 && Value != NULL && Value[0] != 0) {
			r->removed = true;
			ifd_info("reader %u: removed", r->number);
		}
		return IFD_SUCCESS;
	}
	return IFD_ERROR_TAG;
}
