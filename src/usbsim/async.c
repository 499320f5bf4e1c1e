/* ccidlab — usbsim: the asynchronous transfer API (libccid reads the
 * interrupt pipe with it).
 *
 * A submitted transfer runs on a thread of its own (the emulator's pipes
 * block); when it ends, it is queued on its context and the context's
 * condition is broadcast.  As in libusb, callbacks run inside
 * libusb_handle_events*() in the thread that calls it, never on the
 * transfer's thread, and a transfer is "in flight" from submit until its
 * callback has started (only then may the caller free it).
 *
 * libusb_cancel_transfer() asks the transfer's thread to stop and stops
 * the emulator's interrupt wait (transport interrupt_stop); the transfer
 * then completes with LIBUSB_TRANSFER_CANCELLED, or with its data when the
 * message won the race (libusb allows both).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usbsim/usbsim.h"

/* Our state of a transfer, in front of it (libusb's own layout trick:
 * the caller sees only struct libusb_transfer). */
typedef struct usbsim_transfer {
	atomic_bool cancel;	/* set by libusb_cancel_transfer, read by the transfer's thread */
	bool in_flight;
	struct libusb_context *ctx;
	struct libusb_transfer t;	/* last: iso descriptors follow it */
} usbsim_transfer;

#define PRIV(tr) ((usbsim_transfer *)((char *)(tr) - offsetof(usbsim_transfer, t)))

struct libusb_transfer *libusb_alloc_transfer(int iso_packets)
{
	if (iso_packets < 0)
		return NULL;
	usbsim_transfer *p = g_malloc0(sizeof *p + (size_t)iso_packets *
				       sizeof(struct libusb_iso_packet_descriptor));
	return &p->t;
}

void libusb_free_transfer(struct libusb_transfer *tr)
{
	if (tr == NULL)
		return;
	if (PRIV(tr)->in_flight)
		g_error("usbsim: libusb_free_transfer on a transfer in flight");
	if ((tr->flags & LIBUSB_TRANSFER_FREE_BUFFER) && tr->buffer != NULL)
		free(tr->buffer);	/* libusb frees it with free() */
	g_free(PRIV(tr));
}

static gpointer run(gpointer data)
{
	struct libusb_transfer *tr = data;
	usbsim_transfer *p = PRIV(tr);
	usbsim_dev *d = tr->dev_handle->device->dev;
	int got = 0;

	int rc = usbsim_pipe_transfer(d, tr->endpoint, tr->buffer, tr->length, &got, tr->timeout,
				      &p->cancel);
	g_mutex_lock(&usbsim_lock);
	tr->actual_length = got;
	if (rc == LIBUSB_SUCCESS)
		tr->status = LIBUSB_TRANSFER_COMPLETED;
	else if (atomic_load(&p->cancel))
		tr->status = LIBUSB_TRANSFER_CANCELLED;
	else if (rc == LIBUSB_ERROR_TIMEOUT)
		tr->status = LIBUSB_TRANSFER_TIMED_OUT;
	else if (rc == LIBUSB_ERROR_NO_DEVICE)
		tr->status = LIBUSB_TRANSFER_NO_DEVICE;
	else if (rc == LIBUSB_ERROR_PIPE)
		tr->status = LIBUSB_TRANSFER_STALL;
	else if (rc == LIBUSB_ERROR_OVERFLOW)
		tr->status = LIBUSB_TRANSFER_OVERFLOW;
	else
		tr->status = LIBUSB_TRANSFER_ERROR;
	g_queue_push_tail(&p->ctx->done, tr);
	g_cond_broadcast(&p->ctx->cond);
	g_mutex_unlock(&usbsim_lock);
	return NULL;
}

