/* ccidlab — usbdev: endpoint 0.  The standard requests of USB 2.0 §9.4
 * that a configured device answers, and the CCID class requests of
 * CCID 1.1 §5.3, which the emulator answers (ABORT, GET_CLOCK_FREQUENCIES,
 * GET_DATA_RATES).  The device has one configuration (value 1) and one
 * alternate setting (0) per interface; SET_ADDRESS is the host
 * controller's (a USB/IP client's vhci-hcd keeps it; libusb never sends
 * it), so it is a request error here as any other request not listed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <linux/usb/ch9.h>

#include "ccid/result.h"
#include "usbdev/usbdev.h"

typedef struct setup {
	uint8_t bmRequestType, bRequest;
	uint16_t wValue, wIndex, wLength;
} setup;

static setup decode(const uint8_t s[8])
{
	return (setup){ s[0], s[1], (uint16_t)(s[2] | s[3] << 8), (uint16_t)(s[4] | s[5] << 8),
			(uint16_t)(s[6] | s[7] << 8) };
}

static bool has_interface(const usbdev *d, unsigned n)
{
	return n == d->ccid_iface || (d->extra_iface >= 0 && n == (unsigned)d->extra_iface) ||
	       (d->fn2 != NULL && n == d->fn2->ccid_iface);
}

/* GET_STATUS (USB 2.0 §9.4.5): self-powered and remote wake-up off for
 * the device, 0 for an interface, the halt bit for an endpoint. */
static int get_status(usbdev *d, const setup *s, uint8_t *data, size_t *actual)
{
	unsigned recip = s->bmRequestType & USB_RECIP_MASK;
	int pipe = -1;
	uint8_t st = 0;

	if (s->wLength < 2 || s->wValue != 0)
		return -EPIPE;
	if (recip == USB_RECIP_INTERFACE && !has_interface(d, s->wIndex & 0xff))
		return -EPIPE;
	if (recip == USB_RECIP_ENDPOINT) {
		uint8_t ep = (uint8_t)s->wIndex;
		d = usbdev_fn_of_endpoint(d, ep);	/* composite=ccid: its halts */
		if (ep != 0 && !usbdev_endpoint_pipe(d, ep, &pipe))
			return -EPIPE;
		st = pipe >= 0 && usbdev_halted(d, (emu_usb_pipe)pipe) ? 1 : 0;
	} else if (recip > USB_RECIP_ENDPOINT) {
		return -EPIPE;
	}
	data[0] = st;
	data[1] = 0;
	*actual = 2;
	return 0;
}

/* CLEAR_FEATURE / SET_FEATURE (USB 2.0 §9.4.1, §9.4.9): ENDPOINT_HALT is
 * the halt of emu/usbfault.h (a stall fault without a count); device
 * remote wake-up is accepted and changes nothing. */
static int feature(usbdev *d, const setup *s, bool set)
{
	unsigned recip = s->bmRequestType & USB_RECIP_MASK;
	int pipe;

	if (recip == USB_RECIP_DEVICE && s->wValue == USB_DEVICE_REMOTE_WAKEUP)
		return 0;
	if (recip != USB_RECIP_ENDPOINT || s->wValue != USB_ENDPOINT_HALT)
		return -EPIPE;
	uint8_t ep = (uint8_t)s->wIndex;
	if (ep == 0)
		return 0;	/* endpoint 0 halts only for the request that stalled */
	d = usbdev_fn_of_endpoint(d, ep);
	if (!usbdev_endpoint_pipe(d, ep, &pipe))
		return -EPIPE;
	if (pipe < 0)
		return 0;	/* the composite extra endpoint: nothing to halt */
	if (!set) {
		/* The halt goes; the pipe's other faults are the device's and stay. */
		usbdev_fault_clear(d, EMU_USB_FAULT_STALL, pipe);
		return 0;
	}
	emu_usb_fault f = { .kind = EMU_USB_FAULT_STALL, .pipe = (emu_usb_pipe)pipe };
	return usbdev_fault_add(d, &f, NULL) ? 0 : -EPIPE;
}

