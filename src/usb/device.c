/* ccidlab — the libusb context and the devices ccidlab holds open.
 *
 * pcscd opens one channel per slot and, for a composite device, one
 * reader per CCID interface; all of them share one libusb handle and one
 * reading of the descriptors here.  libccid re-reads its Info.plist and
 * re-enumerates the bus on every channel (libccid-reference.md §7.7):
 * ccidlab enumerates once per new device and never for further slots.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ccid/result.h"
#include "usb/usb_priv.h"

static GMutex reg_lock;
static libusb_context *ctx;
static unsigned ctx_refs;
static GPtrArray *devices;	/* usb_dev *, open ones */

libusb_context *usb_ctx_ref(char *why, size_t why_len)
{
	g_mutex_lock(&reg_lock);
	if (ctx == NULL) {
		int rc = libusb_init(&ctx);
		if (rc != LIBUSB_SUCCESS) {
			snprintf(why, why_len, "libusb_init: %s", libusb_error_name(rc));
			ctx = NULL;
			g_mutex_unlock(&reg_lock);
			return NULL;
		}
		devices = g_ptr_array_new();
	}
	ctx_refs++;
	libusb_context *c = ctx;
	g_mutex_unlock(&reg_lock);
	return c;
}

libusb_context *usb_ctx(void)
{
	g_mutex_lock(&reg_lock);
	libusb_context *c = ctx;
	g_mutex_unlock(&reg_lock);
	return c;
}

void usb_ctx_unref(void)
{
	g_mutex_lock(&reg_lock);
	if (ctx_refs > 0 && --ctx_refs == 0) {
		libusb_exit(ctx);
		ctx = NULL;
		g_ptr_array_free(devices, TRUE);
		devices = NULL;
	}
	g_mutex_unlock(&reg_lock);
}

int usb_result(int rc)
{
	switch (rc) {
	case LIBUSB_SUCCESS:
		return CCID_OK;
	case LIBUSB_ERROR_TIMEOUT:
		return CCID_E_TIMEOUT;
	case LIBUSB_ERROR_NO_DEVICE:
		return CCID_E_NO_DEVICE;
	case LIBUSB_ERROR_OVERFLOW:
		return CCID_E_BUFFER;
	case LIBUSB_ERROR_PIPE:
	case LIBUSB_ERROR_NOT_SUPPORTED:
		return CCID_E_UNSUPPORTED;
	default:
		return CCID_E_TRANSPORT;
	}
}

int usb_dev_check(usb_dev *d, int rc)
{
	if (rc == LIBUSB_ERROR_NO_DEVICE)
		atomic_store(&d->gone, true);
	return rc;
}

/* The handle, the descriptors and the strings, once per device. */
static int dev_open(usb_dev *d, char *why, size_t why_len)
{
	struct libusb_config_descriptor *c = NULL;

	int rc = libusb_get_device_descriptor(d->dev, &d->dd);
	if (rc == LIBUSB_SUCCESS)
		rc = libusb_get_active_config_descriptor(d->dev, &c);
	if (rc != LIBUSB_SUCCESS) {
		snprintf(why, why_len, "bus %u address %u: cannot read its descriptors: %s", d->bus,
			 d->addr, libusb_error_name(rc));
		return usb_result(rc);
	}
	d->config_len = usb_config_raw(c, d->config, sizeof d->config);
	libusb_free_config_descriptor(c);
	if (d->config_len == 0) {
		snprintf(why, why_len, "bus %u address %u: configuration over %d bytes", d->bus,
			 d->addr, USB_CONFIG_MAX);
		return CCID_E_MALFORMED;
	}
	rc = libusb_open(d->dev, &d->h);
	if (rc != LIBUSB_SUCCESS) {
		snprintf(why, why_len, "bus %u address %u: libusb_open: %s%s", d->bus, d->addr,
			 libusb_error_name(rc),
			 rc == LIBUSB_ERROR_ACCESS ? " (pcscd's user may not open /dev/bus/usb)" : "");
		d->h = NULL;
		return usb_result(rc);
	}
	/* A kernel driver (pn533_usb, usbhid...) gives the interface back on
	 * claim and takes it again on release. */
	libusb_set_auto_detach_kernel_driver(d->h, 1);
	usb_dev_read_strings(d);
	return CCID_OK;
}

