/* ccidlab — the guest's initramfs: busybox (static), the modules the
 * guest needs and their dependencies, and the first stage
 * (ccidlab-vm-init) as /init.  A newc cpio, uncompressed (the kernel
 * takes it as it is, and it is loaded from the host's page cache).
 *
 * The modules: virtio over PCI, the console ports, the network card, 9p
 * over virtio, xHCI and the USB core, USB/IP's vhci-hcd (for a USB/IP
 * server on the host, `usbip attach` in the guest) and overlayfs.  Each
 * module's dependencies are read from its own `depends=` (modinfo), and
 * loaded first.  Cached per kernel release and content.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm_priv.h"

#define BUSYBOX "/bin/busybox"
#define INIT_SCRIPT "ccidlab-vm-init"
#define MAX_MODULES 64
#define MAX_DEPTH 16

static const char *const wanted[] = {
	"virtio_pci", "virtio_console", "virtio_net", "9pnet_virtio", "9p",
	"xhci_pci", "usbip_core", "vhci_hcd", "overlay",
};

/* modinfo and the kernel write '-' and '_' alike in module names. */
static char *norm(const char *name)
{
	char *n = g_strdup(name);
	g_strdelimit(n, "-", '_');
	return n;
}

/* name -> path of every .ko under dir. */
static void index_dir(const char *dir, GHashTable *idx, int depth)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	if (d == NULL || depth > MAX_DEPTH)
		return;
	for (const char *n; (n = g_dir_read_name(d)) != NULL;) {
		g_autofree char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			index_dir(p, idx, depth + 1);
		else if (g_str_has_suffix(n, ".ko")) {
			g_autofree char *base = g_strndup(n, strlen(n) - 3);
			g_hash_table_insert(idx, norm(base), g_steal_pointer(&p));
		}
	}
}

static char *depends(const char *path, GError **error)
{
	char *argv[] = { "modinfo", "-F", "depends", (char *)path, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status = 0;
	/* /sbin is not on every user's PATH. */
	const char *env_path = g_getenv("PATH");
	g_autofree char *path_env = g_strdup_printf("PATH=%s:/sbin:/usr/sbin",
						    env_path ? env_path : "/usr/bin:/bin");
	char *envp[] = { path_env, NULL };
	if (!g_spawn_sync(NULL, argv, envp, G_SPAWN_SEARCH_PATH_FROM_ENVP, NULL, NULL, &out, &err,
			  &status, error))
		return NULL;
	if (!g_spawn_check_wait_status(status, error))
		return NULL;
	return g_strstrip(g_steal_pointer(&out));
}

/* Appends name's dependencies, then name, to order (once each). */
static bool closure(const char *name, GHashTable *idx, GPtrArray *order, int depth,
		    GError **error)
{
	g_autofree char *n = norm(name);
	for (guint i = 0; i < order->len; i++)
		if (strcmp(g_ptr_array_index(order, i), n) == 0)
			return true;
	const char *path = g_hash_table_lookup(idx, n);
	if (path == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "module %s not found in the kernel (compressed modules are not "
			    "supported)", n);
		return false;
	}
	if (depth > MAX_DEPTH || order->len >= MAX_MODULES) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "module %s: dependencies too deep or too many", n);
		return false;
	}
	g_autofree char *deps = depends(path, error);
	if (deps == NULL)
		return false;
	g_auto(GStrv) list = g_strsplit(deps, ",", -1);
	for (guint i = 0; list[i] != NULL; i++)
		if (list[i][0] != '\0' && !closure(list[i], idx, order, depth + 1, error))
			return false;
	g_ptr_array_add(order, g_steal_pointer(&n));
	return true;
}

/* busybox must run without a libc: the initramfs has none. */
static bool is_static_elf(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, error))
		return false;
	Elf64_Ehdr eh;
	bool ok = len >= sizeof eh;
	if (ok)
		memcpy(&eh, data, sizeof eh);
	ok = ok && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	     eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phoff < len &&
	     (len - eh.e_phoff) / sizeof(Elf64_Phdr) >= eh.e_phnum;
	for (unsigned i = 0; ok && i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, data + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_INTERP)
			ok = false;
	}
	if (!ok)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "%s is not a static 64-bit ELF: install busybox-static", path);
	return ok;
}

/* ---- newc cpio ---- */

