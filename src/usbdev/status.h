/* ccidlab — a transport result (ccid/result.h) as a USB completion
 * status (usbdev.h: 0 or a negative errno, as urb->status).  Inline and
 * alone so that a libusb of our own (usbsim, the fuzz targets'
 * tests/fuzz/fakeusb.c) maps results without linking usbdev. */
#ifndef CCIDLAB_USBDEV_STATUS_H
#define CCIDLAB_USBDEV_STATUS_H

#include <errno.h>

#include "ccid/result.h"

static inline int usbdev_status_of(int rc)
{
	switch (rc) {
	case CCID_OK:
		return 0;
	case CCID_E_TIMEOUT:
		return -ETIMEDOUT;
	case CCID_E_NO_DEVICE:
		return -ENODEV;
	case CCID_E_BUFFER:
		return -EOVERFLOW;
	case CCID_E_UNSUPPORTED:
		return -EPIPE;	/* a stall */
	default:
		return -EIO;
	}
}

#endif
