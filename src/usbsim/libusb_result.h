/* ccidlab — a USB status (usbdev/usbdev.h: 0 or a negative errno) and a
 * transport result (ccid/result.h) as a libusb error code: what a libusb
 * of our own returns for what the device did.  Shared by usbsim and the
 * fuzz targets' libusb (tests/fuzz/fakeusb.c). */
#ifndef CCIDLAB_USBSIM_LIBUSB_RESULT_H
#define CCIDLAB_USBSIM_LIBUSB_RESULT_H

#include <errno.h>

#include <libusb-1.0/libusb.h>

#include "usbdev/status.h"

static inline int usbsim_status_to_libusb(int status)
{
	switch (status) {
	case 0:
		return LIBUSB_SUCCESS;
	case -ETIMEDOUT:
		return LIBUSB_ERROR_TIMEOUT;
	case -ENODEV:
		return LIBUSB_ERROR_NO_DEVICE;
	case -EOVERFLOW:
		return LIBUSB_ERROR_OVERFLOW;
	case -EPIPE:
		return LIBUSB_ERROR_PIPE;	/* a stall */
	case -ECONNRESET:
		return LIBUSB_ERROR_INTERRUPTED;
	case -ENOENT:
		return LIBUSB_ERROR_NOT_FOUND;
	case -EINVAL:
		return LIBUSB_ERROR_INVALID_PARAM;
	default:
		return LIBUSB_ERROR_IO;
	}
}

static inline int usbsim_result_to_libusb(int rc)
{
	return usbsim_status_to_libusb(usbdev_status_of(rc));
}

#endif
