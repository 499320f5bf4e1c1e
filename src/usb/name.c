/* ccidlab — USB device names: the two forms pcscd's hotplug backends
 * give a driver, and the reader.conf.d form a user writes.
 *
 *   usb:VVVV/PPPP:libudev:IF:/dev/bus/usb/BBB/DDD   pcscd's libudev backend
 *   usb:VVVV/PPPP:libusb-1.0:BUS:ADDR:IF            pcscd's libusb backend
 *   usb:VVVV/PPPP[:serial=S][:interface=N][:key=value]...   reader.conf.d
 *
 * Pure string work: nothing here touches a device.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usb/usb.h"

#define FORMS "usb:VVVV/PPPP[:serial=S][:interface=N], " \
	"usb:VVVV/PPPP:libudev:IF:/dev/bus/usb/BBB/DDD or usb:VVVV/PPPP:libusb-1.0:BUS:ADDR:IF"

static int refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A decimal (or, with base 16, hex) number of at most `digits` digits, all
 * of s, not above max. */
static bool number(const char *s, int base, size_t digits, long max, long *out)
{
	char *end = NULL;
	size_t n = strlen(s);

	if (n == 0 || n > digits || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return false;
	long v = strtol(s, &end, base);
	if (*end != '\0' || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_ids(usb_name *out, const char *ids, char *why, size_t why_len)
{
	char vid[8] = "", pid[8] = "";
	const char *slash = strchr(ids, '/');
	long v = 0, p = 0;

	if (slash == NULL || (size_t)(slash - ids) >= sizeof vid || strlen(slash + 1) >= sizeof pid)
		return refuse(why, why_len, "'%s' is not VVVV/PPPP (expected %s)", ids, FORMS);
	memcpy(vid, ids, (size_t)(slash - ids));
	strcpy(pid, slash + 1);
	if (!number(vid, 16, 4, 0xFFFF, &v) || !number(pid, 16, 4, 0xFFFF, &p))
		return refuse(why, why_len, "'%s' is not VVVV/PPPP in hex (expected %s)", ids,
			      FORMS);
	out->match.vid = (uint16_t)v;
	out->match.pid = (uint16_t)p;
	return 0;
}

/* libudev:IF:/dev/bus/usb/BBB/DDD */
static int parse_libudev(usb_name *out, char **f, size_t n, char *why, size_t why_len)
{
	long iface = 0, bus = 0, addr = 0;
	unsigned b = 0, d = 0;
	int used = 0;

	if (n != 2 || !number(f[0], 10, 3, 255, &iface))
		return refuse(why, why_len, "libudev name needs IF:/dev/bus/usb/BBB/DDD (expected %s)",
			      FORMS);
	if (sscanf(f[1], "/dev/bus/usb/%3u/%3u%n", &b, &d, &used) != 2 ||
	    (size_t)used != strlen(f[1]) || b > 255 || d > 255)
		return refuse(why, why_len, "'%s' is not /dev/bus/usb/BBB/DDD", f[1]);
	bus = b;
	addr = d;
	out->form = USB_NAME_LIBUDEV;
	out->match.iface = (int)iface;
	out->match.bus = (int)bus;
	out->match.addr = (int)addr;
	return 0;
}

/* libusb-1.0:BUS:ADDR:IF */
static int parse_libusb(usb_name *out, char **f, size_t n, char *why, size_t why_len)
{
	long bus = 0, addr = 0, iface = 0;

	if (n != 3 || !number(f[0], 10, 3, 255, &bus) || !number(f[1], 10, 3, 255, &addr) ||
	    !number(f[2], 10, 3, 255, &iface))
		return refuse(why, why_len, "libusb-1.0 name needs BUS:ADDR:IF, decimal (expected %s)",
			      FORMS);
	out->form = USB_NAME_LIBUSB;
	out->match.bus = (int)bus;
	out->match.addr = (int)addr;
	out->match.iface = (int)iface;
	return 0;
}

static int parse_plain(usb_name *out, char **f, size_t n, char *why, size_t why_len)
{
	out->form = USB_NAME_PLAIN;
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(f[i], '=');
		long iface = 0;
		if (eq == NULL || eq == f[i])
			return refuse(why, why_len, "'%s' is not key=value (expected %s)", f[i],
				      FORMS);
		*eq = '\0';
		const char *key = f[i], *value = eq + 1;
		if (strcmp(key, "serial") == 0) {
			if (*value == '\0' || strlen(value) >= USB_SERIAL_MAX)
				return refuse(why, why_len, "serial= needs 1..%d characters",
					      USB_SERIAL_MAX - 1);
			strcpy(out->match.serial, value);
		} else if (strcmp(key, "interface") == 0) {
			if (!number(value, 10, 3, 255, &iface))
				return refuse(why, why_len, "interface=%s: expected 0..255", value);
			out->match.iface = (int)iface;
		} else {
			if (usb_name_opt(out, key) != NULL)
				return refuse(why, why_len, "key '%s' is given twice", key);
			if (out->n_opts == USB_NAME_MAX_OPTS)
				return refuse(why, why_len, "more than %d key=value fields",
					      USB_NAME_MAX_OPTS);
			out->opts[out->n_opts].key = key;
			out->opts[out->n_opts].value = value;
			out->n_opts++;
		}
	}
	return 0;
}

int usb_name_parse(const char *devname, usb_name *out, char *why, size_t why_len)
{
	char *f[USB_NAME_MAX_OPTS + 4];
	size_t n = 0;

	memset(out, 0, sizeof *out);
	out->match.bus = out->match.addr = out->match.iface = -1;
	if (devname == NULL || strncmp(devname, "usb:", 4) != 0)
		return refuse(why, why_len, "not a usb: name (expected %s)", FORMS);
	if (strlen(devname) > USB_NAME_MAX)
		return refuse(why, why_len, "name longer than %d bytes", USB_NAME_MAX);
	strcpy(out->buf, devname + 4);
	for (char *p = out->buf; p != NULL && n < (sizeof f / sizeof f[0]); n++) {
		f[n] = p;
		p = strchr(p, ':');
		if (p != NULL)
			*p++ = '\0';
		if (p != NULL && n + 1 == (sizeof f / sizeof f[0]))
			return refuse(why, why_len, "too many ':' fields");
	}
	if (parse_ids(out, f[0], why, why_len) != 0)
		return -1;
	if (n >= 2 && strcmp(f[1], "libudev") == 0)
		return parse_libudev(out, f + 2, n - 2, why, why_len);
	if (n >= 2 && strcmp(f[1], "libusb-1.0") == 0)
		return parse_libusb(out, f + 2, n - 2, why, why_len);
	return parse_plain(out, f + 1, n - 1, why, why_len);
}

const char *usb_name_opt(const usb_name *n, const char *key)
{
	for (size_t i = 0; i < n->n_opts; i++)
		if (strcmp(n->opts[i].key, key) == 0)
			return n->opts[i].value;
	return NULL;
}

void usb_match_describe(const usb_match *m, char *out, size_t out_len)
{
	int k = snprintf(out, out_len, "%04X/%04X", m->vid, m->pid);
	if (k < 0 || (size_t)k >= out_len)
		return;
	if (m->bus >= 0)
		k += snprintf(out + k, out_len - (size_t)k, " bus %d address %d", m->bus, m->addr);
	if ((size_t)k < out_len && m->iface >= 0)
		k += snprintf(out + k, out_len - (size_t)k, " interface %d", m->iface);
	if ((size_t)k < out_len && m->serial[0] != '\0')
		snprintf(out + k, out_len - (size_t)k, " serial %s", m->serial);
}
