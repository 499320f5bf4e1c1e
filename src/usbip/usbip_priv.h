/* ccidlab — the USB/IP server's parts (issue 15), shared by its files:
 * the exporter (exporter.c: the exported devices, their bus ids, who
 * imported each, their URB counters, the control plane's directory), the
 * sessions (server.c: one TCP connection each, its reader thread and its
 * executors), and the URB executor (urb.c).
 *
 *   exporter ──claims── usbip_export ──usbdev──> src/emu reader
 *      │                     ▲
 *   server ── session ── conn (conn.c: protocol) ── executors (urb.c)
 */
#ifndef CCIDLAB_USBIP_USBIP_PRIV_H
#define CCIDLAB_USBIP_USBIP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "ctl/directory.h"
#include "ctl/server.h"
#include "usbdev/usbdev.h"
#include "usbip/conn.h"
#include "usbip/wire.h"

/* Devices one server exports, and the ports of its bus (bus ids
 * BUS-1 .. BUS-USBIP_MAX_DEVICES). */
#define USBIP_MAX_DEVICES 64u
/* The USB/IP port (IANA: usbip, 3240/tcp). */
#define USBIP_DEFAULT_PORT 3240u

typedef struct usbip_session usbip_session;
typedef struct usbip_exporter usbip_exporter;

/* URB kinds counted per device (URB accounting, `ccidlab list`). */
typedef enum usbip_count {
	USBIP_COUNT_CONTROL = 0,	/* by queue: USBIP_Q_* order */
	USBIP_COUNT_BULK_OUT,
	USBIP_COUNT_BULK_IN,
	USBIP_COUNT_INTERRUPT,
	USBIP_COUNT_EXTRA,
	USBIP_COUNT_UNLINKED,		/* unlinked before they ended */
	USBIP_COUNT_FAILED,		/* ended with a status other than 0 */
	USBIP_COUNT_IMPORTS,		/* times the device was imported */
	USBIP_COUNT_KINDS
} usbip_count;

/* One exported device. */
typedef struct usbip_export {
	gint refs;
	usbip_exporter *ex;
	usbdev *usb;		/* NULL while usbip_exporter_add makes it */
	char busid[USBIP_BUSID_LEN];
	unsigned bus, port, devnum;
	unsigned number;		/* the control plane's reader number */
	/* The session that imported it, NULL when free; the exporter's lock. */
	usbip_session *owner;
	bool removed;			/* the exporter's lock */
	uint64_t counts[USBIP_COUNT_KINDS];	/* atomic adds */
} usbip_export;

struct usbip_exporter {
	GMutex lock;
	usbip_export *dev[USBIP_MAX_DEVICES];	/* by port - 1 */
	unsigned next_number;
	GThread *watcher;
	gint stop;
	ctl_server *ctl;	/* for trace frames (atomic); set once it runs */
};

/* ---- exporter.c ---- */
usbip_exporter *usbip_exporter_new(void);
/* Ends every session, frees every device. */
void usbip_exporter_free(usbip_exporter *ex);
/* A device from a usbdev spec on the lowest free port (bus 1 unless the
 * spec says bus=); its name defaults to the bus id.  Returns its reader
 * number; EMU_ERROR from the spec, or when every port is taken. */
bool usbip_exporter_add(usbip_exporter *ex, const char *spec, unsigned *number, GError **error);
/* Removes the device (its session, if any, ends: an unplug). */
bool usbip_exporter_remove(usbip_exporter *ex, const char *busid_or_name, GError **error);
/* The devices on the bus (the unplugged ones are not). */
size_t usbip_exporter_devlist(usbip_exporter *ex, usbip_devinfo *out, size_t cap);
/* OP_REQ_IMPORT: the device for session s (a new reference in *out), or
 * the refusal's status (USBIP_ST_NODEV, USBIP_ST_DEV_BUSY). */
uint32_t usbip_exporter_claim(usbip_exporter *ex, const char *busid, usbip_session *s,
			      usbip_devinfo *info, usbip_export **out);
/* The session let the device go (its connection ended): the device
 * meets its next host as after a replug; the reference goes. */
void usbip_exporter_release(usbip_exporter *ex, usbip_export *e);
/* Drops a reference on a device (the last frees it).  NULL allowed. */
void usbip_export_unref(usbip_export *e);
/* Counts one URB that ended. */
void usbip_export_count(usbip_export *e, const usbip_urb *u);
/* The control server that traces the devices' frames (NULL: none). */
void usbip_exporter_set_ctl(usbip_exporter *ex, ctl_server *ctl);

/* ---- exporter_ctl.c: what the control plane sees (ctl/directory.h) ---- */
void usbip_exporter_directory(usbip_exporter *ex, ctl_directory *out);
/* A one-line description of every device, for the server's start. */
char *usbip_exporter_describe(usbip_exporter *ex);

/* ---- server.c ---- */
typedef struct usbip_server usbip_server;
/* Listens on ADDR[:PORT] or [IPV6]:PORT (numeric; port 0: any free
 * one, default USBIP_DEFAULT_PORT) and serves ex's devices.  quiet: no
 * log lines on stderr (imports, releases, refusals). */
usbip_server *usbip_server_start(usbip_exporter *ex, const char *listen, bool quiet,
				 GError **error);
/* "ADDR:PORT" as bound (the port chosen for port 0). */
const char *usbip_server_address(const usbip_server *srv);
/* Stops listening, ends every session and waits for them.  NULL allowed. */
void usbip_server_stop(usbip_server *srv);
/* Ends a session from outside (its device was removed or unplugged):
 * its connection closes; the session cleans up on its own thread. */
void usbip_session_end(usbip_session *s);

/* ---- devinfo.c ---- */
/* What OP_REP_DEVLIST and OP_REP_IMPORT say of a device on bus id busid. */
void usbip_devinfo_of(const usbdev *d, const char *busid, unsigned bus, unsigned devnum,
		      usbip_devinfo *out);

/* ---- urb.c ---- */
/* Runs u on d: sets u->status (returned) and u->actual.  timeout_ms 0:
 * the URB waits until it ends or is cancelled, as USB/IP URBs do (the
 * fuzz target bounds its IN waits). */
int usbip_urb_run(usbdev *d, usbip_urb *u, unsigned timeout_ms);
/* The queue (USBIP_Q_*) of one of d's endpoint addresses, -1 for none
 * (usbip_conn_ops.route). */
int usbip_queue_of(const usbdev *d, uint8_t ep);
/* Ends the device's waits of a queue's running URB that no cancel flag
 * reaches (usbip_conn_ops.cancel); d may be NULL. */
void usbip_queue_cancel(usbdev *d, unsigned queue);

#endif
