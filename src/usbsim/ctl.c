/* ccidlab — usbsim: the control socket (ccidlab-ctl(7)) inside the shim.
 *
 * When $CCIDLAB_USBSIM_CTL names a socket path, the shim starts the same
 * control server as ccidlab's driver, over a directory of its emulated
 * USB devices, so that `ccidlab insert/remove/storm/fault/events` drive
 * them unchanged while an unmodified driver (libccid) talks to them
 * through libusb.  The directory is the device table, which never changes
 * after it is built.  A reader's number is pcscd's (the CLI finds pcscd's
 * reader names by it, "NAME 01 00"): pcscd numbers its readers in the
 * order it creates them, and libccid claims a device's interface while
 * pcscd creates its reader, so the order of first claims gives the
 * numbers.  This holds for readers declared at pcscd's start; a reader
 * pcscd removes and adds again keeps its first number here.
 *
 * The server lives as long as the process: the devices do (usbsim.h), and
 * stopping a GLib thread from an atexit handler of a process that may
 * still run other threads is not safe.
 */
#include "config.h"

#include <string.h>

#include "ctl/server.h"
#include "usbdev/usbdev_ctl.h"
#include "usbsim/usbsim.h"

static ctl_server *server;

static void fill(const usbsim_dev *d, ctl_reader_info *r)
{
	usbdev_ctl_fill(d->usb, r);
	/* Not claimed yet: a number out of pcscd's way. */
	gint number = g_atomic_int_get(&((usbsim_dev *)d)->number);
	r->number = number >= 0 ? (unsigned)number
				: USBSIM_MAX_DEVICES * (d->parent != NULL ? 2u : 1u) + d->index;
	/* The DEVICENAME a reader.conf.d entry gives libccid for it. */
	g_snprintf(r->devname, sizeof r->devname, "usb:%04x/%04x:libusb-1.0:%u:%u:%u",
		   d->usb->info.idVendor, d->usb->info.idProduct, d->usb->bus, d->usb->address,
		   d->usb->ccid_iface);
}

/* One reader per CCID function: a device's, and a composite device's
 * second one after it. */
static size_t directory_list(void *data, ctl_reader_info *out, size_t cap)
{
	usbsim_dev **devs;
	size_t n = usbsim_devices(&devs), k = 0;

	(void)data;
	for (size_t i = 0; i < n; i++)
		for (usbsim_dev *d = devs[i]; d != NULL; d = d->parent == NULL ? d->fn2 : NULL) {
			if (k < cap)
				fill(d, &out[k]);
			k++;
		}
	return k;
}

/* The device of an emulated reader the server names. */
static usbsim_dev *by_emu(const emu_device *emu)
{
	usbsim_dev **devs;
	size_t n = usbsim_devices(&devs);

	for (size_t i = 0; i < n; i++)
		for (usbsim_dev *d = devs[i]; d != NULL; d = d->parent == NULL ? d->fn2 : NULL)
			if (d->usb->emu == emu)
				return d;
	return NULL;
}

static bool directory_usb_fault_set(void *data, emu_device *emu, const emu_usb_fault *f,
				    GError **error)
{
	usbsim_dev *d = by_emu(emu);

	(void)data;
	if (d == NULL) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "not a usbsim device");
		return false;
	}
	return usbdev_fault_add(d->usb, f, error);
}

static unsigned directory_usb_fault_clear(void *data, emu_device *emu, int kind)
{
	usbsim_dev *d = by_emu(emu);

	(void)data;
	return d != NULL ? usbdev_fault_clear(d->usb, kind, -1) : 0;
}

static size_t directory_usb_fault_list(void *data, emu_device *emu, emu_usb_fault *out,
				       size_t cap)
{
	usbsim_dev *d = by_emu(emu);

	(void)data;
	return d != NULL ? usbdev_fault_list(d->usb, out, cap) : 0;
}

static const ctl_directory directory = {
	.list = directory_list,
	.usb_fault_set = directory_usb_fault_set,
	.usb_fault_clear = directory_usb_fault_clear,
	.usb_fault_list = directory_usb_fault_list,
};

void usbsim_ctl_start(void)
{
	const char *path = g_getenv("CCIDLAB_USBSIM_CTL");
	g_autoptr(GError) err = NULL;

	if (path == NULL || *path == '\0')
		return;
	ctl_server_opts opts = { .group = g_getenv("CCIDLAB_CTL_GROUP") };
	g_atomic_pointer_set(&server, ctl_server_start(path, &directory, &opts, &err));
	if (server == NULL)
		g_message("control socket not available: %s", err->message);
	else
		usbsim_debug("control socket %s", path);
}

void usbsim_ctl_claimed(usbsim_dev *d)
{
	static gint next;

	if (g_atomic_int_get(&d->number) >= 0)
		return;
	g_mutex_lock(&usbsim_lock);
	if (d->number < 0)
		g_atomic_int_set(&d->number, next++);
	g_mutex_unlock(&usbsim_lock);
}

void usbsim_ctl_trace(const usbsim_dev *d, bool in, const uint8_t *buf, size_t len)
{
	ctl_server_trace_frame(g_atomic_pointer_get(&server), (unsigned)g_atomic_int_get(&d->number), in ? CTL_TRACE_IN : CTL_TRACE_OUT, buf, len);
}
