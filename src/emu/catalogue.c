/* ccidlab — the reader catalogue: readers.tsv loaded into profiles, and
 * the lookup by name, source file, VID:PID or VID:PID:IFACE.
 *
 * readers.tsv (tests/data/readers.README.md) is tab-separated, header row
 * first, no quoting.  Columns are found by their header name, never by
 * position.  Each data row is one CCID interface of a real reader; it
 * becomes the profile "SOURCE:ORDINAL" (e.g. "ACR122U.txt:1").  The file
 * comes from outside, so every size is bounded (EMU_CATALOGUE_MAX_*) and
 * every field is checked; a bad row fails the load with EMU_ERROR_PARSE
 * naming the line and the column.
 *
 * Past 600 lines, and whole on purpose: the loader and the lookup share the
 * row table (entry), which no other file needs to see, and the field
 * parsers serve this one file format.  One concept: the catalogue file and
 * the keys that name its rows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ccid/descriptor.h"
#include "ccid/quirks.h"
#include "emu/profile.h"

#ifndef PKGDATADIR
#error "PKGDATADIR must be defined on the compile line (src/emu/local.mk)"
#endif

/* The 54 descriptor bytes as 108 hex characters. */
#define DESC_HEX_LEN (2u * EMU_PROFILE_CLASS_DESC_LEN)
/* How many near matches a lookup miss lists. */
#define NEAR_MATCHES_MAX 5u

typedef struct entry {
	emu_profile *profile;
	char *source;
	guint ordinal;
} entry;

struct emu_catalogue {
	GArray *entries; /* of entry, in file order */
};

/* ---- the columns ---- */

enum col {
	COL_SOURCE,
	COL_ORDINAL,
	COL_VID,
	COL_PID,
	COL_MANUFACTURER,
	COL_PRODUCT,
	COL_BCD_DEVICE,
	COL_IF_NUMBER,
	COL_NUM_ENDPOINTS,
	COL_HAS_INTERRUPT_IN,
	COL_IF_CLASS,
	COL_IF_SUBCLASS,
	COL_IF_PROTOCOL,
	COL_DESCRIPTOR_HEX,
	COL_CLOCKS,
	COL_RATES,
	COL_COUNT
};

/* The header names of the columns this loader reads; others (the 22
 * decoded descriptor fields) are allowed and ignored. */
static const char *const col_names[COL_COUNT] = {
	[COL_SOURCE] = "source",
	[COL_ORDINAL] = "iface_ordinal",
	[COL_VID] = "vid",
	[COL_PID] = "pid",
	[COL_MANUFACTURER] = "manufacturer",
	[COL_PRODUCT] = "product",
	[COL_BCD_DEVICE] = "bcd_device",
	[COL_IF_NUMBER] = "if_number",
	[COL_NUM_ENDPOINTS] = "num_endpoints",
	[COL_HAS_INTERRUPT_IN] = "has_interrupt_in",
	[COL_IF_CLASS] = "if_class",
	[COL_IF_SUBCLASS] = "if_subclass",
	[COL_IF_PROTOCOL] = "if_protocol",
	[COL_DESCRIPTOR_HEX] = "descriptor_hex",
	[COL_CLOCKS] = "clocks_khz",
	[COL_RATES] = "data_rates_bps",
};

/* Where the loader is: for error messages. */
typedef struct parse_ctx {
	const char *path;
	guint line;
	guint n_fields;          /* fields in the header */
	guint index[COL_COUNT];  /* header position of each column */
} parse_ctx;

static void set_parse_error(GError **error, const parse_ctx *ctx, const char *column,
			    const char *what)
{
	if (column != NULL)
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s:%u: column %s: %s", ctx->path,
			    ctx->line, column, what);
	else
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s:%u: %s", ctx->path, ctx->line,
			    what);
}

/* ---- field parsers: each returns NULL on success or why it failed ---- */

static int hex_digit(char c)
{
	return g_ascii_xdigit_value(c);
}

/* A hex number of 1..max_digits digits, with or without 0x. */
static bool parse_hex(const char *s, guint max_digits, guint32 *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t n = strlen(s);
	if (n == 0 || n > max_digits)
		return false;
	guint32 v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[i]);
		if (d < 0)
			return false;
		v = (v << 4) | (guint32)d;
	}
	*out = v;
	return true;
}

