/* ccidlab — test harness only: the part of libudev pcscd's USB hotplug
 * uses, answering from a list of pretend USB devices, preloaded into a
 * lab's pcscd.
 *
 * Why: pcscd picks a USB reader's driver by matching the device's VID:PID
 * against every bundle's Info.plist, and only for devices udev lists.  CI
 * machines have no USB bus, so without this pcscd's real choice (which
 * bundle wins when two list the same id, the class-driver fallback, what a
 * malformed Info.plist does) could not be observed.  With it pcscd runs
 * its own matching code on our bundles and logs which library it starts.
 *
 * CCIDLAB_UDEVSIM = DEVICE[;DEVICE...], DEVICE = VVVV/PPPP[/IFACE] (hex).
 * Device k (from 0) sits on bus 1 at address k + 2, so its node is
 * /dev/bus/usb/001/00N, the name usbsim gives its devices in the same
 * order.  Enumeration lists one USB interface per device.  The monitor
 * reports no event, unless CCIDLAB_UDEVSIM_EVENTS names a Unix datagram
 * socket path: the monitor is then that socket, and each datagram
 * "add K" or "remove K" sent to it is an event of device K's interface
 * (the soak test unplugs and replugs usbsim devices that way, so that
 * pcscd removes and adds their readers as for real hardware).  Nothing
 * here touches a real device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SIM_MAX_DEVICES 16
#define SIM_PATH_MAX 96

struct udev {
	int refs;
};

struct udev_list_entry {
	char name[SIM_PATH_MAX];
	struct udev_list_entry *next;
};

struct udev_enumerate {
	int refs;
	struct udev_list_entry entries[SIM_MAX_DEVICES];
	int n;
};

/* One object for both views of a device: the interface pcscd enumerates
 * and, as its parent, the usb_device that carries the ids. */
struct udev_device {
	int refs;
	int is_interface;
	struct udev_device *parent;	/* owned by the interface */
	unsigned vid, pid, iface, bus, address;
	char syspath[SIM_PATH_MAX];
	char sysname[SIM_PATH_MAX];
	char devnode[SIM_PATH_MAX];
	char attr[SIM_PATH_MAX];	/* the last attribute asked for */
	char action[8];			/* a monitor event's: "add", "remove" */
};

struct udev_monitor {
	int refs;
	/* The events socket (fds[1] -1), or a socket pair nobody writes. */
	int fds[2];
};

typedef struct sim_device {
	unsigned vid, pid, iface;
} sim_device;

/* libudev's API, declared here: the harness does not need libudev-dev. */
struct udev *udev_new(void);
struct udev *udev_unref(struct udev *udev);
struct udev_enumerate *udev_enumerate_new(struct udev *udev);
struct udev_enumerate *udev_enumerate_unref(struct udev_enumerate *e);
int udev_enumerate_add_match_subsystem(struct udev_enumerate *e, const char *subsystem);
int udev_enumerate_scan_devices(struct udev_enumerate *e);
struct udev_list_entry *udev_enumerate_get_list_entry(struct udev_enumerate *e);
struct udev_list_entry *udev_list_entry_get_next(struct udev_list_entry *entry);
const char *udev_list_entry_get_name(struct udev_list_entry *entry);
struct udev_device *udev_device_new_from_syspath(struct udev *udev, const char *syspath);
struct udev_device *udev_device_unref(struct udev_device *dev);
struct udev_device *udev_device_get_parent_with_subsystem_devtype(struct udev_device *dev,
								   const char *subsystem,
								   const char *devtype);
const char *udev_device_get_devnode(struct udev_device *dev);
const char *udev_device_get_sysname(struct udev_device *dev);
const char *udev_device_get_sysattr_value(struct udev_device *dev, const char *name);
const char *udev_device_get_action(struct udev_device *dev);
struct udev_monitor *udev_monitor_new_from_netlink(struct udev *udev, const char *name);
int udev_monitor_filter_add_match_subsystem_devtype(struct udev_monitor *m,
						    const char *subsystem, const char *devtype);
int udev_monitor_enable_receiving(struct udev_monitor *m);
int udev_monitor_get_fd(struct udev_monitor *m);
struct udev_device *udev_monitor_receive_device(struct udev_monitor *m);
struct udev_monitor *udev_monitor_unref(struct udev_monitor *m);

