/* ccidlab — the USB/IP server's exported devices: one emulated USB device
 * (src/usbdev/) per bus id, who imported each, their URB counters, and
 * what the control plane sees of them.
 *
 * Bus ids are BUS-PORT as on a real host (`usbip list` shows them):
 * the bus is 1 unless the spec says bus=, the port the lowest one free
 * (ports are unique across buses, so a bus id never names two devices),
 * the device number (devid's low half) the spec's address= or port + 1.
 *
 * Unplugging: a device is off the bus while the emulator's device-gone
 * fault is in effect (`ccidlab fault set DEV device-gone`, or the
 * disconnect USB fault).  A watcher sees it within PLUG_POLL_MS and ends
 * the session that imported the device (its client's vhci-hcd sees the
 * connection drop: the device is unplugged from that host); the device is
 * left out of the device list, and refused to importers, until the fault
 * is cleared (a replug).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ctl/server.h"
#include "usbdev/usbdev_ctl.h"
#include "usbip/usbip_priv.h"

#define PLUG_POLL_MS 10u
/* Reader numbers on the control socket start here: above any number
 * pcscd gives its readers ("NAME XX YY", XX two hex digits), so that the
 * command never joins these devices to a local pcscd's readers. */
#define NUMBER_BASE 256u

#define COUNT(e, k) __atomic_fetch_add(&(e)->counts[k], 1, __ATOMIC_RELAXED)

void usbip_export_unref(usbip_export *e)
{
	if (e == NULL || !g_atomic_int_dec_and_test(&e->refs))
		return;
	usbdev_unref(e->usb);
	g_free(e);
}

/* ---- unplug watcher ---- */

static gpointer watch(gpointer data)
{
	usbip_exporter *ex = data;

	while (!g_atomic_int_get(&ex->stop)) {
		g_mutex_lock(&ex->lock);
		for (unsigned i = 0; i < USBIP_MAX_DEVICES; i++) {
			usbip_export *e = ex->dev[i];
			if (e != NULL && e->owner != NULL && usbdev_gone(e->usb))
				usbip_session_end(e->owner);
		}
		g_mutex_unlock(&ex->lock);
		g_usleep(PLUG_POLL_MS * 1000);
	}
	return NULL;
}

usbip_exporter *usbip_exporter_new(void)
{
	usbip_exporter *ex = g_new0(usbip_exporter, 1);

	g_mutex_init(&ex->lock);
	ex->watcher = g_thread_new("usbip-plug", watch, ex);
	return ex;
}

void usbip_exporter_free(usbip_exporter *ex)
{
	if (ex == NULL)
		return;
	g_atomic_int_set(&ex->stop, 1);
	g_thread_join(ex->watcher);
	for (unsigned i = 0; i < USBIP_MAX_DEVICES; i++) {
		g_mutex_lock(&ex->lock);
		usbip_export *e = g_steal_pointer(&ex->dev[i]);
		if (e != NULL) {
			e->removed = true;
			if (e->owner != NULL)
				usbip_session_end(e->owner);
		}
		g_mutex_unlock(&ex->lock);
		usbip_export_unref(e);
	}
	g_mutex_clear(&ex->lock);
	g_free(ex);
}

/* ---- hooks of the devices ---- */

/* The disconnect fault: the device leaves the bus, its session ends. */
static void on_unplug(usbdev *d, void *data)
{
	usbip_export *e = data;
	emu_fault f = { .kind = EMU_FAULT_DEVICE_GONE, .count = EMU_FAULT_FOREVER };

	emu_device_fault_set(d->emu, -1, &f, NULL);
	g_mutex_lock(&e->ex->lock);
	if (e->owner != NULL)
		usbip_session_end(e->owner);
	g_mutex_unlock(&e->ex->lock);
}

static void on_trace(usbdev *d, bool in, const uint8_t *buf, size_t len, void *data)
{
	usbip_export *e = data;

	(void)d;
	ctl_server_trace_frame(g_atomic_pointer_get(&e->ex->ctl), e->number,
			       in ? CTL_TRACE_IN : CTL_TRACE_OUT, buf, len);
}

void usbip_exporter_set_ctl(usbip_exporter *ex, ctl_server *ctl)
{
	g_atomic_pointer_set(&ex->ctl, ctl);
}

/* scenario=: reader names are the exported devices' names. */
static emu_device *resolve(const char *reader, void *data)
{
	usbip_exporter *ex = data;
	emu_device *found = NULL;

	g_mutex_lock(&ex->lock);
	for (unsigned i = 0; i < USBIP_MAX_DEVICES && found == NULL; i++)
		if (ex->dev[i] != NULL && strcmp(ex->dev[i]->usb->name, reader) == 0)
			found = emu_device_ref(ex->dev[i]->usb->emu);
	g_mutex_unlock(&ex->lock);
	return found;
}

/* ---- adding and removing ---- */

