/* ccidlab — emulated readers from a DEVICENAME (ccidlab-devicename(5)):
 *
 *   emu:PROFILE[:key=value]...
 *   emu:conf=FILE:reader=NAME      the same keys, from group [reader NAME]
 *
 * PROFILE is a built-in name, a catalogue source "ACR122U.txt" (with
 * "@2" for its second interface), or "072F/90CC" (with "/1" for an
 * interface): pcscd's token characters have no room for the catalogue's
 * own ':' separators.  In card specs '@' stands for ',' for the same
 * reason.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <ifdhandler.h>

#include "emu/device.h"
#include "ifd/devname.h"
#include "ifd/emuspec.h"
#include "ifd/log.h"
#include "ifd/null_reader.h"
#include "ifd/reader.h"

#define EMU_KEYS "mode, slots, card, card0..cardN, latch, keypad, escape, name, scenario, log"
#define EMU_MAX_SLOTS 16	/* pcscd 1.9.9 holds 16 reader contexts in all */
#define CONF_MAX_BYTES (1 << 20)

typedef struct emu_spec {
	char *profile;
	char *mode;	/* NULL: from the profile */
	unsigned slots;	/* 0: the profile's */
	char *card;	/* every slot's, NULL: readertest */
	char *cards[EMU_MAX_SLOTS];
	bool latch;
	char *keypad;
	bool escape;
	char *name;
	char *scenario;
} emu_spec;

static void spec_clear(emu_spec *s)
{
	g_free(s->profile);
	g_free(s->mode);
	g_free(s->card);
	for (unsigned i = 0; i < EMU_MAX_SLOTS; i++)
		g_free(s->cards[i]);
	g_free(s->keypad);
	g_free(s->name);
	g_free(s->scenario);
}

static char *subst(const char *v, char from, char to)
{
	char *s = g_strdup(v);
	for (char *p = s; *p; p++)
		if (*p == from)
			*p = to;
	return s;
}

static bool parse_bool(const char *v, bool *out)
{
	if (g_strcmp0(v, "1") == 0 || g_strcmp0(v, "yes") == 0 || g_strcmp0(v, "true") == 0)
		*out = true;
	else if (g_strcmp0(v, "0") == 0 || g_strcmp0(v, "no") == 0 || g_strcmp0(v, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* One key=value into the spec; `from_conf` values keep ',' as it is. */
static bool spec_set(emu_spec *s, const char *key, const char *value, bool from_conf, char *why,
		     size_t why_len)
{
	if (strcmp(key, "profile") == 0) {
		g_free(s->profile);
		s->profile = g_strdup(value);
	} else if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "event") != 0 && strcmp(value, "poll") != 0) {
			g_snprintf(why, why_len, "mode=%s: valid values are event, poll", value);
			return false;
		}
		g_free(s->mode);
		s->mode = g_strdup(value);
	} else if (strcmp(key, "slots") == 0) {
		char *end = NULL;
		unsigned long n = strtoul(value, &end, 10);
		if (end == value || *end != '\0' || n < 1 || n > EMU_MAX_SLOTS) {
			g_snprintf(why, why_len, "slots=%s: valid values are 1..%d", value,
				   EMU_MAX_SLOTS);
			return false;
		}
		s->slots = (unsigned)n;
	} else if (strcmp(key, "card") == 0) {
		g_free(s->card);
		s->card = from_conf ? g_strdup(value) : subst(value, '@', ',');
	} else if (g_str_has_prefix(key, "card") && g_ascii_isdigit(key[4])) {
		char *end = NULL;
		unsigned long i = strtoul(key + 4, &end, 10);
		if (*end != '\0' || i >= EMU_MAX_SLOTS) {
			g_snprintf(why, why_len, "%s: slot cards are card0..card%d", key,
				   EMU_MAX_SLOTS - 1);
			return false;
		}
		g_free(s->cards[i]);
		s->cards[i] = from_conf ? g_strdup(value) : subst(value, '@', ',');
	} else if (strcmp(key, "latch") == 0 || strcmp(key, "escape") == 0) {
		bool *b = key[0] == 'l' ? &s->latch : &s->escape;
		if (!parse_bool(value, b)) {
			g_snprintf(why, why_len, "%s=%s: valid values are 0, 1", key, value);
			return false;
		}
	} else if (strcmp(key, "keypad") == 0) {
		g_free(s->keypad);
		s->keypad = from_conf ? g_strdup(value) : subst(value, '@', ',');
	} else if (strcmp(key, "name") == 0) {
		g_free(s->name);
		s->name = g_strdup(value);
	} else if (strcmp(key, "log") == 0) {
		/* The driver's verbosity (log.h), for the whole process: pcscd
		 * loads one driver for every reader. */
		char *end = NULL;
		unsigned long v = strtoul(value, &end, 0);
		if (end == value || *end != '\0' || v > 15) {
			g_snprintf(why, why_len, "log=%s: valid values are 0..15 (1 critical, 2 info, "
				   "4 comm, 8 periodic)", value);
			return false;
		}
		ifd_log_set_mask((unsigned)v);
	} else if (strcmp(key, "scenario") == 0) {
		g_free(s->scenario);
		s->scenario = g_strdup(value);
	} else {
		g_snprintf(why, why_len, "unknown key '%s' (valid: %s)", key, EMU_KEYS);
		return false;
	}
	return true;
}

