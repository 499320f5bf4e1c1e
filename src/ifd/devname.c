/* ccidlab — DEVICENAME parsing (see devname.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ifd/devname.h"

#define VALID_CHARS "A-Z a-z 0-9 = / - . _ @ :"

static int refuse(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* pcscd's reader.conf lexer accepts exactly these in an unquoted token. */
static int token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || strchr("=/-._@:", c) != NULL;
}

static int check_chars(const char *name, char *why, size_t why_len)
{
	for (size_t i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!token_char((char)c)) {
			if (c >= 0x20 && c < 0x7f)
				return refuse(why, why_len,
					      "character '%c' at offset %zu is not allowed (allowed: %s)",
					      c, i, VALID_CHARS);
			return refuse(why, why_len,
				      "byte 0x%02X at offset %zu is not allowed (allowed: %s)",
				      c, i, VALID_CHARS);
		}
	}
	return 0;
}

/* Splits "k=v" fields after the scheme (and the emu profile). */
static int parse_params(ifd_devname *out, char *rest, char *why, size_t why_len)
{
	char *save = NULL;

	for (char *f = strtok_r(rest, ":", &save); f != NULL; f = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(f, '=');
		if (eq == NULL || eq == f)
			return refuse(why, why_len,
				      "field '%s' is not key=value (fields after the profile are key=value)", f);
		*eq = '\0';
		if (ifd_devname_get(out, f) != NULL)
			return refuse(why, why_len, "key '%s' is given twice", f);
		if (out->n_params == IFD_DEVNAME_MAX_PARAMS)
			return refuse(why, why_len, "more than %d key=value fields", IFD_DEVNAME_MAX_PARAMS);
		out->params[out->n_params].key = f;
		out->params[out->n_params].value = eq + 1;
		out->n_params++;
	}
	return 0;
}

static int parse_emu(ifd_devname *out, char *body, char *why, size_t why_len)
{
	out->scheme = IFD_DEVNAME_EMU;
	if (*body == '\0' || *body == ':')
		return refuse(why, why_len,
			      "'emu:' needs a profile or conf=FILE (emu:PROFILE[:key=value]...)");
	char *colon = strchr(body, ':');
	char *first_end = colon != NULL ? colon : body + strlen(body);
	if (memchr(body, '=', (size_t)(first_end - body)) == NULL) {
		out->profile = body;
		if (colon == NULL)
			return 0;
		*colon = '\0';
		return parse_params(out, colon + 1, why, why_len);
	}
	if (parse_params(out, body, why, why_len) != 0)
		return -1;
	if (ifd_devname_get(out, "conf") == NULL)
		return refuse(why, why_len,
			      "'emu:' needs a profile or conf=FILE before other keys");
	return 0;
}

int ifd_devname_parse(const char *name, ifd_devname *out, char *why, size_t why_len)
{
	memset(out, 0, sizeof *out);
	if (name == NULL || name[0] == '\0')
		return refuse(why, why_len, "empty DEVICENAME (expected emu:... or usb:...)");
	size_t len = strlen(name);
	if (len > IFD_DEVNAME_MAX)
		return refuse(why, why_len, "DEVICENAME is %zu bytes long (at most %d)", len,
			      IFD_DEVNAME_MAX);
	if (check_chars(name, why, why_len) != 0)
		return -1;
	memcpy(out->buf, name, len + 1);

	char *colon = strchr(out->buf, ':');
	if (colon == NULL)
		return refuse(why, why_len,
			      "no scheme in '%s' (expected emu:PROFILE[:key=value]... or usb:VVVV/PPPP...)",
			      name);
	*colon = '\0';
	char *body = colon + 1;
	if (strcmp(out->buf, "emu") == 0)
		return parse_emu(out, body, why, why_len);
	if (strcmp(out->buf, "usb") == 0) {
		/* pcscd's own form (usb:VVVV/PPPP:libudev:...): later parts that
		 * are not understood must be ignored, so keep the raw body. */
		out->scheme = IFD_DEVNAME_USB;
		out->profile = body;
		return 0;
	}
	return refuse(why, why_len, "unknown scheme '%s' (valid: emu, usb)", out->buf);
}

const char *ifd_devname_get(const ifd_devname *dn, const char *key)
{
	for (size_t i = 0; i < dn->n_params; i++)
		if (strcmp(dn->params[i].key, key) == 0)
			return dn->params[i].value;
	return NULL;
}