static int standard(usbdev *d, const setup *s, uint8_t *data, size_t *actual, bool *known)
{
	bool in = s->bmRequestType & USB_DIR_IN;
	unsigned recip = s->bmRequestType & USB_RECIP_MASK;

	*known = true;
	switch (s->bRequest) {
	case USB_REQ_GET_DESCRIPTOR: {
		if (!in || recip != USB_RECIP_DEVICE)
			break;
		int n = usbdev_get_descriptor(d, s->wValue, s->wIndex, data, s->wLength);
		if (n < 0)
			return n;
		*actual = (size_t)n;
		return 0;
	}
	case USB_REQ_GET_STATUS:
		if (in)
			return get_status(d, s, data, actual);
		break;
	case USB_REQ_CLEAR_FEATURE:
	case USB_REQ_SET_FEATURE:
		if (!in)
			return feature(d, s, s->bRequest == USB_REQ_SET_FEATURE);
		break;
	case USB_REQ_GET_CONFIGURATION:
		if (!in || s->wLength < 1)
			break;
		data[0] = 1;
		*actual = 1;
		return 0;
	case USB_REQ_SET_CONFIGURATION:
		/* USB 2.0 §9.4.7: 0 unconfigures, 1 is the one configuration;
		 * either way every endpoint's halt goes (§9.1.1.5). */
		if (in || recip != USB_RECIP_DEVICE || s->wValue > 1)
			break;
		usbdev_reset(d);
		return 0;
	case USB_REQ_GET_INTERFACE:
		if (!in || recip != USB_RECIP_INTERFACE || s->wLength < 1 ||
		    !has_interface(d, s->wIndex))
			break;
		data[0] = 0;
		*actual = 1;
		return 0;
	case USB_REQ_SET_INTERFACE:
		/* USB 2.0 §9.4.10: alternate setting 0 is the only one; the
		 * interface's halts go with the request. */
		if (in || recip != USB_RECIP_INTERFACE || s->wValue != 0 ||
		    !has_interface(d, s->wIndex))
			break;
		if (s->wIndex == usbdev_fn_of_iface(d, s->wIndex)->ccid_iface)
			usbdev_fault_clear(usbdev_fn_of_iface(d, s->wIndex), EMU_USB_FAULT_STALL, -1);
		return 0;
	default:
		*known = false;
		break;
	}
	return -EPIPE;
}

/* A class request on the CCID interface, to the emulator.  Another
 * interface (a composite device's extra one) has no function behind it:
 * its class requests stall. */
static int class_request(usbdev *d, const setup *s, uint8_t *data, size_t *actual)
{
	bool in = s->bmRequestType & USB_DIR_IN;

	d = usbdev_fn_of_iface(d, s->wIndex & 0xff);	/* composite=ccid: its reader */
	if ((s->wIndex & 0xff) != d->ccid_iface)
		return -EPIPE;
	size_t len = 0;
	int rc = d->t.ops->control(d->t.dev, s->bRequest, s->wValue, in ? data : NULL,
				   in ? s->wLength : 0, &len, 1000);
	if (rc != CCID_OK)
		return usbdev_status_of(rc);
	*actual = in ? MIN(len, (size_t)s->wLength) : 0;
	return 0;
}

int usbdev_control(usbdev *d, const uint8_t setup_bytes[8], uint8_t *data, size_t *actual,
		   gint64 end, const atomic_bool *cancel, bool *known)
{
	setup s = decode(setup_bytes);
	unsigned type = s.bmRequestType & USB_TYPE_MASK;
	int st;

	*actual = 0;
	*known = true;
	if (s.wLength > 0 && data == NULL)
		return -EINVAL;
	if (usbdev_gone(d))
		return -ENODEV;
	if (usbdev_fault_before(d, EMU_USB_PIPE_CONTROL, end, cancel, &st))
		return st;
	if (type == USB_TYPE_STANDARD)
		return standard(d, &s, data, actual, known);
	if (type == USB_TYPE_CLASS && (s.bmRequestType & USB_RECIP_MASK) == USB_RECIP_INTERFACE)
		return class_request(d, &s, data, actual);
	*known = false;
	return -EPIPE;
}

void usbdev_reset(usbdev *d)
{
	usbdev_fault_clear(d, EMU_USB_FAULT_STALL, -1);
	if (d->fn2 != NULL)
		usbdev_fault_clear(d->fn2, EMU_USB_FAULT_STALL, -1);
}

void usbdev_replug(usbdev *d)
{
	usbdev_reset(d);
	emu_device_replug(d->emu);
	if (d->fn2 != NULL)
		emu_device_replug(d->fn2->emu);
}
