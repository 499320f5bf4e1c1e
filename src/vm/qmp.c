/* ccidlab — a small QMP client for `ccidlab vm`: capabilities, device_add
 * (through the human monitor, so that a device is written as on QEMU's
 * command line), device_del (done at DEVICE_DELETED), quit.
 *
 * QMP is one JSON object per line.  Every command carries an id; its
 * answer is matched by it.  Each command has a deadline (QMP_CMD_MS): a
 * QEMU that never answers fails the command, and a late answer is
 * dropped.  Input is bounded (QMP_LINE_MAX).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "vm/vm_priv.h"

#define QMP_CMD_MS 10000
#define QMP_LINE_MAX (1024 * 1024)
#define QMP_WRITE_MS 2000

typedef enum { CMD_CAPS, CMD_ADD, CMD_DEL, CMD_QUIT } cmd_kind;

typedef struct qcmd {
	vm_qmp *q;
	unsigned id;
	cmd_kind kind;
	char *json;
	char *device;		/* device_del: the id to see deleted */
	bool returned;
	bool deleted;
	guint timer;
	vm_qmp_done done;
	void *data;
} qcmd;

struct vm_qmp {
	char *path;
	int fd;
	guint watch;
	GString *in;
	bool ready;
	unsigned next_id;
	GPtrArray *cmds;	/* qcmd: sent or waiting for ready */
};

static void cmd_free(gpointer p)
{
	qcmd *c = p;
	if (c->timer != 0)
		g_source_remove(c->timer);
	g_free(c->json);
	g_free(c->device);
	g_free(c);
}

/* Ends a command (removes it; its callback last, which may add more). */
static void finish(qcmd *c, bool ok, const char *error)
{
	vm_qmp_done done = c->done;
	void *data = c->data;
	g_ptr_array_remove(c->q->cmds, c);
	if (done != NULL)
		done(data, ok, error);
}

static bool write_all(int fd, const char *s, size_t len)
{
	gint64 end = g_get_monotonic_time() + QMP_WRITE_MS * 1000;
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			s += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
	}
	return true;
}

static void send_cmd(qcmd *c)
{
	if (!write_all(c->q->fd, c->json, strlen(c->json)))
		finish(c, false, "cannot write to QEMU's monitor");
}

static gboolean cmd_timeout(gpointer data)
{
	qcmd *c = data;
	c->timer = 0;
	finish(c, false, "QEMU's monitor did not answer in time");
	return G_SOURCE_REMOVE;
}

static void submit(vm_qmp *q, cmd_kind kind, const char *execute, JsonNode *args,
		   const char *device, vm_qmp_done done, void *data)
{
	qcmd *c = g_new0(qcmd, 1);
	c->q = q;
	c->id = ++q->next_id;
	c->kind = kind;
	c->device = g_strdup(device);
	c->done = done;
	c->data = data;
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "execute");
	json_builder_add_string_value(b, execute);
	if (args != NULL) {
		json_builder_set_member_name(b, "arguments");
		json_builder_add_value(b, args);
	}
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, c->id);
	json_builder_end_object(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autofree char *text = json_to_string(root, FALSE);
	c->json = g_strconcat(text, "\n", NULL);
	c->timer = g_timeout_add(QMP_CMD_MS, cmd_timeout, c);
	g_ptr_array_add(q->cmds, c);
	if (q->ready || kind == CMD_CAPS)
		send_cmd(c);
}

static qcmd *by_id(vm_qmp *q, gint64 id)
{
	for (guint i = 0; i < q->cmds->len; i++) {
		qcmd *c = g_ptr_array_index(q->cmds, i);
		if ((gint64)c->id == id)
			return c;
	}
	return NULL;
}

static void on_ready(vm_qmp *q)
{
	q->ready = true;
	g_autoptr(GPtrArray) waiting = g_ptr_array_new();
	for (guint i = 0; i < q->cmds->len; i++)
		g_ptr_array_add(waiting, g_ptr_array_index(q->cmds, i));
	for (guint i = 0; i < waiting->len; i++)
		send_cmd(g_ptr_array_index(waiting, i));
}

static void on_return(vm_qmp *q, qcmd *c, JsonNode *ret)
{
	if (c->kind == CMD_CAPS) {
		finish(c, true, NULL);
		on_ready(q);
		return;
	}
	if (c->kind == CMD_ADD) {
		/* The human monitor answers "" when it worked, else its error. */
		const char *text = JSON_NODE_HOLDS_VALUE(ret) ? json_node_get_string(ret) : NULL;
		if (text != NULL && text[0] != '\0') {
			g_autofree char *msg = g_strstrip(g_strdup(text));
			finish(c, false, msg);
		} else {
			finish(c, true, NULL);
		}
		return;
	}
	c->returned = true;
	if (c->kind != CMD_DEL || c->deleted)
		finish(c, true, NULL);
}

