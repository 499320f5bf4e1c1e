/* ccidlab — the guest's side of the control port, and the subcommands a
 * command in the guest runs to talk to the host:
 *
 *   ccidlab vm unplug ID | plug ID    device_del / device_add of a device
 *                                     the host declared (ccid0, card0...)
 *   ccidlab vm eject NAME | insert NAME   a passthru card out or in over
 *                                     VSCard, the reader staying
 *   ccidlab vm list                   the declared devices, in or out
 *   ccidlab vm vscard                 what the VSCard server saw
 *
 * Each returns once the host has done it (an unplug once QEMU reported
 * DEVICE_DELETED), within VM_REQUEST_MS.  The port is one file that one
 * process opens at a time: a second client waits for it (EBUSY), within
 * the same bound.  Answers carry the request's id, so that an answer left
 * behind by a client that died is never taken for another's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "vm/vm_priv.h"

#define VM_REQUEST_MS 30000
#define BUSY_RETRY_MS 20

char *vm_guest_port(const char *name)
{
	/* The kernel names each port in sysfs; udev's /dev/virtio-ports
	 * links are not needed (nor waited for). */
	g_autoptr(GDir) d = g_dir_open("/sys/class/virtio-ports", 0, NULL);
	for (const char *n; d != NULL && (n = g_dir_read_name(d)) != NULL;) {
		g_autofree char *f = g_build_filename("/sys/class/virtio-ports", n, "name", NULL);
		g_autofree char *v = NULL;
		if (g_file_get_contents(f, &v, NULL, NULL) && strcmp(g_strstrip(v), name) == 0)
			return g_build_filename("/dev", n, NULL);
	}
	return g_build_filename(VM_PORT_DIR, name, NULL);
}

static int open_port(gint64 end, GError **error)
{
	g_autofree char *path = vm_guest_port(VM_PORT_CTL);
	for (;;) {
		int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0)
			return fd;
		if (errno != EBUSY || g_get_monotonic_time() >= end) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
				    "%s: %s (run inside ccidlab vm)", path, g_strerror(errno));
			return -1;
		}
		g_usleep(BUSY_RETRY_MS * 1000);
	}
}

static int left_ms(gint64 end)
{
	gint64 ms = (end - g_get_monotonic_time()) / 1000;
	return ms > 0 ? (int)ms : 0;
}

static bool send_line(int fd, const char *line, gint64 end, GError **error)
{
	size_t len = strlen(line), done = 0;
	while (done < len) {
		ssize_t n = write(fd, line + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if ((n < 0 && errno != EAGAIN && errno != EINTR) || poll(&p, 1, left_ms(end)) <= 0) {
			g_set_error(error, VM_ERROR, VM_ERROR_TIMEOUT,
				    "the host does not take the request");
			return false;
		}
	}
	return true;
}

/* Reads lines until one starts with "ID "; returns the rest of it. */
static char *read_answer(int fd, const char *id, gint64 end, GError **error)
{
	g_autoptr(GString) in = g_string_new(NULL);
	size_t idlen = strlen(id);
	for (;;) {
		char *nl;
		while ((nl = memchr(in->str, '\n', in->len)) != NULL) {
			g_autofree char *line = g_strndup(in->str, (gsize)(nl - in->str));
			g_string_erase(in, 0, nl - in->str + 1);
			if (strncmp(line, id, idlen) == 0 && line[idlen] == ' ')
				return g_strdup(line + idlen + 1);
		}
		if (in->len > VM_CTL_LINE_MAX * 4)
			g_string_truncate(in, 0);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, left_ms(end));
		if (r <= 0) {
			g_set_error(error, VM_ERROR, VM_ERROR_TIMEOUT,
				    "no answer from the host in time");
			return NULL;
		}
		char buf[1024];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0)
			g_string_append_len(in, buf, n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			g_set_error(error, VM_ERROR, VM_ERROR_FAILED, "control port: %s",
				    g_strerror(errno));
			return NULL;
		} else if (n == 0) {
			/* No host connected to the port yet: wait a little. */
			g_usleep(BUSY_RETRY_MS * 1000);
		}
	}
}

bool vm_guest_request(const char *request, int timeout_ms, char **reply, GError **error)
{
	static unsigned counter;
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	if (strchr(request, '\n') != NULL || strlen(request) > VM_CTL_LINE_MAX - 32) {
		g_set_error(error, VM_ERROR, VM_ERROR_FAILED, "request too long");
		return false;
	}
	int fd = open_port(end, error);
	if (fd < 0)
		return false;
	g_autofree char *id = g_strdup_printf("%d.%u", (int)getpid(), ++counter);
	g_autofree char *line = g_strdup_printf("%s %s\n", id, request);
	g_autofree char *answer = NULL;
	if (send_line(fd, line, end, error))
		answer = read_answer(fd, id, end, error);
	close(fd);
	if (answer == NULL)
		return false;
	if (g_str_has_prefix(answer, "ok")) {
		if (reply != NULL)
			*reply = g_strdup(g_strchug(answer + 2));
		return true;
	}
	g_set_error(error, VM_ERROR, VM_ERROR_FAILED, "%s",
		    g_str_has_prefix(answer, "error ") ? answer + 6 : answer);
	return false;
}

int vm_guest_command(int argc, char **argv)
{
	const char *verb = argv[0];
	bool needs_arg = strcmp(verb, "list") != 0 && strcmp(verb, "vscard") != 0;
	if ((needs_arg && argc != 2) || (!needs_arg && argc != 1)) {
		fprintf(stderr, "usage: ccidlab vm %s%s\n", verb, needs_arg ? " ID" : "");
		return 2;
	}
	g_autoptr(GError) err = NULL;
	g_autofree char *req = needs_arg ? g_strdup_printf("%s %s", verb, argv[1]) : g_strdup(verb);
	g_autofree char *reply = NULL;
	if (!vm_guest_request(req, VM_REQUEST_MS, &reply, &err)) {
		fprintf(stderr, "ccidlab vm %s: %s\n", verb, err->message);
		return 1;
	}
	if (reply[0] != '\0') {
		if (strcmp(verb, "vscard") == 0)
			g_strdelimit(reply, ";", '\n');
		printf("%s\n", reply);
	}
	return 0;
}
