/* ccidlab — a USB/IP connection (src/usbip/conn.c) whose device leaves
 * while URBs run: the statuses its peer is told, with the URBs run on a
 * real emulated device (src/usbip/urb.c over src/usbdev/ and src/emu/).
 *
 * The server's order on the disconnect fault: the executor's transfer
 * unplugs the device (usbdev_plug → the exporter's hook ends the
 * session), the session's reader thread wakes and drains the connection
 * (usbip_conn_drain cancels every running URB), and the executor comes
 * back from the transfer and completes its URB.  The drain and the
 * executor's return race; here the hook drains before the transfer
 * returns, which is the order a loaded machine met (CI: the URB was
 * answered -ESHUTDOWN, not -ENODEV).  The executors are this test's own
 * loop or thread, as in tests/fuzz/fuzz_usbip.c.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "usbip/conn.h"
#include "usbip/usbip_priv.h"

#define BUSID "1-1"
#define DEVNUM 2u
#define DEVID (1u << 16 | DEVNUM)
#define EP_BULK_IN 2u
#define IN_LENGTH 512u

typedef struct fixture {
	usbdev *d;
	usbip_conn *c;
	bool drain_on_unplug;	/* the hook drains, as the session's reader would */
	GMutex lock;
	GByteArray *sent;	/* every byte the connection sent */
	gint running;		/* the executor thread took its URB */
} fixture;

static uint32_t op_import(void *data, const char *busid, usbip_devinfo *out)
{
	fixture *fx = data;
	if (strcmp(busid, BUSID) != 0)
		return USBIP_ST_NODEV;
	usbip_devinfo_of(fx->d, BUSID, 1, DEVNUM, out);
	return USBIP_ST_OK;
}

static int op_route(void *data, uint8_t ep)
{
	fixture *fx = data;
	return usbip_queue_of(fx->d, ep);
}

static void op_cancel(void *data, unsigned queue)
{
	fixture *fx = data;
	usbip_queue_cancel(fx->d, queue);
}

static bool op_send(void *data, const uint8_t *buf, size_t len)
{
	fixture *fx = data;
	g_mutex_lock(&fx->lock);
	g_byte_array_append(fx->sent, buf, (guint)len);
	g_mutex_unlock(&fx->lock);
	return true;
}

/* The exporter's unplug hook (exporter.c): the device goes off the bus,
 * its session ends; a drain that wins the race runs right here. */
