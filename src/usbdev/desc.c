/* ccidlab — usbdev: the device's descriptors (USB 2.0 §9.6), built from
 * the profile: the device descriptor, the configuration (the profile's
 * raw bytes, plus a composite device's extra interface or second CCID
 * interface), and the string
 * descriptors of its manufacturer, product and serial number.
 */
#include "config.h"

#include <string.h>

#include <linux/usb/ch9.h>

#include "usbdev/usbdev.h"

/* Every emulated device is full speed: its endpoints carry 64-byte
 * packets (emu/profile.c), and so does endpoint 0. */
#define EP0_PACKET 64u
/* USB 2.0 §9.6.7: bLength is one byte, two of them header: 126 UTF-16
 * code units at most. */
#define STRING_MAX_CHARS 126u
/* The one language the strings are in: English (US). */
#define LANGID_EN_US 0x0409u

void usbdev_device_descriptor(const usbdev *d, uint8_t out[USBDEV_DEVICE_DESC_LEN])
{
	const uint8_t raw[USBDEV_DEVICE_DESC_LEN] = {
		USBDEV_DEVICE_DESC_LEN, USB_DT_DEVICE,
		0x00, 0x02,	/* bcdUSB 2.00 */
		0, 0, 0,	/* class, subclass, protocol: per interface */
		EP0_PACKET,
		(uint8_t)d->info.idVendor, (uint8_t)(d->info.idVendor >> 8),
		(uint8_t)d->info.idProduct, (uint8_t)(d->info.idProduct >> 8),
		(uint8_t)d->info.bcdDevice, (uint8_t)(d->info.bcdDevice >> 8),
		d->info.manufacturer[0] != '\0' ? 1 : 0,
		d->info.product[0] != '\0' ? 2 : 0,
		d->has_serial ? 3 : 0,
		1,		/* bNumConfigurations */
	};
	memcpy(out, raw, sizeof raw);
}

const char *usbdev_string(const usbdev *d, uint8_t index)
{
	switch (index) {
	case 1:
		return d->info.manufacturer;
	case 2:
		return d->info.product;
	case 3:
		return d->info.serial;
	default:
		return "";
	}
}

/* A string descriptor: UTF-16LE of the (ASCII) profile string. */
static size_t string_descriptor(const usbdev *d, uint8_t index, uint8_t *buf)
{
	const char *s = usbdev_string(d, index);
	size_t k = strlen(s);

	if (k == 0 || k > STRING_MAX_CHARS)
		return 0;
	buf[0] = (uint8_t)(2 + 2 * k);
	buf[1] = USB_DT_STRING;
	for (size_t i = 0; i < k; i++) {
		buf[2 + 2 * i] = (uint8_t)s[i] < 0x80 ? (uint8_t)s[i] : '?';
		buf[3 + 2 * i] = 0;
	}
	return 2 + 2 * k;
}

int usbdev_get_descriptor(const usbdev *d, uint16_t wValue, uint16_t wIndex, uint8_t *data,
			  uint16_t wLength)
{
	uint8_t buf[2 + 2 * STRING_MAX_CHARS];
	const uint8_t *src = buf;
	size_t n = 0;
	uint8_t type = (uint8_t)(wValue >> 8), index = (uint8_t)wValue;

	G_STATIC_ASSERT(sizeof buf >= USBDEV_DEVICE_DESC_LEN);
	if (type == USB_DT_DEVICE && index == 0) {
		usbdev_device_descriptor(d, buf);
		n = USBDEV_DEVICE_DESC_LEN;
	} else if (type == USB_DT_CONFIG && index == 0) {
		src = d->config;
		n = d->config_len;
	} else if (type == USB_DT_STRING && index == 0) {
		const uint8_t langs[4] = { 4, USB_DT_STRING, (uint8_t)LANGID_EN_US,
					   (uint8_t)(LANGID_EN_US >> 8) };
		memcpy(buf, langs, sizeof langs);
		n = sizeof langs;
	} else if (type == USB_DT_STRING && (wIndex == LANGID_EN_US || wIndex == 0)) {
		/* USB 2.0 §9.6.7: a string in a language the device lacks is a
		 * request error; 0 is taken as the one language (libusb's
		 * get_string_descriptor_ascii asks for the first it lists). */
		n = string_descriptor(d, index, buf);
	}
	/* A device qualifier, other-speed configuration, BOS, another index:
	 * a full-speed USB 2.0 device answers with a request error (USB 2.0
	 * §9.6.2: a full-speed-only device stalls DEVICE_QUALIFIER). */
	if (n == 0)
		return -EPIPE;
	if (n > wLength)
		n = wLength;
	memcpy(data, src, n);
	return (int)n;
}

void usbdev_find_endpoints(usbdev *d)
{
	bool in_ccid = false;

	for (size_t off = 0; off + 2 <= d->config_len;) {
		const uint8_t *p = d->config + off;
		if (p[0] < 2 || off + p[0] > d->config_len)
			break;
		if (p[1] == USB_DT_INTERFACE && p[0] >= USB_DT_INTERFACE_SIZE) {
			in_ccid = p[2] == d->ccid_iface;
		} else if (p[1] == USB_DT_ENDPOINT && p[0] >= USB_DT_ENDPOINT_SIZE && in_ccid) {
			bool in = p[2] & USB_DIR_IN;
			unsigned type = p[3] & USB_ENDPOINT_XFERTYPE_MASK;
			if (type == USB_ENDPOINT_XFER_BULK && in)
				d->ep_bulk_in = p[2];
			else if (type == USB_ENDPOINT_XFER_BULK)
				d->ep_bulk_out = p[2];
			else if (type == USB_ENDPOINT_XFER_INT && in && d->t.ops->interrupt_in != NULL)
				d->ep_interrupt = p[2];
		}
		off += p[0];
	}
}

