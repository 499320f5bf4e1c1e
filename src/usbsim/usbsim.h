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

#include "emu/device.h"
#include "emu/usbfault.h"
#include "host/transport.h"

/* At most this many emulated devices, and hotplug registrations. */
#define USBSIM_MAX_DEVICES 64u
#define USBSIM_MAX_HOTPLUG 32u
/* libusb's own default for handle_events without a timeout. */
#define USBSIM_EVENTS_TIMEOUT_MS 60000u
/* A transfer with timeout 0 (libusb: none) waits in slices of this, so
 * that a cancel or a process exit is seen. */
#define USBSIM_SLICE_MS 250u
/* A NAKing pipe checks for a cancel or an unplug this often. */
#define USBSIM_NAK_STEP_MS 20u
/* USB transfer faults one device holds at once (usbfault.c). */
#define USBSIM_MAX_FAULTS 16u
/* The profile's configuration plus an extra (composite) interface: a
 * HID interface, its HID descriptor and one endpoint. */
#define USBSIM_EXTRA_IFACE_LEN (9u + 9u + 7u)
#define USBSIM_CONFIG_MAX (EMU_PROFILE_CONFIG_DESC_MAX + USBSIM_EXTRA_IFACE_LEN)

/* One emulated USB device: lives for the whole process (the hardware
 * outlasts libusb_exit), like a reader on the bus. */
typedef struct usbsim_dev {
	char name[64];
	unsigned index;		/* in the table (list order) */
	/* The control plane's reader number: pcscd's, which it gives its
	 * readers in the order their driver opens them; learned at the
	 * device's first claim (ctl.c).  Atomic; -1 before. */
	gint number;
	emu_device *emu;
	transport t;
	transport_info info;
	uint8_t config[USBSIM_CONFIG_MAX];
	size_t config_len;
	uint8_t bus, address, port;
	/* The CCID interface's number (the profile's, or 1 behind a
	 * composite device's extra interface 0) and its endpoints (0: none). */
	uint8_t ccid_iface;
	uint8_t ep_bulk_in, ep_bulk_out, ep_interrupt;
	/* composite=hid: an extra HID interface with one interrupt-IN
	 * endpoint that never answers (-1 / 0: none). */
	int extra_iface;
	uint8_t extra_ep;
	/* Interfaces claimed through any handle (bit per number), under
	 * usbsim_lock. */
	uint32_t claimed;
	bool has_serial;
	/* USB transfer faults in effect (usbfault.c), under usbsim_lock. */
	emu_usb_fault faults[USBSIM_MAX_FAULTS];
	size_t n_faults;
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
/* String descriptor index → text ("" when none): 1 manufacturer,
 * 2 product, 3 serial. */
const char *usbsim_string(const usbsim_dev *d, uint8_t index);

/* xfer.c: one bulk or interrupt message on endpoint (the configuration's: its
 * address picks the pipe; LIBUSB_ERROR_NOT_FOUND for another), with the
 * USB faults of that pipe; timeout 0: none (waits in USBSIM_SLICE_MS
 * slices).  *cancel, when set, ends an IN wait with
 * LIBUSB_ERROR_INTERRUPTED. */
int usbsim_pipe_transfer(usbsim_dev *d, unsigned char endpoint, unsigned char *data, int length,
			 int *transferred, unsigned timeout, const atomic_bool *cancel);

/* usbfault.c: the device's USB transfer faults (emu/usbfault.h).
 * usbsim_fault_add refuses a pipe the device lacks (EMU_ERROR_FAILED);
 * a fault of the same kind on the same pipe replaces the old one.
 * usbsim_fault_clear: kind and pipe -1 for any; returns how many went. */
bool usbsim_fault_add(usbsim_dev *d, const emu_usb_fault *f, GError **error);
unsigned usbsim_fault_clear(usbsim_dev *d, int kind, int pipe);
size_t usbsim_fault_list(usbsim_dev *d, emu_usb_fault *out, size_t cap);
/* The faults that act before any data moves (stall, nak, zlp,
 * disconnect) on pipe: true with *rc (a libusb error, or success with
 * *len 0 for a zlp) when one did.  `end` (monotonic µs, 0: none) bounds a
 * NAK; *cancel ends it with LIBUSB_ERROR_INTERRUPTED. */
bool usbsim_fault_before(usbsim_dev *d, emu_usb_pipe pipe, gint64 end,
			 const atomic_bool *cancel, int *rc);
/* The faults that act on a message that arrived (short, babble): may
 * shorten *len or fill the buffer; returns the transfer's libusb result. */
int usbsim_fault_after(usbsim_dev *d, emu_usb_pipe pipe, unsigned char *data, int length,
		       size_t *len);
/* Waits like a NAKing endpoint until `end` (0: for ever), a cancel or an
 * unplug: LIBUSB_ERROR_TIMEOUT, _INTERRUPTED or _NO_DEVICE. */
int usbsim_nak_wait(usbsim_dev *d, gint64 end, const atomic_bool *cancel);
/* desc.c: finds the CCID interface's endpoints in d->config; adds the
 * composite extra interface (composite=hid). */
void usbsim_find_endpoints(usbsim_dev *d);
bool usbsim_add_hid_interface(usbsim_dev *d, GError **error);

/* Says, once per name, that a call is not emulated (a message, log.c). */
void usbsim_unsupported(const char *call);
/* log.c: the shim's lines are GLib messages in its domain
 * (G_LOG_DOMAIN "ccidlab-usbsim"): g_message for what went wrong, and
 * this for diagnostics when $CCIDLAB_USBSIM_DEBUG is set.  They go to
 * stderr as "usbsim: ..." lines, unless ccidlab's driver is loaded in the
 * process: it sends every layer's lines to pcscd's log. */
void usbsim_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
