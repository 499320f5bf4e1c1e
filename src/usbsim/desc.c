/* ccidlab — usbsim: descriptors as libusb gives them.
 *
 * The configuration descriptor is the profile's raw bytes
 * (emu_profile_config_descriptor) parsed the way libusb parses a real
 * device's (config_parse.h), so a profile that puts the CCID class
 * descriptor after the endpoints (some real readers do) shows it in the
 * last endpoint's extra, as on hardware.
 */
#include "config.h"

#include <string.h>

#include "usbsim/config_parse.h"
#include "usbsim/libusb_result.h"
#include "usbsim/usbsim.h"

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
