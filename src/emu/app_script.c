/* ccidlab — the script application: canned answers to command patterns.
 *
 * A script is a text file, one rule per line:
 *
 *     # comment
 *     00 A4 04 00 06 A0 00 00 00 18 FF   => 90 00
 *     80 CA XX XX ..                      => 01 02 03 90 00
 *     80 38 *                             => 90 00 delay=250
 *
 * Left of "=>": the command APDU as received (T=0: rebuilt from the TPDU
 * as a case 1, 2S or 3S APDU), in hex, spaces free; ".." or "XX" matches
 * any one byte, and a final "*" any rest (none included).  Right: the
 * response, hex, ending with SW1 SW2, then optionally "delay=MS" (time the
 * card asks for, up to EMU_SCRIPT_MAX_DELAY_MS).  The first matching rule
 * wins; no match answers 6D00.  Files are bounded (EMU_SCRIPT_MAX_BYTES,
 * EMU_SCRIPT_MAX_RULES); every parse error names its line.
 */
#include "emu/app.h"
#include "emu/file.h"

#include <errno.h>
#include <stdlib.h>

#include "emu/profile.h"

typedef struct rule {
	GByteArray *pattern;    /* bytes to compare */
	GByteArray *mask;       /* 1: compare, 0: wildcard */
	bool any_rest;          /* final '*' */
	GByteArray *response;   /* data + SW1 SW2 */
	unsigned delay_ms;
} rule;

typedef struct script {
	emu_app base;
	GPtrArray *rules;       /* rule * */
} script;

static void rule_free(gpointer p)
{
	rule *r = p;
	if (r == NULL)
		return;
	if (r->pattern)
		g_byte_array_unref(r->pattern);
	if (r->mask)
		g_byte_array_unref(r->mask);
	if (r->response)
		g_byte_array_unref(r->response);
	g_free(r);
}

static bool rule_matches(const rule *r, const uint8_t *raw, size_t len)
{
	size_t n = r->pattern->len;
	if (r->any_rest ? len < n : len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r->mask->data[i] && raw[i] != r->pattern->data[i])
			return false;
	return true;
}

static void script_process(emu_app *app, const emu_apdu *a, emu_app_rsp *rsp)
{
	script *s = (script *)app;
	for (guint i = 0; i < s->rules->len; i++) {
		const rule *r = g_ptr_array_index(s->rules, i);
		if (!rule_matches(r, a->raw, a->raw_len))
			continue;
		size_t n = r->response->len;
		const uint8_t *p = r->response->data;
		if (emu_app_rsp_put(rsp, p, n - 2)) {
			rsp->sw = (uint16_t)((p[n - 2] << 8) | p[n - 1]);
			rsp->work_ms = r->delay_ms;
		}
		return;
	}
	rsp->sw = EMU_SW_INS_NOT_SUPPORTED;
}

static void script_free(emu_app *app)
{
	script *s = (script *)app;
	if (s->rules)
		g_ptr_array_unref(s->rules);
	g_free(s);
}

static const emu_app_ops script_ops = {
	.name = "script",
	.process = script_process,
	.free = script_free,
};

static int hex_val(char c)
{
	return g_ascii_xdigit_value(c);
}

/* Parses hex (whitespace allowed between bytes, and inside none) into
 * bytes; with `mask` wildcards and a final '*' are allowed too. */
static bool parse_hex(const char *s, GByteArray *bytes, GByteArray *mask, bool *any_rest,
		      const char **why)
{
	const char *p = s;
	for (;;) {
		while (g_ascii_isspace(*p))
			p++;
		if (*p == '\0')
			return true;
		if (*p == '*') {
			if (mask == NULL) {
				*why = "'*' is for command patterns only";
				return false;
			}
			p++;
			while (g_ascii_isspace(*p))
				p++;
			if (*p != '\0') {
				*why = "'*' must end the pattern";
				return false;
			}
			*any_rest = true;
			return true;
		}
		if (p[1] == '\0' || g_ascii_isspace(p[1])) {
			*why = "odd number of hex digits";
			return false;
		}
		uint8_t b = 0, m = 1;
		if ((p[0] == '.' && p[1] == '.') ||
		    (g_ascii_toupper(p[0]) == 'X' && g_ascii_toupper(p[1]) == 'X')) {
			if (mask == NULL) {
				*why = "wildcards are for command patterns only";
				return false;
			}
			m = 0;
		} else if (hex_val(p[0]) >= 0 && hex_val(p[1]) >= 0) {
			b = (uint8_t)(hex_val(p[0]) << 4 | hex_val(p[1]));
		} else {
			*why = "not a hex byte";
			return false;
		}
		if (bytes->len >= EMU_APDU_MAX_NE + 2) {
			*why = "too many bytes";
			return false;
		}
		g_byte_array_append(bytes, &b, 1);
		if (mask)
			g_byte_array_append(mask, &m, 1);
		p += 2;
	}
}

