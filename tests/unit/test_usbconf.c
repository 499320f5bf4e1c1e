/* ccidlab — ccidlab.conf as the driver reads it (src/ifd/usbconf.c,
 * issue 20): a regular file within 1 MiB, checked before it is read (it
 * was read whole, then checked: /dev/zero never ended, a FIFO blocked
 * pcscd's open of every USB reader); settings by group and key. */
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ifd/usbconf.h"

static char *dir;

static bool resolve(const char *conf, usbconf *out, char *why, unsigned why_len)
{
	g_setenv("CCIDLAB_CONF", conf, TRUE);
	return usbconf_resolve(0x1209, 0x0002, "S1", NULL, NULL, 0, out, why, why_len);
}

static void test_settings_by_group(void)
{
	g_autofree char *p = g_build_filename(dir, "ok.conf", NULL);
	static const char text[] = "[usb]\nmode=poll\n[usb serial=S1]\npin-trace=show\n";
	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	usbconf c;
	char why[512] = "";
	g_assert_true(resolve(p, &c, why, sizeof why));
	g_assert_cmpint(c.mode, ==, USBCONF_MODE_POLL);
	g_assert_true(c.pin_trace_show);
	g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
	g_assert_true(resolve(missing, &c, why, sizeof why));	/* no file: defaults */
	g_assert_false(c.pin_trace_show);
}

static void test_no_regular_file_is_refused_at_once(void)
{
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	g_autofree char *fifo = g_build_filename(dir, "fifo.conf", NULL);
	g_autofree char *big = g_build_filename(dir, "big.conf", NULL);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_autofree char *filler = g_strnfill((2u << 20), '#');
	g_assert_true(g_file_set_contents(big, filler, -1, NULL));
	const char *const paths[] = { fifo, "/dev/zero", big };
	const char *const says[] = { "not a regular file", "not a regular file", "over" };
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		usbconf c;
		char why[512] = "";
		g_assert_false(resolve(paths[i], &c, why, sizeof why));
		g_test_message("%s", why);
		g_assert_nonnull(strstr(why, says[i]));
	}
	g_unlink(fifo);
	g_unlink(big);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("ccidlab-conf-XXXXXX", NULL);
	g_test_add_func("/ifd/usbconf/settings-by-group", test_settings_by_group);
	g_test_add_func("/ifd/usbconf/no-regular-file-is-refused-at-once",
			test_no_regular_file_is_refused_at_once);
	int rc = g_test_run();
	g_autofree char *ok = g_build_filename(dir, "ok.conf", NULL);
	g_unlink(ok);
	g_rmdir(dir);
	g_free(dir);
	return rc;
}
