/* ccidlab — the control requests about streams (server_priv.h):
 * subscribe and unsubscribe (the edge stream, pumped by server.c), and
 * trace-on and trace-off (CCID frames, to the client or to a file). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "ctl/server_priv.h"

bool ctl_do_subscribe(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		      GError **error)
{
	if (!c->subscribed) {
		c->subscribed = true;
		g_atomic_int_add(&s->subscribers, 1);
	}
	c->cursor = r->has_since ? r->since : emu_events_last_seq();
	ctl_member_int(b, "seq", (gint64)c->cursor);
	return true;
}

bool ctl_do_unsubscribe(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			GError **error)
{
	if (c->subscribed) {
		c->subscribed = false;
		g_atomic_int_add(&s->subscribers, -1);
	}
	return true;
}

static bool number_of(ctl_server *s, const ctl_request *r, ctl_reader_info *ri, void *number,
		      GError **error)
{
	*(unsigned *)number = ri->number;
	return true;
}

/* The number of the reader the request names, real or emulated. */
static bool trace_reader(ctl_server *s, const ctl_request *r, unsigned *number, GError **error)
{
	return ctl_with_reader(s, r, -1, false, number_of, number, error);
}

bool ctl_do_trace_on(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		     GError **error)
{
	unsigned number = 0;
	if (r->reader.set && !trace_reader(s, r, &number, error))
		return false;
	if (r->path != NULL) {
		if (!g_path_is_absolute(r->path)) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"file\" is \"%s\": give an absolute path (the server's working "
				    "directory is not yours)",
				    r->path);
			return false;
		}
		if (s->trace_files->len >= 16) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_LIMIT,
				    "16 trace files are open: turn one off first (trace-off)");
			return false;
		}
		int fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "cannot open %s: %s", r->path,
				    g_strerror(errno));
			return false;
		}
		ctl_trace_file *tf = g_new0(ctl_trace_file, 1);
		tf->fd = fd;
		tf->all = !r->reader.set;
		tf->reader = number;
		tf->path = g_strdup(r->path);
		g_ptr_array_add(s->trace_files, tf);
		ctl_server_tracers_add(s, 1);
		ctl_member_string(b, "file", r->path);
	} else {
		if (!c->tracing)
			ctl_server_tracers_add(s, 1);
		c->tracing = true;
		c->trace_all = !r->reader.set;
		c->trace_reader = number;
	}
	return true;
}

/* Turns off this client's trace and the trace files (of the reader, when
 * one is named). */
bool ctl_do_trace_off(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		      GError **error)
{
	unsigned number = 0, n = 0;
	if (r->reader.set && !trace_reader(s, r, &number, error))
		return false;
	if (c->tracing && (!r->reader.set || c->trace_all || c->trace_reader == number)) {
		c->tracing = false;
		ctl_server_tracers_add(s, -1);
		n++;
	}
	for (guint i = s->trace_files->len; i-- > 0;) {
		ctl_trace_file *tf = g_ptr_array_index(s->trace_files, i);
		if (r->reader.set && !tf->all && tf->reader != number)
			continue;
		g_ptr_array_remove_index(s->trace_files, i);
		ctl_server_tracers_add(s, -1);
		n++;
	}
	ctl_member_int(b, "stopped", n);
	return true;
}
