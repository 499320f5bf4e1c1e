/* ccidlab — the raw configuration descriptor, rebuilt from libusb's
 * parsed copy.
 *
 * The host engine parses configurations itself (src/ccid/descriptor.c,
 * the same parser the 773 catalogue readers test).  libusb keeps every
 * descriptor it does not parse in the `extra` bytes of the descriptor
 * that precedes it, so writing the parts back in order gives the bytes
 * the device sent, without a GET_DESCRIPTOR request on the wire.
 */
#include "config.h"

#include <string.h>

#include "usb/usb_priv.h"

typedef struct out_buf {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
} out_buf;

static void put(out_buf *o, const void *src, size_t n)
{
	if (n == 0)
		return;
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, src, n);
	o->len += n;
}

static void put_endpoint(out_buf *o, const struct libusb_endpoint_descriptor *e)
{
	uint8_t b[7] = { 7, LIBUSB_DT_ENDPOINT, e->bEndpointAddress, e->bmAttributes,
			 (uint8_t)(e->wMaxPacketSize & 0xFF), (uint8_t)(e->wMaxPacketSize >> 8),
			 e->bInterval };
	put(o, b, sizeof b);
	put(o, e->extra, e->extra_length > 0 ? (size_t)e->extra_length : 0);
}

static void put_altsetting(out_buf *o, const struct libusb_interface_descriptor *a)
{
	uint8_t b[9] = { 9, LIBUSB_DT_INTERFACE, a->bInterfaceNumber, a->bAlternateSetting,
			 a->bNumEndpoints, a->bInterfaceClass, a->bInterfaceSubClass,
			 a->bInterfaceProtocol, a->iInterface };
	put(o, b, sizeof b);
	put(o, a->extra, a->extra_length > 0 ? (size_t)a->extra_length : 0);
	for (unsigned e = 0; e < a->bNumEndpoints; e++)
		put_endpoint(o, &a->endpoint[e]);
}

size_t usb_config_raw(const struct libusb_config_descriptor *c, uint8_t *out, size_t cap)
{
	out_buf o = { .p = out, .cap = cap };
	uint8_t head[9] = { 9, LIBUSB_DT_CONFIG, 0, 0, c->bNumInterfaces, c->bConfigurationValue,
			    c->iConfiguration, c->bmAttributes, c->MaxPower };

	put(&o, head, sizeof head);
	put(&o, c->extra, c->extra_length > 0 ? (size_t)c->extra_length : 0);
	for (unsigned i = 0; i < c->bNumInterfaces; i++)
		for (int a = 0; a < c->interface[i].num_altsetting; a++)
			put_altsetting(&o, &c->interface[i].altsetting[a]);
	if (o.overflow || o.len > 0xFFFF)
		return 0;
	out[2] = (uint8_t)(o.len & 0xFF);	/* wTotalLength of what was rebuilt */
	out[3] = (uint8_t)(o.len >> 8);
	return o.len;
}
