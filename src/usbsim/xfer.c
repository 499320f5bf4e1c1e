/* ccidlab — usbsim: synchronous transfers, in libusb's terms over the
 * emulated USB device (src/usbdev/): bulk and interrupt messages on the
 * CCID interface's endpoints, and control transfers on endpoint 0 (the
 * standard requests and the CCID class requests).  usbdev gives USB
 * statuses (negative errno values), which libusb_result.h turns into
 * libusb error codes.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usbsim/libusb_result.h"
#include "usbsim/usbsim.h"

void usbsim_unsupported(const char *call)
{
	static GMutex lock;
	static GHashTable *said;

	g_mutex_lock(&lock);
	if (said == NULL)
		said = g_hash_table_new(g_str_hash, g_str_equal);
	bool first = g_hash_table_add(said, (gpointer)call);
	g_mutex_unlock(&lock);
	if (first)
		g_message("%s is not emulated by libccidlab-usbsim (returns "
			  "LIBUSB_ERROR_NOT_SUPPORTED)", call);
}

int usbsim_pipe_transfer(usbsim_dev *d, unsigned char endpoint, unsigned char *data, int length,
			 int *transferred, unsigned timeout, const atomic_bool *cancel)
{
	size_t got = 0;

	if (transferred != NULL)
		*transferred = 0;
	if (length < 0 || (length > 0 && data == NULL))
		return LIBUSB_ERROR_INVALID_PARAM;
	int st = usbdev_transfer(d->usb, endpoint, data, (size_t)length, &got, timeout, cancel);
	if (st != 0)
		usbsim_debug("%s: endpoint 0x%02x: %s", d->usb->name, endpoint, g_strerror(-st));
	if (transferred != NULL)
		*transferred = (int)got;
	return usbsim_status_to_libusb(st);
}

int libusb_bulk_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data,
			 int length, int *transferred, unsigned int timeout)
{
	if (h == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	return usbsim_pipe_transfer(h->device->dev, endpoint, data, length, transferred, timeout,
				    NULL);
}

int libusb_interrupt_transfer(libusb_device_handle *h, unsigned char endpoint,
			      unsigned char *data, int length, int *transferred,
			      unsigned int timeout)
{
	return libusb_bulk_transfer(h, endpoint, data, length, transferred, timeout);
}

int libusb_control_transfer(libusb_device_handle *h, uint8_t bmRequestType, uint8_t bRequest,
			    uint16_t wValue, uint16_t wIndex, unsigned char *data,
			    uint16_t wLength, unsigned int timeout)
{
	if (h == NULL || (wLength > 0 && data == NULL))
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	/* libusb_fill_control_setup's layout: USB 2.0 §9.3, little-endian. */
	const uint8_t setup[8] = { bmRequestType, bRequest, (uint8_t)wValue, (uint8_t)(wValue >> 8),
				   (uint8_t)wIndex, (uint8_t)(wIndex >> 8), (uint8_t)wLength,
				   (uint8_t)(wLength >> 8) };
	gint64 end = g_get_monotonic_time() +
		     (gint64)(timeout ? timeout : USBSIM_EVENTS_TIMEOUT_MS) * 1000;
	size_t got = 0;
	bool known;
	int st = usbdev_control(h->device->dev->usb, setup, data, &got, end, NULL, &known);
	if (!known)
		g_message("control request bmRequestType 0x%02x bRequest 0x%02x wValue 0x%04x "
			  "wIndex 0x%04x is not emulated: stalled",
			  bmRequestType, bRequest, wValue, wIndex);
	return st == 0 ? (int)got : usbsim_status_to_libusb(st);
}
