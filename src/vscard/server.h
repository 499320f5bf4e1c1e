/* ccidlab — the VSCard server: ccidlab's virtual cards on the chardevs of
 * QEMU's ccid-card-passthru devices.
 *
 * Each endpoint has a name and a card spec (session.h).  It listens on a
 * Unix socket or a TCP port on the loopback (QEMU connects:
 * `-chardev socket,id=vsc0,path=PATH`), or connects to QEMU's own server
 * socket (`-chardev socket,server=on,...`).  Each connection is a session
 * with a fresh card from the spec; at most VSCARD_SERVER_MAX_CONN per
 * endpoint.  Sockets are non-blocking; output waits in a bounded queue
 * (a peer that stops reading past VSCARD_SERVER_OUT_MAX is dropped).
 *
 * Runs in the thread-default GMainContext of the caller.
 */
#ifndef CCIDLAB_VSCARD_SERVER_H
#define CCIDLAB_VSCARD_SERVER_H

#include <stdbool.h>

#include <glib.h>

#include "vscard/session.h"

#define VSCARD_SERVER_MAX_CONN 4
#define VSCARD_SERVER_MAX_ENDPOINTS 32
#define VSCARD_SERVER_OUT_MAX (256u * 1024u)

typedef struct vscard_server vscard_server;

/* log: optional, one line per event ("vsc0: ..."). */
vscard_server *vscard_server_new(void (*log)(void *data, const char *line), void *data);
void vscard_server_free(vscard_server *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vscard_server, vscard_server_free)

/* ADDR is unix:PATH (a new socket there; an existing file is an error),
 * or tcp:PORT / tcp:HOST:PORT (HOST a loopback address: 127.0.0.1 when
 * omitted).  connect=true: connect to that address instead of listening. */
bool vscard_server_add(vscard_server *srv, const char *name, const char *addr, const char *spec,
		       bool connect, GError **error);

/* Takes the endpoint's card out, or puts it back (every live session). */
bool vscard_server_set_present(vscard_server *srv, const char *name, bool present,
			       GError **error);

/* "NAME conns N inits N apdus N ..." per endpoint, one line each. */
char *vscard_server_describe(const vscard_server *srv);
/* Sessions that are connected now, over every endpoint. */
unsigned vscard_server_connections(const vscard_server *srv);

#endif
