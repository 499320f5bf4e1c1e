/* ccidlab — the timeout caps and the abort after a timeout: a card that
 * keeps asking for time is cut off at the cap (whole APDU, T=1 S(WTX)
 * too; PIN entry has its own cap), the host then sends the ABORT class
 * request and PC_to_RDR_Abort (CCID 1.1 §5.3.1, in that order, same bSeq
 * and bSlot) and waits for the SlotStatus, and the late answer of the
 * timed-out command never becomes the answer of the next command. */
#include <glib.h>

#include "host_emu_fixture.h"

#define READ_MS 200		/* per-read timeout */
#define CAP_MS 600
#define SLACK_US (700 * 1000)	/* scheduling on a busy machine */

/* ---- a trace of the wire ---- */

typedef struct frame {
	int dir;
	uint8_t b[8];		/* header (bulk) or setup packet (control) */
} frame;

typedef struct trace_log {
	GMutex lock;
	GArray *frames;		/* frame */
} trace_log;

static void trace_cb(void *data, int dir, const uint8_t *buf, size_t len)
{
	trace_log *t = data;
	frame f = { .dir = dir };

	memcpy(f.b, buf, MIN(len, sizeof f.b));
	g_mutex_lock(&t->lock);
	g_array_append_val(t->frames, f);
	g_mutex_unlock(&t->lock);
}

static void trace_init(trace_log *t)
{
	g_mutex_init(&t->lock);
	t->frames = g_array_new(FALSE, TRUE, sizeof(frame));
}

static void trace_clear(trace_log *t)
{
	g_array_free(t->frames, TRUE);
	g_mutex_clear(&t->lock);
}

/* Index of the first frame from `from` with dir and b[0] (message type or
 * bmRequestType), or -1. */
static int find(const trace_log *t, guint from, int dir, uint8_t b0)
{
	for (guint i = from; i < t->frames->len; i++) {
		const frame *f = &g_array_index(t->frames, frame, i);
		if (f->dir == dir && f->b[0] == b0)
			return (int)i;
	}
	return -1;
}

static const frame *at(const trace_log *t, int i)
{
	g_assert_cmpint(i, >=, 0);
	return &g_array_index(t->frames, frame, (guint)i);
}

/* ---- APDUs ---- */

/* readertest INS 36: 2 pattern bytes in, n pattern bytes out. */
static int case4(host_reader *h, uint8_t n)
{
	const uint8_t apdu[] = { 0x80, 0x36, 0x00, n, 0x02, 0x00, 0x01, n };
	uint8_t rsp[300];
	size_t len = 0;
	int rc = host_slot_transmit(h, 0, apdu, sizeof apdu, rsp, sizeof rsp, &len);
	if (rc != CCID_OK)
		return rc;
	if (len != (size_t)n + 2u || rsp[n] != 0x90 || rsp[n + 1] != 0x00)
		return CCID_E_PROTOCOL;
	for (unsigned i = 0; i < n; i++)
		if (rsp[i] != (uint8_t)i)
			return CCID_E_PROTOCOL;
	return CCID_OK;
}

static void set_fault(emu_device *dev, const char *spec)
{
	g_autoptr(GError) err = NULL;
	emu_fault f;

	g_assert_true(emu_fault_parse(spec, &f, &err));
	g_assert_true(emu_device_fault_set(dev, 0, &f, &err));
}

static const host_emu_spec apdu_reader = { "generic-apdu-irq", "readertest,t1" };
static const host_emu_spec t1_reader = { "generic-t1-irq", "readertest,t1" };
static const host_emu_spec pinpad_reader = { "generic-pinpad", "readertest,t1" };
static const host_emu_spec empty_reader = { "generic-apdu-irq", NULL };

/* The fixture's card, powered up at T=1 and selected, under this file's
 * read timeout and command cap. */
static void ready(host_emu *he)
{
	g_assert_cmpint(host_slot_power_on(he->host, 0, NULL, 0, NULL), ==, CCID_OK);
	g_assert_cmpint(host_slot_set_protocol(he->host, 0, 1), ==, CCID_OK);
	g_assert_cmpint(select_readertest(he->host, 0), ==, CCID_OK);
	host_reader_set_timeout(he->host, READ_MS);
	host_reader_set_timeout_cap(he->host, CAP_MS);
}

static void assert_took_about(gint64 took_us, unsigned ms)
{
	g_assert_cmpint(took_us, >=, (gint64)ms * 1000 - 20000);
	g_assert_cmpint(took_us, <, (gint64)ms * 1000 + READ_MS * 1000 + SLACK_US);
}

