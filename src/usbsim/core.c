/* ccidlab — usbsim: contexts, device lists, handles, interfaces, error
 * names and hotplug registration, with libusb-1.0's documented semantics.
 */
#include "config.h"

#include <string.h>

#include "usbsim/usbsim.h"

/* The default context (ctx NULL), counted like libusb's. */
static struct libusb_context *default_ctx;
static int default_refs;

struct libusb_context *usbsim_context(struct libusb_context *ctx)
{
	return ctx != NULL ? ctx : default_ctx;
}

int libusb_init(libusb_context **ctx)
{
	usbsim_dev **devs;

	usbsim_devices(&devs);	/* builds the table (outside the lock) */
	g_mutex_lock(&usbsim_lock);
	if (ctx == NULL) {
		if (default_refs++ == 0) {
			default_ctx = g_new0(struct libusb_context, 1);
			g_cond_init(&default_ctx->cond);
			usbsim_contexts = g_list_prepend(usbsim_contexts, default_ctx);
		}
	} else {
		*ctx = g_new0(struct libusb_context, 1);
		g_cond_init(&(*ctx)->cond);
		usbsim_contexts = g_list_prepend(usbsim_contexts, *ctx);
	}
	g_mutex_unlock(&usbsim_lock);
	usbsim_debug("libusb_init");
	return LIBUSB_SUCCESS;
}

void libusb_exit(libusb_context *ctx)
{
	g_mutex_lock(&usbsim_lock);
	if (ctx == NULL) {
		if (default_refs > 0 && --default_refs == 0) {
			usbsim_contexts = g_list_remove(usbsim_contexts, default_ctx);
			g_queue_clear_full(&default_ctx->hotplug_pending, g_free);
			g_clear_pointer(&default_ctx, g_free);
		}
	} else {
		usbsim_contexts = g_list_remove(usbsim_contexts, ctx);
		g_queue_clear_full(&ctx->hotplug_pending, g_free);
	}
	g_mutex_unlock(&usbsim_lock);
	if (ctx != NULL) {
		/* libusb: every transfer must be complete and every device
		 * freed by now; say so when they are not. */
		if (ctx->in_flight != 0)
			g_message("libusb_exit with %u transfers in flight", ctx->in_flight);
		g_cond_clear(&ctx->cond);
		g_free(ctx);
	}
}

ssize_t libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
	usbsim_dev **devs;
	size_t n = usbsim_devices(&devs);

	if (list == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	libusb_device **l = g_new0(libusb_device *, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (usbsim_gone(devs[i]))
			continue;	/* unplugged: not on the bus */
		l[k] = g_new0(libusb_device, 1);
		l[k]->ctx = usbsim_context(ctx);
		l[k]->dev = devs[i];
		l[k]->refs = 1;
		k++;
	}
	*list = l;
	return (ssize_t)k;
}

void libusb_free_device_list(libusb_device **list, int unref_devices)
{
	if (list == NULL)
		return;
	if (unref_devices)
		for (size_t i = 0; list[i] != NULL; i++)
			libusb_unref_device(list[i]);
	g_free(list);
}

libusb_device *libusb_ref_device(libusb_device *dev)
{
	g_mutex_lock(&usbsim_lock);
	dev->refs++;
	g_mutex_unlock(&usbsim_lock);
	return dev;
}

void libusb_unref_device(libusb_device *dev)
{
	if (dev == NULL)
		return;
	g_mutex_lock(&usbsim_lock);
	bool last = --dev->refs == 0;
	g_mutex_unlock(&usbsim_lock);
	if (last)
		g_free(dev);
}

uint8_t libusb_get_bus_number(libusb_device *dev)
{
	return dev->dev->usb->bus;
}

uint8_t libusb_get_device_address(libusb_device *dev)
{
	return dev->dev->usb->address;
}

uint8_t libusb_get_port_number(libusb_device *dev)
{
	return dev->dev->port;
}

int libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int len)
{
	if (len < 1)
		return LIBUSB_ERROR_OVERFLOW;
	port_numbers[0] = dev->dev->port;	/* every device on a root port */
	return 1;
}

int libusb_get_device_speed(libusb_device *dev)
{
	(void)dev;
	return LIBUSB_SPEED_FULL;	/* CCID readers are full-speed devices */
}

int libusb_open(libusb_device *dev, libusb_device_handle **handle)
{
	if (dev == NULL || handle == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_gone(dev->dev))
		return LIBUSB_ERROR_NO_DEVICE;
	libusb_device_handle *h = g_new0(libusb_device_handle, 1);
	h->device = libusb_ref_device(dev);
	h->generation = g_atomic_int_get(&dev->dev->generation);
	*handle = h;
	usbsim_debug("open %s", dev->dev->usb->name);
	return LIBUSB_SUCCESS;
}

