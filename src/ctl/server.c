/* ccidlab — the control server: the socket and its clients (server.h).
 * What each request does is in handlers.c and the handle_*.c files it
 * dispatches to; the edge and frame streams are server_stream.c.
 *
 * One GMainContext on one thread owns everything here.  Other threads
 * touch the server only through three doors, each cheap and non-blocking:
 * the emulator's edge callback (counts, then schedules a pump), the
 * driver's ctl_server_trace_frame (copies the frame to a bounded queue,
 * then schedules a drain), and ctl_server_stop (quits the loop, joins).
 *
 * A client is never waited for.  Its socket is non-blocking, its output
 * is a queue bounded by CTL_SERVER_OUT_MAX, and a queue that makes no
 * progress for stall_ms gets the client disconnected.  Edges are not
 * copied into the queue beyond CTL_SERVER_OUT_WATERMARK: they wait in the
 * emulator's ring, which the client's cursor walks at its own pace.
 */
#include "config.h"

#include "ctl/server_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#define READ_CHUNK 16384u
#define ACCEPTS_PER_WAKE 16u
#define TICK_MS 250u

static gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer data);
static gboolean on_writable(GSocket *sock, GIOCondition cond, gpointer data);

/* ---- connections ---- */

static gboolean reap_cb(gpointer data)
{
	ctl_server *s = data;
	for (guint i = s->conns->len; i-- > 0;) {
		ctl_conn *c = g_ptr_array_index(s->conns, i);
		if (c->dead)
			g_ptr_array_remove_index(s->conns, i);
	}
	return G_SOURCE_REMOVE;
}

static void conn_free(gpointer data)
{
	ctl_conn *c = data;
	if (c == NULL)
		return;
	if (c->in_src != NULL) {
		g_source_destroy(c->in_src);
		g_source_unref(c->in_src);
	}
	if (c->out_src != NULL) {
		g_source_destroy(c->out_src);
		g_source_unref(c->out_src);
	}
	if (c->sock != NULL) {
		g_socket_close(c->sock, NULL);
		g_object_unref(c->sock);
	}
	if (c->in != NULL)
		g_byte_array_unref(c->in);
	if (c->out != NULL)
		g_byte_array_unref(c->out);
	g_free(c);
}

/* Marks the client dead: its sources and socket go now, its memory at the
 * next reap (callers may be iterating over the clients). */
static void conn_kill(ctl_conn *c, const char *why)
{
	if (c->dead)
		return;
	g_debug("%s: client %" G_GUINT64_FORMAT ": %s", __func__, c->number, why);
	c->dead = true;
	if (c->subscribed) {
		c->subscribed = false;
		g_atomic_int_add(&c->srv->subscribers, -1);
	}
	if (c->tracing) {
		c->tracing = false;
		ctl_server_tracers_add(c->srv, -1);
	}
	if (c->in_src != NULL) {
		g_source_destroy(c->in_src);
		g_clear_pointer(&c->in_src, g_source_unref);
	}
	if (c->out_src != NULL) {
		g_source_destroy(c->out_src);
		g_clear_pointer(&c->out_src, g_source_unref);
	}
	g_socket_close(c->sock, NULL);
	GSource *idle = g_idle_source_new();
	g_source_set_callback(idle, reap_cb, c->srv, NULL);
	g_source_attach(idle, c->srv->ctx);
	g_source_unref(idle);
}

/* Sends what the socket takes now.  false when the client died. */
static bool conn_flush(ctl_conn *c)
{
	while (ctl_conn_out_pending(c) > 0) {
		g_autoptr(GError) err = NULL;
		gssize n = g_socket_send_with_blocking(c->sock, (const char *)c->out->data + c->out_off,
						       ctl_conn_out_pending(c), FALSE, NULL, &err);
		if (n < 0) {
			if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				break;
			conn_kill(c, err->message);
			return false;
		}
		c->out_off += (size_t)n;
		c->stalled_since = g_get_monotonic_time();
	}
	if (ctl_conn_out_pending(c) == 0) {
		g_byte_array_set_size(c->out, 0);
		c->out_off = 0;
		c->stalled_since = 0;
		if (c->closing) {
			conn_kill(c, "closed after its last reply");
			return false;
		}
		return true;
	}
	if (c->stalled_since == 0)
		c->stalled_since = g_get_monotonic_time();
	if (c->out_src == NULL) {
		c->out_src = g_socket_create_source(c->sock, G_IO_OUT, NULL);
		g_source_set_callback(c->out_src, (GSourceFunc)(void (*)(void))on_writable, c, NULL);
		g_source_attach(c->out_src, c->srv->ctx);
	}
	return true;
}

