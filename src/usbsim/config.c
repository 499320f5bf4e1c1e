/* ccidlab — usbsim: the emulated devices, from $CCIDLAB_USBSIM.
 *
 * Syntax (one process-wide table, built at the first libusb_init):
 *
 *   CCIDLAB_USBSIM = DEVICE[;DEVICE...]
 *   DEVICE         = PROFILE[:KEY=VALUE...]
 *
 * Each DEVICE is a usbdev spec (src/usbdev/usbdev.h documents its keys:
 * card=, cardN=, slots=, name=, scenario=, latch=, keypad=, bus=,
 * address=, fault=, composite=, manufacturer=, product=, serial=).  A
 * composite=ccid device's second reader is named NAME-if1.  Here the default name is usbsim-N, the
 * default bus 1 and the default addresses 2, 3... in list order; a
 * scenario's reader= names are the devices of this table.
 *
 * Devices are numbered from 0 in list order.  A malformed DEVICE is
 * reported (a usbsim message, log.c), naming it, and left out; the others
 * are kept.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usbsim/usbsim.h"

GMutex usbsim_lock;

static usbsim_dev *table[USBSIM_MAX_DEVICES];
static size_t n_table;

static emu_device *resolve(const char *reader, void *data)
{
	(void)data;
	for (size_t i = 0; i < n_table; i++)
		for (usbsim_dev *d = table[i]; d != NULL; d = d->parent == NULL ? d->fn2 : NULL)
			if (strcmp(d->usb->name, reader) == 0)
				return emu_device_ref(d->usb->emu);
	return NULL;
}

/* The disconnect fault: a USB unplug with its hotplug events (plug.c). */
static void on_unplug(usbdev *u, void *data)
{
	(void)u;
	usbsim_plug_set(data, false);
}

static void on_trace(usbdev *u, bool in, const uint8_t *buf, size_t len, void *data)
{
	usbsim_dev *d = data;
	/* A composite=ccid device's second function traces as its reader. */
	usbsim_ctl_trace(d->fn2 != NULL && u == d->fn2->usb ? d->fn2 : d, in, buf, len);
}

/* One DEVICE of the list; NULL with a message in err. */
static usbsim_dev *make_device(const char *text, size_t index, GError **error)
{
	usbsim_dev *d = g_new0(usbsim_dev, 1);
	g_autofree char *name = g_strdup_printf("usbsim-%zu", index);
	usbdev_opts opts = {
		.default_name = name,
		.default_bus = 1,
		.default_address = (unsigned)index + 2,
		.hooks = { .unplug = on_unplug, .trace = on_trace, .data = d },
		.resolve = resolve,
	};

	d->usb = usbdev_new(text, &opts, error);
	if (d->usb == NULL) {
		g_free(d);
		return NULL;
	}
	d->port = (uint8_t)(index + 1);
	if (d->usb->fn2 != NULL) {
		d->fn2 = g_new0(usbsim_dev, 1);
		d->fn2->usb = usbdev_ref(d->usb->fn2);
		d->fn2->parent = d;
		d->fn2->port = d->port;
	}
	return d;
}

static void build(void)
{
	const char *env = g_getenv("CCIDLAB_USBSIM");

	if (env == NULL || *env == '\0') {
		g_message("CCIDLAB_USBSIM is not set: no emulated USB devices");
		return;
	}
	g_auto(GStrv) devs = g_strsplit(env, ";", -1);
	for (size_t i = 0; devs[i] != NULL; i++) {
		g_autoptr(GError) err = NULL;
		if (*devs[i] == '\0')
			continue;
		if (n_table == USBSIM_MAX_DEVICES) {
			g_message("CCIDLAB_USBSIM: more than %u devices", USBSIM_MAX_DEVICES);
			break;
		}
		usbsim_dev *d = make_device(devs[i], n_table, &err);
		if (d == NULL) {
			g_message("CCIDLAB_USBSIM device %zu '%s': %s", i, devs[i],
				  err ? err->message : "refused");
			continue;
		}
		d->index = (unsigned)n_table;
		d->number = -1;
		if (d->fn2 != NULL) {
			d->fn2->index = d->index;
			d->fn2->number = -1;
		}
		table[n_table++] = d;
		usbsim_debug("device %s: %04x:%04x bus %u address %u", d->usb->name,
			     d->usb->info.idVendor, d->usb->info.idProduct, d->usb->bus,
			     d->usb->address);
	}
}

size_t usbsim_devices(usbsim_dev ***out)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		build();
		g_once_init_leave(&once, 1);
		/* After the table is published: both read it. */
		usbsim_plug_start();
		usbsim_ctl_start();
	}
	*out = table;
	return n_table;
}
