/* ccidlab — `ccidlab vm` options, and where its files are. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm_priv.h"

/* The boot bounds a hang, it measures no speed.  Under KVM a guest is up
 * in seconds.  Under TCG every guest instruction is QEMU's work, so the
 * boot takes as long as QEMU gets the CPU: 16-22 s on an idle 2-core
 * machine, 62 s with the other tests running, past 120 s with a busy
 * loop on each core as well (issue 20, make check-loaded). */
#define BOOT_TIMEOUT_KVM_S 120
#define BOOT_TIMEOUT_TCG_S 600
#define TIMEOUT_S 900
#define MEMORY_MB 1024
#define MAX_READERS 8

/* The build tree this command runs from (it holds config.status and the
 * staged bundle), or NULL when installed. */
static char *build_root(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe == NULL)
		return NULL;
	g_autofree char *dir = g_path_get_dirname(exe);
	for (int up = 0; up < 3; up++) {
		g_autofree char *status = g_build_filename(dir, "config.status", NULL);
		g_autofree char *bundle = g_build_filename(dir, "bundle", "ifd-ccidlab.bundle", NULL);
		if (g_file_test(status, G_FILE_TEST_IS_REGULAR) &&
		    g_file_test(bundle, G_FILE_TEST_IS_DIR))
			return g_steal_pointer(&dir);
		char *parent = g_path_get_dirname(dir);
		g_free(dir);
		dir = parent;
	}
	return NULL;
}

char *vm_libexec_file(const char *name)
{
	g_autofree char *root = build_root();
	if (root != NULL)
		return g_build_filename(root, "src", "vm", name, NULL);
	return g_build_filename(PKGLIBEXECDIR, name, NULL);
}

char *vm_default_driver(void)
{
	const char *env = g_getenv("CCIDLAB_DRIVER");
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	g_autofree char *root = build_root();
	if (root != NULL)
		return g_build_filename(root, "bundle", "ifd-ccidlab.bundle", "Contents", "Linux",
					"libccidlab.so", NULL);
	return g_build_filename(USBDROPDIR, "ifd-ccidlab.bundle", "Contents", "Linux",
				"libccidlab.so", NULL);
}

char *vm_cache_dir(const vm_opts *o)
{
	if (o->cache_dir != NULL)
		return g_strdup(o->cache_dir);
	const char *env = g_getenv("CCIDLAB_VM_CACHE");
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	return g_strdup("/var/cache/ccidlab/vm");
}

