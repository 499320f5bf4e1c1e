/* ccidlab — the interrupt pipe: one asynchronous transfer, kept
 * submitted across waits.
 *
 * The transfer is submitted once and stays in flight when a wait times
 * out, so a NotifySlotChange that arrives between two waits is held by
 * libusb, not lost to a resubmission gap.  It still carries a timeout of
 * its own (XFER_MS): a device that NAKs a transfer for ever while it has a
 * message (a firmware hiccup) would otherwise hide every later card edge;
 * the timed-out transfer is submitted again and its successor gets the
 * message the device kept.  Waits run libusb's event loop
 * with the transfer's "completed" flag (any thread may be the one that
 * runs the callback: sync bulk transfers of other readers share the
 * context).  interrupt_stop is sticky and never blocks: it raises a flag
 * the wait looks at every slice and cancels the transfer, which wakes the
 * event loop.
 *
 * The transfer, its buffer and its flag live apart from the interface
 * (usb_irq_xfer): another reader's thread may run the callback at any
 * time, so a transfer that is still in flight when its interface closes
 * (a device marked gone stops the waits without reaping it) is handed to
 * the device, and freed only after libusb_close has taken it back.  It
 * once lived inside the interface and was completed into freed memory
 * (issue 20: ASan heap-use-after-free in irq_done, on a composite device
 * whose other interface kept the handle open).
 */
#include "config.h"

#include <string.h>

#include "ccid/result.h"
#include "usb/usb_priv.h"

#define SLICE_US 100000		/* a stop is seen within this, even unwoken */
#define CLEAR_MS 1000		/* close waits this long for a cancelled transfer */
#define XFER_MS 1000		/* one interrupt transfer's own timeout: see above */

static void LIBUSB_CALL irq_done(struct libusb_transfer *t)
{
	usb_irq_xfer *x = t->user_data;
	x->done = 1;
}

void usb_irq_init(usb_iface *u)
{
	g_mutex_init(&u->irq_lock);
	if (!u->ccid.has_interrupt_in)
		return;
	u->irq = g_new0(usb_irq_xfer, 1);
	u->irq->t = libusb_alloc_transfer(0);
	if (u->irq->t == NULL)
		g_clear_pointer(&u->irq, g_free);
}

void usb_irq_xfer_free(usb_irq_xfer *x)
{
	if (x == NULL)
		return;
	libusb_free_transfer(x->t);
	g_free(x);
}

static int submit(usb_iface *u)
{
	if (u->irq == NULL)
		return CCID_E_TRANSPORT;
	u->irq->done = 0;
	libusb_fill_interrupt_transfer(u->irq->t, u->d->h, u->ccid.interrupt_in.bEndpointAddress,
				       u->irq->buf, USB_IRQ_MAX, irq_done, u->irq, XFER_MS);
	int rc = usb_dev_check(u->d, libusb_submit_transfer(u->irq->t));
	if (rc != LIBUSB_SUCCESS)
		return usb_result(rc);
	u->irq_pending = true;
	return CCID_OK;
}

/* Runs libusb's events until the transfer completes, the stop flag rises
 * (unless `clearing`: the close's own cancel), the device is gone (idem)
 * or `end` (monotonic µs) passes.  One pass always runs, without waiting
 * when the time is up: a zero timeout still collects what has already
 * arrived (the open drains messages queued before it). */
static void pump(usb_iface *u, gint64 end, bool clearing)
{
	libusb_context *c = usb_ctx();

	/* At least one pass, non-blocking when the time is up: a wait of 0
	 * ms must still collect a transfer that has completed. */
	for (bool first = true;
	     !u->irq->done &&
	     (clearing || (!atomic_load(&u->irq_stop) && !atomic_load(&u->d->gone)));
	     first = false) {
		gint64 left = end - g_get_monotonic_time();
		if (left <= 0 && !first)
			break;
		left = CLAMP(left, 0, SLICE_US);
		struct timeval tv = { .tv_sec = 0, .tv_usec = (suseconds_t)left };
		int rc = libusb_handle_events_timeout_completed(c, &tv, &u->irq->done);
		if (rc != LIBUSB_SUCCESS && rc != LIBUSB_ERROR_INTERRUPTED)
			g_usleep((gulong)left);	/* a broken event loop must not spin */
		if (left == 0)
			break;
	}
}