void ctl_conn_send(ctl_conn *c, char *line, size_t len)
{
	if (c->dead) {
		g_free(line);
		return;
	}
	if (ctl_conn_out_pending(c) + len > CTL_SERVER_OUT_MAX) {
		g_free(line);
		conn_kill(c, "output queue full: the client does not read");
		return;
	}
	/* Compact before growing: the queue holds only what is unsent. */
	if (c->out_off > 0 && c->out_off >= c->out->len / 2) {
		g_byte_array_remove_range(c->out, 0, (guint)c->out_off);
		c->out_off = 0;
	}
	g_byte_array_append(c->out, (const guint8 *)line, (guint)len);
	g_free(line);
	conn_flush(c);
}

static void send_error(ctl_conn *c, bool has_id, int64_t id, const GError *err)
{
	ctl_error code = err->domain == CTL_ERROR ? (ctl_error)err->code : CTL_ERROR_FAILED;
	size_t len;
	char *line = ctl_reply_error(has_id, id, code, err->message);
	len = strlen(line);
	ctl_conn_send(c, line, len);
}

static void handle_line(ctl_conn *c, const char *line, size_t len)
{
	g_autoptr(GError) err = NULL;
	int64_t id = -1;
	g_autoptr(ctl_request) r = ctl_request_parse(line, len, &id, &err);
	if (r == NULL) {
		send_error(c, id >= 0, id, err);
		return;
	}
	size_t out_len = 0;
	char *reply = ctl_handle_request(c->srv, c, r, &out_len);
	ctl_conn_send(c, reply, out_len);
	if (r->kind == CTL_REQ_SUBSCRIBE)
		ctl_conn_pump_edges(c);
}

static void process_input(ctl_conn *c)
{
	size_t start = 0;
	while (!c->dead && !c->closing) {
		const guint8 *base = c->in->data + start;
		size_t avail = c->in->len - start;
		const guint8 *nl = avail > 0 ? memchr(base, '\n', avail) : NULL;
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - base);
		size_t line_len = len;
		if (line_len > 0 && base[line_len - 1] == '\r')
			line_len--;
		if (len + 1 > CTL_LINE_MAX) {
			GError *e = g_error_new(CTL_ERROR, CTL_ERROR_LINE_TOO_LONG,
						"line of %zu bytes: lines must be under %u bytes; "
						"closing the connection",
						len + 1, CTL_LINE_MAX);
			c->closing = true;
			send_error(c, false, 0, e);
			g_error_free(e);
			break;
		}
		if (line_len > 0)
			handle_line(c, (const char *)base, line_len);
		start += len + 1;
	}
	if (start > 0 && !c->dead)
		g_byte_array_remove_range(c->in, 0, (guint)start);
	if (!c->dead && !c->closing && c->in->len >= CTL_LINE_MAX) {
		GError *e = g_error_new(CTL_ERROR, CTL_ERROR_LINE_TOO_LONG,
					"no newline in the first %u bytes: lines must be under %u "
					"bytes; closing the connection",
					c->in->len, CTL_LINE_MAX);
		c->closing = true;
		send_error(c, false, 0, e);
		g_error_free(e);
	}
	if (c->closing && !c->dead && c->in_src != NULL) {
		/* Read no more; the connection closes once the error is sent. */
		g_source_destroy(c->in_src);
		g_clear_pointer(&c->in_src, g_source_unref);
		conn_flush(c);
	}
}

