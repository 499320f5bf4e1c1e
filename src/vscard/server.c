/* ccidlab — the VSCard server (see server.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "vscard/server.h"

#define READ_CHUNK 4096

typedef struct endpoint endpoint;

typedef struct conn {
	endpoint *ep;
	int fd;
	guint watch;		/* G_IO_IN, and G_IO_OUT while output waits */
	GByteArray *out;
	vscard_session *session;
} conn;

struct endpoint {
	vscard_server *srv;
	char *name;
	char *spec;
	char *unix_path;	/* removed at the end when we made it */
	int listen_fd;
	guint listen_watch;
	conn *conns[VSCARD_SERVER_MAX_CONN];
	bool present;
	vscard_session_stats done;	/* of closed sessions */
	unsigned accepted;
};

struct vscard_server {
	GPtrArray *endpoints;
	void (*log)(void *data, const char *line);
	void *data;
};

static void ep_say(endpoint *ep, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void ep_say(endpoint *ep, const char *fmt, ...)
{
	if (ep->srv->log == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_autofree char *line = g_strdup_printf("%s: %s", ep->name, msg);
	ep->srv->log(ep->srv->data, line);
}

/* ---- connections ---- */

static void add_stats(vscard_session_stats *to, const vscard_session_stats *s)
{
	to->inits += s->inits;
	to->atrs += s->atrs;
	to->removals += s->removals;
	to->apdus += s->apdus;
	to->answered += s->answered;
	to->faults += s->faults;
	to->errors += s->errors;
}

static void conn_close(conn *c, const char *why)
{
	endpoint *ep = c->ep;
	for (unsigned i = 0; i < VSCARD_SERVER_MAX_CONN; i++)
		if (ep->conns[i] == c)
			ep->conns[i] = NULL;
	if (why != NULL)
		ep_say(ep, "connection closed: %s", why);
	if (c->watch != 0)
		g_source_remove(c->watch);
	add_stats(&ep->done, vscard_session_stats_get(c->session));
	vscard_session_free(c->session);
	g_byte_array_unref(c->out);
	close(c->fd);
	g_free(c);
}

static gboolean conn_ready(gint fd, GIOCondition cond, gpointer data);

static void conn_watch(conn *c)
{
	GIOCondition want = G_IO_IN | (c->out->len > 0 ? G_IO_OUT : 0);
	if (c->watch != 0)
		g_source_remove(c->watch);
	c->watch = g_unix_fd_add(c->fd, want, conn_ready, c);
}

/* Writes what it can now; false when the peer is gone. */
static bool flush_out(conn *c)
{
	while (c->out->len > 0) {
		ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		g_byte_array_remove_range(c->out, 0, (guint)n);
	}
	return true;
}

static void session_send(void *data, const uint8_t *buf, size_t len)
{
	conn *c = data;
	if (c->out->len + len > VSCARD_SERVER_OUT_MAX) {
		/* Closing here would free the session under its own call:
		 * mark the queue as dead and let the next wakeup close it. */
		ep_say(c->ep, "QEMU stopped reading (%u bytes queued): dropping it", c->out->len);
		shutdown(c->fd, SHUT_RDWR);
		return;
	}
	g_byte_array_append(c->out, buf, (guint)len);
	gboolean waiting = c->out->len > 0;
	if (flush_out(c) && waiting && c->out->len > 0)
		conn_watch(c);
}

static void session_log(void *data, const char *line)
{
	conn *c = data;
	ep_say(c->ep, "%s", line);
}

static const vscard_session_ops session_ops = {
	.send = session_send,
	.log = session_log,
};

static gboolean conn_ready(gint fd, GIOCondition cond, gpointer data)
{
	conn *c = data;
	if (cond & G_IO_OUT) {
		if (!flush_out(c)) {
			c->watch = 0;
			conn_close(c, "write failed");
			return G_SOURCE_REMOVE;
		}
		if (c->out->len == 0) {
			c->watch = 0;
			conn_watch(c);
			return G_SOURCE_REMOVE;
		}
	}
	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
		uint8_t buf[READ_CHUNK];
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return G_SOURCE_CONTINUE;
		if (n <= 0) {
			c->watch = 0;
			conn_close(c, n == 0 ? "QEMU closed it" : g_strerror(errno));
			return G_SOURCE_REMOVE;
		}
		if (!vscard_session_feed(c->session, buf, (size_t)n)) {
			c->watch = 0;
			conn_close(c, "VSCard stream lost");
			return G_SOURCE_REMOVE;
		}
	}
	return G_SOURCE_CONTINUE;
}

static bool conn_start(endpoint *ep, int fd, GError **error)
{
	unsigned slot = 0;
	while (slot < VSCARD_SERVER_MAX_CONN && ep->conns[slot] != NULL)
		slot++;
	if (slot == VSCARD_SERVER_MAX_CONN) {
		close(fd);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
			    "%s: already %d connections", ep->name, VSCARD_SERVER_MAX_CONN);
		return false;
	}
	conn *c = g_new0(conn, 1);
	c->ep = ep;
	c->fd = fd;
	c->out = g_byte_array_new();
	c->session = vscard_session_new(ep->spec, &session_ops, c, error);
	if (c->session == NULL) {
		g_byte_array_unref(c->out);
		close(fd);
		g_free(c);
		return false;
	}
	vscard_session_set_present(c->session, ep->present);
	ep->conns[slot] = c;
	ep->accepted++;
	conn_watch(c);
	vscard_session_start(c->session);
	return true;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	endpoint *ep = data;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return G_SOURCE_CONTINUE;
	g_autoptr(GError) err = NULL;
	if (!conn_start(ep, c, &err))
		ep_say(ep, "connection refused: %s", err->message);
	else
		ep_say(ep, "connected");
	return G_SOURCE_CONTINUE;
}

