/* ccidlab — the host side of a root lab (see lab_root.h).
 *
 * Binaries built here run on the root's newer glibc, so ccidlab's command
 * and driver are copied, not rebuilt; they load the root's GLib, libusb and
 * libpcsclite (mkroot installs them), so that the client library under
 * test is the root's.  What the root lacks (a sanitizer build's runtimes,
 * the preloaded objects) goes to LAB_ROOT_LABDIR/lib.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "lab/lab.h"
#include "lab/lab_root.h"
#include "lab/labfiles.h"

#define LAB_ROOT_PROBE_MAX (256 * 1024)	/* bytes kept of a probe's output */

static void probe_child(const char *root, char *const argv[], int out)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(127);
	if (root != NULL && (chroot(root) != 0 || chdir("/") != 0))
		_exit(126);
	execv(argv[0], argv);
	_exit(127);
}

/* Waits for pid until the deadline (ms, monotonic), then kills it. */
static int reap_by(pid_t pid, gint64 deadline)
{
	int status = 0;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid || (got < 0 && errno != EINTR))
			return status;
		if (g_get_monotonic_time() / 1000 >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return status;
		}
		g_usleep(2000);
	}
}

/* Runs argv (chrooted in root when not NULL) for at most
 * LAB_ROOT_PROBE_MS and returns what it printed, or NULL. */
static char *probe(const char *root, char *const argv[], GError **error)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "pipe: %s",
			    g_strerror(errno));
		return NULL;
	}
	pid_t pid = fork();
	if (pid == 0)
		probe_child(root, argv, fds[1]);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "fork: %s",
			    g_strerror(errno));
		return NULL;
	}
	g_autoptr(GString) buf = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() / 1000 + LAB_ROOT_PROBE_MS;
	for (gint64 left; (left = deadline - g_get_monotonic_time() / 1000) > 0;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		char chunk[4096];
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		ssize_t got = n > 0 ? read(fds[0], chunk, sizeof chunk) : 0;
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (buf->len < LAB_ROOT_PROBE_MAX)
			g_string_append_len(buf, chunk, got);
	}
	close(fds[0]);
	int status = reap_by(pid, deadline);
	if (!WIFEXITED(status)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "%s did not finish within %d ms", argv[0], LAB_ROOT_PROBE_MS);
		return NULL;
	}
	return g_string_free(g_steal_pointer(&buf), FALSE);
}

/* pcscd --version: "pcsc-lite version 2.5.3." and its features line
 * ("... ipcdir=/run/pcscd usbdropdir=/usr/lib/pcsc/drivers ..."). */
static void parse_version(lab_root *r, const char *text)
{
	g_auto(GStrv) words = g_strsplit_set(text, " \t\n", -1);
	for (guint i = 0; words[i] != NULL; i++) {
		if (strcmp(words[i], "version") == 0 && words[i + 1] != NULL && r->version == NULL)
			r->version = g_strdup(words[i + 1]);
		else if (g_str_has_prefix(words[i], "ipcdir=/"))
			r->ipc_dir = g_strdup(words[i] + strlen("ipcdir="));
		else if (g_str_has_prefix(words[i], "usbdropdir=/"))
			r->drop_dir = g_strdup(words[i] + strlen("usbdropdir="));
	}
	if (r->version != NULL && g_str_has_suffix(r->version, "."))
		r->version[strlen(r->version) - 1] = '\0';
	if (r->ipc_dir == NULL)
		r->ipc_dir = g_strdup(PCSCD_IPCDIR);
	if (r->drop_dir == NULL)
		r->drop_dir = g_strdup(PCSCD_USBDROPDIR);
}

char *lab_pcscd_version(const char *pcscd)
{
	char *argv[] = { (char *)pcscd, "--version", NULL };
	g_autofree char *text = probe(NULL, argv, NULL);
	if (text == NULL)
		return NULL;
	lab_root r = { .lock_fd = -1 };
	parse_version(&r, text);
	char *v = g_steal_pointer(&r.version);
	lab_root_clear(&r);
	return v;
}