static char *field_hex(const char *s, guint max_digits, guint32 *out)
{
	if (!parse_hex(s, max_digits, out))
		return g_strdup_printf("\"%s\" is not a hex number of 1 to %u digits", s,
				       max_digits);
	return NULL;
}

/* Decimal parsing without GLib's g_ascii_string_to_*(): those build a
 * translated error message (gettext) even when no GError is asked for, and
 * inside pcscd under AddressSanitizer gettext's lock was seen to deadlock.
 * Digits only (a '-' for signed), no spaces, within [min, max]. */
static bool dec_parse(const char *s, bool sign_ok, gint64 min, guint64 max, guint64 *mag,
		      bool *neg)
{
	*neg = sign_ok && *s == '-';
	if (*neg)
		s++;
	if (*s == '\0' || strlen(s) > 20)
		return false;
	guint64 v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		guint d = (guint)(*s - '0');
		if (v > (G_MAXUINT64 - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*neg ? v > (guint64)(-(min + 1)) + 1 : v > max)
		return false;
	*mag = v;
	return true;
}

static bool dec_unsigned(const char *s, guint64 min, guint64 max, guint64 *out)
{
	guint64 v;
	bool neg;
	if (!dec_parse(s, false, 0, max, &v, &neg) || v < min)
		return false;
	*out = v;
	return true;
}

static bool dec_signed(const char *s, gint64 min, gint64 max, gint64 *out)
{
	guint64 v;
	bool neg;
	if (!dec_parse(s, true, min, (guint64)max, &v, &neg))
		return false;
	*out = neg ? -(gint64)(v - 1) - 1 : (gint64)v;
	return true;
}

static char *field_uint(const char *s, guint64 min, guint64 max, guint64 *out)
{
	if (!dec_unsigned(s, min, max, out))
		return g_strdup_printf("\"%s\" is not a decimal number in %" G_GUINT64_FORMAT
				       "..%" G_GUINT64_FORMAT,
				       s, min, max);
	return NULL;
}

/* bcdDevice as the tool printed it: "major.minor", each 1 or 2 hex digits
 * ("1.00", "F0.F0"; a few old files print "1.0"). */
static char *field_bcd(const char *s, guint16 *out)
{
	g_auto(GStrv) parts = g_strsplit(s, ".", -1);
	guint32 v[2] = { 0, 0 };
	bool ok = g_strv_length(parts) == 2;
	for (guint i = 0; ok && i < 2; i++) {
		size_t n = strlen(parts[i]);
		ok = n >= 1 && n <= 2 && g_ascii_isxdigit(parts[i][0]) &&
		     (n == 1 || g_ascii_isxdigit(parts[i][1])) && parse_hex(parts[i], 2, &v[i]);
	}
	if (!ok)
		return g_strdup_printf("\"%s\" is not a bcdDevice like 1.00", s);
	*out = (guint16)((v[0] << 8) | v[1]);
	return NULL;
}

static char *field_descriptor(const char *s, uint8_t out[EMU_PROFILE_CLASS_DESC_LEN])
{
	size_t n = strlen(s);
	if (n != DESC_HEX_LEN)
		return g_strdup_printf("%zu hex characters, expected %u (%u bytes)", n,
				       DESC_HEX_LEN, EMU_PROFILE_CLASS_DESC_LEN);
	for (size_t i = 0; i < EMU_PROFILE_CLASS_DESC_LEN; i++) {
		int hi = hex_digit(s[2 * i]);
		int lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return g_strdup_printf("character %zu is not a hex digit",
					       (hi < 0 ? 2 * i : 2 * i + 1) + 1);
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	return NULL;
}

/* A class-request reply as the tool printed it (readers.README.md):
 *   "4000,4800,..."              the values (signed 32-bit decimals, some
 *                                junk, kept as the same 32 bits);
 *   "IFD does not support ..."   the request failed: it stalls;
 *   "wrong size for ...: N"      an N-byte reply that is no whole number of
 *                                DWORDs: answered with an empty reply, the
 *                                nearest a value list can say;
 *   ""                           nothing printed: treated as a stall.
 */
static char *field_reply(const char *s, bool *supported, GArray *values)
{
	g_array_set_size(values, 0);
	*supported = false;
	if (s[0] == '\0' || g_str_has_prefix(s, "IFD does not support"))
		return NULL;
	*supported = true;
	if (g_str_has_prefix(s, "wrong size for"))
		return NULL;

	g_auto(GStrv) items = g_strsplit(s, ",", -1);
	guint n = g_strv_length(items);
	if (n > EMU_CATALOGUE_MAX_REPLY_VALUES)
		return g_strdup_printf("%u values, at most %u", n, EMU_CATALOGUE_MAX_REPLY_VALUES);
	for (guint i = 0; i < n; i++) {
		gint64 v = 0;
		if (!dec_signed(items[i], G_MININT32, G_MAXUINT32, &v))
			return g_strdup_printf("value %u \"%s\" is not a 32-bit decimal (and the "
					       "text is no known error message)",
					       i + 1, items[i]);
		guint32 u = (guint32)(v & 0xFFFFFFFF);
		g_array_append_val(values, u);
	}
	return NULL;
}

/* ---- one row ---- */

/* The one-line description of a catalogue profile. */
static char *describe(const emu_profile *p)
{
	ccid_class_desc desc;
	ccid_class_facts facts;
	g_autofree char *shape = NULL;
	if (ccid_descriptor_decode_class(p->class_desc, sizeof p->class_desc, &desc, &facts) == 0)
		shape = g_strdup_printf("%s, %u slot%s", ccid_descriptor_level_name(facts.level),
					facts.slot_count, facts.slot_count == 1 ? "" : "s");
	else
		shape = g_strdup("undecodable class descriptor");
	const char *sep = p->manufacturer[0] != '\0' && p->product[0] != '\0' ? " " : "";
	return g_strdup_printf("%s%s%s (%04X:%04X interface %u): %s%s%s", p->manufacturer, sep,
			       p->product, p->idVendor, p->idProduct, p->bInterfaceNumber, shape,
			       p->has_interrupt_in ? "" : ", no interrupt pipe",
			       p->emulatable ? "" : ", not emulated");
}

/* Fills the interface facts; *has_bulk gets whether bulk pipes exist. */
static bool row_interface(char **f, const parse_ctx *ctx, emu_profile *p, bool *has_bulk,
			  GError **error)
{
	guint64 v = 0;
	guint32 h = 0;
	char *why = NULL;
	enum col bad = COL_COUNT;

	if ((why = field_uint(f[ctx->index[COL_IF_NUMBER]], 0, 255, &v)) != NULL) {
		bad = COL_IF_NUMBER;
		goto fail;
	}
	p->bInterfaceNumber = (uint8_t)v;
	if ((why = field_hex(f[ctx->index[COL_IF_CLASS]], 2, &h)) != NULL) {
		bad = COL_IF_CLASS;
		goto fail;
	}
	p->bInterfaceClass = (uint8_t)h;
	if ((why = field_uint(f[ctx->index[COL_IF_SUBCLASS]], 0, 255, &v)) != NULL) {
		bad = COL_IF_SUBCLASS;
		goto fail;
	}
	p->bInterfaceSubClass = (uint8_t)v;
	if ((why = field_uint(f[ctx->index[COL_IF_PROTOCOL]], 0, 255, &v)) != NULL) {
		bad = COL_IF_PROTOCOL;
		goto fail;
	}
	p->bInterfaceProtocol = (uint8_t)v;

	guint64 n_ep = 0, irq = 0;
	if ((why = field_uint(f[ctx->index[COL_NUM_ENDPOINTS]], 0, 30, &n_ep)) != NULL) {
		bad = COL_NUM_ENDPOINTS;
		goto fail;
	}
	if ((why = field_uint(f[ctx->index[COL_HAS_INTERRUPT_IN]], 0, 1, &irq)) != NULL) {
		bad = COL_HAS_INTERRUPT_IN;
		goto fail;
	}
	/* readers.README.md: the parse tool derives the endpoint list from
	 * bNumEndpoints (1 = interrupt-IN, 2 = bulk pair, 3 = both). */
	if (n_ep <= 3 && (irq != 0) != (n_ep == 1 || n_ep == 3)) {
		why = g_strdup_printf("%" G_GUINT64_FORMAT " contradicts num_endpoints %" G_GUINT64_FORMAT,
				      irq, n_ep);
		bad = COL_HAS_INTERRUPT_IN;
		goto fail;
	}
	p->has_interrupt_in = irq != 0;
	*has_bulk = n_ep >= 2;
	return true;
fail:
	set_parse_error(error, ctx, col_names[bad], why);
	g_free(why);
	return false;
}

static bool row_identity(char **f, const parse_ctx *ctx, emu_profile *p, guint *ordinal,
			 GError **error)
{
	guint64 v = 0;
	guint32 h = 0;
	char *why = NULL;
	enum col bad = COL_COUNT;
	const char *source = f[ctx->index[COL_SOURCE]];

	/* ':' separates the source from the ordinal in profile names. */
	if (source[0] == '\0' || strchr(source, ':') != NULL) {
		why = g_strdup_printf("\"%s\" is empty or holds ':'", source);
		bad = COL_SOURCE;
		goto fail;
	}
	if ((why = field_uint(f[ctx->index[COL_ORDINAL]], 1, 65535, &v)) != NULL) {
		bad = COL_ORDINAL;
		goto fail;
	}
	*ordinal = (guint)v;
	if ((why = field_hex(f[ctx->index[COL_VID]], 4, &h)) != NULL) {
		bad = COL_VID;
		goto fail;
	}
	p->idVendor = (uint16_t)h;
	if ((why = field_hex(f[ctx->index[COL_PID]], 4, &h)) != NULL) {
		bad = COL_PID;
		goto fail;
	}
	p->idProduct = (uint16_t)h;
	if ((why = field_bcd(f[ctx->index[COL_BCD_DEVICE]], &p->bcdDevice)) != NULL) {
		bad = COL_BCD_DEVICE;
		goto fail;
	}
	p->name = g_strdup_printf("%s:%u", source, *ordinal);
	p->manufacturer = g_strdup(f[ctx->index[COL_MANUFACTURER]]);
	p->product = g_strdup(f[ctx->index[COL_PRODUCT]]);
	return true;
fail:
	set_parse_error(error, ctx, col_names[bad], why);
	g_free(why);
	return false;
}

static bool row_bytes(char **f, const parse_ctx *ctx, emu_profile *p, GError **error)
{
	char *why = NULL;
	enum col bad = COL_COUNT;

	if ((why = field_descriptor(f[ctx->index[COL_DESCRIPTOR_HEX]], p->class_desc)) != NULL) {
		bad = COL_DESCRIPTOR_HEX;
		goto fail;
	}
	if ((why = field_reply(f[ctx->index[COL_CLOCKS]], &p->clocks_supported, p->clocks_khz)) !=
	    NULL) {
		bad = COL_CLOCKS;
		goto fail;
	}
	if ((why = field_reply(f[ctx->index[COL_RATES]], &p->rates_supported, p->rates_bps)) !=
	    NULL) {
		bad = COL_RATES;
		goto fail;
	}
	return true;
fail:
	set_parse_error(error, ctx, col_names[bad], why);
	g_free(why);
	return false;
}

static emu_profile *row_to_profile(char **f, const parse_ctx *ctx, guint *ordinal,
				   GError **error)
{
	g_autoptr(emu_profile) p = emu_profile_new();
	bool has_bulk = false;
	if (!row_identity(f, ctx, p, ordinal, error) ||
	    !row_interface(f, ctx, p, &has_bulk, error) || !row_bytes(f, ctx, p, error))
		return NULL;
	/* readers.tsv keeps the descriptor's bytes, not where it sat.  The
	 * readers known to put it after the endpoints (the core's quirk
	 * table: O2Micro OZ776, Reiner SCT...) get that layout, so that an
	 * emulated one tests the host's walker as the real one does; the
	 * others get the standard place (CCID 1.1 §5.1). */
	const ccid_quirk *q = ccid_quirks_find(p->idVendor, p->idProduct, p->bcdDevice);
	p->desc_after_endpoints = q != NULL && (q->flags & CCID_QUIRK_DESC_AFTER_ENDPOINTS) != 0;
	emu_profile_judge(p, has_bulk);
	p->description = describe(p);
	return g_steal_pointer(&p);
}

/* ---- the file ---- */

static void entry_clear(gpointer data)
{
	entry *e = data;
	emu_profile_free(e->profile);
	g_free(e->source);
}

/* Reads at most EMU_CATALOGUE_MAX_FILE bytes; a larger file is refused. */
static GBytes *read_bounded(const char *path, GError **error)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		int e = errno;
		g_set_error(error, EMU_ERROR, e == ENOENT ? EMU_ERROR_NOT_FOUND : EMU_ERROR_FAILED,
			    "cannot open the reader catalogue %s: %s", path, g_strerror(e));
		return NULL;
	}
	GByteArray *buf = g_byte_array_new();
	guint8 chunk[65536];
	bool too_big = false;
	for (;;) {
		size_t n = fread(chunk, 1, sizeof chunk, fp);
		if (n > 0) {
			if (buf->len + n > EMU_CATALOGUE_MAX_FILE) {
				too_big = true;
				break;
			}
			g_byte_array_append(buf, chunk, (guint)n);
		}
		if (n < sizeof chunk)
			break;
	}
	int failed = ferror(fp);
	int e = errno;
	fclose(fp);
	if (too_big || failed) {
		if (too_big)
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "%s: larger than %u bytes: not a reader catalogue", path,
				    EMU_CATALOGUE_MAX_FILE);
		else
			g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
				    "cannot read the reader catalogue %s: %s", path, g_strerror(e));
		g_byte_array_unref(buf);
		return NULL;
	}
	return g_byte_array_free_to_bytes(buf);
}

