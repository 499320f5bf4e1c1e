/* ccidlab — usbsim: the emulated devices, from $CCIDLAB_USBSIM.
 *
 * Syntax (one process-wide table, built at the first libusb_init):
 *
 *   CCIDLAB_USBSIM = DEVICE[;DEVICE...]
 *   DEVICE         = PROFILE[:KEY=VALUE...]
 *
 * PROFILE: a built-in name (generic-apdu-irq), a catalogue source
 * (ACR38U-CCID.txt, or ACR122U.txt@2 for its second interface) or a
 * VVVV/PPPP[/IFACE] (hex): ':' separates keys, so the catalogue's own
 * ':' is spelt '@' or '/' here, as in ccidlab's DEVICENAME.
 * KEYs:
 *   card=SPEC     the card of every slot (emu_card spec, "readertest,t1";
 *                 "none": empty).  Default: readertest.
 *   cardN=SPEC    the card of slot N, over card=.
 *   slots=N       bMaxSlotIndex + 1 (1..8).
 *   name=NAME     the device's name in edges and scenarios (default usbsim-N).
 *   scenario=FILE an emu timeline (src/emu/device.h) started with the
 *                 device; its reader= names are these device names.
 *   latch=0|1     emu_device_set_latch.
 *   keypad=SEQ    emu_device_set_keypad.
 *   bus=N, address=N  the USB bus number and device address (default: bus
 *                 1, addresses 2, 3... in list order).
 *   fault=FAULT   a fault in effect from the start (repeatable): a USB
 *                 transfer fault (emu/usbfault.h, "stall/bulk-in@1") or
 *                 an emulator one on the reader ("slow=500@3"); '=' stands
 *                 for the fault's ':' here.
 *   composite=hid an extra HID interface 0 before the CCID interface
 *                 (which becomes 1 if it was 0), that never answers.
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

#define USBSIM_MAX_SLOTS 8u

static usbsim_dev *table[USBSIM_MAX_DEVICES];
static size_t n_table;
static emu_timeline_run *runs[USBSIM_MAX_DEVICES];

static emu_profile *find_profile(const char *name, GError **error)
{
	static emu_catalogue *cat;
	emu_profile *p = emu_profile_builtin(name);

	if (p != NULL)
		return p;
	if (cat == NULL) {
		cat = emu_catalogue_load(NULL, error);
		if (cat == NULL)
			return NULL;
	}
	g_autofree char *key = g_strdup(name);
	for (char *c = key; *c != '\0'; c++)
		if (*c == '/' || *c == '@')
			*c = ':';
	return emu_catalogue_find(cat, key, error);
}

static emu_device *resolve(const char *reader, void *data)
{
	(void)data;
	for (size_t i = 0; i < n_table; i++)
		if (strcmp(table[i]->name, reader) == 0)
			return emu_device_ref(table[i]->emu);
	return NULL;
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* fault=: a USB transfer fault by its kind word, else the emulator's on
 * the whole reader; '=' stands for ':' (':' separates the keys). */
static bool add_fault(usbsim_dev *d, const char *text, GError **error)
{
	g_autofree char *s = g_strdup(text);
	g_autofree char *word = g_strndup(s, emu_fault_kind_len(s));
	emu_usb_fault_kind uk;

	if (emu_usb_fault_kind_from_name(word, &uk)) {
		emu_usb_fault uf;
		return emu_usb_fault_parse(s, &uf, error) && usbsim_fault_add(d, &uf, error);
	}
	g_strdelimit(s, "=", ':');
	emu_fault f;
	if (!emu_fault_parse(s, &f, error)) {
		g_prefix_error(error, "fault=%s: (USB transfer faults: %s) ", text,
			       emu_usb_fault_kind_names());
		return false;
	}
	return emu_device_fault_set(d->emu, -1, &f, error);
}