static gboolean ask_pcscd(lab_root *r, const char *pcscd, GError **error)
{
	g_autofree char *in_root = g_build_filename(r->dir, pcscd, NULL);
	if (!g_path_is_absolute(pcscd) || !g_file_test(in_root, G_FILE_TEST_IS_EXECUTABLE)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "no pcscd at %s in the root (make one with: ccidlab mkroot %s)", pcscd,
			    r->dir);
		return FALSE;
	}
	char *version_argv[] = { (char *)pcscd, "--version", NULL };
	char *help_argv[] = { (char *)pcscd, "--help", NULL };
	g_autofree char *version = probe(r->dir, version_argv, error);
	if (version == NULL)
		return FALSE;
	g_autofree char *help = probe(r->dir, help_argv, error);
	if (help == NULL)
		return FALSE;
	parse_version(r, version);
	r->disable_polkit = strstr(help, "--disable-polkit") != NULL;
	return TRUE;
}

/* Whether the root has a library of that name where the host has it (or
 * across the /usr merge). */
static gboolean root_has(const char *root, const char *host_path, const char *name)
{
	g_autofree char *dir = g_path_get_dirname(host_path);
	const char *bare = g_str_has_prefix(dir, "/usr/") ? dir + strlen("/usr") : dir;
	g_autofree char *a = g_build_filename(root, bare, name, NULL);
	g_autofree char *b = g_build_filename(root, "/usr", bare, name, NULL);
	return g_file_test(a, G_FILE_TEST_EXISTS) || g_file_test(b, G_FILE_TEST_EXISTS);
}

/* Copies into lib_dir every library `object` needs (ldd on the host) that
 * the root lacks. */
static gboolean copy_missing_libs(lab_root *r, const char *object, const char *lib_dir,
				  GError **error)
{
	char *argv[] = { "/usr/bin/ldd", (char *)object, NULL };
	g_autofree char *out = probe(NULL, argv, error);
	if (out == NULL)
		return FALSE;
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		/* "\tlibasan.so.8 => /lib/x86_64-linux-gnu/libasan.so.8 (0x...)" */
		char *arrow = strstr(lines[i], " => /");
		if (arrow == NULL)
			continue;
		*arrow = '\0';
		g_autofree char *name = g_strstrip(g_strdup(lines[i]));
		char *path = arrow + strlen(" => ");
		char *end = strstr(path, " (");
		if (end != NULL)
			*end = '\0';
		if (strchr(name, '/') != NULL || root_has(r->dir, path, name))
			continue;
		g_autofree char *to = g_build_filename(lib_dir, name, NULL);
		if (!lab_copy_file(path, to, error))
			return FALSE;
		r->libs = TRUE;
	}
	return TRUE;
}

/* Copies each preloaded object into lib_dir, and says where the root sees
 * it; bare names stay (the root's loader looks them up). */
static gboolean copy_preload(lab_root *r, const char *preload, const char *lib_dir,
			     GError **error)
{
	g_auto(GStrv) items = g_strsplit_set(preload, " :", -1);
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; items[i] != NULL; i++) {
		if (items[i][0] == '\0')
			continue;
		if (strchr(items[i], '/') == NULL) {
			g_ptr_array_add(seen, g_strdup(items[i]));
			continue;
		}
		g_autofree char *base = g_path_get_basename(items[i]);
		g_autofree char *to = g_build_filename(lib_dir, base, NULL);
		if (!lab_copy_file(items[i], to, error) ||
		    !copy_missing_libs(r, items[i], lib_dir, error))
			return FALSE;
		g_ptr_array_add(seen, g_build_filename(LAB_ROOT_LABDIR, "lib", base, NULL));
	}
	g_ptr_array_add(seen, NULL);
	r->preload = g_strjoinv(" ", (char **)seen->pdata);
	return TRUE;
}

static gboolean copy_self(lab_root *r, const char *bin_dir, const char *lib_dir, GError **error)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", error);
	if (exe == NULL)
		return FALSE;
	g_autofree char *to = g_build_filename(bin_dir, "ccidlab", NULL);
	if (!lab_copy_file(exe, to, error))
		return FALSE;
	if (g_chmod(to, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", to,
			    g_strerror(errno));
		return FALSE;
	}
	return copy_missing_libs(r, exe, lib_dir, error);
}

