/* ccidlab — the guest's kernel: Debian's stock kernel, the package that
 * linux-image-amd64 depends on, fetched with `apt-get download` into the
 * cache and unpacked there with `dpkg -x`.  Never installed on the host.
 * --kernel DIR takes any unpacked kernel package instead. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm_priv.h"

#define META_PACKAGE "linux-image-amd64"

/* Runs argv in cwd; on failure the error holds the end of its output. */
static bool run(char **argv, const char *cwd, char **out, GError **error)
{
	g_autofree char *so = NULL, *se = NULL;
	int status = 0;
	if (!g_spawn_sync(cwd, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &so, &se, &status,
			  error))
		return false;
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_autofree char *all = g_strconcat(so ? so : "", se ? se : "", NULL);
		size_t len = strlen(all);
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", argv[0],
			    len > 600 ? all + len - 600 : all);
		return false;
	}
	if (out != NULL)
		*out = g_steal_pointer(&so);
	return true;
}

/* "linux-image-6.1.0-57-amd64", from the package lists. */
static char *kernel_package(GError **error)
{
	char *argv[] = { "apt-cache", "depends", "--important", META_PACKAGE, NULL };
	g_autofree char *out = NULL;
	if (!run(argv, NULL, &out, error))
		return NULL;
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		const char *l = g_strstrip(lines[i]);
		if (g_str_has_prefix(l, "Depends: linux-image-") && strchr(l, '<') == NULL)
			return g_strdup(l + strlen("Depends: "));
	}
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		    "apt-cache knows no kernel package for %s (run apt-get update)", META_PACKAGE);
	return NULL;
}

/* A kernel package unpacked in root: boot/vmlinuz-RELEASE and
 * lib/modules/RELEASE. */
static bool find_in(const char *root, vm_kernel *k)
{
	g_autofree char *boot = g_build_filename(root, "boot", NULL);
	g_autoptr(GDir) d = g_dir_open(boot, 0, NULL);
	if (d == NULL)
		return false;
	for (const char *name; (name = g_dir_read_name(d)) != NULL;) {
		if (!g_str_has_prefix(name, "vmlinuz-"))
			continue;
		const char *release = name + strlen("vmlinuz-");
		g_autofree char *mods = g_build_filename(root, "lib", "modules", release, NULL);
		if (!g_file_test(mods, G_FILE_TEST_IS_DIR))
			continue;
		k->root = g_strdup(root);
		k->vmlinuz = g_build_filename(boot, name, NULL);
		k->release = g_strdup(release);
		k->modules = g_steal_pointer(&mods);
		return true;
	}
	return false;
}

static bool fetch(const char *dir, const char *package, const char *cache, GError **error)
{
	g_autofree char *tmp = g_build_filename(cache, "kernel", ".fetch-XXXXXX", NULL);
	if (g_mkdtemp(tmp) == NULL) {
		vm_errno(error, tmp);
		return false;
	}
	/* apt drops to its own user for downloads where it can; into a
	 * private directory it cannot, and says so: run it as ourselves. */
	char *dl[] = { "apt-get", "-q", "-o", "APT::Sandbox::User=root", "download", (char *)package,
		       NULL };
	bool ok = run(dl, tmp, NULL, error);
	g_autofree char *deb = NULL;
	if (ok) {
		g_autoptr(GDir) d = g_dir_open(tmp, 0, error);
		for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;)
			if (g_str_has_suffix(n, ".deb"))
				deb = g_build_filename(tmp, n, NULL);
		ok = deb != NULL;
		if (!ok && error != NULL && *error == NULL)
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
				    "apt-get download %s left no .deb", package);
	}
	g_autofree char *unpacked = g_build_filename(tmp, "root", NULL);
	if (ok) {
		char *x[] = { "dpkg", "-x", deb, unpacked, NULL };
		ok = run(x, NULL, NULL, error);
	}
	if (ok && g_rename(unpacked, dir) != 0) {
		vm_errno(error, dir);
		ok = false;
	}
	char *rm[] = { "rm", "-rf", tmp, NULL };
	run(rm, NULL, NULL, NULL);
	return ok;
}

