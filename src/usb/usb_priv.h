/* ccidlab — src/usb internals: the shared libusb context, the devices
 * ccidlab holds open, and one claimed CCID interface (the transport's
 * device pointer). */
#ifndef CCIDLAB_USB_PRIV_H
#define CCIDLAB_USB_PRIV_H

#include <stdatomic.h>

#include <glib.h>
#include <libusb-1.0/libusb.h>

#include "ccid/descriptor.h"
#include "usb/usb.h"

#define USB_CONFIG_MAX 4096
#define USB_IRQ_MAX 128		/* NotifySlotChange for 256 slots is 65 bytes: see irq.c */

/* One USB device that ccidlab has open: shared by the readers of its
 * interfaces. */
typedef struct usb_dev {
	int refs;			/* under the registry lock */
	uint8_t bus, addr;
	libusb_device *dev;
	libusb_device_handle *h;
	struct libusb_device_descriptor dd;
	uint8_t config[USB_CONFIG_MAX];	/* the active configuration, raw */
	size_t config_len;
	char manufacturer[64], product[64], serial[USB_SERIAL_MAX];
	uint32_t claimed;		/* interfaces 0..31 claimed by ccidlab */
	atomic_bool gone;
	/* Interrupt transfers of closed interfaces that libusb may still
	 * complete (irq.c): freed after libusb_close, which takes them out
	 * of libusb's hands.  Under the registry lock. */
	GPtrArray *orphans;
} usb_dev;

/* One interrupt transfer and what its callback touches, apart from the
 * interface: libusb may complete it on any thread that runs its events,
 * after the interface is gone (issue 20). */
typedef struct usb_irq_xfer {
	struct libusb_transfer *t;
	int done;		/* libusb's "completed" flag for the waiting thread */
	uint8_t buf[USB_IRQ_MAX + 8];
} usb_irq_xfer;

/* One claimed CCID interface. */
typedef struct usb_iface {
	usb_dev *d;
	ccid_interface ccid;
	uint8_t *in_buf;	/* bulk-IN, whole packets: see transport_usb.c */
	size_t in_cap;
	/* interrupt pipe (irq.c) */
	GMutex irq_lock;
	usb_irq_xfer *irq;
	bool irq_pending;	/* submitted, callback not run yet */
	atomic_bool irq_stop;
} usb_iface;

/* The process's libusb context: made by the first open, ended by the last
 * close (usb_ctx_unref).  NULL and why on failure. */
libusb_context *usb_ctx_ref(char *why, size_t why_len);
void usb_ctx_unref(void);
/* The context, while a reference is held. */
libusb_context *usb_ctx(void);

/* The open device at bus/addr, with a new reference, opening it (and
 * reading its descriptors once) if ccidlab does not hold it yet. */
int usb_dev_get(libusb_device *dev, usb_dev **out, char *why, size_t why_len);
void usb_dev_put(usb_dev *d);
/* Claims / releases interface n of d (registry-locked bookkeeping). */
int usb_dev_claim(usb_dev *d, int n, char *why, size_t why_len);
void usb_dev_release(usb_dev *d, int n);
/* Takes an interrupt transfer that may still complete: freed with d. */
void usb_dev_orphan(usb_dev *d, usb_irq_xfer *x);
/* Frees an interrupt transfer libusb no longer holds; NULL allowed. */
void usb_irq_xfer_free(usb_irq_xfer *x);
bool usb_dev_claimed(const usb_dev *d, int n);
/* Marks d gone when rc is LIBUSB_ERROR_NO_DEVICE; returns rc. */
int usb_dev_check(usb_dev *d, int rc);

/* strings.c: the manufacturer, product and serial strings into d, read
 * within a bound of their own (empty when the device has none or does not
 * answer), printable ASCII only. */
void usb_dev_read_strings(usb_dev *d);
/* A string descriptor as printable ASCII into out (NUL-terminated):
 * control bytes as \xNN, '\' as \\, beyond ASCII '?'; an escape that
 * does not fit is left out whole.  Returns the length written. */
size_t usb_string_decode(const uint8_t *desc, size_t len, char *out, size_t cap);

/* Rebuilds the raw configuration descriptor from libusb's parsed one
 * (descriptor order kept: a class descriptor after the endpoints stays
 * there).  Returns the length, 0 when it does not fit. */
size_t usb_config_raw(const struct libusb_config_descriptor *c, uint8_t *out, size_t cap);

/* libusb status to ccid_result (transport.h's contract). */
int usb_result(int libusb_rc);

/* The transport over an open interface. */
extern const transport_ops usb_transport_ops;
extern const transport_ops usb_transport_ops_noirq;
void usb_irq_init(usb_iface *u);
int usb_irq_wait(usb_iface *u, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
void usb_irq_stop(usb_iface *u);
void usb_irq_clear(usb_iface *u);

#endif
