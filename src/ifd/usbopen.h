/* ccidlab — real USB readers opened by their DEVICENAME (usbopen.c). */
#ifndef CCIDLAB_IFD_USBOPEN_H
#define CCIDLAB_IFD_USBOPEN_H

#include "ifd/reader.h"

/* Real USB readers (usbopen.c): src/usb's transport under the host engine.
 * IFD_NO_SUCH_DEVICE when nothing matches the name. */
long ifd_usb_open(ifd_reader *r, const char *devname);

#endif
