/* ccidlab — an emulated reader as a USB device (issue 15): what the two
 * fronts that show src/emu's readers as USB devices share.  The usbsim
 * shim (src/usbsim/) answers the libusb-1.0 API in-process; the USB/IP
 * server (src/usbip/) answers URBs from a kernel's vhci-hcd over TCP.
 * Both need the same device: descriptors built from the profile, the
 * CCID interface's endpoints, the USB transfer faults of emu/usbfault.h
 * on its pipes, whole-message bulk and interrupt transfers over the
 * emulator's transport, and the standard and class requests of endpoint 0.
 *
 * Results are USB completion statuses, as the Linux kernel gives them in
 * urb->status (Documentation/driver-api/usb/error-codes.rst): 0, -EPIPE
 * (a stall), -ETIMEDOUT (the endpoint NAKed until the transfer's
 * timeout), -EOVERFLOW (babble), -EREMOTEIO (a short packet where the
 * transfer asked for none), -ENODEV (the device is gone), -ECONNRESET
 * (the transfer was cancelled / unlinked), -ENOENT (no such endpoint),
 * -EINVAL (a request the caller made wrong), -EIO (anything else).  The
 * USB/IP wire carries them as they are; usbsim maps them to libusb codes.
 *
 * Threads: a usbdev is shared.  Its descriptors and endpoints are fixed
 * once usbdev_new returns; its USB faults are under its own lock; the
 * emulator is thread-safe (emu/device.h).  Transfers on different pipes
 * may run at once; one pipe is used by one thread at a time (its
 * caller's order, as a USB endpoint's queue).
 */
#ifndef CCIDLAB_USBDEV_USBDEV_H
#define CCIDLAB_USBDEV_USBDEV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "emu/device.h"
#include "emu/usbfault.h"
#include "host/transport.h"
#include "usbdev/status.h"

/* USB transfer faults one device holds at once. */
#define USBDEV_MAX_FAULTS 16u
/* The slots a spec may fill (slots=, cardN=). */
#define USBDEV_MAX_SLOTS 8u
/* An IN wait without a timeout goes in slices of this, so that a cancel,
 * an unplug or a fault set meanwhile is seen. */
#define USBDEV_SLICE_MS 250u
/* A NAKing pipe checks for a cancel or an unplug this often. */
#define USBDEV_NAK_STEP_MS 20u
/* The profile's configuration plus an extra (composite) interface: a
 * HID interface, its HID descriptor and one endpoint; or a second copy of
 * the profile's CCID interface (composite=ccid). */
#define USBDEV_EXTRA_IFACE_LEN (9u + 9u + 7u)
#define USBDEV_CONFIG_MAX (2 * EMU_PROFILE_CONFIG_DESC_MAX + USBDEV_EXTRA_IFACE_LEN)
/* USB 2.0 §9.6.1: the device descriptor. */
#define USBDEV_DEVICE_DESC_LEN 18u

typedef struct usbdev usbdev;

/* What the front does for events only it can carry out. */
typedef struct usbdev_hooks {
	/* The disconnect fault struck: the device leaves the bus.  NULL:
	 * the emulator's device-gone fault is set and nothing else. */
	void (*unplug)(usbdev *d, void *data);
	/* One CCID message crossed a bulk pipe (ccidlab trace); may be NULL. */
	void (*trace)(usbdev *d, bool in, const uint8_t *buf, size_t len, void *data);
	void *data;
} usbdev_hooks;

/* Read-only after usbdev_new, except where a comment says otherwise. */
struct usbdev {
	gint refs;
	char name[64];
	emu_device *emu;
	transport t;		/* the emulator's, opened by usbdev_new */
	transport_info info;
	uint8_t config[USBDEV_CONFIG_MAX];
	size_t config_len;
	uint8_t bus, address;	/* the spec's bus= and address=, or the defaults */
	/* The CCID interface's number (the profile's, or 1 behind a
	 * composite device's extra interface 0) and its endpoints (0: none). */
	uint8_t ccid_iface;
	uint8_t ep_bulk_in, ep_bulk_out, ep_interrupt;
	/* composite=hid: an extra HID interface with one interrupt-IN
	 * endpoint that never answers (-1 / 0: none). */
	int extra_iface;
	uint8_t extra_ep;
	/* composite=ccid: the second CCID function (an emulated reader of its
	 * own behind the next interface, with its own endpoints, faults and
	 * name NAME-if1), owned by its device; and from it, that device.  A
	 * function is not a device: its bus, address, presence and hooks are
	 * its parent's. */
	usbdev *fn2;
	usbdev *parent;
	bool has_serial;
	usbdev_hooks hooks;
	/* USB transfer faults in effect, under lock. */
	GMutex lock;
	emu_usb_fault faults[USBDEV_MAX_FAULTS];
	size_t n_faults;
	/* scenario=: the timeline and its run, for the device's life. */
	emu_timeline *timeline;
	emu_timeline_run *run;
};

