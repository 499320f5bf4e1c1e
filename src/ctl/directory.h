/* ccidlab — what the control server sees of the driver's readers.
 *
 * The control plane (src/ctl/) knows the socket and the protocol; the
 * driver (src/ifd/) knows pcscd and its readers.  This small interface is
 * all that passes between them: the driver gives the server a directory
 * when it starts it, and the server asks it for the current readers on
 * every request that names one.
 */
#ifndef CCIDLAB_CTL_DIRECTORY_H
#define CCIDLAB_CTL_DIRECTORY_H

#include <stddef.h>

#include "emu/device.h"

#define CTL_NAME_MAX 128
#define CTL_DEVNAME_MAX 257

typedef struct ctl_reader_info {
	unsigned number;		/* pcscd's reader number: Lun >> 16 */
	unsigned n_slots;		/* Luns number << 16 | 0..n_slots-1 */
	char name[CTL_NAME_MAX];	/* the driver's name (name= key, or PROFILE#N) */
	char devname[CTL_DEVNAME_MAX];	/* the DEVICENAME */
	char profile[CTL_NAME_MAX];
	char mode[8];			/* "event" or "poll" */
	/* A reference on the emulated device (NULL for a real reader): the
	 * caller drops it with ctl_reader_info_clear. */
	emu_device *emu;
} ctl_reader_info;

typedef struct ctl_directory {
	/* Copies the open readers, by reader number, into out[0..cap);
	 * returns how many there are (may exceed cap).  Any thread; never
	 * blocks on a reader's command. */
	size_t (*list)(void *data, ctl_reader_info *out, size_t cap);
	void *data;
} ctl_directory;

static inline void ctl_reader_info_clear(ctl_reader_info *info)
{
	if (info->emu != NULL)
		emu_device_unref(info->emu);
	info->emu = NULL;
}

#endif
