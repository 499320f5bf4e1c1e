/* ccidlab — descriptor tests: the 773 real class descriptors of readers.tsv
 * (fields, derived facts, the README's statistics, the rate and clock
 * replies), the configuration walker on real and broken layouts, and the
 * quirk table.
 *
 * Past 600 lines, whole on purpose: one program for src/ccid's
 * descriptor parser (descriptor.h) and what hangs on it, over the one
 * catalogue it loads once; most of the length is tables of expected
 * values. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/descriptor.h"
#include "ccid/message.h"
#include "ccid/quirks.h"
#include "ccid/rates.h"
#include "wiredata.h"

/* ---- readers.tsv ---- */

typedef struct tsv {
	gchar *text;
	GPtrArray *rows;      /* of gchar ** (fields) */
	GHashTable *columns;  /* name -> index + 1 */
} tsv;

static tsv *tsv_data;

static gchar *tsv_path(void)
{
	const char *env = g_getenv("CCIDLAB_READERS_TSV");
	if (env != NULL && *env != '\0')
		return g_strdup(env);
	const char *top = g_getenv("top_srcdir");
	return g_build_filename(top != NULL ? top : ".", "tests", "data", "readers.tsv", NULL);
}

static tsv *tsv_load(void)
{
	g_autofree gchar *path = tsv_path();
	tsv *t = g_new0(tsv, 1);
	GError *err = NULL;
	if (!g_file_get_contents(path, &t->text, NULL, &err))
		g_error("cannot read %s: %s", path, err->message);
	t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	t->columns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	gchar **lines = g_strsplit(t->text, "\n", -1);
	guint ncol = 0;
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0')
			continue;
		gchar **f = g_strsplit(lines[i], "\t", -1);
		if (ncol == 0) {
			ncol = g_strv_length(f);
			for (guint c = 0; c < ncol; c++)
				g_hash_table_insert(t->columns, g_strdup(f[c]), GUINT_TO_POINTER(c + 1));
			g_strfreev(f);
			continue;
		}
		g_assert_cmpuint(g_strv_length(f), ==, ncol);
		g_ptr_array_add(t->rows, f);
	}
	g_strfreev(lines);
	return t;
}

static void tsv_free(tsv *t)
{
	g_ptr_array_unref(t->rows);
	g_hash_table_unref(t->columns);
	g_free(t->text);
	g_free(t);
}

static const char *col(gchar **row, const char *name)
{
	guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(tsv_data->columns, name));
	if (idx == 0)
		g_error("readers.tsv has no column %s", name);
	return row[idx - 1];
}

static guint64 col_u(gchar **row, const char *name)
{
	const char *s = col(row, name);
	guint64 v = 0;
	GError *err = NULL;
	/* Hex columns (vid, pid, if_class) are written 0xXX. */
	if (g_str_has_prefix(s, "0x")) {
		if (!g_ascii_string_to_unsigned(s + 2, 16, 0, G_MAXUINT32, &v, &err))
			g_error("%s=%s: %s", name, s, err->message);
	} else if (!g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT32, &v, &err)) {
		g_error("%s=%s: %s", name, s, err->message);
	}
	return v;
}

static void hex_to_bytes(const char *hex, guint8 *out, size_t n)
{
	g_assert_cmpuint(strlen(hex), ==, 2 * n);
	for (size_t i = 0; i < n; i++)
		out[i] = (guint8)(g_ascii_xdigit_value(hex[2 * i]) << 4 |
				  g_ascii_xdigit_value(hex[2 * i + 1]));
}

/* A comma-separated list of signed decimals, or NULL for text (an error
 * message) or an empty cell. */
static GArray *parse_list(const char *s)
{
	if (*s == '\0')
		return NULL;
	gchar **items = g_strsplit(s, ",", -1);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; items[i] != NULL; i++) {
		gint64 v = 0;
		if (!g_ascii_string_to_signed(items[i], 10, G_MININT32, G_MAXINT32, &v, NULL)) {
			g_array_unref(a);
			g_strfreev(items);
			return NULL;
		}
		guint32 u = (guint32)(gint32)v; /* printed as signed 32-bit */
		g_array_append_val(a, u);
	}
	g_strfreev(items);
	return a;
}

static void row_class_desc(gchar **row, guint8 raw[54])
{
	hex_to_bytes(col(row, "descriptor_hex"), raw, 54);
}

/* ---- a configuration descriptor builder ---- */

static GByteArray *cfg_new(void)
{
	static const guint8 hdr[9] = { 9, 0x02, 0, 0, 1, 1, 0, 0x80, 50 };
	GByteArray *b = g_byte_array_new();
	g_byte_array_append(b, hdr, sizeof hdr);
	return b;
}

static void cfg_iface(GByteArray *b, guint8 num, guint8 alt, guint8 neps, guint8 cls,
		      guint8 sub, guint8 proto)
{
	const guint8 d[9] = { 9, 0x04, num, alt, neps, cls, sub, proto, 0 };
	g_byte_array_append(b, d, sizeof d);
}

static void cfg_ep(GByteArray *b, guint8 addr, guint8 attr, guint16 mps)
{
	const guint8 d[7] = { 7, 0x05, addr, attr, (guint8)mps, (guint8)(mps >> 8), 0x10 };
	g_byte_array_append(b, d, sizeof d);
}

static void cfg_raw(GByteArray *b, const guint8 *d, guint n)
{
	g_byte_array_append(b, d, n);
}

/* Sets wTotalLength; returns the bytes. */
static guint8 *cfg_finish(GByteArray *b, size_t *len)
{
	b->data[2] = (guint8)b->len;
	b->data[3] = (guint8)(b->len >> 8);
	*len = b->len;
	return b->data;
}

/* Endpoints as the parse tool implies them from bNumEndpoints (README). */
static void cfg_row_endpoints(GByteArray *b, guint neps)
{
	if (neps >= 2) {
		cfg_ep(b, 0x01, 0x02, 64);
		cfg_ep(b, 0x82, 0x02, 64);
	}
	if (neps == 1 || neps == 3)
		cfg_ep(b, 0x83, 0x03, 8);
}

/* A minimal configuration for one readers.tsv row; class descriptor
 * before the endpoints, or after them (the OZ776 layout). */
static GByteArray *cfg_for_row(gchar **row, gboolean desc_after)
{
	guint8 raw[54];
	row_class_desc(row, raw);
	guint neps = (guint)col_u(row, "num_endpoints");
	GByteArray *b = cfg_new();
	cfg_iface(b, (guint8)col_u(row, "if_number"), 0, (guint8)neps,
		  (guint8)col_u(row, "if_class"), (guint8)col_u(row, "if_subclass"),
		  (guint8)col_u(row, "if_protocol"));
	if (!desc_after)
		cfg_raw(b, raw, 54);
	cfg_row_endpoints(b, neps);
	if (desc_after)
		cfg_raw(b, raw, 54);
	return b;
}

/* ---- the 773 rows ---- */

static gchar *bcd_text(guint16 bcd)
{
	return g_strdup_printf("%x.%02x", bcd >> 8, bcd & 0xFF);
}

