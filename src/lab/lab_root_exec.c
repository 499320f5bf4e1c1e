/* ccidlab — a root lab's children (see lab_root.h): their environment, and
 * the command's way into pcscd's namespace and root. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

#include "lab/lab.h"
#include "lab/lab_root.h"

void lab_root_setenv(const lab_root *r, gboolean cmd)
{
	g_autofree char *sock = g_build_filename(r->ipc_dir, "pcscd.comm", NULL);
	g_autofree char *ctl = g_build_filename(r->ipc_dir, "ccidlab.sock", NULL);

	setenv("PCSCLITE_CSOCK_NAME", sock, 1);
	/* The host's library path means nothing in the root. */
	if (r->libs)
		setenv("LD_LIBRARY_PATH", LAB_ROOT_LABDIR "/lib", 1);
	else
		unsetenv("LD_LIBRARY_PATH");
	if (!cmd)
		return;
	setenv("PATH",
	       LAB_ROOT_LABDIR "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("CCIDLAB_LAB_DIR", LAB_ROOT_LABDIR, 1);
	setenv("CCIDLAB_CTL_SOCKET", ctl, 1);
	if (g_getenv("CCIDLAB_DRIVER_SOCKET") != NULL) {
		g_autofree char *drv = g_build_filename(r->ipc_dir, "ccidlab-driver.sock", NULL);
		setenv("CCIDLAB_DRIVER_SOCKET", drv, 1);
	}
	setenv("CCIDLAB_PCSCD_LOG", LAB_ROOT_LABDIR "/pcscd.log", 1);
	setenv("CCIDLAB_ROOT", r->dir, 1);
	setenv("CCIDLAB_ROOT_PCSC_LITE", r->version != NULL ? r->version : "unknown", 1);
}

void lab_root_enter(const lab_root *r, pid_t pcscd, char **cmd0)
{
	g_autofree char *cwd = g_get_current_dir();
	/* Before the chroot: the command's path is the host's. */
	char *cmd = lab_root_command(*cmd0);
	g_free(*cmd0);
	*cmd0 = cmd;
	if (lab_ns_join_root(pcscd, r->dir) != 0) {
		fprintf(stderr, "ccidlab lab: cannot enter the root %s: %s\n", r->dir,
			g_strerror(errno));
		_exit(127);
	}
	if (chdir(cwd) != 0 && chdir("/") != 0)
		_exit(127);
	lab_root_setenv(r, TRUE);
}