size_t usbdev_interfaces(const usbdev *d, uint8_t (*out)[3], size_t cap)
{
	size_t n = 0;

	for (size_t off = 0; off + 2 <= d->config_len;) {
		const uint8_t *p = d->config + off;
		if (p[0] < 2 || off + p[0] > d->config_len)
			break;
		/* Alternate settings other than 0 are the same interface. */
		if (p[1] == USB_DT_INTERFACE && p[0] >= USB_DT_INTERFACE_SIZE && p[3] == 0 &&
		    n < cap) {
			out[n][0] = p[5];
			out[n][1] = p[6];
			out[n][2] = p[7];
			n++;
		}
		off += p[0];
	}
	return n;
}

bool usbdev_endpoint_pipe(const usbdev *d, uint8_t ep, int *pipe)
{
	if (ep == 0)
		return false;
	if (ep == d->ep_bulk_in)
		*pipe = EMU_USB_PIPE_BULK_IN;
	else if (ep == d->ep_bulk_out)
		*pipe = EMU_USB_PIPE_BULK_OUT;
	else if (ep == d->ep_interrupt)
		*pipe = EMU_USB_PIPE_INTERRUPT;
	else if (ep == d->extra_ep)
		*pipe = -1;
	else
		return false;
	return true;
}

/* The lowest endpoint number the configuration does not use. */
static uint8_t free_endpoint(const usbdev *d)
{
	for (uint8_t n = 1; n < 16; n++)
		if ((d->ep_bulk_in & 0x0f) != n && (d->ep_bulk_out & 0x0f) != n &&
		    (d->ep_interrupt & 0x0f) != n)
			return n;
	return 0;
}

bool usbdev_add_hid_interface(usbdev *d, GError **error)
{
	uint8_t ep = free_endpoint(d);
	size_t len = d->config_len;

	if (ep == 0 || len + USBDEV_EXTRA_IFACE_LEN > sizeof d->config || len < 9) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "no room for a composite interface");
		return false;
	}
	/* Interface 0, HID class (no boot subclass), one interrupt-IN
	 * endpoint (HID 1.11 §6.2.1: the HID descriptor follows the
	 * interface descriptor, its report descriptor 34 bytes).  The CCID
	 * interface moves to 1 when it was 0, as on composite tokens whose
	 * first interface is a keyboard. */
	const uint8_t hid[USBDEV_EXTRA_IFACE_LEN] = {
		9, USB_DT_INTERFACE, 0, 0, 1, USB_CLASS_HID, 0, 0, 0,
		9, 0x21 /* HID */, 0x11, 0x01, 0, 1, 0x22 /* report */, 34, 0,
		7, USB_DT_ENDPOINT, (uint8_t)(USB_DIR_IN | ep), USB_ENDPOINT_XFER_INT,
		8, 0, 10,
	};
	uint8_t *c = d->config;
	memmove(c + 9 + sizeof hid, c + 9, len - 9);
	memcpy(c + 9, hid, sizeof hid);
	len += sizeof hid;
	c[2] = (uint8_t)len;
	c[3] = (uint8_t)(len >> 8);
	c[4]++;	/* bNumInterfaces */
	if (d->ccid_iface == 0) {
		d->ccid_iface = 1;
		c[9 + sizeof hid + 2] = 1;	/* the CCID interface descriptor follows */
	}
	d->config_len = len;
	d->extra_iface = 0;
	d->extra_ep = (uint8_t)(USB_DIR_IN | ep);
	return true;
}

/* Every endpoint of the second function moves this many numbers up: the
 * profiles use 1..3, so 4..6 (USB 2.0 §9.6.6: 15 per direction). */
#define FN2_EP_SHIFT 3u

bool usbdev_add_ccid_interface(usbdev *d, usbdev *fn, GError **error)
{
	size_t len = d->config_len, add = fn->config_len > 9 ? fn->config_len - 9 : 0;

	if (add == 0 || len < 9 || len + add > sizeof d->config) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "no room for a second CCID interface");
		return false;
	}
	/* The profile's interface, class descriptor and endpoints, after the
	 * device's own: interface number d's count, endpoints renumbered. */
	uint8_t *c = d->config, *o = c + len;
	memcpy(o, fn->config + 9, add);
	for (size_t off = 0; off + 2 <= add && o[off] >= 2;) {
		uint8_t *p = o + off;
		if (p[1] == USB_DT_INTERFACE && p[0] >= USB_DT_INTERFACE_SIZE)
			p[2] = c[4];
		else if (p[1] == USB_DT_ENDPOINT && p[0] >= USB_DT_ENDPOINT_SIZE)
			p[2] = (uint8_t)((p[2] & USB_DIR_IN) | ((p[2] & 0x0fu) + FN2_EP_SHIFT));
		off += p[0];
	}
	fn->ccid_iface = c[4];
	len += add;
	c[2] = (uint8_t)len;
	c[3] = (uint8_t)(len >> 8);
	c[4]++;	/* bNumInterfaces */
	d->config_len = len;
	memcpy(fn->config, d->config, len);
	fn->config_len = len;
	usbdev_find_endpoints(fn);
	return true;
}

usbdev *usbdev_fn_of_endpoint(usbdev *d, uint8_t endpoint)
{
	usbdev *fn = d->fn2;
	if (fn != NULL && endpoint != 0 &&
	    (endpoint == fn->ep_bulk_in || endpoint == fn->ep_bulk_out ||
	     endpoint == fn->ep_interrupt))
		return fn;
	return d;
}

usbdev *usbdev_fn_of_iface(usbdev *d, unsigned iface)
{
	return d->fn2 != NULL && iface == d->fn2->ccid_iface ? d->fn2 : d;
}
