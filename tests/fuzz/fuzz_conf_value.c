/* ccidlab — fuzz target: the lab's reader.conf value check
 * (src/lab/labfiles.c, lab_conf_value_ok and lab_conf_value).
 *
 * The input is "VERSION\nVALUE" (no newline: VALUE alone, version
 * unknown).  Whatever the check says must be consistent (a refusal has a
 * reason, an acceptance none), and a value made only of printable
 * characters other than the double quote, once written by lab_conf_value,
 * must pass the strictest lexer (1.8.16's) and every later one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lab/labfiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *value, const char *version)
{
	char *why = NULL;
	gboolean ok = lab_conf_value_ok(value, version, &why);
	if (ok != (why == NULL))
		abort();
	g_free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = g_strndup((const char *)data, size);
	char *nl = strchr(text, '\n');
	const char *version = NULL, *value = text;
	if (nl != NULL) {
		*nl = '\0';
		version = text;
		value = nl + 1;
	}
	check(value, version);
	guint v[3];
	lab_version_parse(version, v);
	gboolean plain = value[0] != '\0';
	for (const char *p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == '"')
			plain = FALSE;
	if (plain) {
		char *written = lab_conf_value(value);
		const char *versions[] = { "1.8.16", "1.8.23", "1.8.24", "2.5.3", NULL };
		for (int i = 0; i <= 4; i++) {
			char *why = NULL;
			if (!lab_conf_value_ok(written, versions[i], &why))
				abort();
		}
		g_free(written);
	}
	g_free(text);
	return 0;
}
