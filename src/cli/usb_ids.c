/* ccidlab — `ccidlab usb-ids`.  The work is done by ccidlab-usb-ids, a
 * POSIX shell script, because the build runs the same script to write the
 * default Info.plist and must not need the command built first (nor
 * anything beyond sh and awk).  This runs the script installed beside the
 * command: in a build tree, the one built in src/cli/. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>

#include "cli/usb_ids.h"

#define USB_IDS_SCRIPT "ccidlab-usb-ids"

static char *script_path(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL) {
		g_autofree char *dir = g_path_get_dirname(exe);
		char *beside = g_build_filename(dir, USB_IDS_SCRIPT, NULL);
		if (g_file_test(beside, G_FILE_TEST_IS_REGULAR))
			return beside;
		g_free(beside);
	}
	return g_build_filename(BINDIR, USB_IDS_SCRIPT, NULL);
}

int usb_ids_main(int argc, char **argv)
{
	g_autofree char *script = script_path();
	/* argv[0] is "usb-ids": the script gets its own path there and the
	 * user's words unchanged after it. */
	char **args = g_new0(char *, (gsize)argc + 2);
	args[0] = (char *)"/bin/sh";
	args[1] = script;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execv(args[0], args);
	fprintf(stderr, "ccidlab usb-ids: cannot run %s: %s\n", script, g_strerror(errno));
	g_free(args);
	return 2;
}
