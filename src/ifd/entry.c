/* ccidlab — the IFD handler v3 entry points pcscd binds.
 *
 * These ten functions are the only symbols the driver exports
 * (src/ifd/exports.map).  They turn pcscd's calls into reader-layer calls
 * and the results into IFD_* codes; nothing else lives here.
 *
 * This build has no reader model yet (the emulator and the USB transport
 * come later), so every DEVICENAME is refused, each with a log line in
 * pcscd's log that says why, and every per-reader call answers as pcscd
 * expects for a Lun it never opened.
 */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>

#include "ifd/devname.h"
#include "ifd/log.h"

/* pcscd numbers readers of one LIBPATH 0..n-1 and asks this before each
 * new one: answer for the most reader contexts any pcscd can hold. */
#define IFD_MAX_READERS 255

#define LUN_READER(lun) ((unsigned)((lun) >> 16))
#define LUN_SLOT(lun) ((unsigned)((lun) & 0xFFFF))

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	ifd_devname dn;
	char why[256];

	if (ifd_devname_parse(DeviceName, &dn, why, sizeof why) != 0) {
		ifd_error("Lun 0x%lX: DEVICENAME '%s' refused: %s", (unsigned long)Lun,
			  DeviceName ? DeviceName : "(null)", why);
		return IFD_COMMUNICATION_ERROR;
	}
	if (dn.scheme == IFD_DEVNAME_USB) {
		ifd_error("Lun 0x%lX: DEVICENAME '%s' refused: this build has no USB transport",
			  (unsigned long)Lun, DeviceName);
		return IFD_COMMUNICATION_ERROR;
	}
	ifd_error("Lun 0x%lX: DEVICENAME '%s' refused: this build has no reader emulator",
		  (unsigned long)Lun, DeviceName);
	return IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	/* pcscd uses this form when an entry has CHANNELID but no DEVICENAME. */
	ifd_error("Lun 0x%lX: CHANNELID 0x%lX refused: ccidlab readers need a DEVICENAME "
		  "(emu:PROFILE[:key=value]... or usb:...)",
		  (unsigned long)Lun, (unsigned long)Channel);
	return IFD_COMMUNICATION_ERROR;
}

static RESPONSECODE unknown_lun(const char *func, DWORD Lun)
{
	ifd_log(IFD_LOG_ERROR, func, "Lun 0x%lX (reader %u slot %u) is not open", (unsigned long)Lun,
		LUN_READER(Lun), LUN_SLOT(Lun));
	return IFD_COMMUNICATION_ERROR;
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	return unknown_lun(__func__, Lun);
}

static RESPONSECODE put_byte(PDWORD Length, PUCHAR Value, UCHAR b)
{
	if (Length == NULL || Value == NULL || *Length < 1)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	Value[0] = b;
	*Length = 1;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	/* Driver-wide answers, whatever the Lun: pcscd asks them while it
	 * numbers readers, before any channel is open. */
	switch (Tag) {
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		return put_byte(Length, Value, IFD_MAX_READERS);
	case TAG_IFD_THREAD_SAFE:
		return put_byte(Length, Value, 1);
	default:
		break;
	}
	if (Length != NULL)
		*Length = 0;
	return unknown_lun(__func__, Lun);
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	return unknown_lun(__func__, Lun);
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1,
				       UCHAR PTS2, UCHAR PTS3)
{
	return unknown_lun(__func__, Lun);
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	if (AtrLength != NULL)
		*AtrLength = 0;
	unknown_lun(__func__, Lun);
	return IFD_ERROR_POWER_ACTION;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer,
			       DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength,
			       PSCARD_IO_HEADER RecvPci)
{
	if (RxLength != NULL)
		*RxLength = 0;
	return unknown_lun(__func__, Lun);
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength,
			 PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	if (pdwBytesReturned != NULL)
		*pdwBytesReturned = 0;
	return unknown_lun(__func__, Lun);
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	return unknown_lun(__func__, Lun);
}