/* The right side: hex, then optional "delay=MS". */
static bool parse_response(char *s, rule *r, const char **why)
{
	char *delay = strstr(s, "delay=");
	if (delay != NULL) {
		char *end = NULL;
		const char *num = delay + 6;
		errno = 0;
		unsigned long v = strtoul(num, &end, 10);
		while (end && g_ascii_isspace(*end))
			end++;
		if (!g_ascii_isdigit(*num) || errno != 0 || end == NULL || *end != '\0' ||
		    v > EMU_SCRIPT_MAX_DELAY_MS) {
			*why = "delay= takes milliseconds, 0.." G_STRINGIFY(60000) ", at the end";
			return false;
		}
		r->delay_ms = (unsigned)v;
		*delay = '\0';
	}
	if (!parse_hex(s, r->response, NULL, NULL, why))
		return false;
	if (r->response->len < 2) {
		*why = "a response ends with SW1 SW2";
		return false;
	}
	return true;
}

static rule *parse_rule(char *line, const char **why)
{
	char *arrow = strstr(line, "=>");
	if (arrow == NULL) {
		*why = "expected \"pattern => response\"";
		return NULL;
	}
	*arrow = '\0';
	rule *r = g_new0(rule, 1);
	r->pattern = g_byte_array_new();
	r->mask = g_byte_array_new();
	r->response = g_byte_array_new();
	if (!parse_hex(line, r->pattern, r->mask, &r->any_rest, why) ||
	    !parse_response(arrow + 2, r, why)) {
		rule_free(r);
		return NULL;
	}
	if (r->pattern->len < 4 && !r->any_rest) {
		*why = "a command has at least CLA INS P1 P2";
		rule_free(r);
		return NULL;
	}
	return r;
}

emu_app *emu_app_script_new_from_text(const char *text, size_t len, const char *name,
				      GError **error)
{
	if (len > EMU_SCRIPT_MAX_BYTES) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s: over %u bytes", name,
			    EMU_SCRIPT_MAX_BYTES);
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s: NUL byte in a text file",
			    name);
		return NULL;
	}
	g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func(rule_free);
	g_autofree char *copy = g_strndup(text, len);
	g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
	for (size_t i = 0; lines[i] != NULL; i++) {
		char *line = lines[i];
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		g_strstrip(line);
		if (*line == '\0')
			continue;
		const char *why = NULL;
		if (rules->len >= EMU_SCRIPT_MAX_RULES) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s:%zu: over %u rules",
				    name, i + 1, EMU_SCRIPT_MAX_RULES);
			return NULL;
		}
		rule *r = parse_rule(line, &why);
		if (r == NULL) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s:%zu: %s", name, i + 1,
				    why);
			return NULL;
		}
		g_ptr_array_add(rules, r);
	}
	script *s = g_new0(script, 1);
	s->base.ops = &script_ops;
	s->rules = g_steal_pointer(&rules);
	return &s->base;
}

emu_app *emu_app_script_new(const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	/* A regular file, the size bound checked before anything is read
	 * (emu/file.h). */
	g_autoptr(GBytes) b = emu_file_read(path, EMU_SCRIPT_MAX_BYTES, &local);
	if (b == NULL) {
		g_set_error(error, EMU_ERROR, local->code, "script: %s", local->message);
		return NULL;
	}
	size_t len = 0;
	const char *text = g_bytes_get_data(b, &len);
	return emu_app_script_new_from_text(text ? text : "", text ? len : 0, path, error);
}
