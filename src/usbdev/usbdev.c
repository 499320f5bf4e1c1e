/* ccidlab — usbdev: one emulated USB device from its spec (usbdev.h),
 * its references, and its presence on the bus.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usbdev/usbdev.h"

/* The catalogue, loaded once per process (usbip adds devices while it
 * runs, from the control server's thread). */
static emu_profile *find_profile(const char *name, GError **error)
{
	static GMutex lock;
	static emu_catalogue *cat;
	emu_profile *p = emu_profile_builtin(name);

	if (p != NULL)
		return p;
	g_mutex_lock(&lock);
	if (cat == NULL)
		cat = emu_catalogue_load(NULL, error);
	g_mutex_unlock(&lock);
	if (cat == NULL)
		return NULL;
	g_autofree char *key = g_strdup(name);
	for (char *c = key; *c != '\0'; c++)
		if (*c == '/' || *c == '@')
			*c = ':';
	return emu_catalogue_find(cat, key, error);
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *s == '-' || *end != '\0' || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* fault=: a USB transfer fault by its kind word, else the emulator's on
 * the whole reader; '=' stands for ':' (':' separates the keys). */
static bool add_fault(usbdev *d, const char *text, GError **error)
{
	g_autofree char *s = g_strdup(text);
	g_autofree char *word = g_strndup(s, emu_fault_kind_len(s));
	emu_usb_fault_kind uk;

	if (emu_usb_fault_kind_from_name(word, &uk)) {
		emu_usb_fault uf;
		return emu_usb_fault_parse(s, &uf, error) && usbdev_fault_add(d, &uf, error);
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

/* The keys of a spec, before anything is made. */
typedef struct spec_keys {
	const char *card, *cards[USBDEV_MAX_SLOTS];
	const char *scenario, *keypad, *name;
	unsigned slots, latch, bus, address;
	const char *composite;	/* "hid", "ccid" or NULL */
	const char *strings[3];	/* manufacturer, product, serial; NULL: the profile's */
	GPtrArray *faults;	/* const char *, borrowed from the split spec */
} spec_keys;

static bool parse_key(spec_keys *k, const char *key, const char *v, GError **error)
{
	unsigned n;
	bool ok = true;

	if (strcmp(key, "card") == 0)
		k->card = v;
	else if (strncmp(key, "card", 4) == 0 && parse_uint(key + 4, USBDEV_MAX_SLOTS - 1, &n))
		k->cards[n] = v;
	else if (strcmp(key, "slots") == 0)
		ok = parse_uint(v, USBDEV_MAX_SLOTS, &k->slots) && k->slots > 0;
	else if (strcmp(key, "name") == 0)
		ok = *(k->name = v) != '\0' && strlen(v) < EMU_EVENT_NAME_MAX;
	else if (strcmp(key, "scenario") == 0)
		k->scenario = v;
	else if (strcmp(key, "latch") == 0)
		ok = parse_uint(v, 1, &k->latch);
	else if (strcmp(key, "keypad") == 0)
		k->keypad = v;
	else if (strcmp(key, "bus") == 0)
		ok = parse_uint(v, 255, &k->bus);
	else if (strcmp(key, "address") == 0)
		ok = parse_uint(v, 127, &k->address) && k->address > 0;
	else if (strcmp(key, "fault") == 0)
		g_ptr_array_add(k->faults, (gpointer)v);
	else if (strcmp(key, "composite") == 0)
		ok = (k->composite = v, strcmp(v, "hid") == 0 || strcmp(v, "ccid") == 0);
	else if (strcmp(key, "manufacturer") == 0)
		k->strings[0] = v;
	else if (strcmp(key, "product") == 0)
		k->strings[1] = v;
	else if (strcmp(key, "serial") == 0)
		k->strings[2] = v;
	else {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "unknown key '%s'", key);
		return false;
	}
	if (!ok)
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s=%s: bad value", key, v);
	return ok;
}

/* The emulated reader with its options and cards. */
static emu_device *make_emu(emu_profile *p, const spec_keys *k, const char *name,
			    GError **error)
{
	if (k->slots != 0)
		p->class_desc[4] = (uint8_t)(k->slots - 1);
	g_autoptr(emu_device) emu = emu_device_new(p, error);
	if (emu == NULL)
		return NULL;
	emu_device_set_name(emu, name);
	emu_device_set_latch(emu, k->latch != 0);
	if (k->keypad != NULL && !emu_device_set_keypad(emu, k->keypad, error))
		return NULL;
	for (unsigned s = 0; s < emu_device_slot_count(emu) && s < USBDEV_MAX_SLOTS; s++) {
		const char *spec = k->cards[s] != NULL ? k->cards[s] : k->card;
		if (strcmp(spec, "none") == 0)
			continue;
		emu_card *c = emu_card_new_from_spec(spec, error);
		if (c == NULL || !emu_device_insert(emu, s, c, EMU_EVENT_SRC_API, error))
			return NULL;
	}
	return g_steal_pointer(&emu);
}

/* manufacturer=, product=, serial=: %XX-decoded (no NUL), each at most
 * what transport_info holds. */
static bool set_strings(usbdev *d, const char *const v[3], GError **error)
{
	char *out[3] = { d->info.manufacturer, d->info.product, d->info.serial };
	static const char *const keys[3] = { "manufacturer", "product", "serial" };

	for (unsigned i = 0; i < 3; i++) {
		if (v[i] == NULL)
			continue;
		g_autofree char *raw = g_uri_unescape_string(v[i], "");
		if (raw == NULL || strlen(raw) >= sizeof d->info.serial) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "%s=%s: a bad %%XX escape, %%00, or over %zu bytes", keys[i], v[i],
				    sizeof d->info.serial - 1);
			return false;
		}
		g_strlcpy(out[i], raw, sizeof d->info.serial);
	}
	return true;
}

