/* ccidlab — usbsim: USB transfer faults (emu/usbfault.h) on a device's
 * pipes: stalls, NAKs (timeouts), short and zero-length packets, babble,
 * and the device vanishing in the middle of a transfer.
 *
 * They are set from $CCIDLAB_USBSIM (fault=) or live through the control
 * socket (ctl.c), and taken by the transfers (xfer.c): the ones that act
 * before data moves when a transfer starts, and again at every slice of
 * an IN wait, so that a fault set while a transfer is pending (libccid's
 * interrupt transfer waits for minutes) hits that transfer within
 * USBSIM_SLICE_MS; short and babble when a message arrives.  A stall is
 * a halt: it stays until libusb_clear_halt on its endpoint (or its count
 * runs out, or `fault clear`), as an endpoint's halt feature does.
 */
#include "config.h"

#include <string.h>

#include "emu/profile.h"
#include "usbsim/usbsim.h"

#define BIT(k) (1u << (k))
#define BEFORE_KINDS (BIT(EMU_USB_FAULT_STALL) | BIT(EMU_USB_FAULT_NAK) | \
		      BIT(EMU_USB_FAULT_ZLP) | BIT(EMU_USB_FAULT_DISCONNECT))
/* What a babbling device sends past the message (visible in traces). */
#define BABBLE_FILL 0xBBu

static bool has_pipe(const usbsim_dev *d, emu_usb_pipe p)
{
	return p != EMU_USB_PIPE_INTERRUPT || d->ep_interrupt != 0;
}

bool usbsim_fault_add(usbsim_dev *d, const emu_usb_fault *f, GError **error)
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
	g_mutex_lock(&usbsim_lock);
	size_t i = 0;
	while (i < d->n_faults && !(d->faults[i].kind == f->kind && d->faults[i].pipe == f->pipe))
		i++;
	if (i == USBSIM_MAX_FAULTS) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: more than %u USB faults",
			    d->name, USBSIM_MAX_FAULTS);
		ok = false;
	} else {
		d->faults[i] = *f;
		if (i == d->n_faults)
			d->n_faults++;
	}
	g_mutex_unlock(&usbsim_lock);
	return ok;
}

static void remove_at(usbsim_dev *d, size_t i)
{
	memmove(&d->faults[i], &d->faults[i + 1], (d->n_faults - i - 1) * sizeof d->faults[0]);
	d->n_faults--;
}

unsigned usbsim_fault_clear(usbsim_dev *d, int kind, int pipe)
{
	unsigned n = 0;

	g_mutex_lock(&usbsim_lock);
	for (size_t i = d->n_faults; i-- > 0;)
		if ((kind < 0 || (int)d->faults[i].kind == kind) &&
		    (pipe < 0 || (int)d->faults[i].pipe == pipe)) {
			remove_at(d, i);
			n++;
		}
	g_mutex_unlock(&usbsim_lock);
	return n;
}

size_t usbsim_fault_list(usbsim_dev *d, emu_usb_fault *out, size_t cap)
{
	g_mutex_lock(&usbsim_lock);
	size_t n = d->n_faults;
	memcpy(out, d->faults, MIN(n, cap) * sizeof d->faults[0]);
	g_mutex_unlock(&usbsim_lock);
	return n;
}

/* The first fault on pipe whose kind is in the mask (bit per
 * emu_usb_fault_kind), its count spent by one. */
static bool usbsim_fault_take(usbsim_dev *d, emu_usb_pipe pipe, unsigned kinds,
			      emu_usb_fault *out)
{
	bool hit = false;

	g_mutex_lock(&usbsim_lock);
	for (size_t i = 0; i < d->n_faults && !hit; i++) {
		emu_usb_fault *f = &d->faults[i];
		if (f->pipe != pipe || !(kinds & BIT(f->kind)))
			continue;
		*out = *f;
		hit = true;
		if (f->count > 0 && --f->count == 0)
			remove_at(d, i);
	}
	g_mutex_unlock(&usbsim_lock);
	return hit;
}

int usbsim_nak_wait(usbsim_dev *d, gint64 end, const atomic_bool *cancel)
{
	for (;;) {
		if (usbsim_gone(d))
			return LIBUSB_ERROR_NO_DEVICE;
		if (cancel != NULL && atomic_load(cancel))
			return LIBUSB_ERROR_INTERRUPTED;
		gint64 step = USBSIM_NAK_STEP_MS * 1000;
		if (end != 0) {
			gint64 left = end - g_get_monotonic_time();
			if (left <= 0)
				return LIBUSB_ERROR_TIMEOUT;
			step = MIN(step, left);
		}
		g_usleep((gulong)step);
	}
}

/* The device vanishes `ms` into the transfer: a whole-device unplug
 * (plug.c), as when the cable is pulled while the host waits. */
static int disconnect(usbsim_dev *d, unsigned ms)
{
	usbsim_debug("%s: disconnect fault, %u ms into the transfer", d->name, ms);
	g_usleep((gulong)ms * 1000);
	usbsim_plug_set(d, false);
	return LIBUSB_ERROR_NO_DEVICE;
}

bool usbsim_fault_before(usbsim_dev *d, emu_usb_pipe pipe, gint64 end,
			 const atomic_bool *cancel, int *rc)
{
	emu_usb_fault f;

	if (!usbsim_fault_take(d, pipe, BEFORE_KINDS, &f))
		return false;
	usbsim_debug("%s: USB fault %s on %s", d->name, emu_usb_fault_kind_name(f.kind),
		     emu_usb_pipe_name(pipe));
	switch (f.kind) {
	case EMU_USB_FAULT_STALL:
		*rc = LIBUSB_ERROR_PIPE;
		break;
	case EMU_USB_FAULT_NAK:
		*rc = usbsim_nak_wait(d, end, cancel);
		break;
	case EMU_USB_FAULT_ZLP:
		*rc = LIBUSB_SUCCESS;
		break;
	default:
		*rc = disconnect(d, emu_usb_fault_arg(&f));
		break;
	}
	return true;
}

int usbsim_fault_after(usbsim_dev *d, emu_usb_pipe pipe, unsigned char *data, int length,
		       size_t *len)
{
	emu_usb_fault f;

	if (!usbsim_fault_take(d, pipe, BIT(EMU_USB_FAULT_SHORT) | BIT(EMU_USB_FAULT_BABBLE), &f))
		return LIBUSB_SUCCESS;
	usbsim_debug("%s: USB fault %s on %s (%zu-byte message)", d->name,
		     emu_usb_fault_kind_name(f.kind), emu_usb_pipe_name(pipe), *len);
	if (f.kind == EMU_USB_FAULT_SHORT) {
		*len = MIN(*len, (size_t)emu_usb_fault_arg(&f));
		return LIBUSB_SUCCESS;
	}
	/* Babble: the buffer fills up and the device still sends. */
	if (*len < (size_t)length)
		memset(data + *len, BABBLE_FILL, (size_t)length - *len);
	*len = (size_t)length;
	return LIBUSB_ERROR_OVERFLOW;
}