#define CHECK_FIELD(row, d, name) \
	g_assert_cmpuint((d).name, ==, col_u(row, #name))

static void check_fields(gchar **row, const ccid_class_desc *d)
{
	CHECK_FIELD(row, *d, bLength);
	CHECK_FIELD(row, *d, bDescriptorType);
	g_autofree gchar *bcd = bcd_text(d->bcdCCID);
	g_assert_cmpstr(bcd, ==, col(row, "bcdCCID"));
	CHECK_FIELD(row, *d, bMaxSlotIndex);
	CHECK_FIELD(row, *d, bVoltageSupport);
	CHECK_FIELD(row, *d, dwProtocols);
	CHECK_FIELD(row, *d, dwDefaultClock);
	CHECK_FIELD(row, *d, dwMaximumClock);
	CHECK_FIELD(row, *d, bNumClockSupported);
	CHECK_FIELD(row, *d, dwDataRate);
	CHECK_FIELD(row, *d, dwMaxDataRate);
	CHECK_FIELD(row, *d, bNumDataRatesSupported);
	CHECK_FIELD(row, *d, dwMaxIFSD);
	CHECK_FIELD(row, *d, dwSynchProtocols);
	CHECK_FIELD(row, *d, dwMechanical);
	CHECK_FIELD(row, *d, dwFeatures);
	CHECK_FIELD(row, *d, dwMaxCCIDMessageLength);
	CHECK_FIELD(row, *d, bClassGetResponse);
	CHECK_FIELD(row, *d, bClassEnvelope);
	CHECK_FIELD(row, *d, wLcdLayout);
	CHECK_FIELD(row, *d, bPINSupport);
	CHECK_FIELD(row, *d, bMaxCCIDBusySlots);
}

/* Counts of the README's "Summary statistics". */
/* exchange.h gives the levels their dwFeatures bit values: 0..3 here. */
static guint level_index(ccid_exchange_level level)
{
	return (guint)level == 0 ? 0 : (guint)g_bit_nth_lsf((gulong)level, -1) - 15;
}

typedef struct stats {
	guint level[4];
	guint slots[257];
	guint intr, intr3, intr1, no_intr, no_intr2, no_intr0;
	guint kind[4];
	guint vendor_class, vendor_type;
	guint t0t1, t1, t0, proto_other;
	guint pin_verify, pin_modify, synch, lcd, mech, iccd_token;
	GHashTable *bcd; /* "1.10" -> count */
} stats;

static void count_row(stats *s, gchar **row, const ccid_class_desc *d, const ccid_class_facts *f)
{
	s->level[level_index(f->level)]++;
	s->slots[f->slot_count]++;
	s->vendor_type += d->bDescriptorType == 0xFF;
	s->vendor_class += col_u(row, "if_class") == 0xFF;
	if (f->proto_t0 && f->proto_t1 && d->dwProtocols == 3)
		s->t0t1++;
	else if (d->dwProtocols == 2)
		s->t1++;
	else if (d->dwProtocols == 1)
		s->t0++;
	else
		s->proto_other++;
	s->pin_verify += f->pin_verify;
	s->pin_modify += f->pin_modify;
	s->synch += d->dwSynchProtocols != 0;
	s->lcd += f->has_lcd;
	s->mech += d->dwMechanical != 0;
	s->iccd_token += (d->dwFeatures & CCID_FEAT_ICCD_TOKEN) != 0;
	gchar *bcd = bcd_text(d->bcdCCID);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(s->bcd, bcd));
	g_hash_table_replace(s->bcd, bcd, GUINT_TO_POINTER(n + 1));
}

static void count_iface(stats *s, const ccid_interface *it)
{
	s->kind[it->kind]++;
	if (it->has_interrupt_in) {
		s->intr++;
		s->intr3 += it->bNumEndpoints == 3;
		s->intr1 += it->bNumEndpoints == 1;
	} else {
		s->no_intr++;
		s->no_intr2 += it->bNumEndpoints == 2;
		s->no_intr0 += it->bNumEndpoints == 0;
	}
}

/* The interface parsed from a synthetic configuration agrees with the
 * row and with the bare decode, in both layouts. */
static void check_row_config(gchar **row, const ccid_class_desc *bare, gboolean after,
			     ccid_interface *it)
{
	g_autoptr(GByteArray) b = cfg_for_row(row, after);
	size_t len = 0, n = 99;
	const guint8 *p = cfg_finish(b, &len);
	g_assert_cmpint(ccid_descriptor_parse_config(p, len, it, 1, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpmem(&it->desc, sizeof it->desc, bare, sizeof *bare);
	g_assert_cmpuint(it->bInterfaceNumber, ==, col_u(row, "if_number"));
	g_assert_cmpuint(it->bInterfaceClass, ==, col_u(row, "if_class"));
	g_assert_cmpuint(it->bInterfaceSubClass, ==, col_u(row, "if_subclass"));
	g_assert_cmpuint(it->bInterfaceProtocol, ==, col_u(row, "if_protocol"));
	g_assert_cmpuint(it->has_interrupt_in, ==, col_u(row, "has_interrupt_in"));
	g_assert_cmpuint(it->desc_after_endpoints, ==, after && it->bNumEndpoints > 0);
	if (it->bNumEndpoints >= 2) {
		g_assert_cmphex(it->bulk_in.bEndpointAddress, ==, 0x82);
		g_assert_cmphex(it->bulk_out.bEndpointAddress, ==, 0x01);
		g_assert_cmpuint(it->bulk_in.wMaxPacketSize, ==, 64);
	}
}

static void test_tsv_rows_decode_to_their_columns(void)
{
	stats s = { .bcd = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
	g_assert_cmpuint(tsv_data->rows->len, ==, 773);

	for (guint i = 0; i < tsv_data->rows->len; i++) {
		gchar **row = g_ptr_array_index(tsv_data->rows, i);
		guint8 raw[54];
		ccid_class_desc d;
		ccid_class_facts f;
		row_class_desc(row, raw);
		if (g_test_verbose())
			g_test_message("row %u: %s #%s", i + 1, col(row, "source"), col(row, "iface_ordinal"));
		g_assert_cmpint(ccid_descriptor_decode_class(raw, sizeof raw, &d, &f), ==, CCID_OK);
		check_fields(row, &d);
		g_assert_cmpuint(f.slot_count, ==, col_u(row, "bMaxSlotIndex") + 1);
		g_assert_cmpuint(f.busy_slots, ==, col_u(row, "bMaxCCIDBusySlots"));
		g_assert_false(f.level_ambiguous);
		g_assert_cmphex(f.level, ==, d.dwFeatures & CCID_FEAT_LEVEL_MASK);
		count_row(&s, row, &d, &f);

		ccid_interface before, after;
		check_row_config(row, &d, FALSE, &before);
		check_row_config(row, &d, TRUE, &after);
		g_assert_cmpmem(&before.facts, sizeof before.facts, &f, sizeof f);
		count_iface(&s, &before);
	}

	/* README "Exchange level". */
	g_assert_cmpuint(s.level[level_index(CCID_LEVEL_CHARACTER)], ==, 6);
	g_assert_cmpuint(s.level[level_index(CCID_LEVEL_TPDU)], ==, 278);
	g_assert_cmpuint(s.level[level_index(CCID_LEVEL_SHORT_APDU)], ==, 194);
	g_assert_cmpuint(s.level[level_index(CCID_LEVEL_EXTENDED_APDU)], ==, 295);
	/* "Slots". */
	g_assert_cmpuint(s.slots[1], ==, 724);
	g_assert_cmpuint(s.slots[2], ==, 30);
	g_assert_cmpuint(s.slots[3], ==, 9);
	g_assert_cmpuint(s.slots[4], ==, 1);
	g_assert_cmpuint(s.slots[5], ==, 4);
	g_assert_cmpuint(s.slots[6], ==, 3);
	g_assert_cmpuint(s.slots[8], ==, 2);
	/* "Interrupt-IN endpoint". */
	g_assert_cmpuint(s.intr, ==, 691);
	g_assert_cmpuint(s.intr3, ==, 687);
	g_assert_cmpuint(s.intr1, ==, 4);
	g_assert_cmpuint(s.no_intr, ==, 82);
	g_assert_cmpuint(s.no_intr2, ==, 75);
	g_assert_cmpuint(s.no_intr0, ==, 7);
	/* "Interface protocol (ICCD)". */
	g_assert_cmpuint(s.kind[CCID_KIND_CCID], ==, 761);
	g_assert_cmpuint(s.kind[CCID_KIND_ICCD_A], ==, 3);
	g_assert_cmpuint(s.kind[CCID_KIND_ICCD_B], ==, 9);
	g_assert_cmpuint(s.kind[CCID_KIND_UNKNOWN], ==, 0);
	g_assert_cmpuint(s.iccd_token, ==, 49);
	/* "Class 0xFF". */
	g_assert_cmpuint(s.vendor_class, ==, 26);
	g_assert_cmpuint(s.vendor_type, ==, 5);
	/* "Other distributions". */
	static const struct { const char *bcd; guint n; } bcds[] = {
		{ "1.00", 194 }, { "1.01", 22 }, { "1.10", 545 }, { "2.00", 5 },
		{ "2.10", 2 }, { "10.00", 2 }, { "10.01", 3 },
	};
	g_assert_cmpuint(g_hash_table_size(s.bcd), ==, G_N_ELEMENTS(bcds));
	for (guint i = 0; i < G_N_ELEMENTS(bcds); i++)
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(s.bcd, bcds[i].bcd)), ==,
				 bcds[i].n);
	g_assert_cmpuint(s.t0t1, ==, 606);
	g_assert_cmpuint(s.t1, ==, 107);
	g_assert_cmpuint(s.t0, ==, 57);
	g_assert_cmpuint(s.proto_other, ==, 3);
	g_assert_cmpuint(s.pin_verify, ==, 98);
	g_assert_cmpuint(s.pin_modify, ==, 96);
	g_assert_cmpuint(s.synch, ==, 109);
	g_assert_cmpuint(s.lcd, ==, 29);
	g_assert_cmpuint(s.mech, ==, 20);
	g_hash_table_unref(s.bcd);
}

/* The voltage counts of the README ("bVoltageSupport: 0x07 405...") go
 * through the derived voltage flags. */
static void test_tsv_voltages_match_readme(void)
{
	guint counts[8] = { 0 };
	for (guint i = 0; i < tsv_data->rows->len; i++) {
		gchar **row = g_ptr_array_index(tsv_data->rows, i);
		guint8 raw[54];
		ccid_class_desc d;
		ccid_class_facts f;
		row_class_desc(row, raw);
		g_assert_cmpint(ccid_descriptor_decode_class(raw, sizeof raw, &d, &f), ==, CCID_OK);
		guint v = (f.volt_5v ? 1u : 0u) | (f.volt_3v ? 2u : 0u) | (f.volt_1v8 ? 4u : 0u);
		g_assert_cmpuint(v, ==, d.bVoltageSupport & 7u);
		counts[v]++;
	}
	g_assert_cmpuint(counts[7], ==, 405);
	g_assert_cmpuint(counts[1], ==, 218);
	g_assert_cmpuint(counts[3], ==, 82);
	g_assert_cmpuint(counts[2], ==, 63);
	g_assert_cmpuint(counts[6], ==, 3);
	g_assert_cmpuint(counts[0], ==, 2);
}

/* The exact flags a reply built from `list` earns against `declared`. */
static unsigned expected_flags(const GArray *list, unsigned declared)
{
	unsigned f = 0;
	if (list->len == 0)
		f |= CCID_RATES_EMPTY;
	if (declared != 0 && list->len < declared)
		f |= CCID_RATES_FEWER;
	for (guint i = 0; i < list->len; i++) {
		guint32 v = g_array_index(list, guint32, i);
		if (v == 0)
			f |= CCID_RATES_ZERO_VALUE;
		if (v & 0x80000000u)
			f |= CCID_RATES_HIGH_VALUE;
	}
	return f;
}

static void check_rates_roundtrip(const GArray *list, unsigned declared)
{
	/* The reply as the reader sent it: the printed values... */
	GByteArray *reply = g_byte_array_new();
	for (guint i = 0; i < list->len; i++) {
		guint8 dw[4];
		ccid_put_le32(dw, g_array_index(list, guint32, i));
		g_byte_array_append(reply, dw, 4);
	}
	guint32 vals[512];
	size_t n = 0;
	unsigned flags = 0;
	g_assert_cmpint(ccid_rates_decode(reply->data, reply->len, declared, vals,
					  G_N_ELEMENTS(vals), &n, &flags), ==, CCID_OK);
	g_assert_cmpmem(vals, n * 4, list->data, list->len * 4);
	g_assert_cmphex(flags, ==, expected_flags(list, declared));

	/* ...and when the tool cut a longer reply at bNum*Supported, the
	 * decoder cuts the same junk tail away. */
	if (declared != 0 && list->len == declared) {
		static const guint8 junk[8] = { 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 0 };
		g_byte_array_append(reply, junk, sizeof junk);
		g_assert_cmpint(ccid_rates_decode(reply->data, reply->len, declared, vals,
						  G_N_ELEMENTS(vals), &n, &flags), ==, CCID_OK);
		g_assert_cmpmem(vals, n * 4, list->data, list->len * 4);
		g_assert_cmphex(flags, ==, expected_flags(list, declared) | CCID_RATES_TRIMMED);
	}
	g_byte_array_unref(reply);
}

/* "wrong size for GET_DATA_RATES: N": a reply of N bytes, no whole DWORD
 * when N < 4. */
static gboolean check_wrong_size(const char *cell, unsigned declared)
{
	const char *colon = strrchr(cell, ':');
	if (!g_str_has_prefix(cell, "wrong size for ") || colon == NULL)
		return FALSE;
	guint64 size = 0;
	g_assert_true(g_ascii_string_to_unsigned(colon + 2, 10, 1, 4096, &size, NULL));
	g_assert_cmpuint(size % 4, !=, 0);
	guint8 *reply = g_malloc0(size);
	guint32 vals[1024];
	size_t n = 0;
	unsigned flags = 0;
	g_assert_cmpint(ccid_rates_decode(reply, size, declared, vals, G_N_ELEMENTS(vals), &n,
					  &flags), ==, CCID_OK);
	g_assert_true(flags & CCID_RATES_PARTIAL_DWORD);
	g_assert_cmpuint(n, <=, size / 4);
	g_free(reply);
	return TRUE;
}

static void test_tsv_rate_and_clock_lists_roundtrip(void)
{
	guint clock_lists = 0, rate_lists = 0, wrong = 0, trimmed_rows = 0;
	for (guint i = 0; i < tsv_data->rows->len; i++) {
		gchar **row = g_ptr_array_index(tsv_data->rows, i);
		static const char *const cols[2][2] = {
			{ "clocks_khz", "bNumClockSupported" },
			{ "data_rates_bps", "bNumDataRatesSupported" },
		};
		for (guint k = 0; k < 2; k++) {
			unsigned declared = (unsigned)col_u(row, cols[k][1]);
			const char *cell = col(row, cols[k][0]);
			GArray *list = parse_list(cell);
			if (list == NULL) {
				wrong += check_wrong_size(cell, declared);
				continue;
			}
			if (k == 0)
				clock_lists++;
			else
				rate_lists++;
			trimmed_rows += declared != 0 && list->len == declared;
			check_rates_roundtrip(list, declared);
			g_array_unref(list);
		}
	}
	/* README "Column summary". */
	g_assert_cmpuint(clock_lists, ==, 235);
	g_assert_cmpuint(rate_lists, ==, 253);
	g_assert_cmpuint(wrong, >, 0);
	g_assert_cmpuint(trimmed_rows, >, 0);
}

/* ---- the configuration walker ---- */

/* A plausible class descriptor: Gemalto IDBridge CT30 (libccid-reference
 * §4.2), a TPDU reader. */
static const guint8 ct30[54] = {
	0x36, 0x21, 0x01, 0x01, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00, 0xC0, 0x12, 0x00, 0x00,
	0xC0, 0x12, 0x00, 0x00, 0x00, 0x67, 0x32, 0x00, 0x00, 0xCE, 0x99, 0x0C, 0x00, 0x35,
	0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x02,
	0x01, 0x00, 0x0F, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

static void class_desc_typed(guint8 d[54], guint8 type)
{
	memcpy(d, ct30, 54);
	d[1] = type;
}

static int parse(GByteArray *b, ccid_interface *out, size_t cap, size_t *n)
{
	size_t len = 0;
	const guint8 *p = cfg_finish(b, &len);
	/* An exact-size copy, so that ASan sees any over-read. */
	guint8 *copy = g_memdup2(p, len);
	int r = ccid_descriptor_parse_config(copy, len, out, cap, n);
	g_free(copy);
	return r;
}

static GByteArray *cfg_ccid(guint8 cls, guint8 type, gboolean after)
{
	guint8 d[54];
	class_desc_typed(d, type);
	GByteArray *b = cfg_new();
	cfg_iface(b, 0, 0, 3, cls, 0, 0);
	if (!after)
		cfg_raw(b, d, 54);
	cfg_ep(b, 0x01, 0x02, 64);
	cfg_ep(b, 0x82, 0x02, 64);
	cfg_ep(b, 0x83, 0x03, 16);
	if (after)
		cfg_raw(b, d, 54);
	return b;
}

static void test_walker_accepts_class_0b(void)
{
	g_autoptr(GByteArray) b = cfg_ccid(0x0B, 0x21, FALSE);
	ccid_interface it[2];
	size_t n = 0;
	g_assert_cmpint(parse(b, it, 2, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpuint(it[0].kind, ==, CCID_KIND_CCID);
	g_assert_true(it[0].bulk_in.present);
	g_assert_cmphex(it[0].bulk_in.bEndpointAddress, ==, 0x82);
	g_assert_cmphex(it[0].bulk_out.bEndpointAddress, ==, 0x01);
	g_assert_cmphex(it[0].interrupt_in.bEndpointAddress, ==, 0x83);
	g_assert_cmpuint(it[0].interrupt_in.wMaxPacketSize, ==, 16);
	g_assert_true(it[0].has_interrupt_in);
	g_assert_false(it[0].desc_after_endpoints);
	g_assert_cmpuint(it[0].bConfigurationValue, ==, 1);
	g_assert_cmpuint(it[0].desc.dwFeatures, ==, 0x00010230);
	g_assert_cmpuint(it[0].facts.level, ==, CCID_LEVEL_TPDU);
	g_assert_cmpuint(it[0].facts.slot_count, ==, 1);
}

static void test_walker_accepts_vendor_class_with_54_byte_extra(void)
{
	g_autoptr(GByteArray) b = cfg_ccid(0xFF, 0x21, FALSE);
	ccid_interface it;
	size_t n = 0;
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmphex(it.bInterfaceClass, ==, 0xFF);
	g_assert_cmpuint(it.desc.dwMaxCCIDMessageLength, ==, 271);
}

static void test_walker_ignores_vendor_class_without_54_byte_extra(void)
{
	guint8 d[55];
	class_desc_typed(d, 0x21);
	d[54] = 0;
	for (guint len = 53; len <= 55; len += 2) {
		d[0] = (guint8)len;
		g_autoptr(GByteArray) b = cfg_new();
		cfg_iface(b, 0, 0, 2, 0xFF, 0, 0);
		cfg_raw(b, d, len);
		cfg_ep(b, 0x01, 0x02, 64);
		cfg_ep(b, 0x82, 0x02, 64);
		ccid_interface it;
		size_t n = 99;
		g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_OK);
		g_assert_cmpuint(n, ==, 0);
	}
}

static void test_walker_accepts_descriptor_type_ff(void)
{
	for (guint8 cls = 0x0B; cls != 0; cls = cls == 0x0B ? 0xFF : 0) {
		g_autoptr(GByteArray) b = cfg_ccid(cls, 0xFF, FALSE);
		ccid_interface it;
		size_t n = 0;
		g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_OK);
		g_assert_cmpuint(n, ==, 1);
		g_assert_cmphex(it.desc.bDescriptorType, ==, 0xFF);
	}
}

static void test_walker_accepts_descriptor_after_endpoints(void)
{
	g_autoptr(GByteArray) b = cfg_ccid(0x0B, 0x21, TRUE);
	ccid_interface it;
	size_t n = 0;
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 1);
	g_assert_true(it.desc_after_endpoints);
	g_assert_true(it.has_interrupt_in);
	g_assert_cmphex(it.desc.bcdCCID, ==, 0x0101);
}

static void test_walker_refuses_blength_beyond_remaining(void)
{
	g_autoptr(GByteArray) b = cfg_ccid(0x0B, 0x21, FALSE);
	b->data[b->len - 7] = 8; /* last endpoint claims 8 bytes, 7 remain */
	ccid_interface it;
	size_t n = 42;
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_E_LENGTH);
	g_assert_cmpuint(n, ==, 42);
}

static void test_walker_refuses_zero_blength(void)
{
	g_autoptr(GByteArray) b = cfg_new();
	static const guint8 zero[4] = { 0, 0x24, 0, 0 };
	cfg_raw(b, zero, sizeof zero);
	ccid_interface it;
	size_t n = 0;
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_E_LENGTH);
	/* bLength 1 is as bad: it does not even cover the header. */
	b->data[9] = 1;
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_E_LENGTH);
}