/* The kernel proper, out of its bzImage: Debian's is xz-compressed, and
 * QEMU boots the ELF directly by its PVH entry note (CONFIG_PVH), with no
 * BIOS real-mode loader and no decompression under TCG: seconds less per
 * boot.  Best effort: without it the bzImage boots as it is. */
#define XZ_MAGIC "\xFD" "7zXZ"

static void extract_vmlinux(vm_kernel *k)
{
	g_autofree char *out = g_build_filename(k->root, "vmlinux", NULL);
	if (g_file_test(out, G_FILE_TEST_IS_REGULAR)) {
		k->boot = g_steal_pointer(&out);
		return;
	}
	g_autofree char *img = NULL;
	gsize len = 0;
	if (!g_file_get_contents(k->vmlinuz, &img, &len, NULL))
		return;
	const char *at = memmem(img, len, XZ_MAGIC "\0", 6);
	if (at == NULL)
		return;
	g_autofree char *xz = g_build_filename(k->root, ".payload.xz", NULL);
	g_autofree char *tmp = g_build_filename(k->root, ".vmlinux.tmp", NULL);
	if (!g_file_set_contents(xz, at, (gssize)(len - (gsize)(at - img)), NULL))
		return;
	g_autofree char *qxz = g_shell_quote(xz), *qtmp = g_shell_quote(tmp);
	g_autofree char *cmd = g_strdup_printf("xz -dc --single-stream %s > %s", qxz, qtmp);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int status = 0;
	bool ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
			       &status, NULL) && g_spawn_check_wait_status(status, NULL);
	g_unlink(xz);
	g_autofree char *head = NULL;
	gsize hlen = 0;
	/* An ELF it must be; QEMU says so if its PVH note is missing. */
	if (ok && g_file_get_contents(tmp, &head, &hlen, NULL) && hlen > 4 &&
	    memcmp(head, "\x7F" "ELF", 4) == 0 && g_rename(tmp, out) == 0)
		k->boot = g_steal_pointer(&out);
	else
		g_unlink(tmp);
}

/* Without package lists (no apt-get update yet), the newest kernel the
 * cache already has. */
static bool newest_cached(const char *kdir, vm_kernel *k)
{
	g_autoptr(GDir) d = g_dir_open(kdir, 0, NULL);
	g_autofree char *best = NULL;
	for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;)
		if (n[0] != '.' && (best == NULL || strverscmp(n, best) > 0)) {
			g_free(best);
			best = g_strdup(n);
		}
	if (best == NULL)
		return false;
	g_autofree char *root = g_build_filename(kdir, best, NULL);
	return find_in(root, k);
}

bool vm_kernel_get(const vm_opts *o, const char *cache, vm_kernel *k, GError **error)
{
	memset(k, 0, sizeof *k);
	if (o->kernel_dir != NULL) {
		if (find_in(o->kernel_dir, k))
			return true;
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "--kernel %s: no boot/vmlinuz-RELEASE with lib/modules/RELEASE",
			    o->kernel_dir);
		return false;
	}
	g_autofree char *kdir = g_build_filename(cache, "kernel", NULL);
	if (g_mkdir_with_parents(kdir, 0755) != 0) {
		vm_errno(error, kdir);
		return false;
	}
	g_autoptr(GError) lists = NULL;
	g_autofree char *package = kernel_package(&lists);
	if (package == NULL) {
		if (newest_cached(kdir, k)) {
			extract_vmlinux(k);
			return true;
		}
		g_propagate_error(error, g_steal_pointer(&lists));
		return false;
	}
	g_autofree char *dir = g_build_filename(kdir, package, NULL);
	if (find_in(dir, k)) {
		extract_vmlinux(k);
		return true;
	}
	if (!o->quiet)
		fprintf(stderr, "ccidlab vm: fetching %s into %s (once)\n", package, kdir);
	if (!fetch(dir, package, cache, error))
		return false;
	if (find_in(dir, k)) {
		extract_vmlinux(k);
		return true;
	}
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s holds no kernel", dir);
	return false;
}

void vm_kernel_clear(vm_kernel *k)
{
	g_free(k->root);
	g_free(k->vmlinuz);
	g_free(k->boot);
	g_free(k->release);
	g_free(k->modules);
	memset(k, 0, sizeof *k);
}