/* A card that works for 30 s, asking for time all along: the APDU fails
 * at the cap; then the abort handshake, in the spec's order. */
static void test_cap_and_abort(host_emu *he, gconstpointer data)
{
	trace_log log;
	host_stats st;

	trace_init(&log);
	ready(he);
	set_fault(he->dev, "slow:30000@1");
	host_reader_set_trace(he->host, trace_cb, &log);
	gint64 t0 = g_get_monotonic_time();
	int rc = case4(he->host, 4);
	gint64 took = g_get_monotonic_time() - t0;
	g_test_message("a 30 s card under a %u ms cap: %s after %" G_GINT64_FORMAT " us", CAP_MS,
		       ccid_result_name(rc), took);
	g_assert_cmpint(rc, ==, CCID_E_TIMEOUT);
	assert_took_about(took, CAP_MS);
	host_reader_stats(he->host, &st);
	g_assert_cmpuint(st.time_extensions, >=, 2);
	g_assert_cmpuint(st.timeouts, ==, 1);
	g_assert_cmpuint(st.aborts, ==, 1);

	/* The wire: XfrBlock (seq s), then the ABORT request and the
	 * PC_to_RDR_Abort, both with bSeq s+1 and bSlot 0, request first,
	 * then the SlotStatus of the Abort. */
	int xfr = find(&log, 0, HOST_TRACE_OUT, CCID_PC_TO_RDR_XFR_BLOCK);
	int ctl = find(&log, 0, HOST_TRACE_CONTROL, 0x21);
	int abort = find(&log, 0, HOST_TRACE_OUT, CCID_PC_TO_RDR_ABORT);
	g_assert_cmpint(xfr, >=, 0);
	g_assert_cmpint(ctl, >, xfr);
	g_assert_cmpint(abort, >, ctl);
	uint8_t seq = at(&log, abort)->b[6];
	g_assert_cmphex(at(&log, abort)->b[5], ==, 0);
	g_assert_cmphex(seq, ==, (uint8_t)(at(&log, xfr)->b[6] + 1));
	g_assert_cmphex(at(&log, ctl)->b[1], ==, 0x01);		/* bRequest ABORT */
	g_assert_cmphex(at(&log, ctl)->b[2], ==, 0);		/* wValue low: bSlot */
	g_assert_cmphex(at(&log, ctl)->b[3], ==, seq);		/* wValue high: bSeq */
	int status = find(&log, (guint)abort, HOST_TRACE_IN, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmpint(status, >, abort);
	g_assert_cmphex(at(&log, status)->b[6], ==, seq);

	/* The next command gets its own answer (the device answered the
	 * aborted XfrBlock "aborted", late: dropped by bSeq). */
	emu_device_fault_clear(he->dev, EMU_DEVICE_ALL_SLOTS, -1);
	g_assert_cmpint(case4(he->host, 9), ==, CCID_OK);
	host_reader_stats(he->host, &st);
	g_assert_cmpuint(st.stale_dropped, >=, 1);
	host_reader_set_trace(he->host, NULL, NULL);
	trace_clear(&log);
}

/* T=1 at TPDU level: the card asks for time with S(WTX) block after block
 * (readertest INS 38, 2.5 s); the APDU as a whole is cut off at the cap. */
static void test_cap_t1_wtx(host_emu *he, gconstpointer data)
{
	static const uint8_t apdu[] = { 0x80, 0x38, 0x00, 250 };
	uint8_t rsp[16];
	size_t n = 0;
	host_stats st;

	ready(he);
	gint64 t0 = g_get_monotonic_time();
	int rc = host_slot_transmit(he->host, 0, apdu, sizeof apdu, rsp, sizeof rsp, &n);
	gint64 took = g_get_monotonic_time() - t0;
	g_test_message("T=1, 2.5 s of S(WTX) under a %u ms cap: %s after %" G_GINT64_FORMAT " us",
		       CAP_MS, ccid_result_name(rc), took);
	g_assert_cmpint(rc, !=, CCID_OK);
	assert_took_about(took, CAP_MS);
	host_reader_stats(he->host, &st);
	g_assert_cmpuint(st.timeouts, >=, 1);
	g_assert_cmpuint(st.aborts, >=, 1);
}

/* PIN entry: the command cap does not cut it short, its own cap does. */
static void test_pin_cap(host_emu *he, gconstpointer data)
{
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };
	uint8_t pin[64], out[16];
	size_t n = 0, len = 0;

	pin[n++] = 0x00;	/* bPINOperation: verify (CCID 1.1 §6.1.11.4) */
	pin[n++] = 0x00;	/* bTimeOut */
	pin[n++] = 0x82;	/* bmFormatString: bytes, ASCII */
	pin[n++] = 0x04;	/* bmPINBlockString */
	pin[n++] = 0x00;	/* bmPINLengthFormat */
	pin[n++] = 0x08;	/* wPINMaxExtraDigit: 4..8 */
	pin[n++] = 0x04;
	pin[n++] = 0x02;	/* bEntryValidationCondition: key */
	pin[n++] = 0x01;	/* bNumberMessage */
	pin[n++] = 0x09;	/* wLangId */
	pin[n++] = 0x04;
	pin[n++] = 0x00;	/* bMsgIndex */
	pin[n++] = 0x00;	/* bTeoPrologue */
	pin[n++] = 0x00;
	pin[n++] = 0x00;
	memcpy(pin + n, verify, sizeof verify);
	n += sizeof verify;

	ready(he);
	/* The person takes 1 s: over the command cap, within PIN's. */
	host_reader_set_pin_timeout_cap(he->host, 3000);
	set_fault(he->dev, "slow:1000@1");
	g_assert_cmpint(host_secure(he->host, 0, pin, n, out, sizeof out, &len), ==, CCID_OK);
	g_assert_cmpuint(len, ==, 2);
	g_assert_cmphex(out[0], ==, 0x90);

	/* 10 s under a PIN cap of 500 ms. */
	host_reader_set_pin_timeout_cap(he->host, 500);
	g_assert_cmpuint(host_reader_pin_timeout_cap(he->host), ==, 500);
	set_fault(he->dev, "slow:10000@1");
	gint64 t0 = g_get_monotonic_time();
	int rc = host_secure(he->host, 0, pin, n, out, sizeof out, &len);
	gint64 took = g_get_monotonic_time() - t0;
	g_assert_cmpint(rc, ==, CCID_E_TIMEOUT);
	assert_took_about(took, 500);
	emu_device_fault_clear(he->dev, EMU_DEVICE_ALL_SLOTS, -1);
	g_assert_cmpint(select_readertest(he->host, 0), ==, CCID_OK);
}