static void test_walker_refuses_short_header(void)
{
	g_autoptr(GByteArray) b = cfg_ccid(0x0B, 0x21, FALSE);
	g_byte_array_append(b, (const guint8 *)"\x07", 1);
	ccid_interface it;
	size_t n = 0;
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_E_SHORT);
}

static void test_walker_refuses_blength_below_minimum(void)
{
	/* An interface descriptor of 8 bytes, an endpoint of 6, a 0x21
	 * descriptor of 40 in a class 0x0B interface. */
	static const guint8 short_if[8] = { 8, 0x04, 0, 0, 0, 0x0B, 0, 0 };
	static const guint8 short_ep[6] = { 6, 0x05, 0x81, 0x02, 64, 0 };
	guint8 short_cd[40];
	memcpy(short_cd, ct30, sizeof short_cd);
	short_cd[0] = sizeof short_cd;
	ccid_interface it;
	size_t n = 0;

	g_autoptr(GByteArray) a = cfg_new();
	cfg_raw(a, short_if, sizeof short_if);
	g_assert_cmpint(parse(a, &it, 1, &n), ==, CCID_E_LENGTH);

	g_autoptr(GByteArray) b = cfg_new();
	cfg_iface(b, 0, 0, 1, 0x0B, 0, 2);
	cfg_raw(b, short_ep, sizeof short_ep);
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_E_LENGTH);

	g_autoptr(GByteArray) c = cfg_new();
	cfg_iface(c, 0, 0, 0, 0x0B, 0, 1);
	cfg_raw(c, short_cd, sizeof short_cd);
	g_assert_cmpint(parse(c, &it, 1, &n), ==, CCID_E_LENGTH);
}

