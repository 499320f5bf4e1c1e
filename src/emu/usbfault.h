/* ccidlab — USB transfer faults of an emulated reader (issue 8): what the
 * USB device itself does wrong on one of its pipes, below the CCID
 * messages (fault.h holds the CCID-level faults).  Only a front that
 * shows the emulated reader as a USB device can commit them:
 * src/usbdev/fault.c applies them for both, the usbsim shim (as libusb
 * results) and the USB/IP server (as URB statuses); doc/usbsim.md and
 * ccidlab-usbip(1) document them.  This header holds their description
 * and string form, shared by the fronts' device specs and the control
 * plane.
 *
 * String form:
 *     kind[/pipe][:arg][@count]
 * e.g. "stall/bulk-in@1", "short/bulk-in:5@1", "disconnect/interrupt:200".
 * '=' may stand for ':' (CCIDLAB_USBSIM, where ':' separates keys).
 * pipe: bulk-in (default), bulk-out, interrupt, control; each kind names
 * the pipes it applies to.  count: how many transfers the fault hits
 * before it clears itself; without it the fault stays until cleared (a
 * stall also until libusb_clear_halt on its endpoint).
 */
#ifndef CCIDLAB_EMU_USBFAULT_H
#define CCIDLAB_EMU_USBFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "emu/error.h"

typedef enum emu_usb_fault_kind {
	/* The endpoint halts: LIBUSB_ERROR_PIPE (async: STALL), no data
	 * moves; a halt stays until libusb_clear_halt (or count runs out). */
	EMU_USB_FAULT_STALL = 0,	/* "stall" */
	/* The endpoint NAKs: the transfer ends with LIBUSB_ERROR_TIMEOUT
	 * after its own timeout (none: when cancelled); no data moves. */
	EMU_USB_FAULT_NAK,		/* "nak" */
	/* The IN transfer ends after arg bytes (default 5) with a short
	 * packet: success, actual_length arg; the rest of the message is
	 * lost. */
	EMU_USB_FAULT_SHORT,		/* "short[:bytes]" */
	/* The IN transfer completes with a zero-length packet: success,
	 * actual_length 0; the message stays queued for the next one. */
	EMU_USB_FAULT_ZLP,		/* "zlp" */
	/* Babble: the device sends more than the buffer holds:
	 * LIBUSB_ERROR_OVERFLOW (async: OVERFLOW), actual_length = the
	 * buffer's length (the message, then filler); the message is lost. */
	EMU_USB_FAULT_BABBLE,		/* "babble" */
	/* The device vanishes arg ms (default 100) into the transfer: it
	 * ends with LIBUSB_ERROR_NO_DEVICE (async: NO_DEVICE) and the whole
	 * device is unplugged (hotplug LEFT) until `fault clear`. */
	EMU_USB_FAULT_DISCONNECT,	/* "disconnect[:ms]" */
	/* Interrupt pipe only.  The IN transfer completes at once with a
	 * NotifySlotChange that sets every slot's changed bit, its present
	 * bit as the slot is, though nothing moved: a chattering or hostile
	 * device (issue 20).  count: that many messages, back to back. */
	EMU_USB_FAULT_NOTIFY,		/* "notify" */
	EMU_USB_FAULT_KIND_COUNT
} emu_usb_fault_kind;

typedef enum emu_usb_pipe {
	EMU_USB_PIPE_BULK_IN = 0,	/* "bulk-in" */
	EMU_USB_PIPE_BULK_OUT,		/* "bulk-out" */
	EMU_USB_PIPE_INTERRUPT,		/* "interrupt" (interrupt-IN) */
	EMU_USB_PIPE_CONTROL,		/* "control" (endpoint 0) */
	EMU_USB_PIPE_COUNT
} emu_usb_pipe;

typedef struct emu_usb_fault {
	emu_usb_fault_kind kind;
	emu_usb_pipe pipe;
	bool has_arg;		/* false: the kind's default */
	uint32_t arg;
	unsigned count;		/* transfers left; 0: until cleared */
} emu_usb_fault;

/* "stall"...; "unknown" for anything else.  Never NULL. */
const char *emu_usb_fault_kind_name(emu_usb_fault_kind k);
bool emu_usb_fault_kind_from_name(const char *name, emu_usb_fault_kind *out);
const char *emu_usb_pipe_name(emu_usb_pipe p);
/* Every kind's name, ", "-separated (for error messages). */
const char *emu_usb_fault_kind_names(void);
/* Whether the kind applies to the pipe (short, zlp, babble: IN pipes;
 * every kind: bulk-in and interrupt; control: stall, nak, disconnect). */
bool emu_usb_fault_applies(emu_usb_fault_kind k, emu_usb_pipe p);
/* The argument in effect. */
uint32_t emu_usb_fault_arg(const emu_usb_fault *f);

/* Parses the string form.  EMU_ERROR_PARSE names what is wrong (unknown
 * kind or pipe, a pipe the kind does not apply to, bad number).  *out is
 * written only on success. */
bool emu_usb_fault_parse(const char *s, emu_usb_fault *out, GError **error);
/* The string form back, canonical (pipe and arg always shown). */
int emu_usb_fault_format(const emu_usb_fault *f, char *buf, size_t cap);

/* The kind word of a fault string ("stall" of "stall/bulk-in@1"): its
 * length up to the first of "/:=@". */
size_t emu_fault_kind_len(const char *s);

#endif
