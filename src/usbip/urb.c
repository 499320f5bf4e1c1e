/* ccidlab — one URB run on an emulated USB device (src/usbdev/): what
 * the USB/IP server's executors do with a URB its connection queued.
 *
 * USB/IP URBs carry no timeout: the client's host controller driver ends
 * a URB that takes too long by unlinking it.  So a bulk-IN waits until
 * the reader answers, an interrupt-IN until a NotifySlotChange (or a
 * HardwareError) comes, a NAKing endpoint for ever: each until the URB
 * is unlinked or the connection ends (u->cancel).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <linux/usb/ch9.h>

#include "usbip/usbip_priv.h"

/* Endpoint 0: the SETUP packet, with its wLength held to the URB's
 * buffer (a peer may claim more than it sent room or data for). */
static int run_control(usbdev *d, usbip_urb *u, unsigned timeout_ms)
{
	uint8_t setup[8];
	bool in = u->cmd.setup[0] & USB_DIR_IN;
	size_t wlength = (size_t)(u->cmd.setup[6] | u->cmd.setup[7] << 8);
	bool known;

	memcpy(setup, u->cmd.setup, sizeof setup);
	if (!in && wlength > u->cmd.length)
		return -EINVAL;	/* OUT data announced that the URB does not carry */
	if (in && wlength > u->cmd.length) {
		setup[6] = (uint8_t)u->cmd.length;
		setup[7] = (uint8_t)(u->cmd.length >> 8);
	}
	gint64 end = timeout_ms ? g_get_monotonic_time() + (gint64)timeout_ms * 1000 : 0;
	int st = usbdev_control(d, setup, u->buf, &u->actual, end, &u->cancel, &known);
	if (st == 0 && !in)
		u->actual = wlength;	/* the OUT data stage went whole */
	return st;
}

int usbip_urb_run(usbdev *d, usbip_urb *u, unsigned timeout_ms)
{
	int st;

	u->actual = 0;
	if (u->queue == USBIP_Q_CONTROL) {
		st = run_control(d, u, timeout_ms);
	} else {
		st = usbdev_transfer(d, u->endpoint, u->buf, u->cmd.length, &u->actual, timeout_ms,
				     &u->cancel);
		/* URB_SHORT_NOT_OK: a short IN transfer is an error (-EREMOTEIO,
		 * Documentation/driver-api/usb/error-codes.rst). */
		if (st == 0 && (u->endpoint & USB_DIR_IN) && u->actual < u->cmd.length &&
		    (u->cmd.flags & USBIP_URB_SHORT_NOT_OK))
			st = -EREMOTEIO;
	}
	/* An unlinked URB that moved nothing was cancelled, whatever the
	 * wait it was in said; but not one whose device left: a cancel never
	 * makes -ENODEV, and the disconnect fault's unplug ends the session,
	 * whose drain may cancel this URB before it is back here (the device
	 * leaving is still what ended it, not -ECONNRESET/-ESHUTDOWN). */
	if (atomic_load(&u->cancel) && u->actual == 0 && st != 0 && st != -ENODEV)
		st = -ECONNRESET;
	u->status = st;
	return st;
}

int usbip_queue_of(const usbdev *d, uint8_t ep)
{
	if (ep == d->ep_bulk_out)
		return USBIP_Q_BULK_OUT;
	if (ep == d->ep_bulk_in)
		return USBIP_Q_BULK_IN;
	if (ep == d->ep_interrupt && ep != 0)
		return USBIP_Q_INTERRUPT;
	if (ep == d->extra_ep && ep != 0)
		return USBIP_Q_EXTRA;
	return -1;
}

void usbip_queue_cancel(usbdev *d, unsigned queue)
{
	/* Flags end the other waits; the emulator's interrupt wait has its stop. */
	if (queue == USBIP_Q_INTERRUPT && d != NULL)
		usbdev_interrupt_stop(d);
}