static void test_walker_refuses_missing_endpoints(void)
{
	guint8 d[54];
	class_desc_typed(d, 0x21);
	ccid_interface it;
	size_t n = 0;

	/* bNumEndpoints 3, two endpoint descriptors. */
	g_autoptr(GByteArray) a = cfg_new();
	cfg_iface(a, 0, 0, 3, 0x0B, 0, 0);
	cfg_raw(a, d, 54);
	cfg_ep(a, 0x01, 0x02, 64);
	cfg_ep(a, 0x82, 0x02, 64);
	g_assert_cmpint(parse(a, &it, 1, &n), ==, CCID_E_MALFORMED);

	/* Bulk CCID with an interrupt pipe but no bulk-OUT. */
	g_autoptr(GByteArray) b = cfg_new();
	cfg_iface(b, 0, 0, 2, 0x0B, 0, 0);
	cfg_raw(b, d, 54);
	cfg_ep(b, 0x82, 0x02, 64);
	cfg_ep(b, 0x83, 0x03, 8);
	g_assert_cmpint(parse(b, &it, 1, &n), ==, CCID_E_MALFORMED);

	/* Class 0x0B without any class descriptor. */
	g_autoptr(GByteArray) c = cfg_new();
	cfg_iface(c, 0, 0, 2, 0x0B, 0, 0);
	cfg_ep(c, 0x01, 0x02, 64);
	cfg_ep(c, 0x82, 0x02, 64);
	g_assert_cmpint(parse(c, &it, 1, &n), ==, CCID_E_MALFORMED);
}