static gboolean on_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
	ctl_conn *c = data;
	guint8 buf[READ_CHUNK];

	if (c->dead)
		return G_SOURCE_REMOVE;
	/* A few reads per wake, so that one busy client cannot starve the
	 * others; the source fires again while data remains. */
	for (int i = 0; i < 4; i++) {
		g_autoptr(GError) err = NULL;
		gssize n = g_socket_receive_with_blocking(sock, (char *)buf, sizeof buf, FALSE, NULL,
							  &err);
		if (n < 0) {
			if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				break;
			conn_kill(c, err->message);
			return G_SOURCE_REMOVE;
		}
		if (n == 0) {
			conn_kill(c, "peer closed");
			return G_SOURCE_REMOVE;
		}
		g_byte_array_append(c->in, buf, (guint)n);
		process_input(c);
		if (c->dead || c->closing)
			return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_writable(GSocket *sock, GIOCondition cond, gpointer data)
{
	ctl_conn *c = data;
	if (c->dead)
		return G_SOURCE_REMOVE;
	if (!conn_flush(c))
		return G_SOURCE_REMOVE;
	if (ctl_conn_out_pending(c) > 0)
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&c->out_src, g_source_unref);
	/* Drained: the subscriber may take the edges that waited. */
	if (c->subscribed)
		ctl_conn_pump_edges(c);
	return G_SOURCE_REMOVE;
}

/* ---- accepting ---- */

/* Best effort: the peer gets one error line, then the socket closes. */
static void refuse(GSocket *sock, ctl_error code, const char *message)
{
	char *line = ctl_reply_error(false, 0, code, message);
	g_socket_send_with_blocking(sock, line, strlen(line), FALSE, NULL, NULL);
	g_free(line);
	g_socket_close(sock, NULL);
}

/* SO_PEERCRED (socket(7)): the server's own uid, or the configured group
 * as the peer's effective gid. */
static bool peer_allowed(ctl_server *s, GSocket *sock, char *why, size_t cap)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GCredentials) cred = g_socket_get_credentials(sock, &err);
	if (cred == NULL) {
		g_snprintf(why, cap, "cannot read the peer's credentials: %s", err->message);
		return false;
	}
	const struct ucred *uc = g_credentials_get_native(cred, G_CREDENTIALS_TYPE_LINUX_UCRED);
	if (uc == NULL) {
		g_snprintf(why, cap, "cannot read the peer's credentials");
		return false;
	}
	if (uc->uid == geteuid())
		return true;
	if (s->has_group && uc->gid == s->gid)
		return true;
	g_snprintf(why, cap,
		   "uid %u may not use this socket: only uid %u%s may (see ccidlab-ctl(7), "
		   "\"Permissions\")",
		   (unsigned)uc->uid, (unsigned)geteuid(),
		   s->has_group ? " and the socket's group" : "");
	return false;
}

