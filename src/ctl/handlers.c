/* ccidlab — what each control request does, on the server thread
 * (server_priv.h): one handler per request, in a table.  The handlers
 * live by family: handle_readers.c (with the readers a USB/IP server
 * adds and removes), handle_faults.c, handle_jobs.c and handle_stream.c.  Readers come from the driver's directory on every
 * request; the emulator does the work; the reply says what happened.
 */
#include "config.h"

#include "ctl/server_priv.h"

#include <string.h>

static const ctl_handler handlers[CTL_REQ_COUNT] = {
	[CTL_REQ_HELLO] = ctl_do_hello,
	[CTL_REQ_LIST] = ctl_do_list,
	[CTL_REQ_INSERT] = ctl_do_slot,
	[CTL_REQ_REMOVE] = ctl_do_slot,
	[CTL_REQ_SWAP] = ctl_do_slot,
	[CTL_REQ_MUTE] = ctl_do_slot,
	[CTL_REQ_UNMUTE] = ctl_do_slot,
	[CTL_REQ_FAULT_SET] = ctl_do_fault_set,
	[CTL_REQ_FAULT_CLEAR] = ctl_do_fault_clear,
	[CTL_REQ_SCENARIO_LOAD] = ctl_do_scenario_load,
	[CTL_REQ_SCENARIO_START] = ctl_do_scenario_start,
	[CTL_REQ_SCENARIO_STOP] = ctl_do_job_stop,
	[CTL_REQ_SCENARIO_STATUS] = ctl_do_job_status,
	[CTL_REQ_STORM] = ctl_do_storm,
	[CTL_REQ_STORM_STOP] = ctl_do_job_stop,
	[CTL_REQ_STORM_STATUS] = ctl_do_job_status,
	[CTL_REQ_SUBSCRIBE] = ctl_do_subscribe,
	[CTL_REQ_UNSUBSCRIBE] = ctl_do_unsubscribe,
	[CTL_REQ_TRACE_ON] = ctl_do_trace_on,
	[CTL_REQ_TRACE_OFF] = ctl_do_trace_off,
	[CTL_REQ_DEVICE_ADD] = ctl_do_device_add,
	[CTL_REQ_DEVICE_REMOVE] = ctl_do_device_remove,
};

char *ctl_handle_request(ctl_server *s, ctl_conn *c, const ctl_request *r, size_t *len)
{
	g_autoptr(GError) err = NULL;
	JsonBuilder *b = ctl_reply_begin(r->has_id, r->id);
	bool ok = (unsigned)r->kind < CTL_REQ_COUNT && handlers[r->kind](s, c, r, b, &err);

	if (!ok) {
		g_object_unref(b);
		if (err == NULL)
			err = g_error_new(CTL_ERROR, CTL_ERROR_FAILED, "request failed");
		char *line = ctl_reply_error(r->has_id, r->id,
					     err->domain == CTL_ERROR ? (ctl_error)err->code
								      : CTL_ERROR_FAILED,
					     err->message);
		*len = strlen(line);
		return line;
	}
	return ctl_line_finish(b, len);
}
