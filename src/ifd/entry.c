/* ccidlab — the IFD handler v3 entry points pcscd binds.
 *
 * These ten functions are the only symbols the driver exports
 * (src/ifd/exports.map).  They find the reader of a Lun, call the host
 * engine, and turn its results into IFD_* codes; nothing else lives here.
 */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>

#include "ifd/caps.h"
#include "ifd/control.h"
#include "ifd/events.h"
#include "ifd/log.h"
#include "ifd/null_reader.h"
#include "ifd/reader.h"
#include "ifd/result.h"

#define LUN_SLOT(lun) ((unsigned)((lun) & 0xFFFF))

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	return ifd_reader_open(Lun, DeviceName);
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	/* pcscd uses this form when an entry has CHANNELID but no DEVICENAME. */
	ifd_error("Lun 0x%lX: CHANNELID 0x%lX refused: ccidlab readers need a DEVICENAME "
		  "(emu:PROFILE[:key=value]... or usb:...)",
		  (unsigned long)Lun, (unsigned long)Channel);
	return IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	return ifd_reader_close(Lun);
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	return ifd_caps_get(Lun, Tag, Length, Value);
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	return ifd_caps_set(Lun, Tag, Length, Value);
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1,
				       UCHAR PTS2, UCHAR PTS3)
{
	ifd_reader *r = ifd_reader_get(Lun);
	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	/* pcscd passes SCARD_PROTOCOL_T0 (1) or SCARD_PROTOCOL_T1 (2). */
	unsigned t = Protocol == SCARD_PROTOCOL_T1 ? 1 : Protocol == SCARD_PROTOCOL_T0 ? 0 : 99;
	if (t == 99 || (r->null_reader && t != 1))
		return IFD_PROTOCOL_NOT_SUPPORTED;
	if (r->null_reader)
		return IFD_SUCCESS;
	int rc = host_slot_set_protocol(r->host, LUN_SLOT(Lun), t);
	if (rc == CCID_E_UNSUPPORTED)
		return IFD_PROTOCOL_NOT_SUPPORTED;
	if (rc != CCID_OK)
		ifd_error("reader %u slot %u: T=%u: %s%s%s", r->number, LUN_SLOT(Lun), t,
			  ccid_result_name(rc), *host_slot_why(r->host, LUN_SLOT(Lun)) ? ": " : "",
			  host_slot_why(r->host, LUN_SLOT(Lun)));
	return ifd_result(rc);
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	ifd_reader *r = ifd_reader_get(Lun);
	unsigned slot = LUN_SLOT(Lun);
	size_t len = 0;
	DWORD cap = AtrLength != NULL ? *AtrLength : 0;

	if (AtrLength != NULL)
		*AtrLength = 0;
	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	if (r->removed)
		return IFD_NO_SUCH_DEVICE;
	if (r->null_reader) {
		if (AtrLength != NULL)
			*AtrLength = cap;
		return ifd_null_power(r, Action, Atr, AtrLength);
	}
	int rc;
	switch (Action) {
	case IFD_POWER_DOWN:
		rc = host_slot_power_off(r->host, slot);
		return rc == CCID_E_NO_DEVICE ? IFD_NO_SUCH_DEVICE :
		       rc == CCID_OK ? IFD_SUCCESS : IFD_ERROR_POWER_ACTION;
	case IFD_POWER_UP:
	case IFD_RESET:
		rc = host_slot_power_on(r->host, slot, Atr, cap, &len);
		if (rc != CCID_OK) {
			ifd_info("reader %u slot %u: power up: %s", r->number, slot,
				 ccid_result_name(rc));
			return rc == CCID_E_NO_DEVICE ? IFD_NO_SUCH_DEVICE : IFD_ERROR_POWER_ACTION;
		}
		*AtrLength = (DWORD)len;
		return IFD_SUCCESS;
	default:
		return IFD_NOT_SUPPORTED;
	}
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
			       DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	ifd_reader *r = ifd_reader_get(Lun);
	size_t got = 0;
	DWORD cap = RxLength != NULL ? *RxLength : 0;

	if (RxLength != NULL)
		*RxLength = 0;
	if (r == NULL || RxLength == NULL || TxBuffer == NULL)
		return IFD_COMMUNICATION_ERROR;
	if (r->removed)
		return IFD_NO_SUCH_DEVICE;
	if (r->null_reader) {
		*RxLength = cap;
		return ifd_null_transmit(TxBuffer, TxLength, RxBuffer, RxLength);
	}
	int rc = host_slot_transmit(r->host, LUN_SLOT(Lun), TxBuffer, TxLength, RxBuffer, cap,
				    &got);
	if (rc != CCID_OK) {
		const char *why = host_slot_why(r->host, LUN_SLOT(Lun));
		/* A refusal is the tester's to read at the default level. */
		if (rc == CCID_E_READER_LIMIT)
			ifd_error("reader %u slot %u: transmit: %s: %s", r->number, LUN_SLOT(Lun),
				  ccid_result_name(rc), why);
		else
			ifd_info("reader %u slot %u: transmit: %s%s%s", r->number, LUN_SLOT(Lun),
				 ccid_result_name(rc), *why ? ": " : "", why);
		return ifd_result(rc);
	}
	*RxLength = (DWORD)got;
	if (RecvPci != NULL)
		RecvPci->Protocol = SendPci.Protocol;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
			 PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	return ifd_control(Lun, dwControlCode, TxBuffer, TxLength, RxBuffer, RxLength,
			   pdwBytesReturned);
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	ifd_reader *r = ifd_reader_get(Lun);
	unsigned slot = LUN_SLOT(Lun);
	ccid_icc_status icc = CCID_ICC_ABSENT;

	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	if (r->removed || r->gone)
		return IFD_NO_SUCH_DEVICE;
	if (r->mode == IFD_MODE_EVENT || r->null_reader) {
		bool present = ifd_events_present(r, slot);
		ifd_periodic("reader %u slot %u: %s (reported)", r->number, slot,
			     present ? "present" : "absent");
		return present ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
	}
	/* Polling-only: ask the device, as pcscd's poll of a real reader does. */
	int rc = host_slot_status(r->host, slot, &icc);
	ifd_periodic("reader %u slot %u: %s", r->number, slot,
		     rc != CCID_OK ? ccid_result_name(rc) : icc == CCID_ICC_ABSENT ? "absent" : "present");
	if (rc == CCID_E_NO_DEVICE) {
		/* Said once, as the interrupt thread says it in event mode. */
		if (!r->gone)
			ifd_error("reader %u: device gone", r->number);
		r->gone = true;
		return IFD_NO_SUCH_DEVICE;
	}
	if (rc != CCID_OK)
		return IFD_COMMUNICATION_ERROR;
	bool present = icc != CCID_ICC_ABSENT;
	if (r->polled_present != NULL && r->polled_present[slot] != present) {
		/* Only this slot's polling thread asks: no lock needed. */
		r->polled_present[slot] = present;
		ifd_observed_edge(r, slot, present);
	}
	return present ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}
