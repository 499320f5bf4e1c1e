/* ccidlab — unit tests of fault injection: every fault kind gives its
 * specified wire effect, within a bounded time, and the next command
 * after the fault is cleared works.
 */
#include "config.h"

#include "ccid/atr.h"
#include "emu_device_helpers.h"

static const uint8_t select_rt[] = { 0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };

typedef struct fx {
	emu_device *dev;
	test_host h;
} fx;

/* The fixture of every device test here: a two-slot reader with a
 * readertest card in each; data is &powered (slot 0 powered up) or
 * &unpowered. */
static const bool powered = true, unpowered = false;

static void fx_setup(fx *f, gconstpointer data)
{
	bool power = *(const bool *)data;
	test_reader r = test_reader_default();
	r.nslots = 2;
	r.busy = 2;
	f->dev = test_device_new(&r);
	test_host_open(&f->h, f->dev);
	test_insert(f->dev, 0, "readertest");
	test_insert(f->dev, 1, "readertest");
	/* The insert notifications are not what these tests look at. */
	uint8_t buf[64];
	size_t n;
	while (f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 0) == CCID_OK)
		;
	if (power)
		test_power_on(&f->h, 0);
}

static void fx_teardown(fx *f, gconstpointer data)
{
	test_host_close(&f->h);
	emu_device_unref(f->dev);
}

#define FX_TEST(path, power, fn) g_test_add(path, fx, power, fx_setup, fn, fx_teardown)

static void set_fault(fx *f, int slot, const char *s)
{
	emu_fault fl;
	g_autoptr(GError) error = NULL;

	g_assert_true(emu_fault_parse(s, &fl, &error));
	g_assert_no_error(error);
	g_assert_true(emu_device_fault_set(f->dev, slot, &fl, &error));
	g_assert_no_error(error);
}

/* GetSlotStatus on slot 0 works: the after-clear check. */
static void status_works(fx *f, uint8_t slot)
{
	ccid_msg rsp;

	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, slot, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
}

/* Sends GetSlotStatus and returns the raw answer's check result. */
static int raw_status(fx *f, uint8_t slot, ccid_msg *cmd)
{
	ccid_msg rsp;

	test_host_send(&f->h, cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, slot, 0, 0, 0, NULL, 0);
	int rc = f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 500);
	if (rc != CCID_OK)
		return rc;
	return ccid_message_check(cmd, f->h.rx, f->h.rx_len, &f->h.lim, &rsp, NULL);
}

static void test_parse_and_format(void)
{
	emu_fault f;
	char buf[64];
	g_autoptr(GError) error = NULL;

	g_assert_true(emu_fault_parse("fail:0xFB@1", &f, &error));
	g_assert_cmpint(f.kind, ==, EMU_FAULT_FAIL);
	g_assert_cmphex(emu_fault_arg(&f), ==, 0xFB);
	g_assert_cmpuint(f.count, ==, 1);
	emu_fault_format(&f, buf, sizeof buf);
	g_assert_cmpstr(buf, ==, "fail:251@1");

	g_assert_true(emu_fault_parse("slow", &f, &error));
	g_assert_cmpuint(emu_fault_arg(&f), ==, 1000);
	g_assert_cmpuint(f.count, ==, EMU_FAULT_FOREVER);
	emu_fault_format(&f, buf, sizeof buf);
	g_assert_cmpstr(buf, ==, "slow:1000");
	g_assert_true(emu_fault_parse("device-gone", &f, &error));
	emu_fault_format(&f, buf, sizeof buf);
	g_assert_cmpstr(buf, ==, "device-gone");

	static const char *const bad[] = { "", "nope", "fail:xyz", "fail:300", "bad-atr:1",
					   "slow@0", "slow@", "truncate:-1", "fail:1@2@3",
					   "wrong-seq: 5" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_clear_error(&error);
		g_assert_false(emu_fault_parse(bad[i], &f, &error));
		g_assert_error(error, EMU_ERROR, EMU_ERROR_PARSE);
	}
	/* Every kind has a name that parses back. */
	for (unsigned k = 0; k < EMU_FAULT_KIND_COUNT; k++) {
		emu_fault_kind back;
		g_assert_cmpstr(emu_fault_kind_name(k), !=, "unknown");
		g_assert_true(emu_fault_kind_from_name(emu_fault_kind_name(k), &back));
		g_assert_cmpint(back, ==, k);
	}
	g_assert_cmpstr(emu_fault_kind_name(EMU_FAULT_KIND_COUNT), ==, "unknown");
}

