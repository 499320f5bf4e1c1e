/* ccidlab — usbsim: emulated CCID readers behind the libusb-1.0 API
 * (issue 8).  libccidlab-usbsim.so is LD_PRELOADed into a program that
 * links libusb-1.0 (pcscd with Debian's libccid); its libusb_* symbols
 * come first, so the unmodified driver sees the emulated readers of
 * $CCIDLAB_USBSIM as USB devices (config.c documents the syntax).
 *
 * The types are libusb's public ones (<libusb-1.0/libusb.h>); the header
 * only names struct libusb_context, libusb_device and
 * libusb_device_handle, so this file gives them their bodies.
 *
 * Threads: one process-wide GMutex (usbsim_lock) guards the device table,
 * the contexts, reference counts and the transfers' state; it is never
 * held across a transport call or a user callback.
 */
#ifndef CCIDLAB_USBSIM_USBSIM_H
#define CCIDLAB_USBSIM_USBSIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <libusb-1.0/libusb.h>

#include "usbdev/usbdev.h"

/* At most this many emulated devices, and hotplug registrations. */
#define USBSIM_MAX_DEVICES 64u
#define USBSIM_MAX_HOTPLUG 32u
/* libusb's own default for handle_events without a timeout. */
#define USBSIM_EVENTS_TIMEOUT_MS 60000u

/* One emulated USB device (src/usbdev/) on the shim's bus: lives for the
 * whole process (the hardware outlasts libusb_exit), like a reader on
 * the bus. */
typedef struct usbsim_dev {
	usbdev *usb;
	/* composite=ccid: the second CCID function's reader (its usb is
	 * usb->fn2), with a control-plane number of its own; and from it,
	 * the device it belongs to.  A function is not listed by libusb: its
	 * presence, claims and handles are its parent's. */
	struct usbsim_dev *fn2;
	struct usbsim_dev *parent;
	unsigned index;		/* in the table (list order) */
	/* The control plane's reader number: pcscd's, which it gives its
	 * readers in the order their driver opens them; learned at the
	 * device's first claim (ctl.c).  Atomic; -1 before. */
	gint number;
	uint8_t port;
	/* Interfaces claimed through any handle (bit per number), under
	 * usbsim_lock. */
	uint32_t claimed;
	/* Unplugged (the emulator's device-gone fault): leaves the device
	 * list, open fails with LIBUSB_ERROR_NO_DEVICE.  plug.c; atomic. */
	gint gone;
	/* Bumped at every replug: a handle opened before an unplug stays
	 * dead (LIBUSB_ERROR_NO_DEVICE) after the replug, as with libusb,
	 * where the device that comes back is a new one.  Atomic. */
	gint generation;
} usbsim_dev;

struct libusb_device {
	struct libusb_context *ctx;
	usbsim_dev *dev;
	int refs;		/* under usbsim_lock */
};

struct libusb_device_handle {
	struct libusb_device *device;
	int claimed;		/* bitmask of claimed interfaces */
	int generation;		/* the device's at open */
	GList *flying;		/* struct libusb_transfer * in flight; usbsim_lock */
};

struct libusb_context {
	GCond cond;		/* a transfer completed (with usbsim_lock) */
	GQueue done;		/* struct libusb_transfer *: completed, callback not yet run */
	unsigned in_flight;
	struct usbsim_hotplug {
		bool used;
		int handle;
		int events, vendor, product, dev_class;
		libusb_hotplug_callback_fn cb;
		void *user;
	} hotplug[USBSIM_MAX_HOTPLUG];
	int next_hotplug;
	GQueue hotplug_pending;	/* struct usbsim_hotplug_event *, under usbsim_lock */
};

extern GMutex usbsim_lock;

/* core.c: ctx, or the default context for NULL (NULL when there is
 * none); call with usbsim_lock held. */
struct libusb_context *usbsim_context(struct libusb_context *ctx);

/* config.c: the device table, built once from $CCIDLAB_USBSIM. */
size_t usbsim_devices(usbsim_dev ***out);

/* ctl.c: starts the control server at $CCIDLAB_USBSIM_CTL when set;
 * usbsim_ctl_trace passes one bulk message to its trace stream. */
void usbsim_ctl_start(void);
void usbsim_ctl_trace(const usbsim_dev *d, bool in, const uint8_t *buf, size_t len);
void usbsim_ctl_claimed(usbsim_dev *d);

/* plug.c: unplug and replug.  usbsim_plug_start watches the devices'
 * device-gone fault (set and cleared through the control plane or the
 * emulator API) and turns its edges into hotplug LEFT / ARRIVED events
 * for every context; usbsim_plug_set does the same directly. */
void usbsim_plug_start(void);
void usbsim_plug_set(usbsim_dev *d, bool present);
bool usbsim_gone(const usbsim_dev *d);
/* The handle's device was unplugged since it was opened. */
bool usbsim_handle_dead(const struct libusb_device_handle *h);
/* Runs the hotplug callbacks queued for ctx; usbsim_lock held (dropped
 * around each callback). */
void usbsim_hotplug_dispatch_locked(struct libusb_context *ctx);
/* The live contexts (for hotplug delivery); under usbsim_lock. */
extern GList *usbsim_contexts;

/* desc.c */
void usbsim_device_descriptor(const usbsim_dev *d, struct libusb_device_descriptor *out);

/* async.c: what libusb_close does to the handle's transfers in flight
 * (libusb's do_close takes them out of its lists: no callback ever runs
 * for them, and the caller may free them): each is cancelled, its thread
 * waited for, and it is dropped.  usbsim_lock not held. */
void usbsim_transfers_close(struct libusb_device_handle *h);

/* xfer.c: one bulk or interrupt message (usbdev_transfer) in libusb's terms;
 * *cancel, when set, ends an IN wait with LIBUSB_ERROR_INTERRUPTED. */
int usbsim_pipe_transfer(usbsim_dev *d, unsigned char endpoint, unsigned char *data, int length,
			 int *transferred, unsigned timeout, const atomic_bool *cancel);

/* Says, once per name, that a call is not emulated (a message, log.c). */
void usbsim_unsupported(const char *call);
/* log.c: the shim's lines are GLib messages in its domain
 * (G_LOG_DOMAIN "ccidlab-usbsim"): g_message for what went wrong, and
 * this for diagnostics when $CCIDLAB_USBSIM_DEBUG is set.  They go to
 * stderr as "usbsim: ..." lines, unless ccidlab's driver is loaded in the
 * process: it sends every layer's lines to pcscd's log. */
void usbsim_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