/* A usbdev around an emulated reader, its transport opened; the caller
 * fills in its USB face. */
static usbdev *wrap(emu_device *emu, const usbdev_opts *opts, unsigned bus, unsigned address)
{
	usbdev *d = g_new0(usbdev, 1);
	d->refs = 1;
	g_mutex_init(&d->lock);
	emu_device_name(emu, d->name, sizeof d->name);
	d->emu = emu;
	d->hooks = opts->hooks;
	d->bus = (uint8_t)bus;
	d->address = (uint8_t)address;
	emu_transport_open(d->emu, &d->t);	/* takes its own reference */
	return d;
}

/* composite=ccid: a second emulated reader behind a second CCID interface
 * of the same USB device (desc.c adds it to the configuration). */
static bool add_ccid_function(usbdev *d, emu_profile *p, const spec_keys *k,
			      const usbdev_opts *opts, GError **error)
{
	g_autofree char *name = g_strdup_printf("%s-if1", d->name);
	emu_device *emu = make_emu(p, k, name, error);
	if (emu == NULL)
		return false;
	usbdev *fn = wrap(emu, opts, d->bus, d->address);
	fn->parent = d;
	d->fn2 = fn;	/* usbdev_unref(d) frees it from here on */
	fn->t.ops->info(fn->t.dev, &fn->info);
	fn->extra_iface = -1;
	fn->has_serial = d->has_serial;
	g_strlcpy(fn->info.serial, d->info.serial, sizeof fn->info.serial);
	fn->config_len = emu_profile_config_descriptor(p, fn->config, sizeof fn->config);
	return usbdev_add_ccid_interface(d, fn, error);
}

