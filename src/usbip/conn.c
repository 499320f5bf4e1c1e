/* ccidlab — one USB/IP connection (conn.h): the operation phase, the
 * URBs in flight and their queues, UNLINK, and the order of the replies.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "usbip/conn.h"

typedef enum phase {
	PHASE_OP,	/* waiting for OP_REQ_DEVLIST or OP_REQ_IMPORT */
	PHASE_URB,	/* imported: CMD_SUBMIT and CMD_UNLINK */
	PHASE_END,	/* nothing more is read */
} phase;

struct usbip_conn {
	usbip_conn_ops ops;
	GMutex lock;		/* everything below but `in` */
	GCond cond;		/* a URB was queued, or the connection closed */
	/* Taken before `lock` is let go whenever something is sent, so that
	 * the peer sees the replies in the order of the state changes. */
	GMutex send_lock;
	phase phase;
	bool closed;		/* nothing more is sent */
	bool draining;		/* no new URBs; those left are still answered */
	bool failed;		/* a send failed: the peer is gone */
	bool imported;
	GByteArray *in;		/* bytes not yet parsed (feed's thread only) */
	usbip_devinfo dev;
	uint32_t devid;
	GHashTable *inflight;	/* seqnum -> usbip_urb *, queued or running */
	size_t bytes;		/* their buffers */
	GQueue queue[USBIP_QUEUES];
	char error[192];
};

usbip_conn *usbip_conn_new(const usbip_conn_ops *ops)
{
	usbip_conn *c = g_new0(usbip_conn, 1);

	c->ops = *ops;
	g_mutex_init(&c->lock);
	g_cond_init(&c->cond);
	g_mutex_init(&c->send_lock);
	c->in = g_byte_array_new();
	c->inflight = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (unsigned q = 0; q < USBIP_QUEUES; q++)
		g_queue_init(&c->queue[q]);
	return c;
}

static void urb_free(usbip_urb *u)
{
	if (u == NULL)
		return;
	g_free(u->buf);
	g_free(u);
}

/* Out of the in-flight table and its byte count; lock held. */
static void forget_locked(usbip_conn *c, const usbip_urb *u)
{
	if (g_hash_table_remove(c->inflight, GUINT_TO_POINTER(u->cmd.seqnum)))
		c->bytes -= u->cmd.length;
}

void usbip_conn_free(usbip_conn *c)
{
	if (c == NULL)
		return;
	usbip_conn_close(c);
	/* Only URBs no executor holds are left: the queued ones went at close. */
	g_hash_table_unref(c->inflight);
	g_byte_array_unref(c->in);
	g_mutex_clear(&c->lock);
	g_cond_clear(&c->cond);
	g_mutex_clear(&c->send_lock);
	g_free(c);
}

const char *usbip_conn_error(usbip_conn *c)
{
	return c->error;
}

bool usbip_conn_imported(usbip_conn *c, usbip_devinfo *out)
{
	g_mutex_lock(&c->lock);
	bool imported = c->imported;
	if (imported && out != NULL)
		*out = c->dev;
	g_mutex_unlock(&c->lock);
	return imported;
}