/* ---- addresses ---- */

static int sock_error(GError **error, const char *what, const char *addr)
{
	int e = errno;
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s %s: %s", what, addr,
		    g_strerror(e));
	return -1;
}

/* Fills a sockaddr for unix:PATH or tcp:[HOST:]PORT. */
static bool parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
		       GError **error)
{
	memset(ss, 0, sizeof *ss);
	if (g_str_has_prefix(addr, "unix:")) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		const char *path = addr + 5;
		if (path[0] == '\0' || strlen(path) >= sizeof un->sun_path) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "'%s': a socket path of 1 to %zu bytes", addr,
				    sizeof un->sun_path - 1);
			return false;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		*len = sizeof *un;
		return true;
	}
	if (g_str_has_prefix(addr, "tcp:")) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		const char *rest = addr + 4;
		const char *colon = strrchr(rest, ':');
		g_autofree char *host = colon ? g_strndup(rest, (gsize)(colon - rest))
					      : g_strdup("127.0.0.1");
		const char *port = colon ? colon + 1 : rest;
		guint64 p = 0;
		in->sin_family = AF_INET;
		if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, &p, NULL) ||
		    inet_pton(AF_INET, host, &in->sin_addr) != 1 ||
		    (ntohl(in->sin_addr.s_addr) >> 24) != 127) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "'%s': tcp:[HOST:]PORT with HOST a loopback address (127.x.x.x)",
				    addr);
			return false;
		}
		in->sin_port = htons((uint16_t)p);
		*len = sizeof *in;
		return true;
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "'%s': unix:PATH or tcp:[HOST:]PORT", addr);
	return false;
}

static int open_listen(endpoint *ep, const char *addr, GError **error)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	if (!parse_addr(addr, &ss, &len, error))
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sock_error(error, "socket", addr);
	if (ss.ss_family == AF_INET)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 4) != 0) {
		sock_error(error, "listen on", addr);
		close(fd);
		return -1;
	}
	if (ss.ss_family == AF_UNIX)
		ep->unix_path = g_strdup(((struct sockaddr_un *)&ss)->sun_path);
	return fd;
}

static int open_connect(const char *addr, GError **error)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	if (!parse_addr(addr, &ss, &len, error))
		return -1;
	/* Blocking connect to a local socket: it either answers or refuses
	 * at once. */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sock_error(error, "socket", addr);
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		sock_error(error, "connect to", addr);
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* ---- server ---- */

