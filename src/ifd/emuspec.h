/* ccidlab — emulated readers: a DEVICENAME "emu:..." made into a device
 * model under the host engine (emuspec.c). */
#ifndef CCIDLAB_IFD_EMUSPEC_H
#define CCIDLAB_IFD_EMUSPEC_H

#include "ifd/reader.h"

/* Emulated readers (emuspec.c): the device, its host engine and mode. */
long ifd_emu_open(ifd_reader *r, const char *devname);
/* Starts the reader's scenario, if it has one (emuspec.c). */
void ifd_emu_start_scenario(ifd_reader *r);

#endif
