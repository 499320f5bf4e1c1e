/* ccidlab — the transport of an emulated reader (src/host/transport.h):
 * the host engine reaches an emu_device through this struct exactly as it
 * reaches a USB reader through src/usb/.
 *
 * The transport holds a reference on the device and its own sticky
 * interrupt-stop flag (transport.h: interrupt_stop ends the running wait,
 * or the next one).  The flag is only read and written under the device
 * lock.  Every member takes the device lock, and bulk_in waits on the
 * device's condition (releasing the lock), so bulk_out and control from
 * one thread run while another waits in bulk_in, as the host engine does
 * with several busy slots (transport.h "Threads").
 */
#include "config.h"

#include <string.h>

#include "ccid/result.h"
#include "emu/device_priv.h"

typedef struct emu_transport {
	emu_device *dev;
	bool stop;
} emu_transport;

static int op_bulk_out(void *p, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	emu_transport *t = p;
	return emu_device_bulk_out(t->dev, buf, len, timeout_ms);
}

static int op_bulk_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	emu_transport *t = p;
	return emu_device_bulk_in(t->dev, buf, cap, len, timeout_ms);
}

static int op_interrupt_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	emu_transport *t = p;
	return emu_device_interrupt_in(t->dev, &t->stop, buf, cap, len, timeout_ms);
}

static void op_interrupt_stop(void *p)
{
	emu_transport *t = p;
	emu_device_interrupt_stop(t->dev, &t->stop);
}

static int op_control(void *p, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		      size_t *len, unsigned timeout_ms)
{
	emu_transport *t = p;
	return emu_device_control(t->dev, bRequest, wValue, data, cap, len, timeout_ms);
}

static int op_config_descriptor(void *p, uint8_t *buf, size_t cap, size_t *len)
{
	emu_transport *t = p;

	emu_device_lock(t->dev);
	bool gone = emu_fault_device_gone_locked(t->dev);
	emu_device_unlock(t->dev);
	if (gone)
		return CCID_E_NO_DEVICE;
	size_t n = emu_profile_config_descriptor(t->dev->profile, buf, cap);
	if (n == 0)
		return CCID_E_BUFFER;
	*len = n;
	return CCID_OK;
}

static int op_info(void *p, transport_info *out)
{
	emu_transport *t = p;
	const emu_profile *pr = t->dev->profile;

	memset(out, 0, sizeof *out);
	out->idVendor = pr->idVendor;
	out->idProduct = pr->idProduct;
	out->bcdDevice = pr->bcdDevice;
	out->bInterfaceNumber = pr->bInterfaceNumber;
	g_strlcpy(out->manufacturer, pr->manufacturer != NULL ? pr->manufacturer : "",
		  sizeof out->manufacturer);
	g_strlcpy(out->product, pr->product != NULL ? pr->product : "", sizeof out->product);
	/* An emulated reader's serial: its process-unique id. */
	g_snprintf(out->serial, sizeof out->serial, "emu-%u", t->dev->id);
	return CCID_OK;
}

static void op_close(void *p)
{
	emu_transport *t = p;

	emu_device_unref(t->dev);
	g_free(t);
}

static const transport_ops ops_with_interrupt = { TRANSPORT_OPS("emu", op_) };

/* A profile without the pipe: polling only (DESIGN.md "event mode and
 * polling-only mode"). */
static const transport_ops ops_polling = { TRANSPORT_OPS_POLLING("emu", op_) };

int emu_transport_open(emu_device *dev, transport *out)
{
	g_return_val_if_fail(dev != NULL && out != NULL, CCID_E_INVALID_ARG);

	emu_transport *t = g_new0(emu_transport, 1);
	t->dev = emu_device_ref(dev);
	out->ops = dev->profile->has_interrupt_in ? &ops_with_interrupt : &ops_polling;
	out->dev = t;
	return CCID_OK;
}