/* The reason the connection ends (the first one given wins); lock held. */
static bool fail_locked(usbip_conn *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail_locked(usbip_conn *c, const char *fmt, ...)
{
	if (c->error[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		g_vsnprintf(c->error, sizeof c->error, fmt, ap);
		va_end(ap);
	}
	c->phase = PHASE_END;
	return false;
}

/* Sends buf with `lock` held on entry; returns with it released, the
 * send lock taken before it was let go. */
static void send_and_unlock(usbip_conn *c, const uint8_t *buf, size_t len)
{
	bool skip = c->closed || c->failed;

	g_mutex_lock(&c->send_lock);
	g_mutex_unlock(&c->lock);
	bool ok = skip || c->ops.send(c->ops.data, buf, len);
	g_mutex_unlock(&c->send_lock);
	if (!ok) {
		g_mutex_lock(&c->lock);
		c->failed = true;
		fail_locked(c, "the peer is gone (a send failed)");
		g_mutex_unlock(&c->lock);
	}
}

/* ---- the operation phase ---- */

static void reply_devlist(usbip_conn *c)
{
	usbip_devinfo *devs = g_new0(usbip_devinfo, USBIP_CONN_MAX_DEVLIST);
	size_t n = MIN(c->ops.devlist(c->ops.data, devs, USBIP_CONN_MAX_DEVLIST),
		       (size_t)USBIP_CONN_MAX_DEVLIST);
	size_t cap = USBIP_OP_HEADER_LEN + 4 +
		     n * (USBIP_DEVICE_LEN + USBIP_MAX_INTERFACES * USBIP_INTERFACE_LEN);
	uint8_t *buf = g_malloc(cap);
	size_t len = USBIP_OP_HEADER_LEN + 4, listed = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = usbip_devinfo_encode(&devs[i], true, buf + len, cap - len);
		listed += k > 0;
		len += k;
	}
	usbip_op_encode(buf, USBIP_OP_REP_DEVLIST, USBIP_ST_OK);
	buf[8] = (uint8_t)(listed >> 24);
	buf[9] = (uint8_t)(listed >> 16);
	buf[10] = (uint8_t)(listed >> 8);
	buf[11] = (uint8_t)listed;
	g_mutex_lock(&c->lock);
	send_and_unlock(c, buf, len);
	g_free(buf);
	g_free(devs);
}

/* OP_REQ_IMPORT with its busid; true when the device is ours. */
static bool import(usbip_conn *c, const uint8_t *body)
{
	char busid[USBIP_BUSID_LEN];
	usbip_devinfo dev;
	uint32_t st = USBIP_ST_ERROR;
	uint8_t buf[USBIP_OP_HEADER_LEN + USBIP_DEVICE_LEN];
	size_t len = USBIP_OP_HEADER_LEN;

	memset(&dev, 0, sizeof dev);
	if (usbip_busid_decode(body, busid))
		st = c->ops.import(c->ops.data, busid, &dev);
	if (st == USBIP_ST_OK)
		len += usbip_devinfo_encode(&dev, false, buf + len, sizeof buf - len);
	usbip_op_encode(buf, USBIP_OP_REP_IMPORT, st);
	g_mutex_lock(&c->lock);
	if (st == USBIP_ST_OK) {
		c->dev = dev;
		c->devid = dev.busnum << 16 | dev.devnum;
		c->phase = PHASE_URB;
		c->imported = true;
	} else {
		fail_locked(c, "import of \"%s\" refused (status %u)",
			    usbip_busid_decode(body, busid) ? busid : "(not a bus id)", st);
	}
	send_and_unlock(c, buf, len);
	return st == USBIP_ST_OK;
}

/* One operation; its length in *used (0: more bytes needed). */
static bool feed_op(usbip_conn *c, const uint8_t *p, size_t n, size_t *used)
{
	usbip_op op;
	bool ok;

	*used = 0;
	if (n < USBIP_OP_HEADER_LEN)
		return true;
	usbip_op_decode(p, &op);
	if (op.version != USBIP_VERSION || (op.code != USBIP_OP_REQ_DEVLIST &&
					    op.code != USBIP_OP_REQ_IMPORT)) {
		g_mutex_lock(&c->lock);
		ok = fail_locked(c, "operation 0x%04x of version 0x%04x: this server takes "
				 "OP_REQ_DEVLIST and OP_REQ_IMPORT of version 0x%04x",
				 op.code, op.version, USBIP_VERSION);
		g_mutex_unlock(&c->lock);
		return ok;
	}
	if (op.code == USBIP_OP_REQ_DEVLIST) {
		*used = USBIP_OP_HEADER_LEN;
		reply_devlist(c);
		g_mutex_lock(&c->lock);
		ok = fail_locked(c, "device list sent");
		g_mutex_unlock(&c->lock);
		return ok;
	}
	if (n < USBIP_OP_HEADER_LEN + USBIP_BUSID_LEN)
		return true;
	*used = USBIP_OP_HEADER_LEN + USBIP_BUSID_LEN;
	return import(c, p + USBIP_OP_HEADER_LEN);
}

/* ---- URBs ---- */

/* A RET_SUBMIT for u with the lock held; returns with it released. */
static void ret_submit_and_unlock(usbip_conn *c, const usbip_urb *u, int status, size_t actual,
				  bool then_unlink)
{
	bool in = u->cmd.direction == USBIP_DIR_IN;
	size_t data = in ? actual : 0;
	size_t len = USBIP_HEADER_LEN + data + (then_unlink ? USBIP_HEADER_LEN : 0);
	uint8_t *buf = g_malloc(len);

	usbip_ret_submit_encode(buf, u->cmd.seqnum, status, (uint32_t)actual);
	if (data > 0)
		memcpy(buf + USBIP_HEADER_LEN, u->buf, data);
	/* The data won the race against an unlink: RET_UNLINK 0 after it. */
	if (then_unlink)
		usbip_ret_unlink_encode(buf + USBIP_HEADER_LEN + data, u->unlink_seqnum, 0);
	send_and_unlock(c, buf, len);
	g_free(buf);
}

static void ret_unlink_and_unlock(usbip_conn *c, uint32_t seqnum, int status)
{
	uint8_t buf[USBIP_HEADER_LEN];

	usbip_ret_unlink_encode(buf, seqnum, status);
	send_and_unlock(c, buf, sizeof buf);
}

static void do_unlink(usbip_conn *c, const usbip_cmd *cmd)
{
	g_mutex_lock(&c->lock);
	usbip_urb *u = g_hash_table_lookup(c->inflight, GUINT_TO_POINTER(cmd->unlink_seqnum));
	if (u == NULL || u->unlinked) {
		/* Answered already (or being unlinked): its RET_SUBMIT went first. */
		ret_unlink_and_unlock(c, cmd->seqnum, 0);
		return;
	}
	if (!u->running) {
		/* Still queued: it never reaches the device. */
		g_queue_remove(&c->queue[u->queue], u);
		forget_locked(c, u);
		urb_free(u);
		ret_unlink_and_unlock(c, cmd->seqnum, -ECONNRESET);
		return;
	}
	u->unlinked = true;
	u->unlink_seqnum = cmd->seqnum;
	atomic_store(&u->cancel, true);
	c->ops.cancel(c->ops.data, u->queue);
	g_mutex_unlock(&c->lock);
}

/* A URB answered at once, without reaching the device. */
static void refuse(usbip_conn *c, const usbip_cmd *cmd, int status)
{
	usbip_urb u = { .cmd = *cmd };

	g_mutex_lock(&c->lock);
	ret_submit_and_unlock(c, &u, status, 0, false);
}

/* A CMD_SUBMIT, its OUT data at data; false: a protocol violation. */
static bool submit(usbip_conn *c, const usbip_cmd *cmd, const uint8_t *data)
{
	uint8_t ep = (uint8_t)(cmd->ep | (cmd->ep != 0 && cmd->direction == USBIP_DIR_IN ? 0x80 : 0));
	int queue = cmd->ep == 0 ? USBIP_Q_CONTROL : c->ops.route(c->ops.data, ep);

	g_mutex_lock(&c->lock);
	if (g_hash_table_contains(c->inflight, GUINT_TO_POINTER(cmd->seqnum))) {
		bool ok = fail_locked(c, "CMD_SUBMIT seqnum %u is already in flight", cmd->seqnum);
		g_mutex_unlock(&c->lock);
		return ok;
	}
	unsigned held = g_hash_table_size(c->inflight);
	bool too_big = c->bytes + cmd->length > USBIP_CONN_MAX_BYTES;
	g_mutex_unlock(&c->lock);
	/* Another device's URB, an endpoint the device lacks (no handshake:
	 * what a host controller reports as -EPROTO), one URB too many. */
	if (cmd->devid != c->devid) {
		refuse(c, cmd, -ENODEV);
		return true;
	}
	if (queue < 0 || queue >= USBIP_QUEUES) {
		refuse(c, cmd, -EPROTO);
		return true;
	}
	if (held >= USBIP_CONN_MAX_URBS || too_big) {
		refuse(c, cmd, -ENOMEM);
		return true;
	}
	usbip_urb *u = g_new0(usbip_urb, 1);
	u->cmd = *cmd;
	u->endpoint = ep;
	u->queue = (unsigned)queue;
	u->buf = g_malloc0(MAX(cmd->length, 1u));
	if (cmd->direction == USBIP_DIR_OUT && cmd->length > 0)
		memcpy(u->buf, data, cmd->length);
	g_mutex_lock(&c->lock);
	g_hash_table_insert(c->inflight, GUINT_TO_POINTER(cmd->seqnum), u);
	c->bytes += cmd->length;
	g_queue_push_tail(&c->queue[u->queue], u);
	g_cond_broadcast(&c->cond);
	g_mutex_unlock(&c->lock);
	return true;
}

static bool feed_urb(usbip_conn *c, const uint8_t *p, size_t n, size_t *used)
{
	usbip_cmd cmd;

	*used = 0;
	if (n < USBIP_HEADER_LEN)
		return true;
	usbip_wire_error e = usbip_cmd_decode(p, &cmd);
	if (e != USBIP_WIRE_OK) {
		g_mutex_lock(&c->lock);
		bool ok = fail_locked(c, "bad URB header: %s", usbip_wire_error_name(e));
		g_mutex_unlock(&c->lock);
		return ok;
	}
	if (cmd.command == USBIP_CMD_UNLINK) {
		*used = USBIP_HEADER_LEN;
		do_unlink(c, &cmd);
		return true;
	}
	size_t body = cmd.direction == USBIP_DIR_OUT ? cmd.length : 0;
	if (n < USBIP_HEADER_LEN + body)
		return true;
	*used = USBIP_HEADER_LEN + body;
	return submit(c, &cmd, p + USBIP_HEADER_LEN);
}

bool usbip_conn_feed(usbip_conn *c, const uint8_t *buf, size_t len)
{
	g_byte_array_append(c->in, buf, (guint)len);
	for (;;) {
		g_mutex_lock(&c->lock);
		phase ph = c->phase;
		bool gone = c->failed || c->closed;
		g_mutex_unlock(&c->lock);
		if (ph == PHASE_END || gone)
			return false;
		size_t used = 0;
		bool ok = ph == PHASE_OP ? feed_op(c, c->in->data, c->in->len, &used)
					 : feed_urb(c, c->in->data, c->in->len, &used);
		if (used > 0)
			g_byte_array_remove_range(c->in, 0, (guint)used);
		if (!ok)
			return false;
		if (used == 0)
			return true;	/* more bytes needed */
	}
}

usbip_urb *usbip_conn_next(usbip_conn *c, unsigned queue, bool wait)
{
	usbip_urb *u = NULL;

	g_return_val_if_fail(queue < USBIP_QUEUES, NULL);
	g_mutex_lock(&c->lock);
	while (!c->closed && !c->draining && g_queue_is_empty(&c->queue[queue]) && wait)
		g_cond_wait(&c->cond, &c->lock);
	if (!c->closed && !c->draining)
		u = g_queue_pop_head(&c->queue[queue]);
	if (u != NULL)
		u->running = true;
	g_mutex_unlock(&c->lock);
	return u;
}

void usbip_conn_complete(usbip_conn *c, usbip_urb *u)
{
	g_mutex_lock(&c->lock);
	forget_locked(c, u);
	/* Cancelled because the device left, not by an unlink: what a host
	 * controller reports for a URB of a disconnected device. */
	if (c->draining && !u->unlinked && u->status == -ECONNRESET)
		u->status = -ESHUTDOWN;
	if (c->closed) {
		g_mutex_unlock(&c->lock);
	} else if (u->unlinked && u->status == -ECONNRESET) {
		ret_unlink_and_unlock(c, u->unlink_seqnum, -ECONNRESET);
	} else {
		ret_submit_and_unlock(c, u, u->status, u->actual, u->unlinked);
	}
	urb_free(u);
}

/* Cancels what runs (lock held): flags, and the device's own stop. */
static void cancel_running_locked(usbip_conn *c)
{
	GHashTableIter it;
	gpointer v;
	bool stop[USBIP_QUEUES] = { false };

	g_hash_table_iter_init(&it, c->inflight);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		usbip_urb *u = v;
		atomic_store(&u->cancel, true);
		stop[u->queue] = true;
	}
	for (unsigned q = 0; q < USBIP_QUEUES; q++)
		if (stop[q])
			c->ops.cancel(c->ops.data, q);
}

