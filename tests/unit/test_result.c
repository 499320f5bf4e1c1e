/* ccidlab — every result of the CCID core has a distinct name. */
#include <glib.h>
#include "ccid/ccid.h"

static void test_every_value_has_a_name(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (int r = 0; r < CCID_RESULT_COUNT; r++) {
		const char *name = ccid_result_name(r);
		g_assert_nonnull(name);
		g_assert_cmpstr(name, !=, "unknown result");
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
	}
	g_hash_table_unref(seen);
}

static void test_out_of_range_is_named_unknown(void)
{
	g_assert_cmpstr(ccid_result_name(-1), ==, "unknown result");
	g_assert_cmpstr(ccid_result_name(CCID_RESULT_COUNT), ==, "unknown result");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/result/every-value-has-a-name", test_every_value_has_a_name);
	g_test_add_func("/ccid/result/out-of-range-is-named-unknown", test_out_of_range_is_named_unknown);
	return g_test_run();
}