static bool parse_header(char *line, parse_ctx *ctx, GError **error)
{
	g_auto(GStrv) names = g_strsplit(line, "\t", -1);
	ctx->n_fields = g_strv_length(names);
	for (guint c = 0; c < COL_COUNT; c++) {
		bool found = false;
		for (guint i = 0; i < ctx->n_fields; i++) {
			if (strcmp(names[i], col_names[c]) != 0)
				continue;
			if (found) {
				set_parse_error(error, ctx, col_names[c],
						"named twice in the header");
				return false;
			}
			ctx->index[c] = i;
			found = true;
		}
		if (!found) {
			set_parse_error(error, ctx, col_names[c], "missing from the header");
			return false;
		}
	}
	return true;
}

static bool add_row(emu_catalogue *cat, GHashTable *seen, char *line, const parse_ctx *ctx,
		    GError **error)
{
	g_auto(GStrv) f = g_strsplit(line, "\t", -1);
	guint n = g_strv_length(f);
	if (n != ctx->n_fields) {
		g_autofree char *why =
			g_strdup_printf("%u fields, the header has %u", n, ctx->n_fields);
		set_parse_error(error, ctx, NULL, why);
		return false;
	}
	guint ordinal = 0;
	emu_profile *p = row_to_profile(f, ctx, &ordinal, error);
	if (p == NULL)
		return false;
	if (!g_hash_table_add(seen, g_ascii_strdown(p->name, -1))) {
		g_autofree char *why = g_strdup_printf("duplicate profile %s", p->name);
		set_parse_error(error, ctx, col_names[COL_ORDINAL], why);
		emu_profile_free(p);
		return false;
	}
	entry e = { .profile = p, .source = g_strdup(f[ctx->index[COL_SOURCE]]), .ordinal = ordinal };
	g_array_append_val(cat->entries, e);
	return true;
}