static void accept_one(ctl_server *s, GSocket *sock)
{
	char why[256];
	g_socket_set_blocking(sock, FALSE);
	if (!peer_allowed(s, sock, why, sizeof why)) {
		g_debug("%s: refused: %s", __func__, why);
		refuse(sock, CTL_ERROR_PERMISSION, why);
		return;
	}
	if (s->conns->len >= s->max_clients) {
		g_snprintf(why, sizeof why,
			   "%u clients already connected: try again once one has left",
			   s->max_clients);
		refuse(sock, CTL_ERROR_LIMIT, why);
		return;
	}
	ctl_conn *c = g_new0(ctl_conn, 1);
	c->srv = s;
	c->number = ++s->next_conn;
	c->sock = g_object_ref(sock);
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	c->in_src = g_socket_create_source(sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(c->in_src, (GSourceFunc)(void (*)(void))on_readable, c, NULL);
	g_source_attach(c->in_src, s->ctx);
	g_ptr_array_add(s->conns, c);
}

static gboolean on_incoming(GSocket *listener, GIOCondition cond, gpointer data)
{
	ctl_server *s = data;
	for (unsigned i = 0; i < ACCEPTS_PER_WAKE; i++) {
		g_autoptr(GError) err = NULL;
		g_autoptr(GSocket) sock = g_socket_accept(listener, NULL, &err);
		if (sock == NULL) {
			if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				g_debug("%s: accept: %s", __func__, err->message);
			break;
		}
		accept_one(s, sock);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_tick(gpointer data)
{
	ctl_server *s = data;
	gint64 now = g_get_monotonic_time();
	for (guint i = 0; i < s->conns->len; i++) {
		ctl_conn *c = g_ptr_array_index(s->conns, i);
		if (!c->dead && c->stalled_since != 0 &&
		    now - c->stalled_since > (gint64)s->stall_ms * 1000)
			conn_kill(c, "output stalled: the client does not read");
	}
	return G_SOURCE_CONTINUE;
}

/* ---- start and stop ---- */

static bool resolve_group(const char *group, gid_t *out, GError **error)
{
	char *end = NULL;
	unsigned long n = strtoul(group, &end, 10);
	if (group[0] != '\0' && end != NULL && *end == '\0') {
		*out = (gid_t)n;
		return true;
	}
	struct group gr, *res = NULL;
	char buf[4096];
	if (getgrnam_r(group, &gr, buf, sizeof buf, &res) != 0 || res == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "control socket group \"%s\": no such group (give a group name or number)",
			    group);
		return false;
	}
	*out = gr.gr_gid;
	return true;
}

/* A socket file left by a dead server is replaced; a live one, or any
 * other kind of file, is an error. */
static bool clear_stale(const char *path, GError **error)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return true;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO,
			    "%s exists and is not a socket: remove it or choose another path", path);
		return false;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "socket: %s", g_strerror(errno));
		return false;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	if (r == 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO,
			    "%s: another control server answers there: stop it first", path);
		return false;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "cannot remove the stale socket %s: %s",
			    path, g_strerror(errno));
		return false;
	}
	return true;
}

static gpointer server_thread(gpointer data)
{
	ctl_server *s = data;
	g_main_context_push_thread_default(s->ctx);
	g_main_loop_run(s->loop);
	g_main_context_pop_thread_default(s->ctx);
	return NULL;
}

