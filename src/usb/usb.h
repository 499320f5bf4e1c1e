/* ccidlab — real USB CCID readers through libusb-1.0 (issue 9).
 *
 * This layer is the only one that knows libusb.  It turns a device name
 * (the forms pcscd gives, or a reader.conf.d entry) into a `transport`
 * (src/host/transport.h) over one CCID interface of one USB device; the
 * host engine above it does everything CCID.
 *
 * Devices are shared: the interfaces (readers) of one device hold one
 * libusb handle and one copy of its descriptors by reference count, and
 * LIBUSB_ERROR_NO_DEVICE seen on any of them fails all of them at once.
 */
#ifndef CCIDLAB_USB_USB_H
#define CCIDLAB_USB_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/transport.h"

#define USB_NAME_MAX 256
#define USB_NAME_MAX_OPTS 16
#define USB_SERIAL_MAX 64

/* The forms of a device name (ccidlab-devicename(5)). */
typedef enum usb_name_form {
	USB_NAME_PLAIN,		/* usb:VVVV/PPPP[:key=value]...  (reader.conf.d) */
	USB_NAME_LIBUDEV,	/* usb:VVVV/PPPP:libudev:IF:/dev/bus/usb/BBB/DDD */
	USB_NAME_LIBUSB,	/* usb:VVVV/PPPP:libusb-1.0:BUS:ADDR:IF */
} usb_name_form;

/* What a name asks for; -1 (or an empty serial) matches anything. */
typedef struct usb_match {
	uint16_t vid, pid;
	int bus, addr;
	int iface;
	char serial[USB_SERIAL_MAX];
} usb_match;

typedef struct usb_name {
	usb_name_form form;
	usb_match match;
	/* key=value fields of the plain form other than serial= and
	 * interface= (mode=, escape=...: the driver's business). */
	size_t n_opts;
	struct {
		const char *key;
		const char *value;
	} opts[USB_NAME_MAX_OPTS];
	char buf[USB_NAME_MAX + 1];
} usb_name;

/* Parses a "usb:..." device name.  On failure returns -1 and writes why,
 * naming the bad field and the forms that are valid. */
int usb_name_parse(const char *devname, usb_name *out, char *why, size_t why_len);
/* The value of an option, or NULL. */
const char *usb_name_opt(const usb_name *n, const char *key);
/* "1209/0002 bus 1 address 3 interface 0 serial X": what a match asks
 * for, for logs. */
void usb_match_describe(const usb_match *m, char *out, size_t out_len);

/* Opens the CCID interface `m` names on the first device that matches it
 * and whose interface ccidlab has not claimed yet, as a transport (closed
 * with its close member).  Claims only that interface.  Results:
 * CCID_OK; CCID_E_NO_DEVICE when nothing matches (why says what was
 * looked for and lists what was found); CCID_E_UNSUPPORTED when the named
 * interface is not a CCID one, or is ICCD; CCID_E_TRANSPORT when libusb
 * refuses (why says which call and why). */
int usb_transport_open(const usb_match *m, transport *out, char *why, size_t why_len);

/* bus << 8 | address of the transport's device; 0 when t is not a USB
 * transport. */
unsigned usb_transport_location(const transport *t);

#endif