/* The configured devices, parsed once per call (the list is short and
 * pcscd asks only at start). */
static int sim_devices(sim_device *out)
{
	const char *spec = getenv("CCIDLAB_UDEVSIM");
	int n = 0;

	while (spec != NULL && *spec != '\0' && n < SIM_MAX_DEVICES) {
		unsigned v, p, i = 0;
		int used = 0;
		if (sscanf(spec, "%4x/%4x%n/%2x%n", &v, &p, &used, &i, &used) >= 2) {
			out[n].vid = v;
			out[n].pid = p;
			out[n].iface = i;
			n++;
		} else {
			fprintf(stderr, "udevsim: bad device '%s' (VVVV/PPPP[/IFACE])\n", spec);
		}
		const char *semi = strchr(spec, ';');
		spec = semi != NULL ? semi + 1 : NULL;
	}
	return n;
}

static void sim_syspath(char *buf, int k, unsigned iface)
{
	snprintf(buf, SIM_PATH_MAX, "/sys/devices/udevsim/usb1/1-%d/1-%d:1.%u", k + 1, k + 1,
		 iface);
}

struct udev *udev_new(void)
{
	struct udev *u = calloc(1, sizeof *u);
	if (u != NULL)
		u->refs = 1;
	return u;
}

struct udev *udev_unref(struct udev *udev)
{
	if (udev != NULL && --udev->refs == 0)
		free(udev);
	return NULL;
}

struct udev_enumerate *udev_enumerate_new(struct udev *udev)
{
	struct udev_enumerate *e = calloc(1, sizeof *e);
	if (e != NULL)
		e->refs = 1;
	return e;
}

struct udev_enumerate *udev_enumerate_unref(struct udev_enumerate *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
	return NULL;
}

int udev_enumerate_add_match_subsystem(struct udev_enumerate *e, const char *subsystem)
{
	return 0;
}

int udev_enumerate_scan_devices(struct udev_enumerate *e)
{
	sim_device d[SIM_MAX_DEVICES];
	int n = sim_devices(d);

	for (int k = 0; k < n; k++) {
		sim_syspath(e->entries[k].name, k, d[k].iface);
		e->entries[k].next = k + 1 < n ? &e->entries[k + 1] : NULL;
	}
	e->n = n;
	return 0;
}

struct udev_list_entry *udev_enumerate_get_list_entry(struct udev_enumerate *e)
{
	return e->n > 0 ? &e->entries[0] : NULL;
}

struct udev_list_entry *udev_list_entry_get_next(struct udev_list_entry *entry)
{
	return entry->next;
}

const char *udev_list_entry_get_name(struct udev_list_entry *entry)
{
	return entry->name;
}

static struct udev_device *sim_object(const sim_device *d, int k, int is_interface)
{
	struct udev_device *o = calloc(1, sizeof *o);
	if (o == NULL)
		return NULL;
	o->refs = 1;
	o->is_interface = is_interface;
	o->vid = d->vid;
	o->pid = d->pid;
	o->iface = d->iface;
	o->bus = 1;
	o->address = (unsigned)k + 2;
	snprintf(o->devnode, sizeof o->devnode, "/dev/bus/usb/%03u/%03u", o->bus, o->address);
	if (is_interface) {
		sim_syspath(o->syspath, k, d->iface);
		snprintf(o->sysname, sizeof o->sysname, "1-%d:1.%u", k + 1, d->iface);
	} else {
		snprintf(o->syspath, sizeof o->syspath, "/sys/devices/udevsim/usb1/1-%d", k + 1);
		snprintf(o->sysname, sizeof o->sysname, "1-%d", k + 1);
	}
	return o;
}

struct udev_device *udev_device_new_from_syspath(struct udev *udev, const char *syspath)
{
	sim_device d[SIM_MAX_DEVICES];
	int n = sim_devices(d);
	char path[SIM_PATH_MAX];

	for (int k = 0; k < n; k++) {
		sim_syspath(path, k, d[k].iface);
		if (syspath == NULL || strcmp(path, syspath) != 0)
			continue;
		struct udev_device *intf = sim_object(&d[k], k, 1);
		if (intf != NULL && (intf->parent = sim_object(&d[k], k, 0)) == NULL) {
			free(intf);
			intf = NULL;
		}
		return intf;
	}
	return NULL;
}

