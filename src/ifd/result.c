/* ccidlab — ccid_result to IFD_* (STYLE.md rule 8: one table, here). */
#include "config.h"

#include <ifdhandler.h>

#include "ccid/result.h"
#include "ifd/result.h"

long ifd_result(int rc)
{
	switch (rc) {
	case CCID_OK:
		return IFD_SUCCESS;
	case CCID_E_NO_DEVICE:
		return IFD_NO_SUCH_DEVICE;
	case CCID_E_TIMEOUT:
	case CCID_R_PIN_TIMEOUT:
		return IFD_RESPONSE_TIMEOUT;
	case CCID_R_ICC_ABSENT:
		return IFD_ICC_NOT_PRESENT;
	case CCID_E_BUFFER:
		/* Only ever the caller's receive buffer (pcscd: "insufficient
		 * buffer"); a reader that cannot carry a command is below. */
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	case CCID_E_READER_LIMIT:
		/* The reader cannot carry the APDU: nothing was sent, and
		 * IFDHTransmitToICC has no finer code than "communication
		 * error" (the reference driver answers the same for a command
		 * over dwMaxCCIDMessageLength); the log line says why. */
		return IFD_COMMUNICATION_ERROR;
	case CCID_E_PPS:
		return IFD_ERROR_PTS_FAILURE;
	case CCID_E_UNSUPPORTED:
	case CCID_R_CMD_NOT_SUPPORTED:
		return IFD_NOT_SUPPORTED;
	default:
		/* Mute card, parity, bad frames, dead T=1 link...: pcscd has
		 * nothing finer to say to an application. */
		return IFD_COMMUNICATION_ERROR;
	}
}