static void test_list_and_clear(fx *f, gconstpointer data)
{
	emu_fault_entry list[8];

	set_fault(f, 0, "slow:10");
	set_fault(f, -1, "fail@3");
	set_fault(f, 0, "slow:20"); /* replaces */
	g_assert_cmpuint(emu_device_fault_list(f->dev, list, 8), ==, 2);
	g_assert_cmpint(list[0].slot, ==, 0);
	g_assert_cmpuint(emu_fault_arg(&list[0].fault), ==, 20);
	g_assert_cmpint(list[1].slot, ==, -1);
	/* One-shot kinds are not kept. */
	set_fault(f, 0, "spurious-notify");
	g_assert_cmpuint(emu_device_fault_list(f->dev, list, 8), ==, 2);
	emu_fault fl = { .kind = EMU_FAULT_SLOW };
	g_autoptr(GError) error = NULL;
	g_assert_false(emu_device_fault_set(f->dev, 7, &fl, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
	g_assert_cmpuint(emu_device_fault_clear(f->dev, 0, EMU_FAULT_FAIL), ==, 0);
	g_assert_cmpuint(emu_device_fault_clear(f->dev, -1, -1), ==, 1);
	g_assert_cmpuint(emu_device_fault_clear(f->dev, EMU_DEVICE_ALL_SLOTS, -1), ==, 1);
	g_assert_cmpuint(emu_device_fault_list(f->dev, list, 8), ==, 0);
}

static void test_mute_at_power_on(fx *f, gconstpointer data)
{
	ccid_msg rsp;

	set_fault(f, 0, "mute-power-on@1");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_ICC_MUTE);
	/* One command only: the next power-on works. */
	test_power_on(&f->h, 0);
}

static void test_bad_atr(fx *f, gconstpointer data)
{
	ccid_msg rsp;
	ccid_atr atr;

	set_fault(f, 0, "bad-atr");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpint(ccid_atr_parse(rsp.abData, rsp.dwLength, &atr), ==, CCID_E_CHECKSUM);
	emu_device_fault_clear(f->dev, 0, EMU_FAULT_BAD_ATR);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpint(ccid_atr_parse(rsp.abData, rsp.dwLength, &atr), ==, CCID_OK);
}

static void test_slow_card(fx *f, gconstpointer data)
{
	ccid_msg cmd, rsp;

	set_fault(f, 0, "slow:150@1");
	int64_t t0 = g_get_monotonic_time();
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, select_rt, sizeof select_rt);
	g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 140000);
	g_assert_cmpuint(f->h.time_extensions, >=, 2);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
	/* Used up: the next APDU is quick. */
	f->h.time_extensions = 0;
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, select_rt, sizeof select_rt);
	g_assert_cmpuint(f->h.time_extensions, ==, 0);
}

static void test_failed_command(fx *f, gconstpointer data)
{
	ccid_msg rsp;

	set_fault(f, 0, "fail:0xF3@2");
	for (int i = 0; i < 2; i++) {
		test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, select_rt,
			       sizeof select_rt);
		g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
		g_assert_cmphex(rsp.p.rdr.bError, ==, 0xF3);
	}
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, select_rt, sizeof select_rt);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
}

static void test_wrong_seq_and_slot(fx *f, gconstpointer data)
{
	ccid_msg cmd;

	set_fault(f, 0, "wrong-seq");
	g_assert_cmpint(raw_status(f, 0, &cmd), ==, CCID_E_BAD_SEQ);
	g_assert_cmphex(f->h.rx[6], ==, (uint8_t)(cmd.bSeq + 0x80));
	/* Within the stale window: a stale answer. */
	set_fault(f, 0, "wrong-seq:0xFF@1");
	g_assert_cmpint(raw_status(f, 0, &cmd), ==, CCID_E_STALE);
	emu_device_fault_clear(f->dev, 0, -1);
	status_works(f, 0);

	set_fault(f, -1, "wrong-slot@1");
	g_assert_cmpint(raw_status(f, 0, &cmd), ==, CCID_E_BAD_SLOT);
	g_assert_cmphex(f->h.rx[5], ==, 1);
	status_works(f, 0);
}