/* Splits the text in lines (LF, or CRLF) and loads them.  text is
 * NUL-terminated and modified in place. */
static bool parse_text(emu_catalogue *cat, char *text, size_t len, const char *path,
		       GError **error)
{
	parse_ctx ctx = { .path = path };
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *p = text, *end = text + len;
	bool have_header = false;

	while (p < end) {
		ctx.line++;
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl != NULL ? nl : end;
		if ((size_t)(stop - p) > EMU_CATALOGUE_MAX_LINE) {
			g_autofree char *why = g_strdup_printf("line longer than %u bytes",
							       EMU_CATALOGUE_MAX_LINE);
			set_parse_error(error, &ctx, NULL, why);
			return false;
		}
		*stop = '\0';
		if (stop > p && stop[-1] == '\r')
			stop[-1] = '\0';
		if (p[0] == '\0') {
			set_parse_error(error, &ctx, NULL, "empty line");
			return false;
		}
		if (!have_header) {
			if (!parse_header(p, &ctx, error))
				return false;
			have_header = true;
		} else if (!add_row(cat, seen, p, &ctx, error)) {
			return false;
		}
		p = stop + 1;
	}
	if (!have_header) {
		ctx.line = 1;
		set_parse_error(error, &ctx, NULL, "empty file: no header line");
		return false;
	}
	return true;
}

