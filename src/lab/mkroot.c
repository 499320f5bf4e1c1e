/* ccidlab — `ccidlab mkroot DIR [--suite SUITE]`: makes a Debian root for
 * `ccidlab lab --root DIR`.  The work is debootstrap's and apt-get's, so it
 * is a shell script (src/lab/mkroot.sh, installed as
 * $(pkglibexecdir)/ccidlab-mkroot); this only finds and runs it.  With
 * --pcsc-lite REF the root holds pcsc-lite built at that commit: the
 * script beside it, ccidlab-commit-root (src/bisect/commit-root.sh). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "lab/mkroot.h"

/* Run from a build tree (build/src/cli/ccidlab), the copy made in
 * build/src/lab; installed, the installed one. */
static char *mkroot_script(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL) {
		g_autofree char *tools = g_path_get_dirname(exe);
		g_autofree char *staged = g_build_filename(tools, "..", "lab", "ccidlab-mkroot", NULL);
		if (g_str_has_suffix(tools, "/src/cli") &&
		    g_file_test(staged, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&staged);
	}
	return g_build_filename(PKGLIBEXECDIR, "ccidlab-mkroot", NULL);
}

static bool wants_commit(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--pcsc-lite") == 0 || g_str_has_prefix(argv[i], "--pcsc-lite="))
			return true;
	return false;
}

int mkroot_main(int argc, char **argv)
{
	g_autofree char *script = mkroot_script();
	g_autoptr(GPtrArray) args = g_ptr_array_new();

	if (wants_commit(argc, argv)) {
		g_autofree char *dir = g_path_get_dirname(script);
		g_free(script);
		script = g_build_filename(dir, "ccidlab-commit-root", NULL);
	}

	/* A missing script would be sh's 127; ccidlab(1) says 1 when mkroot
	 * failed. */
	if (!g_file_test(script, G_FILE_TEST_IS_REGULAR)) {
		fprintf(stderr, "ccidlab mkroot: %s is missing (was ccidlab installed?)\n", script);
		return 1;
	}
	g_ptr_array_add(args, "/bin/sh");
	g_ptr_array_add(args, script);
	for (int i = 1; i < argc; i++)
		g_ptr_array_add(args, argv[i]);
	g_ptr_array_add(args, NULL);
	fflush(NULL);
	execv("/bin/sh", (char **)args->pdata);
	fprintf(stderr, "ccidlab mkroot: cannot run %s: %s\n", script, g_strerror(errno));
	return 1;
}
