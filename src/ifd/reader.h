/* ccidlab — the driver's readers, as pcscd numbers them.
 *
 * One ifd_reader per reader number (Lun >> 16), whatever the order pcscd
 * opens them in; its slots are Lun & 0xFFFF.  A reader owns its host
 * engine (src/host/), and for an emulated reader a reference on the
 * device model.  In event mode a thread reads the interrupt pipe and
 * turns every NotifySlotChange into per-slot reports for pcscd.
 *
 * This header is reader.c's: the files that open a reader (emuspec.c,
 * usbopen.c, null_reader.c), its events (events.c) and its control-server
 * glue (ctl_glue.c) each declare their own functions in their own header.
 */
#ifndef CCIDLAB_IFD_READER_H
#define CCIDLAB_IFD_READER_H

#include <stdbool.h>

#include <glib.h>
#include <ifdhandler.h>

#include "ctl/directory.h"
#include "emu/device.h"
#include "host/host.h"

#define IFD_MAX_READERS 255	/* pcscd asks TAG_IFD_SIMULTANEOUS_ACCESS */

typedef enum ifd_mode {
	IFD_MODE_EVENT,		/* interrupt pipe: pcscd sleeps in our wait */
	IFD_MODE_POLL,		/* pcscd polls IFDHICCPresence every 400 ms */
} ifd_mode;

typedef struct ifd_slot {
	bool open;		/* pcscd has a channel on this slot */
	/* Event mode, under ev_lock: states pcscd has still to see (each a
	 * gboolean present), oldest first; the last state it saw; the sticky
	 * stop; the thread that waits for this slot (it alone consumes). */
	GQueue reports;
	bool reported_present;
	bool stop;
	GThread *waiter;
	/* The head report was shown to the slot's event thread: its next
	 * wait retires it (events.c). */
	bool shown;
	unsigned long changes;	/* NotifySlotChange bits seen, for traces */
} ifd_slot;

typedef struct ifd_reader {
	unsigned number;	/* Lun >> 16 */
	char *devname;
	char *name;		/* for logs and edges */
	ifd_mode mode;
	bool escape_allowed;
	host_reader *host;
	emu_device *emu;	/* NULL for a real reader */
	unsigned n_slots;
	ifd_slot *slots;
	unsigned open_slots;
	bool removed;		/* TAG_IFD_DEVICE_REMOVED was set */
	/* emu:null: answers from the IFD layer itself (null_reader.c). */
	bool null_reader;
	bool null_powered;
	unsigned n_slots_null;
	char *scenario;		/* scenario=FILE: a timeline run from the open */
	emu_timeline *timeline;
	emu_timeline_run *timeline_run;

	GMutex ev_lock;
	GCond ev_cond;
	GThread *irq_thread;
	bool irq_quit;
	/* Real readers, under ev_lock: until then (monotonic µs) the first
	 * NotifySlotChange may be the reader's announcement of the cards it
	 * holds (events.c); 0 once a message came. */
	gint64 announce_until;
	bool gone;		/* the device vanished (CCID_E_NO_DEVICE) */
	bool *polled_present;	/* polling mode, real reader: last answer per slot */
	/* USB readers: bus << 8 | address, SCARD_ATTR_CHANNEL_ID's channel
	 * number; 0 for emulated readers (caps.c). */
	unsigned usb_location;
} ifd_reader;

/* The reader of a Lun, or NULL.  Readers live from the first channel of a
 * number to the close of its last slot; pcscd never calls a Lun after
 * closing it, so the pointer stays valid during the call. */
ifd_reader *ifd_reader_get(unsigned long lun);

/* Opens the slot of lun on `devname`: the reader is made on its first
 * slot (emulated: from the DEVICENAME; later: USB), further slots attach.
 * Returns an IFD_* code and logs the reason of any refusal. */
long ifd_reader_open(unsigned long lun, const char *devname);
long ifd_reader_close(unsigned long lun);

/* A new reference on the device of the open emulated reader called
 * `name`, or NULL (timelines name readers). */
emu_device *ifd_reader_find_emu(const char *name);

/* Calls fill(r, &out[i]) for each open reader, by number, with the table
 * locked; returns how many there are (may exceed cap). */
size_t ifd_reader_foreach_info(void (*fill)(const ifd_reader *r, ctl_reader_info *out),
			       ctl_reader_info *out, size_t cap);

#endif
