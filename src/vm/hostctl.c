/* ccidlab — the guest's requests on the control port, host side.
 *
 * A request is one line, "ID VERB [ARG]"; the answer "ID ok [TEXT]" or
 * "ID error MESSAGE".  The id lets a guest client drop an answer meant
 * for an earlier client (one that died with its request in flight).
 *
 *   hello             the guest is up (its boot time is measured here)
 *   exit STATUS       CMD ended with STATUS (0..255); the guest powers off
 *   fail MESSAGE      the guest's init failed
 *   list              the declared devices, "ID=in|out ..."
 *   unplug ID         device_del of a declared device, answered at DEVICE_DELETED
 *   plug ID           device_add of it again, as declared (a reader with
 *                     its card: the card went with it)
 *   eject NAME        a passthru card taken out over VSCard (CardRemove)
 *   insert NAME       put back (a fresh ATR); NAME is vscN or cardN
 *   vscard            what the VSCard server saw
 *
 * The guest can only plug and unplug what the host declared: it never
 * names a driver, a property or a host path.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vm/host.h"

#define REPLY_WRITE_MS 2000
/* QEMU powers off within this after the guest said exit. */
#define POWEROFF_MS 20000

static void reply(vm_host *h, const char *id, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void reply(vm_host *h, const char *id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* One line: the text never carries a newline. */
	g_strdelimit(text, "\r\n", ' ');
	g_autofree char *line = g_strdup_printf("%s %s\n", id, text);
	if (h->ctl.fd < 0)
		return;
	const char *p = line;
	size_t left = strlen(line);
	gint64 end = g_get_monotonic_time() + REPLY_WRITE_MS * 1000;
	while (left > 0) {
		ssize_t n = send(h->ctl.fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
			continue;
		}
		struct pollfd pf = { .fd = h->ctl.fd, .events = POLLOUT };
		int ms = (int)((end - g_get_monotonic_time()) / 1000);
		if ((n < 0 && errno != EAGAIN && errno != EINTR) || ms <= 0 || poll(&pf, 1, ms) <= 0)
			return;
	}
}

static vm_device *find_device(vm_host *h, const char *id)
{
	for (guint i = 0; i < h->plan.devices->len; i++) {
		vm_device *d = g_ptr_array_index(h->plan.devices, i);
		if (d->id[0] != '\0' && strcmp(d->id, id) == 0)
			return d;
	}
	return NULL;
}

/* The devices on a reader's bus (its card): gone with it, back with it. */
static bool on_bus_of(const vm_device *d, const vm_device *parent)
{
	g_autofree char *bus = g_strdup_printf(",bus=%s.0", parent->id);
	return strstr(d->spec, bus) != NULL;
}

typedef struct pending {
	vm_host *h;
	char *id;
	vm_device *dev;
	GPtrArray *then;	/* plug: the children to add after it, in order */
	bool plug;
} pending;

static void pending_free(pending *p)
{
	g_ptr_array_unref(p->then);
	g_free(p->id);
	g_free(p);
}

static void on_done(void *data, bool ok, const char *error)
{
	pending *p = data;
	vm_host *h = p->h;
	if (!ok) {
		reply(h, p->id, "error %s %s: %s", p->plug ? "plug" : "unplug", p->dev->id, error);
		pending_free(p);
		return;
	}
	p->dev->present = p->plug;
	if (!p->plug) {
		h->unplugs++;
		for (guint i = 0; i < h->plan.devices->len; i++) {
			vm_device *d = g_ptr_array_index(h->plan.devices, i);
			if (on_bus_of(d, p->dev))
				d->present = false;
		}
		reply(h, p->id, "ok");
		pending_free(p);
		return;
	}
	if (p->then->len == 0) {
		h->plugs++;
		reply(h, p->id, "ok");
		pending_free(p);
		return;
	}
	/* The next child, in declaration order. */
	p->dev = g_ptr_array_steal_index(p->then, 0);
	vm_qmp_device_add(h->qmp, p->dev->spec, on_done, p);
}

static void plug(vm_host *h, const char *id, const char *arg, bool in)
{
	vm_device *d = find_device(h, arg);
	if (d == NULL) {
		reply(h, id, "error no declared device '%s' (ccidlab vm list)", arg);
		return;
	}
	if (d->present == in) {
		reply(h, id, "error %s is already %s", arg, in ? "plugged" : "unplugged");
		return;
	}
	pending *p = g_new0(pending, 1);
	p->h = h;
	p->id = g_strdup(id);
	p->dev = d;
	p->plug = in;
	p->then = g_ptr_array_new();
	if (in) {
		for (guint i = 0; i < h->plan.devices->len; i++) {
			vm_device *c = g_ptr_array_index(h->plan.devices, i);
			if (on_bus_of(c, d))
				g_ptr_array_add(p->then, c);
		}
		vm_qmp_device_add(h->qmp, d->spec, on_done, p);
	} else {
		vm_qmp_device_del(h->qmp, d->id, on_done, p);
	}
}

static void card(vm_host *h, const char *id, const char *arg, bool in)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *name = g_str_has_prefix(arg, "card") ? g_strdup_printf("vsc%s", arg + 4)
							       : g_strdup(arg);
	if (h->vscard == NULL || !vscard_server_set_present(h->vscard, name, in, &err))
		reply(h, id, "error %s", err ? err->message : "no passthru card in this run");
	else
		reply(h, id, "ok");
}

