/* ccidlab — usbsim: the asynchronous transfer API (libccid reads the
 * interrupt pipe with it).
 *
 * A submitted transfer runs on a thread of a pool (the emulator's pipes
 * block; a transfer that waits long holds its thread, and the pool grows
 * for the others); when it ends, it is queued on its context and the
 * context's condition is broadcast.  The threads are kept and reused: a
 * reader's interrupt pipe submits one transfer per message, and a new
 * thread each time cost every process that keeps per-thread records
 * (ASan keeps about 190 bytes per thread ever made: a NotifySlotChange
 * flood grew pcscd by 19 MB under ASan).  As in libusb, callbacks run inside
 * libusb_handle_events*() in the thread that calls it, never on the
 * transfer's thread, and a transfer is "in flight" from submit until its
 * callback has started (only then may the caller free it).
 *
 * libusb_cancel_transfer() asks the transfer's thread to stop and stops
 * the emulator's interrupt wait (transport interrupt_stop); the transfer
 * then completes with LIBUSB_TRANSFER_CANCELLED, or with its data when the
 * message won the race (libusb allows both).  libusb_close drops the
 * handle's transfers in flight as libusb does: no callback runs for them
 * after it, and their caller may free them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usbsim/usbsim.h"

/* A transfer goes to its pool thread through GLib's queue, whose lock
 * ThreadSanitizer cannot see (--enable-tsan): the hand-over is said. */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define HANDED_OVER(p) __tsan_release(p)
#define TAKEN_OVER(p) __tsan_acquire(p)
#else
#define HANDED_OVER(p) ((void)(p))
#define TAKEN_OVER(p) ((void)(p))
#endif

/* Our state of a transfer, in front of it (libusb's own layout trick:
 * the caller sees only struct libusb_transfer). */
typedef struct usbsim_transfer {
	atomic_bool cancel;	/* set by libusb_cancel_transfer, read by the transfer's thread */
	bool in_flight;
	bool running;		/* its thread has not queued it yet */
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

static void run(gpointer data, gpointer unused)
{
	struct libusb_transfer *tr = data;
	TAKEN_OVER(tr);
	usbsim_transfer *p = PRIV(tr);
	usbsim_dev *d = tr->dev_handle->device->dev;
	int got = 0;

	int rc = usbsim_pipe_transfer(d, tr->endpoint, tr->buffer, tr->length, &got, tr->timeout,
				      &p->cancel);
	g_mutex_lock(&usbsim_lock);
	p->running = false;
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
	(void)unused;
}

/* The transfers' threads: unbounded (every pending transfer needs one),
 * idle ones kept for the next transfers.  Made once, never freed (the
 * devices outlive libusb_exit too). */
static GThreadPool *pool(GError **error)
{
	static GThreadPool *p;
	static GMutex lock;

	g_mutex_lock(&lock);
	if (p == NULL)
		p = g_thread_pool_new(run, NULL, -1, FALSE, error);
	GThreadPool *out = p;
	g_mutex_unlock(&lock);
	return out;
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
	p->running = true;
	atomic_store(&p->cancel, false);
	tr->actual_length = 0;
	ctx->in_flight++;
	tr->dev_handle->flying = g_list_prepend(tr->dev_handle->flying, tr);
	g_mutex_unlock(&usbsim_lock);

	GError *err = NULL;
	GThreadPool *tp = pool(&err);
	HANDED_OVER(tr);
	if (tp == NULL || !g_thread_pool_push(tp, tr, &err)) {
		g_mutex_lock(&usbsim_lock);
		p->in_flight = false;
		p->running = false;
		ctx->in_flight--;
		tr->dev_handle->flying = g_list_remove(tr->dev_handle->flying, tr);
		g_mutex_unlock(&usbsim_lock);
		g_clear_error(&err);
		return LIBUSB_ERROR_NO_MEM;
	}
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
		usbdev_interrupt_stop(usbdev_fn_of_endpoint(tr->dev_handle->device->dev->usb,
							    tr->endpoint));
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
		tr->dev_handle->flying = g_list_remove(tr->dev_handle->flying, tr);
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

void usbsim_transfers_close(struct libusb_device_handle *h)
{
	g_mutex_lock(&usbsim_lock);
	while (h->flying != NULL) {
		struct libusb_transfer *tr = h->flying->data;
		usbsim_transfer *p = PRIV(tr);
		if (p->running) {
			/* Its thread sees the cancel within a slice. */
			bool first = !atomic_exchange(&p->cancel, true);
			g_mutex_unlock(&usbsim_lock);
			if (first && tr->type == LIBUSB_TRANSFER_TYPE_INTERRUPT)
				usbdev_interrupt_stop(
					usbdev_fn_of_endpoint(h->device->dev->usb, tr->endpoint));
			g_mutex_lock(&usbsim_lock);
			while (p->running)
				g_cond_wait(&p->ctx->cond, &usbsim_lock);
		}
		/* Queued for its callback, which now never runs. */
		g_queue_remove(&p->ctx->done, tr);
		p->in_flight = false;
		p->ctx->in_flight--;
		h->flying = g_list_remove(h->flying, tr);
		tr->dev_handle = NULL;
	}
	g_mutex_unlock(&usbsim_lock);
}
