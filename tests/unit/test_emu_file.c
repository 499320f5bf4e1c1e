/* ccidlab — the files root's configuration names (emu/file.h, issue 20):
 * only regular files are read, never a FIFO (the open blocked the
 * driver), a device (/dev/zero was read without end) or a symbolic link,
 * and the size is checked before anything is read.  Each loader of the
 * emulator and the driver goes through it: scenarios, card scripts and
 * file systems, the catalogue. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "emu/app.h"
#include "emu/device.h"
#include "emu/file.h"
#include "emu/profile.h"

static char *dir;

static char *path_of(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static void test_regular_files_are_read_within_their_bound(void)
{
	g_autofree char *p = path_of("small");
	g_autoptr(GError) err = NULL;
	g_assert_true(g_file_set_contents(p, "abc", 3, NULL));
	g_autoptr(GBytes) b = emu_file_read(p, 3, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(g_bytes_get_size(b), ==, 3);
	g_autoptr(GBytes) none = emu_file_read(p, 2, &err);
	g_assert_null(none);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_FAILED);
	g_assert_nonnull(strstr(err->message, "over 2 bytes"));
	g_clear_error(&err);
	g_autofree char *missing = path_of("missing");
	g_assert_null(emu_file_read(missing, 10, &err));
	g_assert_error(err, EMU_ERROR, EMU_ERROR_NOT_FOUND);
}

/* Each of these used to block, read without end or follow the link. */
static void test_fifo_device_link_and_directory_are_refused(void)
{
	g_autofree char *fifo = path_of("fifo");
	g_autofree char *link = path_of("link");
	g_autofree char *small = path_of("small");
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_true(g_file_set_contents(small, "abc", 3, NULL));
	g_assert_cmpint(symlink(small, link), ==, 0);
	const char *const paths[] = { fifo, "/dev/zero", link, dir };
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autoptr(GError) err = NULL;
		g_assert_null(emu_file_read(paths[i], 1 << 20, &err));
		g_assert_error(err, EMU_ERROR, EMU_ERROR_FAILED);
		g_test_message("%s: %s", paths[i], err->message);
	}
	g_unlink(fifo);
	g_unlink(link);
}

/* The loaders: a FIFO or /dev/zero as a scenario, a card script, a
 * file-system description, a content-file, the catalogue: refused at
 * once (the subprocess ends within seconds; before, it never did). */
static void test_loaders_refuse_what_is_no_regular_file(void)
{
	if (!g_test_subprocess()) {
		g_test_trap_subprocess(NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
		g_test_trap_assert_passed();
		return;
	}
	g_autofree char *fifo = path_of("fifo2");
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	const char *const paths[] = { fifo, "/dev/zero" };
	for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
		g_assert_null(emu_timeline_load_file(paths[i], &e1));
		g_assert_nonnull(e1);
		g_autoptr(emu_app) s = emu_app_script_new(paths[i], &e2);
		g_assert_null(s);
		g_assert_nonnull(e2);
		g_autoptr(emu_app) f = emu_app_files_new(paths[i], &e3);
		g_assert_null(f);
		g_assert_nonnull(e3);
		g_assert_null(emu_catalogue_load(paths[i], &e4));
		g_assert_nonnull(e4);
	}
	/* A description whose content-file is a FIFO. */
	g_autofree char *desc = path_of("desc");
	g_autofree char *text = g_strdup_printf("[ef]\ntype=EF\nfid=0101\ncontent-file=%s\n",
						 fifo);
	g_assert_true(g_file_set_contents(desc, text, -1, NULL));
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_app) f = emu_app_files_new(desc, &err);
	g_assert_null(f);
	g_assert_nonnull(strstr(err->message, "not a regular file"));
	g_unlink(fifo);
	g_unlink(desc);
}

/* A description sent as text (the control socket's) names no file. */
static void test_text_descriptions_name_no_file(void)
{
	static const char text[] = "[ef]\ntype=EF\nfid=0101\ncontent-file=/etc/passwd\n";
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_app) f = emu_app_files_new_from_text(text, sizeof text - 1, "sent", &err);
	g_assert_null(f);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "give content="));
	static const char ok[] = "[ef]\ntype=EF\nfid=0101\ncontent=0102\n";
	g_autoptr(GError) err2 = NULL;
	g_autoptr(emu_app) g = emu_app_files_new_from_text(ok, sizeof ok - 1, "sent", &err2);
	g_assert_no_error(err2);
	g_assert_nonnull(g);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	dir = g_dir_make_tmp("ccidlab-file-XXXXXX", NULL);
	g_test_add_func("/emu/file/regular-files-are-read-within-their-bound",
			test_regular_files_are_read_within_their_bound);
	g_test_add_func("/emu/file/fifo-device-link-and-directory-are-refused",
			test_fifo_device_link_and_directory_are_refused);
	g_test_add_func("/emu/file/loaders-refuse-what-is-no-regular-file",
			test_loaders_refuse_what_is_no_regular_file);
	g_test_add_func("/emu/file/text-descriptions-name-no-file",
			test_text_descriptions_name_no_file);
	int rc = g_test_run();
	g_autofree char *small = g_build_filename(dir, "small", NULL);
	g_unlink(small);
	g_rmdir(dir);
	g_free(dir);
	return rc;
}
