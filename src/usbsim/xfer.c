/* ccidlab — usbsim: synchronous transfers.  The endpoint address picks
 * the pipe, as on a real device: the CCID interface's bulk-OUT, bulk-IN
 * and interrupt-IN go to the emulated reader's pipes, a composite
 * device's extra endpoint NAKs, any other is not found.  Control serves
 * the standard GET_DESCRIPTOR and GET_STATUS requests from the profile
 * and passes class requests on the interface (CCID 1.1 §5.3: ABORT,
 * GET_CLOCK_FREQUENCIES, GET_DATA_RATES) to the emulator.  Every pipe
 * meets its USB transfer faults first (usbfault.c).
 */
#include "config.h"

#include <string.h>

#include "ccid/result.h"
#include "usbsim/usbsim.h"

/* A transport result as a libusb error code. */
static int usbsim_result_to_libusb(int rc)
{
	switch (rc) {
	case CCID_OK:
		return LIBUSB_SUCCESS;
	case CCID_E_TIMEOUT:
		return LIBUSB_ERROR_TIMEOUT;
	case CCID_E_NO_DEVICE:
		return LIBUSB_ERROR_NO_DEVICE;
	case CCID_E_BUFFER:
		return LIBUSB_ERROR_OVERFLOW;
	case CCID_E_UNSUPPORTED:
		return LIBUSB_ERROR_PIPE;	/* a stall */
	default:
		return LIBUSB_ERROR_IO;
	}
}

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

/* The emulator's wait for one IN message, in slices so that a cancel, an
 * unplug or a fault set meanwhile is seen; the faults that act before
 * data moves are taken at every slice. */
static int pipe_in(usbsim_dev *d, emu_usb_pipe pipe, unsigned char *data, int length,
		   size_t *len, unsigned timeout, const atomic_bool *cancel)
{
	bool interrupt = pipe == EMU_USB_PIPE_INTERRUPT;
	gint64 end = timeout ? g_get_monotonic_time() + (gint64)timeout * 1000 : 0;

	for (;;) {
		int rc;
		if (usbsim_fault_before(d, pipe, end, cancel, &rc))
			return rc;
		unsigned slice = USBSIM_SLICE_MS;
		if (end != 0) {
			gint64 left = (end - g_get_monotonic_time()) / 1000;
			if (left <= 0)
				return LIBUSB_ERROR_TIMEOUT;
			slice = (unsigned)MIN(left, (gint64)slice);
		}
		rc = interrupt ? d->t.ops->interrupt_in(d->t.dev, data, (size_t)length, len, slice)
			       : d->t.ops->bulk_in(d->t.dev, data, (size_t)length, len, slice);
		/* interrupt_in's len 0 is a stale stop (transport.h): wait on. */
		if (rc == CCID_OK && (*len > 0 || !interrupt))
			return usbsim_fault_after(d, pipe, data, length, len);
		*len = 0;
		if (rc != CCID_OK && rc != CCID_E_TIMEOUT)
			return usbsim_result_to_libusb(rc);
		if (cancel != NULL && atomic_load(cancel))
			return LIBUSB_ERROR_INTERRUPTED;
	}
}

static int pipe_out(usbsim_dev *d, const unsigned char *data, int length, size_t *len,
		    unsigned timeout, const atomic_bool *cancel)
{
	gint64 end = timeout ? g_get_monotonic_time() + (gint64)timeout * 1000 : 0;
	int rc;

	if (usbsim_fault_before(d, EMU_USB_PIPE_BULK_OUT, end, cancel, &rc))
		return rc;
	rc = d->t.ops->bulk_out(d->t.dev, data, (size_t)length,
				timeout ? timeout : USBSIM_EVENTS_TIMEOUT_MS);
	*len = rc == CCID_OK ? (size_t)length : 0;
	return usbsim_result_to_libusb(rc);
}

/* One whole bulk or interrupt message on the endpoint; timeout 0 is
 * libusb's "none". */