/* The text must be UTF-8 without NUL bytes: names and strings go to
 * listings and log lines. */
static bool check_text(const char *text, size_t len, const char *path, GError **error)
{
	if (len == 0)
		return true;
	const char *bad = NULL;
	const char *nul = memchr(text, '\0', len);
	if (nul != NULL || !g_utf8_validate(text, (gssize)len, &bad)) {
		const char *at = nul != NULL ? nul : bad;
		parse_ctx ctx = { .path = path, .line = 1 };
		for (const char *q = text; q < at; q++)
			if (*q == '\n')
				ctx.line++;
		set_parse_error(error, &ctx, NULL,
				at == nul ? "NUL byte in the text" : "text is not valid UTF-8");
		return false;
	}
	return true;
}

static char *default_path(void)
{
	const char *env = g_getenv("CCIDLAB_READERS_TSV");
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	return g_strdup(PKGDATADIR "/readers.tsv");
}

emu_catalogue *emu_catalogue_load(const char *path, GError **error)
{
	g_autofree char *resolved = path != NULL ? g_strdup(path) : default_path();
	g_autoptr(GBytes) bytes = read_bounded(resolved, error);
	if (bytes == NULL)
		return NULL;
	size_t len = 0;
	const char *data = g_bytes_get_data(bytes, &len);
	if (!check_text(data, len, resolved, error))
		return NULL;
	/* A NUL-terminated, writable copy that the line splitter cuts up. */
	g_autofree char *text = g_malloc(len + 1);
	if (len > 0)
		memcpy(text, data, len);
	text[len] = '\0';

	g_autoptr(emu_catalogue) cat = g_new0(emu_catalogue, 1);
	cat->entries = g_array_new(FALSE, FALSE, sizeof(entry));
	g_array_set_clear_func(cat->entries, entry_clear);
	if (!parse_text(cat, text, len, resolved, error))
		return NULL;
	return g_steal_pointer(&cat);
}

