/* ccidlab — the pcscd side of a lab: private mount namespace, private
 * /run/pcscd and USB drop dir, then exec pcscd (chrooted in a Debian root
 * for a root lab).
 *
 * Runs in a freshly forked child that has not yet called exec, so it uses
 * only plain system calls and writes errors straight to the log fd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lab.h"

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDERR_FILENO, line, strnlen(line, sizeof line)) < 0)
		_exit(127);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Not root: a user namespace maps us to root so that we may mount. */
static int enter_user_ns(uid_t uid, gid_t gid)
{
	char map[64];

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return -1;
	if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return -1;
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
	return write_file("/proc/self/gid_map", map);
}

/* The mount point must exist.  As root we create it (pcscd would create
 * /run/pcscd itself); in a user namespace we cannot write to the host's
 * /run, so we lay a tmpfs over the parent first. */
static int ensure_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", path);
	char *slash = strrchr(parent, '/');
	if (slash == NULL || slash == parent)
		return -1;
	*slash = '\0';
	if (ensure_dir(parent) != 0)
		return -1;
	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno != EACCES && errno != EPERM && errno != EROFS)
		return -1;
	if (mount("tmpfs", parent, "tmpfs", 0, "mode=0755") != 0)
		return -1;
	return mkdir(path, 0755);
}

static int bind(const char *from, const char *to)
{
	if (ensure_dir(to) != 0) {
		say("ccidlab lab: cannot create mount point %s: %s\n", to, strerror(errno));
		return -1;
	}
	if (mount(from, to, NULL, MS_BIND, NULL) != 0) {
		say("ccidlab lab: cannot bind %s over %s: %s\n", from, to, strerror(errno));
		return -1;
	}
	return 0;
}

/* A mount point of the root given by the root's own layout: a real
 * directory, never a link that would lead out of the root. */
static int root_mount(const char *root, const char *path, const char *src, const char *type,
		      unsigned long flags, const char *data)
{
	char to[4096];
	struct stat st;

	snprintf(to, sizeof to, "%s%s", root, path);
	if (lstat(to, &st) != 0 || !S_ISDIR(st.st_mode)) {
		say("ccidlab lab: %s is not a directory of the root\n", to);
		return -1;
	}
	if (mount(src, to, type, flags, data) != 0) {
		say("ccidlab lab: cannot mount %s on %s: %s\n", src, to, strerror(errno));
		return -1;
	}
	return 0;
}

/* Binds a host directory, held open from before the chroot, over a path
 * of the root (resolved inside it: /var/run -> /run stays in the root). */
static int bind_fd(int fd, const char *to)
{
	char from[64];

	snprintf(from, sizeof from, "/proc/self/fd/%d", fd);
	return bind(from, to);
}

static int open_dir(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		say("ccidlab lab: cannot open %s: %s\n", path, strerror(errno));
	return fd;
}

/* The root's view: its own /proc, the host's /dev and /sys, private /tmp
 * and /run, the lab's tree at LAB_ROOT_LABDIR, and the lab's IPC and
 * drop dirs over pcscd's.  Everything dies with the namespace. */
static int enter_root(const lab_ns_plan *p)
{
	int lab = open_dir(p->lab_dir), run = open_dir(p->run_dir), drv = open_dir(p->drivers_dir);
	if (lab < 0 || run < 0 || drv < 0)
		return -1;
	if (root_mount(p->root, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
	    root_mount(p->root, "/dev", "/dev", NULL, MS_BIND | MS_REC, NULL) ||
	    root_mount(p->root, "/sys", "/sys", NULL, MS_BIND | MS_REC, NULL) ||
	    root_mount(p->root, "/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") ||
	    root_mount(p->root, "/run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
		return -1;
	if (chroot(p->root) != 0 || chdir("/") != 0) {
		say("ccidlab lab: cannot chroot into %s: %s\n", p->root, strerror(errno));
		return -1;
	}
	if (bind_fd(lab, LAB_ROOT_LABDIR) != 0 || bind_fd(run, p->ipc_dir) != 0 ||
	    bind_fd(drv, p->drop_dir) != 0)
		return -1;
	close(lab);
	close(run);
	close(drv);
	return 0;
}

int lab_ns_join_root(pid_t pcscd, const char *root)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pcscd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = setns(fd, CLONE_NEWNS);
	int saved = errno;
	close(fd);
	errno = saved;
	if (rc != 0 || chroot(root) != 0)
		return -1;
	return 0;
}

void lab_ns_exec_pcscd(const lab_ns_plan *plan)
{
	int log = open(plan->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
		_exit(127);

	/* A lab never outlives its ccidlab, even one killed by SIGKILL. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		_exit(127);
	/* Its own process group: the terminal's Ctrl-C goes to the command,
	 * and ccidlab stops pcscd after it, in order. */
	setpgid(0, 0);

	int rc = plan->uid == 0 ? unshare(CLONE_NEWNS) : enter_user_ns(plan->uid, plan->gid);
	if (rc != 0) {
		say("ccidlab lab: cannot enter a private namespace: %s%s\n", strerror(errno),
		    plan->uid == 0 ? "" : " (are unprivileged user namespaces enabled?)");
		_exit(127);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		say("ccidlab lab: cannot make / private: %s\n", strerror(errno));
		_exit(127);
	}
	if (plan->root != NULL ? enter_root(plan) != 0
			       : bind(plan->run_dir, plan->ipc_dir) != 0 ||
					 bind(plan->drivers_dir, plan->drop_dir) != 0)
		_exit(127);
	if (plan->preload != NULL && plan->preload[0] != '\0')
		setenv("LD_PRELOAD", plan->preload, 1);
	execv(plan->argv[0], plan->argv);
	say("ccidlab lab: cannot run %s: %s\n", plan->argv[0], strerror(errno));
	_exit(127);
}
