/* ccidlab — the control server's life inside the driver: started with the
 * first reader, stopped with the last, fed the reader table through
 * ctl_directory and every CCID frame through the host engine's trace hook.
 *
 * The socket sits beside pcscd's own (in its IPC directory), so a lab's
 * private namespace isolates it; CCIDLAB_CTL_LISTEN in pcscd's
 * environment moves it, and CCIDLAB_CTL_GROUP opens it to a group (0660).
 */
#include "config.h"

#include <string.h>

#include "ccid/pinmask.h"
#include "ctl/server.h"
#include "ifd/ctl_glue.h"
#include "ifd/events.h"
#include "ifd/log.h"
#include "ifd/reader.h"

static GMutex glue_lock;
static ctl_server *server;	/* under glue_lock */
static unsigned users;

/* The PIN bytes of an outgoing frame of a real reader (issue 20): a
 * PC/SC client's VERIFY or the PIN pad's PC_to_RDR_Secure left pcscd's
 * log and the trace stream in clear.  Unless pin-trace=show (usbconf.h),
 * [*off, *off + *n) is left out.  Called for bulk-OUT frames, which the
 * host engine sends one at a time (its write lock): the per-slot state
 * needs no lock of its own. */
static void pin_range(ifd_reader *r, const uint8_t *buf, size_t len, size_t *off, size_t *n)
{
	*off = *n = 0;
	if (r->pinmask == NULL || len < CCID_HEADER_SIZE || buf[5] >= r->n_slots)
		return;
	unsigned slot = buf[5];
	const ccid_interface *ci = host_reader_interface(r->host);
	ccid_pinmask_find(&r->pinmask[slot], ci->facts.level,
			  host_slot_protocol(r->host, slot) == 1, buf, len, off, n);
}

/* The hook runs on pcscd's threads; the server pointer only changes with
 * no reader open, so it is read without the lock. */
static void trace_frame(void *data, int dir, const uint8_t *buf, size_t len)
{
	ifd_reader *r = data;
	size_t off = 0, n = 0;

	if (dir == HOST_TRACE_CONTROL) {
		/* The ABORT class request: the log only (the trace stream
		 * carries CCID messages). */
		ifd_log_frame(r->number, "ctl", buf, len, 0, 0);
		return;
	}
	if (dir == HOST_TRACE_OUT)
		pin_range(r, buf, len, &off, &n);
	ifd_log_frame(r->number, dir == 0 ? "out" : dir == 1 ? "in" : "irq", buf, len, off, n);
	ctl_server_trace_frame_masked(g_atomic_pointer_get(&server), r->number,
				      dir == 0 ? CTL_TRACE_OUT : CTL_TRACE_IN, buf, len, off, n);
}

static void fill_info(const ifd_reader *r, ctl_reader_info *out)
{
	memset(out, 0, sizeof *out);
	out->number = r->number;
	out->n_slots = r->n_slots;
	g_strlcpy(out->name, r->name ? r->name : "", sizeof out->name);
	g_strlcpy(out->devname, r->devname ? r->devname : "", sizeof out->devname);
	if (r->null_reader)
		g_strlcpy(out->profile, "null", sizeof out->profile);
	if (r->emu != NULL) {
		g_strlcpy(out->profile, emu_device_profile(r->emu)->name, sizeof out->profile);
		out->emu = emu_device_ref(r->emu);
	}
	g_strlcpy(out->mode, r->mode == IFD_MODE_EVENT ? "event" : "poll", sizeof out->mode);
	out->edge_id = ifd_edge_id(r);
	if (r->host != NULL) {
		host_stats st;
		host_reader_stats(r->host, &st);
		out->has_stats = true;
		out->stats.commands = st.commands;
		out->stats.time_extensions = st.time_extensions;
		out->stats.wtx = st.wtx;
		out->stats.stale_dropped = st.stale_dropped;
		out->stats.timeouts = st.timeouts;
		out->stats.aborts = st.aborts;
		out->stats.handed_over = st.handed_over;
		out->stats.max_in_flight = st.max_in_flight;
	}
	if (r->mode == IFD_MODE_EVENT && !r->null_reader) {
		out->has_folded = true;
		for (unsigned i = 0; i < r->n_slots && i < CTL_MAX_SLOTS; i++)
			out->folded[i] = ifd_events_folded((ifd_reader *)r, i);
	}
	if (r->emu != NULL || r->null_reader)
		return;
	const transport_info *ti = host_reader_info(r->host);
	g_snprintf(out->profile, sizeof out->profile, "usb %04X:%04X%s%s", ti->idVendor,
		   ti->idProduct, ti->serial[0] ? " serial " : "", ti->serial);
	for (unsigned i = 0; i < r->n_slots && i < CTL_MAX_SLOTS; i++) {
		/* What the driver last told pcscd: no round trip to the reader. */
		bool known = r->mode == IFD_MODE_EVENT || r->polled_present != NULL;
		bool present = r->mode == IFD_MODE_EVENT
				       ? ifd_events_present_peek((ifd_reader *)r, i)
				       : r->polled_present != NULL && r->polled_present[i];
		out->slot_state[i] = !known ? CTL_SLOT_UNKNOWN : present ? CTL_SLOT_PRESENT
									  : CTL_SLOT_ABSENT;
	}
}

static size_t directory_list(void *data, ctl_reader_info *out, size_t cap)
{
	return ifd_reader_foreach_info(fill_info, out, cap);
}

static const ctl_directory directory = { .list = directory_list };

void ifd_ctl_reader_opened(ifd_reader *r)
{
	g_autoptr(GError) err = NULL;

	if (r->host != NULL)
		host_reader_set_trace(r->host, trace_frame, r);
	g_mutex_lock(&glue_lock);
	if (users++ == 0) {
		const char *path = g_getenv("CCIDLAB_CTL_LISTEN");
		g_autofree char *def = g_build_filename(PCSCD_IPCDIR, "ccidlab.sock", NULL);
		ctl_server_opts opts = { .group = g_getenv("CCIDLAB_CTL_GROUP") };
		ctl_server *s = ctl_server_start(path ? path : def, &directory, &opts, &err);
		if (s == NULL)
			ifd_error("control socket not available: %s", err->message);
		else
			ifd_info("control socket %s", path ? path : def);
		g_atomic_pointer_set(&server, s);
	}
	g_mutex_unlock(&glue_lock);
}

void ifd_ctl_reader_closing(ifd_reader *r)
{
	g_mutex_lock(&glue_lock);
	ctl_server *s = NULL;
	if (users > 0 && --users == 0) {
		s = g_atomic_pointer_get(&server);
		g_atomic_pointer_set(&server, NULL);
	}
	g_mutex_unlock(&glue_lock);
	/* Stopped outside every driver lock: the server thread may be inside
	 * directory_list, which takes the reader table's lock. */
	ctl_server_stop(s);
}