/* DIR.lock (ccidlab mkroot's), held shared while the lab runs: no mkroot
 * --force remakes a root under a running lab, and no lab starts in a root
 * being made. */
static gboolean hold_root(lab_root *r, GError **error)
{
	g_autofree char *lock = g_strconcat(r->dir, ".lock", NULL);
	r->lock_fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (r->lock_fd < 0)
		return TRUE;	/* a root not made by mkroot */
	if (flock(r->lock_fd, LOCK_SH | LOCK_NB) == 0)
		return TRUE;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_AGAIN,
		    "a ccidlab mkroot is making it now (%s is held)", lock);
	return FALSE;
}

gboolean lab_root_prepare(lab_root *r, const char *root, const char *lab_dir,
			  const char *driver, const char *pcscd, const char *preload,
			  GError **error)
{
	if (geteuid() != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			    "needs root (it chroots and mounts inside the root)");
		return FALSE;
	}
	r->dir = realpath(root, NULL);
	if (r->dir == NULL || !g_file_test(r->dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "%s: no such directory (make it with: ccidlab mkroot %s)", root, root);
		return FALSE;
	}
	if (strcmp(r->dir, "/") == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the root cannot be /");
		return FALSE;
	}
	if (!hold_root(r, error) || !ask_pcscd(r, pcscd, error))
		return FALSE;
	g_autofree char *bin_dir = g_build_filename(lab_dir, "bin", NULL);
	g_autofree char *lib_dir = g_build_filename(lab_dir, "lib", NULL);
	if (g_mkdir(bin_dir, 0755) != 0 || g_mkdir(lib_dir, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
			    lab_dir, g_strerror(errno));
		return FALSE;
	}
	if (!copy_self(r, bin_dir, lib_dir, error) ||
	    !copy_missing_libs(r, driver, lib_dir, error))
		return FALSE;
	return preload == NULL || preload[0] == '\0' || copy_preload(r, preload, lib_dir, error);
}

char *lab_root_command(const char *cmd)
{
	g_autofree char *exe = realpath("/proc/self/exe", NULL);
	g_autofree char *target = g_path_is_absolute(cmd) ? realpath(cmd, NULL) : NULL;
	if (exe != NULL && target != NULL && strcmp(exe, target) == 0)
		return g_build_filename(LAB_ROOT_LABDIR, "bin", "ccidlab", NULL);
	return g_strdup(cmd);
}

void lab_root_note_ns(lab_root *r, pid_t pcscd)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/ns/mnt", (int)pcscd);
	struct stat st;
	if (stat(path, &st) == 0) {
		r->ns_dev = st.st_dev;
		r->ns_ino = st.st_ino;
	}
}

/* Sends SIGKILL to every process in the lab's namespace; returns how many. */
static int kill_in_ns(const lab_root *r)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	int n = 0;
	for (const char *name; proc != NULL && (name = g_dir_read_name(proc)) != NULL;) {
		char *end;
		long pid = strtol(name, &end, 10);
		if (*end != '\0' || pid <= 1 || pid == getpid())
			continue;
		g_autofree char *path = g_strdup_printf("/proc/%ld/ns/mnt", pid);
		struct stat st;
		if (stat(path, &st) == 0 && st.st_dev == r->ns_dev && st.st_ino == r->ns_ino &&
		    kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	return n;
}

void lab_root_kill_rest(lab_root *r)
{
	if (r->ns_ino == 0)
		return;
	/* A killed process leaves /proc when its parent reaps it (init, for
	 * orphans): look again for a while. */
	for (int i = 0; i < 100 && kill_in_ns(r) > 0; i++)
		g_usleep(10000);
}

void lab_root_clear(lab_root *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	free(r->dir);
	g_free(r->version);
	g_free(r->ipc_dir);
	g_free(r->drop_dir);
	g_free(r->preload);
	memset(r, 0, sizeof *r);
	r->lock_fd = -1;
}
