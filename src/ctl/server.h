/* ccidlab — the control server (issue 6): the driver's side of the
 * control socket.  The protocol is in protocol.h and doc/ccidlab-ctl.7.
 *
 * The server is a GMainContext on its own GThread.  It listens on a Unix
 * stream socket (never TCP), checks each peer's SO_PEERCRED, and serves
 * any number of clients (up to opts->max_clients) with non-blocking I/O
 * and a bounded output queue per client: a client that stops reading is
 * disconnected, it never blocks the server or pcscd.  Storms and
 * scenarios belong to the server, not to the client that started them:
 * they run on until they end, are stopped, or the server stops.
 *
 * Threads: ctl_server_start and ctl_server_stop are called by the driver
 * (pcscd's threads), never concurrently for one server.  The directory's
 * list() is called on the server thread.  ctl_server_trace_frame may be
 * called from any thread at any time between start and stop.
 */
#ifndef CCIDLAB_CTL_SERVER_H
#define CCIDLAB_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "ctl/directory.h"
#include "ctl/protocol.h"
#include "ctl/stream.h"

typedef struct ctl_server ctl_server;

typedef struct ctl_server_opts {
	/* NULL: the socket is mode 0600 and only the server's own uid may
	 * connect.  A group name or number: the socket gets that group and
	 * mode 0660, and a peer whose effective gid (SO_PEERCRED) is that
	 * group is accepted as well as the server's own uid. */
	const char *group;
	/* Clients served at once; 0: CTL_SERVER_DEFAULT_CLIENTS.  One more is
	 * answered with a "limit" error and closed. */
	unsigned max_clients;
	/* A client whose pending output makes no progress for this long is
	 * disconnected; 0: CTL_SERVER_DEFAULT_STALL_MS. */
	unsigned stall_ms;
	/* Reported by hello; NULL: PACKAGE_VERSION. */
	const char *driver_version;
} ctl_server_opts;

#define CTL_SERVER_DEFAULT_CLIENTS 64u
#define CTL_SERVER_DEFAULT_STALL_MS 5000u
/* Output a client may have queued before it is disconnected. */
#define CTL_SERVER_OUT_MAX (4u * 1024u * 1024u)
/* Stream lines (edges, frames) are only queued while a client's queue is
 * under this; beyond it the edges wait in the emulator's ring (and a
 * client that falls a whole ring behind gets a "lost" line). */
#define CTL_SERVER_OUT_WATERMARK (256u * 1024u)
/* Frames waiting for the server thread; beyond, frames are counted as
 * dropped and reported in a "lost" line. */
#define CTL_SERVER_TRACE_QUEUE 4096u
/* Storms and loaded scenarios the server keeps at once. */
#define CTL_SERVER_MAX_STORMS 16u
#define CTL_SERVER_MAX_SCENARIOS 16u

/* Binds socket_path (an existing socket that nobody answers on is
 * replaced; any other file is an error), starts the thread and returns
 * once the socket listens.  dir is copied (its data must outlive the
 * server); opts may be NULL.  CTL_ERROR_IO on any failure, naming the
 * path and the system error. */
ctl_server *ctl_server_start(const char *socket_path, const ctl_directory *dir,
			     const ctl_server_opts *opts, GError **error);

/* Stops the storms and scenarios, closes every client, removes the
 * socket file, joins the thread and frees.  NULL allowed.  Bounded: the
 * joins of storm and scenario threads take about 10 ms each. */
void ctl_server_stop(ctl_server *s);

/* Trace direction (stream.h): CTL_TRACE_OUT host to reader (PC_to_RDR),
 * CTL_TRACE_IN reader to host. */
/* One CCID frame of reader `reader_number`, as sent (dir CTL_TRACE_OUT)
 * or received (CTL_TRACE_IN).  Any thread.  Costs one atomic read when
 * no trace is on (s may be NULL); otherwise the frame (at most
 * CTL_TRACE_FRAME_MAX bytes kept) is copied to a bounded queue and
 * written out on the server thread, stamped here in CLOCK_MONOTONIC µs. */
#define CTL_TRACE_FRAME_MAX (65536u + 10u)
void ctl_server_trace_frame(ctl_server *s, unsigned reader_number, int dir, const uint8_t *buf,
			    size_t len);

#endif