static void endpoint_free(gpointer data)
{
	endpoint *ep = data;
	for (unsigned i = 0; i < VSCARD_SERVER_MAX_CONN; i++)
		if (ep->conns[i] != NULL)
			conn_close(ep->conns[i], NULL);
	if (ep->listen_watch != 0)
		g_source_remove(ep->listen_watch);
	if (ep->listen_fd >= 0)
		close(ep->listen_fd);
	if (ep->unix_path != NULL)
		unlink(ep->unix_path);
	g_free(ep->unix_path);
	g_free(ep->name);
	g_free(ep->spec);
	g_free(ep);
}

vscard_server *vscard_server_new(void (*log)(void *data, const char *line), void *data)
{
	vscard_server *srv = g_new0(vscard_server, 1);
	srv->endpoints = g_ptr_array_new_with_free_func(endpoint_free);
	srv->log = log;
	srv->data = data;
	return srv;
}

void vscard_server_free(vscard_server *srv)
{
	if (srv == NULL)
		return;
	g_ptr_array_unref(srv->endpoints);
	g_free(srv);
}

static endpoint *find(const vscard_server *srv, const char *name)
{
	for (guint i = 0; i < srv->endpoints->len; i++) {
		endpoint *ep = g_ptr_array_index(srv->endpoints, i);
		if (strcmp(ep->name, name) == 0)
			return ep;
	}
	return NULL;
}

bool vscard_server_add(vscard_server *srv, const char *name, const char *addr, const char *spec,
		       bool connect, GError **error)
{
	if (find(srv, name) != NULL || srv->endpoints->len >= VSCARD_SERVER_MAX_ENDPOINTS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "%s: a second endpoint of that name, or more than %d", name,
			    VSCARD_SERVER_MAX_ENDPOINTS);
		return false;
	}
	if (!vscard_spec_check(spec, error))
		return false;
	endpoint *ep = g_new0(endpoint, 1);
	ep->srv = srv;
	ep->name = g_strdup(name);
	ep->spec = g_strdup(spec);
	ep->present = true;
	ep->listen_fd = -1;
	g_ptr_array_add(srv->endpoints, ep);
	if (connect) {
		int fd = open_connect(addr, error);
		if (fd < 0 || !conn_start(ep, fd, error)) {
			g_ptr_array_remove(srv->endpoints, ep);
			return false;
		}
		return true;
	}
	ep->listen_fd = open_listen(ep, addr, error);
	if (ep->listen_fd < 0) {
		g_ptr_array_remove(srv->endpoints, ep);
		return false;
	}
	ep->listen_watch = g_unix_fd_add(ep->listen_fd, G_IO_IN, on_accept, ep);
	return true;
}

bool vscard_server_set_present(vscard_server *srv, const char *name, bool present,
			       GError **error)
{
	endpoint *ep = find(srv, name);
	if (ep == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no VSCard card named '%s'", name);
		return false;
	}
	ep->present = present;
	for (unsigned i = 0; i < VSCARD_SERVER_MAX_CONN; i++)
		if (ep->conns[i] != NULL)
			vscard_session_set_present(ep->conns[i]->session, present);
	return true;
}

unsigned vscard_server_connections(const vscard_server *srv)
{
	unsigned n = 0;
	for (guint i = 0; i < srv->endpoints->len; i++) {
		endpoint *ep = g_ptr_array_index(srv->endpoints, i);
		for (unsigned j = 0; j < VSCARD_SERVER_MAX_CONN; j++)
			n += ep->conns[j] != NULL;
	}
	return n;
}

char *vscard_server_describe(const vscard_server *srv)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < srv->endpoints->len; i++) {
		endpoint *ep = g_ptr_array_index(srv->endpoints, i);
		vscard_session_stats t = ep->done;
		unsigned live = 0;
		for (unsigned j = 0; j < VSCARD_SERVER_MAX_CONN; j++)
			if (ep->conns[j] != NULL) {
				add_stats(&t, vscard_session_stats_get(ep->conns[j]->session));
				live++;
			}
		g_string_append_printf(s,
				       "%s: card %s, %s, connections %u (%u now), inits %u, atrs %u, "
				       "removals %u, apdus %u, answered %u, faults %u, errors %u\n",
				       ep->name, ep->spec, ep->present ? "in" : "out", ep->accepted,
				       live, t.inits, t.atrs, t.removals, t.apdus, t.answered,
				       t.faults, t.errors);
	}
	return g_string_free(s, FALSE);
}