int usbsim_pipe_transfer(usbsim_dev *d, unsigned char endpoint, unsigned char *data, int length,
			 int *transferred, unsigned timeout, const atomic_bool *cancel)
{
	size_t len = 0;
	int rc;

	if (transferred != NULL)
		*transferred = 0;
	if (length < 0 || (length > 0 && data == NULL))
		return LIBUSB_ERROR_INVALID_PARAM;
	if (endpoint == 0 || (endpoint != d->ep_bulk_in && endpoint != d->ep_bulk_out &&
			      endpoint != d->ep_interrupt && endpoint != d->extra_ep))
		return LIBUSB_ERROR_NOT_FOUND;	/* the configuration has no such endpoint */
	if (endpoint == d->extra_ep) {
		/* The composite device's extra interface has no function
		 * behind it: its endpoint NAKs every token. */
		gint64 end = timeout ? g_get_monotonic_time() + (gint64)timeout * 1000 : 0;
		return usbsim_nak_wait(d, end, cancel);
	}
	if (endpoint == d->ep_bulk_out)
		rc = pipe_out(d, data, length, &len, timeout, cancel);
	else
		rc = pipe_in(d, endpoint == d->ep_interrupt ? EMU_USB_PIPE_INTERRUPT
							    : EMU_USB_PIPE_BULK_IN,
			     data, length, &len, timeout, cancel);
	if (transferred != NULL)
		*transferred = (int)len;
	if (rc == LIBUSB_SUCCESS && len > 0 && endpoint != d->ep_interrupt)
		usbsim_ctl_trace(d, endpoint & LIBUSB_ENDPOINT_IN, data, len);
	return rc;
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
	if (h == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	return usbsim_pipe_transfer(h->device->dev, endpoint, data, length, transferred, timeout,
				    NULL);
}

/* GET_DESCRIPTOR (USB 2.0 §9.4.3) from the profile. */
static int get_descriptor(usbsim_dev *d, uint16_t wValue, uint16_t wIndex, unsigned char *data,
			  uint16_t wLength)
{
	uint8_t buf[256];
	size_t n = 0;
	uint8_t type = (uint8_t)(wValue >> 8), index = (uint8_t)wValue;

	if (type == LIBUSB_DT_DEVICE) {
		struct libusb_device_descriptor dd;
		usbsim_device_descriptor(d, &dd);
		uint8_t raw[18] = { 18, 1, (uint8_t)dd.bcdUSB, (uint8_t)(dd.bcdUSB >> 8), 0, 0, 0,
				    dd.bMaxPacketSize0, (uint8_t)dd.idVendor,
				    (uint8_t)(dd.idVendor >> 8), (uint8_t)dd.idProduct,
				    (uint8_t)(dd.idProduct >> 8), (uint8_t)dd.bcdDevice,
				    (uint8_t)(dd.bcdDevice >> 8), dd.iManufacturer, dd.iProduct,
				    dd.iSerialNumber, 1 };
		memcpy(buf, raw, sizeof raw);
		n = sizeof raw;
	} else if (type == LIBUSB_DT_CONFIG && index == 0) {
		memcpy(buf, d->config, d->config_len);
		n = d->config_len;
	} else if (type == LIBUSB_DT_STRING && index == 0) {
		uint8_t langs[4] = { 4, 3, 0x09, 0x04 };	/* English (US) */
		memcpy(buf, langs, sizeof langs);
		n = sizeof langs;
	} else if (type == LIBUSB_DT_STRING) {
		const char *s = usbsim_string(d, index);
		size_t k = strlen(s);
		(void)wIndex;	/* one language */
		if (k == 0 || k > 126)
			return LIBUSB_ERROR_PIPE;
		buf[0] = (uint8_t)(2 + 2 * k);
		buf[1] = LIBUSB_DT_STRING;
		for (size_t i = 0; i < k; i++) {
			buf[2 + 2 * i] = (uint8_t)s[i];
			buf[3 + 2 * i] = 0;
		}
		n = 2 + 2 * k;
	} else {
		return LIBUSB_ERROR_PIPE;
	}
	if (n > wLength)
		n = wLength;
	memcpy(data, buf, n);
	return (int)n;
}

int libusb_control_transfer(libusb_device_handle *h, uint8_t bmRequestType, uint8_t bRequest,
			    uint16_t wValue, uint16_t wIndex, unsigned char *data,
			    uint16_t wLength, unsigned int timeout)
{
	if (h == NULL || (wLength > 0 && data == NULL))
		return LIBUSB_ERROR_INVALID_PARAM;
	usbsim_dev *d = h->device->dev;
	uint8_t type = bmRequestType & 0x60, recipient = bmRequestType & 0x1f;
	bool in = bmRequestType & LIBUSB_ENDPOINT_IN;

	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	int frc;
	gint64 end = g_get_monotonic_time() +
		     (gint64)(timeout ? timeout : USBSIM_EVENTS_TIMEOUT_MS) * 1000;
	if (usbsim_fault_before(d, EMU_USB_PIPE_CONTROL, end, NULL, &frc))
		return frc;

	if (type == LIBUSB_REQUEST_TYPE_STANDARD && in &&
	    bRequest == LIBUSB_REQUEST_GET_DESCRIPTOR)
		return get_descriptor(d, wValue, wIndex, data, wLength);
	if (type == LIBUSB_REQUEST_TYPE_STANDARD && in && bRequest == LIBUSB_REQUEST_GET_STATUS) {
		if (wLength < 2)
			return LIBUSB_ERROR_PIPE;
		data[0] = data[1] = 0;
		return 2;
	}
	if (type == LIBUSB_REQUEST_TYPE_CLASS && recipient == LIBUSB_RECIPIENT_INTERFACE) {
		/* Another interface (a composite device's extra one) has no
		 * function behind it: its class requests stall. */
		if ((wIndex & 0xff) != d->ccid_iface)
			return LIBUSB_ERROR_PIPE;
		size_t len = 0;
		int rc = d->t.ops->control(d->t.dev, bRequest, wValue, in ? data : NULL,
					   in ? wLength : 0, &len,
					   timeout ? timeout : USBSIM_EVENTS_TIMEOUT_MS);
		if (rc != CCID_OK)
			return usbsim_result_to_libusb(rc);
		return in ? (int)len : 0;
	}
	g_message("control request bmRequestType 0x%02x bRequest 0x%02x wValue 0x%04x "
		  "wIndex 0x%04x is not emulated: stalled",
		  bmRequestType, bRequest, wValue, wIndex);
	return LIBUSB_ERROR_PIPE;
}
