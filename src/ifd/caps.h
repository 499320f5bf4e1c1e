/* ccidlab — capabilities and attributes (caps.c). */
#ifndef CCIDLAB_IFD_CAPS_H
#define CCIDLAB_IFD_CAPS_H

#include <ifdhandler.h>

long ifd_caps_get(unsigned long lun, DWORD Tag, PDWORD Length, PUCHAR Value);
long ifd_caps_set(unsigned long lun, DWORD Tag, DWORD Length, PUCHAR Value);

#endif
