/* ccidlab — a tiny libusb-1.0 for the fuzz_usb target: the calls src/usb
 * makes, answered by the malicious device of fuzz_device.h (issue 20).
 *
 * One device on the bus (bus 1, address 2), whose descriptors are the
 * fuzz device's.  Synchronous bulk and control transfers go to the
 * device at once; the asynchronous interrupt transfer is held until
 * libusb_handle_events_timeout_completed runs, which completes it with
 * the device's next interrupt message, its error, a cancel, or the
 * transfer's own timeout, on the virtual clock (vclock.h), and calls its
 * callback on the caller's thread, as libusb does.  libusb_close drops a
 * transfer still held (libusb's do_close).  No real USB, no threads.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libusb-1.0/libusb.h>

#include "ccid/result.h"
#include "fuzz_device.h"
#include "fakeusb.h"
#include "usbsim/config_parse.h"
#include "usbsim/libusb_result.h"
#include "vclock.h"


struct libusb_context {
	int unused;
};

struct libusb_device {
	int refs;
};

struct libusb_device_handle {
	int unused;
};

static fdev *device;		/* the input's, while fuzz_usb runs it */
static struct libusb_context the_ctx;
static struct libusb_device the_dev;
static struct libusb_device_handle the_handle;
static struct libusb_transfer *held;	/* the interrupt transfer submitted */
static bool held_cancel;
static gint64 held_end;		/* its own timeout, virtual µs; 0: none */

void fakeusb_set_device(fdev *d)
{
	device = d;
	held = NULL;
	held_cancel = false;
}

int libusb_init(libusb_context **ctx)
{
	*ctx = &the_ctx;
	return LIBUSB_SUCCESS;
}

void libusb_exit(libusb_context *ctx)
{
	(void)ctx;
}

const char *libusb_error_name(int code)
{
	return code == LIBUSB_SUCCESS ? "LIBUSB_SUCCESS" : "LIBUSB_ERROR";
}

ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	(void)ctx;
	*list = g_new0(libusb_device *, 2);
	(*list)[0] = libusb_ref_device(&the_dev);
	return 1;
}

void libusb_free_device_list(libusb_device **list, int unref)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (unref)
			libusb_unref_device(list[i]);
	g_free(list);
}

libusb_device *libusb_ref_device(libusb_device *dev)
{
	dev->refs++;
	return dev;
}

void libusb_unref_device(libusb_device *dev)
{
	dev->refs--;
}

uint8_t libusb_get_bus_number(libusb_device *dev)
{
	(void)dev;
	return 1;
}

uint8_t libusb_get_device_address(libusb_device *dev)
{
	(void)dev;
	return 2;
}

int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
	transport_info info;

	(void)dev;
	fdev_info(device, &info);
	memset(desc, 0, sizeof *desc);
	desc->bLength = LIBUSB_DT_DEVICE_SIZE;
	desc->bDescriptorType = LIBUSB_DT_DEVICE;
	desc->bcdUSB = 0x0200;
	desc->bMaxPacketSize0 = 64;
	desc->idVendor = info.idVendor;
	desc->idProduct = info.idProduct;
	desc->bcdDevice = info.bcdDevice;
	desc->iManufacturer = 1;
	desc->iProduct = 2;
	desc->iSerialNumber = 3;
	desc->bNumConfigurations = 1;
	return LIBUSB_SUCCESS;
}

/* ---- the configuration, parsed as libusb does (usbsim's parser) ---- */

int libusb_get_active_config_descriptor(libusb_device *dev,
					struct libusb_config_descriptor **config)
{
	uint8_t buf[512];
	size_t len = 0;

	(void)dev;
	if (fdev_config_descriptor(device, buf, sizeof buf, &len) != CCID_OK)
		return LIBUSB_ERROR_IO;
	return usbsim_parse_config(buf, len, config);
}

/* ---- the handle ---- */

int libusb_open(libusb_device *dev, libusb_device_handle **h)
{
	(void)dev;
	if (fdev_gone(device))
		return LIBUSB_ERROR_NO_DEVICE;
	*h = &the_handle;
	return LIBUSB_SUCCESS;
}

void libusb_close(libusb_device_handle *h)
{
	(void)h;
	held = NULL;	/* libusb's do_close: out of its lists, no callback */
}

int libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
	(void)h;
	(void)enable;
	return LIBUSB_SUCCESS;
}

int libusb_claim_interface(libusb_device_handle *h, int n)
{
	(void)h;
	(void)n;
	return fdev_gone(device) ? LIBUSB_ERROR_NO_DEVICE : LIBUSB_SUCCESS;
}

int libusb_release_interface(libusb_device_handle *h, int n)
{
	(void)h;
	(void)n;
	return LIBUSB_SUCCESS;
}

int libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint)
{
	(void)h;
	(void)endpoint;
	return fdev_gone(device) ? LIBUSB_ERROR_NO_DEVICE : LIBUSB_SUCCESS;
}