void libusb_close(libusb_device_handle *h)
{
	if (h == NULL)
		return;
	usbsim_debug("close %s", h->device->dev->usb->name);
	usbsim_transfers_close(h);
	g_mutex_lock(&usbsim_lock);
	h->device->dev->claimed &= ~(uint32_t)h->claimed;	/* libusb releases them */
	g_mutex_unlock(&usbsim_lock);
	libusb_unref_device(h->device);
	g_free(h);
}

libusb_device *libusb_get_device(libusb_device_handle *h)
{
	return h->device;
}

static bool has_interface(const usbsim_dev *d, int n)
{
	/* The CCID interface, and a composite device's extra or second
	 * CCID one. */
	return n == d->usb->ccid_iface || n == d->usb->extra_iface ||
	       (d->fn2 != NULL && n == d->fn2->usb->ccid_iface);
}

int libusb_claim_interface(libusb_device_handle *h, int n)
{
	int rc = LIBUSB_SUCCESS;

	if (h == NULL || n < 0 || n > 31)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	usbsim_dev *d = h->device->dev;
	if (!has_interface(d, n)) {
		usbsim_debug("%s: claim interface %d: no such interface", d->usb->name, n);
		return LIBUSB_ERROR_NOT_FOUND;
	}
	uint32_t bit = 1u << n;
	g_mutex_lock(&usbsim_lock);
	if ((uint32_t)h->claimed & bit)
		;	/* libusb: claiming twice through one handle is a no-op */
	else if (d->claimed & bit)
		rc = LIBUSB_ERROR_BUSY;	/* another handle holds it */
	else {
		h->claimed |= (int)bit;
		d->claimed |= bit;
	}
	g_mutex_unlock(&usbsim_lock);
	/* Tests read this to see which interfaces a driver touched. */
	usbsim_debug("%s: claim interface %d: %s", d->usb->name, n,
		     rc == LIBUSB_SUCCESS ? "claimed" : libusb_error_name(rc));
	if (rc == LIBUSB_SUCCESS && n == d->usb->ccid_iface)
		usbsim_ctl_claimed(d);
	else if (rc == LIBUSB_SUCCESS && d->fn2 != NULL && n == d->fn2->usb->ccid_iface)
		usbsim_ctl_claimed(d->fn2);
	return rc;
}

int libusb_release_interface(libusb_device_handle *h, int n)
{
	int rc = LIBUSB_SUCCESS;

	if (h == NULL || n < 0 || n > 31)
		return LIBUSB_ERROR_INVALID_PARAM;
	uint32_t bit = 1u << n;
	g_mutex_lock(&usbsim_lock);
	if (!((uint32_t)h->claimed & bit))
		rc = LIBUSB_ERROR_NOT_FOUND;
	else {
		h->claimed &= ~(int)bit;
		h->device->dev->claimed &= ~bit;
	}
	g_mutex_unlock(&usbsim_lock);
	/* libusb: released, but the device is gone (the claim is dropped
	 * all the same). */
	if (rc == LIBUSB_SUCCESS && usbsim_handle_dead(h))
		rc = LIBUSB_ERROR_NO_DEVICE;
	return rc;
}

int libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint)
{
	int pipe;

	if (h == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	usbdev *d = usbdev_fn_of_endpoint(h->device->dev->usb, endpoint);
	if (!usbdev_endpoint_pipe(d, endpoint, &pipe))
		return LIBUSB_ERROR_NOT_FOUND;
	/* CLEAR_FEATURE(ENDPOINT_HALT): the halt (a stall fault) goes; the
	 * other faults of the pipe are the device's and stay. */
	if (pipe >= 0 && usbdev_fault_clear(d, EMU_USB_FAULT_STALL, pipe) > 0)
		usbsim_debug("%s: halt on endpoint 0x%02x cleared", d->name, endpoint);
	return LIBUSB_SUCCESS;
}

int libusb_reset_device(libusb_device_handle *h)
{
	if (h == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	/* A port reset that re-enumerates the same descriptors: the handle
	 * and its claims stay valid (libusb's success case), every halt
	 * goes.  The emulated reader keeps its slots, as a reader whose
	 * firmware does not reset its cards on a bus reset. */
	usbdev_reset(h->device->dev->usb);
	usbsim_debug("%s: reset", h->device->dev->usb->name);
	return LIBUSB_SUCCESS;
}

libusb_device_handle *libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vendor_id,
						      uint16_t product_id)
{
	libusb_device **list;
	libusb_device_handle *h = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);

	for (ssize_t i = 0; i < n && h == NULL; i++) {
		const usbdev *d = list[i]->dev->usb;
		if (d->info.idVendor == vendor_id && d->info.idProduct == product_id &&
		    libusb_open(list[i], &h) != LIBUSB_SUCCESS)
			h = NULL;
	}
	if (n >= 0)
		libusb_free_device_list(list, 1);
	return h;
}