static void on_event(vm_qmp *q, JsonObject *o)
{
	const char *ev = json_object_get_string_member_with_default(o, "event", "");
	if (strcmp(ev, "DEVICE_DELETED") != 0 || !json_object_has_member(o, "data"))
		return;
	JsonObject *d = json_object_get_object_member(o, "data");
	const char *dev = d ? json_object_get_string_member_with_default(d, "device", "") : "";
	for (guint i = 0; i < q->cmds->len; i++) {
		qcmd *c = g_ptr_array_index(q->cmds, i);
		if (c->kind == CMD_DEL && c->device != NULL && strcmp(c->device, dev) == 0) {
			c->deleted = true;
			if (c->returned)
				finish(c, true, NULL);
			return;
		}
	}
}

static void on_line(vm_qmp *q, const char *line)
{
	g_autoptr(JsonParser) p = json_parser_new();
	if (!json_parser_load_from_data(p, line, -1, NULL))
		return;
	JsonNode *root = json_parser_get_root(p);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return;
	JsonObject *o = json_node_get_object(root);
	if (json_object_has_member(o, "QMP")) {
		submit(q, CMD_CAPS, "qmp_capabilities", NULL, NULL, NULL, NULL);
		return;
	}
	if (json_object_has_member(o, "event")) {
		on_event(q, o);
		return;
	}
	JsonNode *id = json_object_get_member(o, "id");
	qcmd *c = id != NULL && JSON_NODE_HOLDS_VALUE(id) ? by_id(q, json_node_get_int(id)) : NULL;
	if (c == NULL)
		return;	/* late, after its deadline */
	if (json_object_has_member(o, "error")) {
		JsonObject *e = json_object_get_object_member(o, "error");
		finish(c, false, e ? json_object_get_string_member_with_default(e, "desc", "error")
				   : "error");
		return;
	}
	on_return(q, c, json_object_get_member(o, "return"));
}

static void fail_all(vm_qmp *q, const char *why)
{
	while (q->cmds->len > 0)
		finish(g_ptr_array_index(q->cmds, 0), false, why);
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer data)
{
	vm_qmp *q = data;
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0 || q->in->len + (size_t)n > QMP_LINE_MAX) {
		q->watch = 0;
		q->ready = false;
		fail_all(q, "QEMU's monitor closed");
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(q->in, buf, n);
	char *nl;
	while ((nl = memchr(q->in->str, '\n', q->in->len)) != NULL) {
		g_autofree char *line = g_strndup(q->in->str, (gsize)(nl - q->in->str));
		g_string_erase(q->in, 0, nl - q->in->str + 1);
		on_line(q, line);
	}
	return G_SOURCE_CONTINUE;
}

vm_qmp *vm_qmp_new(const char *path)
{
	vm_qmp *q = g_new0(vm_qmp, 1);
	q->path = g_strdup(path);
	q->fd = -1;
	q->in = g_string_new(NULL);
	q->cmds = g_ptr_array_new_with_free_func(cmd_free);
	return q;
}

bool vm_qmp_connect(vm_qmp *q)
{
	if (q->fd >= 0)
		return true;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(q->path) >= sizeof sa.sun_path)
		return false;
	strcpy(sa.sun_path, q->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return false;
	}
	q->fd = fd;
	q->watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_input, q);
	return true;
}

bool vm_qmp_ready(const vm_qmp *q)
{
	return q->ready;
}

void vm_qmp_device_add(vm_qmp *q, const char *spec, vm_qmp_done done, void *data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "command-line");
	g_autofree char *cl = g_strdup_printf("device_add %s", spec);
	json_builder_add_string_value(b, cl);
	json_builder_end_object(b);
	JsonNode *args = json_builder_get_root(b);
	submit(q, CMD_ADD, "human-monitor-command", args, NULL, done, data);
}

void vm_qmp_device_del(vm_qmp *q, const char *id, vm_qmp_done done, void *data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, id);
	json_builder_end_object(b);
	JsonNode *args = json_builder_get_root(b);
	submit(q, CMD_DEL, "device_del", args, id, done, data);
}

void vm_qmp_quit(vm_qmp *q)
{
	if (q->fd >= 0 && q->ready)
		submit(q, CMD_QUIT, "quit", NULL, NULL, NULL, NULL);
}

void vm_qmp_free(vm_qmp *q)
{
	if (q == NULL)
		return;
	if (q->watch != 0)
		g_source_remove(q->watch);
	/* Nobody is told: the run is over. */
	for (guint i = 0; i < q->cmds->len; i++)
		((qcmd *)g_ptr_array_index(q->cmds, i))->done = NULL;
	g_ptr_array_unref(q->cmds);
	if (q->fd >= 0)
		close(q->fd);
	g_string_free(q->in, TRUE);
	g_free(q->path);
	g_free(q);
}