/* Stops the connection (lock held on entry, released on return):
 * `answer` (a drain) answers the queued URBs -ESHUTDOWN, else (a close)
 * they go unanswered; the running ones are cancelled either way. */
static void stop_and_unlock(usbip_conn *c, bool answer)
{
	c->phase = PHASE_END;
	for (unsigned q = 0; q < USBIP_QUEUES; q++) {
		usbip_urb *u;
		while ((u = g_queue_pop_head(&c->queue[q])) != NULL) {
			forget_locked(c, u);
			if (answer) {
				/* Queued URBs are never unlinked (do_unlink drops them). */
				ret_submit_and_unlock(c, u, -ESHUTDOWN, 0, false);
				g_mutex_lock(&c->lock);
			}
			urb_free(u);
		}
	}
	cancel_running_locked(c);
	g_cond_broadcast(&c->cond);
	g_mutex_unlock(&c->lock);
}

void usbip_conn_drain(usbip_conn *c)
{
	g_mutex_lock(&c->lock);
	if (c->closed || c->draining) {
		g_mutex_unlock(&c->lock);
		return;
	}
	c->draining = true;
	stop_and_unlock(c, true);
}

void usbip_conn_close(usbip_conn *c)
{
	g_mutex_lock(&c->lock);
	if (c->closed) {
		g_mutex_unlock(&c->lock);
		return;
	}
	c->closed = true;
	stop_and_unlock(c, false);
}

unsigned usbip_conn_in_flight(usbip_conn *c)
{
	g_mutex_lock(&c->lock);
	unsigned n = g_hash_table_size(c->inflight);
	g_mutex_unlock(&c->lock);
	return n;
}
