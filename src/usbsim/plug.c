/* ccidlab — usbsim: unplug and replug of a whole emulated USB device.
 *
 * The emulator's "device-gone" fault (ccidlab fault set DEV device-gone)
 * already makes every transfer of the device fail with CCID_E_NO_DEVICE,
 * which the shim returns as LIBUSB_ERROR_NO_DEVICE (or
 * LIBUSB_TRANSFER_NO_DEVICE).  This file makes it a USB unplug: the
 * device leaves libusb_get_device_list, libusb_open fails with
 * LIBUSB_ERROR_NO_DEVICE, and the contexts' hotplug callbacks registered
 * for DEVICE_LEFT run; clearing the fault is a replug (DEVICE_ARRIVED).
 *
 * The fault is set by the control server's thread inside the emulator,
 * which has no hook for it: a watcher thread samples every device's
 * faults every USBSIM_PLUG_POLL_MS.  That is only the hotplug and device
 * list view; the transfers see the fault at once.  As in libusb, the
 * callbacks run inside libusb_handle_events*() on the caller's thread.
 */
#include "config.h"

#include <stdlib.h>

#include "usbsim/usbsim.h"

#define USBSIM_PLUG_POLL_MS 10u

GList *usbsim_contexts;

typedef struct usbsim_hotplug_event {
	usbsim_dev *dev;
	int event;	/* LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED or _LEFT */
} usbsim_hotplug_event;

bool usbsim_gone(const usbsim_dev *d)
{
	if (d->parent != NULL)
		d = d->parent;	/* a function is present while its device is */
	return g_atomic_int_get(&((usbsim_dev *)d)->gone) != 0;
}

bool usbsim_handle_dead(const struct libusb_device_handle *h)
{
	usbsim_dev *d = h->device->dev;
	return usbsim_gone(d) || h->generation != g_atomic_int_get(&d->generation);
}

/* The device's presence changed: queue the hotplug event on every
 * context and wake its event handlers. */
static void note(usbsim_dev *d, bool gone)
{
	static GMutex plug_lock;	/* one transition at a time */

	g_mutex_lock(&plug_lock);
	if ((g_atomic_int_get(&d->gone) != 0) == gone) {
		g_mutex_unlock(&plug_lock);
		return;
	}
	/* A replug makes a new device: bump the generation before gone
	 * drops, so that no handle from before ever sees the device live. */
	if (!gone)
		g_atomic_int_inc(&d->generation);
	g_atomic_int_set(&d->gone, gone);
	g_mutex_unlock(&plug_lock);
	usbsim_debug("%s %s", d->usb->name, gone ? "unplugged" : "plugged back");
	g_mutex_lock(&usbsim_lock);
	for (GList *l = usbsim_contexts; l != NULL; l = l->next) {
		struct libusb_context *ctx = l->data;
		usbsim_hotplug_event *e = g_new(usbsim_hotplug_event, 1);
		e->dev = d;
		e->event = gone ? LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT : LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED;
		g_queue_push_tail(&ctx->hotplug_pending, e);
		g_cond_broadcast(&ctx->cond);
	}
	g_mutex_unlock(&usbsim_lock);
}

void usbsim_plug_set(usbsim_dev *d, bool present)
{
	if (present) {
		usbdev_plug(d->usb, true);
	} else {
		emu_fault f = { .kind = EMU_FAULT_DEVICE_GONE, .count = EMU_FAULT_FOREVER };
		g_autoptr(GError) err = NULL;
		if (!emu_device_fault_set(d->usb->emu, -1, &f, &err))
			usbsim_debug("unplug %s: %s", d->usb->name, err->message);
	}
	note(d, !present);
}

static gpointer watch(gpointer data)
{
	(void)data;
	for (;;) {
		usbsim_dev **devs;
		size_t n = usbsim_devices(&devs);
		for (size_t i = 0; i < n; i++)
			note(devs[i], usbdev_gone(devs[i]->usb));
		g_usleep(USBSIM_PLUG_POLL_MS * 1000);
	}
	return NULL;
}

void usbsim_plug_start(void)
{
	GError *err = NULL;
	GThread *th = g_thread_try_new("usbsim-plug", watch, NULL, &err);

	if (th == NULL) {
		usbsim_debug("no unplug watcher: %s", err->message);
		g_error_free(err);
		return;
	}
	g_thread_unref(th);	/* runs for the process's life, like the devices */
}

void usbsim_hotplug_dispatch_locked(struct libusb_context *ctx)
{
	usbsim_hotplug_event *e;

	while ((e = g_queue_pop_head(&ctx->hotplug_pending)) != NULL) {
		for (unsigned i = 0; i < USBSIM_MAX_HOTPLUG; i++) {
			struct usbsim_hotplug r = ctx->hotplug[i];
			if (!r.used || !(r.events & e->event) ||
			    !((r.vendor == LIBUSB_HOTPLUG_MATCH_ANY ||
			       r.vendor == e->dev->usb->info.idVendor) &&
			      (r.product == LIBUSB_HOTPLUG_MATCH_ANY ||
			       r.product == e->dev->usb->info.idProduct) &&
			      (r.dev_class == LIBUSB_HOTPLUG_MATCH_ANY || r.dev_class == 0)))
				continue;
			libusb_device *dev = g_new0(libusb_device, 1);
			dev->ctx = ctx;
			dev->dev = e->dev;
			dev->refs = 1;
			g_mutex_unlock(&usbsim_lock);
			/* libusb: a non-zero return deregisters the callback. */
			if (r.cb(ctx, dev, (libusb_hotplug_event)e->event, r.user))
				libusb_hotplug_deregister_callback(ctx, r.handle);
			libusb_unref_device(dev);
			g_mutex_lock(&usbsim_lock);
		}
		g_free(e);
	}
}
