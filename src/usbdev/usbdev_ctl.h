/* ccidlab — usbdev and the control plane (ctl/directory.h): the reader
 * entry of an emulated USB device, for the directories of usbsim and
 * usbip. */
#ifndef CCIDLAB_USBDEV_USBDEV_CTL_H
#define CCIDLAB_USBDEV_USBDEV_CTL_H

#include "ctl/directory.h"
#include "usbdev/usbdev.h"

/* Fills r (cleared first) with the device's slots, name, profile, mode
 * ("event" with an interrupt pipe, else "poll"), a reference on its
 * emulator (ctl_reader_info_clear drops it) and its edge id; number and
 * devname are the front's. */
void usbdev_ctl_fill(usbdev *d, ctl_reader_info *r);

#endif
