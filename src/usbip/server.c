/* ccidlab — the USB/IP server's sockets and threads: a listener, and one
 * session per TCP connection.  A session's reader thread feeds the
 * peer's bytes to its connection's state machine (conn.c); once a device
 * is imported, one executor thread per endpoint queue runs its URBs in
 * order on the device (urb.c) and answers them.
 *
 * A session ends when its peer closes or breaks the protocol, when a send
 * fails, or from outside (usbip_session_end: the device was removed or
 * unplugged, the server stops).  Then, in this order: the connection
 * stops taking URBs and cancels the running ones, the executors are
 * joined (every emulator wait is bounded by a cancel flag or the
 * interrupt stop), the device is released (usbdev_replug: nothing the
 * vanished host left reaches the next one), and the socket is closed.
 *
 * Bounds: SESSIONS_MAX sessions at once; a peer that has not imported a
 * device within OP_TIMEOUT_S is dropped; a send that makes no progress
 * for SEND_TIMEOUT_S ends the session.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usbip/usbip_priv.h"

#define SESSIONS_MAX 128u
#define OP_TIMEOUT_S 10
#define SEND_TIMEOUT_S 10
#define RECV_CHUNK (64u * 1024u)

struct usbip_server {
	usbip_exporter *ex;
	int listen_fd;
	int wake[2];		/* a pipe: stop */
	char address[96];	/* "ADDR:PORT" as bound */
	GThread *acceptor;
	GMutex lock;
	GCond cond;		/* a session ended */
	GPtrArray *sessions;	/* usbip_session *, under lock */
	bool quiet;
};

struct usbip_session {
	usbip_server *srv;
	int fd;
	char peer[80];
	usbip_conn *conn;
	usbip_export *dev;	/* after the import */
	GThread *reader;
	GThread *workers[USBIP_QUEUES];
	gint ending;		/* ended from outside: answer what runs, then close */
};

static void say(usbip_server *srv, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(usbip_server *srv, const char *fmt, ...)
{
	va_list ap;

	if (srv->quiet)
		return;
	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "ccidlab usbip: %s\n", line);
}

void usbip_session_end(usbip_session *s)
{
	/* The reader wakes (end of stream) and cleans up; the fd stays open
	 * until then, so this is safe from any thread.  Only the reading
	 * side: the URBs that run are still answered, as a USB/IP host's
	 * stub answers them when its device is unplugged, then closes. */
	g_atomic_int_set(&s->ending, 1);
	shutdown(s->fd, SHUT_RD);
}

/* ---- the connection's operations ---- */

static size_t op_devlist(void *data, usbip_devinfo *out, size_t cap)
{
	usbip_session *s = data;
	return usbip_exporter_devlist(s->srv->ex, out, cap);
}

static gpointer executor(gpointer data);

typedef struct worker_arg {
	usbip_session *s;
	unsigned queue;
} worker_arg;

static uint32_t op_import(void *data, const char *busid, usbip_devinfo *out)
{
	usbip_session *s = data;
	uint32_t st = usbip_exporter_claim(s->srv->ex, busid, s, out, &s->dev);

	if (st != USBIP_ST_OK)
		return st;
	const usbdev *d = s->dev->usb;
	const bool has[USBIP_QUEUES] = { true, d->ep_bulk_out != 0, d->ep_bulk_in != 0,
					 d->ep_interrupt != 0, d->extra_ep != 0 };
	for (unsigned q = 0; q < USBIP_QUEUES; q++) {
		if (!has[q])
			continue;
		worker_arg *a = g_new(worker_arg, 1);
		*a = (worker_arg){ s, q };
		s->workers[q] = g_thread_new("usbip-urb", executor, a);
	}
	say(s->srv, "%s imported %s (%s)", s->peer, busid, d->name);
	return st;
}

static int op_route(void *data, uint8_t ep)
{
	usbip_session *s = data;
	return usbip_queue_of(s->dev->usb, ep);
}

static void op_cancel(void *data, unsigned queue)
{
	usbip_session *s = data;
	usbip_queue_cancel(s->dev != NULL ? s->dev->usb : NULL, queue);
}