/* ---- a reader that ignores aborts ----
 *
 * The emulator's transport wrapped so that the ABORT request stalls and
 * PC_to_RDR_Abort vanishes, as on readers that do not implement them:
 * the timed-out command's card keeps working and its answer comes late,
 * while the next command waits.  It must be dropped, not taken. */
typedef struct deaf {
	transport inner;
	unsigned ctl_aborts, bulk_aborts;
} deaf;

static int deaf_bulk_out(void *p, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	deaf *d = p;
	if (len >= CCID_HEADER_SIZE && buf[0] == CCID_PC_TO_RDR_ABORT) {
		d->bulk_aborts++;
		return CCID_OK;
	}
	return d->inner.ops->bulk_out(d->inner.dev, buf, len, timeout_ms);
}

static int deaf_bulk_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	deaf *d = p;
	return d->inner.ops->bulk_in(d->inner.dev, buf, cap, len, timeout_ms);
}

static int deaf_control(void *p, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
			size_t *len, unsigned timeout_ms)
{
	deaf *d = p;
	if (bRequest == 0x01) {
		d->ctl_aborts++;
		return CCID_E_UNSUPPORTED;
	}
	return d->inner.ops->control(d->inner.dev, bRequest, wValue, data, cap, len, timeout_ms);
}

static int deaf_config_descriptor(void *p, uint8_t *buf, size_t cap, size_t *len)
{
	deaf *d = p;
	return d->inner.ops->config_descriptor(d->inner.dev, buf, cap, len);
}

static int deaf_info(void *p, transport_info *out)
{
	deaf *d = p;
	return d->inner.ops->info(d->inner.dev, out);
}

static void deaf_close(void *p)
{
	deaf *d = p;
	d->inner.ops->close(d->inner.dev);
}

static const transport_ops deaf_ops = { TRANSPORT_OPS_POLLING("deaf", deaf_) };