struct udev_device *udev_device_unref(struct udev_device *dev)
{
	if (dev != NULL && --dev->refs == 0) {
		free(dev->parent);
		free(dev);
	}
	return NULL;
}

struct udev_device *udev_device_get_parent_with_subsystem_devtype(struct udev_device *dev,
								   const char *subsystem,
								   const char *devtype)
{
	return dev != NULL && dev->is_interface ? dev->parent : NULL;
}

const char *udev_device_get_devnode(struct udev_device *dev)
{
	return dev != NULL && !dev->is_interface ? dev->devnode : NULL;
}

const char *udev_device_get_sysname(struct udev_device *dev)
{
	return dev != NULL ? dev->sysname : NULL;
}

/* idVendor, idProduct (device) and bInterfaceNumber (interface), as sysfs
 * writes them; no serial and no interface string. */
const char *udev_device_get_sysattr_value(struct udev_device *dev, const char *name)
{
	if (dev == NULL || name == NULL)
		return NULL;
	if (!dev->is_interface && strcmp(name, "idVendor") == 0)
		snprintf(dev->attr, sizeof dev->attr, "%04x", dev->vid);
	else if (!dev->is_interface && strcmp(name, "idProduct") == 0)
		snprintf(dev->attr, sizeof dev->attr, "%04x", dev->pid);
	else if (dev->is_interface && strcmp(name, "bInterfaceNumber") == 0)
		snprintf(dev->attr, sizeof dev->attr, "%02x", dev->iface);
	else
		return NULL;
	return dev->attr;
}

const char *udev_device_get_action(struct udev_device *dev)
{
	return dev != NULL && dev->action[0] != '\0' ? dev->action : NULL;
}

/* The events socket at CCIDLAB_UDEVSIM_EVENTS, or -1. */
static int events_socket(void)
{
	const char *path = getenv("CCIDLAB_UDEVSIM_EVENTS");
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (path == NULL || *path == '\0' || strlen(path) >= sizeof a.sun_path)
		return -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	strcpy(a.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		fprintf(stderr, "udevsim: cannot bind %s\n", path);
		close(fd);
		return -1;
	}
	return fd;
}

struct udev_monitor *udev_monitor_new_from_netlink(struct udev *udev, const char *name)
{
	struct udev_monitor *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->refs = 1;
	m->fds[0] = events_socket();
	m->fds[1] = -1;
	if (m->fds[0] < 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, m->fds) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

int udev_monitor_filter_add_match_subsystem_devtype(struct udev_monitor *m,
						    const char *subsystem, const char *devtype)
{
	return 0;
}

int udev_monitor_enable_receiving(struct udev_monitor *m)
{
	return 0;
}

int udev_monitor_get_fd(struct udev_monitor *m)
{
	return m != NULL ? m->fds[0] : -1;
}

/* One datagram "add K" / "remove K": device K's interface, its action. */
struct udev_device *udev_monitor_receive_device(struct udev_monitor *m)
{
	sim_device d[SIM_MAX_DEVICES];
	char msg[32], action[8];
	int k;

	if (m == NULL || m->fds[1] >= 0)
		return NULL;
	ssize_t n = recv(m->fds[0], msg, sizeof msg - 1, 0);
	if (n <= 0)
		return NULL;
	msg[n] = '\0';
	if (sscanf(msg, "%7s %d", action, &k) != 2 || k < 0 || k >= sim_devices(d) ||
	    (strcmp(action, "add") != 0 && strcmp(action, "remove") != 0))
		return NULL;
	struct udev_device *intf = sim_object(&d[k], k, 1);
	if (intf == NULL)
		return NULL;
	if ((intf->parent = sim_object(&d[k], k, 0)) == NULL) {
		free(intf);
		return NULL;
	}
	snprintf(intf->action, sizeof intf->action, "%s", action);
	return intf;
}

struct udev_monitor *udev_monitor_unref(struct udev_monitor *m)
{
	if (m != NULL && --m->refs == 0) {
		close(m->fds[0]);
		if (m->fds[1] >= 0)
			close(m->fds[1]);
		free(m);
	}
	return NULL;
}
