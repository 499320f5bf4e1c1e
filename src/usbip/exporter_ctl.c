/* ccidlab — what the control plane (ctl/directory.h) sees of the USB/IP
 * server's devices: one reader per exported device, named by its bus id
 * unless the spec named it, DEVICENAME "usbip:BUSID", its URBs counted by
 * kind; the USB transfer faults of its pipes; devices added and removed
 * live (device-add, device-remove: `ccidlab usbip add/remove`).
 */
#include "config.h"

#include <string.h>

#include "usbdev/usbdev_ctl.h"
#include "usbip/usbip_priv.h"

static const char *const count_names[USBIP_COUNT_KINDS] = {
	[USBIP_COUNT_CONTROL] = "urb_control",
	[USBIP_COUNT_BULK_OUT] = "urb_bulk_out",
	[USBIP_COUNT_BULK_IN] = "urb_bulk_in",
	[USBIP_COUNT_INTERRUPT] = "urb_interrupt",
	[USBIP_COUNT_EXTRA] = "urb_extra",
	[USBIP_COUNT_UNLINKED] = "urb_unlinked",
	[USBIP_COUNT_FAILED] = "urb_failed",
	[USBIP_COUNT_IMPORTS] = "imports",
};

static void fill(usbip_export *e, ctl_reader_info *r)
{
	G_STATIC_ASSERT(USBIP_COUNT_KINDS + 1 <= CTL_COUNTERS_MAX);
	usbdev_ctl_fill(e->usb, r);
	r->number = e->number;
	g_snprintf(r->devname, sizeof r->devname, "usbip:%s", e->busid);
	for (unsigned k = 0; k < USBIP_COUNT_KINDS; k++) {
		g_strlcpy(r->counters[k].name, count_names[k], sizeof r->counters[k].name);
		r->counters[k].value = __atomic_load_n(&e->counts[k], __ATOMIC_RELAXED);
	}
	/* Whether a client holds it now. */
	g_strlcpy(r->counters[USBIP_COUNT_KINDS].name, "imported",
		  sizeof r->counters[USBIP_COUNT_KINDS].name);
	r->counters[USBIP_COUNT_KINDS].value = e->owner != NULL;
	r->n_counters = USBIP_COUNT_KINDS + 1;
}

static size_t dir_list(void *data, ctl_reader_info *out, size_t cap)
{
	usbip_exporter *ex = data;
	size_t n = 0;

	g_mutex_lock(&ex->lock);
	for (unsigned i = 0; i < USBIP_MAX_DEVICES; i++) {
		usbip_export *e = ex->dev[i];
		if (e == NULL || e->usb == NULL)
			continue;
		if (n < cap)
			fill(e, &out[n]);
		n++;
	}
	g_mutex_unlock(&ex->lock);
	return n;
}

/* The device of an emulated reader the server names (a new reference). */
static usbip_export *by_emu(usbip_exporter *ex, const emu_device *emu)
{
	usbip_export *found = NULL;

	g_mutex_lock(&ex->lock);
	for (unsigned i = 0; i < USBIP_MAX_DEVICES && found == NULL; i++) {
		usbip_export *e = ex->dev[i];
		if (e != NULL && e->usb != NULL && e->usb->emu == emu) {
			found = e;
			g_atomic_int_inc(&e->refs);
		}
	}
	g_mutex_unlock(&ex->lock);
	return found;
}

static bool dir_fault_set(void *data, emu_device *emu, const emu_usb_fault *f, GError **error)
{
	usbip_export *e = by_emu(data, emu);
	bool ok = e != NULL && usbdev_fault_add(e->usb, f, error);

	if (e == NULL)
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "not an exported device");
	usbip_export_unref(e);
	return ok;
}

static unsigned dir_fault_clear(void *data, emu_device *emu, int kind)
{
	usbip_export *e = by_emu(data, emu);
	unsigned n = e != NULL ? usbdev_fault_clear(e->usb, kind, -1) : 0;

	usbip_export_unref(e);
	return n;
}

static size_t dir_fault_list(void *data, emu_device *emu, emu_usb_fault *out, size_t cap)
{
	usbip_export *e = by_emu(data, emu);
	size_t n = e != NULL ? usbdev_fault_list(e->usb, out, cap) : 0;

	usbip_export_unref(e);
	return n;
}

static bool dir_add(void *data, const char *spec, unsigned *number, GError **error)
{
	return usbip_exporter_add(data, spec, number, error);
}

static bool dir_remove(void *data, emu_device *emu, GError **error)
{
	usbip_export *e = by_emu(data, emu);
	bool ok = e != NULL && usbip_exporter_remove(data, e->busid, error);

	if (e == NULL)
		g_set_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND, "not an exported device");
	usbip_export_unref(e);
	return ok;
}

void usbip_exporter_directory(usbip_exporter *ex, ctl_directory *out)
{
	*out = (ctl_directory){
		.list = dir_list,
		.data = ex,
		.usb_fault_set = dir_fault_set,
		.usb_fault_clear = dir_fault_clear,
		.usb_fault_list = dir_fault_list,
		.device_add = dir_add,
		.device_remove = dir_remove,
	};
}
