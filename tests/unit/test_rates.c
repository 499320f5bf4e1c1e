/* ccidlab — GET_CLOCK_FREQUENCIES / GET_DATA_RATES reply decoding on the
 * malformed replies real readers send (the readers.tsv lists are checked
 * in test_descriptor). */
#include <glib.h>

#include "ccid/ccid.h"
#include "ccid/rates.h"

static int decode(const guint8 *reply, size_t len, unsigned declared, guint32 *vals, size_t cap,
		  size_t *n, unsigned *flags)
{
	/* Exact-size copy so that ASan sees an over-read. */
	guint8 *copy = len ? g_memdup2(reply, len) : NULL;
	int r = ccid_rates_decode(copy, len, declared, vals, cap, n, flags);
	g_free(copy);
	return r;
}

/* 9600 bps and 19200 bps, little-endian. */
static const guint8 two[8] = { 0x80, 0x25, 0, 0, 0x00, 0x4B, 0, 0 };

static void test_well_formed_reply_decodes_without_flags(void)
{
	guint32 v[4];
	size_t n = 0;
	unsigned f = 99;
	g_assert_cmpint(decode(two, 8, 2, v, 4, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpuint(v[0], ==, 9600);
	g_assert_cmpuint(v[1], ==, 19200);
	g_assert_cmphex(f, ==, 0);
	/* bNum*Supported 0: whatever is returned. */
	g_assert_cmpint(decode(two, 8, 0, v, 4, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(f, ==, 0);
}

static void test_size_not_multiple_of_4_keeps_whole_dwords(void)
{
	guint32 v[4];
	size_t n = 0;
	unsigned f = 0;
	g_assert_cmpint(decode(two, 7, 0, v, 4, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpuint(v[0], ==, 9600);
	g_assert_cmphex(f, ==, CCID_RATES_PARTIAL_DWORD);
	/* "wrong size: 1": nothing whole. */
	g_assert_cmpint(decode(two, 1, 4, v, 4, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmphex(f, ==, CCID_RATES_PARTIAL_DWORD | CCID_RATES_EMPTY | CCID_RATES_FEWER);
}

static void test_empty_reply_is_flagged(void)
{
	guint32 v[1];
	size_t n = 5;
	unsigned f = 0;
	g_assert_cmpint(decode(NULL, 0, 0, v, 1, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmphex(f, ==, CCID_RATES_EMPTY);
}

static void test_more_entries_than_declared_are_trimmed(void)
{
	/* 256 entries asked "up to 256", from a reader that declares 4. */
	guint8 reply[1024];
	for (guint i = 0; i < 256; i++)
		ccid_put_le32(reply + 4 * i, 10000 + i);
	guint32 v[256];
	size_t n = 0;
	unsigned f = 0;
	g_assert_cmpint(decode(reply, sizeof reply, 4, v, 256, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpuint(v[3], ==, 10003);
	g_assert_cmphex(f, ==, CCID_RATES_TRIMMED);
	/* Declared 0: all 256 kept. */
	g_assert_cmpint(decode(reply, sizeof reply, 0, v, 256, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 256);
	g_assert_cmphex(f, ==, 0);
	/* More than the caller has room for. */
	g_assert_cmpint(decode(reply, sizeof reply, 0, v, 10, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 10);
	g_assert_cmphex(f, ==, CCID_RATES_OVER_CAP);
}

static void test_junk_values_are_kept_and_flagged(void)
{
	static const guint8 junk[12] = { 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0x27, 0, 0 };
	guint32 v[3];
	size_t n = 0;
	unsigned f = 0;
	g_assert_cmpint(decode(junk, sizeof junk, 5, v, 3, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 3);
	g_assert_cmpuint(v[0], ==, 0);
	g_assert_cmphex(v[1], ==, 0xFFFFFFFFu);
	g_assert_cmpuint(v[2], ==, 10000);
	g_assert_cmphex(f, ==, CCID_RATES_ZERO_VALUE | CCID_RATES_HIGH_VALUE | CCID_RATES_FEWER);
}

static void test_invalid_arguments_leave_outputs_untouched(void)
{
	guint32 v[1];
	size_t n = 7;
	unsigned f = 7;
	g_assert_cmpint(ccid_rates_decode(NULL, 4, 0, v, 1, &n, &f), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_rates_decode(two, 4, 0, NULL, 1, &n, &f), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_rates_decode(two, 4, 0, v, 1, NULL, &f), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_rates_decode(two, 4, 0, v, 1, &n, NULL), ==, CCID_E_INVALID_ARG);
	g_assert_cmpuint(n, ==, 7);
	g_assert_cmpuint(f, ==, 7);
	/* No room at all is fine: the count says what was lost. */
	g_assert_cmpint(ccid_rates_decode(two, 8, 0, NULL, 0, &n, &f), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmphex(f, ==, CCID_RATES_OVER_CAP);
}

static void test_every_flag_has_a_name(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (unsigned bit = 1; bit <= CCID_RATES_OVER_CAP; bit <<= 1) {
		const char *s = ccid_rates_flag_name(bit);
		g_assert_cmpstr(s, !=, "unknown flag");
		g_assert_false(g_hash_table_contains(seen, s));
		g_hash_table_add(seen, (gpointer)s);
	}
	g_assert_cmpstr(ccid_rates_flag_name(0), ==, "unknown flag");
	g_hash_table_unref(seen);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/rates/well-formed-reply-decodes-without-flags",
			test_well_formed_reply_decodes_without_flags);
	g_test_add_func("/ccid/rates/size-not-multiple-of-4-keeps-whole-dwords",
			test_size_not_multiple_of_4_keeps_whole_dwords);
	g_test_add_func("/ccid/rates/empty-reply-is-flagged", test_empty_reply_is_flagged);
	g_test_add_func("/ccid/rates/more-entries-than-declared-are-trimmed",
			test_more_entries_than_declared_are_trimmed);
	g_test_add_func("/ccid/rates/junk-values-are-kept-and-flagged",
			test_junk_values_are_kept_and_flagged);
	g_test_add_func("/ccid/rates/invalid-arguments-leave-outputs-untouched",
			test_invalid_arguments_leave_outputs_untouched);
	g_test_add_func("/ccid/rates/every-flag-has-a-name", test_every_flag_has_a_name);
	return g_test_run();
}
