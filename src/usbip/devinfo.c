/* ccidlab — what the USB/IP operations say of an emulated USB device
 * (OP_REP_DEVLIST, OP_REP_IMPORT): its bus id and numbers, speed, ids,
 * device class and the classes of its interfaces, all from the
 * descriptors the device itself gives (usbdev/desc.c).
 */
#include "config.h"

#include <string.h>

#include "usbip/usbip_priv.h"

/* USB speeds as the Linux kernel numbers them (enum usb_device_speed):
 * the emulated devices are full speed (usbdev/desc.c). */
#define SPEED_FULL 2u

void usbip_devinfo_of(const usbdev *d, const char *busid, unsigned bus, unsigned devnum,
		      usbip_devinfo *out)
{
	uint8_t desc[USBDEV_DEVICE_DESC_LEN];

	memset(out, 0, sizeof *out);
	usbdev_device_descriptor(d, desc);
	/* Not a sysfs path: there is no kernel device behind it. */
	g_snprintf(out->path, sizeof out->path, "/ccidlab/usbip/%s/%s", busid, d->name);
	g_strlcpy(out->busid, busid, sizeof out->busid);
	out->busnum = bus;
	out->devnum = devnum;
	out->speed = SPEED_FULL;
	out->idVendor = d->info.idVendor;
	out->idProduct = d->info.idProduct;
	out->bcdDevice = d->info.bcdDevice;
	out->bDeviceClass = desc[4];
	out->bDeviceSubClass = desc[5];
	out->bDeviceProtocol = desc[6];
	out->bConfigurationValue = d->config[5];
	out->bNumConfigurations = desc[17];
	out->bNumInterfaces = (uint8_t)usbdev_interfaces(d, out->interfaces, USBIP_MAX_INTERFACES);
}