static void cpio_entry(GByteArray *a, const char *name, unsigned mode, unsigned rdev_major,
		       unsigned rdev_minor, const void *data, size_t len)
{
	static unsigned ino = 1;
	static const uint8_t zero[4] = { 0 };
	size_t namesize = strlen(name) + 1;
	g_autofree char *hdr = g_strdup_printf(
		"070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino++, mode, 0u, 0u,
		1u, 0u, (unsigned)len, 0u, 0u, rdev_major, rdev_minor, (unsigned)namesize, 0u);
	g_byte_array_append(a, (const guint8 *)hdr, 110);
	g_byte_array_append(a, (const guint8 *)name, (guint)namesize);
	g_byte_array_append(a, zero, (guint)((4 - (110 + namesize) % 4) % 4));
	if (len > 0)
		g_byte_array_append(a, data, (guint)len);
	g_byte_array_append(a, zero, (guint)((4 - len % 4) % 4));
}

static bool cpio_file(GByteArray *a, const char *name, const char *path, unsigned mode,
		      GError **error)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, error))
		return false;
	cpio_entry(a, name, S_IFREG | mode, 0, 0, data, len);
	return true;
}

static GByteArray *build(const vm_kernel *k, const char *init, GPtrArray *order,
			 GHashTable *idx, GError **error)
{
	g_autoptr(GByteArray) a = g_byte_array_new();
	static const char *const dirs[] = { ".", "bin", "dev", "proc", "sys", "newroot", "modules" };
	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++)
		cpio_entry(a, dirs[i], S_IFDIR | 0755, 0, 0, NULL, 0);
	/* The kernel opens /dev/console for init before anything is mounted. */
	cpio_entry(a, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
	if (!cpio_file(a, "init", init, 0755, error) || !cpio_file(a, "bin/busybox", BUSYBOX, 0755, error))
		return NULL;
	GString *list = g_string_new(NULL);
	for (guint i = 0; i < order->len; i++) {
		const char *n = g_ptr_array_index(order, i);
		g_autofree char *dst = g_strdup_printf("modules/%s.ko", n);
		if (!cpio_file(a, dst, g_hash_table_lookup(idx, n), 0644, error)) {
			g_string_free(list, TRUE);
			return NULL;
		}
		g_string_append_printf(list, "%s.ko\n", n);
	}
	cpio_entry(a, "modules/order", S_IFREG | 0644, 0, 0, list->str, list->len);
	g_string_free(list, TRUE);
	cpio_entry(a, "TRAILER!!!", 0, 0, 0, NULL, 0);
	(void)k;
	return g_steal_pointer(&a);
}

/* What the cached file depends on: the kernel, the init script, busybox,
 * and the list of wanted modules (their dependencies follow from the
 * kernel).  No module is read for it: a cached run costs no modinfo. */
static char *cache_key(const vm_kernel *k, const char *init)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree char *script = NULL;
	gsize len = 0;
	struct stat st;
	g_checksum_update(sum, (const guchar *)k->vmlinuz, -1);
	if (stat(k->vmlinuz, &st) == 0) {
		g_autofree char *kv = g_strdup_printf("%lld %lld", (long long)st.st_size,
						      (long long)st.st_mtime);
		g_checksum_update(sum, (const guchar *)kv, -1);
	}
	if (g_file_get_contents(init, &script, &len, NULL))
		g_checksum_update(sum, (const guchar *)script, (gssize)len);
	if (stat(BUSYBOX, &st) == 0) {
		g_autofree char *bb = g_strdup_printf("%lld %lld", (long long)st.st_size,
						      (long long)st.st_mtime);
		g_checksum_update(sum, (const guchar *)bb, -1);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(wanted); i++)
		g_checksum_update(sum, (const guchar *)wanted[i], -1);
	return g_strndup(g_checksum_get_string(sum), 16);
}

char *vm_initramfs_get(const vm_kernel *k, const char *cache, GError **error)
{
	g_autofree char *init = vm_libexec_file(INIT_SCRIPT);
	if (!g_file_test(init, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s is missing", init);
		return NULL;
	}
	g_autofree char *key = cache_key(k, init);
	g_autofree char *dir = g_build_filename(cache, "initramfs", NULL);
	g_autofree char *name = g_strdup_printf("%s-%s.cpio", k->release, key);
	char *path = g_build_filename(dir, name, NULL);
	if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
		return path;
	g_autoptr(GHashTable) idx = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	index_dir(k->modules, idx, 0);
	g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < G_N_ELEMENTS(wanted); i++)
		if (!closure(wanted[i], idx, order, 0, error)) {
			g_free(path);
			return NULL;
		}
	g_autoptr(GByteArray) a = NULL;
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		vm_errno(error, dir);
	} else if (is_static_elf(BUSYBOX, error) && (a = build(k, init, order, idx, error)) != NULL &&
		   g_file_set_contents(path, (const char *)a->data, (gssize)a->len, error)) {
		return path;
	}
	g_free(path);
	return NULL;
}