/* The completed transfer, as transport.h's interrupt_in result. */
static int finish(usb_iface *u, uint8_t *buf, size_t cap, size_t *len)
{
	struct libusb_transfer *t = u->irq->t;

	u->irq_pending = false;
	switch (t->status) {
	case LIBUSB_TRANSFER_TIMED_OUT:
		/* libusb: a timed-out transfer may have moved data before the
		 * cancel took (a message that raced the timeout): keep it. */
		if (t->actual_length <= 0)
			return CCID_E_TIMEOUT;
		/* fall through */
	case LIBUSB_TRANSFER_COMPLETED:
		if (t->actual_length < 0 || (size_t)t->actual_length > cap)
			return CCID_E_BUFFER;
		memcpy(buf, t->buffer, (size_t)t->actual_length);
		*len = (size_t)t->actual_length;
		return CCID_OK;
	case LIBUSB_TRANSFER_NO_DEVICE:
		atomic_store(&u->d->gone, true);
		return CCID_E_NO_DEVICE;
	case LIBUSB_TRANSFER_CANCELLED:
		/* Our own stop cancels.  A cancel whose stop was already seen
		 * brought no message: the next wait submits again. */
		return atomic_exchange(&u->irq_stop, false) ? CCID_OK : CCID_E_TIMEOUT;
	case LIBUSB_TRANSFER_STALL:
		libusb_clear_halt(u->d->h, u->ccid.interrupt_in.bEndpointAddress);
		return CCID_E_TRANSPORT;
	case LIBUSB_TRANSFER_OVERFLOW:
		return CCID_E_BUFFER;
	default:
		return CCID_E_TRANSPORT;
	}
}

int usb_irq_wait(usb_iface *u, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	int rc = CCID_OK;

	*len = 0;
	g_mutex_lock(&u->irq_lock);
	if (atomic_exchange(&u->irq_stop, false))
		goto out;
	if (atomic_load(&u->d->gone)) {
		rc = CCID_E_NO_DEVICE;
		goto out;
	}
	/* A transfer that timed out on its own (XFER_MS) is submitted again
	 * while the caller's time lasts. */
	for (;;) {
		if (!u->irq_pending && (rc = submit(u)) != CCID_OK)
			goto out;
		pump(u, end, false);
		if (!u->irq->done)
			break;
		rc = finish(u, buf, cap, len);
		if (rc != CCID_E_TIMEOUT || g_get_monotonic_time() >= end ||
		    atomic_load(&u->irq_stop))
			goto out;
	}
	/* Still in flight. */
	if (atomic_load(&u->d->gone))
		rc = CCID_E_NO_DEVICE;	/* another pipe of the device saw it go */
	else if (atomic_exchange(&u->irq_stop, false))
		rc = CCID_OK;	/* stopped; the transfer stays in flight */
	else
		rc = CCID_E_TIMEOUT;
out:
	g_mutex_unlock(&u->irq_lock);
	return rc;
}

void usb_irq_stop(usb_iface *u)
{
	atomic_store(&u->irq_stop, true);
	/* Wakes the event loop at once; harmless when nothing is in flight
	 * (LIBUSB_ERROR_NOT_FOUND). */
	if (u->irq != NULL)
		libusb_cancel_transfer(u->irq->t);
}

void usb_irq_clear(usb_iface *u)
{
	g_mutex_lock(&u->irq_lock);
	usb_irq_xfer *x = u->irq;
	if (x != NULL && u->irq_pending) {
		/* A cancelled transfer completes soon, a gone device's at once
		 * (CANCELLED or NO_DEVICE): wait for it, gone or not. */
		libusb_cancel_transfer(x->t);
		atomic_store(&u->irq_stop, false);
		pump(u, g_get_monotonic_time() + CLEAR_MS * 1000, true);
		if (!x->done) {
			/* Still libusb's: the device keeps it until libusb_close
			 * takes it back (never freed while it may complete). */
			usb_dev_orphan(u->d, x);
			x = NULL;
		}
	}
	usb_irq_xfer_free(x);
	u->irq = NULL;
	g_mutex_unlock(&u->irq_lock);
	g_mutex_clear(&u->irq_lock);
}