static void on_unplug(usbdev *d, void *data)
{
	fixture *fx = data;
	emu_fault f = { .kind = EMU_FAULT_DEVICE_GONE, .count = EMU_FAULT_FOREVER };

	emu_device_fault_set(d->emu, -1, &f, NULL);
	if (fx->drain_on_unplug)
		usbip_conn_drain(fx->c);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int32_t get32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static void feed_import(fixture *fx)
{
	uint8_t req[USBIP_OP_HEADER_LEN + USBIP_BUSID_LEN] = { 0x01, 0x11, 0x80, 0x03 };

	memcpy(req + USBIP_OP_HEADER_LEN, BUSID, sizeof BUSID);
	g_assert_true(usbip_conn_feed(fx->c, req, sizeof req));
	g_assert_true(usbip_conn_imported(fx->c, NULL));
}

/* A CMD_SUBMIT of a bulk-IN (seqnum) or a CMD_UNLINK of it. */
static void feed_cmd(fixture *fx, uint32_t command, uint32_t seqnum, uint32_t unlink_seqnum)
{
	uint8_t h[USBIP_HEADER_LEN] = { 0 };

	put32(h, command);
	put32(h + 4, seqnum);
	put32(h + 8, DEVID);
	if (command == USBIP_CMD_SUBMIT) {
		put32(h + 12, USBIP_DIR_IN);
		put32(h + 16, EP_BULK_IN);
		put32(h + 24, IN_LENGTH);
		put32(h + 32, USBIP_NOT_ISO);
	} else {
		put32(h + 20, unlink_seqnum);
	}
	g_assert_true(usbip_conn_feed(fx->c, h, sizeof h));
}

static void setup(fixture *fx, const char *spec, bool drain_on_unplug)
{
	usbdev_opts opts = { .default_name = BUSID, .default_bus = 1, .default_address = DEVNUM,
			     .hooks = { .unplug = on_unplug, .data = fx } };
	/* No device list is asked for here. */
	usbip_conn_ops ops = { NULL, op_import, op_route, op_cancel, op_send, fx };
	GError *error = NULL;

	memset(fx, 0, sizeof *fx);
	g_mutex_init(&fx->lock);
	fx->sent = g_byte_array_new();
	fx->drain_on_unplug = drain_on_unplug;
	fx->d = usbdev_new(spec, &opts, &error);
	g_assert_no_error(error);
	fx->c = usbip_conn_new(&ops);
	feed_import(fx);
}

static void teardown(fixture *fx)
{
	usbip_conn_close(fx->c);
	g_assert_cmpuint(usbip_conn_in_flight(fx->c), ==, 0);
	usbip_conn_free(fx->c);
	usbdev_unref(fx->d);
	g_byte_array_unref(fx->sent);
	g_mutex_clear(&fx->lock);
}

/* The bytes sent after the OP_REP_IMPORT. */
static const uint8_t *replies(fixture *fx, size_t *len)
{
	size_t skip = USBIP_OP_HEADER_LEN + USBIP_DEVICE_LEN;

	g_assert_cmpuint(fx->sent->len, >=, skip);
	*len = fx->sent->len - skip;
	return fx->sent->data + skip;
}

/* The one reply sent after the import: its command, seqnum and status. */
static void assert_one_reply(fixture *fx, uint32_t command, uint32_t seqnum, int status)
{
	size_t len;
	const uint8_t *r = replies(fx, &len);

	g_assert_cmpuint(len, ==, USBIP_HEADER_LEN);
	g_assert_cmpint(get32(r), ==, (int32_t)command);
	g_assert_cmpint(get32(r + 4), ==, (int32_t)seqnum);
	g_assert_cmpint(get32(r + 20), ==, status);
}

/* One executor step: the bulk-IN queue's next URB, run, answered. */
static void run_bulk_in(fixture *fx)
{
	usbip_urb *u = usbip_conn_next(fx->c, USBIP_Q_BULK_IN, false);

	g_assert_nonnull(u);
	usbip_urb_run(fx->d, u, 0);
	usbip_conn_complete(fx->c, u);
}

/* The disconnect fault ends a bulk-IN: its peer is told -ENODEV whether
 * the session's drain comes after the transfer returned, or (drain_first,
 * the CI failure's order) cancels the URB before the transfer is back.
 * The device left: that is the URB's end, not a cancel (-ECONNRESET,
 * made -ESHUTDOWN by the drain). */
static void disconnect_ends_the_urb(bool drain_first)
{
	fixture fx;

	setup(&fx, "generic-apdu-irq:card=none:fault=disconnect/bulk-in=10", drain_first);
	feed_cmd(&fx, USBIP_CMD_SUBMIT, 1, 0);
	run_bulk_in(&fx);
	g_assert_true(usbdev_gone(fx.d));
	usbip_conn_drain(fx.c);	/* the session's, when it did not win */
	assert_one_reply(&fx, USBIP_RET_SUBMIT, 1, -ENODEV);
	teardown(&fx);
}

static void test_disconnect_ends_the_urb_enodev(void)
{
	disconnect_ends_the_urb(false);
}

static void test_disconnect_ends_the_urb_enodev_when_the_drain_wins(void)
{
	disconnect_ends_the_urb(true);
}

static gpointer executor(gpointer data)
{
	fixture *fx = data;
	usbip_urb *u = usbip_conn_next(fx->c, USBIP_Q_BULK_IN, true);

	g_assert_nonnull(u);
	g_atomic_int_set(&fx->running, 1);
	usbip_urb_run(fx->d, u, 0);
	usbip_conn_complete(fx->c, u);
	return NULL;
}

/* Starts the executor on the bulk-IN submitted; returns once its URB
 * runs (a bulk-IN with no command before it waits until cancelled). */
static GThread *start_waiting_bulk_in(fixture *fx)
{
	feed_cmd(fx, USBIP_CMD_SUBMIT, 1, 0);
	GThread *t = g_thread_new("executor", executor, fx);
	while (!g_atomic_int_get(&fx->running))
		g_usleep(1000);
	return t;
}

/* The device removed while a bulk-IN waits (no unplug in the transfer):
 * the drain's cancel ends it, as a host controller reports a URB of a
 * device that left. */
static void test_drain_ends_a_waiting_urb_eshutdown(void)
{
	fixture fx;

	setup(&fx, "generic-apdu-irq:card=none", false);
	GThread *t = start_waiting_bulk_in(&fx);
	usbip_conn_drain(fx.c);
	g_thread_join(t);
	assert_one_reply(&fx, USBIP_RET_SUBMIT, 1, -ESHUTDOWN);
	teardown(&fx);
}

/* An unlinked waiting bulk-IN: only its RET_UNLINK, -ECONNRESET. */
static void test_unlink_ends_a_waiting_urb_econnreset(void)
{
	fixture fx;

	setup(&fx, "generic-apdu-irq:card=none", false);
	GThread *t = start_waiting_bulk_in(&fx);
	feed_cmd(&fx, USBIP_CMD_UNLINK, 2, 1);
	g_thread_join(t);
	assert_one_reply(&fx, USBIP_RET_UNLINK, 2, -ECONNRESET);
	teardown(&fx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/usbip/unplug/disconnect-ends-the-urb-enodev",
			test_disconnect_ends_the_urb_enodev);
	g_test_add_func("/usbip/unplug/disconnect-ends-the-urb-enodev-when-the-drain-wins",
			test_disconnect_ends_the_urb_enodev_when_the_drain_wins);
	g_test_add_func("/usbip/unplug/drain-ends-a-waiting-urb-eshutdown",
			test_drain_ends_a_waiting_urb_eshutdown);
	g_test_add_func("/usbip/unplug/unlink-ends-a-waiting-urb-econnreset",
			test_unlink_ends_a_waiting_urb_econnreset);
	return g_test_run();
}