/* How usbdev_new names a device the spec does not name, and where a
 * scenario finds its readers. */
typedef struct usbdev_opts {
	const char *default_name;
	unsigned default_bus, default_address;
	usbdev_hooks hooks;
	/* scenario=: reader names to devices (emu_timeline_resolver). */
	emu_timeline_resolver resolve;
	void *resolve_data;
} usbdev_opts;

/* ---- usbdev.c: the device from a spec ----
 *
 *   SPEC = PROFILE[:KEY=VALUE...]
 *
 * PROFILE: a built-in name (generic-apdu-irq), a catalogue source
 * (ACR38U-CCID.txt, or ACR122U.txt@2 for its second interface) or a
 * VVVV/PPPP[/IFACE] (hex): ':' separates keys, so the catalogue's own
 * ':' is spelt '@' or '/' here, as in ccidlab's DEVICENAME.
 * KEYs:
 *   card=SPEC     the card of every slot (emu_card spec, "readertest,t1";
 *                 "none": empty).  Default: readertest.
 *   cardN=SPEC    the card of slot N, over card=.
 *   slots=N       bMaxSlotIndex + 1 (1..8).
 *   name=NAME     the device's name in edges and scenarios.
 *   scenario=FILE an emu timeline (src/emu/device.h) started with the
 *                 device; its reader= names are device names.
 *   latch=0|1     emu_device_set_latch.
 *   keypad=SEQ    emu_device_set_keypad.
 *   bus=N, address=N  the USB bus number (0..255) and device address (1..127).
 *   fault=FAULT   a fault in effect from the start (repeatable): a USB
 *                 transfer fault (emu/usbfault.h, "stall/bulk-in@1") or
 *                 an emulator one on the reader ("slow=500@3"); '=' stands
 *                 for the fault's ':' here.
 *   composite=hid an extra HID interface 0 before the CCID interface
 *                 (which becomes 1 if it was 0), that never answers.
 *   composite=ccid a second CCID interface after the first, an emulated
 *                 reader of its own (same profile and cards, named
 *                 NAME-if1), as on dual-interface readers.
 *   manufacturer=S, product=S, serial=S  the device's strings in place of
 *                 the profile's, %XX for any byte (a hostile device's
 *                 control bytes: "Evil%1B[31m"); serial= empty: none.
 * EMU_ERROR naming the bad key or value, or the profile's own error.
 * Catalogue profiles need the catalogue ($CCIDLAB_READERS_TSV or the
 * installed readers.tsv), loaded once per process. */
