/* ccidlab — `ccidlab vm guest-init PLAN`: the guest's PID 1 after the
 * initramfs (vm-init.sh).  It lays out what a test needs on top of the
 * host's read-only root, starts udev and pcscd, says hello to the host,
 * runs the command with its output on the stdout and stderr ports, then
 * stops everything, reports the status and powers the guest off.
 *
 * Layout: tmpfs on /tmp, /var/tmp, /dev/shm and /etc/reader.conf.d (an
 * empty one: the host's readers are not the guest's); devpts; the results
 * share read-write at the same path as on the host (the only host
 * directory the guest can write: the root share is read-only in QEMU
 * itself); a tmpfs on the pcscd drop dir with the host's one kept at
 * /run/ccidlab-vm/host-drivers (guest_pcscd.c); the network at 10.0.2.15
 * with no route beyond 10.0.2.0/24 (the host's loopback is 10.0.2.2).
 *
 * As PID 1 it reaps every orphan, and nothing it waits for is unbounded.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm_priv.h"

#define UDEVD "/lib/systemd/systemd-udevd"
#define BUSYBOX "/bin/busybox"
#define HELLO_MS 20000
#define EXIT_MS 10000
#define SETTLE_S "60"
#define KILL_GRACE_MS 3000
#define PCSCD_MS 30000

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "ccidlab-vm-guest: %s\n", msg);
}

/* Each step on the console with the guest's uptime: where boot time goes. */
static void step(const char *what)
{
	g_autofree char *up = NULL;
	if (g_file_get_contents("/proc/uptime", &up, NULL, NULL))
		*strchrnul(up, ' ') = '\0';
	say("%s (uptime %s s)", what, up ? up : "?");
}

static G_GNUC_NORETURN void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static G_GNUC_NORETURN void die(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static G_GNUC_NORETURN void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	say("%s", msg);
	g_autofree char *req = g_strdup_printf("fail %s", msg);
	vm_guest_request(req, EXIT_MS, NULL, NULL);
	power_off();
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags,
		const char *data)
{
	g_mkdir_with_parents(dst, 0755);
	if (mount(src, dst, type, flags, data) != 0)
		die("mount %s on %s: %s", type ? type : src, dst, g_strerror(errno));
}

/* Runs argv and waits for it (reaping orphans meanwhile); its status. */
static int run_wait(char *const argv[], bool quiet)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	for (;;) {
		pid_t r = waitpid(-1, &st, 0);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* /tmp: writable, and the host's /tmp still seen through it (a command
 * or a test's files there): an overlay of a tmpfs on the host's
 * (read-only) /tmp; a plain tmpfs if the kernel refuses the overlay. */
static void tmp_dir(void)
{
	const char *lower = VM_GUEST_DIR "/host-tmp", *upper = VM_GUEST_DIR "/tmp-rw";
	g_mkdir_with_parents(lower, 0755);
	g_mkdir_with_parents(upper, 0755);
	if (mount("/tmp", lower, NULL, MS_BIND, NULL) == 0 &&
	    mount("tmpfs", upper, "tmpfs", 0, "mode=0755") == 0) {
		g_mkdir(VM_GUEST_DIR "/tmp-rw/upper", 01777);
		g_chmod(VM_GUEST_DIR "/tmp-rw/upper", 01777);
		g_mkdir(VM_GUEST_DIR "/tmp-rw/work", 0755);
		if (mount("overlay", "/tmp", "overlay", 0,
			  "lowerdir=" VM_GUEST_DIR "/host-tmp,upperdir=" VM_GUEST_DIR
			  "/tmp-rw/upper,workdir=" VM_GUEST_DIR "/tmp-rw/work") == 0)
			return;
		say("the host's /tmp cannot be overlaid (%s): a bare tmpfs", g_strerror(errno));
	}
	mnt("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
}

static void layout(GKeyFile *kf)
{
	tmp_dir();
	mnt("tmpfs", "/var/tmp", "tmpfs", 0, "mode=1777");
	mnt("devpts", "/dev/pts", "devpts", 0, "mode=0620,ptmxmode=0666");
	mnt("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777");
	if (g_file_test("/etc/reader.conf.d", G_FILE_TEST_IS_DIR))
		mnt("tmpfs", "/etc/reader.conf.d", "tmpfs", 0, "mode=0755");
	g_autofree char *results = g_key_file_get_string(kf, "guest", "results", NULL);
	if (results == NULL || results[0] != '/')
		die("the plan names no results directory");
	mnt(VM_TAG_RESULTS, results, "9p", 0,
	    "trans=virtio,version=9p2000.L,msize=262144,cache=none");
	/* The host's drivers stay readable; the drop dir is ours. */
	if (g_file_test(PCSC_DROP_DIR, G_FILE_TEST_IS_DIR)) {
		mnt(PCSC_DROP_DIR, VM_GUEST_HOST_DRIVERS, NULL, MS_BIND, NULL);
		mnt("tmpfs", PCSC_DROP_DIR, "tmpfs", 0, "mode=0755");
	}
}

static void network(void)
{
	char *lo[] = { BUSYBOX, "ip", "link", "set", "lo", "up", NULL };
	char *addr[] = { BUSYBOX, "ip", "addr", "add", VM_NET_GUEST, "dev", "eth0", NULL };
	char *up[] = { BUSYBOX, "ip", "link", "set", "eth0", "up", NULL };
	if (run_wait(lo, false) != 0 || run_wait(addr, false) != 0 || run_wait(up, false) != 0)
		say("the network did not come up (the host's 10.0.2.2 is out of reach)");
}

/* udevd, so that pcscd's libudev monitor hears USB devices come and go.
 * Only the USB devices are replayed ("add") for it: pcscd enumerates the
 * bus from sysfs itself, and the rest of the host's rules have nothing to
 * do in the guest (a full trigger costs seconds under TCG). */
static void udev(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		execl(UDEVD, UDEVD, (char *)NULL);
		_exit(127);
	}
	char *trigger[] = { "/usr/bin/udevadm", "trigger", "--subsystem-match=usb",
			    "--action=add", NULL };
	char *settle[] = { "/usr/bin/udevadm", "settle", "--timeout=" SETTLE_S, NULL };
	if (pid < 0 || run_wait(trigger, false) != 0 || run_wait(settle, false) != 0)
		say("udev did not start or settle: pcscd's hotplug may miss devices");
}

static char **nul_list(const char *path)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, NULL))
		die("cannot read %s", path);
	g_autoptr(GPtrArray) v = g_ptr_array_new();
	for (gsize at = 0; at < len;) {
		size_t n = strnlen(data + at, len - at);
		g_ptr_array_add(v, g_strndup(data + at, n));
		at += n + 1;
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&v), FALSE);
}

