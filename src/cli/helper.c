/* ccidlab — running the helper programs of a subcommand (helper.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>

#include "cli/helper.h"

char *cli_helper_path(const char *subdir, const char *name)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL) {
		g_autofree char *dir = g_path_get_dirname(exe);
		g_autofree char *built = g_build_filename(dir, "..", subdir, name, NULL);
		/* build/src/cli/ccidlab: the helper built in build/src/SUBDIR. */
		if (g_str_has_suffix(dir, "/src/cli") &&
		    g_file_test(built, G_FILE_TEST_IS_EXECUTABLE))
			return g_steal_pointer(&built);
	}
	return g_build_filename(PKGLIBEXECDIR, name, NULL);
}

int cli_helper_exec(const char *subdir, const char *name, int argc, char **argv)
{
	g_autofree char *path = cli_helper_path(subdir, name);
	fflush(NULL);
	execv(path, argv);
	fprintf(stderr, "ccidlab %s: cannot run %s: %s\n", argc > 0 ? argv[0] : name, path,
		g_strerror(errno));
	return 125;
}

int cli_bench_main(int argc, char **argv)
{
	return cli_helper_exec("bench", "ccidlab-bench", argc, argv);
}
