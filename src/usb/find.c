/* ccidlab — finding the device and the interface a name asks for.
 *
 * Nothing is claimed until the whole choice is made: a name that points
 * at a composite device's HID or mass-storage interface is refused
 * without touching that interface (libccid 1.8.1 broke YubiKeys by
 * claiming the wrong one).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ccid/result.h"
#include "usb/usb_priv.h"

#define MAX_IFACES 16
/* Every matching interface is in use: try the next device. */
#define FIND_BUSY 0x7FFF

typedef struct search {
	const usb_match *m;
	GString *seen;		/* what was found, for the refusal */
	char why[512];		/* the most telling reason so far */
	int rc;
} search;

static void seen(search *s, libusb_device *dev, const struct libusb_device_descriptor *dd,
		 const char *note)
{
	g_string_append_printf(s->seen, "%s%04X/%04X at bus %u address %u%s%s",
			       s->seen->len > 0 ? "; " : "", dd->idVendor, dd->idProduct,
			       libusb_get_bus_number(dev), libusb_get_device_address(dev),
			       note[0] != '\0' ? " " : "", note);
}

static void list_ccid(const ccid_interface *ifs, size_t n, char *out, size_t cap)
{
	int k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && k >= 0 && (size_t)k < cap; i++)
		if (ifs[i].bAlternateSetting == 0)
			k += snprintf(out + k, cap - (size_t)k, "%s%u (%s)", k > 0 ? ", " : "",
				      ifs[i].bInterfaceNumber,
				      ccid_descriptor_kind_name(ifs[i].kind));
	if (out[0] == '\0')
		snprintf(out, cap, "none");
}

/* The interface of d to use, or an error with s->why.  Only alternate
 * setting 0 is considered: CCID readers have no others. */
static int pick(search *s, usb_dev *d, ccid_interface *out)
{
	ccid_interface ifs[MAX_IFACES];
	size_t n = 0;
	char have[256];

	int rc = ccid_descriptor_parse_config(d->config, d->config_len, ifs, MAX_IFACES, &n);
	if (rc != CCID_OK) {
		snprintf(s->why, sizeof s->why, "bus %u address %u: configuration descriptor: %s",
			 d->bus, d->addr, ccid_result_name(rc));
		return CCID_E_MALFORMED;
	}
	list_ccid(ifs, n, have, sizeof have);
	for (size_t i = 0; i < n; i++) {
		const ccid_interface *c = &ifs[i];
		if (c->bAlternateSetting != 0)
			continue;
		if (s->m->iface >= 0 && c->bInterfaceNumber != s->m->iface)
			continue;
		if (c->kind != CCID_KIND_CCID) {
			snprintf(s->why, sizeof s->why,
				 "interface %u of %04X/%04X is %s (the control-pipe protocol): "
				 "not supported", c->bInterfaceNumber, d->dd.idVendor,
				 d->dd.idProduct, ccid_descriptor_kind_name(c->kind));
			if (s->m->iface >= 0)
				return CCID_E_UNSUPPORTED;
			continue;
		}
		if (usb_dev_claimed(d, c->bInterfaceNumber)) {
			snprintf(s->why, sizeof s->why, "interface %u is already in use by ccidlab",
				 c->bInterfaceNumber);
			if (s->m->iface >= 0)
				return FIND_BUSY;
			continue;
		}
		*out = *c;
		return CCID_OK;
	}
	if (s->m->iface >= 0 && s->why[0] == '\0') {
		snprintf(s->why, sizeof s->why,
			 "interface %d of %04X/%04X is not a CCID interface (CCID interfaces: %s)",
			 s->m->iface, d->dd.idVendor, d->dd.idProduct, have);
		return CCID_E_UNSUPPORTED;
	}
	if (s->why[0] == '\0')
		snprintf(s->why, sizeof s->why, "%04X/%04X has no CCID interface (found: %s)",
			 d->dd.idVendor, d->dd.idProduct, have);
	return FIND_BUSY;
}