static pid_t start_cmd(const char *plan, GKeyFile *kf)
{
	g_autofree char *argv_path = g_build_filename(plan, "argv", NULL);
	g_autofree char *env_path = g_build_filename(plan, "env", NULL);
	g_auto(GStrv) argv = nul_list(argv_path);
	g_auto(GStrv) env = nul_list(env_path);
	g_autofree char *cwd = g_key_file_get_string(kf, "guest", "cwd", NULL);
	if (argv[0] == NULL)
		die("the plan has no command");
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	setsid();
	int in = open("/dev/null", O_RDONLY);
	g_autofree char *out_path = vm_guest_port(VM_PORT_STDOUT);
	g_autofree char *err_path = vm_guest_port(VM_PORT_STDERR);
	int out = open(out_path, O_WRONLY | O_NOCTTY);
	int err = open(err_path, O_WRONLY | O_NOCTTY);
	if (in < 0 || out < 0 || err < 0) {
		say("cannot open the command's ports: %s", g_strerror(errno));
		_exit(VM_EXIT_FAILED);
	}
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	if (cwd == NULL || chdir(cwd) != 0) {
		dprintf(2, "ccidlab vm: the guest has no %s: running in /\n", cwd ? cwd : "cwd");
		(void)!chdir("/");
	}
	execvpe(argv[0], argv, env);
	dprintf(2, "ccidlab vm: cannot run %s: %s\n", argv[0], g_strerror(errno));
	_exit(127);
}

/* Waits for the command, reaping whatever else ends meanwhile. */
static int wait_cmd(pid_t cmd)
{
	for (;;) {
		int st = 0;
		pid_t r = waitpid(-1, &st, 0);
		if (r == cmd) {
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : VM_EXIT_FAILED;
		}
		if (r < 0 && errno == ECHILD)
			return VM_EXIT_FAILED;
	}
}

/* Every process but us: SIGTERM, a grace, SIGKILL; all reaped. */
static void end_all(void)
{
	kill(-1, SIGTERM);
	gint64 end = g_get_monotonic_time() + KILL_GRACE_MS * 1000;
	while (g_get_monotonic_time() < end) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r < 0 && errno == ECHILD)
			return;
		if (r == 0)
			g_usleep(10000);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

int vm_guest_init(int argc, char **argv)
{
	if (getpid() != 1 || argc != 2) {
		fprintf(stderr, "ccidlab vm guest-init: the guest's init, run by ccidlab vm only\n");
		return 2;
	}
	const char *plan = argv[1];
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *conf = g_build_filename(plan, "config", NULL);
	g_autoptr(GError) err = NULL;
	if (!g_key_file_load_from_file(kf, conf, G_KEY_FILE_NONE, &err))
		die("%s: %s", conf, err->message);
	g_setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
	step("stage 2");
	layout(kf);
	if (g_key_file_get_boolean(kf, "guest", "net", NULL))
		network();
	step("udev");
	udev();
	step("hello");
	if (!vm_guest_request("hello", HELLO_MS, NULL, &err))
		die("the host does not answer: %s", err->message);
	if (g_key_file_get_boolean(kf, "guest", "pcscd", NULL)) {
		g_autofree char *drivers = g_key_file_get_string(kf, "guest", "drivers", NULL);
		if (!vm_guest_pcscd_start(drivers ? drivers : "ccidlab", NULL, PCSCD_MS, &err))
			die("%s", err->message);
	}
	step("command");
	int status = wait_cmd(start_cmd(plan, kf));
	step("command ended");
	vm_guest_pcscd_stop(10000);
	end_all();
	sync();
	g_autofree char *req = g_strdup_printf("exit %d", status);
	if (!vm_guest_request(req, EXIT_MS, NULL, &err))
		say("cannot report the status %d: %s", status, err->message);
	power_off();
}
