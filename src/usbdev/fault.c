/* ccidlab — usbdev: USB transfer faults (emu/usbfault.h) on a device's
 * pipes: stalls, NAKs (timeouts), short and zero-length packets, babble,
 * the device vanishing in the middle of a transfer, and a device that
 * chatters on its interrupt pipe.
 *
 * They are set from the spec (fault=) or live through the control
 * socket, and taken by the transfers (pipe.c, control.c): the ones that
 * act before data moves when a transfer starts, and again at every slice
 * of an IN wait, so that a fault set while a transfer is pending (a
 * driver's interrupt transfer waits for minutes) hits that transfer
 * within USBDEV_SLICE_MS; short and babble when a message arrives.  A
 * stall without a count is a halt: it stays until CLEAR_FEATURE
 * (ENDPOINT_HALT) on its endpoint (or `fault clear`), as an endpoint's
 * halt feature does (USB 2.0 §9.4.5).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usbdev/usbdev.h"

#define BIT(k) (1u << (k))
#define BEFORE_KINDS (BIT(EMU_USB_FAULT_STALL) | BIT(EMU_USB_FAULT_NAK) | \
		      BIT(EMU_USB_FAULT_ZLP) | BIT(EMU_USB_FAULT_DISCONNECT))
/* What a babbling device sends past the message (visible in traces). */
#define BABBLE_FILL 0xBBu

static bool has_pipe(const usbdev *d, emu_usb_pipe p)
{
	return p != EMU_USB_PIPE_INTERRUPT || d->ep_interrupt != 0;
}

bool usbdev_fault_add(usbdev *d, const emu_usb_fault *f, GError **error)
{
	if (!emu_usb_fault_applies(f->kind, f->pipe)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s does not apply to the %s pipe",
			    emu_usb_fault_kind_name(f->kind), emu_usb_pipe_name(f->pipe));
		return false;
	}
	if (!has_pipe(d, f->pipe)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
			    "%s has no interrupt pipe (a 2-endpoint profile)", d->name);
		return false;
	}
	bool ok = true;
	g_mutex_lock(&d->lock);
	size_t i = 0;
	while (i < d->n_faults && !(d->faults[i].kind == f->kind && d->faults[i].pipe == f->pipe))
		i++;
	if (i == USBDEV_MAX_FAULTS) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: more than %u USB faults",
			    d->name, USBDEV_MAX_FAULTS);
		ok = false;
	} else {
		d->faults[i] = *f;
		if (i == d->n_faults)
			d->n_faults++;
	}
	g_mutex_unlock(&d->lock);
	return ok;
}

static void remove_at(usbdev *d, size_t i)
{
	memmove(&d->faults[i], &d->faults[i + 1], (d->n_faults - i - 1) * sizeof d->faults[0]);
	d->n_faults--;
}

unsigned usbdev_fault_clear(usbdev *d, int kind, int pipe)
{
	unsigned n = 0;

	g_mutex_lock(&d->lock);
	for (size_t i = d->n_faults; i-- > 0;)
		if ((kind < 0 || (int)d->faults[i].kind == kind) &&
		    (pipe < 0 || (int)d->faults[i].pipe == pipe)) {
			remove_at(d, i);
			n++;
		}
	g_mutex_unlock(&d->lock);
	return n;
}

size_t usbdev_fault_list(usbdev *d, emu_usb_fault *out, size_t cap)
{
	g_mutex_lock(&d->lock);
	size_t n = d->n_faults;
	memcpy(out, d->faults, MIN(n, cap) * sizeof d->faults[0]);
	g_mutex_unlock(&d->lock);
	return n;
}

bool usbdev_fault_take(usbdev *d, emu_usb_pipe pipe, unsigned kinds, emu_usb_fault *out)
{
	bool hit = false;

	g_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n_faults && !hit; i++) {
		emu_usb_fault *f = &d->faults[i];
		if (f->pipe != pipe || !(kinds & BIT(f->kind)))
			continue;
		*out = *f;
		hit = true;
		if (f->count > 0 && --f->count == 0)
			remove_at(d, i);
	}
	g_mutex_unlock(&d->lock);
	return hit;
}

