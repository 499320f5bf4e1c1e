/* ccidlab — the control protocol's client side, for the ccidlab command
 * and the tests: connect, call a request, read stream lines.  Blocking
 * with a bound on every wait.  Not thread-safe: one thread per client.
 */
#ifndef CCIDLAB_CTL_CLIENT_H
#define CCIDLAB_CTL_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ctl/protocol.h"

/* Stream lines (frames) may be longer than request lines. */
#define CTL_CLIENT_LINE_MAX (1024u * 1024u)

typedef struct ctl_client ctl_client;

/* Connects to the server's socket, retrying while its backlog is full,
 * for up to timeout_ms.  CTL_ERROR_IO (no server there) or
 * CTL_ERROR_PERMISSION, with a message that says what to check. */
ctl_client *ctl_client_connect(const char *path, unsigned timeout_ms, GError **error);
void ctl_client_free(ctl_client *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ctl_client, ctl_client_free)

/* Sends req (an object with "req" and its members; "v" and "id" are set
 * here) and waits up to timeout_ms for its reply.  Returns the reply (a
 * new reference) when it says "ok":true; otherwise NULL with CTL_ERROR
 * and the code and message the server gave (CTL_ERROR_TIMEOUT,
 * CTL_ERROR_IO, CTL_ERROR_PROTOCOL for local failures).  Stream lines
 * that arrive meanwhile are kept for ctl_client_next_event. */
JsonObject *ctl_client_call(ctl_client *c, JsonObject *req, unsigned timeout_ms, GError **error);

/* The same with a descriptor passed along (SCM_RIGHTS) and "fd":true:
 * trace-on's file, which the client opens itself (the server opens no
 * path for a client).  fd stays the caller's. */
JsonObject *ctl_client_call_with_fd(ctl_client *c, JsonObject *req, int fd, unsigned timeout_ms,
				    GError **error);

/* A convenience: a request object with "req" set. */
JsonObject *ctl_client_request_new(const char *req);

/* The next stream line ({"event":...}), waiting up to timeout_ms.
 * NULL with CTL_ERROR_TIMEOUT when none came, CTL_ERROR_IO when the
 * server closed the connection. */
JsonObject *ctl_client_next_event(ctl_client *c, unsigned timeout_ms, GError **error);

/* Sends raw bytes (tests of bad input). */
gboolean ctl_client_send_raw(ctl_client *c, const void *buf, size_t len, unsigned timeout_ms,
			     GError **error);
/* The same with a descriptor along (fd >= 0, SCM_RIGHTS; it stays ours). */
gboolean ctl_client_send_raw_fd(ctl_client *c, const void *buf, size_t len, int fd,
				unsigned timeout_ms, GError **error);
/* Reads one raw line (without its newline) up to timeout_ms. */
char *ctl_client_read_line(ctl_client *c, unsigned timeout_ms, GError **error);

#endif