int libusb_set_configuration(libusb_device_handle *h, int configuration)
{
	if (h == NULL)
		return LIBUSB_ERROR_INVALID_PARAM;
	return configuration == 1 || configuration == -1 ? LIBUSB_SUCCESS : LIBUSB_ERROR_NOT_FOUND;
}

int libusb_get_configuration(libusb_device_handle *h, int *config)
{
	(void)h;
	*config = 1;
	return LIBUSB_SUCCESS;
}

int libusb_kernel_driver_active(libusb_device_handle *h, int n)
{
	if (h == NULL || n < 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	if (usbsim_handle_dead(h))
		return LIBUSB_ERROR_NO_DEVICE;
	if (!has_interface(h->device->dev, n))
		return LIBUSB_ERROR_NOT_FOUND;
	return 0;	/* no kernel driver binds an emulated device */
}

int libusb_detach_kernel_driver(libusb_device_handle *h, int n)
{
	int rc = libusb_kernel_driver_active(h, n);
	/* libusb: LIBUSB_ERROR_NOT_FOUND when no driver is active. */
	return rc < 0 ? rc : LIBUSB_ERROR_NOT_FOUND;
}

int libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
	(void)enable;
	return h == NULL ? LIBUSB_ERROR_INVALID_PARAM : LIBUSB_SUCCESS;
}

int libusb_has_capability(uint32_t capability)
{
	/* As libusb on Linux; kernel-driver detach is there (a no-op: no
	 * kernel driver binds an emulated device). */
	return capability == LIBUSB_CAP_HAS_CAPABILITY || capability == LIBUSB_CAP_HAS_HOTPLUG ||
	       capability == LIBUSB_CAP_SUPPORTS_DETACH_KERNEL_DRIVER;
}

void libusb_set_debug(libusb_context *ctx, int level)
{
	(void)ctx;
	(void)level;
}

const char *libusb_error_name(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS: return "LIBUSB_SUCCESS / LIBUSB_TRANSFER_COMPLETED";
	case LIBUSB_ERROR_IO: return "LIBUSB_ERROR_IO";
	case LIBUSB_ERROR_INVALID_PARAM: return "LIBUSB_ERROR_INVALID_PARAM";
	case LIBUSB_ERROR_ACCESS: return "LIBUSB_ERROR_ACCESS";
	case LIBUSB_ERROR_NO_DEVICE: return "LIBUSB_ERROR_NO_DEVICE";
	case LIBUSB_ERROR_NOT_FOUND: return "LIBUSB_ERROR_NOT_FOUND";
	case LIBUSB_ERROR_BUSY: return "LIBUSB_ERROR_BUSY";
	case LIBUSB_ERROR_TIMEOUT: return "LIBUSB_ERROR_TIMEOUT";
	case LIBUSB_ERROR_OVERFLOW: return "LIBUSB_ERROR_OVERFLOW";
	case LIBUSB_ERROR_PIPE: return "LIBUSB_ERROR_PIPE";
	case LIBUSB_ERROR_INTERRUPTED: return "LIBUSB_ERROR_INTERRUPTED";
	case LIBUSB_ERROR_NO_MEM: return "LIBUSB_ERROR_NO_MEM";
	case LIBUSB_ERROR_NOT_SUPPORTED: return "LIBUSB_ERROR_NOT_SUPPORTED";
	case LIBUSB_ERROR_OTHER: return "LIBUSB_ERROR_OTHER";
	/* Transfer statuses share this call in libusb. */
	case LIBUSB_TRANSFER_ERROR: return "LIBUSB_TRANSFER_ERROR";
	case LIBUSB_TRANSFER_TIMED_OUT: return "LIBUSB_TRANSFER_TIMED_OUT";
	case LIBUSB_TRANSFER_CANCELLED: return "LIBUSB_TRANSFER_CANCELLED";
	case LIBUSB_TRANSFER_STALL: return "LIBUSB_TRANSFER_STALL";
	case LIBUSB_TRANSFER_NO_DEVICE: return "LIBUSB_TRANSFER_NO_DEVICE";
	case LIBUSB_TRANSFER_OVERFLOW: return "LIBUSB_TRANSFER_OVERFLOW";
	default: return "**UNKNOWN**";
	}
}

