/* ccidlab — the control requests about faults (server_priv.h):
 * fault-set and fault-clear, of the emulator's CCID-level kinds (the
 * device model applies them) and of USB transfer kinds (the directory's,
 * for readers shown as USB devices: the usbsim shim). */
#include "config.h"

#include "ctl/server_priv.h"

/* A USB transfer fault: on the whole device (a pipe, not a slot), and
 * only where the directory shows readers as USB devices. */
static bool set_usb_fault(ctl_server *s, ctl_reader_info *ri, const ctl_request *r,
			  GError **error)
{
	g_autoptr(GError) err = NULL;
	char text[64];

	emu_usb_fault_format(&r->usb_fault, text, sizeof text);
	if (s->dir.usb_fault_set == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_EMULATED,
			    "reader %u: %s is a USB transfer fault: only usbsim devices (the "
			    "libusb shim) have USB pipes; this driver's emulated readers take "
			    "the CCID-level kinds",
			    ri->number, text);
		return false;
	}
	if (r->slot >= 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "%s: USB transfer faults act on the device's pipes, not a slot: "
			    "give the reader without /SLOT", text);
		return false;
	}
	if (!s->dir.usb_fault_set(s->dir.data, ri->emu, &r->usb_fault, &err)) {
		ctl_error_from_emu(err, error);
		return false;
	}
	return true;
}

static bool fault_set_on(ctl_server *s, const ctl_request *r, ctl_reader_info *ri, void *data,
			 GError **error)
{
	JsonBuilder *b = data;
	g_autoptr(GError) err = NULL;
	char text[64];
	if (r->is_usb_fault) {
		if (!set_usb_fault(s, ri, r, error))
			return false;
		emu_usb_fault_format(&r->usb_fault, text, sizeof text);
	} else {
		if (!emu_device_fault_set(ri->emu, r->slot, &r->fault, &err)) {
			ctl_error_from_emu(err, error);
			return false;
		}
		emu_fault_format(&r->fault, text, sizeof text);
	}
	ctl_member_string(b, "fault", text);
	return true;
}

bool ctl_do_fault_set(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		      GError **error)
{
	return ctl_with_reader(s, r, r->slot, true, fault_set_on, b, error);
}

/* A USB kind clears only USB faults, an emulator kind only the
 * emulator's; no kind (and no slot) clears both. */
static bool fault_clear_on(ctl_server *s, const ctl_request *r, ctl_reader_info *ri,
			   void *data, GError **error)
{
	JsonBuilder *b = data;
	int slot = r->has_slot ? r->slot : EMU_DEVICE_ALL_SLOTS;
	unsigned n = 0;
	if (!r->has_usb_kind)
		n = emu_device_fault_clear(ri->emu, slot, r->has_kind ? (int)r->kind_filter : -1);
	if (!r->has_kind && (!r->has_slot || r->slot < 0) && s->dir.usb_fault_clear != NULL)
		n += s->dir.usb_fault_clear(s->dir.data, ri->emu,
					    r->has_usb_kind ? (int)r->usb_kind_filter : -1);
	ctl_member_int(b, "cleared", n);
	return true;
}

bool ctl_do_fault_clear(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			GError **error)
{
	return ctl_with_reader(s, r, r->has_slot ? r->slot : -1, true, fault_clear_on, b, error);
}
