/* ccidlab — a configuration descriptor's bytes parsed into libusb's
 * structures, the way libusb parses a real device's (USB 2.0 §9.6.3): a
 * descriptor libusb does not know (the CCID class descriptor, type 0x21)
 * goes into the `extra` bytes of the interface or endpoint it follows.
 * usbsim's devices and the fuzz targets' libusb (tests/fuzz/fakeusb.c)
 * both answer libusb_get_*_config_descriptor with it, and free with its
 * libusb_free_config_descriptor. */
#ifndef CCIDLAB_USBSIM_CONFIG_PARSE_H
#define CCIDLAB_USBSIM_CONFIG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <libusb-1.0/libusb.h>

/* LIBUSB_SUCCESS with *out set, or LIBUSB_ERROR_IO when BUF is no
 * configuration descriptor.  Parsing stops at the first malformed
 * descriptor, as libusb's does. */
int usbsim_parse_config(const uint8_t *buf, size_t len, struct libusb_config_descriptor **out);

#endif