static void server_free(ctl_server *s)
{
	if (s->events_sub != 0)
		emu_events_unsubscribe(s->events_sub);
	ctl_jobs_shutdown(s);
	g_clear_pointer(&s->conns, g_ptr_array_unref);
	g_clear_pointer(&s->trace_files, g_ptr_array_unref);
	if (s->listen_src != NULL) {
		g_source_destroy(s->listen_src);
		g_source_unref(s->listen_src);
	}
	if (s->tick_src != NULL) {
		g_source_destroy(s->tick_src);
		g_source_unref(s->tick_src);
	}
	if (s->listener != NULL) {
		struct stat st;
		g_socket_close(s->listener, NULL);
		g_object_unref(s->listener);
		/* Only our own socket file: another server may have replaced it. */
		if (lstat(s->path, &st) == 0 && st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
			unlink(s->path);
	}
	ctl_frame *f;
	while ((f = g_queue_pop_head(&s->trace_q)) != NULL)
		g_free(f);
	g_clear_pointer(&s->counts, g_hash_table_unref);
	g_clear_pointer(&s->dev_to_reader, g_hash_table_unref);
	g_clear_pointer(&s->loop, g_main_loop_unref);
	g_clear_pointer(&s->ctx, g_main_context_unref);
	g_mutex_clear(&s->count_lock);
	g_mutex_clear(&s->trace_lock);
	g_free(s->driver_version);
	g_free(s->path);
	g_free(s);
}

ctl_server *ctl_server_start(const char *socket_path, const ctl_directory *dir,
			     const ctl_server_opts *opts, GError **error)
{
	g_return_val_if_fail(socket_path != NULL && dir != NULL && dir->list != NULL, NULL);

	struct sockaddr_un probe;
	if (socket_path[0] == '\0' || strlen(socket_path) >= sizeof probe.sun_path) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO,
			    "control socket path \"%s\": it must have 1 to %zu bytes", socket_path,
			    sizeof probe.sun_path - 1);
		return NULL;
	}
	/* Declared before the first goto: cleanup must never meet an
	 * uninitialised autoptr. */
	g_autoptr(GError) err = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	ctl_server *s = g_new0(ctl_server, 1);
	g_mutex_init(&s->count_lock);
	g_mutex_init(&s->trace_lock);
	g_queue_init(&s->trace_q);
	s->path = g_strdup(socket_path);
	s->dir = *dir;
	s->max_clients = opts != NULL && opts->max_clients > 0 ? opts->max_clients
							       : CTL_SERVER_DEFAULT_CLIENTS;
	s->stall_ms = opts != NULL && opts->stall_ms > 0 ? opts->stall_ms
							 : CTL_SERVER_DEFAULT_STALL_MS;
	s->driver_version = g_strdup(opts != NULL && opts->driver_version != NULL
					     ? opts->driver_version
					     : PACKAGE_VERSION);
	s->counts = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	s->dev_to_reader = g_hash_table_new(NULL, NULL);
	ctl_jobs_init(s);
	s->trace_files = g_ptr_array_new_with_free_func(ctl_trace_file_free);
	s->ctx = g_main_context_new();
	s->loop = g_main_loop_new(s->ctx, FALSE);
	s->conns = g_ptr_array_new_with_free_func(conn_free);

	if (opts != NULL && opts->group != NULL) {
		if (!resolve_group(opts->group, &s->gid, error))
			goto fail;
		s->has_group = true;
	}
	if (!clear_stale(socket_path, error))
		goto fail;

	s->listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
				   G_SOCKET_PROTOCOL_DEFAULT, &err);
	if (s->listener == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "control socket: %s", err->message);
		goto fail;
	}
	addr = g_unix_socket_address_new(socket_path);
	if (!g_socket_bind(s->listener, addr, FALSE, &err)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "cannot bind the control socket %s: %s",
			    socket_path, err->message);
		goto fail;
	}
	struct stat st;
	if (lstat(socket_path, &st) == 0) {
		s->sock_dev = st.st_dev;
		s->sock_ino = st.st_ino;
	}
	/* The mode is set after bind (umask is process-wide, and pcscd's
	 * other threads must not see it change); a peer that connects in
	 * between still meets the SO_PEERCRED check. */
	if ((s->has_group && chown(socket_path, (uid_t)-1, s->gid) != 0) ||
	    chmod(socket_path, s->has_group ? 0660 : 0600) != 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "cannot set the mode of %s: %s",
			    socket_path, g_strerror(errno));
		goto fail;
	}
	g_socket_set_listen_backlog(s->listener, 32);
	if (!g_socket_listen(s->listener, &err)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "cannot listen on %s: %s", socket_path,
			    err->message);
		goto fail;
	}
	g_socket_set_blocking(s->listener, FALSE);

	s->listen_src = g_socket_create_source(s->listener, G_IO_IN, NULL);
	g_source_set_callback(s->listen_src, (GSourceFunc)(void (*)(void))on_incoming, s, NULL);
	g_source_attach(s->listen_src, s->ctx);
	s->tick_src = g_timeout_source_new(TICK_MS);
	g_source_set_callback(s->tick_src, on_tick, s, NULL);
	g_source_attach(s->tick_src, s->ctx);
	s->events_sub = emu_events_subscribe(ctl_server_on_edge, s);

	s->thread = g_thread_try_new("ccidlab-ctl", server_thread, s, &err);
	if (s->thread == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "cannot start the control thread: %s",
			    err->message);
		goto fail;
	}
	return s;

fail:
	server_free(s);
	return NULL;
}

static gboolean quit_cb(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

void ctl_server_stop(ctl_server *s)
{
	if (s == NULL)
		return;
	/* Through the context, not g_main_loop_quit from here: a loop that
	 * has not started running yet would forget the quit. */
	GSource *idle = g_idle_source_new();
	g_source_set_priority(idle, G_PRIORITY_HIGH);
	g_source_set_callback(idle, quit_cb, s->loop, NULL);
	g_source_attach(idle, s->ctx);
	g_source_unref(idle);
	g_thread_join(s->thread);
	/* The loop has returned: what follows runs here, with no dispatch. */
	server_free(s);
}