static void test_walker_takes_iccd_without_bulk_pipes(void)
{
	guint8 d[54];
	class_desc_typed(d, 0x21);
	g_autoptr(GByteArray) b = cfg_new();
	cfg_iface(b, 0, 0, 0, 0x0B, 0, 1);
	cfg_raw(b, d, 54);
	cfg_iface(b, 1, 0, 1, 0x0B, 0, 2);
	cfg_raw(b, d, 54);
	cfg_ep(b, 0x81, 0x03, 8);
	cfg_iface(b, 2, 0, 0, 0x0B, 0, 7);
	cfg_raw(b, d, 54);
	ccid_interface it[3];
	size_t n = 0;
	g_assert_cmpint(parse(b, it, 3, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 3);
	g_assert_cmpuint(it[0].kind, ==, CCID_KIND_ICCD_A);
	g_assert_false(it[0].has_interrupt_in);
	g_assert_cmpuint(it[1].kind, ==, CCID_KIND_ICCD_B);
	g_assert_true(it[1].has_interrupt_in);
	g_assert_false(it[1].bulk_in.present);
	g_assert_cmpuint(it[2].kind, ==, CCID_KIND_UNKNOWN);
}

static void test_walker_reports_every_interface_and_alternate_setting(void)
{
	guint8 d[54];
	class_desc_typed(d, 0x21);
	static const guint8 iad[8] = { 8, 0x0B, 0, 2, 0x0B, 0, 0, 0 };
	static const guint8 hid[9] = { 9, 0x21, 0x11, 0x01, 0, 1, 0x22, 0x40, 0 };
	static const guint8 junk_type[5] = { 5, 0x24, 1, 2, 3 };

	g_autoptr(GByteArray) b = cfg_new();
	cfg_raw(b, iad, sizeof iad);
	/* A HID interface with its own 0x21 descriptor: not ours. */
	cfg_iface(b, 0, 0, 1, 0x03, 1, 1);
	cfg_raw(b, hid, sizeof hid);
	cfg_ep(b, 0x81, 0x03, 8);
	/* CCID interface 1, alternate settings 0 and 1. */
	for (guint8 alt = 0; alt < 2; alt++) {
		cfg_iface(b, 1, alt, 2, 0x0B, 0, 0);
		cfg_raw(b, d, 54);
		cfg_raw(b, junk_type, sizeof junk_type);
		cfg_ep(b, 0x02, 0x02, (guint16)(alt ? 512 : 64));
		cfg_ep(b, 0x83, 0x02, (guint16)(alt ? 512 : 64));
		/* An endpoint past bNumEndpoints does not belong to it. */
		cfg_ep(b, 0x84, 0x03, 8);
	}
	/* A vendor interface that is no CCID. */
	cfg_iface(b, 2, 0, 0, 0xFF, 0, 0);
	ccid_interface it[2];
	size_t n = 0;
	g_assert_cmpint(parse(b, it, 2, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	for (guint i = 0; i < 2; i++) {
		g_assert_cmpuint(it[i].bInterfaceNumber, ==, 1);
		g_assert_cmpuint(it[i].bAlternateSetting, ==, i);
		g_assert_false(it[i].has_interrupt_in);
		g_assert_cmpuint(it[i].bulk_out.wMaxPacketSize, ==, i ? 512 : 64);
	}

	/* One slot too few: the caller hears it, *n untouched. */
	n = 7;
	g_assert_cmpint(parse(b, it, 1, &n), ==, CCID_E_BUFFER);
	g_assert_cmpuint(n, ==, 7);
	g_assert_cmpint(parse(b, NULL, 0, &n), ==, CCID_E_BUFFER);
}

static void test_walker_checks_the_configuration_header(void)
{
	ccid_interface it;
	size_t n = 0;
	g_autoptr(GByteArray) b = cfg_ccid(0x0B, 0x21, FALSE);
	size_t len = 0;
	guint8 *p = cfg_finish(b, &len);

	g_assert_cmpint(ccid_descriptor_parse_config(p, 1, &it, 1, &n), ==, CCID_E_SHORT);
	g_assert_cmpint(ccid_descriptor_parse_config(p, 5, &it, 1, &n), ==, CCID_E_SHORT);
	/* wTotalLength beyond the bytes read. */
	g_assert_cmpint(ccid_descriptor_parse_config(p, len - 1, &it, 1, &n), ==, CCID_E_SHORT);
	/* Bytes past wTotalLength are not looked at. */
	guint8 *longer = g_malloc(len + 3);
	memcpy(longer, p, len);
	memset(longer + len, 0, 3);
	g_assert_cmpint(ccid_descriptor_parse_config(longer, len + 3, &it, 1, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 1);
	g_free(longer);

	p[2] = 8;
	p[3] = 0;
	g_assert_cmpint(ccid_descriptor_parse_config(p, len, &it, 1, &n), ==, CCID_E_LENGTH);
	p[2] = (guint8)len;
	p[0] = 8;
	g_assert_cmpint(ccid_descriptor_parse_config(p, len, &it, 1, &n), ==, CCID_E_LENGTH);
	p[0] = 9;
	p[1] = 0x01; /* a device descriptor */
	g_assert_cmpint(ccid_descriptor_parse_config(p, len, &it, 1, &n), ==, CCID_E_BAD_TYPE);
	p[1] = 0x02;
	g_assert_cmpint(ccid_descriptor_parse_config(NULL, len, &it, 1, &n), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_descriptor_parse_config(p, len, NULL, 1, &n), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_descriptor_parse_config(p, len, &it, 1, NULL), ==, CCID_E_INVALID_ARG);

	/* A configuration with no interface at all. */
	g_autoptr(GByteArray) empty = cfg_new();
	n = 5;
	g_assert_cmpint(parse(empty, NULL, 0, &n), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
}

/* ---- the bare class descriptor and its facts ---- */

static void test_class_decode_refuses_bad_input(void)
{
	guint8 d[55];
	ccid_class_desc desc;
	memcpy(d, ct30, 54);
	d[54] = 0xAA;
	g_assert_cmpint(ccid_descriptor_decode_class(d, 53, &desc, NULL), ==, CCID_E_SHORT);
	g_assert_cmpint(ccid_descriptor_decode_class(NULL, 54, &desc, NULL), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_descriptor_decode_class(d, 54, NULL, NULL), ==, CCID_E_INVALID_ARG);
	d[0] = 53;
	g_assert_cmpint(ccid_descriptor_decode_class(d, 54, &desc, NULL), ==, CCID_E_LENGTH);
	d[0] = 55;
	g_assert_cmpint(ccid_descriptor_decode_class(d, 54, &desc, NULL), ==, CCID_E_LENGTH);
	/* A longer descriptor (a later revision) decodes its first 54 bytes. */
	g_assert_cmpint(ccid_descriptor_decode_class(d, 55, &desc, NULL), ==, CCID_OK);
	g_assert_cmpuint(desc.bMaxCCIDBusySlots, ==, 1);
	d[0] = 54;
	d[1] = 0x22;
	g_assert_cmpint(ccid_descriptor_decode_class(d, 54, &desc, NULL), ==, CCID_E_BAD_TYPE);
}

static ccid_class_facts facts_for(uint32_t dwFeatures, uint32_t dwMaxCCIDMessageLength)
{
	ccid_class_desc d;
	ccid_class_facts f;
	g_assert_cmpint(ccid_descriptor_decode_class(ct30, 54, &d, NULL), ==, CCID_OK);
	d.dwFeatures = dwFeatures;
	d.dwMaxCCIDMessageLength = dwMaxCCIDMessageLength;
	ccid_descriptor_facts(&d, &f);
	return f;
}

static void test_facts_derive_apdu_sizes_from_message_length(void)
{
	ccid_class_facts f = facts_for(0x00020000, 271);
	g_assert_cmpuint(f.level, ==, CCID_LEVEL_SHORT_APDU);
	g_assert_cmpuint(f.max_block_payload, ==, 261);
	g_assert_cmpuint(f.max_short_apdu, ==, 261);
	g_assert_true(f.short_apdu_fits);
	g_assert_cmpuint(f.max_extended_apdu, ==, 0);

	/* The SCM 263-byte firmware: 253 bytes of APDU fit. */
	f = facts_for(0x00010000, 263);
	g_assert_cmpuint(f.max_short_apdu, ==, 253);
	g_assert_false(f.short_apdu_fits);

	/* Extended level: the APDU is chained over 1014-byte blocks. */
	f = facts_for(0x00040000, 1024);
	g_assert_cmpuint(f.max_block_payload, ==, 1014);
	g_assert_cmpuint(f.max_short_apdu, ==, 261);
	g_assert_cmpuint(f.max_extended_apdu, ==, 65544);

	/* Less than a header: nothing fits. */
	f = facts_for(0, 9);
	g_assert_cmpuint(f.level, ==, CCID_LEVEL_CHARACTER);
	g_assert_cmpuint(f.max_block_payload, ==, 0);
	g_assert_cmpuint(f.max_short_apdu, ==, 0);
	f = facts_for(0, 0xFFFFFFFFu);
	g_assert_cmpuint(f.max_block_payload, ==, 0xFFFFFFF5u);
}

static void test_facts_take_the_highest_of_several_levels(void)
{
	ccid_class_facts f = facts_for(0x00030000, 271);
	g_assert_cmpuint(f.level, ==, CCID_LEVEL_SHORT_APDU);
	g_assert_true(f.level_ambiguous);
	f = facts_for(0x00070000, 271);
	g_assert_cmpuint(f.level, ==, CCID_LEVEL_EXTENDED_APDU);
	g_assert_true(f.level_ambiguous);
	f = facts_for(0x00010000, 271);
	g_assert_false(f.level_ambiguous);
}

static void test_facts_decode_feature_pin_and_lcd_bits(void)
{
	ccid_class_desc d;
	ccid_class_facts f;
	g_assert_cmpint(ccid_descriptor_decode_class(ct30, 54, &d, NULL), ==, CCID_OK);
	d.bPINSupport = 3;
	d.wLcdLayout = 0x0210;
	d.dwFeatures = 0x001404BE;
	d.bMaxSlotIndex = 255;
	ccid_descriptor_facts(&d, &f);
	g_assert_true(f.pin_verify && f.pin_modify && f.has_lcd);
	g_assert_cmpuint(f.lcd_lines, ==, 2);
	g_assert_cmpuint(f.lcd_chars, ==, 16);
	g_assert_cmpuint(f.slot_count, ==, 256);
	g_assert_cmphex(f.auto_features, ==, 0x001004BE);
	g_assert_cmpuint(f.level, ==, CCID_LEVEL_EXTENDED_APDU);
	g_assert_true(f.proto_t0 && f.proto_t1);
}

static void test_every_level_kind_and_feature_has_a_name(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	static const ccid_exchange_level levels[] = {
		CCID_LEVEL_CHARACTER, CCID_LEVEL_TPDU, CCID_LEVEL_SHORT_APDU, CCID_LEVEL_EXTENDED_APDU,
	};
	for (guint l = 0; l < G_N_ELEMENTS(levels); l++) {
		const char *s = ccid_descriptor_level_name(levels[l]);
		g_assert_false(g_hash_table_contains(seen, s));
		g_hash_table_add(seen, (gpointer)s);
	}
	g_assert_cmpstr(ccid_descriptor_level_name((ccid_exchange_level)9), ==, "unknown level");
	for (int k = CCID_KIND_CCID; k <= CCID_KIND_UNKNOWN; k++)
		g_assert_nonnull(ccid_descriptor_kind_name((ccid_iface_kind)k));
	g_assert_cmpstr(ccid_descriptor_kind_name(CCID_KIND_ICCD_B), ==, "ICCD version B");
	guint named = 0;
	for (guint bit = 0; bit < 32; bit++) {
		const char *s = ccid_descriptor_feature_name(1u << bit);
		if (strcmp(s, "unknown") == 0)
			continue;
		named++;
		g_assert_false(g_hash_table_contains(seen, s));
		g_hash_table_add(seen, (gpointer)s);
	}
	g_assert_cmpuint(named, ==, 15);
	g_assert_cmpstr(ccid_descriptor_feature_name(0), ==, "none");
	g_assert_cmpstr(ccid_descriptor_feature_name(1), ==, "unknown");
	g_assert_cmpstr(ccid_descriptor_feature_name(CCID_FEAT_AUTO_IFSD), ==,
			"automatic IFSD exchange");
	g_hash_table_unref(seen);
}

/* ---- quirks ---- */

static void test_quirk_table_entries_are_sound(void)
{
	unsigned count = 0;
	const ccid_quirk *t = ccid_quirks_table(&count);
	g_assert_cmpuint(count, >, 0);
	for (unsigned i = 0; i < count; i++) {
		g_assert_nonnull(t[i].name);
		g_assert_cmpuint(t[i].bcdDevice_min, <=, t[i].bcdDevice_max);
		g_assert_true(t[i].level == CCID_QUIRK_LEVEL_KEEP ||
			      t[i].level == CCID_LEVEL_CHARACTER || t[i].level == CCID_LEVEL_TPDU ||
			      t[i].level == CCID_LEVEL_SHORT_APDU ||
			      t[i].level == CCID_LEVEL_EXTENDED_APDU);
		g_assert_true(t[i].level != CCID_QUIRK_LEVEL_KEEP || t[i].flags != 0 ||
			      t[i].message_length != 0);
		/* A message size quirk raises the declared size to a whole short
		 * APDU's (10 + 261), never past a sane bound. */
		g_assert_true(t[i].message_length == 0 ||
			      (t[i].message_length >= 271 && t[i].message_length <= 65554));
		/* No entry is shadowed by an earlier one. */
		g_assert_true(ccid_quirks_find(t[i].idVendor, t[i].idProduct,
					       t[i].bcdDevice_min) == &t[i]);
	}
	g_assert_true(ccid_quirks_table(NULL) == t);
}

/* Issue 14: QEMU 7.2's usb-ccid answers SetParameters with dwLength 0 and
 * the protocol structure after it; every SCardConnect failed ("length
 * mismatch").  The quirk trims exactly that shape, and only for QEMU. */
static void test_quirk_qemu_parameters_with_length_zero_are_trimmed(void)
{
	const uint8_t *rsp = wire_qemu_parameters_length_zero;
	size_t len = sizeof wire_qemu_parameters_length_zero;
	ccid_msg cmd, got;
	g_assert_cmpint(ccid_message_decode(wire_qemu_set_parameters_t0,
					    sizeof wire_qemu_set_parameters_t0, NULL, &cmd, NULL),
			==, CCID_OK);
	/* As it is: a length mismatch, as the host saw it. */
	g_assert_cmpint(ccid_message_check(&cmd, rsp, len, NULL, &got, NULL), ==, CCID_E_LENGTH);
	/* QEMU's usb-ccid, and only it, carries the quirk. */
	const ccid_quirk *q = ccid_quirks_find(0x08E6, 0x4433, 0x0000);
	g_assert_nonnull(q);
	g_assert_true(q->flags & CCID_QUIRK_PARAMS_LENGTH_ZERO);
	g_assert_null(ccid_quirks_find(0x08E6, 0x4433, 0x0001));	/* the GemPC433-Swap */
	size_t trimmed = ccid_quirks_response_len(q->flags, rsp, len);
	g_assert_cmpuint(trimmed, ==, CCID_HEADER_SIZE);
	g_assert_cmpint(ccid_message_check(&cmd, rsp, trimmed, NULL, &got, NULL), ==, CCID_OK);
	g_assert_cmphex(got.bMessageType, ==, CCID_RDR_TO_PC_PARAMETERS);
	g_assert_cmpuint(got.dwLength, ==, 0);
	/* Without the flag nothing changes. */
	g_assert_cmpuint(ccid_quirks_response_len(0, rsp, len), ==, len);
}

static void test_quirk_parameters_trim_takes_no_other_shape(void)
{
	uint32_t f = CCID_QUIRK_PARAMS_LENGTH_ZERO;
	uint8_t buf[32];
	memcpy(buf, wire_qemu_parameters_length_zero, sizeof wire_qemu_parameters_length_zero);
	/* A T=0-sized trailer (5) is taken too; 6 or 8 bytes are not. */
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 15), ==, CCID_HEADER_SIZE);
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 16), ==, 16);
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 18), ==, 18);
	/* Nothing after the header: nothing to trim. */
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 10), ==, 10);
	/* A declared length is believed: the frame is judged as it is. */
	buf[1] = 0x05;
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 17), ==, 17);
	/* Another message type is never trimmed. */
	buf[1] = 0x00;
	buf[0] = CCID_RDR_TO_PC_DATA_BLOCK;
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 17), ==, 17);
	/* Short or absent frames pass through. */
	g_assert_cmpuint(ccid_quirks_response_len(f, buf, 9), ==, 9);
	g_assert_cmpuint(ccid_quirks_response_len(f, NULL, 17), ==, 17);
}