static bool spec_from_conf(emu_spec *s, const char *file, const char *reader, char *why,
			   size_t why_len)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *group = g_strdup_printf("reader %s", reader);
	GStatBuf st;

	if (g_stat(file, &st) != 0) {
		g_snprintf(why, why_len, "conf=%s: %s", file, g_strerror(errno));
		return false;
	}
	if (st.st_size > CONF_MAX_BYTES) {
		g_snprintf(why, why_len, "conf=%s: over 1 MiB", file);
		return false;
	}
	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, &err)) {
		g_snprintf(why, why_len, "conf=%s: %s", file, err->message);
		return false;
	}
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, &err);
	if (keys == NULL) {
		g_snprintf(why, why_len, "conf=%s: no group [%s]", file, group);
		return false;
	}
	for (char **k = keys; *k; k++) {
		g_autofree char *v = g_key_file_get_string(kf, group, *k, NULL);
		if (v == NULL || !spec_set(s, *k, v, true, why, why_len))
			return false;
	}
	return true;
}

static bool spec_parse(emu_spec *s, const char *devname, char *why, size_t why_len)
{
	ifd_devname dn;

	if (ifd_devname_parse(devname, &dn, why, why_len) != 0)
		return false;
	const char *conf = ifd_devname_get(&dn, "conf");
	if (conf != NULL) {
		const char *reader = ifd_devname_get(&dn, "reader");
		if (reader == NULL) {
			g_snprintf(why, why_len, "conf=%s needs reader=NAME", conf);
			return false;
		}
		if (!spec_from_conf(s, conf, reader, why, why_len))
			return false;
	} else {
		s->profile = g_strdup(dn.profile);
	}
	for (size_t i = 0; i < dn.n_params; i++) {
		const char *k = dn.params[i].key;
		if (strcmp(k, "conf") == 0 || strcmp(k, "reader") == 0)
			continue;
		if (!spec_set(s, k, dn.params[i].value, false, why, why_len))
			return false;
	}
	if (s->profile == NULL) {
		g_snprintf(why, why_len, "no profile given");
		return false;
	}
	return true;
}

/* The catalogue is read once per process: 773 rows, shared by every
 * reader that names one of them. */
static emu_catalogue *catalogue(GError **error)
{
	static GMutex lock;
	static emu_catalogue *cat;

	g_mutex_lock(&lock);
	if (cat == NULL)
		cat = emu_catalogue_load(NULL, error);
	g_mutex_unlock(&lock);
	return cat;
}

static emu_profile *find_profile(const char *name, char *why, size_t why_len)
{
	g_autoptr(GError) err = NULL;

	emu_profile *p = emu_profile_builtin(name);
	if (p != NULL)
		return p;
	emu_catalogue *cat = catalogue(&err);
	if (cat == NULL) {
		g_snprintf(why, why_len, "profile '%s' is not built in, and the catalogue: %s", name,
			   err->message);
		return NULL;
	}
	/* DEVICENAME spelling to catalogue keys: 072F/90CC/1 and ACR122U.txt@2. */
	g_autofree char *key = subst(name, '/', ':');
	for (char *at = strchr(key, '@'); at != NULL; at = NULL)
		*at = ':';
	p = emu_catalogue_find(cat, key, &err);
	if (p == NULL) {
		g_autofree char *builtins = g_strjoinv(", ", (char **)emu_profile_builtin_names());
		g_snprintf(why, why_len, "unknown profile '%s': %s (built-in: %s)", name,
			   err->message, builtins);
	}
	return p;
}

