/* ccidlab — ccidlab.conf(5): settings of real USB readers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ifd/log.h"
#include "ifd/usbconf.h"

#define CONF_MAX_BYTES (1 << 20)

/* The configuration file: $CCIDLAB_CONF, else SYSCONFDIR/ccidlab/ccidlab.conf. */
static const char *usbconf_path(void)
{
	const char *env = g_getenv("CCIDLAB_CONF");
	return env != NULL && env[0] != '\0' ? env : SYSCONFDIR "/ccidlab/ccidlab.conf";
}

static bool set_mode(usbconf *c, const char *v)
{
	if (g_ascii_strcasecmp(v, "auto") == 0)
		c->mode = USBCONF_MODE_AUTO;
	else if (g_ascii_strcasecmp(v, "event") == 0)
		c->mode = USBCONF_MODE_EVENT;
	else if (g_ascii_strcasecmp(v, "poll") == 0 || g_ascii_strcasecmp(v, "polling") == 0)
		c->mode = USBCONF_MODE_POLL;
	else
		return false;
	return true;
}

static bool set_bool(bool *out, const char *v)
{
	if (g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	    g_ascii_strcasecmp(v, "yes") == 0)
		*out = true;
	else if (g_ascii_strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
		 g_ascii_strcasecmp(v, "no") == 0)
		*out = false;
	else
		return false;
	return true;
}

static bool set_uint(const char *v, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end = NULL;
	if (v[0] == '\0' || v[0] == '-' || v[0] == '+')
		return false;
	unsigned long n = strtoul(v, &end, 10);
	if (*end != '\0' || n < lo || n > hi)
		return false;
	*out = n;
	return true;
}

/* One key; false when the key is unknown or its value bad. */
static bool set_key(usbconf *c, const char *key, const char *v)
{
	unsigned long n = 0;

	if (strcmp(key, "mode") == 0)
		return set_mode(c, v);
	if (strcmp(key, "driver") == 0) {
		if (g_ascii_strcasecmp(v, "ccidlab") == 0)
			c->claim = true;
		else if (g_ascii_strcasecmp(v, "other") == 0 || g_ascii_strcasecmp(v, "libccid") == 0)
			c->claim = false;
		else
			return false;
		return true;
	}
	if (strcmp(key, "escape") == 0)
		return set_bool(&c->escape, v);
	if (strcmp(key, "timeout-cap") == 0) {
		if (!set_uint(v, 1, 3600, &n))
			return false;
		c->timeout_cap_s = (unsigned)n;
		return true;
	}
	if (strcmp(key, "log") == 0) {
		if (!set_uint(v, 0, 15, &n))
			return false;
		c->log = (int)n;
		return true;
	}
	if (strcmp(key, "name") == 0) {
		if (v[0] == '\0' || strlen(v) >= sizeof c->name)
			return false;
		g_strlcpy(c->name, v, sizeof c->name);
		return true;
	}
	return false;
}

static bool apply_group(usbconf *c, GKeyFile *kf, const char *path, const char *group,
			char *why, unsigned why_len)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (unsigned i = 0; keys != NULL && keys[i] != NULL; i++) {
		g_autofree char *v = g_key_file_get_string(kf, group, keys[i], NULL);
		if (v == NULL || !set_key(c, keys[i], v)) {
			g_snprintf(why, why_len, "%s: [%s] %s=%s: unknown key or bad value (keys: %s)",
				   path, group, keys[i], v ? v : "", USBCONF_KEYS);
			return false;
		}
	}
	g_strlcat(c->origin, c->origin[0] ? ", [" : "[", sizeof c->origin);
	g_strlcat(c->origin, group, sizeof c->origin);
	g_strlcat(c->origin, "]", sizeof c->origin);
	return true;
}

/* "usb", "usb VVVV:PPPP", "usb serial=S": compared without case for the
 * hex digits, exactly for the serial. */
static bool group_is(const char *group, const char *want, bool exact)
{
	return exact ? strcmp(group, want) == 0 : g_ascii_strcasecmp(group, want) == 0;
}

static bool apply_file(usbconf *c, uint16_t vid, uint16_t pid, const char *serial, char *why,
		       unsigned why_len)
{
	const char *path = usbconf_path();
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) err = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		if (g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_snprintf(why, why_len, "%s: %s", path, err->message);
		return false;
	}
	if (len > CONF_MAX_BYTES || !g_key_file_load_from_data(kf, text, len, 0, &err)) {
		g_snprintf(why, why_len, "%s: %s", path, err ? err->message : "over 1 MiB");
		return false;
	}
	g_autofree char *by_id = g_strdup_printf("usb %04X:%04X", vid, pid);
	g_autofree char *by_serial = g_strdup_printf("usb serial=%s", serial ? serial : "");
	const struct {
		const char *name;
		bool exact;
		bool usable;
	} order[] = {
		{ "usb", false, true },
		{ by_id, false, true },
		{ by_serial, true, serial != NULL && serial[0] != '\0' },
	};
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	for (unsigned k = 0; k < G_N_ELEMENTS(order); k++)
		for (unsigned i = 0; order[k].usable && groups[i] != NULL; i++)
			if (group_is(groups[i], order[k].name, order[k].exact) &&
			    !apply_group(c, kf, path, groups[i], why, why_len))
				return false;
	return true;
}

bool usbconf_resolve(uint16_t vid, uint16_t pid, const char *serial, const char *const *keys,
		     const char *const *values, unsigned n_keys, usbconf *out, char *why,
		     unsigned why_len)
{
	memset(out, 0, sizeof *out);
	out->claim = true;
	out->timeout_cap_s = USBCONF_DEFAULT_CAP_S;
	out->log = -1;
	if (!apply_file(out, vid, pid, serial, why, why_len))
		return false;
	for (unsigned i = 0; i < n_keys; i++)
		if (!set_key(out, keys[i], values[i])) {
			g_snprintf(why, why_len, "DEVICENAME key %s=%s: unknown key or bad value "
				   "(keys: serial, interface, %s)", keys[i], values[i], USBCONF_KEYS);
			return false;
		}
	if (n_keys > 0)
		g_strlcat(out->origin, out->origin[0] ? ", DEVICENAME" : "DEVICENAME",
			  sizeof out->origin);
	return true;
}