static void test_quirks_override_the_level_by_vid_pid_and_bcd(void)
{
	/* Cherry KC 1000 SC: firmware 1.00 only. */
	const ccid_quirk *q = ccid_quirks_find(0x046A, 0x00A1, 0x0100);
	g_assert_nonnull(q);
	g_assert_cmpuint(ccid_quirks_level(q, CCID_LEVEL_SHORT_APDU), ==, CCID_LEVEL_EXTENDED_APDU);
	g_assert_null(ccid_quirks_find(0x046A, 0x00A1, 0x0101));
	/* No quirk: the descriptor's level stands. */
	g_assert_null(ccid_quirks_find(0x08E6, 0x3437, 0x0200));
	g_assert_cmpuint(ccid_quirks_level(NULL, CCID_LEVEL_TPDU), ==, CCID_LEVEL_TPDU);
	/* Flags only: the level stands too. */
	q = ccid_quirks_find(0x0B97, 0x7762, 0x0110);
	g_assert_nonnull(q);
	g_assert_true(q->flags & CCID_QUIRK_DESC_AFTER_ENDPOINTS);
	g_assert_cmpuint(ccid_quirks_level(q, CCID_LEVEL_CHARACTER), ==, CCID_LEVEL_CHARACTER);
}

/* The quirk of a readers.tsv row (bcd_device printed "major.minor" hex). */
static const ccid_quirk *row_quirk(gchar **row)
{
	g_auto(GStrv) bcd = g_strsplit(col(row, "bcd_device"), ".", 2);
	guint16 bcdDevice = (guint16)(strtoul(bcd[0], NULL, 16) << 8 |
				      strtoul(bcd[1] ? bcd[1] : "0", NULL, 16));
	return ccid_quirks_find((guint16)col_u(row, "vid"), (guint16)col_u(row, "pid"), bcdDevice);
}

