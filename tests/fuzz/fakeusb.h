/* ccidlab — the fuzz_usb target's libusb-1.0 (fakeusb.c): the one device
 * on its bus is the fuzz device set here, until the next input. */
#ifndef CCIDLAB_FUZZ_FAKEUSB_H
#define CCIDLAB_FUZZ_FAKEUSB_H

#include "fuzz_device.h"

void fakeusb_set_device(fdev *d);

#endif