static void test_truncate_long_length_garbage(fx *f, gconstpointer data)
{
	ccid_msg cmd;

	set_fault(f, 0, "truncate@1");
	g_assert_cmpint(raw_status(f, 0, &cmd), ==, CCID_E_SHORT);
	g_assert_cmpuint(f->h.rx_len, ==, 9);
	status_works(f, 0);

	set_fault(f, 0, "long-length:3@1");
	g_assert_cmpint(raw_status(f, 0, &cmd), ==, CCID_E_LENGTH);
	g_assert_cmpuint(f->h.rx_len, ==, 10);
	g_assert_cmpuint(ccid_get_le32(f->h.rx + 1), ==, 3);
	status_works(f, 0);

	set_fault(f, 0, "garbage:16@1");
	int rc = raw_status(f, 0, &cmd);
	g_assert_cmpint(rc, !=, CCID_OK);
	g_assert_cmpuint(f->h.rx_len, ==, 16);
	g_assert_cmphex(f->h.rx[0], ==, 0x00);
	status_works(f, 0);
}

static void test_bulk_in_timeout(fx *f, gconstpointer data)
{
	ccid_msg cmd;

	set_fault(f, 0, "timeout:40@1");
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	int64_t t0 = g_get_monotonic_time();
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 2000),
			==, CCID_E_TIMEOUT);
	int64_t took = g_get_monotonic_time() - t0;
	g_assert_cmpint(took, >=, 35000);
	g_assert_cmpint(took, <, 1000000);
	/* Without an arg: the caller's whole timeout. */
	set_fault(f, 0, "timeout@1");
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 60),
			==, CCID_E_TIMEOUT);
	took = g_get_monotonic_time() - t0;
	g_assert_cmpint(took, >=, 55000);
	g_assert_cmpint(took, <, 1000000);
	status_works(f, 0);
}

typedef struct gone_ctx {
	emu_device *dev;
} gone_ctx;

static gpointer set_gone_later(gpointer data)
{
	gone_ctx *g = data;
	emu_fault fl = { .kind = EMU_FAULT_DEVICE_GONE };

	g_usleep(30000);
	emu_device_fault_set(g->dev, -1, &fl, NULL);
	return NULL;
}

static void test_device_gone(fx *f, gconstpointer data)
{
	ccid_msg cmd;
	uint8_t buf[600];
	size_t n;

	/* A waiting interrupt read ends when the device goes. */
	gone_ctx g = { f->dev };
	GThread *th = g_thread_new("gone", set_gone_later, &g);
	int64_t t0 = g_get_monotonic_time();
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 5000), ==,
			CCID_E_NO_DEVICE);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 2000000);
	g_thread_join(th);

	ccid_message_init(&cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 1);
	g_assert_cmpint(ccid_message_encode(&cmd, buf, sizeof buf, &n), ==, CCID_OK);
	g_assert_cmpint(f->h.t.ops->bulk_out(f->h.t.dev, buf, n, 100), ==, CCID_E_NO_DEVICE);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, buf, sizeof buf, &n, 100), ==,
			CCID_E_NO_DEVICE);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x02, 0, buf, sizeof buf, &n, 100), ==,
			CCID_E_NO_DEVICE);
	g_assert_cmpint(f->h.t.ops->config_descriptor(f->h.t.dev, buf, sizeof buf, &n), ==,
			CCID_E_NO_DEVICE);
	/* Until cleared. */
	g_assert_cmpint(f->h.t.ops->bulk_out(f->h.t.dev, buf, 10, 100), ==, CCID_E_NO_DEVICE);
	g_assert_cmpuint(emu_device_fault_clear(f->dev, -1, EMU_FAULT_DEVICE_GONE), ==, 1);
	status_works(f, 0);
}

