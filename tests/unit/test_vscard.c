/* ccidlab — the VSCard card side (src/vscard): the wire format against
 * exact frames as QEMU's passthru card writes them, and a session's
 * answers to QEMU's Init, APDUs and the card-level faults. */
#include <glib.h>
#include <string.h>

#include "vscard/session.h"
#include "vscard/wire.h"

/* QEMU's Init (ccid-card-passthru): type 1, reader 0xFFFFFFFF, 12 bytes:
 * "VSCD", version 0.0.2, one capability word 0; all big-endian. */
static const uint8_t qemu_init[] = { 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 12,
				     'V', 'S', 'C', 'D', 0, 0, 0, 2, 0, 0, 0, 0 };

typedef struct sent {
	GPtrArray *msgs;	/* GBytes, one message each */
} sent;

static void on_send(void *data, const uint8_t *buf, size_t len)
{
	sent *s = data;
	size_t at = 0;
	while (at < len) {
		vscard_msg m;
		size_t used = 0;
		g_assert_cmpint(vscard_wire_next(buf + at, len - at, &m, &used), ==, VSCARD_OK);
		g_ptr_array_add(s->msgs, g_bytes_new(buf + at, used));
		at += used;
	}
}

static const vscard_session_ops ops = { .send = on_send };

static vscard_msg msg_at(sent *s, guint i)
{
	vscard_msg m;
	size_t used = 0;
	gsize len = 0;
	const uint8_t *p = g_bytes_get_data(g_ptr_array_index(s->msgs, i), &len);
	g_assert_cmpint(vscard_wire_next(p, len, &m, &used), ==, VSCARD_OK);
	return m;
}

static void apdu(vscard_session *vs, const uint8_t *a, size_t n)
{
	uint8_t buf[300];
	size_t len = vscard_wire_encode(VSCARD_APDU, 0, a, n, buf, sizeof buf);
	g_assert_cmpuint(len, ==, VSCARD_HEADER_SIZE + n);
	g_assert_true(vscard_session_feed(vs, buf, len));
}

static void test_wire_reads_qemus_init(void)
{
	vscard_msg m;
	size_t used = 0;
	uint32_t v = 0;
	/* One byte short: wait for more. */
	g_assert_cmpint(vscard_wire_next(qemu_init, sizeof qemu_init - 1, &m, &used), ==,
			VSCARD_E_SHORT);
	g_assert_cmpint(vscard_wire_next(qemu_init, sizeof qemu_init, &m, &used), ==, VSCARD_OK);
	g_assert_cmpuint(used, ==, sizeof qemu_init);
	g_assert_cmpuint(m.type, ==, VSCARD_INIT);
	g_assert_cmphex(m.reader_id, ==, VSCARD_READER_UNDEFINED);
	g_assert_cmpint(vscard_wire_parse_init(&m, &v), ==, VSCARD_OK);
	g_assert_cmpuint(v, ==, VSCARD_VERSION_0_0_2);
	/* Our own Init is the same bytes. */
	uint8_t out[64];
	g_assert_cmpuint(vscard_wire_encode_init(out, sizeof out), ==, sizeof qemu_init);
	g_assert_cmpmem(out, sizeof qemu_init, qemu_init, sizeof qemu_init);
}

static void test_wire_refuses_a_length_past_64k(void)
{
	uint8_t hdr[12] = { 0, 0, 0, 7, 0, 0, 0, 0, 0, 1, 0, 0 };	/* 65536 */
	vscard_msg m;
	size_t used = 0;
	g_assert_cmpint(vscard_wire_next(hdr, sizeof hdr, &m, &used), ==, VSCARD_E_TOO_LONG);
	/* Bad magic and short Error are named. */
	uint8_t bad[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 'X', 'S', 'C', 'D', 0, 0, 0, 2 };
	uint32_t v;
	g_assert_cmpint(vscard_wire_next(bad, sizeof bad, &m, &used), ==, VSCARD_OK);
	g_assert_cmpint(vscard_wire_parse_init(&m, &v), ==, VSCARD_E_BAD_INIT);
	g_assert_cmpstr(vscard_wire_result_name(VSCARD_E_BAD_INIT), ==, "bad Init");
	g_assert_cmpstr(vscard_type_name(99), ==, "unknown");
}

