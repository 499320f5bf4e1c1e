/* ccidlab — the guest's pcscd and the drivers it sees.
 *
 * /usr/lib/pcsc/drivers is a tmpfs in the guest (guest_init.c) and the
 * host's own drop dir stays readable at /run/ccidlab-vm/host-drivers.
 * `ccidlab vm pcscd [--drivers WHICH] [--log FILE]` (re)starts Debian's
 * pcscd with WHICH in the drop dir: ccidlab (this build's bundle),
 * libccid (Debian's), both (pcscd 1.9.9 then gives ccidlab every reader
 * both list: libccid's bundle is the class driver), or none.  It returns
 * once pcscd answers on its socket; `ccidlab vm pcscd --stop` stops it
 * (SIGTERM, then SIGKILL), by the pid it wrote.  pcscd runs with libudev
 * hotplug (udevd runs in the guest), as on a real machine.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm_priv.h"

#define PCSCD_BIN "/usr/sbin/pcscd"
#define PCSCD_SOCKET "/run/pcscd/pcscd.comm"
#define START_MS 30000
#define STOP_MS 10000
#define MAX_DEPTH 6

static GKeyFile *plan_config(GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *path = g_build_filename(VM_GUEST_PLAN, "config", NULL);
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error))
		return NULL;
	return g_steal_pointer(&kf);
}

static bool copy_tree(const char *from, const char *to, int depth, GError **error)
{
	if (depth > MAX_DEPTH || (g_mkdir(to, 0755) != 0 && errno != EEXIST)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot copy", to);
		return false;
	}
	g_autoptr(GDir) d = g_dir_open(from, 0, error);
	if (d == NULL)
		return false;
	for (const char *n; (n = g_dir_read_name(d)) != NULL;) {
		g_autofree char *src = g_build_filename(from, n, NULL);
		g_autofree char *dst = g_build_filename(to, n, NULL);
		if (g_file_test(src, G_FILE_TEST_IS_DIR)) {
			if (!copy_tree(src, dst, depth + 1, error))
				return false;
			continue;
		}
		/* Contents, through symlinks (Debian's libccid Info.plist is
		 * one, to /etc). */
		g_autofree char *data = NULL;
		gsize len = 0;
		if (!g_file_get_contents(src, &data, &len, error) ||
		    !g_file_set_contents(dst, data, (gssize)len, error))
			return false;
		if (g_str_has_suffix(n, ".so"))
			g_chmod(dst, 0755);
	}
	return true;
}

static void empty_dir(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;) {
		g_autofree char *p = g_build_filename(dir, n, NULL);
		vm_remove_tree(p);
		g_unlink(p);
	}
}

static bool stage(GKeyFile *kf, const char *drivers, GError **error)
{
	empty_dir(PCSC_DROP_DIR);
	bool ccidlab = strcmp(drivers, "ccidlab") == 0 || strcmp(drivers, "both") == 0;
	bool libccid = strcmp(drivers, "libccid") == 0 || strcmp(drivers, "both") == 0;
	if (!ccidlab && !libccid && strcmp(drivers, "none") != 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--drivers %s: ccidlab, libccid, both or none", drivers);
		return false;
	}
	if (ccidlab) {
		g_autofree char *so = g_key_file_get_string(kf, "guest", "driver", error);
		if (so == NULL)
			return false;
		/* BUNDLE/Contents/Linux/libccidlab.so */
		g_autofree char *linux_dir = g_path_get_dirname(so);
		g_autofree char *contents = g_path_get_dirname(linux_dir);
		g_autofree char *bundle = g_path_get_dirname(contents);
		g_autofree char *to = g_build_filename(PCSC_DROP_DIR, "ifd-ccidlab.bundle", NULL);
		if (!copy_tree(bundle, to, 0, error))
			return false;
	}
	if (libccid) {
		g_autofree char *from = g_build_filename(VM_GUEST_HOST_DRIVERS, "ifd-ccid.bundle", NULL);
		g_autofree char *to = g_build_filename(PCSC_DROP_DIR, "ifd-ccid.bundle", NULL);
		if (!copy_tree(from, to, 0, error))
			return false;
	}
	return true;
}