/* One DEVICE of the list; false with a message in err. */
static usbsim_dev *make_device(const char *text, size_t index, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, ":", -1);
	const char *card = "readertest", *cards[USBSIM_MAX_SLOTS] = { 0 };
	const char *scenario = NULL, *keypad = NULL, *name = NULL;
	unsigned slots = 0, latch = 0, bus = 1, address = (unsigned)index + 2;
	bool composite = false;
	g_autoptr(GPtrArray) faults = g_ptr_array_new();

	for (size_t i = 1; parts[i] != NULL; i++) {
		char *eq = strchr(parts[i], '=');
		unsigned n;
		if (eq == NULL) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "'%s': not KEY=VALUE", parts[i]);
			return NULL;
		}
		*eq = '\0';
		const char *k = parts[i], *v = eq + 1;
		bool ok = true;
		if (strcmp(k, "card") == 0)
			card = v;
		else if (strncmp(k, "card", 4) == 0 && parse_uint(k + 4, USBSIM_MAX_SLOTS - 1, &n))
			cards[n] = v;
		else if (strcmp(k, "slots") == 0)
			ok = parse_uint(v, USBSIM_MAX_SLOTS, &slots) && slots > 0;
		else if (strcmp(k, "name") == 0)
			name = v;
		else if (strcmp(k, "scenario") == 0)
			scenario = v;
		else if (strcmp(k, "latch") == 0)
			ok = parse_uint(v, 1, &latch);
		else if (strcmp(k, "keypad") == 0)
			keypad = v;
		else if (strcmp(k, "bus") == 0)
			ok = parse_uint(v, 255, &bus);
		else if (strcmp(k, "address") == 0)
			ok = parse_uint(v, 127, &address) && address > 0;
		else if (strcmp(k, "fault") == 0)
			g_ptr_array_add(faults, (gpointer)v);
		else if (strcmp(k, "composite") == 0)
			ok = composite = strcmp(v, "hid") == 0;
		else {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "unknown key '%s'", k);
			return NULL;
		}
		if (!ok) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s=%s: bad value", k, v);
			return NULL;
		}
	}
	g_autoptr(emu_profile) p = find_profile(parts[0], error);
	if (p == NULL)
		return NULL;
	if (slots != 0)
		p->class_desc[4] = (uint8_t)(slots - 1);
	g_autoptr(emu_device) emu = emu_device_new(p, error);
	if (emu == NULL)
		return NULL;
	usbsim_dev *d = g_new0(usbsim_dev, 1);
	if (name != NULL)
		g_strlcpy(d->name, name, sizeof d->name);
	else
		g_snprintf(d->name, sizeof d->name, "usbsim-%zu", index);
	emu_device_set_name(emu, d->name);
	emu_device_set_latch(emu, latch != 0);
	if (keypad != NULL && !emu_device_set_keypad(emu, keypad, error))
		goto fail;
	for (unsigned s = 0; s < emu_device_slot_count(emu) && s < USBSIM_MAX_SLOTS; s++) {
		const char *spec = cards[s] != NULL ? cards[s] : card;
		if (strcmp(spec, "none") == 0)
			continue;
		emu_card *c = emu_card_new_from_spec(spec, error);
		if (c == NULL || !emu_device_insert(emu, s, c, EMU_EVENT_SRC_API, error))
			goto fail;
	}
	d->config_len = emu_profile_config_descriptor(p, d->config, sizeof d->config);
	if (d->config_len == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "no configuration descriptor");
		goto fail;
	}
	d->emu = g_steal_pointer(&emu);
	emu_transport_open(d->emu, &d->t);	/* takes its own reference */
	d->t.ops->info(d->t.dev, &d->info);
	d->has_serial = d->info.serial[0] != '\0';
	d->bus = (uint8_t)bus;
	d->address = (uint8_t)address;
	d->port = (uint8_t)(index + 1);
	d->ccid_iface = d->info.bInterfaceNumber;
	d->extra_iface = -1;
	usbsim_find_endpoints(d);
	if (composite && !usbsim_add_hid_interface(d, error))
		goto fail;
	for (guint i = 0; i < faults->len; i++)
		if (!add_fault(d, faults->pdata[i], error))
			goto fail;
	if (scenario != NULL) {
		g_autoptr(emu_timeline) tl = emu_timeline_load_file(scenario, error);
		if (tl == NULL)
			goto fail;
		/* The run keeps what it needs of the steps only while it runs:
		 * keep the timeline for the process's life. */
		runs[index] = emu_timeline_start(tl, resolve, NULL, error);
		if (runs[index] == NULL)
			goto fail;
		(void)g_steal_pointer(&tl);
	}
	return d;
fail:
	/* A device refused after it was made (a bad fault=, composite= or
	 * scenario=): the transport's reference and the device go too. */
	if (d->emu != NULL) {
		d->t.ops->close(d->t.dev);
		emu_device_unref(d->emu);
	}
	g_free(d);
	return NULL;
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
		table[n_table++] = d;
		usbsim_debug("device %s: %04x:%04x bus %u address %u", d->name, d->info.idVendor,
			     d->info.idProduct, d->bus, d->address);
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
