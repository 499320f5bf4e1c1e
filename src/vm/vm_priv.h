/* ccidlab — the insides of `ccidlab vm`, host side and guest side.
 *
 * Host side: opts.c (options), kernel.c (Debian's kernel, fetched once
 * into the cache), initramfs.c (busybox and the modules the guest needs,
 * cached), qemu.c (QEMU's command line), qmp.c (QEMU's monitor), hostctl.c
 * (the guest's requests), run.c (the supervisor: one event loop, every
 * wait bounded, QEMU stopped by its pid on every path).
 *
 * Guest side: guest_init.c (the guest's PID 1 after the initramfs),
 * guest_ctl.c (the control port client and the guest subcommands),
 * guest_pcscd.c (the guest's pcscd and its drivers).
 *
 * The two sides meet on three virtio-serial ports (VM_PORT_*) and on the
 * plan directory, shared read-only (VM_GUEST_PLAN).
 */
#ifndef CCIDLAB_VM_PRIV_H
#define CCIDLAB_VM_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

/* Exit statuses of `ccidlab vm` itself (as timeout(1) and env(1)). */
#define VM_EXIT_TIMEOUT 124
#define VM_EXIT_FAILED 125

/* virtio-serial port names (/dev/virtio-ports/NAME in the guest). */
#define VM_PORT_CTL "org.ccidlab.vm.ctl"
#define VM_PORT_STDOUT "org.ccidlab.vm.stdout"
#define VM_PORT_STDERR "org.ccidlab.vm.stderr"
#define VM_PORT_DIR "/dev/virtio-ports"

/* 9p mount tags. */
#define VM_TAG_ROOT "ccidlab.root"
#define VM_TAG_PLAN "ccidlab.plan"
#define VM_TAG_RESULTS "ccidlab.results"

/* Where the guest keeps its own state (a tmpfs). */
#define VM_GUEST_DIR "/run/ccidlab-vm"
#define VM_GUEST_PLAN VM_GUEST_DIR "/plan"
#define VM_GUEST_HOST_DRIVERS VM_GUEST_DIR "/host-drivers"
#define VM_GUEST_PCSCD_PID VM_GUEST_DIR "/pcscd.pid"
#define PCSC_DROP_DIR "/usr/lib/pcsc/drivers"

/* One control line, either way. */
#define VM_CTL_LINE_MAX 512

/* The guest's network (QEMU user networking): the host's loopback is
 * VM_NET_HOST inside the guest. */
#define VM_NET_GUEST "10.0.2.15/24"
#define VM_NET_HOST "10.0.2.2"

/* Errors of this layer: one domain, a generic code and a timeout. */
#define VM_ERROR (vm_error_quark())
GQuark vm_error_quark(void);
enum { VM_ERROR_FAILED, VM_ERROR_TIMEOUT };
/* "WHAT: strerror(errno)" as a G_FILE_ERROR; keeps errno. */
void vm_errno(GError **error, const char *what);
/* Removes a tree we made (no symlink followed). */
void vm_remove_tree(const char *dir);
/* QEMU's option syntax: a comma inside a value is doubled. */
char *vm_qemu_escape(const char *s);

/* ---- host side ---- */

typedef enum vm_card_kind {
	VM_CARD_NONE,		/* an empty usb-ccid */
	VM_CARD_CAC,		/* ccid-card-emulated, libcacard's CAC, NSS certificates */
	VM_CARD_PASSTHRU,	/* ccid-card-passthru, a ccidlab card over VSCard */
} vm_card_kind;

typedef struct vm_reader {
	vm_card_kind card;
	char *spec;		/* the VSCard card spec (passthru) */
} vm_reader;

typedef struct vm_opts {
	char *kernel_dir;
	char *cache_dir;
	char *results;
	char *console;
	char **readers;
	char **devices;
	char **qemu_args;
	char **env;
	char *drivers;
	char *driver;
	char *nss_db;
	char *qemu;
	char *accel;
	gboolean no_pcscd;
	gboolean no_net;
	gboolean pcap;
	gboolean fetch;
	gboolean quiet;
	int boot_timeout_s;
	int timeout_s;
	int memory_mb;
	int cpus;
	char **cmd;
	/* Parsed from readers. */
	vm_reader *rd;
	guint n_rd;
} vm_opts;

