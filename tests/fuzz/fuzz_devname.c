/* ccidlab — fuzz target: DEVICENAME, as pcscd hands it from reader.conf.d
 * or its hotplug (src/ifd/devname.c), then as the USB layer reads a
 * usb: name (src/usb/name.c) and as ccidlab.conf's keys apply to it
 * (src/ifd/usbconf.c) (issue 20).
 *
 * The input is the name, NUL-terminated at its first NUL.  What parses
 * is checked for the bounds the parsers promise; what does not must say
 * why, in a NUL-terminated line.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ifd/devname.h"
#include "ifd/usbconf.h"
#include "usb/usb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_why(const char *why, size_t cap)
{
	if (memchr(why, '\0', cap) == NULL || why[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *name = g_strndup((const char *)data, size);
	ifd_devname dn;
	char why[512];

	memset(why, 'x', sizeof why);
	if (ifd_devname_parse(name, &dn, why, sizeof why) != 0) {
		check_why(why, sizeof why);
		return 0;
	}
	if (dn.n_params > IFD_DEVNAME_MAX_PARAMS || strlen(dn.text) > IFD_DEVNAME_MAX)
		abort();
	for (size_t i = 0; i < dn.n_params; i++)
		if (dn.params[i].key == NULL || dn.params[i].value == NULL ||
		    ifd_devname_get(&dn, dn.params[i].key) == NULL)
			abort();
	if (dn.scheme != IFD_DEVNAME_USB)
		return 0;
	usb_name un;
	memset(why, 'x', sizeof why);
	if (usb_name_parse(dn.text, &un, why, sizeof why) != 0) {
		check_why(why, sizeof why);
		return 0;
	}
	if (un.n_opts > USB_NAME_MAX_OPTS || un.match.iface > 255)
		abort();
	char desc[256];
	usb_match_describe(&un.match, desc, sizeof desc);
	/* The name's own keys over an empty ccidlab.conf. */
	const char *keys[USB_NAME_MAX_OPTS], *values[USB_NAME_MAX_OPTS];
	for (size_t i = 0; i < un.n_opts; i++) {
		keys[i] = un.opts[i].key;
		values[i] = un.opts[i].value;
	}
	usbconf c;
	memset(why, 'x', sizeof why);
	if (!usbconf_resolve_data("", 0, "ccidlab.conf", 0x1209, 0x0002, "S", keys, values,
				  (unsigned)un.n_opts, &c, why, sizeof why))
		check_why(why, sizeof why);
	else if (c.timeout_cap_s == 0 || c.timeout_cap_s > 3600 || c.log > 15)
		abort();
	return 0;
}
