/* ccidlab — per-reader settings of real USB readers: the configuration
 * file (ccidlab.conf(5)) and the DEVICENAME keys of a reader.conf.d entry.
 *
 * pcscd's hotplug names a reader only by its bus position, so what a
 * tester wants of one reader (polling-only mode, escape, a tighter
 * timeout cap) is keyed by what the reader is: VID:PID, or its serial
 * number.  Later sources win: [usb] < [usb VVVV:PPPP] < [usb serial=S] <
 * the DEVICENAME's own keys.
 */
#ifndef CCIDLAB_IFD_USBCONF_H
#define CCIDLAB_IFD_USBCONF_H

#include <stdbool.h>
#include <stdint.h>

#define USBCONF_KEYS "driver (ccidlab, other), mode (auto, event, poll), escape (true/false), timeout-cap (seconds, 1..3600), name, log (0..15)"
#define USBCONF_DEFAULT_CAP_S 60u	/* one command with all its extensions */

typedef enum usbconf_mode {
	USBCONF_MODE_AUTO,	/* event mode when the reader has an interrupt pipe */
	USBCONF_MODE_EVENT,
	USBCONF_MODE_POLL,
} usbconf_mode;

typedef struct usbconf {
	/* false: driver=other, leave the reader to another driver (pcscd
	 * then starts it with the CCID class driver, libccid). */
	bool claim;
	usbconf_mode mode;
	bool escape;
	unsigned timeout_cap_s;
	char name[64];		/* "" : from the product string */
	int log;		/* -1: unchanged */
	char origin[160];	/* where the settings came from, for the open log */
} usbconf;

/* Settings for the reader vid:pid with `serial`, from the file (a missing
 * file is no error) and then `n_keys` DEVICENAME keys.  false and why on a
 * bad value (naming the file, group and key, or the DEVICENAME key). */
bool usbconf_resolve(uint16_t vid, uint16_t pid, const char *serial, const char *const *keys,
		     const char *const *values, unsigned n_keys, usbconf *out, char *why,
		     unsigned why_len);

#endif
