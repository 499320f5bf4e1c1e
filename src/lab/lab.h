/* ccidlab — `ccidlab lab`: a private pcscd for one command. */
#ifndef CCIDLAB_LAB_LAB_H
#define CCIDLAB_LAB_LAB_H

#include <sys/types.h>

int lab_main(int argc, char **argv);

/* Where a root lab (--root) shows its private tree inside the root. */
#define LAB_ROOT_LABDIR "/run/ccidlab-lab"

/* What the pcscd child needs to build its private view of the system. */
typedef struct lab_ns_plan {
	const char *run_dir;	/* bind-mounted over pcscd's IPC dir */
	const char *drivers_dir;	/* bind-mounted over pcscd's USB drop dir */
	const char *ipc_dir;	/* pcscd's compiled-in IPC dir (/run/pcscd) */
	const char *drop_dir;	/* pcscd's compiled-in drop dir */
	const char *root;	/* a Debian root to chroot into, or NULL */
	const char *lab_dir;	/* the lab's tree, shown at LAB_ROOT_LABDIR in the root */
	const char *log_path;	/* pcscd's stdout and stderr */
	char *const *argv;	/* pcscd and its arguments */
	const char *preload;	/* LD_PRELOAD for pcscd, or NULL */
	uid_t uid;		/* the caller's ids, mapped to root when not root */
	gid_t gid;
} lab_ns_plan;

/* Runs in the forked child: enters a private mount namespace (and a user
 * namespace when not root), mounts the plan and execs pcscd.  Returns only
 * on failure, after writing the reason to the log. */
void lab_ns_exec_pcscd(const lab_ns_plan *plan);

/* Runs in the forked command child of a root lab: joins pcscd's mount
 * namespace and chroots into `root`.  Returns -1 (errno set) on failure. */
int lab_ns_join_root(pid_t pcscd, const char *root);

#endif
