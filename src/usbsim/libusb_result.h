/* ccidlab — a transport result (ccid/result.h) as a libusb error code:
 * what a libusb of our own returns for what the device model did.  Shared
 * by usbsim and the fuzz targets' libusb (tests/fuzz/fakeusb.c). */
#ifndef CCIDLAB_USBSIM_LIBUSB_RESULT_H
#define CCIDLAB_USBSIM_LIBUSB_RESULT_H

#include <libusb-1.0/libusb.h>

#include "ccid/result.h"

static inline int usbsim_result_to_libusb(int rc)
{
	switch (rc) {
	case CCID_OK:
		return LIBUSB_SUCCESS;
	case CCID_E_TIMEOUT:
		return LIBUSB_ERROR_TIMEOUT;
	case CCID_E_NO_DEVICE:
		return LIBUSB_ERROR_NO_DEVICE;
	case CCID_E_BUFFER:
		return LIBUSB_ERROR_OVERFLOW;
	case CCID_E_UNSUPPORTED:
		return LIBUSB_ERROR_PIPE;	/* a stall */
	default:
		return LIBUSB_ERROR_IO;
	}
}

#endif
