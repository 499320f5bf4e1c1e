/* ccidlab — the control client (client.h): a blocking POSIX socket with
 * poll() deadlines, and a line buffer. */
#include "config.h"

#include "ctl/client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct ctl_client {
	int fd;
	int64_t next_id;
	GByteArray *in;
	GQueue events;		/* JsonObject */
	bool eof;
};

void ctl_client_free(ctl_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->in != NULL)
		g_byte_array_unref(c->in);
	JsonObject *o;
	while ((o = g_queue_pop_head(&c->events)) != NULL)
		json_object_unref(o);
	g_free(c);
}

static gint64 deadline_after(unsigned ms)
{
	return g_get_monotonic_time() + (gint64)ms * 1000;
}

static int remaining_ms(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();
	if (left <= 0)
		return 0;
	return (int)MIN(left / 1000 + 1, (gint64)G_MAXINT);
}

ctl_client *ctl_client_connect(const char *path, unsigned timeout_ms, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof sa.sun_path) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO,
			    "control socket path \"%s\": it must have 1 to %zu bytes",
			    path != NULL ? path : "", sizeof sa.sun_path - 1);
		return NULL;
	}
	g_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "socket: %s", g_strerror(errno));
		return NULL;
	}
	gint64 deadline = deadline_after(timeout_ms);
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			break;
		int e = errno;
		/* A full backlog says EAGAIN on Unix sockets: retry a while. */
		if ((e == EAGAIN || e == EINTR) && remaining_ms(deadline) > 0) {
			g_usleep(5000);
			continue;
		}
		close(fd);
		if (e == EACCES || e == EPERM)
			g_set_error(error, CTL_ERROR, CTL_ERROR_PERMISSION,
				    "%s: %s: the control socket belongs to pcscd's user (run as "
				    "that user, or configure a group)",
				    path, g_strerror(e));
		else
			g_set_error(error, CTL_ERROR, CTL_ERROR_IO,
				    "%s: %s: no control server there (is pcscd running with a "
				    "ccidlab reader?  Give --socket PATH or set CCIDLAB_CTL_SOCKET)",
				    path, g_strerror(e));
		return NULL;
	}
	ctl_client *c = g_new0(ctl_client, 1);
	c->fd = fd;
	c->next_id = 1;
	c->in = g_byte_array_new();
	g_queue_init(&c->events);
	return c;
}

/* One sendmsg; fd >= 0 rides with its first byte (SCM_RIGHTS, unix(7)). */
static ssize_t send_once(int sock, const char *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	if (fd >= 0) {
		m.msg_control = u.buf;
		m.msg_controllen = sizeof u.buf;
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL);
}

/* Sends the whole buffer by deadline; fd (when >= 0) goes with it. */
static gboolean send_until(ctl_client *c, const char *buf, size_t len, int fd, gint64 deadline,
			   GError **error)
{
	while (len > 0) {
		ssize_t n = send_once(c->fd, buf, len, fd);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			fd = -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "sending to the server: %s",
				    g_strerror(errno));
			return FALSE;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		int ms = remaining_ms(deadline);
		if (ms == 0 || poll(&p, 1, ms) == 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_TIMEOUT,
				    "the server takes no more input (timed out)");
			return FALSE;
		}
	}
	return TRUE;
}

gboolean ctl_client_send_raw(ctl_client *c, const void *buf, size_t len, unsigned timeout_ms,
			     GError **error)
{
	return send_until(c, buf, len, -1, deadline_after(timeout_ms), error);
}

gboolean ctl_client_send_raw_fd(ctl_client *c, const void *buf, size_t len, int fd,
				unsigned timeout_ms, GError **error)
{
	return send_until(c, buf, len, fd, deadline_after(timeout_ms), error);
}

/* One line out of the buffer, reading until deadline. */
static char *read_line_until(ctl_client *c, gint64 deadline, GError **error)
{
	for (;;) {
		guint8 *nl = c->in->len > 0 ? memchr(c->in->data, '\n', c->in->len) : NULL;
		if (nl != NULL) {
			size_t len = (size_t)(nl - c->in->data);
			char *line = g_strndup((const char *)c->in->data, len);
			g_byte_array_remove_range(c->in, 0, (guint)len + 1);
			return line;
		}
		if (c->in->len > CTL_CLIENT_LINE_MAX) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL,
				    "the server sent a line over %u bytes", CTL_CLIENT_LINE_MAX);
			return NULL;
		}
		if (c->eof) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_IO,
				    "the server closed the connection");
			return NULL;
		}
		guint8 buf[16384];
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n > 0) {
			g_byte_array_append(c->in, buf, (guint)n);
			continue;
		}
		if (n == 0) {
			c->eof = true;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "reading from the server: %s",
				    g_strerror(errno));
			return NULL;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int ms = remaining_ms(deadline);
		if (ms == 0 || poll(&p, 1, ms) == 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_TIMEOUT,
				    "no answer from the server in time");
			return NULL;
		}
	}
}

