/* ccidlab — `ccidlab vm`: on the host, a run (run.c); inside the guest,
 * the subcommands that talk to the host and the guest's init. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm.h"
#include "vm/vm_priv.h"

G_DEFINE_QUARK(ccidlab-vm-error-quark, vm_error)

void vm_errno(GError **error, const char *what)
{
	int e = errno;
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", what, g_strerror(e));
	errno = e;
}

void vm_remove_tree(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;) {
		g_autofree char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			vm_remove_tree(p);
		else
			g_unlink(p);
	}
	g_rmdir(dir);
}

static const char *const guest_verbs[] = {
	"plug", "unplug", "insert", "eject", "list", "vscard",
};

int vm_main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *verb = argv[1];
		if (strcmp(verb, "guest-init") == 0)
			return vm_guest_init(argc - 1, argv + 1);
		if (strcmp(verb, "pcscd") == 0)
			return vm_guest_pcscd(argc - 1, argv + 1);
		for (size_t i = 0; i < sizeof guest_verbs / sizeof guest_verbs[0]; i++)
			if (strcmp(verb, guest_verbs[i]) == 0)
				return vm_guest_command(argc - 1, argv + 1);
	}
	vm_opts o = { 0 };
	int rc = vm_opts_parse(&o, argc, argv) ? vm_run(&o) : 2;
	vm_opts_clear(&o);
	return rc;
}