bool vm_opts_parse(vm_opts *o, int argc, char **argv);
void vm_opts_clear(vm_opts *o);

/* The cache: $CCIDLAB_VM_CACHE, else /var/cache/ccidlab/vm. */
char *vm_cache_dir(const vm_opts *o);
/* Held while the cache is written (flock): two runs never fetch twice. */
int vm_cache_lock(const char *cache, GError **error);

typedef struct vm_kernel {
	char *root;		/* unpacked package: boot/, lib/modules/ */
	char *vmlinuz;
	char *boot;		/* what QEMU boots: the extracted vmlinux, else NULL */
	char *release;		/* uname -r of the guest */
	char *modules;		/* lib/modules/RELEASE */
} vm_kernel;

bool vm_kernel_get(const vm_opts *o, const char *cache, vm_kernel *k, GError **error);
void vm_kernel_clear(vm_kernel *k);

/* The cached initramfs for this kernel (made when missing). */
char *vm_initramfs_get(const vm_kernel *k, const char *cache, GError **error);

/* The NSS database with three self-signed certificates for the CAC card
 * (certutil), made in dir. */
bool vm_nss_make(const char *dir, GError **error);

/* Files beside the command: the build tree's, else the installed ones. */
char *vm_libexec_file(const char *name);
char *vm_default_driver(void);

/* A QEMU device the guest may plug and unplug: declared by the host. */
typedef struct vm_device {
	char *id;
	char *spec;		/* -device / device_add text: "usb-ccid,id=ccid0,bus=xhci.0" */
	bool present;
} vm_device;

typedef struct vm_plan {
	char *work;		/* private dir: sockets, console, plan/ */
	char *plan_dir;
	char *results;		/* the only host dir the guest may write */
	bool results_ours;	/* made by us (removed when all went well) */
	char *console;
	char *qmp_path, *ctl_path, *out_path, *err_path;
	char *nss_dir;
	GPtrArray *devices;	/* vm_device */
	GPtrArray *vscard;	/* "name\taddr\tspec" for the VSCard server */
} vm_plan;

/* QEMU's argv for the plan. */
GPtrArray *vm_qemu_argv(const vm_opts *o, const vm_plan *p, const vm_kernel *k,
			const char *initramfs);
/* kvm when /dev/kvm opens, else tcg (or what --accel says). */
const char *vm_qemu_accel(const vm_opts *o);

/* Writes the plan directory the guest reads. */
bool vm_plan_write(const vm_opts *o, vm_plan *p, GError **error);

int vm_run(vm_opts *o);

/* ---- QMP ---- */

typedef struct vm_qmp vm_qmp;
typedef void (*vm_qmp_done)(void *data, bool ok, const char *error);

vm_qmp *vm_qmp_new(const char *path);
void vm_qmp_free(vm_qmp *q);
/* Connects (the socket may not exist yet: false, try again). */
bool vm_qmp_connect(vm_qmp *q);
bool vm_qmp_ready(const vm_qmp *q);
/* device_add with the command-line syntax (through the human monitor). */
void vm_qmp_device_add(vm_qmp *q, const char *spec, vm_qmp_done done, void *data);
/* device_del, done once QEMU says DEVICE_DELETED. */
void vm_qmp_device_del(vm_qmp *q, const char *id, vm_qmp_done done, void *data);
void vm_qmp_quit(vm_qmp *q);

/* ---- guest side ---- */

int vm_guest_init(int argc, char **argv);
/* /dev/vportNpM of the virtio-serial port with that name. */
char *vm_guest_port(const char *name);
int vm_guest_command(int argc, char **argv);
/* One request on the control port; the reply's text (without the id) in
 * *reply.  false on a transport failure or timeout. */
bool vm_guest_request(const char *request, int timeout_ms, char **reply, GError **error);
int vm_guest_pcscd(int argc, char **argv);
bool vm_guest_pcscd_start(const char *drivers, const char *log, int timeout_ms, GError **error);
bool vm_guest_pcscd_stop(int timeout_ms);

#endif
