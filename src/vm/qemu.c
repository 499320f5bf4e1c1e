/* ccidlab — QEMU's command line for a run.
 *
 * A PC with no default devices: the serial console into a file, QMP on a
 * socket, three virtio-9p shares (the host's root read-only with
 * multidevs=remap, the plan read-only, the results read-write), one
 * virtio-serial controller with the control, stdout and stderr ports
 * (each a socket chardev QEMU connects to), user networking (the host's
 * loopback is 10.0.2.2 in the guest), and one qemu-xhci controller with
 * the usb-ccid readers and their cards.  --device and --qemu-arg add
 * what a caller needs (a USB/IP helper adds nothing: the guest reaches
 * its server on 10.0.2.2).
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "vm/vm_priv.h"

/* panic=-1: a panic reboots at once, and -no-reboot makes that QEMU's end.
 * mitigations=off: a test guest has no secrets, and under TCG every
 * mitigation is emulated work. */
#define KERNEL_ARGS "console=ttyS0 panic=-1 quiet loglevel=4 8250.nr_uarts=1 net.ifnames=0 " \
	"mitigations=off"

const char *vm_qemu_accel(const vm_opts *o)
{
	if (o->accel != NULL && strcmp(o->accel, "auto") != 0)
		return o->accel;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return "tcg";
	close(fd);
	return "kvm";
}

static void add(GPtrArray *a, const char *s)
{
	g_ptr_array_add(a, g_strdup(s));
}

static void addf(GPtrArray *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void addf(GPtrArray *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_ptr_array_add(a, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

char *vm_qemu_escape(const char *s)
{
	GString *g = g_string_new(NULL);
	for (; *s; s++) {
		if (*s == ',')
			g_string_append_c(g, ',');
		g_string_append_c(g, *s);
	}
	return g_string_free(g, FALSE);
}

static void share(GPtrArray *a, const char *id, const char *path, const char *tag, bool ro)
{
	g_autofree char *p = vm_qemu_escape(path);
	add(a, "-fsdev");
	addf(a, "local,id=%s,path=%s,security_model=none,multidevs=remap%s", id, p,
	     ro ? ",readonly=on" : "");
	add(a, "-device");
	addf(a, "virtio-9p-pci,fsdev=%s,mount_tag=%s", id, tag);
}

static void port(GPtrArray *a, const char *id, const char *path, const char *name)
{
	g_autofree char *p = vm_qemu_escape(path);
	add(a, "-chardev");
	addf(a, "socket,id=%s,path=%s", id, p);
	add(a, "-device");
	addf(a, "virtserialport,bus=vser.0,chardev=%s,name=%s", id, name);
}

GPtrArray *vm_qemu_argv(const vm_opts *o, const vm_plan *p, const vm_kernel *k,
			const char *initramfs)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *con = vm_qemu_escape(p->console);
	g_autofree char *qmp = vm_qemu_escape(p->qmp_path);

	add(a, o->qemu != NULL ? o->qemu : "qemu-system-x86_64");
	add(a, "-nodefaults");
	add(a, "-no-user-config");
	add(a, "-machine");
	addf(a, "pc,accel=%s", vm_qemu_accel(o));
	add(a, "-m");
	addf(a, "%d", o->memory_mb);
	add(a, "-smp");
	addf(a, "%d", o->cpus);
	add(a, "-display");
	add(a, "none");
	/* A guest that reboots (its panic=-1) ends QEMU instead. */
	add(a, "-no-reboot");
	add(a, "-kernel");
	add(a, k->boot != NULL ? k->boot : k->vmlinuz);
	add(a, "-initrd");
	add(a, initramfs);
	add(a, "-append");
	add(a, KERNEL_ARGS);
	add(a, "-chardev");
	addf(a, "file,id=con,path=%s", con);
	add(a, "-serial");
	add(a, "chardev:con");
	add(a, "-qmp");
	addf(a, "unix:%s,server=on,wait=off", qmp);
	share(a, "root", "/", VM_TAG_ROOT, true);
	share(a, "plan", p->plan_dir, VM_TAG_PLAN, true);
	share(a, "results", p->results, VM_TAG_RESULTS, false);
	add(a, "-device");
	add(a, "virtio-serial-pci,id=vser");
	port(a, "ctl", p->ctl_path, VM_PORT_CTL);
	port(a, "out", p->out_path, VM_PORT_STDOUT);
	port(a, "err", p->err_path, VM_PORT_STDERR);
	if (!o->no_net) {
		add(a, "-netdev");
		add(a, "user,id=net0");
		add(a, "-device");
		/* romfile= : no PXE option ROM (ipxe-qemu is not needed). */
		add(a, "virtio-net-pci,netdev=net0,romfile=");
	}
	add(a, "-device");
	add(a, "qemu-xhci,id=xhci");
	for (guint i = 0; i < p->vscard->len; i++) {
		g_auto(GStrv) f = g_strsplit(g_ptr_array_index(p->vscard, i), "\t", 3);
		g_autofree char *path = vm_qemu_escape(f[1] + strlen("unix:"));
		add(a, "-chardev");
		addf(a, "socket,id=%s,path=%s", f[0], path);
	}
	for (guint i = 0; i < p->devices->len; i++) {
		const vm_device *d = g_ptr_array_index(p->devices, i);
		add(a, "-device");
		add(a, d->spec);
	}
	for (guint i = 0; o->qemu_args != NULL && o->qemu_args[i] != NULL; i++)
		add(a, o->qemu_args[i]);
	g_ptr_array_add(a, NULL);
	return a;
}
