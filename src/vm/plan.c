/* ccidlab — what one run declares: the devices (and which of them the
 * guest may unplug and plug again), the VSCard endpoints of the passthru
 * cards, the CAC card's NSS database, and the plan directory the guest
 * reads (read-only): stage2 (exec'd by the initramfs), config (a key
 * file), argv and env (NUL-separated). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "vm/vm_priv.h"

/* Host variables the guest's command gets as they are, besides --env. */
static const char *const passed_env[] = {
	"PATH", "LANG", "LC_ALL", "TERM", "PYTHONPATH", "PYTHON3", "top_srcdir", "top_builddir",
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "G_DEBUG", "G_MESSAGES_DEBUG",
};

static void device(vm_plan *p, const char *id, char *spec)
{
	vm_device *d = g_new0(vm_device, 1);
	d->id = g_strdup(id);
	d->spec = spec;
	d->present = true;
	g_ptr_array_add(p->devices, d);
}

/* id=... of a --device, if any. */
static char *device_id(const char *spec)
{
	g_auto(GStrv) f = g_strsplit(spec, ",", -1);
	for (guint i = 1; f[i] != NULL; i++)
		if (g_str_has_prefix(f[i], "id="))
			return g_strdup(f[i] + 3);
	return NULL;
}

static bool readers(const vm_opts *o, vm_plan *p, GError **error)
{
	bool cac = false;
	for (guint i = 0; i < o->n_rd; i++) {
		const vm_reader *r = &o->rd[i];
		g_autofree char *rid = g_strdup_printf("ccid%u", i);
		g_autofree char *cid = g_strdup_printf("card%u", i);
		g_autofree char *pcap = NULL;
		if (o->pcap) {
			g_autofree char *file = g_strdup_printf("%s/%s.pcap", p->results, rid);
			g_autofree char *e = vm_qemu_escape(file);
			pcap = g_strdup_printf(",pcap=%s", e);
		}
		device(p, rid, g_strdup_printf("usb-ccid,id=%s,bus=xhci.0%s", rid, pcap ? pcap : ""));
		if (r->card == VM_CARD_PASSTHRU) {
			g_autofree char *vid = g_strdup_printf("vsc%u", i);
			g_autofree char *sock = g_build_filename(p->work, vid, NULL);
			g_ptr_array_add(p->vscard, g_strdup_printf("%s\tunix:%s.sock\t%s", vid, sock,
								   r->spec));
			device(p, cid, g_strdup_printf("ccid-card-passthru,id=%s,bus=%s.0,chardev=%s",
						       cid, rid, vid));
		} else if (r->card == VM_CARD_CAC) {
			if (cac) {
				g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
					    "--reader cac: one per run (libcacard's emulation is "
					    "one per QEMU)");
				return false;
			}
			cac = true;
			if (o->nss_db != NULL) {
				p->nss_dir = g_strdup(o->nss_db);
			} else {
				p->nss_dir = g_build_filename(p->work, "nss", NULL);
				if (!vm_nss_make(p->nss_dir, error))
					return false;
			}
			g_autofree char *db = vm_qemu_escape(p->nss_dir);
			device(p, cid, g_strdup_printf("ccid-card-emulated,id=%s,bus=%s.0,"
						       "backend=certificates,db=sql:%s,"
						       "cert1=cert1,cert2=cert2,cert3=cert3",
						       cid, rid, db));
		}
	}
	for (guint i = 0; o->devices != NULL && o->devices[i] != NULL; i++) {
		g_autofree char *id = device_id(o->devices[i]);
		device(p, id != NULL ? id : "", g_strdup(o->devices[i]));
	}
	return true;
}

static bool write_file(const char *dir, const char *name, const char *data, gssize len,
		       GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	return g_file_set_contents(path, data, len, error);
}

static GString *nul_list(char *const *v)
{
	GString *g = g_string_new(NULL);
	for (guint i = 0; v != NULL && v[i] != NULL; i++)
		g_string_append_len(g, v[i], (gssize)strlen(v[i]) + 1);
	return g;
}