static bool fill_slots(emu_device *dev, const emu_spec *s, char *why, size_t why_len)
{
	for (unsigned i = 0; i < emu_device_slot_count(dev) && i < EMU_MAX_SLOTS; i++) {
		const char *spec = s->cards[i] ? s->cards[i] : s->card ? s->card : "readertest";
		if (strcmp(spec, "none") == 0)
			continue;
		g_autoptr(GError) err = NULL;
		emu_card *card = emu_card_new_from_spec(spec, &err);
		if (card == NULL || !emu_device_insert(dev, i, card, EMU_EVENT_SRC_API, &err)) {
			g_snprintf(why, why_len, "slot %u card '%s': %s", i, spec, err->message);
			return false;
		}
	}
	return true;
}

static emu_device *make_device(ifd_reader *r, const emu_spec *s, char *why, size_t why_len)
{
	g_autoptr(emu_profile) p = find_profile(s->profile, why, why_len);
	g_autoptr(GError) err = NULL;

	if (p == NULL)
		return NULL;
	if (s->slots != 0)
		p->class_desc[4] = (uint8_t)(s->slots - 1);	/* bMaxSlotIndex */
	g_autoptr(emu_device) dev = emu_device_new(p, &err);
	if (dev == NULL) {
		g_snprintf(why, why_len, "profile '%s': %s", s->profile, err->message);
		return NULL;
	}
	if (s->mode != NULL && strcmp(s->mode, "event") == 0 && !p->has_interrupt_in) {
		g_snprintf(why, why_len,
			   "mode=event: profile '%s' has no interrupt pipe (use mode=poll)",
			   s->profile);
		return NULL;
	}
	r->mode = p->has_interrupt_in && g_strcmp0(s->mode, "poll") != 0 ? IFD_MODE_EVENT
									 : IFD_MODE_POLL;
	r->escape_allowed = s->escape;
	if (s->scenario != NULL) {
		g_autoptr(GError) terr = NULL;
		r->timeline = emu_timeline_load_file(s->scenario, &terr);
		if (r->timeline == NULL) {
			g_snprintf(why, why_len, "scenario=%s: %s", s->scenario, terr->message);
			return NULL;
		}
	}
	r->name = s->name ? g_strdup(s->name) : g_strdup_printf("%s#%u", s->profile, r->number);
	emu_device_set_name(dev, r->name);
	emu_device_set_latch(dev, s->latch);
	if (s->keypad != NULL && !emu_device_set_keypad(dev, s->keypad, &err)) {
		g_snprintf(why, why_len, "keypad: %s", err->message);
		return NULL;
	}
	if (!fill_slots(dev, s, why, why_len))
		return NULL;
	return g_steal_pointer(&dev);
}

long ifd_emu_open(ifd_reader *r, const char *devname)
{
	emu_spec s = { 0 };
	char why[512];
	transport t;

	bool ok = spec_parse(&s, devname, why, sizeof why);
	if (ok && strcmp(s.profile, "null") == 0) {
		r->name = s.name ? g_strdup(s.name) : NULL;
		long rc = ifd_null_open(r, g_strcmp0(s.mode, "poll") == 0);
		spec_clear(&s);
		return rc;
	}
	emu_device *dev = ok ? make_device(r, &s, why, sizeof why) : NULL;
	spec_clear(&s);
	if (dev == NULL) {
		ifd_error("reader %u: DEVICENAME '%s' refused: %s", r->number, devname, why);
		return IFD_COMMUNICATION_ERROR;
	}
	emu_transport_open(dev, &t);
	r->host = host_reader_open(t, why, sizeof why);
	if (r->host == NULL) {
		ifd_error("reader %u: '%s': the emulated device does not open: %s", r->number,
			  devname, why);
		emu_device_unref(dev);
		return IFD_COMMUNICATION_ERROR;
	}
	r->emu = dev;
	return IFD_SUCCESS;
}

static emu_device *resolve(const char *reader, void *data)
{
	return ifd_reader_find_emu(reader);
}

void ifd_emu_start_scenario(ifd_reader *r)
{
	g_autoptr(GError) err = NULL;

	if (r->timeline == NULL)
		return;
	r->timeline_run = emu_timeline_start(r->timeline, resolve, NULL, &err);
	if (r->timeline_run == NULL)
		ifd_error("reader %u: scenario does not start: %s", r->number, err->message);
	else
		ifd_info("reader %u: scenario of %zu steps started", r->number,
			 emu_timeline_size(r->timeline));
}
