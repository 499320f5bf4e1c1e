/* ccidlab — the transport (src/host/transport.h) over one claimed CCID
 * interface: bulk pipes and class requests, synchronous and bounded by
 * the caller's timeout; the interrupt pipe is in irq.c. */
#include "config.h"

#include <string.h>

#include "ccid/result.h"
#include "usb/usb_priv.h"

#define CCID_REQ_ABORT 0x01

static bool gone(const usb_iface *u)
{
	return atomic_load(&u->d->gone);
}

static int op_bulk_out(void *p, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	usb_iface *u = p;
	int done = 0;

	if (gone(u))
		return CCID_E_NO_DEVICE;
	if (len > INT32_MAX)
		return CCID_E_INVALID_ARG;
	int rc = usb_dev_check(u->d, libusb_bulk_transfer(u->d->h,
							  u->ccid.bulk_out.bEndpointAddress,
							  (unsigned char *)buf, (int)len, &done,
							  timeout_ms));
	if (rc == LIBUSB_ERROR_PIPE) {
		libusb_clear_halt(u->d->h, u->ccid.bulk_out.bEndpointAddress);
		return CCID_E_TRANSPORT;
	}
	if (rc == LIBUSB_SUCCESS && (size_t)done != len)
		return CCID_E_TRANSPORT;	/* libusb sends all or reports why */
	return usb_result(rc);
}

/* The bulk-IN buffer is whole packets long: a device that sends a full
 * last packet must not overflow a buffer cut mid-packet, and a message
 * longer than the caller's cap is then seen whole and dropped. */
static bool in_room(usb_iface *u, size_t cap)
{
	size_t packet = u->ccid.bulk_in.wMaxPacketSize & 0x7FF;
	if (packet == 0)
		packet = 64;
	size_t need = (cap / packet + 1) * packet;
	if (need > INT32_MAX)
		return false;
	if (need > u->in_cap) {
		u->in_buf = g_realloc(u->in_buf, need);
		u->in_cap = need;
	}
	return true;
}

static int op_bulk_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	usb_iface *u = p;
	gint64 end = 0;
	unsigned left_ms = timeout_ms;
	int got = 0, rc;

	*len = 0;
	if (!in_room(u, cap))
		return CCID_E_INVALID_ARG;
	/* A zero-length packet alone carries no message: read on, within
	 * the same timeout.  The clock is read only then: two reads per
	 * message were a tenth of the driver's own time per APDU. */
	for (;;) {
		if (gone(u))
			return CCID_E_NO_DEVICE;
		rc = usb_dev_check(u->d, libusb_bulk_transfer(u->d->h,
							      u->ccid.bulk_in.bEndpointAddress,
							      u->in_buf, (int)u->in_cap, &got,
							      left_ms));
		if (rc != LIBUSB_SUCCESS || got != 0)
			break;
		gint64 now = g_get_monotonic_time();
		if (end == 0)
			end = now + (gint64)timeout_ms * 1000;	/* from the first ZLP: a bound */
		if ((end - now) / 1000 <= 0)
			return CCID_E_TIMEOUT;
		left_ms = (unsigned)((end - now) / 1000);
	}
	if (rc == LIBUSB_ERROR_PIPE) {
		libusb_clear_halt(u->d->h, u->ccid.bulk_in.bEndpointAddress);
		return CCID_E_TRANSPORT;
	}
	if (rc != LIBUSB_SUCCESS)
		return usb_result(rc);
	if ((size_t)got > cap)
		return CCID_E_BUFFER;
	memcpy(buf, u->in_buf, (size_t)got);
	*len = (size_t)got;
	return CCID_OK;
}

static int op_interrupt_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	return usb_irq_wait(p, buf, cap, len, timeout_ms);
}

static void op_interrupt_stop(void *p)
{
	usb_irq_stop(p);
}

/* CCID 1.1 §5.3: ABORT is host-to-device, the two GETs device-to-host,
 * all to the interface. */
static int op_control(void *p, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		      size_t *len, unsigned timeout_ms)
{
	usb_iface *u = p;
	bool in = bRequest != CCID_REQ_ABORT;
	uint8_t type = (uint8_t)((in ? LIBUSB_ENDPOINT_IN : LIBUSB_ENDPOINT_OUT) |
				 LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE);

	if (len != NULL)
		*len = 0;
	if (gone(u))
		return CCID_E_NO_DEVICE;
	if (cap > 0xFFFF)
		cap = 0xFFFF;
	int rc = usb_dev_check(u->d, libusb_control_transfer(u->d->h, type, bRequest, wValue,
							     u->ccid.bInterfaceNumber,
							     in ? data : NULL,
							     (uint16_t)(in ? cap : 0),
							     timeout_ms));
	if (rc < 0)
		return usb_result(rc);	/* a stall: the request is not supported */
	if (len != NULL)
		*len = (size_t)rc;
	return CCID_OK;
}

static int op_config_descriptor(void *p, uint8_t *buf, size_t cap, size_t *len)
{
	usb_iface *u = p;

	if (u->d->config_len > cap)
		return CCID_E_BUFFER;
	memcpy(buf, u->d->config, u->d->config_len);
	*len = u->d->config_len;
	return CCID_OK;
}

static int op_info(void *p, transport_info *out)
{
	usb_iface *u = p;

	memset(out, 0, sizeof *out);
	out->idVendor = u->d->dd.idVendor;
	out->idProduct = u->d->dd.idProduct;
	out->bcdDevice = u->d->dd.bcdDevice;
	out->bInterfaceNumber = u->ccid.bInterfaceNumber;
	g_strlcpy(out->manufacturer, u->d->manufacturer, sizeof out->manufacturer);
	g_strlcpy(out->product, u->d->product, sizeof out->product);
	g_strlcpy(out->serial, u->d->serial, sizeof out->serial);
	return CCID_OK;
}

static void op_close(void *p)
{
	usb_iface *u = p;

	usb_irq_clear(u);
	usb_dev_release(u->d, u->ccid.bInterfaceNumber);
	usb_dev_put(u->d);
	g_free(u->in_buf);
	g_free(u);
	usb_ctx_unref();
}

const transport_ops usb_transport_ops = { TRANSPORT_OPS("usb", op_) };

const transport_ops usb_transport_ops_noirq = { TRANSPORT_OPS_POLLING("usb", op_) };

unsigned usb_transport_location(const transport *t)
{
	if (t->ops != &usb_transport_ops && t->ops != &usb_transport_ops_noirq)
		return 0;
	const usb_iface *u = t->dev;
	return (unsigned)u->d->bus << 8 | u->d->addr;
}