usbdev *usbdev_new(const char *spec, const usbdev_opts *opts, GError **error);
usbdev *usbdev_ref(usbdev *d);
/* The last reference stops the scenario and releases the emulator. */
void usbdev_unref(usbdev *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(usbdev, usbdev_unref)

/* The emulator's device-gone fault is in effect: the device is off the bus. */
bool usbdev_gone(usbdev *d);
/* Unplugs (hooks.unplug, else the device-gone fault) or plugs back (the
 * fault cleared). */
void usbdev_plug(usbdev *d, bool present);

/* ---- desc.c: descriptors (USB 2.0 §9.6) ---- */

/* The device descriptor, as on the wire. */
void usbdev_device_descriptor(const usbdev *d, uint8_t out[USBDEV_DEVICE_DESC_LEN]);
/* String descriptor index → text ("" when none): 1 manufacturer,
 * 2 product, 3 serial. */
const char *usbdev_string(const usbdev *d, uint8_t index);
/* GET_DESCRIPTOR: device, configuration, string (0: the language
 * table); at most wLength bytes into data.  Returns the length, or -EPIPE
 * (a request error: the device stalls) for any other. */
int usbdev_get_descriptor(const usbdev *d, uint16_t wValue, uint16_t wIndex, uint8_t *data,
			  uint16_t wLength);
/* Finds the CCID interface's endpoints in d->config. */
void usbdev_find_endpoints(usbdev *d);
/* composite=hid. */
bool usbdev_add_hid_interface(usbdev *d, GError **error);
/* composite=ccid: fn's CCID interface (fn->config, its profile's) added
 * to d's configuration as the next interface, its endpoints renumbered;
 * fn then knows its interface number and endpoints. */
bool usbdev_add_ccid_interface(usbdev *d, usbdev *fn, GError **error);
/* The function of d that owns an endpoint address (d itself, or its
 * second CCID function), and the one of an interface number. */
usbdev *usbdev_fn_of_endpoint(usbdev *d, uint8_t endpoint);
usbdev *usbdev_fn_of_iface(usbdev *d, unsigned iface);
/* The interfaces of the configuration, in order: class, subclass,
 * protocol each (at most cap); returns how many. */
size_t usbdev_interfaces(const usbdev *d, uint8_t (*out)[3], size_t cap);
/* The pipe an endpoint address names (-1: the composite extra endpoint,
 * which has no pipe of its own); false when the device has none. */
bool usbdev_endpoint_pipe(const usbdev *d, uint8_t ep, int *pipe);

/* ---- fault.c: USB transfer faults on the pipes (emu/usbfault.h) ----
 *
 * usbdev_fault_add refuses a pipe the device lacks (EMU_ERROR_FAILED); a
 * fault of the same kind on the same pipe replaces the old one.
 * usbdev_fault_clear: kind and pipe -1 for any; returns how many went.
 * usbdev_fault_take: the first fault on pipe whose kind is in the mask
 * (bit per emu_usb_fault_kind), its count spent by one. */
bool usbdev_fault_add(usbdev *d, const emu_usb_fault *f, GError **error);
unsigned usbdev_fault_clear(usbdev *d, int kind, int pipe);
size_t usbdev_fault_list(usbdev *d, emu_usb_fault *out, size_t cap);
bool usbdev_fault_take(usbdev *d, emu_usb_pipe pipe, unsigned kinds, emu_usb_fault *out);
/* A halt (a stall fault without a count) is in effect on the pipe. */
bool usbdev_halted(usbdev *d, emu_usb_pipe pipe);
/* The faults that act before any data moves (stall, nak, zlp,
 * disconnect) on pipe: true with *status when one did (0 with no data
 * for a zlp).  `end` (monotonic µs, 0: none) bounds a NAK; *cancel ends
 * it with -ECONNRESET. */
bool usbdev_fault_before(usbdev *d, emu_usb_pipe pipe, gint64 end, const atomic_bool *cancel,
			 int *status);
/* The faults that act on a message that arrived (short, babble): may
 * shorten *len or fill the buffer up to cap; returns the status. */
int usbdev_fault_after(usbdev *d, emu_usb_pipe pipe, uint8_t *data, size_t cap, size_t *len);
/* The notify fault on the interrupt pipe: true with the message in
 * data[0..*len) when one was taken. */
bool usbdev_fault_notify(usbdev *d, uint8_t *data, size_t cap, size_t *len);
/* Waits like a NAKing endpoint until `end` (0: for ever), a cancel or an
 * unplug: -ETIMEDOUT, -ECONNRESET or -ENODEV. */
int usbdev_nak_wait(usbdev *d, gint64 end, const atomic_bool *cancel);

/* ---- pipe.c: bulk and interrupt transfers ---- */

/* One bulk or interrupt message on endpoint (the configuration's: its
 * address picks the pipe; -ENOENT for another), with the USB faults of
 * that pipe.  timeout_ms 0: none (waits in USBDEV_SLICE_MS slices).
 * *cancel (may be NULL), when set, ends an IN wait with -ECONNRESET. */
int usbdev_transfer(usbdev *d, uint8_t endpoint, uint8_t *data, size_t length, size_t *actual,
		    unsigned timeout_ms, const atomic_bool *cancel);
/* Ends an interrupt-IN wait in progress (a cancel): the emulator's
 * sticky interrupt stop. */
void usbdev_interrupt_stop(usbdev *d);

/* ---- control.c: endpoint 0 ----
 *
 * One control transfer: setup is the 8-byte SETUP packet as on the wire
 * (USB 2.0 §9.3, little-endian fields).  IN requests fill at most
 * wLength bytes of data; OUT requests read wLength bytes from it.
 * Standard requests (USB 2.0 §9.4): GET_STATUS, CLEAR_FEATURE and
 * SET_FEATURE (ENDPOINT_HALT), GET_DESCRIPTOR, GET_CONFIGURATION,
 * SET_CONFIGURATION, GET_INTERFACE, SET_INTERFACE; class requests on the
 * CCID interface go to the emulator (CCID 1.1 §5.3: ABORT,
 * GET_CLOCK_FREQUENCIES, GET_DATA_RATES).  Anything else is a request
 * error: -EPIPE, with *known false.  The control pipe's faults come
 * first; `end` (monotonic µs, 0: none) bounds a NAK. */
int usbdev_control(usbdev *d, const uint8_t setup[8], uint8_t *data, size_t *actual, gint64 end,
		   const atomic_bool *cancel, bool *known);
/* A port reset, as the same device re-enumerates: every halt goes; the
 * reader keeps its cards and their state (as firmware that does not
 * reset its slots on a bus reset). */
void usbdev_reset(usbdev *d);
/* The host went away (a cable pulled, the USB/IP connection lost): the
 * next host meets the reader as after a replug (emu_device_replug) and
 * every halt goes. */
void usbdev_replug(usbdev *d);

#endif
