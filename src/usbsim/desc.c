/* ccidlab — usbsim: descriptors as libusb gives them.
 *
 * The configuration descriptor is the profile's raw bytes
 * (emu_profile_config_descriptor) parsed the way libusb parses a real
 * device's: a descriptor libusb does not know (the CCID class descriptor,
 * type 0x21) goes into the `extra` bytes of the interface or endpoint it
 * follows, so a profile that puts it after the endpoints (some real
 * readers do) shows it in the last endpoint's extra, as on hardware.
 */
#include "config.h"

#include <string.h>

#include "usbsim/libusb_result.h"
#include "usbsim/usbsim.h"

#define DT_CONFIG 0x02
#define DT_INTERFACE 0x04
#define DT_ENDPOINT 0x05
/* Bounds of one emulated configuration (EMU_PROFILE_CONFIG_DESC_MAX is
 * 93 bytes: far fewer descriptors than these). */
#define MAX_INTERFACES 8
#define MAX_ALTS 4
#define MAX_ENDPOINTS 16

void usbsim_device_descriptor(const usbsim_dev *d, struct libusb_device_descriptor *out)
{
	uint8_t raw[USBDEV_DEVICE_DESC_LEN];

	/* The same bytes a control GET_DESCRIPTOR returns, in libusb's
	 * struct (host byte order). */
	usbdev_device_descriptor(d->usb, raw);
	memset(out, 0, sizeof *out);
	out->bLength = raw[0];
	out->bDescriptorType = raw[1];
	out->bcdUSB = (uint16_t)(raw[2] | raw[3] << 8);
	out->bDeviceClass = raw[4];
	out->bDeviceSubClass = raw[5];
	out->bDeviceProtocol = raw[6];
	out->bMaxPacketSize0 = raw[7];
	out->idVendor = (uint16_t)(raw[8] | raw[9] << 8);
	out->idProduct = (uint16_t)(raw[10] | raw[11] << 8);
	out->bcdDevice = (uint16_t)(raw[12] | raw[13] << 8);
	out->iManufacturer = raw[14];
	out->iProduct = raw[15];
	out->iSerialNumber = raw[16];
	out->bNumConfigurations = raw[17];
}

static void add_extra(const unsigned char **extra, int *len, const uint8_t *p, size_t n)
{
	unsigned char *e = g_realloc((void *)*extra, (size_t)*len + n);
	memcpy(e + *len, p, n);
	*extra = e;
	*len += (int)n;
}

static int usbsim_parse_config(const uint8_t *buf, size_t len,
			       struct libusb_config_descriptor **out)
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

int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
	if (dev == NULL || desc == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	usbsim_device_descriptor(dev->dev, desc);
	return LIBUSB_SUCCESS;
}

int libusb_get_active_config_descriptor(libusb_device *dev,
					struct libusb_config_descriptor **config)
{
	if (dev == NULL || config == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	return usbsim_parse_config(dev->dev->usb->config, dev->dev->usb->config_len, config);
}

int libusb_get_config_descriptor(libusb_device *dev, uint8_t config_index,
				 struct libusb_config_descriptor **config)
{
	if (config_index != 0)
		return LIBUSB_ERROR_NOT_FOUND;
	return libusb_get_active_config_descriptor(dev, config);
}

int libusb_get_config_descriptor_by_value(libusb_device *dev, uint8_t value,
					  struct libusb_config_descriptor **config)
{
	if (dev == NULL || dev->dev->usb->config_len < LIBUSB_DT_CONFIG_SIZE ||
	    dev->dev->usb->config[5] != value)
		return LIBUSB_ERROR_NOT_FOUND;
	return libusb_get_active_config_descriptor(dev, config);
}

int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index,
				       unsigned char *data, int length)
{
	if (h == NULL || data == NULL || length <= 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (index == 0)
		return LIBUSB_ERROR_INVALID_PARAM;	/* libusb: index 0 is the language table */
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	/* libusb reads it with GET_DESCRIPTOR on endpoint 0: the control
	 * pipe's faults apply (a 1 s bound, libusb's own). */
	int st;
	usbdev *d = h->device->dev->usb;
	if (usbdev_fault_before(d, EMU_USB_PIPE_CONTROL, g_get_monotonic_time() + G_USEC_PER_SEC,
				NULL, &st))
		return usbsim_status_to_libusb(st);
	const char *s = usbdev_string(d, index);
	if (*s == '\0')
		return LIBUSB_ERROR_PIPE;	/* a real device stalls an unknown index */
	/* libusb replaces non-ASCII with '?'; the profile strings are ASCII. */
	int n = 0;
	for (; s[n] != '\0' && n < length - 1; n++)
		data[n] = (unsigned char)s[n] < 0x80 ? (unsigned char)s[n] : '?';
	data[n] = '\0';
	return n;
}