void emu_catalogue_free(emu_catalogue *c)
{
	if (c == NULL)
		return;
	if (c->entries != NULL)
		g_array_unref(c->entries);
	g_free(c);
}

size_t emu_catalogue_size(const emu_catalogue *c)
{
	return c != NULL ? c->entries->len : 0;
}

const emu_profile *emu_catalogue_get(const emu_catalogue *c, size_t i)
{
	if (c == NULL || i >= c->entries->len)
		return NULL;
	return g_array_index(c->entries, entry, i).profile;
}

/* ---- lookup ---- */

static const entry *entry_at(const emu_catalogue *c, guint i)
{
	return &g_array_index(c->entries, entry, i);
}

/* A source names itself with or without its ".txt". */
static bool source_matches(const char *source, const char *want, size_t want_len)
{
	size_t n = strlen(source);
	if (n == want_len && g_ascii_strncasecmp(source, want, n) == 0)
		return true;
	return n > 4 && g_ascii_strcasecmp(source + n - 4, ".txt") == 0 && n - 4 == want_len &&
	       g_ascii_strncasecmp(source, want, want_len) == 0;
}

/* "SOURCE" or "SOURCE:ORDINAL": the row, or -1. */
static gint find_by_source(const emu_catalogue *c, const char *key)
{
	const char *colon = strrchr(key, ':');
	size_t src_len = strlen(key);
	guint64 ordinal = 0;
	if (colon != NULL) {
		if (!dec_unsigned(colon + 1, 1, G_MAXUINT, &ordinal))
			return -1;
		src_len = (size_t)(colon - key);
	}
	gint best = -1;
	for (guint i = 0; i < c->entries->len; i++) {
		const entry *e = entry_at(c, i);
		if (!source_matches(e->source, key, src_len))
			continue;
		if (ordinal != 0 ? e->ordinal == ordinal
				 : best < 0 || e->ordinal < entry_at(c, (guint)best)->ordinal)
			best = (gint)i;
		if (ordinal != 0 && best >= 0)
			break;
	}
	return best;
}

typedef struct hex_key {
	guint32 vid, pid, iface;
	bool has_iface;
} hex_key;

/* "VVVV:PPPP" or "VVVV:PPPP:IFACE", hex, each part with or without 0x. */
static bool parse_hex_key(const char *key, hex_key *k)
{
	g_auto(GStrv) parts = g_strsplit(key, ":", -1);
	guint n = g_strv_length(parts);
	if (n != 2 && n != 3)
		return false;
	if (!parse_hex(parts[0], 4, &k->vid) || !parse_hex(parts[1], 4, &k->pid))
		return false;
	k->has_iface = n == 3;
	k->iface = 0;
	return n == 2 || parse_hex(parts[2], 2, &k->iface);
}

