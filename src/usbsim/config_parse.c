/* ccidlab — configuration descriptors parsed as libusb does (see
 * config_parse.h). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "usbsim/config_parse.h"

#define DT_CONFIG 0x02
#define DT_INTERFACE 0x04
#define DT_ENDPOINT 0x05
/* Bounds of one configuration (an emulated one is at most 93 bytes, a
 * fuzz device's 512: far fewer descriptors than these). */
#define MAX_INTERFACES 8
#define MAX_ALTS 4
#define MAX_ENDPOINTS 16

static void add_extra(const unsigned char **extra, int *len, const uint8_t *p, size_t n)
{
	unsigned char *e = g_realloc((void *)*extra, (size_t)*len + n);
	memcpy(e + *len, p, n);
	*extra = e;
	*len += (int)n;
}

int usbsim_parse_config(const uint8_t *buf, size_t len, struct libusb_config_descriptor **out)
{
	if (len < LIBUSB_DT_CONFIG_SIZE || buf[1] != DT_CONFIG)
		return LIBUSB_ERROR_IO;
	struct libusb_config_descriptor *c = g_new0(struct libusb_config_descriptor, 1);
	struct libusb_interface *ifs = g_new0(struct libusb_interface, MAX_INTERFACES);
	c->bLength = buf[0];
	c->bDescriptorType = buf[1];
	c->wTotalLength = (uint16_t)(buf[2] | buf[3] << 8);
	c->bConfigurationValue = buf[5];
	c->iConfiguration = buf[6];
	c->bmAttributes = buf[7];
	c->MaxPower = buf[8];
	c->interface = ifs;

	struct libusb_interface_descriptor *alt = NULL;
	struct libusb_endpoint_descriptor *ep = NULL;
	for (size_t off = buf[0]; off + 2 <= len;) {
		const uint8_t *p = buf + off;
		size_t n = p[0];
		if (n < 2 || off + n > len)
			break;	/* libusb stops at a malformed descriptor, too */
		if (p[1] == DT_INTERFACE && n >= LIBUSB_DT_INTERFACE_SIZE) {
			struct libusb_interface *itf;
			if (p[3] == 0 || c->bNumInterfaces == 0) {
				if (c->bNumInterfaces == MAX_INTERFACES)
					break;
				itf = &ifs[c->bNumInterfaces++];
				itf->altsetting = g_new0(struct libusb_interface_descriptor, MAX_ALTS);
			} else {
				itf = &ifs[c->bNumInterfaces - 1];
			}
			if (itf->num_altsetting == MAX_ALTS)
				break;
			alt = (struct libusb_interface_descriptor *)&itf->altsetting[itf->num_altsetting++];
			alt->bLength = p[0];
			alt->bDescriptorType = p[1];
			alt->bInterfaceNumber = p[2];
			alt->bAlternateSetting = p[3];
			alt->bNumEndpoints = 0;	/* counted below, as parsed */
			alt->bInterfaceClass = p[5];
			alt->bInterfaceSubClass = p[6];
			alt->bInterfaceProtocol = p[7];
			alt->iInterface = p[8];
			alt->endpoint = g_new0(struct libusb_endpoint_descriptor, MAX_ENDPOINTS);
			ep = NULL;
		} else if (p[1] == DT_ENDPOINT && n >= LIBUSB_DT_ENDPOINT_SIZE && alt != NULL &&
			   alt->bNumEndpoints < MAX_ENDPOINTS) {
			ep = (struct libusb_endpoint_descriptor *)&alt->endpoint[alt->bNumEndpoints++];
			ep->bLength = p[0];
			ep->bDescriptorType = p[1];
			ep->bEndpointAddress = p[2];
			ep->bmAttributes = p[3];
			ep->wMaxPacketSize = (uint16_t)(p[4] | p[5] << 8);
			ep->bInterval = p[6];
		} else if (ep != NULL) {
			add_extra(&ep->extra, &ep->extra_length, p, n);
		} else if (alt != NULL) {
			add_extra(&alt->extra, &alt->extra_length, p, n);
		} else {
			add_extra(&c->extra, &c->extra_length, p, n);
		}
		off += n;
	}
	*out = c;
	return LIBUSB_SUCCESS;
}

void libusb_free_config_descriptor(struct libusb_config_descriptor *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &c->interface[i];
		for (int a = 0; a < itf->num_altsetting; a++) {
			const struct libusb_interface_descriptor *alt = &itf->altsetting[a];
			for (int e = 0; e < alt->bNumEndpoints; e++)
				g_free((void *)alt->endpoint[e].extra);
			g_free((void *)alt->endpoint);
			g_free((void *)alt->extra);
		}
		g_free((void *)itf->altsetting);
	}
	g_free((void *)c->interface);
	g_free((void *)c->extra);
	g_free(c);
}