int libusb_submit_transfer(struct libusb_transfer *tr)
{
	if (tr == NULL || tr->dev_handle == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	usbsim_transfer *p = PRIV(tr);
	if (tr->type != LIBUSB_TRANSFER_TYPE_INTERRUPT && tr->type != LIBUSB_TRANSFER_TYPE_BULK) {
		usbsim_unsupported("libusb_submit_transfer (control/isochronous/stream types)");
		return LIBUSB_ERROR_NOT_SUPPORTED;
	}
	if (usbsim_handle_dead(tr->dev_handle))
		return LIBUSB_ERROR_NO_DEVICE;
	g_mutex_lock(&usbsim_lock);
	if (p->in_flight) {
		g_mutex_unlock(&usbsim_lock);
		return LIBUSB_ERROR_BUSY;
	}
	struct libusb_context *ctx = tr->dev_handle->device->ctx;
	if (ctx == NULL) {
		g_mutex_unlock(&usbsim_lock);
		return LIBUSB_ERROR_INVALID_PARAM;
	}
	p->ctx = ctx;
	p->in_flight = true;
	atomic_store(&p->cancel, false);
	tr->actual_length = 0;
	ctx->in_flight++;
	g_mutex_unlock(&usbsim_lock);

	GError *err = NULL;
	GThread *th = g_thread_try_new("usbsim-xfer", run, tr, &err);
	if (th == NULL) {
		g_mutex_lock(&usbsim_lock);
		p->in_flight = false;
		ctx->in_flight--;
		g_mutex_unlock(&usbsim_lock);
		g_error_free(err);
		return LIBUSB_ERROR_NO_MEM;
	}
	g_thread_unref(th);	/* detached: it ends by queuing the transfer */
	return LIBUSB_SUCCESS;
}

int libusb_cancel_transfer(struct libusb_transfer *tr)
{
	if (tr == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	usbsim_transfer *p = PRIV(tr);
	g_mutex_lock(&usbsim_lock);
	bool running = p->in_flight && !atomic_load(&p->cancel) &&
		       g_queue_find(&p->ctx->done, tr) == NULL;
	if (running)
		atomic_store(&p->cancel, true);
	g_mutex_unlock(&usbsim_lock);
	if (!running)
		return LIBUSB_ERROR_NOT_FOUND;
	if (tr->type == LIBUSB_TRANSFER_TYPE_INTERRUPT)
		usbdev_interrupt_stop(tr->dev_handle->device->dev->usb);
	return LIBUSB_SUCCESS;
}

/* Runs the callbacks of the completed transfers, or waits until one
 * completes, *completed is set, or `until` (monotonic µs) passes. */
static int handle(struct libusb_context *ctx, int *completed, gint64 until)
{
	g_mutex_lock(&usbsim_lock);
	ctx = usbsim_context(ctx);
	if (ctx == NULL) {
		g_mutex_unlock(&usbsim_lock);
		return LIBUSB_ERROR_INVALID_PARAM;
	}
	while (g_queue_is_empty(&ctx->done) && g_queue_is_empty(&ctx->hotplug_pending) &&
	       !(completed != NULL && *completed))
		if (!g_cond_wait_until(&ctx->cond, &usbsim_lock, until))
			break;
	usbsim_hotplug_dispatch_locked(ctx);
	while (!g_queue_is_empty(&ctx->done)) {
		struct libusb_transfer *tr = g_queue_pop_head(&ctx->done);
		PRIV(tr)->in_flight = false;
		ctx->in_flight--;
		g_mutex_unlock(&usbsim_lock);
		bool free_it = tr->flags & LIBUSB_TRANSFER_FREE_TRANSFER;
		if (tr->callback != NULL)
			tr->callback(tr);
		if (free_it)
			libusb_free_transfer(tr);
		g_mutex_lock(&usbsim_lock);
	}
	/* Another thread may wait for the flag a callback here just set. */
	g_cond_broadcast(&ctx->cond);
	g_mutex_unlock(&usbsim_lock);
	return LIBUSB_SUCCESS;
}

static gint64 deadline(const struct timeval *tv)
{
	gint64 us = tv ? (gint64)tv->tv_sec * G_USEC_PER_SEC + tv->tv_usec
		       : (gint64)USBSIM_EVENTS_TIMEOUT_MS * 1000;
	return g_get_monotonic_time() + us;
}

int libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv,
					   int *completed)
{
	return handle(ctx, completed, deadline(tv));
}

int libusb_handle_events_timeout(libusb_context *ctx, struct timeval *tv)
{
	return handle(ctx, NULL, deadline(tv));
}

int libusb_handle_events_completed(libusb_context *ctx, int *completed)
{
	return handle(ctx, completed, deadline(NULL));
}

int libusb_handle_events(libusb_context *ctx)
{
	return handle(ctx, NULL, deadline(NULL));
}
