/* ccidlab — a device's strings (iManufacturer, iProduct, iSerialNumber):
 * read within a bound, and made safe to print.
 *
 * The strings come from the device: pcscd's log, the reader names the
 * driver makes, `ccidlab list` and the [usb serial=S] groups of
 * ccidlab.conf all carry them.  A device that puts control bytes there
 * (an escape sequence for a terminal, a newline that forges a log line)
 * gets them escaped as \xNN, and a backslash as \\, so that what is
 * shown is what the device sent, and only printable ASCII (issue 20).
 * Code units past ASCII become '?', as libusb's own ASCII reader does.
 *
 * libusb_get_string_descriptor_ascii waits 1 s per control transfer, two
 * per string: a device that NAKs its control pipe held the open 6 s.  The
 * requests here share one budget, and a timeout ends the reading.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "usb/usb_priv.h"

#define STRING_REQUEST_MS 500	/* one GET_DESCRIPTOR */
#define STRINGS_BUDGET_MS 1500	/* the language table and the three strings */
#define LANGID_EN_US 0x0409u

size_t usb_string_decode(const uint8_t *desc, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	/* USB 2.0 §9.6.7: bLength, bDescriptorType 3, UTF-16LE units. */
	if (len >= 2 && desc[1] == LIBUSB_DT_STRING && desc[0] <= len)
		len = desc[0];
	else
		len = 0;
	for (size_t i = 2; i + 1 < len; i += 2) {
		unsigned u = (unsigned)desc[i] | (unsigned)desc[i + 1] << 8;
		char esc[5];
		if (u >= 0x20 && u < 0x7F && u != '\\')
			snprintf(esc, sizeof esc, "%c", (char)u);
		else if (u == '\\')
			snprintf(esc, sizeof esc, "\\\\");
		else if (u < 0x80)
			snprintf(esc, sizeof esc, "\\x%02X", u);
		else
			snprintf(esc, sizeof esc, "?");
		size_t k = strlen(esc);
		if (n + k >= cap)
			break;	/* an escape is never cut in half */
		memcpy(out + n, esc, k);
		n += k;
	}
	out[n] = '\0';
	return n;
}

/* One string descriptor within what is left of end (monotonic µs):
 * the bytes read, or a libusb error. */
static int get_string(usb_dev *d, uint8_t index, uint16_t langid, uint8_t *buf, size_t cap,
		      gint64 end)
{
	gint64 left = (end - g_get_monotonic_time()) / 1000;
	if (left <= 0)
		return LIBUSB_ERROR_TIMEOUT;
	return usb_dev_check(d, libusb_control_transfer(
				 d->h, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR,
				 (uint16_t)(LIBUSB_DT_STRING << 8 | index), langid, buf,
				 (uint16_t)cap, (unsigned)MIN(left, STRING_REQUEST_MS)));
}

void usb_dev_read_strings(usb_dev *d)
{
	const struct {
		uint8_t index;
		char *out;
		size_t cap;
	} want[] = {
		{ d->dd.iManufacturer, d->manufacturer, sizeof d->manufacturer },
		{ d->dd.iProduct, d->product, sizeof d->product },
		{ d->dd.iSerialNumber, d->serial, sizeof d->serial },
	};
	gint64 end = g_get_monotonic_time() + STRINGS_BUDGET_MS * 1000;
	uint8_t buf[255];

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
		want[i].out[0] = '\0';
	if (d->dd.iManufacturer == 0 && d->dd.iProduct == 0 && d->dd.iSerialNumber == 0)
		return;
	/* The language table (string index 0): the first language. */
	uint16_t langid = LANGID_EN_US;
	int rc = get_string(d, 0, 0, buf, sizeof buf, end);
	if (rc == LIBUSB_ERROR_TIMEOUT || rc == LIBUSB_ERROR_NO_DEVICE)
		return;
	if (rc >= 4 && buf[1] == LIBUSB_DT_STRING)
		langid = (uint16_t)(buf[2] | buf[3] << 8);
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		if (want[i].index == 0)
			continue;
		rc = get_string(d, want[i].index, langid, buf, sizeof buf, end);
		if (rc == LIBUSB_ERROR_TIMEOUT || rc == LIBUSB_ERROR_NO_DEVICE)
			return;	/* a pipe that NAKs will NAK the next ones too */
		if (rc > 0)
			usb_string_decode(buf, (size_t)rc, want[i].out, want[i].cap);
	}
}
