/* ccidlab — the emulator's error domain: what GError the emulator's
 * parsers and loaders (profiles, the catalogue, card specs, scenarios,
 * faults) set.  Device-free, so that the fault vocabulary (fault.h,
 * usbfault.h) and its users outside the device model share it.
 */
#ifndef CCIDLAB_EMU_ERROR_H
#define CCIDLAB_EMU_ERROR_H

#include <glib.h>

#define EMU_ERROR (emu_error_quark())
GQuark emu_error_quark(void);

typedef enum {
	EMU_ERROR_FAILED,	/* anything else (a state the request does not fit) */
	EMU_ERROR_NOT_FOUND,	/* a profile, file or card kind that is not there */
	EMU_ERROR_PARSE,	/* malformed text: a spec, a row, a fault string */
	EMU_ERROR_UNSUPPORTED,	/* well formed, but not something the emulator does */
} EmuError;

#endif