char *ctl_client_read_line(ctl_client *c, unsigned timeout_ms, GError **error)
{
	return read_line_until(c, deadline_after(timeout_ms), error);
}

static JsonObject *parse_object(const char *line, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new_immutable();
	g_autoptr(GError) err = NULL;
	if (!json_parser_load_from_data(p, line, -1, &err)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL, "the server sent bad JSON: %s",
			    err->message);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(p);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL,
			    "the server sent a line that is not an object");
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

JsonObject *ctl_client_request_new(const char *req)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "req", req);
	return o;
}

/* An error reply → GError; false when it is not one. */
static gboolean reply_error(JsonObject *o, GError **error)
{
	if (!json_object_has_member(o, "ok") || json_object_get_boolean_member(o, "ok"))
		return FALSE;
	const char *code = "failed", *message = "the server gave no reason";
	JsonNode *en = json_object_get_member(o, "error");
	if (en != NULL && JSON_NODE_HOLDS_OBJECT(en)) {
		JsonObject *e = json_node_get_object(en);
		code = json_object_get_string_member_with_default(e, "code", code);
		message = json_object_get_string_member_with_default(e, "message", message);
	}
	g_set_error(error, CTL_ERROR, ctl_error_from_name(code), "%s", message);
	return TRUE;
}

static JsonObject *call(ctl_client *c, JsonObject *req, int fd, unsigned timeout_ms,
			GError **error)
{
	int64_t id = c->next_id++;
	json_object_set_int_member(req, "v", CTL_PROTOCOL_VERSION);
	json_object_set_int_member(req, "id", id);
	if (fd >= 0)
		json_object_set_boolean_member(req, "fd", TRUE);
	size_t len;
	g_autofree char *line = ctl_object_to_line(req, &len);
	gint64 deadline = deadline_after(timeout_ms);
	GError *send_err = NULL;
	if (!send_until(c, line, len, fd, deadline, &send_err)) {
		/* A server that refused us said why before it closed: prefer its
		 * words to EPIPE. */
		g_autofree char *why = read_line_until(c, MIN(deadline, deadline_after(200)), NULL);
		g_autoptr(JsonObject) o = why != NULL ? parse_object(why, NULL) : NULL;
		if (o != NULL && reply_error(o, error)) {
			g_error_free(send_err);
			return NULL;
		}
		g_propagate_error(error, send_err);
		return NULL;
	}
	for (;;) {
		g_autofree char *got = read_line_until(c, deadline, error);
		if (got == NULL)
			return NULL;
		JsonObject *o = parse_object(got, error);
		if (o == NULL)
			return NULL;
		if (json_object_has_member(o, "event")) {
			g_queue_push_tail(&c->events, o);
			continue;
		}
		/* A reply without an id is about the connection (refused, line
		 * too long): it answers this call too. */
		bool ours = !json_object_has_member(o, "id") ||
			    json_object_get_int_member(o, "id") == id;
		if (!ours) {
			json_object_unref(o);
			continue;
		}
		if (reply_error(o, error)) {
			json_object_unref(o);
			return NULL;
		}
		if (!json_object_has_member(o, "ok")) {
			json_object_unref(o);
			g_set_error(error, CTL_ERROR, CTL_ERROR_PROTOCOL,
				    "the server's reply has no \"ok\"");
			return NULL;
		}
		return o;
	}
}

JsonObject *ctl_client_next_event(ctl_client *c, unsigned timeout_ms, GError **error)
{
	JsonObject *o = g_queue_pop_head(&c->events);
	if (o != NULL)
		return o;
	gint64 deadline = deadline_after(timeout_ms);
	for (;;) {
		g_autofree char *got = read_line_until(c, deadline, error);
		if (got == NULL)
			return NULL;
		o = parse_object(got, error);
		if (o == NULL)
			return NULL;
		if (json_object_has_member(o, "event"))
			return o;
		/* A connection-level error (no id) ends the stream. */
		if (!json_object_has_member(o, "id") && reply_error(o, error)) {
			json_object_unref(o);
			return NULL;
		}
		json_object_unref(o);
	}
}

JsonObject *ctl_client_call(ctl_client *c, JsonObject *req, unsigned timeout_ms, GError **error)
{
	return call(c, req, -1, timeout_ms, error);
}

JsonObject *ctl_client_call_with_fd(ctl_client *c, JsonObject *req, int fd, unsigned timeout_ms,
				    GError **error)
{
	g_return_val_if_fail(fd >= 0, NULL);
	return call(c, req, fd, timeout_ms, error);
}