bool usbip_exporter_add(usbip_exporter *ex, const char *spec, unsigned *number, GError **error)
{
	usbip_export *e = g_new0(usbip_export, 1);
	e->refs = 1;
	e->ex = ex;

	g_mutex_lock(&ex->lock);
	unsigned port = 0;
	while (port < USBIP_MAX_DEVICES && ex->dev[port] != NULL)
		port++;
	if (port == USBIP_MAX_DEVICES) {
		g_mutex_unlock(&ex->lock);
		g_free(e);
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
			    "every port is taken: a server exports %u devices at most (remove one)",
			    USBIP_MAX_DEVICES);
		return false;
	}
	/* Held while the device is made: another add cannot take the port. */
	ex->dev[port] = e;
	e->number = NUMBER_BASE + ex->next_number++;
	e->port = port + 1;
	g_mutex_unlock(&ex->lock);

	g_autofree char *busid = g_strdup_printf("1-%u", e->port);
	usbdev_opts opts = {
		.default_name = busid,
		.default_bus = 1,
		.default_address = e->port + 1,
		.hooks = { .unplug = on_unplug, .trace = on_trace, .data = e },
		.resolve = resolve,
		.resolve_data = ex,
	};
	usbdev *d = usbdev_new(spec, &opts, error);
	g_mutex_lock(&ex->lock);
	if (d == NULL) {
		ex->dev[port] = NULL;
		g_mutex_unlock(&ex->lock);
		g_free(e);
		return false;
	}
	e->usb = d;
	e->bus = d->bus;
	e->devnum = d->address;
	g_snprintf(e->busid, sizeof e->busid, "%u-%u", e->bus, e->port);
	*number = e->number;
	g_mutex_unlock(&ex->lock);
	return true;
}

/* The device a bus id or a name names; lock held. */
static int find_locked(usbip_exporter *ex, const char *key)
{
	for (unsigned i = 0; i < USBIP_MAX_DEVICES; i++)
		if (ex->dev[i] != NULL && ex->dev[i]->usb != NULL &&
		    (strcmp(ex->dev[i]->busid, key) == 0 || strcmp(ex->dev[i]->usb->name, key) == 0))
			return (int)i;
	return -1;
}

bool usbip_exporter_remove(usbip_exporter *ex, const char *key, GError **error)
{
	g_mutex_lock(&ex->lock);
	int i = find_locked(ex, key);
	usbip_export *e = i >= 0 ? g_steal_pointer(&ex->dev[i]) : NULL;
	if (e != NULL) {
		e->removed = true;
		if (e->owner != NULL)
			usbip_session_end(e->owner);
	}
	g_mutex_unlock(&ex->lock);
	if (e == NULL) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND,
			    "no exported device \"%s\" (a bus id such as 1-1, or a name)", key);
		return false;
	}
	usbip_export_unref(e);
	return true;
}

/* ---- the protocol's view ---- */

static void devinfo(const usbip_export *e, usbip_devinfo *out)
{
	usbip_devinfo_of(e->usb, e->busid, e->bus, e->devnum, out);
}

size_t usbip_exporter_devlist(usbip_exporter *ex, usbip_devinfo *out, size_t cap)
{
	size_t n = 0;

	g_mutex_lock(&ex->lock);
	for (unsigned i = 0; i < USBIP_MAX_DEVICES; i++) {
		usbip_export *e = ex->dev[i];
		if (e == NULL || e->usb == NULL || usbdev_gone(e->usb))
			continue;
		if (n < cap)
			devinfo(e, &out[n]);
		n++;
	}
	g_mutex_unlock(&ex->lock);
	return n;
}

uint32_t usbip_exporter_claim(usbip_exporter *ex, const char *busid, usbip_session *s,
			      usbip_devinfo *info, usbip_export **out)
{
	uint32_t st = USBIP_ST_OK;

	g_mutex_lock(&ex->lock);
	int i = find_locked(ex, busid);
	usbip_export *e = i >= 0 ? ex->dev[i] : NULL;
	if (e == NULL || strcmp(e->busid, busid) != 0 || usbdev_gone(e->usb)) {
		st = USBIP_ST_NODEV;
	} else if (e->owner != NULL) {
		st = USBIP_ST_DEV_BUSY;
	} else {
		e->owner = s;
		g_atomic_int_inc(&e->refs);
		devinfo(e, info);
		COUNT(e, USBIP_COUNT_IMPORTS);
		*out = e;
	}
	g_mutex_unlock(&ex->lock);
	return st;
}

void usbip_exporter_release(usbip_exporter *ex, usbip_export *e)
{
	/* The host is gone: whatever it left in the reader (an answer it
	 * never read, powered cards) must not reach the next one. */
	usbdev_replug(e->usb);
	g_mutex_lock(&ex->lock);
	e->owner = NULL;
	g_mutex_unlock(&ex->lock);
	usbip_export_unref(e);
}

void usbip_export_count(usbip_export *e, const usbip_urb *u)
{
	COUNT(e, u->queue);
	if (u->unlinked && u->status == -ECONNRESET)
		COUNT(e, USBIP_COUNT_UNLINKED);
	else if (u->status != 0)
		COUNT(e, USBIP_COUNT_FAILED);
}

char *usbip_exporter_describe(usbip_exporter *ex)
{
	GString *s = g_string_new(NULL);

	g_mutex_lock(&ex->lock);
	for (unsigned i = 0; i < USBIP_MAX_DEVICES; i++) {
		usbip_export *e = ex->dev[i];
		if (e == NULL || e->usb == NULL)
			continue;
		g_string_append_printf(s, "  %-6s %04x:%04x  %s  (%s)\n", e->busid,
				       e->usb->info.idVendor, e->usb->info.idProduct,
				       emu_device_profile(e->usb->emu)->name, e->usb->name);
	}
	g_mutex_unlock(&ex->lock);
	return g_string_free(s, FALSE);
}