/* The USB face of the reader: descriptors, endpoints, faults, scenario. */
static bool finish(usbdev *d, emu_profile *p, const spec_keys *k, const usbdev_opts *opts,
		   GError **error)
{
	d->config_len = emu_profile_config_descriptor(p, d->config, sizeof d->config);
	if (d->config_len == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "no configuration descriptor");
		return false;
	}
	d->t.ops->info(d->t.dev, &d->info);
	if (!set_strings(d, k->strings, error))
		return false;
	d->has_serial = d->info.serial[0] != '\0';
	d->ccid_iface = d->info.bInterfaceNumber;
	d->extra_iface = -1;
	usbdev_find_endpoints(d);
	if (g_strcmp0(k->composite, "hid") == 0 && !usbdev_add_hid_interface(d, error))
		return false;
	if (g_strcmp0(k->composite, "ccid") == 0 && !add_ccid_function(d, p, k, opts, error))
		return false;
	for (guint i = 0; i < k->faults->len; i++)
		if (!add_fault(d, k->faults->pdata[i], error))
			return false;
	if (k->scenario != NULL) {
		d->timeline = emu_timeline_load_file(k->scenario, error);
		if (d->timeline == NULL)
			return false;
		d->run = emu_timeline_start(d->timeline, opts->resolve, opts->resolve_data, error);
		if (d->run == NULL)
			return false;
	}
	return true;
}

usbdev *usbdev_new(const char *spec, const usbdev_opts *opts, GError **error)
{
	g_return_val_if_fail(spec != NULL && opts != NULL, NULL);
	g_auto(GStrv) parts = g_strsplit(spec, ":", -1);
	g_autoptr(GPtrArray) faults = g_ptr_array_new();
	spec_keys k = { .card = "readertest", .bus = opts->default_bus,
			.address = opts->default_address, .faults = faults };

	for (size_t i = 1; parts[i] != NULL; i++) {
		char *eq = strchr(parts[i], '=');
		if (eq == NULL) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "'%s': not KEY=VALUE", parts[i]);
			return NULL;
		}
		*eq = '\0';
		if (!parse_key(&k, parts[i], eq + 1, error))
			return NULL;
	}
	g_autoptr(emu_profile) p = find_profile(parts[0], error);
	if (p == NULL)
		return NULL;
	const char *name = k.name != NULL ? k.name : opts->default_name;
	emu_device *emu = make_emu(p, &k, name != NULL ? name : p->name, error);
	if (emu == NULL)
		return NULL;
	usbdev *d = wrap(emu, opts, k.bus, k.address);
	if (!finish(d, p, &k, opts, error)) {
		/* A device refused after it was made (a bad fault=, composite=
		 * or scenario=): its transport and emulator go too. */
		usbdev_unref(d);
		return NULL;
	}
	return d;
}

usbdev *usbdev_ref(usbdev *d)
{
	g_atomic_int_inc(&d->refs);
	return d;
}

void usbdev_unref(usbdev *d)
{
	if (d == NULL || !g_atomic_int_dec_and_test(&d->refs))
		return;
	if (d->run != NULL) {
		emu_timeline_run_stop(d->run);
		emu_timeline_run_free(d->run);
	}
	emu_timeline_free(d->timeline);
	usbdev_unref(d->fn2);
	d->t.ops->close(d->t.dev);
	emu_device_unref(d->emu);
	g_mutex_clear(&d->lock);
	g_free(d);
}

bool usbdev_gone(usbdev *d)
{
	if (d->parent != NULL)
		d = d->parent;	/* a function is present while its device is */
	emu_fault_entry f[EMU_DEVICE_MAX_FAULTS];
	size_t n = emu_device_fault_list(d->emu, f, G_N_ELEMENTS(f));

	for (size_t i = 0; i < n && i < G_N_ELEMENTS(f); i++)
		if (f[i].fault.kind == EMU_FAULT_DEVICE_GONE)
			return true;
	return false;
}

void usbdev_plug(usbdev *d, bool present)
{
	if (d->parent != NULL)
		d = d->parent;	/* the disconnect fault on a function: its device goes */
	if (present) {
		emu_device_fault_clear(d->emu, -1, EMU_FAULT_DEVICE_GONE);
		return;
	}
	if (d->hooks.unplug != NULL) {
		d->hooks.unplug(d, d->hooks.data);
		return;
	}
	emu_fault f = { .kind = EMU_FAULT_DEVICE_GONE, .count = EMU_FAULT_FOREVER };
	emu_device_fault_set(d->emu, -1, &f, NULL);
}
