/* ccidlab — a root lab (`ccidlab lab --root DIR`): pcscd and the command
 * run chrooted in a Debian root (see `ccidlab mkroot`), with ccidlab's
 * driver, command and whatever libraries the root lacks copied into the
 * lab's tree, seen inside the root at LAB_ROOT_LABDIR. */
#ifndef CCIDLAB_LAB_LAB_ROOT_H
#define CCIDLAB_LAB_LAB_ROOT_H

#include <sys/types.h>

#include <glib.h>

#define LAB_ROOT_PROBE_MS 10000	/* bound of each probe (pcscd --version, ldd) */

typedef struct lab_root {
	char *dir;		/* the root, absolute */
	char *version;		/* "2.5.3", from the root's pcscd --version */
	char *ipc_dir;		/* the root's pcscd's IPC and drop dirs */
	char *drop_dir;
	gboolean disable_polkit;	/* its pcscd takes --disable-polkit */
	char *preload;		/* LD_PRELOAD as the root sees it, or NULL */
	gboolean libs;		/* LAB_ROOT_LABDIR/lib holds libraries */
	int lock_fd;		/* DIR.lock held shared, or -1 */
	dev_t ns_dev;		/* the lab's mount namespace, once pcscd is in it */
	ino_t ns_ino;
} lab_root;

/* Checks the root, asks its `pcscd` (a path inside it) what it is, and
 * copies into lab_dir (bin/ccidlab, lib/...) what the lab needs that the
 * root lacks: this ccidlab, the libraries it, `driver` and `preload` load,
 * and the preloaded objects themselves. */
gboolean lab_root_prepare(lab_root *r, const char *root, const char *lab_dir,
			  const char *driver, const char *pcscd, const char *preload,
			  GError **error);

/* The host's pcscd's version ("1.9.9", from `pcscd --version`, bounded),
 * or NULL. */
char *lab_pcscd_version(const char *pcscd);

/* The command as the root can run it: this ccidlab's own path becomes the
 * copy in LAB_ROOT_LABDIR/bin. */
char *lab_root_command(const char *cmd);

/* In a root lab's child, before exec: the environment of its processes
 * (the command's too when `cmd`), with paths as the root sees them. */
void lab_root_setenv(const lab_root *r, gboolean cmd);

/* In the command's child: joins pcscd's namespace and the root, in the
 * same directory if the root has it, and maps *cmd0 (this ccidlab's own
 * path becomes its copy).  Exits 127 on failure. */
void lab_root_enter(const lab_root *r, pid_t pcscd, char **cmd0);

/* Notes the mount namespace pcscd made (call once pcscd answers). */
void lab_root_note_ns(lab_root *r, pid_t pcscd);

/* Kills whatever still runs in that namespace (what the command left in
 * the background), so that none outlives the lab; bounded. */
void lab_root_kill_rest(lab_root *r);

void lab_root_clear(lab_root *r);

#endif