static bool op_send(void *data, const uint8_t *buf, size_t len)
{
	usbip_session *s = data;

	while (len > 0) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			shutdown(s->fd, SHUT_RDWR);
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static gpointer executor(gpointer data)
{
	worker_arg *a = data;
	usbip_session *s = a->s;
	usbip_urb *u;

	while ((u = usbip_conn_next(s->conn, a->queue, true)) != NULL) {
		usbip_urb_run(s->dev->usb, u, 0);
		usbip_export_count(s->dev, u);
		usbip_conn_complete(s->conn, u);
	}
	g_free(a);
	return NULL;
}

/* ---- sessions ---- */

static void set_timeout(int fd, int opt, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };
	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static gpointer session_run(gpointer data)
{
	usbip_session *s = data;
	g_autofree uint8_t *buf = g_malloc(RECV_CHUNK);
	bool imported = false;
	const char *why = "the peer closed the connection";

	for (;;) {
		ssize_t n = recv(s->fd, buf, RECV_CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !imported) {
			why = "no operation within the time allowed";
			break;
		}
		if (n <= 0) {
			if (n < 0)
				why = g_strerror(errno);
			break;
		}
		if (!usbip_conn_feed(s->conn, buf, (size_t)n)) {
			why = usbip_conn_error(s->conn);
			break;
		}
		if (!imported && usbip_conn_imported(s->conn, NULL)) {
			imported = true;
			set_timeout(s->fd, SO_RCVTIMEO, 0);	/* a host may be idle for hours */
		}
	}
	if (g_atomic_int_get(&s->ending)) {
		why = "the device left the bus";
		usbip_conn_drain(s->conn);
	} else {
		usbip_conn_close(s->conn);
	}
	for (unsigned q = 0; q < USBIP_QUEUES; q++)
		if (s->workers[q] != NULL)
			g_thread_join(s->workers[q]);
	usbip_conn_close(s->conn);
	/* Released before the peer sees the end: a client that reconnects
	 * at once finds the device free. */
	if (s->dev != NULL) {
		say(s->srv, "%s: %s released (%s)", s->peer, s->dev->busid, why);
		usbip_exporter_release(s->srv->ex, s->dev);
	}
	shutdown(s->fd, SHUT_RDWR);
	/* Out of the list before the fd closes: usbip_server_stop never
	 * shuts down a number the system may have given to another socket. */
	usbip_server *srv = s->srv;
	g_mutex_lock(&srv->lock);
	g_ptr_array_remove(srv->sessions, s);
	g_cond_broadcast(&srv->cond);
	g_mutex_unlock(&srv->lock);
	close(s->fd);
	usbip_conn_free(s->conn);
	g_free(s);
	return NULL;
}

static void session_start(usbip_server *srv, int fd, const struct sockaddr_storage *peer,
			  socklen_t peer_len)
{
	char host[INET6_ADDRSTRLEN + 8] = "?", port[8] = "?";
	int one = 1;

	getnameinfo((const struct sockaddr *)peer, peer_len, host, sizeof host, port, sizeof port,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	g_mutex_lock(&srv->lock);
	if (srv->sessions->len >= SESSIONS_MAX) {
		g_mutex_unlock(&srv->lock);
		say(srv, "%s:%s refused: %u connections already", host, port, SESSIONS_MAX);
		close(fd);
		return;
	}
	/* Replies are small and each is one send: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	set_timeout(fd, SO_RCVTIMEO, OP_TIMEOUT_S);
	set_timeout(fd, SO_SNDTIMEO, SEND_TIMEOUT_S);
	usbip_session *s = g_new0(usbip_session, 1);
	s->srv = srv;
	s->fd = fd;
	g_snprintf(s->peer, sizeof s->peer, "%s:%s", host, port);
	usbip_conn_ops ops = { op_devlist, op_import, op_route, op_cancel, op_send, s };
	s->conn = usbip_conn_new(&ops);
	g_ptr_array_add(srv->sessions, s);
	s->reader = g_thread_new("usbip-session", session_run, s);
	g_thread_unref(s->reader);	/* it frees the session at its end */
	g_mutex_unlock(&srv->lock);
}

static gpointer accept_loop(gpointer data)
{
	usbip_server *srv = data;

	for (;;) {
		struct pollfd p[2] = { { srv->listen_fd, POLLIN, 0 }, { srv->wake[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents != 0)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int fd = accept4(srv->listen_fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (fd >= 0)
			session_start(srv, fd, &peer, len);
	}
	return NULL;
}

/* ---- the listener ---- */

/* ADDR, ADDR:PORT, [V6]:PORT or [V6]: numeric addresses only (--listen
 * names where to listen, not a host to look up). */
static bool split_listen(const char *spec, char **host, char **port, GError **error)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			goto bad;
		*host = g_strndup(spec + 1, (gsize)(end - spec - 1));
		*port = g_strdup(end[1] == ':' ? end + 2 : "");
	} else if ((colon = strchr(spec, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		*host = g_strndup(spec, (gsize)(colon - spec));
		*port = g_strdup(colon + 1);
	} else {
		*host = g_strdup(spec);	/* an IPv4 address, or a bare IPv6 one */
		*port = g_strdup("");
	}
	if (**port == '\0') {
		g_free(*port);
		*port = g_strdup_printf("%u", USBIP_DEFAULT_PORT);
	}
	return true;
bad:
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "--listen %s: give ADDR[:PORT] or [IPV6]:PORT", spec);
	return false;
}

static int bind_listener(const char *spec, char *bound, size_t cap, GError **error)
{
	g_autofree char *host = NULL, *port = NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int one = 1, fd = -1;

	if (!split_listen(spec, &host, &port, error))
		return -1;
	int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (rc != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "--listen %s: %s (a numeric address and port)", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "--listen %s: %s", spec,
			    g_strerror(e));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char h[INET6_ADDRSTRLEN] = "?", p[8] = "?";
	getsockname(fd, (struct sockaddr *)&sa, &len);
	getnameinfo((struct sockaddr *)&sa, len, h, sizeof h, p, sizeof p,
		    NI_NUMERICHOST | NI_NUMERICSERV);
	g_snprintf(bound, cap, sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, p);
	return fd;
}

usbip_server *usbip_server_start(usbip_exporter *ex, const char *listen_spec, bool quiet,
				 GError **error)
{
	usbip_server *srv = g_new0(usbip_server, 1);

	srv->ex = ex;
	srv->quiet = quiet;
	srv->listen_fd = bind_listener(listen_spec, srv->address, sizeof srv->address, error);
	if (srv->listen_fd < 0) {
		g_free(srv);
		return NULL;
	}
	if (pipe2(srv->wake, O_CLOEXEC) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "pipe: %s",
			    g_strerror(errno));
		close(srv->listen_fd);
		g_free(srv);
		return NULL;
	}
	g_mutex_init(&srv->lock);
	g_cond_init(&srv->cond);
	srv->sessions = g_ptr_array_new();
	srv->acceptor = g_thread_new("usbip-accept", accept_loop, srv);
	return srv;
}

const char *usbip_server_address(const usbip_server *srv)
{
	return srv->address;
}

void usbip_server_stop(usbip_server *srv)
{
	if (srv == NULL)
		return;
	ssize_t w = write(srv->wake[1], "x", 1);
	(void)w;
	g_thread_join(srv->acceptor);
	close(srv->listen_fd);
	g_mutex_lock(&srv->lock);
	for (guint i = 0; i < srv->sessions->len; i++)
		usbip_session_end(g_ptr_array_index(srv->sessions, i));
	/* Each session ends within its executors' bounds (a slice). */
	while (srv->sessions->len > 0)
		g_cond_wait(&srv->cond, &srv->lock);
	g_mutex_unlock(&srv->lock);
	g_ptr_array_unref(srv->sessions);
	close(srv->wake[0]);
	close(srv->wake[1]);
	g_mutex_clear(&srv->lock);
	g_cond_clear(&srv->cond);
	g_free(srv);
}