/* GET_DESCRIPTOR STRING: the language table, then "fuzz" for any index;
 * CCID class requests to the device. */
int libusb_control_transfer(libusb_device_handle *h, uint8_t bmRequestType, uint8_t bRequest,
			    uint16_t wValue, uint16_t wIndex, unsigned char *data,
			    uint16_t wLength, unsigned int timeout)
{
	(void)h;
	(void)wIndex;
	if ((bmRequestType & 0x60) == LIBUSB_REQUEST_TYPE_STANDARD &&
	    bRequest == LIBUSB_REQUEST_GET_DESCRIPTOR) {
		if (fdev_gone(device))
			return LIBUSB_ERROR_NO_DEVICE;
		static const uint8_t langs[4] = { 4, 3, 0x09, 0x04 };
		static const uint8_t name[10] = { 10, 3, 'f', 0, 'u', 0, 'z', 0, 'z', 0 };
		const uint8_t *src = (wValue & 0xFF) == 0 ? langs : name;
		size_t n = MIN((size_t)src[0], (size_t)wLength);
		memcpy(data, src, n);
		return (int)n;
	}
	size_t len = 0;
	bool in = bmRequestType & LIBUSB_ENDPOINT_IN;
	int rc = fdev_control(device, bRequest, wValue, in ? data : NULL, in ? wLength : 0, &len,
			      timeout);
	return rc != CCID_OK ? usbsim_result_to_libusb(rc) : (int)len;
}

int libusb_bulk_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data,
			 int length, int *transferred, unsigned int timeout)
{
	size_t len = 0;
	int rc;

	(void)h;
	*transferred = 0;
	if (endpoint & LIBUSB_ENDPOINT_IN) {
		rc = fdev_bulk_in(device, data, (size_t)length, &len, timeout);
		*transferred = (int)len;
	} else {
		rc = fdev_bulk_out(device, data, (size_t)length, timeout);
		if (rc == CCID_OK)
			*transferred = length;
	}
	return usbsim_result_to_libusb(rc);
}

/* ---- the asynchronous interrupt transfer ---- */

struct libusb_transfer *libusb_alloc_transfer(int iso_packets)
{
	(void)iso_packets;
	return g_new0(struct libusb_transfer, 1);
}

void libusb_free_transfer(struct libusb_transfer *t)
{
	if (t == held)
		abort();	/* libusb: never free a transfer in flight */
	g_free(t);
}

int libusb_submit_transfer(struct libusb_transfer *t)
{
	if (held != NULL)
		return LIBUSB_ERROR_BUSY;
	if (fdev_gone(device))
		return LIBUSB_ERROR_NO_DEVICE;
	held = t;
	held_cancel = false;
	held_end = t->timeout ? vclock_now() + (gint64)t->timeout * 1000 : 0;
	t->actual_length = 0;
	return LIBUSB_SUCCESS;
}

int libusb_cancel_transfer(struct libusb_transfer *t)
{
	if (t != held || held_cancel)
		return LIBUSB_ERROR_NOT_FOUND;
	held_cancel = true;
	return LIBUSB_SUCCESS;
}

static void complete(enum libusb_transfer_status status, int length)
{
	struct libusb_transfer *t = held;
	held = NULL;
	t->status = status;
	t->actual_length = length;
	t->callback(t);
}

int libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv,
					   int *completed)
{
	(void)ctx;
	(void)completed;
	if (held == NULL) {
		vclock_advance_ms((unsigned)(tv->tv_sec * 1000 + tv->tv_usec / 1000));
		return LIBUSB_SUCCESS;
	}
	if (held_cancel) {
		complete(LIBUSB_TRANSFER_CANCELLED, 0);
		return LIBUSB_SUCCESS;
	}
	/* Wait for a message until the caller's time or the transfer's own
	 * timeout, whichever comes first. */
	gint64 now = vclock_now();
	gint64 wait = (gint64)tv->tv_sec * 1000 + tv->tv_usec / 1000;
	if (held_end != 0)
		wait = MIN(wait, (held_end - now) / 1000);
	size_t len = 0;
	int rc = fdev_interrupt_in(device, held->buffer, (size_t)held->length, &len,
				   (unsigned)MAX(wait, 0));
	if (rc == CCID_OK && len > 0)
		complete(LIBUSB_TRANSFER_COMPLETED, (int)len);
	else if (rc == CCID_E_NO_DEVICE)
		complete(LIBUSB_TRANSFER_NO_DEVICE, 0);
	else if (rc == CCID_E_BUFFER)
		complete(LIBUSB_TRANSFER_OVERFLOW, held->length);
	else if (rc == CCID_E_TRANSPORT)
		complete(LIBUSB_TRANSFER_STALL, 0);
	else if (held_end != 0 && vclock_now() >= held_end)
		complete(LIBUSB_TRANSFER_TIMED_OUT, 0);
	return LIBUSB_SUCCESS;
}
