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
#include "emu/usbfault.h"

#define CTL_NAME_MAX 128
#define CTL_DEVNAME_MAX 257
#define CTL_MAX_SLOTS 256
enum { CTL_SLOT_UNKNOWN = 0, CTL_SLOT_ABSENT, CTL_SLOT_PRESENT };
/* USB transfer faults one reader may hold (usb_fault_list). */
#define CTL_USB_FAULTS_MAX 16
/* Counters one reader may show (ctl_reader_info.counters). */
#define CTL_COUNTERS_MAX 16
#define CTL_COUNTER_NAME_MAX 32

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
	/* The reader's id in the edge log (emu/events.h): the emulated
	 * device's id, or the id under which the driver records what it
	 * observes on a real reader; 0 when it has none. */
	unsigned edge_id;
	/* Real readers: each slot as the driver last saw it (CTL_SLOT_*);
	 * emulated ones are asked through emu. */
	unsigned char slot_state[CTL_MAX_SLOTS];
	/* Readers the driver runs in event mode: per slot, the edges it
	 * queued for pcscd and folded away before pcscd looked (the driver
	 * keeps a slot's last two states, issue 20); listed as "folded". */
	bool has_folded;
	uint64_t folded[CTL_MAX_SLOTS];
	/* The host engine's counters (readers the driver drives itself). */
	bool has_stats;
	struct {
		unsigned commands, time_extensions, wtx, stale_dropped, timeouts, aborts,
			handed_over, max_in_flight;
	} stats;
	/* Counters of the front that shows the reader (usbip: its URBs by
	 * kind), listed as "counters": {name: value}; 0 to CTL_COUNTERS_MAX. */
	size_t n_counters;
	struct {
		char name[CTL_COUNTER_NAME_MAX];
		uint64_t value;
	} counters[CTL_COUNTERS_MAX];
} ctl_reader_info;

typedef struct ctl_directory {
	/* Copies the open readers, by reader number, into out[0..cap);
	 * returns how many there are (may exceed cap).  Any thread; never
	 * blocks on a reader's command. */
	size_t (*list)(void *data, ctl_reader_info *out, size_t cap);
	void *data;

	/* Optional: USB transfer faults (emu/usbfault.h), for readers shown
	 * as USB devices (the usbsim shim); NULL where there are none (the
	 * server then refuses them, naming why).  `emu` is the reader's
	 * device (ctl_reader_info.emu).  usb_fault_set: false with an error
	 * message for a reader that has no such pipe or no room.
	 * usb_fault_clear: kind -1 for every kind; returns how many went.
	 * usb_fault_list: copies the faults in effect; returns how many. */
	bool (*usb_fault_set)(void *data, emu_device *emu, const emu_usb_fault *f,
			      GError **error);
	unsigned (*usb_fault_clear)(void *data, emu_device *emu, int kind);
	size_t (*usb_fault_list)(void *data, emu_device *emu, emu_usb_fault *out, size_t cap);

	/* Optional: readers added and removed while the server runs (the
	 * devices a USB/IP server exports); NULL where the set is fixed (the
	 * server then refuses device-add and device-remove, naming why).
	 * device_add: a new reader from a spec (the front's syntax); its
	 * number in *number.  device_remove: the reader of `emu` goes.  Both
	 * false with an error message the client sees. */
	bool (*device_add)(void *data, const char *spec, unsigned *number, GError **error);
	bool (*device_remove)(void *data, emu_device *emu, GError **error);
} ctl_directory;

static inline void ctl_reader_info_clear(ctl_reader_info *info)
{
	if (info->emu != NULL)
		emu_device_unref(info->emu);
	info->emu = NULL;
}

#endif