const char *libusb_strerror(int code)
{
	switch (code) {
	case LIBUSB_SUCCESS: return "Success";
	case LIBUSB_ERROR_IO: return "Input/Output Error";
	case LIBUSB_ERROR_INVALID_PARAM: return "Invalid parameter";
	case LIBUSB_ERROR_ACCESS: return "Access denied (insufficient permissions)";
	case LIBUSB_ERROR_NO_DEVICE: return "No such device (it may have been disconnected)";
	case LIBUSB_ERROR_NOT_FOUND: return "Entity not found";
	case LIBUSB_ERROR_BUSY: return "Resource busy";
	case LIBUSB_ERROR_TIMEOUT: return "Operation timed out";
	case LIBUSB_ERROR_OVERFLOW: return "Overflow";
	case LIBUSB_ERROR_PIPE: return "Pipe error";
	case LIBUSB_ERROR_INTERRUPTED: return "System call interrupted (perhaps due to signal)";
	case LIBUSB_ERROR_NO_MEM: return "Insufficient memory";
	case LIBUSB_ERROR_NOT_SUPPORTED: return "Operation not supported or unimplemented on this platform";
	default: return "Other error";
	}
}

/* ---- hotplug registration; ENUMERATE reports the present devices, as
 * libusb does.  Unplug and replug events come from plug.c. */

static bool hotplug_match(const struct usbsim_hotplug *r, const usbsim_dev *d)
{
	return (r->vendor == LIBUSB_HOTPLUG_MATCH_ANY || r->vendor == d->usb->info.idVendor) &&
	       (r->product == LIBUSB_HOTPLUG_MATCH_ANY || r->product == d->usb->info.idProduct) &&
	       (r->dev_class == LIBUSB_HOTPLUG_MATCH_ANY || r->dev_class == 0);
}

int libusb_hotplug_register_callback(libusb_context *ctx, int events, int flags, int vendor_id,
				     int product_id, int dev_class,
				     libusb_hotplug_callback_fn cb_fn, void *user_data,
				     libusb_hotplug_callback_handle *callback_handle)
{
	struct usbsim_hotplug *r = NULL;

	if (cb_fn == NULL || (events & (LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
					LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT)) == 0)
		return LIBUSB_ERROR_INVALID_PARAM;
	g_mutex_lock(&usbsim_lock);
	ctx = usbsim_context(ctx);
	if (ctx == NULL) {
		g_mutex_unlock(&usbsim_lock);
		return LIBUSB_ERROR_INVALID_PARAM;
	}
	for (unsigned i = 0; i < USBSIM_MAX_HOTPLUG && r == NULL; i++)
		if (!ctx->hotplug[i].used)
			r = &ctx->hotplug[i];
	if (r == NULL) {
		g_mutex_unlock(&usbsim_lock);
		return LIBUSB_ERROR_NO_MEM;
	}
	*r = (struct usbsim_hotplug){ .used = true, .handle = ++ctx->next_hotplug,
				      .events = events, .vendor = vendor_id,
				      .product = product_id, .dev_class = dev_class,
				      .cb = cb_fn, .user = user_data };
	struct usbsim_hotplug copy = *r;
	g_mutex_unlock(&usbsim_lock);
	if (callback_handle != NULL)
		*callback_handle = copy.handle;
	if ((flags & LIBUSB_HOTPLUG_ENUMERATE) && (events & LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)) {
		libusb_device **list;
		ssize_t n = libusb_get_device_list(ctx, &list);
		for (ssize_t i = 0; i < n; i++)
			if (hotplug_match(&copy, list[i]->dev) &&
			    copy.cb(ctx, list[i], LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, copy.user))
			{
				/* libusb: a non-zero return deregisters the callback. */
				libusb_hotplug_deregister_callback(ctx, copy.handle);
				break;
			}
		libusb_free_device_list(list, 1);
	}
	return LIBUSB_SUCCESS;
}

void libusb_hotplug_deregister_callback(libusb_context *ctx,
					libusb_hotplug_callback_handle callback_handle)
{
	g_mutex_lock(&usbsim_lock);
	ctx = usbsim_context(ctx);
	for (unsigned i = 0; ctx != NULL && i < USBSIM_MAX_HOTPLUG; i++)
		if (ctx->hotplug[i].used && ctx->hotplug[i].handle == callback_handle)
			ctx->hotplug[i].used = false;
	g_mutex_unlock(&usbsim_lock);
}

const struct libusb_version *libusb_get_version(void)
{
	/* The API level this shim follows; describe says who answers. */
	static const struct libusb_version v = { 1, 0, 26, 0, "", "ccidlab usbsim" };
	return &v;
}

int libusb_set_option(libusb_context *ctx, enum libusb_option option, ...)
{
	(void)ctx;
	if (option == LIBUSB_OPTION_LOG_LEVEL)
		return LIBUSB_SUCCESS;	/* usbsim logs with CCIDLAB_USBSIM_DEBUG */
	usbsim_unsupported("libusb_set_option (options other than LIBUSB_OPTION_LOG_LEVEL)");
	return LIBUSB_ERROR_NOT_SUPPORTED;
}

void libusb_set_log_cb(libusb_context *ctx, libusb_log_cb cb, int mode)
{
	(void)ctx;
	(void)cb;
	(void)mode;	/* usbsim never logs through libusb's callback */
}