int vm_cache_lock(const char *cache, GError **error)
{
	if (g_mkdir_with_parents(cache, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create the cache %s: %s (--cache DIR or $CCIDLAB_VM_CACHE)",
			    cache, g_strerror(errno));
		return -1;
	}
	g_autofree char *path = g_build_filename(cache, ".lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		vm_errno(error, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* --reader KIND[:SPEC]: cac, empty, passthru[:CARD[|FAULT]...]. */
static bool parse_reader(const char *s, vm_reader *r)
{
	memset(r, 0, sizeof *r);
	if (strcmp(s, "cac") == 0) {
		r->card = VM_CARD_CAC;
		return true;
	}
	if (strcmp(s, "empty") == 0) {
		r->card = VM_CARD_NONE;
		return true;
	}
	if (strcmp(s, "passthru") == 0 || g_str_has_prefix(s, "passthru:")) {
		r->card = VM_CARD_PASSTHRU;
		r->spec = g_strdup(s[8] == ':' && s[9] != '\0' ? s + 9 : "readertest@t0");
		return true;
	}
	fprintf(stderr, "ccidlab vm: --reader %s: cac, empty, or passthru[:CARD[|FAULT]...]\n", s);
	return false;
}

static bool check_drivers(const char *d)
{
	static const char *const ok[] = { "ccidlab", "libccid", "both", "none" };
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++)
		if (strcmp(d, ok[i]) == 0)
			return true;
	fprintf(stderr, "ccidlab vm: --drivers %s: ccidlab, libccid, both or none\n", d);
	return false;
}

static bool check_numbers(const vm_opts *o)
{
	if (o->boot_timeout_s < 1 || o->timeout_s < 1 || o->boot_timeout_s > o->timeout_s) {
		fprintf(stderr, "ccidlab vm: timeouts: 1 <= --boot-timeout <= --timeout\n");
		return false;
	}
	if (o->memory_mb < 256 || o->memory_mb > 16384 || o->cpus < 1 || o->cpus > 16) {
		fprintf(stderr, "ccidlab vm: --memory 256..16384 MB, --cpus 1..16\n");
		return false;
	}
	return true;
}

bool vm_opts_parse(vm_opts *o, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	o->boot_timeout_s = -1;	/* by the accelerator, once it is known */
	o->timeout_s = TIMEOUT_S;
	o->memory_mb = MEMORY_MB;
	o->cpus = 1;
	GOptionEntry entries[] = {
		{ "reader", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->readers,
		  "a usb-ccid reader: cac (default), empty, passthru[:CARD[|FAULT]...] (repeatable); "
		  "none alone: no usb-ccid",
		  "KIND" },
		{ "drivers", 0, 0, G_OPTION_ARG_STRING, &o->drivers,
		  "the guest's pcscd drivers: ccidlab (default), libccid, both, none", "WHICH" },
		{ "driver", 'D', 0, G_OPTION_ARG_FILENAME, &o->driver,
		  "ccidlab's libccidlab.so (default: $CCIDLAB_DRIVER, the build tree's, the installed one)",
		  "PATH" },
		{ "no-pcscd", 0, 0, G_OPTION_ARG_NONE, &o->no_pcscd,
		  "start no pcscd before CMD (ccidlab vm pcscd starts one)", NULL },
		{ "results", 0, 0, G_OPTION_ARG_FILENAME, &o->results,
		  "the host directory the guest may write (same path inside; default: a temporary one)",
		  "DIR" },
		{ "console", 0, 0, G_OPTION_ARG_FILENAME, &o->console,
		  "keep the guest's console in FILE (default: kept in the results when a run fails)",
		  "FILE" },
		{ "env", 'e', 0, G_OPTION_ARG_STRING_ARRAY, &o->env,
		  "pass NAME (or NAME=VALUE) into the guest's environment (repeatable)", "NAME[=VALUE]" },
		{ "device", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->devices,
		  "one more QEMU -device; with id=ID the guest may plug and unplug it (repeatable)",
		  "DEVICE" },
		{ "qemu-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->qemu_args,
		  "one more QEMU argument, verbatim (repeatable)", "ARG" },
		{ "pcap", 0, 0, G_OPTION_ARG_NONE, &o->pcap,
		  "capture each usb-ccid's USB traffic into the results (ccidN.pcap)", NULL },
		{ "nss-db", 0, 0, G_OPTION_ARG_FILENAME, &o->nss_db,
		  "the CAC card's NSS database (default: made with certutil for the run)", "DIR" },
		{ "no-net", 0, 0, G_OPTION_ARG_NONE, &o->no_net,
		  "no network (default: the host's loopback is " VM_NET_HOST " in the guest)", NULL },
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o->kernel_dir,
		  "an unpacked kernel package (boot/vmlinuz-*, lib/modules/*) instead of Debian's",
		  "DIR" },
		{ "cache", 0, 0, G_OPTION_ARG_FILENAME, &o->cache_dir,
		  "the cache (default: $CCIDLAB_VM_CACHE, else /var/cache/ccidlab/vm)", "DIR" },
		{ "fetch", 0, 0, G_OPTION_ARG_NONE, &o->fetch,
		  "only fetch the kernel and make the initramfs, then exit", NULL },
		{ "boot-timeout", 0, 0, G_OPTION_ARG_INT, &o->boot_timeout_s,
		  "seconds for the guest to come up (default 120 under KVM, 600 under TCG, at most "
		  "--timeout)", "S" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &o->timeout_s,
		  "seconds for the whole run (default 900)", "S" },
		{ "memory", 0, 0, G_OPTION_ARG_INT, &o->memory_mb, "guest memory (default 1024)", "MB" },
		{ "cpus", 0, 0, G_OPTION_ARG_INT, &o->cpus, "guest CPUs (default 1)", "N" },
		{ "accel", 0, 0, G_OPTION_ARG_STRING, &o->accel,
		  "kvm, tcg, or auto (default: kvm when /dev/kvm opens)", "ACCEL" },
		{ "qemu", 0, 0, G_OPTION_ARG_FILENAME, &o->qemu,
		  "the QEMU binary (default qemu-system-x86_64)", "PATH" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "say nothing unless something fails",
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->cmd, NULL, "CMD [ARGS...]" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("-- CMD [ARGS...]");
	g_option_context_set_summary(ctx,
		"Runs CMD as root in a Linux guest (Debian's kernel under QEMU) with QEMU's\n"
		"usb-ccid readers on xHCI, the host's root read-only over 9p, udev and a\n"
		"pcscd; returns CMD's output and exit status.  Inside the guest:\n"
		"ccidlab vm plug|unplug ID, insert|eject ID, list, pcscd (ccidlab(1)).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_strict_posix(ctx, TRUE);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "ccidlab vm: %s\n", err->message);
		return false;
	}
	if (!o->fetch && (o->cmd == NULL || o->cmd[0] == NULL)) {
		fprintf(stderr, "ccidlab vm: no command (ccidlab vm [OPTIONS] -- CMD [ARGS...])\n");
		return false;
	}
	if (o->drivers == NULL)
		o->drivers = g_strdup("ccidlab");
	if (o->accel != NULL && strcmp(o->accel, "kvm") != 0 && strcmp(o->accel, "tcg") != 0 &&
	    strcmp(o->accel, "auto") != 0) {
		fprintf(stderr, "ccidlab vm: --accel %s: kvm, tcg or auto\n", o->accel);
		return false;
	}
	if (o->boot_timeout_s == -1)
		o->boot_timeout_s = MIN(strcmp(vm_qemu_accel(o), "kvm") == 0 ? BOOT_TIMEOUT_KVM_S
									   : BOOT_TIMEOUT_TCG_S,
					MAX(o->timeout_s, 1));
	if (!check_drivers(o->drivers) || !check_numbers(o))
		return false;
	guint n = o->readers ? g_strv_length(o->readers) : 1;
	/* --reader none: no usb-ccid at all (the guest's USB devices come
	 * from elsewhere: --device, or a USB/IP server on the host). */
	if (n == 1 && o->readers != NULL && strcmp(o->readers[0], "none") == 0) {
		o->n_rd = 0;
		return true;
	}
	if (n > MAX_READERS) {
		fprintf(stderr, "ccidlab vm: at most %d --reader\n", MAX_READERS);
		return false;
	}
	o->rd = g_new0(vm_reader, n);
	o->n_rd = n;
	for (guint i = 0; i < n; i++)
		if (!parse_reader(o->readers ? o->readers[i] : "cac", &o->rd[i]))
			return false;
	return true;
}

void vm_opts_clear(vm_opts *o)
{
	for (guint i = 0; i < o->n_rd; i++)
		g_free(o->rd[i].spec);
	g_free(o->rd);
	g_free(o->kernel_dir);
	g_free(o->cache_dir);
	g_free(o->results);
	g_free(o->console);
	g_strfreev(o->readers);
	g_strfreev(o->devices);
	g_strfreev(o->qemu_args);
	g_strfreev(o->env);
	g_free(o->drivers);
	g_free(o->driver);
	g_free(o->nss_db);
	g_free(o->qemu);
	g_free(o->accel);
	g_strfreev(o->cmd);
}