static gboolean poweroff_late(gpointer data)
{
	vm_host *h = data;
	h->off_timer = 0;
	vm_host_fail(h, "the guest did not power off within %d s of its command's end",
		     POWEROFF_MS / 1000);
	vm_host_stop(h);
	return G_SOURCE_REMOVE;
}

static void list(vm_host *h, const char *id)
{
	GString *s = g_string_new("ok");
	for (guint i = 0; i < h->plan.devices->len; i++) {
		vm_device *d = g_ptr_array_index(h->plan.devices, i);
		if (d->id[0] != '\0')
			g_string_append_printf(s, " %s=%s", d->id, d->present ? "in" : "out");
	}
	reply(h, id, "%s", s->str);
	g_string_free(s, TRUE);
}

void vm_host_ctl_line(vm_host *h, const char *line)
{
	g_auto(GStrv) w = g_strsplit(line, " ", 3);
	if (w[0] == NULL || w[1] == NULL)
		return;
	const char *id = w[0], *verb = w[1], *arg = w[2] ? w[2] : "";
	if (strcmp(verb, "hello") == 0) {
		h->hello = true;
		h->t_hello = g_get_monotonic_time();
		if (h->boot_timer != 0) {
			g_source_remove(h->boot_timer);
			h->boot_timer = 0;
		}
		reply(h, id, "ok");
	} else if (strcmp(verb, "exit") == 0) {
		guint64 st = 0;
		if (!g_ascii_string_to_unsigned(arg, 10, 0, 255, &st, NULL)) {
			reply(h, id, "error exit wants 0..255");
			return;
		}
		h->have_status = true;
		h->status = (int)st;
		h->t_exit = g_get_monotonic_time();
		reply(h, id, "ok");
		if (h->off_timer == 0)
			h->off_timer = g_timeout_add(POWEROFF_MS, poweroff_late, h);
	} else if (strcmp(verb, "fail") == 0) {
		vm_host_fail(h, "guest: %s", arg);
		reply(h, id, "ok");
	} else if (strcmp(verb, "list") == 0) {
		list(h, id);
	} else if (strcmp(verb, "unplug") == 0 || strcmp(verb, "plug") == 0) {
		plug(h, id, arg, verb[0] == 'p');
	} else if (strcmp(verb, "eject") == 0 || strcmp(verb, "insert") == 0) {
		card(h, id, arg, verb[0] == 'i');
	} else if (strcmp(verb, "vscard") == 0) {
		g_autofree char *d = h->vscard ? vscard_server_describe(h->vscard) : g_strdup("none");
		g_strdelimit(d, "\n", ';');
		reply(h, id, "ok %s", d);
	} else {
		reply(h, id, "error unknown request '%s'", verb);
	}
}