static void test_remove_in_xfr(fx *f, gconstpointer data)
{
	ccid_msg rsp;
	ccid_interrupt in;
	uint8_t buf[64];
	size_t n;

	uint64_t before = emu_events_last_seq();
	set_fault(f, 0, "remove-in-xfr@1");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, select_rt, sizeof select_rt);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_ABSENT);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_ICC_MUTE);
	emu_slot_info info;
	g_assert_true(emu_device_slot_info(f->dev, 0, &info));
	g_assert_false(info.present);
	/* The edge is in the log, with its source, and on the pipe. */
	emu_event ev[4];
	g_assert_false(emu_events_since(before, ev, 4, &n, NULL));
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(ev[0].source, ==, EMU_EVENT_SRC_FAULT);
	g_assert_cmpint(ev[0].state, ==, EMU_EVENT_ABSENT);
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 100), ==, CCID_OK);
	g_assert_cmpint(ccid_message_interrupt_decode(buf, n, 2, &in), ==, CCID_OK);
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 0));
	g_assert_false(ccid_message_notify_present(&in.u.notify, 0));
	/* A new card works again. */
	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
}

static void test_notify_faults(fx *f, gconstpointer data)
{
	ccid_interrupt in;
	uint8_t buf[64];
	size_t n;

	/* Spurious: changed bit, no change. */
	set_fault(f, 1, "spurious-notify");
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 100), ==, CCID_OK);
	g_assert_cmpint(ccid_message_interrupt_decode(buf, n, 2, &in), ==, CCID_OK);
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 1));
	g_assert_true(ccid_message_notify_present(&in.u.notify, 1));
	g_assert_false(ccid_message_notify_changed(&in.u.notify, 0));

	/* Dropped: the removal is never notified, the next edge is. */
	set_fault(f, 0, "drop-notify@1");
	g_assert_true(emu_device_remove(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 30), ==,
			CCID_E_TIMEOUT);
	test_insert(f->dev, 0, "readertest");
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 100), ==, CCID_OK);

	/* HardwareError with its code. */
	set_fault(f, 1, "hw-error:2");
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 100), ==, CCID_OK);
	g_assert_cmpint(ccid_message_interrupt_decode(buf, n, 2, &in), ==, CCID_OK);
	g_assert_cmphex(in.bMessageType, ==, CCID_RDR_TO_PC_HARDWARE_ERROR);
	g_assert_cmpuint(in.u.hw.bSlot, ==, 1);
	g_assert_cmphex(in.u.hw.bHardwareErrorCode, ==, 2);
	status_works(f, 0);
}

static void test_slot_fault_spares_other_slot(fx *f, gconstpointer data)
{
	ccid_msg rsp;

	set_fault(f, 1, "fail:0xFB");
	status_works(f, 0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 0xFB);
	/* A reader-wide fault hits every slot. */
	emu_device_fault_clear(f->dev, EMU_DEVICE_ALL_SLOTS, -1);
	set_fault(f, -1, "fail:0xFB");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 0xFB);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 0xFB);
	emu_device_fault_clear(f->dev, -1, -1);
	status_works(f, 0);
	status_works(f, 1);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/emu/fault/string-form-parses-and-formats", test_parse_and_format);
	FX_TEST("/emu/fault/set-replaces-list-and-clear", &unpowered, test_list_and_clear);
	FX_TEST("/emu/fault/mute-power-on-fails-0xfe-once", &unpowered, test_mute_at_power_on);
	FX_TEST("/emu/fault/bad-atr-breaks-tck", &unpowered, test_bad_atr);
	FX_TEST("/emu/fault/slow-card-gives-time-extensions", &powered, test_slow_card);
	FX_TEST("/emu/fault/fail-gives-chosen-bError-n-times", &powered, test_failed_command);
	FX_TEST("/emu/fault/wrong-bseq-and-bslot", &unpowered, test_wrong_seq_and_slot);
	FX_TEST("/emu/fault/truncate-long-length-garbage",
		&unpowered, test_truncate_long_length_garbage);
	FX_TEST("/emu/fault/bulk-in-timeout-bounded", &unpowered, test_bulk_in_timeout);
	FX_TEST("/emu/fault/device-gone-fails-every-transfer-until-cleared",
		&unpowered, test_device_gone);
	FX_TEST("/emu/fault/card-removed-in-xfr-block", &powered, test_remove_in_xfr);
	FX_TEST("/emu/fault/spurious-dropped-notify-and-hw-error", &unpowered, test_notify_faults);
	FX_TEST("/emu/fault/slot-fault-spares-other-slot",
		&unpowered, test_slot_fault_spares_other_slot);
	return g_test_run();
}