static void test_session_attaches_and_inserts_on_init(void)
{
	sent s = { g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref) };
	g_autoptr(vscard_session) vs = vscard_session_new("readertest,t0", &ops, &s, NULL);
	g_assert_nonnull(vs);
	vscard_session_start(vs);
	g_assert_cmpuint(s.msgs->len, ==, 1);
	g_assert_cmpuint(msg_at(&s, 0).type, ==, VSCARD_INIT);
	/* QEMU's Init, fed a byte at a time: ReaderAdd, then the ATR. */
	for (size_t i = 0; i < sizeof qemu_init; i++)
		g_assert_true(vscard_session_feed(vs, qemu_init + i, 1));
	g_assert_cmpuint(s.msgs->len, ==, 3);
	g_assert_cmpuint(msg_at(&s, 1).type, ==, VSCARD_READER_ADD);
	vscard_msg atr = msg_at(&s, 2);
	g_assert_cmpuint(atr.type, ==, VSCARD_ATR);
	g_assert_cmphex(atr.payload[0], ==, 0x3B);
	/* A second Init (device_del and device_add of the card): again. */
	g_assert_true(vscard_session_feed(vs, qemu_init, sizeof qemu_init));
	g_assert_cmpuint(s.msgs->len, ==, 5);
	g_assert_cmpuint(vscard_session_stats_get(vs)->inits, ==, 2);
	/* Taken out: CardRemove. */
	vscard_session_set_present(vs, false);
	g_assert_cmpuint(msg_at(&s, 5).type, ==, VSCARD_CARD_REMOVE);
	g_ptr_array_unref(s.msgs);
}

static const uint8_t select_rt[] = { 0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18,
				     0xFF };

static void test_session_answers_t0_tpdus(void)
{
	sent s = { g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref) };
	g_autoptr(vscard_session) vs = vscard_session_new("readertest,t0", &ops, &s, NULL);
	g_assert_true(vscard_session_feed(vs, qemu_init, sizeof qemu_init));
	guint n0 = s.msgs->len;
	apdu(vs, select_rt, sizeof select_rt);
	vscard_msg m = msg_at(&s, n0);
	g_assert_cmpuint(m.type, ==, VSCARD_APDU);
	g_assert_cmpmem(m.payload, m.length, "\x90\x00", 2);
	/* Case 2, 4 bytes: 00 01 02 03 90 00. */
	const uint8_t case2[] = { 0x80, 0x34, 0x00, 0x04, 0x04 };
	apdu(vs, case2, sizeof case2);
	m = msg_at(&s, n0 + 1);
	g_assert_cmpmem(m.payload, m.length, "\x00\x01\x02\x03\x90\x00", 6);
	g_ptr_array_unref(s.msgs);
}

static void test_session_faults_act_per_apdu(void)
{
	sent s = { g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref) };
	g_autoptr(vscard_session) vs =
		vscard_session_new("readertest,t0|fail:5@1|truncate:1@2", &ops, &s, NULL);
	g_assert_nonnull(vs);
	g_assert_true(vscard_session_feed(vs, qemu_init, sizeof qemu_init));
	guint n0 = s.msgs->len;
	const uint8_t case2[] = { 0x80, 0x34, 0x00, 0x02, 0x02 };
	apdu(vs, select_rt, sizeof select_rt);	/* fail: an Error, code 5 */
	vscard_msg m = msg_at(&s, n0);
	uint32_t code = 0;
	g_assert_cmpuint(m.type, ==, VSCARD_ERROR);
	g_assert_cmpint(vscard_wire_parse_error(&m, &code), ==, VSCARD_OK);
	g_assert_cmpuint(code, ==, 5);
	apdu(vs, select_rt, sizeof select_rt);	/* truncate: 90 */
	m = msg_at(&s, n0 + 1);
	g_assert_cmpmem(m.payload, m.length, "\x90", 1);
	apdu(vs, case2, sizeof case2);	/* truncate: the last byte gone */
	m = msg_at(&s, n0 + 2);
	g_assert_cmpmem(m.payload, m.length, "\x00\x01\x90", 3);
	apdu(vs, case2, sizeof case2);	/* both spent */
	m = msg_at(&s, n0 + 3);
	g_assert_cmpmem(m.payload, m.length, "\x00\x01\x90\x00", 4);
	g_assert_cmpuint(vscard_session_stats_get(vs)->faults, ==, 3);
	g_ptr_array_unref(s.msgs);
}

static void test_spec_refuses_reader_level_faults(void)
{
	g_autoptr(GError) err = NULL;
	g_assert_false(vscard_spec_check("readertest|wrong-seq", &err));
	g_assert_nonnull(strstr(err->message, "reader-level"));
	g_clear_error(&err);
	g_assert_false(vscard_spec_check("", &err));
	g_clear_error(&err);
	g_assert_true(vscard_spec_check("echo|slow:10@2|bad-atr", NULL));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/vscard/wire/reads-qemus-init", test_wire_reads_qemus_init);
	g_test_add_func("/vscard/wire/refuses-a-length-past-64k", test_wire_refuses_a_length_past_64k);
	g_test_add_func("/vscard/session/attaches-and-inserts-on-init",
			test_session_attaches_and_inserts_on_init);
	g_test_add_func("/vscard/session/answers-t0-tpdus", test_session_answers_t0_tpdus);
	g_test_add_func("/vscard/session/faults-act-per-apdu", test_session_faults_act_per_apdu);
	g_test_add_func("/vscard/spec/refuses-reader-level-faults",
			test_spec_refuses_reader_level_faults);
	return g_test_run();
}