static int make_iface(usb_dev *d, const ccid_interface *c, transport *out, char *why,
		      size_t why_len)
{
	int rc = usb_dev_claim(d, c->bInterfaceNumber, why, why_len);
	if (rc != CCID_OK)
		return rc;
	usb_iface *u = g_new0(usb_iface, 1);
	u->d = d;
	u->ccid = *c;
	usb_irq_init(u);
	out->dev = u;
	out->ops = c->has_interrupt_in ? &usb_transport_ops : &usb_transport_ops_noirq;
	return CCID_OK;
}

static bool ids_match(const usb_match *m, libusb_device *dev,
		      const struct libusb_device_descriptor *dd)
{
	if (dd->idVendor != m->vid || dd->idProduct != m->pid)
		return false;
	if (m->bus >= 0 && (libusb_get_bus_number(dev) != m->bus ||
			    libusb_get_device_address(dev) != m->addr))
		return false;
	return true;
}

/* One candidate device: CCID_OK (out filled), or a reason to go on. */
static int try_device(search *s, libusb_device *dev, const struct libusb_device_descriptor *dd,
		      transport *out)
{
	usb_dev *d = NULL;
	ccid_interface c;

	s->why[0] = '\0';
	int rc = usb_dev_get(dev, &d, s->why, sizeof s->why);
	if (rc != CCID_OK) {
		seen(s, dev, dd, "(cannot open)");
		return rc;
	}
	if (s->m->serial[0] != '\0' && strcmp(d->serial, s->m->serial) != 0) {
		char note[96];
		snprintf(note, sizeof note, "serial '%s'", d->serial);
		seen(s, dev, dd, note);
		usb_dev_put(d);
		return CCID_E_NO_DEVICE;
	}
	rc = pick(s, d, &c);
	if (rc == CCID_OK)
		rc = make_iface(d, &c, out, s->why, sizeof s->why);
	if (rc != CCID_OK) {
		char note[64] = "(no free CCID interface)";
		if (rc == CCID_E_UNSUPPORTED && s->m->iface >= 0)
			snprintf(note, sizeof note, "(interface %d is no CCID one)", s->m->iface);
		seen(s, dev, dd, note);
		usb_dev_put(d);
	}
	return rc;
}

static void refusal(search *s, char *why, size_t why_len)
{
	char want[160];

	usb_match_describe(s->m, want, sizeof want);
	if (s->rc == CCID_E_NO_DEVICE && s->why[0] == '\0')
		snprintf(why, why_len, "no USB device matches %s; found: %s", want,
			 s->seen->len > 0 ? s->seen->str : "no USB device at all");
	else
		snprintf(why, why_len, "%s (looked for %s; found: %s)", s->why, want,
			 s->seen->len > 0 ? s->seen->str : "nothing else");
}

int usb_transport_open(const usb_match *m, transport *out, char *why, size_t why_len)
{
	libusb_device **list = NULL;
	search s = { .m = m, .rc = CCID_E_NO_DEVICE };

	libusb_context *c = usb_ctx_ref(why, why_len);
	if (c == NULL)
		return CCID_E_TRANSPORT;
	ssize_t n = libusb_get_device_list(c, &list);
	if (n < 0) {
		snprintf(why, why_len, "libusb_get_device_list: %s", libusb_error_name((int)n));
		usb_ctx_unref();
		return CCID_E_TRANSPORT;
	}
	s.seen = g_string_new(NULL);
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor dd;
		if (libusb_get_device_descriptor(list[i], &dd) != LIBUSB_SUCCESS)
			continue;
		if (!ids_match(m, list[i], &dd)) {
			seen(&s, list[i], &dd, "");
			continue;
		}
		s.rc = try_device(&s, list[i], &dd, out);
		/* A name that pins one device (bus and address) is done with
		 * it.  A reader.conf.d name goes on: its interface=N may be a
		 * CCID one on the next identical device only. */
		if (s.rc == CCID_OK || (s.rc == CCID_E_UNSUPPORTED && m->bus >= 0))
			break;
	}
	libusb_free_device_list(list, 1);
	if (s.rc != CCID_OK) {
		refusal(&s, why, why_len);
		usb_ctx_unref();
	}
	g_string_free(s.seen, TRUE);
	return s.rc == CCID_OK ? CCID_OK : s.rc == FIND_BUSY ? CCID_E_NO_DEVICE : s.rc;
}