/* The row of a VID:PID[:IFACE] key: without IFACE, the lowest interface
 * number; ties go to the first row in file order. */
static gint find_by_ids(const emu_catalogue *c, const hex_key *k)
{
	gint best = -1;
	for (guint i = 0; i < c->entries->len; i++) {
		const emu_profile *p = entry_at(c, i)->profile;
		if (p->idVendor != k->vid || p->idProduct != k->pid)
			continue;
		if (k->has_iface) {
			if (p->bInterfaceNumber == k->iface)
				return (gint)i;
		} else if (best < 0 ||
			   p->bInterfaceNumber < entry_at(c, (guint)best)->profile->bInterfaceNumber) {
			best = (gint)i;
		}
	}
	return best;
}

static bool contains_ci(const char *hay, const char *needle_lower)
{
	g_autofree char *h = g_ascii_strdown(hay, -1);
	return strstr(h, needle_lower) != NULL;
}

static void add_near(GPtrArray *near, const char *name)
{
	if (near->len >= NEAR_MATCHES_MAX)
		return;
	for (guint i = 0; i < near->len; i++)
		if (strcmp(g_ptr_array_index(near, i), name) == 0)
			return;
	g_ptr_array_add(near, (gpointer)name);
}

/* Up to NEAR_MATCHES_MAX names close to a key that matched nothing: same
 * VID:PID, then same VID, for a hex key; otherwise built-in names and rows
 * whose source, manufacturer or product holds the key's first part. */
static void near_matches(const emu_catalogue *c, const char *key, GPtrArray *near)
{
	hex_key k;
	if (c != NULL && parse_hex_key(key, &k)) {
		for (guint pass = 0; pass < 2; pass++)
			for (guint i = 0; i < c->entries->len; i++) {
				const emu_profile *p = entry_at(c, i)->profile;
				if (p->idVendor == k.vid && (pass == 1 || p->idProduct == k.pid))
					add_near(near, p->name);
			}
		return;
	}
	g_autofree char *needle = g_ascii_strdown(key, -1);
	char *colon = strchr(needle, ':');
	if (colon != NULL)
		*colon = '\0';
	if (g_str_has_suffix(needle, ".txt"))
		needle[strlen(needle) - 4] = '\0';
	if (needle[0] == '\0')
		return;
	for (const char *const *b = emu_profile_builtin_names(); *b != NULL; b++)
		if (contains_ci(*b, needle))
			add_near(near, *b);
	for (guint i = 0; c != NULL && i < c->entries->len; i++) {
		const entry *e = entry_at(c, i);
		if (contains_ci(e->source, needle) || contains_ci(e->profile->product, needle) ||
		    contains_ci(e->profile->manufacturer, needle))
			add_near(near, e->profile->name);
	}
}

static void set_not_found(const emu_catalogue *c, const char *key, GError **error)
{
	g_autoptr(GPtrArray) near = g_ptr_array_new();
	near_matches(c, key, near);
	if (near->len == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND,
			    "no reader profile \"%s\" (a built-in name, SOURCE[:ORDINAL], "
			    "VID:PID or VID:PID:IFACE); no near match",
			    key);
		return;
	}
	g_ptr_array_add(near, NULL);
	g_autofree char *list = g_strjoinv(", ", (char **)near->pdata);
	g_set_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND,
		    "no reader profile \"%s\"; near matches: %s", key, list);
}

emu_profile *emu_catalogue_find(const emu_catalogue *c, const char *key, GError **error)
{
	if (key == NULL || key[0] == '\0') {
		g_set_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND, "empty reader profile name");
		return NULL;
	}
	emu_profile *p = emu_profile_builtin(key);
	if (p != NULL)
		return p;
	if (c != NULL) {
		gint i = find_by_source(c, key);
		hex_key k;
		if (i < 0 && parse_hex_key(key, &k))
			i = find_by_ids(c, &k);
		if (i >= 0)
			return emu_profile_copy(entry_at(c, (guint)i)->profile);
	}
	set_not_found(c, key, error);
	return NULL;
}
