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

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <ifdhandler.h>

#include "ccid/pinmask.h"
#include "ctl/directory.h"
#include "emu/device.h"
#include "host/host.h"

#define IFD_MAX_READERS 255	/* pcscd asks TAG_IFD_SIMULTANEOUS_ACCESS */

typedef enum ifd_mode {
	IFD_MODE_EVENT,		/* interrupt pipe: pcscd sleeps in our wait */
	IFD_MODE_POLL,		/* pcscd polls IFDHICCPresence every 400 ms */
} ifd_mode;

/* States pcscd has still to see, oldest first: the one it was shown
 * (events.c retires it at the slot's next wait), then at most two more.
 * Each differs from the one before it, so the last two say everything a
 * longer run of edges could: "gone and back" or "gone", and the final
 * state (issue 20: a device that floods NotifySlotChange must not grow
 * the driver). */
#define IFD_SLOT_REPORTS 3

typedef struct ifd_slot {
	bool open;		/* pcscd has a channel on this slot */
	/* Event mode, under ev_lock: the states pcscd has still to see; the
	 * last state it saw; the sticky stop; the thread that waits for this
	 * slot (it alone consumes). */
	bool reports[IFD_SLOT_REPORTS];
	unsigned n_reports;
	bool reported_present;
	bool stop;
	GThread *waiter;
	/* The head report was shown to the slot's event thread: its next
	 * wait retires it (events.c). */
	bool shown;
	unsigned long changes;	/* NotifySlotChange bits seen, for traces */
	/* Edges queued for pcscd and folded away before it looked (two per
	 * fold, events.c): pcscd's event counter moves by the edges queued
	 * less these.  Shown in the control socket's list ("folded"), so that
	 * a test can tell a lagging pcscd from a lost edge. */
	uint64_t folded;
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
	/* TAG_IFD_DEVICE_REMOVED was set (pcscd's hotplug thread; read by
	 * the slots' threads). */
	atomic_bool removed;
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
	 * holds (events.c); 0 once a message came.  The window is
	 * announce_ms long from the interrupt thread's first poll. */
	gint64 announce_until;
	unsigned announce_ms;
	/* The device vanished (CCID_E_NO_DEVICE): set by the interrupt thread
	 * or a polling thread, read by all; changes also under ev_lock, for
	 * the waits on ev_cond. */
	atomic_bool gone;
	bool *polled_present;	/* polling mode, real reader: last answer per slot */
	/* USB readers: bus << 8 | address, SCARD_ATTR_CHANNEL_ID's channel
	 * number; 0 for emulated readers (caps.c). */
	unsigned usb_location;
	/* Real readers: where each slot's PIN commands stand, so that traces
	 * leave the PINs out (ctl_glue.c); NULL: shown (emulated readers,
	 * whose PINs are the emulator's, or pin-trace=show). */
	ccid_pinmask *pinmask;
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

/* IFDHCreateChannelByName returns within this, IFDHCloseChannel within
 * the other, whatever the device does (issue 20): pcscd's hotplug and
 * close paths wait for them.  The open's steps share its budget: the
 * USB strings and class requests, the interrupt drain, the first look. */
#define IFD_OPEN_BUDGET_MS 8000
#define IFD_CLOSE_POWER_OFF_MS 500	/* the close's PowerOff, its abort included */

#endif