static bool socket_answers(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = PCSCD_SOCKET };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static pid_t read_pid(void)
{
	g_autofree char *text = NULL;
	guint64 pid = 0;
	if (!g_file_get_contents(VM_GUEST_PCSCD_PID, &text, NULL, NULL) ||
	    !g_ascii_string_to_unsigned(g_strstrip(text), 10, 2, G_MAXINT32, &pid, NULL))
		return 0;
	return (pid_t)pid;
}

static bool alive(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *st = NULL;
	if (!g_file_get_contents(path, &st, NULL, NULL))
		return false;
	return strstr(st, "\nState:\tZ") == NULL;
}

bool vm_guest_pcscd_stop(int timeout_ms)
{
	pid_t pid = read_pid();
	if (pid == 0)
		return true;
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	kill(pid, SIGTERM);
	while (alive(pid) && g_get_monotonic_time() < end)
		g_usleep(10000);
	if (alive(pid)) {
		kill(pid, SIGKILL);
		while (alive(pid))
			g_usleep(10000);
	}
	g_unlink(VM_GUEST_PCSCD_PID);
	/* A stale socket would answer nobody. */
	g_unlink(PCSCD_SOCKET);
	return true;
}

static pid_t spawn(const char *preload, const char *log)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	setsid();
	int null = open("/dev/null", O_RDONLY);
	int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (null < 0 || out < 0)
		_exit(127);
	dup2(null, 0);
	dup2(out, 1);
	dup2(out, 2);
	if (preload != NULL && preload[0] != '\0')
		setenv("LD_PRELOAD", preload, 1);
	execl(PCSCD_BIN, PCSCD_BIN, "-f", "-d", (char *)NULL);
	dprintf(2, "cannot run %s: %s\n", PCSCD_BIN, g_strerror(errno));
	_exit(127);
}

bool vm_guest_pcscd_start(const char *drivers, const char *log, int timeout_ms, GError **error)
{
	g_autoptr(GKeyFile) kf = plan_config(error);
	if (kf == NULL)
		return false;
	vm_guest_pcscd_stop(STOP_MS);
	if (!stage(kf, drivers, error))
		return false;
	g_autofree char *results = g_key_file_get_string(kf, "guest", "results", NULL);
	g_autofree char *preload = g_key_file_get_string(kf, "guest", "preload", NULL);
	g_autofree char *name = g_strdup_printf("pcscd-%s.log", drivers);
	g_autofree char *path = log ? g_strdup(log) : g_build_filename(results, name, NULL);
	pid_t pid = spawn(preload, path);
	if (pid < 0) {
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FORK, "fork: %s", g_strerror(errno));
		return false;
	}
	g_autofree char *p = g_strdup_printf("%d\n", (int)pid);
	g_file_set_contents(VM_GUEST_PCSCD_PID, p, -1, NULL);
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (!socket_answers()) {
		if (!alive(pid) || g_get_monotonic_time() >= end) {
			g_set_error(error, VM_ERROR, VM_ERROR_FAILED,
				    "pcscd %s within %d ms (its log: %s)",
				    alive(pid) ? "did not answer" : "exited", timeout_ms, path);
			vm_guest_pcscd_stop(STOP_MS);
			return false;
		}
		g_usleep(10000);
	}
	return true;
}

int vm_guest_pcscd(int argc, char **argv)
{
	g_autofree char *drivers = NULL, *log = NULL;
	gboolean stop = FALSE;
	GOptionEntry entries[] = {
		{ "drivers", 0, 0, G_OPTION_ARG_STRING, &drivers,
		  "ccidlab (default), libccid, both or none", "WHICH" },
		{ "log", 0, 0, G_OPTION_ARG_FILENAME, &log,
		  "pcscd's log (default: RESULTS/pcscd-WHICH.log)", "FILE" },
		{ "stop", 0, 0, G_OPTION_ARG_NONE, &stop, "stop the guest's pcscd", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	g_autoptr(GError) err = NULL;
	g_option_context_set_summary(ctx, "Inside ccidlab vm: (re)starts the guest's pcscd with "
					  "these drivers, or stops it.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "ccidlab vm pcscd: %s\n", err->message);
		return 2;
	}
	if (stop)
		return vm_guest_pcscd_stop(STOP_MS) ? 0 : 1;
	if (!vm_guest_pcscd_start(drivers ? drivers : "ccidlab", log, START_MS, &err)) {
		fprintf(stderr, "ccidlab vm pcscd: %s\n", err->message);
		return 1;
	}
	return 0;
}
