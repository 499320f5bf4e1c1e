/* ccidlab — usbdev: bulk and interrupt transfers.  The endpoint address
 * picks the pipe, as on a real device: the CCID interface's bulk-OUT,
 * bulk-IN and interrupt-IN go to the emulated reader's pipes (a second
 * CCID function's to its own reader), a composite device's extra
 * endpoint NAKs, any other is not found.  Every pipe meets
 * its USB transfer faults first (fault.c).
 *
 * One transfer moves one whole CCID message: the emulator's transport
 * works in messages (host/transport.h), and a CCID host reads each
 * message with one transfer whose buffer holds dwMaxCCIDMessageLength
 * (CCID 1.1 §6.1: a message ends with a short packet).
 */
#include "config.h"

#include <errno.h>

#include "ccid/result.h"
#include "usbdev/usbdev.h"

/* The emulator's wait for one IN message, in slices so that a cancel, an
 * unplug or a fault set meanwhile is seen; the faults that act before
 * data moves are taken at every slice. */
static int pipe_in(usbdev *d, emu_usb_pipe pipe, uint8_t *data, size_t length, size_t *len,
		   unsigned timeout, const atomic_bool *cancel)
{
	bool interrupt = pipe == EMU_USB_PIPE_INTERRUPT;
	gint64 end = timeout ? g_get_monotonic_time() + (gint64)timeout * 1000 : 0;

	for (;;) {
		int st;
		/* A second CCID function's reader knows nothing of its
		 * device's unplug (the device-gone fault is the device's). */
		if (d->parent != NULL && usbdev_gone(d))
			return -ENODEV;
		if (interrupt && usbdev_fault_notify(d, data, length, len))
			return 0;
		if (usbdev_fault_before(d, pipe, end, cancel, &st))
			return st;
		unsigned slice = USBDEV_SLICE_MS;
		if (end != 0) {
			gint64 left = (end - g_get_monotonic_time()) / 1000;
			if (left <= 0)
				return -ETIMEDOUT;
			slice = (unsigned)MIN(left, (gint64)slice);
		}
		int rc = interrupt ? d->t.ops->interrupt_in(d->t.dev, data, length, len, slice)
				   : d->t.ops->bulk_in(d->t.dev, data, length, len, slice);
		/* interrupt_in's len 0 is a stale stop (transport.h): wait on. */
		if (rc == CCID_OK && (*len > 0 || !interrupt))
			return usbdev_fault_after(d, pipe, data, length, len);
		*len = 0;
		if (rc != CCID_OK && rc != CCID_E_TIMEOUT)
			return usbdev_status_of(rc);
		if (cancel != NULL && atomic_load(cancel))
			return -ECONNRESET;
	}
}

static int pipe_out(usbdev *d, const uint8_t *data, size_t length, size_t *len, unsigned timeout,
		    const atomic_bool *cancel)
{
	gint64 end = timeout ? g_get_monotonic_time() + (gint64)timeout * 1000 : 0;
	int st;

	if (d->parent != NULL && usbdev_gone(d))
		return -ENODEV;
	if (usbdev_fault_before(d, EMU_USB_PIPE_BULK_OUT, end, cancel, &st))
		return st;
	/* A bulk-OUT message is taken at once (emu/pipe.c): the bound only
	 * matters to a transport that could block. */
	int rc = d->t.ops->bulk_out(d->t.dev, data, length, timeout ? timeout : 60000u);
	*len = rc == CCID_OK ? length : 0;
	return usbdev_status_of(rc);
}

int usbdev_transfer(usbdev *d, uint8_t endpoint, uint8_t *data, size_t length, size_t *actual,
		    unsigned timeout_ms, const atomic_bool *cancel)
{
	size_t len = 0;
	int pipe, st;

	*actual = 0;
	if (length > 0 && data == NULL)
		return -EINVAL;
	d = usbdev_fn_of_endpoint(d, endpoint);	/* composite=ccid: its pipes */
	if (!usbdev_endpoint_pipe(d, endpoint, &pipe))
		return -ENOENT;	/* the configuration has no such endpoint */
	/* A device that is gone fails in the emulator (CCID_E_NO_DEVICE):
	 * no check here, on the path of every message. */
	if (pipe < 0) {
		/* The composite device's extra interface has no function
		 * behind it: its endpoint NAKs every token. */
		gint64 end = timeout_ms ? g_get_monotonic_time() + (gint64)timeout_ms * 1000 : 0;
		return usbdev_nak_wait(d, end, cancel);
	}
	if (pipe == EMU_USB_PIPE_BULK_OUT)
		st = pipe_out(d, data, length, &len, timeout_ms, cancel);
	else
		st = pipe_in(d, (emu_usb_pipe)pipe, data, length, &len, timeout_ms, cancel);
	*actual = len;
	if (st == 0 && len > 0 && pipe != EMU_USB_PIPE_INTERRUPT && d->hooks.trace != NULL)
		d->hooks.trace(d, pipe == EMU_USB_PIPE_BULK_IN, data, len, d->hooks.data);
	return st;
}

void usbdev_interrupt_stop(usbdev *d)
{
	if (d->t.ops->interrupt_stop != NULL)
		d->t.ops->interrupt_stop(d->t.dev);
}