/* Issue 17: the SCM firmware that reports 263 carries a whole short APDU;
 * the quirk table says so for every such reader of the collection, and
 * only for readers that declare 263. */
static void test_quirks_raise_the_scm_263_message_size(void)
{
	guint raised = 0;
	for (guint i = 0; i < tsv_data->rows->len; i++) {
		gchar **row = g_ptr_array_index(tsv_data->rows, i);
		const ccid_quirk *q = row_quirk(row);
		guint declared = col_u(row, "dwMaxCCIDMessageLength");
		guint used = ccid_quirks_message_length(q, declared);
		/* ICCD interfaces (bInterfaceProtocol 1, 2) carry no CCID
		 * bulk messages: the ActivCard V2 is one. */
		if (declared == 263 && col_u(row, "if_protocol") == 0)
			g_assert_cmpuint(used, ==, 271);
		else
			g_assert_cmpuint(used, ==, declared);
		raised += used != declared;
	}
	g_assert_cmpuint(raised, ==, 8);
	g_assert_cmpuint(ccid_quirks_message_length(NULL, 64), ==, 64);
}

/* Every quirk keyed to a reader of readers.tsv matches that row. */
static void test_quirks_match_their_tsv_readers(void)
{
	guint matched = 0;
	for (guint i = 0; i < tsv_data->rows->len; i++) {
		gchar **row = g_ptr_array_index(tsv_data->rows, i);
		const ccid_quirk *q = row_quirk(row);
		matched += q != NULL;
	}
	/* OMNIKEY 3x21 and 6121, Cherry xx44 G87, D323, PN7362AU, OZ776 x2,
	 * Reiner SCT, Bludrive II appear in the collection. */
	g_assert_cmpuint(matched, >=, 8);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tsv_data = tsv_load();

	g_test_add_func("/ccid/quirks/qemu-parameters-with-length-zero-are-trimmed",
			test_quirk_qemu_parameters_with_length_zero_are_trimmed);
	g_test_add_func("/ccid/quirks/parameters-trim-takes-no-other-shape",
			test_quirk_parameters_trim_takes_no_other_shape);
	g_test_add_func("/ccid/descriptor/tsv/every-row-decodes-to-its-columns",
			test_tsv_rows_decode_to_their_columns);
	g_test_add_func("/ccid/descriptor/tsv/voltages-match-readme", test_tsv_voltages_match_readme);
	g_test_add_func("/ccid/descriptor/tsv/rate-and-clock-lists-round-trip",
			test_tsv_rate_and_clock_lists_roundtrip);
	g_test_add_func("/ccid/descriptor/walker/accepts-class-0b", test_walker_accepts_class_0b);
	g_test_add_func("/ccid/descriptor/walker/accepts-vendor-class-with-54-byte-extra",
			test_walker_accepts_vendor_class_with_54_byte_extra);
	g_test_add_func("/ccid/descriptor/walker/ignores-vendor-class-without-54-byte-extra",
			test_walker_ignores_vendor_class_without_54_byte_extra);
	g_test_add_func("/ccid/descriptor/walker/accepts-descriptor-type-ff",
			test_walker_accepts_descriptor_type_ff);
	g_test_add_func("/ccid/descriptor/walker/accepts-descriptor-after-endpoints",
			test_walker_accepts_descriptor_after_endpoints);
	g_test_add_func("/ccid/descriptor/walker/refuses-blength-beyond-remaining",
			test_walker_refuses_blength_beyond_remaining);
	g_test_add_func("/ccid/descriptor/walker/refuses-zero-blength",
			test_walker_refuses_zero_blength);
	g_test_add_func("/ccid/descriptor/walker/refuses-short-header",
			test_walker_refuses_short_header);
	g_test_add_func("/ccid/descriptor/walker/refuses-blength-below-minimum",
			test_walker_refuses_blength_below_minimum);
	g_test_add_func("/ccid/descriptor/walker/refuses-missing-endpoints",
			test_walker_refuses_missing_endpoints);
	g_test_add_func("/ccid/descriptor/walker/takes-iccd-without-bulk-pipes",
			test_walker_takes_iccd_without_bulk_pipes);
	g_test_add_func("/ccid/descriptor/walker/reports-every-interface-and-alternate-setting",
			test_walker_reports_every_interface_and_alternate_setting);
	g_test_add_func("/ccid/descriptor/walker/checks-the-configuration-header",
			test_walker_checks_the_configuration_header);
	g_test_add_func("/ccid/descriptor/class/refuses-bad-input",
			test_class_decode_refuses_bad_input);
	g_test_add_func("/ccid/descriptor/facts/apdu-sizes-from-message-length",
			test_facts_derive_apdu_sizes_from_message_length);
	g_test_add_func("/ccid/descriptor/facts/highest-of-several-levels",
			test_facts_take_the_highest_of_several_levels);
	g_test_add_func("/ccid/descriptor/facts/feature-pin-and-lcd-bits",
			test_facts_decode_feature_pin_and_lcd_bits);
	g_test_add_func("/ccid/descriptor/names/every-level-kind-and-feature-has-a-name",
			test_every_level_kind_and_feature_has_a_name);
	g_test_add_func("/ccid/quirks/table-entries-are-sound", test_quirk_table_entries_are_sound);
	g_test_add_func("/ccid/quirks/scm-firmware-reporting-263-carries-271",
			test_quirks_raise_the_scm_263_message_size);
	g_test_add_func("/ccid/quirks/override-level-by-vid-pid-and-bcd",
			test_quirks_override_the_level_by_vid_pid_and_bcd);
	g_test_add_func("/ccid/quirks/match-their-tsv-readers", test_quirks_match_their_tsv_readers);

	int r = g_test_run();
	tsv_free(tsv_data);
	return r;
}
