/* ccidlab — refused reader.conf.d entries in pcscd's log (lab_refused.h).
 *
 * pcscd reads reader.conf.d before it opens anything and logs
 * "Add reader: NAME" per entry (configfile.l), then for each reader
 * "Attempting startup of NAME 00 00 using LIB" (RFInitializeReader); a
 * refusal ends in "NAME init failed." (RFAddReader), with pcscd's cause
 * between the two ("Open Port 0x.. Failed (DEVICENAME)", "RFLoadReader
 * failed", "Max number of readers reached") and, for ccidlab's driver,
 * its own "... refused: REASON" line.  Those messages are pcsc-lite's
 * since 1.8 and unchanged in 2.x. */
#include "config.h"

#include "lab/lab_refused.h"

#include <string.h>

/* pcscd -d prefixes each line with a time delta and file:line:function();
 * the message starts after "() ". */
static const char *message_of(const char *line)
{
	const char *p = strstr(line, "() ");
	return p != NULL ? p + 3 : line;
}

static gboolean is_conf_entry(GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++)
		if (strcmp(g_ptr_array_index(names, i), name) == 0)
			return TRUE;
	return FALSE;
}

/* The reason for a refusal from the lines logged since the startup
 * began: the driver's words first, then pcscd's. */
static char *reason_of(GPtrArray *window, char **devname)
{
	const char *driver_says = NULL, *pcscd_says = NULL;
	for (guint i = 0; i < window->len; i++) {
		const char *m = g_ptr_array_index(window, i);
		const char *r = strstr(m, " refused: ");
		const char *f = strstr(m, "Failed (");
		if (r != NULL && driver_says == NULL)
			driver_says = r + strlen(" refused: ");
		else if (f != NULL && *devname == NULL)
			*devname = g_strndup(f + strlen("Failed ("), strcspn(f + strlen("Failed ("), ")"));
		else if (strstr(m, "ailed") != NULL || strstr(m, "reached") != NULL ||
			 strstr(m, "Duplicate") != NULL || strstr(m, "does not support") != NULL)
			pcscd_says = m;
	}
	if (driver_says != NULL)
		return g_strdup(driver_says);
	return g_strdup(pcscd_says != NULL ? pcscd_says : "pcscd's log gives no reason");
}

GPtrArray *lab_refused_entries(const char *log)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) window = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = g_strsplit(log != NULL ? log : "", "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		const char *m = message_of(*l);
		if (g_str_has_prefix(m, "Add reader: ")) {
			g_ptr_array_add(names, g_strdup(m + strlen("Add reader: ")));
			continue;
		}
		if (g_str_has_prefix(m, "Attempting startup of ")) {
			g_ptr_array_set_size(window, 0);
			continue;
		}
		if (!g_str_has_suffix(m, " init failed.")) {
			if (window->len < 64)
				g_ptr_array_add(window, g_strdup(m));
			continue;
		}
		g_autofree char *name = g_strndup(m, strlen(m) - strlen(" init failed."));
		if (is_conf_entry(names, name)) {
			g_autofree char *devname = NULL;
			g_autofree char *why = reason_of(window, &devname);
			g_ptr_array_add(out, devname != NULL
					     ? g_strdup_printf("\"%s\" (DEVICENAME %s): %s", name,
							       devname, why)
					     : g_strdup_printf("\"%s\": %s", name, why));
		}
		g_ptr_array_set_size(window, 0);
	}
	return out;
}