static void test_late_answer_dropped(void)
{
	g_autoptr(emu_profile) p = emu_profile_builtin("generic-apdu-irq");
	g_autoptr(GError) err = NULL;
	deaf d = { 0 };
	trace_log log;
	host_stats before, after;
	char why[256];

	trace_init(&log);
	emu_device *dev = emu_device_new(p, &err);
	g_assert_no_error(err);
	emu_card *c = emu_card_new_from_spec("readertest,t1", &err);
	g_assert_true(emu_device_insert(dev, 0, c, EMU_EVENT_SRC_API, &err));
	g_assert_cmpint(emu_transport_open(dev, &d.inner), ==, CCID_OK);
	host_reader *h = host_reader_open((transport){ &deaf_ops, &d }, why, sizeof why);
	g_assert_nonnull(h);
	g_assert_cmpint(host_slot_power_on(h, 0, NULL, 0, NULL), ==, CCID_OK);
	g_assert_cmpint(host_slot_set_protocol(h, 0, 1), ==, CCID_OK);
	g_assert_cmpint(select_readertest(h, 0), ==, CCID_OK);
	host_reader_set_timeout(h, READ_MS);
	host_reader_set_timeout_cap(h, 300);
	set_fault(dev, "slow:900@1");

	gint64 t0 = g_get_monotonic_time();
	g_assert_cmpint(case4(h, 4), ==, CCID_E_TIMEOUT);
	g_assert_cmpuint(d.ctl_aborts, ==, 1);
	g_assert_cmpuint(d.bulk_aborts, ==, 1);
	host_reader_stats(h, &before);
	g_assert_cmpuint(before.aborts, ==, 0);	/* nobody answered it */
	/* The card finishes: its answer waits on bulk-IN, unread. */
	gint64 ready = t0 + 1000 * 1000;
	while (g_get_monotonic_time() < ready)
		g_usleep(10000);
	host_reader_set_trace(h, trace_cb, &log);
	g_assert_cmpint(case4(h, 12), ==, CCID_OK);	/* its own 12 bytes, not the 4 */
	host_reader_set_trace(h, NULL, NULL);
	host_reader_stats(h, &after);
	g_assert_cmpuint(after.stale_dropped, >, before.stale_dropped);

	/* The late DataBlock came in while the next command waited. */
	int out = find(&log, 0, HOST_TRACE_OUT, CCID_PC_TO_RDR_XFR_BLOCK);
	int late = -1, own = -1;
	for (int i = out + 1; i < (int)log.frames->len; i++) {
		const frame *f = at(&log, i);
		if (f->dir != HOST_TRACE_IN || f->b[0] != CCID_RDR_TO_PC_DATA_BLOCK)
			continue;
		if (f->b[6] == at(&log, out)->b[6])
			own = own < 0 ? i : own;
		else
			late = late < 0 ? i : late;
	}
	g_assert_cmpint(out, >=, 0);
	g_assert_cmpint(late, >, out);
	g_assert_cmpint(own, >, late);
	host_reader_close(h);
	emu_device_unref(dev);
	trace_clear(&log);
}

static void test_cap_setters(host_emu *he, gconstpointer data)
{
	g_assert_cmpuint(host_reader_timeout_cap(he->host), ==, HOST_DEFAULT_CAP_MS);
	g_assert_cmpuint(host_reader_pin_timeout_cap(he->host), ==, HOST_DEFAULT_PIN_CAP_MS);
	host_reader_set_timeout_cap(he->host, 1234);
	g_assert_cmpuint(host_reader_timeout_cap(he->host), ==, 1234);
	host_reader_set_timeout_cap(he->host, G_MAXUINT);
	g_assert_cmpuint(host_reader_timeout_cap(he->host), ==, HOST_MAX_CAP_MS);
	host_reader_set_timeout_cap(he->host, 0);
	g_assert_cmpuint(host_reader_timeout_cap(he->host), ==, HOST_DEFAULT_CAP_MS);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	HOST_EMU_TEST("/host/abort/cap-setters", &empty_reader, test_cap_setters);
	HOST_EMU_TEST("/host/abort/cap-ends-endless-time-extensions-then-abort", &apdu_reader,
		      test_cap_and_abort);
	HOST_EMU_TEST("/host/abort/cap-ends-t1-wtx", &t1_reader, test_cap_t1_wtx);
	HOST_EMU_TEST("/host/abort/pin-entry-has-its-own-cap", &pinpad_reader, test_pin_cap);
	g_test_add_func("/host/abort/late-answer-never-given-to-next-command",
			test_late_answer_dropped);
	return g_test_run();
}
