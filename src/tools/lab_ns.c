/* ccidlab — the pcscd side of a lab: private mount namespace, private
 * /run/pcscd and USB drop dir, then exec pcscd.
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

#include "tools/lab.h"

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
	if (bind(plan->run_dir, plan->ipc_dir) != 0 || bind(plan->drivers_dir, plan->drop_dir) != 0)
		_exit(127);
	if (plan->preload != NULL && plan->preload[0] != '\0')
		setenv("LD_PRELOAD", plan->preload, 1);
	execv(plan->argv[0], plan->argv);
	say("ccidlab lab: cannot run %s: %s\n", plan->argv[0], strerror(errno));
	_exit(127);
}