static usb_dev *find_open(uint8_t bus, uint8_t addr)
{
	for (guint i = 0; devices != NULL && i < devices->len; i++) {
		usb_dev *d = g_ptr_array_index(devices, i);
		if (d->bus == bus && d->addr == addr && !atomic_load(&d->gone))
			return d;
	}
	return NULL;
}

int usb_dev_get(libusb_device *dev, usb_dev **out, char *why, size_t why_len)
{
	uint8_t bus = libusb_get_bus_number(dev), addr = libusb_get_device_address(dev);

	g_mutex_lock(&reg_lock);
	usb_dev *d = find_open(bus, addr);
	if (d != NULL) {
		d->refs++;
		g_mutex_unlock(&reg_lock);
		*out = d;
		return CCID_OK;
	}
	/* Opened under the lock: two readers of one new device must not
	 * open it twice.  Opening is a few control requests, bounded by
	 * libusb's own timeouts. */
	d = g_new0(usb_dev, 1);
	d->bus = bus;
	d->addr = addr;
	d->dev = libusb_ref_device(dev);
	int rc = dev_open(d, why, why_len);
	if (rc != CCID_OK) {
		libusb_unref_device(d->dev);
		g_free(d);
		g_mutex_unlock(&reg_lock);
		return rc;
	}
	d->refs = 1;
	g_ptr_array_add(devices, d);
	g_mutex_unlock(&reg_lock);
	*out = d;
	return CCID_OK;
}

void usb_dev_put(usb_dev *d)
{
	g_mutex_lock(&reg_lock);
	bool last = --d->refs == 0;
	if (last)
		g_ptr_array_remove(devices, d);
	g_mutex_unlock(&reg_lock);
	if (!last)
		return;
	/* libusb_close takes the transfers still in flight out of libusb's
	 * lists (libusb's do_close): only then may they be freed. */
	libusb_close(d->h);
	if (d->orphans != NULL)
		g_ptr_array_free(d->orphans, TRUE);
	libusb_unref_device(d->dev);
	g_free(d);
}

void usb_dev_orphan(usb_dev *d, usb_irq_xfer *x)
{
	g_mutex_lock(&reg_lock);
	if (d->orphans == NULL)
		d->orphans = g_ptr_array_new_with_free_func((GDestroyNotify)usb_irq_xfer_free);
	g_ptr_array_add(d->orphans, x);
	g_mutex_unlock(&reg_lock);
}

int usb_dev_claim(usb_dev *d, int n, char *why, size_t why_len)
{
	if (n < 0 || n > 31) {
		snprintf(why, why_len, "interface %d is out of range", n);
		return CCID_E_INVALID_ARG;
	}
	g_mutex_lock(&reg_lock);
	int rc = (d->claimed & (1u << n)) != 0 ? LIBUSB_ERROR_BUSY
					       : usb_dev_check(d, libusb_claim_interface(d->h, n));
	if (rc == LIBUSB_SUCCESS)
		d->claimed |= 1u << n;
	g_mutex_unlock(&reg_lock);
	if (rc != LIBUSB_SUCCESS) {
		snprintf(why, why_len, "bus %u address %u: claiming interface %d: %s%s", d->bus,
			 d->addr, n, libusb_error_name(rc),
			 rc == LIBUSB_ERROR_BUSY ? " (another program or driver holds it)" : "");
		return usb_result(rc);
	}
	return CCID_OK;
}

void usb_dev_release(usb_dev *d, int n)
{
	g_mutex_lock(&reg_lock);
	if (n >= 0 && n <= 31 && (d->claimed & (1u << n)) != 0) {
		d->claimed &= ~(1u << n);
		if (!atomic_load(&d->gone))
			libusb_release_interface(d->h, n);
	}
	g_mutex_unlock(&reg_lock);
}

bool usb_dev_claimed(const usb_dev *d, int n)
{
	g_mutex_lock(&reg_lock);
	bool c = n >= 0 && n <= 31 && (d->claimed & (1u << n)) != 0;
	g_mutex_unlock(&reg_lock);
	return c;
}
