/* ccidlab — usbdev: what the control plane sees of an emulated USB
 * device, the same from every front (usbsim's devices, usbip's exported
 * ones): its slots, names, profile, mode, and the emulator behind it.
 * The front adds its own reader number and DEVICENAME.
 */
#include "config.h"

#include <string.h>

#include "usbdev/usbdev_ctl.h"

void usbdev_ctl_fill(usbdev *d, ctl_reader_info *r)
{
	memset(r, 0, sizeof *r);
	r->n_slots = emu_device_slot_count(d->emu);
	g_strlcpy(r->name, d->name, sizeof r->name);
	g_strlcpy(r->profile, emu_device_profile(d->emu)->name, sizeof r->profile);
	/* A driver reads card events on the interrupt pipe when there is
	 * one; it is polled otherwise. */
	g_strlcpy(r->mode, d->ep_interrupt != 0 ? "event" : "poll", sizeof r->mode);
	r->emu = emu_device_ref(d->emu);
	r->edge_id = emu_device_id(d->emu);
}