static GString *environment(const vm_opts *o, const vm_plan *p, const char *self)
{
	g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < G_N_ELEMENTS(passed_env); i++) {
		const char *v = g_getenv(passed_env[i]);
		if (v != NULL)
			g_ptr_array_add(env, g_strdup_printf("%s=%s", passed_env[i], v));
	}
	g_auto(GStrv) all = g_get_environ();
	for (guint i = 0; all[i] != NULL; i++)
		if (g_str_has_prefix(all[i], "CCIDLAB_"))
			g_ptr_array_add(env, g_strdup(all[i]));
	for (guint i = 0; o->env != NULL && o->env[i] != NULL; i++) {
		const char *v = g_getenv(o->env[i]);
		if (strchr(o->env[i], '=') != NULL)
			g_ptr_array_add(env, g_strdup(o->env[i]));
		else if (v != NULL)
			g_ptr_array_add(env, g_strdup_printf("%s=%s", o->env[i], v));
	}
	g_ptr_array_add(env, g_strdup("HOME=/tmp"));
	g_ptr_array_add(env, g_strdup("CCIDLAB_VM=1"));
	g_ptr_array_add(env, g_strdup_printf("CCIDLAB_VM_RESULTS=%s", p->results));
	g_ptr_array_add(env, g_strdup_printf("CCIDLAB=%s", self));
	g_ptr_array_add(env, NULL);
	return nul_list((char *const *)env->pdata);
}

bool vm_plan_write(const vm_opts *o, vm_plan *p, GError **error)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", error);
	if (self == NULL)
		return false;
	p->devices = g_ptr_array_new();
	p->vscard = g_ptr_array_new_with_free_func(g_free);
	if (!readers(o, p, error))
		return false;
	if (g_mkdir(p->plan_dir, 0755) != 0) {
		vm_errno(error, p->plan_dir);
		return false;
	}
	g_autofree char *q = g_shell_quote(self);
	g_autofree char *stage2 = g_strdup_printf(
		"#!/bin/sh\n# ccidlab vm: the guest's second stage, PID 1 from here on.\n"
		"exec %s vm guest-init %s\n", q, VM_GUEST_PLAN);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *driver = o->driver ? g_strdup(o->driver) : vm_default_driver();
	const char *preload = g_getenv("CCIDLAB_LAB_PRELOAD");
	g_key_file_set_string(kf, "guest", "results", p->results);
	g_key_file_set_string(kf, "guest", "cwd", cwd);
	g_key_file_set_string(kf, "guest", "drivers", o->drivers);
	g_key_file_set_string(kf, "guest", "driver", driver);
	g_key_file_set_string(kf, "guest", "preload", preload ? preload : "");
	g_key_file_set_boolean(kf, "guest", "pcscd", !o->no_pcscd);
	g_key_file_set_boolean(kf, "guest", "net", !o->no_net);
	gsize len = 0;
	g_autofree char *conf = g_key_file_to_data(kf, &len, NULL);
	g_autoptr(GString) argv = nul_list(o->cmd);
	g_autoptr(GString) env = environment(o, p, self);
	return write_file(p->plan_dir, "stage2", stage2, -1, error) &&
	       write_file(p->plan_dir, "config", conf, (gssize)len, error) &&
	       write_file(p->plan_dir, "argv", argv->str, (gssize)argv->len, error) &&
	       write_file(p->plan_dir, "env", env->str, (gssize)env->len, error);
}

/* ---- the CAC card's certificates ---- */

static bool certutil(char **argv, GError **error)
{
	g_autofree char *out = NULL;
	int status = 0;
	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
			  NULL, NULL, &out, &status, error))
		return false;
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
			    "certutil %s failed: %s (libnss3-tools)", argv[1], out ? out : "");
		return false;
	}
	return true;
}

bool vm_nss_make(const char *dir, GError **error)
{
	g_autofree char *db = g_strdup_printf("sql:%s", dir);
	g_autofree char *noise = g_build_filename(dir, "noise", NULL);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		vm_errno(error, dir);
		return false;
	}
	/* certutil wants seed bytes for its keys. */
	guint8 seed[64];
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (guint8)g_random_int();
	if (!g_file_set_contents(noise, (const char *)seed, sizeof seed, error))
		return false;
	char *init[] = { "certutil", "-N", "-d", db, "--empty-password", NULL };
	if (!certutil(init, error))
		return false;
	for (int i = 1; i <= 3; i++) {
		g_autofree char *nick = g_strdup_printf("cert%d", i);
		g_autofree char *subj = g_strdup_printf("CN=ccidlab vm card %d", i);
		g_autofree char *serial = g_strdup_printf("%d", i);
		char *mk[] = { "certutil", "-S", "-d", db, "-n", nick, "-s", subj, "-x", "-t",
			       "CT,C,C", "-k", "rsa", "-g", "2048", "-m", serial, "-z", noise, NULL };
		if (!certutil(mk, error))
			return false;
	}
	return true;
}
