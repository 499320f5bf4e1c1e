/* ccidlab — DEVICENAME parsing (see devname.h). */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ifd/devname.h"

#define VALID_CHARS "A-Z a-z 0-9 = / - . _ @ : \\ (any printable character inside quotes)"

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

/* pcscd's reader.conf lexer accepts exactly these in an unquoted token
 * ('=' only from 1.8.24 on; '\' in every version). */
static bool token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || strchr("=/-._@:\\", c) != NULL;
}

/* Inside a quoted token the lexer takes anything up to the closing quote
 * on the same line; the driver still refuses control bytes. */
static bool quoted_char(char c, char quote)
{
	return c >= 0x20 && c < 0x7f && c != quote;
}

static int check_chars(const char *name, size_t len, char quote, size_t offset, char *why,
		       size_t why_len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = quote != '\0' ? quoted_char((char)c, quote) : token_char((char)c);
		if (ok)
			continue;
		if (c >= 0x20 && c < 0x7f)
			return refuse(why, why_len,
				      "character '%c' at offset %zu is not allowed (allowed: %s)",
				      c, i + offset, VALID_CHARS);
		return refuse(why, why_len, "byte 0x%02X at offset %zu is not allowed (allowed: %s)",
			      c, i + offset, VALID_CHARS);
	}
	return 0;
}

/* Cuts `s` at its first unescaped ':' and removes the escapes "\:" and
 * "\\" from the part before it, in place.  Returns the part after the
 * colon, or NULL when there is none.  Other backslashes stay: they belong
 * to the value (a card spec's own syntax, a path). */
static char *next_field(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (r[0] == '\\' && (r[1] == ':' || r[1] == '\\')) {
			*w++ = *++r;
			continue;
		}
		if (*r == ':') {
			*w = '\0';
			return r + 1;
		}
		*w++ = *r;
	}
	*w = '\0';
	return NULL;
}

/* Card kinds whose spec carries a file: "card=script:FILE" as documented.
 * The colon splits it into two fields; a key-less field right after such a
 * value is its file, glued back. */
static bool takes_file(const char *value)
{
	return strcmp(value, "script") == 0 || strcmp(value, "files") == 0;
}

static int not_key_value(const char *field, char *why, size_t why_len)
{
	return refuse(why, why_len,
		      "field '%s' is not key=value (fields after the profile are key=value)", field);
}

static int glue_file(ifd_devname *out, char *field, char *why, size_t why_len)
{
	if (out->n_params == 0 || !takes_file(out->params[out->n_params - 1].value))
		return not_key_value(field, why, why_len);
	/* The value ends at a NUL where its colon was; the file follows,
	 * possibly further right (next_field shortens a field that had
	 * escapes).  Put the colon back and move the file next to it. */
	const char *value = out->params[out->n_params - 1].value;
	char *colon = (char *)value + strlen(value);
	memmove(colon + 1, field, strlen(field) + 1);
	*colon = ':';
	return 0;
}

/* One field after the profile: key=value, or the file of the card spec
 * before it. */
static int add_field(ifd_devname *out, char *f, char *why, size_t why_len)
{
	char *eq = strchr(f, '=');

	if (eq == f || (eq == NULL && *f == '\0'))
		return not_key_value(f, why, why_len);
	if (eq == NULL)
		return glue_file(out, f, why, why_len);
	*eq = '\0';
	if (ifd_devname_get(out, f) != NULL)
		return refuse(why, why_len, "key '%s' is given twice", f);
	if (out->n_params == IFD_DEVNAME_MAX_PARAMS)
		return refuse(why, why_len, "more than %d key=value fields", IFD_DEVNAME_MAX_PARAMS);
	out->params[out->n_params].key = f;
	out->params[out->n_params].value = eq + 1;
	out->n_params++;
	return 0;
}

static int parse_params(ifd_devname *out, char *f, char *why, size_t why_len)
{
	while (f != NULL) {
		char *next = next_field(f);
		if (add_field(out, f, why, why_len) != 0)
			return -1;
		f = next;
	}
	return 0;
}

static int parse_emu(ifd_devname *out, char *body, char *why, size_t why_len)
{
	out->scheme = IFD_DEVNAME_EMU;
	if (*body == '\0' || *body == ':')
		return refuse(why, why_len,
			      "'emu:' needs a profile or conf=FILE (emu:PROFILE[:key=value]...)");
	char *rest = next_field(body);
	if (strchr(body, '=') == NULL) {
		out->profile = body;
		return parse_params(out, rest, why, why_len);
	}
	/* emu:conf=FILE:...: the first field is a key like the others. */
	if (add_field(out, body, why, why_len) != 0 || parse_params(out, rest, why, why_len) != 0)
		return -1;
	if (ifd_devname_get(out, "conf") == NULL)
		return refuse(why, why_len,
			      "'emu:' needs a profile or conf=FILE before other keys");
	return 0;
}

/* pcscd hands a quoted DEVICENAME over with its quotes (every version up to
 * today strips them from FRIENDLYNAME only); before 1.8.24 quoting is the
 * only way to write '='.  One enclosing pair of " or ' is removed. */
static char enclosing_quote(const char *name, size_t len)
{
	if (len >= 2 && (name[0] == '"' || name[0] == '\'') && name[len - 1] == name[0])
		return name[0];
	return '\0';
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
	char quote = enclosing_quote(name, len);
	size_t skip = quote != '\0' ? 1 : 0;
	const char *inner = name + skip;
	size_t inner_len = len - 2 * skip;
	if (check_chars(inner, inner_len, quote, skip, why, why_len) != 0)
		return -1;
	memcpy(out->text, inner, inner_len);
	out->text[inner_len] = '\0';
	memcpy(out->buf, inner, inner_len);
	out->buf[inner_len] = '\0';

	char *colon = strchr(out->buf, ':');
	if (colon == NULL)
		return refuse(why, why_len,
			      "no scheme in '%s' (expected emu:PROFILE[:key=value]... or usb:VVVV/PPPP...)",
			      out->text);
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