bool usbdev_halted(usbdev *d, emu_usb_pipe pipe)
{
	bool halted = false;

	g_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n_faults; i++)
		halted |= d->faults[i].pipe == pipe && d->faults[i].kind == EMU_USB_FAULT_STALL &&
			  d->faults[i].count == 0;
	g_mutex_unlock(&d->lock);
	return halted;
}

int usbdev_nak_wait(usbdev *d, gint64 end, const atomic_bool *cancel)
{
	for (;;) {
		if (usbdev_gone(d))
			return -ENODEV;
		if (cancel != NULL && atomic_load(cancel))
			return -ECONNRESET;
		gint64 step = USBDEV_NAK_STEP_MS * 1000;
		if (end != 0) {
			gint64 left = end - g_get_monotonic_time();
			if (left <= 0)
				return -ETIMEDOUT;
			step = MIN(step, left);
		}
		g_usleep((gulong)step);
	}
}

/* The device vanishes `ms` into the transfer: a whole-device unplug, as
 * when the cable is pulled while the host waits. */
static int disconnect(usbdev *d, unsigned ms)
{
	g_usleep((gulong)ms * 1000);
	usbdev_plug(d, false);
	return -ENODEV;
}

bool usbdev_fault_before(usbdev *d, emu_usb_pipe pipe, gint64 end, const atomic_bool *cancel,
			 int *status)
{
	emu_usb_fault f;

	if (!usbdev_fault_take(d, pipe, BEFORE_KINDS, &f))
		return false;
	switch (f.kind) {
	case EMU_USB_FAULT_STALL:
		*status = -EPIPE;
		break;
	case EMU_USB_FAULT_NAK:
		*status = usbdev_nak_wait(d, end, cancel);
		break;
	case EMU_USB_FAULT_ZLP:
		*status = 0;
		break;
	default:
		*status = disconnect(d, emu_usb_fault_arg(&f));
		break;
	}
	return true;
}

bool usbdev_fault_notify(usbdev *d, uint8_t *data, size_t cap, size_t *len)
{
	emu_usb_fault f;

	if (!usbdev_fault_take(d, EMU_USB_PIPE_INTERRUPT, BIT(EMU_USB_FAULT_NOTIFY), &f))
		return false;
	/* CCID 1.1 §6.3.1: bmSlotICCState, two bits per slot (bit 0 the
	 * present bit, bit 1 the changed bit), four slots per byte. */
	unsigned slots = emu_device_slot_count(d->emu);
	uint8_t msg[1 + 64] = { 0x50 };
	size_t n = MIN(1u + (2u * slots + 7u) / 8u, sizeof msg);
	for (unsigned i = 0; i < slots && 1 + i / 4 < n; i++) {
		emu_slot_info info;
		bool present = emu_device_slot_info(d->emu, i, &info) && info.present;
		msg[1 + i / 4] |= (uint8_t)((present ? 3u : 2u) << (i % 4 * 2));
	}
	*len = MIN(n, cap);
	memcpy(data, msg, *len);
	return true;
}

int usbdev_fault_after(usbdev *d, emu_usb_pipe pipe, uint8_t *data, size_t cap, size_t *len)
{
	emu_usb_fault f;

	if (!usbdev_fault_take(d, pipe, BIT(EMU_USB_FAULT_SHORT) | BIT(EMU_USB_FAULT_BABBLE), &f))
		return 0;
	if (f.kind == EMU_USB_FAULT_SHORT) {
		*len = MIN(*len, (size_t)emu_usb_fault_arg(&f));
		return 0;
	}
	/* Babble: the buffer fills up and the device still sends. */
	if (*len < cap)
		memset(data + *len, BABBLE_FILL, cap - *len);
	*len = cap;
	return -EOVERFLOW;
}
