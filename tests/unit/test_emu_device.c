/* ccidlab — unit tests of the emulated reader at the CCID message level:
 * every command, bSeq/bSlot, busy slots, time extensions, the interrupt
 * pipe and the latch, through the emulated transport.
 *
 * Past 600 lines, whole on purpose: one program for the device model's
 * message level (device.h), every test on the one fixture below (a
 * reader of a named shape with the host side open); splitting it would
 * split the CCID command table it walks.
 */
#include "config.h"

#include "ccid/t1.h"
#include "emu_device_helpers.h"

static const uint8_t select_rt[] = { 0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };

/* Sends SELECT readertest at APDU level and checks 90 00. */
static void select_readertest(test_host *h, uint8_t slot)
{
	ccid_msg rsp;

	test_host_xchg(h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, slot, 0, 0, 0, select_rt, sizeof select_rt);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.dwLength, ==, 2);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
	g_assert_cmphex(rsp.abData[1], ==, 0x00);
}

/* Most tests take a reader of the default shape (test_reader_default),
 * or of one that differs in a field or two, with a host side open on its
 * emulated transport: the fixture builds both and closes them. */
typedef struct device_fixture {
	test_reader r;
	emu_device *dev;
	test_host h;
} device_fixture;

/* How a test's reader differs from the default. */
typedef struct reader_shape {
	void (*apply)(test_reader *r);
} reader_shape;

#define READER_SHAPE(name, ...)                              \
	static void name##_apply(test_reader *r)              \
	{                                                     \
		__VA_ARGS__                                   \
	}                                                     \
	static const reader_shape name = { name##_apply }

READER_SHAPE(three_volt, r->volt = 0x02; /* 3 V only */);
READER_SHAPE(two_slots, r->nslots = 2;);
READER_SHAPE(tpdu, r->level = CCID_LEVEL_TPDU;);
READER_SHAPE(extended_apdu, r->level = CCID_LEVEL_EXTENDED_APDU; r->max_msg = 271;);
READER_SHAPE(character, r->level = CCID_LEVEL_CHARACTER;);
READER_SHAPE(clock_stop, r->features = 0x100; /* clock stop */);
READER_SHAPE(pinpad, r->pin = 0x03;);
READER_SHAPE(four_slots_one_busy, r->nslots = 4; r->busy = 1;);
READER_SHAPE(two_busy_slots, r->nslots = 2; r->busy = 2;);
READER_SHAPE(four_slots, r->nslots = 4;);
READER_SHAPE(polled, r->irq = false;);
READER_SHAPE(tpdu_pinpad, r->level = CCID_LEVEL_TPDU; r->pin = 0x01;);

static void device_setup(device_fixture *f, gconstpointer data)
{
	const reader_shape *shape = data;
	f->r = test_reader_default();
	if (shape != NULL)
		shape->apply(&f->r);
	f->dev = test_device_new(&f->r);
	test_host_open(&f->h, f->dev);
}

static void device_teardown(device_fixture *f, gconstpointer data)
{
	test_host_close(&f->h);
	emu_device_unref(f->dev);
}

#define DEVICE_TEST(path, shape, fn) \
	g_test_add(path, device_fixture, shape, device_setup, fn, device_teardown)

static void test_refuses_unemulatable(void)
{
	test_reader r = test_reader_default();
	g_autoptr(emu_profile) p = test_profile_new(&r);
	g_autoptr(GError) error = NULL;

	p->emulatable = false;
	p->unsupported_reason = g_strdup("ICCD version A has no bulk pipes");
	emu_device *dev = emu_device_new(p, &error);
	g_assert_null(dev);
	g_assert_error(error, EMU_ERROR, EMU_ERROR_UNSUPPORTED);
	g_assert_nonnull(strstr(error->message, "ICCD version A has no bulk pipes"));
}

static void test_slots_follow_descriptor(void)
{
	test_reader r = test_reader_default();
	r.nslots = 4;
	g_autoptr(emu_device) dev = test_device_new(&r);
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint(emu_device_slot_count(dev), ==, 4);
	g_assert_false(emu_device_insert(dev, 4, test_card("readertest"), EMU_EVENT_SRC_API, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
	g_clear_error(&error);
	test_insert(dev, 3, "readertest");
	g_assert_false(emu_device_insert(dev, 3, test_card("readertest"), EMU_EVENT_SRC_API, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
	g_clear_error(&error);
	emu_slot_info info;
	g_assert_true(emu_device_slot_info(dev, 3, &info));
	g_assert_true(info.present);
	g_assert_cmpstr(info.card_spec, ==, "readertest");
	g_assert_true(emu_device_remove(dev, 3, EMU_EVENT_SRC_API, &error));
	g_assert_false(emu_device_remove(dev, 3, EMU_EVENT_SRC_API, &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_FAILED);
}

static void test_power_on_atr_and_bseq(device_fixture *f, gconstpointer data)
{
	ccid_msg cmd, rsp;

	test_insert(f->dev, 0, "readertest");
	f->h.seq = 0xFE; /* wraps: 0xFE, 0xFF, 0x00 */
	for (int i = 0; i < 3; i++) {
		test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
		g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
		g_assert_cmphex(rsp.bSeq, ==, cmd.bSeq);
		g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_DATA_BLOCK);
		g_assert_cmpuint(rsp.p.rdr.bStatus, ==, 0x00);
		g_assert_cmphex(rsp.abData[0], ==, 0x3B);
	}
}

/* A reader that meets a new host (emu_device_replug, after a USB/IP
 * client vanished) keeps its cards, powers them off, forgets the answer
 * the old host never read, and announces the cards it holds. */
static void test_replug_starts_afresh_with_its_cards(device_fixture *f, gconstpointer data)
{
	ccid_msg cmd, rsp;
	uint8_t irq[8];
	size_t n = 0;

	test_insert(f->dev, 1, "readertest");
	test_power_on(&f->h, 1);
	/* Sent, never read: the old host is gone. */
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	emu_device_replug(f->dev);
	/* The interrupt pipe: one NotifySlotChange, slot 1 present and changed. */
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, irq, sizeof irq, &n, 1000), ==,
			CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(irq[0], ==, 0x50);
	g_assert_cmphex(irq[1], ==, 0x0C);
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, irq, sizeof irq, &n, 50), ==,
			CCID_E_TIMEOUT);
	/* The next command gets its own answer: the card is in, unpowered. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
	emu_slot_info si;
	g_assert_true(emu_device_slot_info(f->dev, 1, &si));
	g_assert_true(si.present);
	g_assert_false(si.powered);
	test_power_on(&f->h, 1);
}

static void test_power_on_failures(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	/* Empty slot: failed, ICC mute, absent. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_ABSENT);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_ICC_MUTE);

	test_insert(f->dev, 0, "readertest");
	/* 5 V on a 3 V reader: offset 7, bPowerSelect. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 1, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 7);
	/* 3 V works, automatic works. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 2, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);

	/* A mute card: failed 0xFE, present and inactive. */
	g_assert_true(emu_device_mute(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_ICC_MUTE);
	g_assert_true(emu_device_unmute(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	test_power_on(&f->h, 0);
}

static void test_slot_status_states(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_ABSENT);
	test_insert(f->dev, 0, "readertest");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
	test_power_on(&f->h, 0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_ACTIVE);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_POWER_OFF, 0, 0, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
}

static void test_bad_slot(device_fixture *f, gconstpointer data)
{
	uint8_t buf[CCID_HEADER_SIZE];
	ccid_msg cmd;
	size_t n;

	/* Encoded by hand: the host codec would not let bSlot 5 through
	 * a decode, but the device must answer it. */
	ccid_message_init(&cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 5, 0x42);
	g_assert_cmpint(ccid_message_encode(&cmd, buf, sizeof buf, &n), ==, CCID_OK);
	g_assert_cmpint(f->h.t.ops->bulk_out(f->h.t.dev, buf, n, 100), ==, CCID_OK);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 100), ==, CCID_OK);
	g_assert_cmpuint(f->h.rx_len, ==, 10);
	g_assert_cmphex(f->h.rx[0], ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmphex(f->h.rx[5], ==, 5);
	g_assert_cmphex(f->h.rx[6], ==, 0x42);
	g_assert_cmphex(f->h.rx[7] & 0xC0, ==, 0x40);
	g_assert_cmphex(f->h.rx[8], ==, CCID_ERR_BAD_SLOT);
}

static void test_unknown_command(device_fixture *f, gconstpointer data)
{
	uint8_t buf[CCID_HEADER_SIZE] = { 0x99, 0, 0, 0, 0, 0, 0x07, 0, 0, 0 };

	g_assert_cmpint(f->h.t.ops->bulk_out(f->h.t.dev, buf, sizeof buf, 100), ==, CCID_OK);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 100), ==, CCID_OK);
	g_assert_cmphex(f->h.rx[0], ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmphex(f->h.rx[6], ==, 0x07);
	g_assert_cmphex(f->h.rx[7] & 0xC0, ==, 0x40);
	g_assert_cmphex(f->h.rx[8], ==, CCID_ERR_CMD_NOT_SUPPORTED);
	/* Shorter than a header: nothing to answer with, nothing comes. */
	g_assert_cmpint(f->h.t.ops->bulk_out(f->h.t.dev, buf, 5, 100), ==, CCID_OK);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 20), ==,
			CCID_E_TIMEOUT);
}

static void test_xfr_short_apdu_case4(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t apdu[5 + 255 + 1];

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	/* INS 36: 255 bytes in, 200 out. */
	apdu[0] = 0x80;
	apdu[1] = 0x36;
	apdu[2] = 0x00;
	apdu[3] = 200;
	apdu[4] = 255;
	for (int i = 0; i < 255; i++)
		apdu[5 + i] = (uint8_t)i;
	apdu[260] = 200;
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, apdu, sizeof apdu);
	g_assert_cmpuint(rsp.dwLength, ==, 202);
	for (int i = 0; i < 200; i++)
		g_assert_cmphex(rsp.abData[i], ==, (uint8_t)i);
	g_assert_cmphex(rsp.abData[200], ==, 0x90);
}

static void test_xfr_tpdu_t1(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t block[CCID_T1_MAX_BLOCK];
	size_t n;
	ccid_t1_block b;

	test_insert(f->dev, 0, "readertest,t1");
	test_power_on(&f->h, 0);
	g_assert_cmpint(ccid_t1_block_encode(0, ccid_t1_block_pcb_i(0, false), select_rt,
					     sizeof select_rt, CCID_T1_EDC_LRC, block, sizeof block,
					     &n),
			==, CCID_OK);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, block, n);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpint(ccid_t1_block_decode(rsp.abData, rsp.dwLength, CCID_T1_EDC_LRC, &b), ==,
			CCID_OK);
	g_assert_cmpint(b.kind, ==, CCID_T1_I_BLOCK);
	g_assert_cmpuint(b.len, ==, 2);
	g_assert_cmphex(b.inf[0], ==, 0x90);
}

static void test_xfr_tpdu_t0(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	static const uint8_t case2[] = { 0x80, 0x34, 0x00, 0x05, 0x05 };

	test_insert(f->dev, 0, "readertest,t0");
	test_power_on(&f->h, 0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, select_rt, sizeof select_rt);
	g_assert_cmpuint(rsp.dwLength, >=, 2);
	g_assert_cmphex(rsp.abData[rsp.dwLength - 2], ==, 0x90);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, case2, sizeof case2);
	g_assert_cmpuint(rsp.dwLength, ==, 7);
	static const uint8_t want[] = { 0, 1, 2, 3, 4, 0x90, 0x00 };
	g_assert_cmpmem(rsp.abData, rsp.dwLength, want, sizeof want);
}

static void test_xfr_extended_chaining(device_fixture *f, gconstpointer data)
{
	ccid_msg cmd, rsp;
	enum { LC = 1000, LE = 700 };
	g_autofree uint8_t *apdu = g_malloc(7 + LC + 2);
	g_autofree uint8_t *out = g_malloc(LE + 2 + CCID_HEADER_SIZE);

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	/* Extended case 4: 80 36 P1P2=LE 00 Lc(2) data Le(2). */
	size_t len = 0;
	apdu[len++] = 0x80;
	apdu[len++] = 0x36;
	apdu[len++] = LE >> 8;
	apdu[len++] = LE & 0xFF;
	apdu[len++] = 0x00;
	apdu[len++] = LC >> 8;
	apdu[len++] = LC & 0xFF;
	for (int i = 0; i < LC; i++)
		apdu[len++] = (uint8_t)i;
	apdu[len++] = LE >> 8;
	apdu[len++] = LE & 0xFF;

	ccid_chain_tx tx;
	g_assert_cmpint(ccid_exchange_tx_init(&tx, apdu, len, CCID_EXTENDED_APDU_MAX, 261), ==,
			CCID_OK);
	while (!ccid_exchange_tx_done(&tx)) {
		const uint8_t *part;
		size_t plen;
		uint8_t code;
		g_assert_cmpint(ccid_exchange_tx_next(&tx, &part, &plen, &code), ==, CCID_OK);
		test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, code, 0, part, plen);
		g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
		g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
		if (!ccid_exchange_tx_done(&tx)) {
			g_assert_cmphex(rsp.p.rdr.bChainParameter, ==, CCID_CHAIN_EMPTY_NEXT);
			g_assert_cmpuint(rsp.dwLength, ==, 0);
		}
	}
	ccid_chain_rx rx;
	ccid_exchange_rx_init(&rx, out, LE + 2, CCID_EXTENDED_RESPONSE_MAX);
	g_assert_cmpint(ccid_exchange_rx_feed(&rx, rsp.p.rdr.bChainParameter, rsp.abData,
					      rsp.dwLength),
			==, CCID_OK);
	while (!ccid_exchange_rx_done(&rx)) {
		test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, CCID_CHAIN_EMPTY_NEXT, 0,
			       NULL, 0);
		g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
		g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
		g_assert_cmpint(ccid_exchange_rx_feed(&rx, rsp.p.rdr.bChainParameter, rsp.abData,
						      rsp.dwLength),
				==, CCID_OK);
	}
	g_assert_cmpint(ccid_exchange_rx_result(&rx), ==, CCID_OK);
	g_assert_cmpuint(rx.len, ==, LE + 2);
	for (int i = 0; i < LE; i++)
		g_assert_cmphex(out[i], ==, (uint8_t)i);
	g_assert_cmphex(out[LE], ==, 0x90);
}

static void test_xfr_character_level(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	static const uint8_t hdr[] = { 0x00, 0xA4, 0x04, 0x00, 0x06 };

	test_insert(f->dev, 0, "readertest,t0");
	test_power_on(&f->h, 0);
	/* The header, one byte expected: the procedure byte (ACK = INS). */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 1, 0, hdr, sizeof hdr);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.dwLength, ==, 1);
	g_assert_cmphex(rsp.abData[0], ==, 0xA4);
	/* The data, two bytes expected: SW1 SW2. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 2, 0, select_rt + 5, 6);
	g_assert_cmpuint(rsp.dwLength, ==, 2);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
}

static void test_parameters(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	test_insert(f->dev, 0, "readertest,dual");
	test_power_on(&f->h, 0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_PARAMETERS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_PARAMETERS);
	g_assert_cmpuint(rsp.p.rdr.bProtocolNum, ==, 0);
	g_assert_cmpuint(rsp.dwLength, ==, 5);

	/* T=1, 7 bytes. */
	static const uint8_t t1[] = { 0x11, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00 };
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_PARAMETERS, 0, 1, 0, 0, t1, sizeof t1);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.p.rdr.bProtocolNum, ==, 1);
	g_assert_cmpmem(rsp.abData, rsp.dwLength, t1, sizeof t1);
	emu_slot_info info;
	g_assert_true(emu_device_slot_info(f->dev, 0, &info));
	g_assert_cmpuint(info.protocol, ==, 1);

	/* T=1 with 5 bytes: dwLength. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_PARAMETERS, 0, 1, 0, 0, t1, 5);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 1);
	/* IFSC 0: offset 15. */
	uint8_t bad[7];
	memcpy(bad, t1, 7);
	bad[5] = 0;
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_PARAMETERS, 0, 1, 0, 0, bad, 7);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 15);
	/* bmTCCKST1 wrong: offset 11. */
	memcpy(bad, t1, 7);
	bad[1] = 0x00;
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_PARAMETERS, 0, 1, 0, 0, bad, 7);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 11);
	/* Protocol 2: offset 7. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_PARAMETERS, 0, 2, 0, 0, t1, 7);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 7);
	/* T=0, 5 bytes, then reset. */
	static const uint8_t t0[] = { 0x96, 0x00, 0x00, 0x0A, 0x00 };
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_PARAMETERS, 0, 0, 0, 0, t0, sizeof t0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpmem(rsp.abData, rsp.dwLength, t0, sizeof t0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_RESET_PARAMETERS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmphex(rsp.abData[0], ==, 0x11);
}

static void test_escape(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	static const uint8_t req[] = { 0x01, 0x02 }, reply[] = { 0xCA, 0xFE, 0x00 };

	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ESCAPE, 0, 0, 0, 0, req, sizeof req);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_ESCAPE);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_CMD_NOT_SUPPORTED);
	g_assert_true(emu_device_escape_add(f->dev, req, sizeof req, reply, sizeof reply, NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ESCAPE, 0, 0, 0, 0, req, sizeof req);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpmem(rsp.abData, rsp.dwLength, reply, sizeof reply);
	emu_device_escape_clear(f->dev);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ESCAPE, 0, 0, 0, 0, req, sizeof req);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
}

static void test_clock_t0apdu_mechanical(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_CLOCK, 0, 1, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.p.rdr.bClockStatus, ==, 1);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_CLOCK, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(rsp.p.rdr.bClockStatus, ==, 0);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_ICC_CLOCK, 0, 2, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 7);

	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_T0APDU, 0, 0x03, 0x00, 0xC2, NULL, 0);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);

	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_MECHANICAL, 0, 1, 0, 0, NULL, 0);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_CMD_NOT_SUPPORTED);
}

/* A CCID 1.1 §6.1.11.4 verify structure around an APDU template. */
static size_t pin_verify(uint8_t *out, const uint8_t *apdu, size_t apdu_len)
{
	size_t n = 0;
	out[n++] = 0x00;	/* bPINOperation: verify */
	out[n++] = 0x00;	/* bTimeOut */
	out[n++] = 0x82;	/* bytes, position 0, left, ASCII */
	out[n++] = 0x04;	/* no length field, 4-byte block */
	out[n++] = 0x00;	/* bmPINLengthFormat */
	out[n++] = 0x08;	/* wPINMaxExtraDigit: max 8 */
	out[n++] = 0x04;	/* min 4 */
	out[n++] = 0x02;	/* bEntryValidationCondition */
	out[n++] = 0x01;	/* bNumberMessage */
	out[n++] = 0x09;	/* wLangId */
	out[n++] = 0x04;
	out[n++] = 0x00;	/* bMsgIndex */
	out[n++] = 0x00;	/* bTeoPrologue */
	out[n++] = 0x00;
	out[n++] = 0x00;
	memcpy(out + n, apdu, apdu_len);
	return n + apdu_len;
}

static void test_secure_pin_verify(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t buf[64];
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t dump[] = { 0x80, 0x40, 0x00, 0x00, 0x00 };

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	size_t n = pin_verify(buf, verify, sizeof verify);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.dwLength, ==, 2);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
	/* INS 40 dumps what the card got: the PIN typed on the keypad. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, dump, sizeof dump);
	static const uint8_t want[] = { 0x00, 0x20, 0x00, 0x00, 0x04, 0x31, 0x32, 0x33, 0x34 };
	g_assert_cmpuint(rsp.dwLength, >=, sizeof want + 2);
	g_assert_cmpmem(rsp.abData, sizeof want, want, sizeof want);

	/* Cancel and timeout on the keypad. */
	g_assert_true(emu_device_set_keypad(f->dev, "cancel", NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_PIN_CANCELLED);
	g_assert_true(emu_device_set_keypad(f->dev, "timeout", NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_PIN_TIMEOUT);
	/* Too few digits for wPINMaxExtraDigit: the entry times out. */
	g_assert_true(emu_device_set_keypad(f->dev, "12", NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_PIN_TIMEOUT);
	g_autoptr(GError) error = NULL;
	g_assert_false(emu_device_set_keypad(f->dev, "12a4", &error));
	g_assert_error(error, EMU_ERROR, EMU_ERROR_PARSE);
	/* Unknown bPINOperation: offset 10. */
	g_assert_true(emu_device_set_keypad(f->dev, "1234", NULL));
	buf[0] = 0x07;
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmphex(rsp.p.rdr.bError, ==, 10);
}

static void test_secure_pin_modify(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t buf[64];
	size_t n = 0;
	static const uint8_t tpl[] = { 0x00, 0x24, 0x00, 0x00, 0x08, 0xFF, 0xFF, 0xFF, 0xFF,
				       0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t dump[] = { 0x80, 0x40, 0x00, 0x00, 0x00 };

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	g_assert_true(emu_device_set_keypad(f->dev, "1234,5678,5678", NULL));
	buf[n++] = 0x01;	/* modify */
	buf[n++] = 0x00;	/* bTimeOut */
	buf[n++] = 0x82;	/* bytes, ASCII */
	buf[n++] = 0x04;	/* 4-byte blocks */
	buf[n++] = 0x00;
	buf[n++] = 0x00;	/* bInsertionOffsetOld */
	buf[n++] = 0x04;	/* bInsertionOffsetNew */
	buf[n++] = 0x08;	/* max 8 */
	buf[n++] = 0x04;	/* min 4 */
	buf[n++] = 0x03;	/* bConfirmPIN: current PIN, confirmation */
	buf[n++] = 0x02;
	buf[n++] = 0x03;	/* bNumberMessage */
	buf[n++] = 0x09;
	buf[n++] = 0x04;
	buf[n++] = 0x00;	/* bMsgIndex1..3 */
	buf[n++] = 0x01;
	buf[n++] = 0x02;
	buf[n++] = 0x00;	/* bTeoPrologue */
	buf[n++] = 0x00;
	buf[n++] = 0x00;
	memcpy(buf + n, tpl, sizeof tpl);
	n += sizeof tpl;
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.dwLength, ==, 2);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, dump, sizeof dump);
	static const uint8_t want[] = { 0x00, 0x24, 0x00, 0x00, 0x08, '1', '2', '3', '4',
					'5', '6', '7', '8' };
	g_assert_cmpuint(rsp.dwLength, >=, sizeof want);
	g_assert_cmpmem(rsp.abData, sizeof want, want, sizeof want);
	/* A confirmation that differs: cancelled. */
	g_assert_true(emu_device_set_keypad(f->dev, "1234,5678,5679", NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_PIN_CANCELLED);
}

static void test_secure_unsupported_without_pinpad(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t buf[64];
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	size_t n = pin_verify(buf, verify, sizeof verify);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_CMD_NOT_SUPPORTED);
}

static void test_abort_handshake(device_fixture *f, gconstpointer data)
{
	ccid_msg cmd, rsp;
	static const uint8_t wait[] = { 0x80, 0x38, 0x00, 0xFF }; /* 2.55 s */

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);

	/* A long command, then ABORT (class request first, CCID 1.1 §5.3.1). */
	ccid_msg work;
	test_host_send(&f->h, &work, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait, sizeof wait);
	uint8_t seq = f->h.seq;
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x01, (uint16_t)(seq << 8 | 0), NULL, 0, NULL,
					 100),
			==, CCID_OK);
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_ABORT, 0, 0, 0, 0, NULL, 0);
	g_assert_cmphex(cmd.bSeq, ==, seq);
	/* The aborted command answers first, then the Abort. */
	g_assert_cmpint(test_host_recv(&f->h, &work, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_CMD_ABORTED);
	g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_SLOT_STATUS);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	/* CMD_ABORTED, not the work's 90 00, proves the abort came first:
	 * no bound on the time (a busy machine decides it). */

	/* Bulk Abort first: it waits for the class request. */
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_ABORT, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 30), ==,
			CCID_E_TIMEOUT);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x01, (uint16_t)(cmd.bSeq << 8 | 0), NULL, 0,
					 NULL, 100),
			==, CCID_OK);
	g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	/* ABORT for a slot the reader lacks: a stall. */
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x01, 0x0005, NULL, 0, NULL, 100), ==,
			CCID_E_UNSUPPORTED);
}

static void test_data_rate_and_class_requests(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t d[8], buf[64];
	size_t n;

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	ccid_put_le32(d, 8000);
	ccid_put_le32(d + 4, 20000); /* not in the list: the largest below */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SET_DATA_RATE_AND_CLOCK_FREQUENCY, 0, 0, 0, 0, d, 8);
	g_assert_cmphex(rsp.bMessageType, ==, CCID_RDR_TO_PC_DATA_RATE_AND_CLOCK_FREQUENCY);
	g_assert_cmpuint(ccid_get_le32(rsp.abData), ==, 8000);
	g_assert_cmpuint(ccid_get_le32(rsp.abData + 4), ==, 10752);

	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x02, 0, buf, sizeof buf, &n, 100), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 12);
	g_assert_cmpuint(ccid_get_le32(buf + 8), ==, 12000);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x03, 0, buf, sizeof buf, &n, 100), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 8);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x03, 0, buf, 4, &n, 100), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x09, 0, buf, sizeof buf, &n, 100), ==,
			CCID_E_UNSUPPORTED);
	test_host_close(&f->h);

	/* A reader without the lists stalls both. */
	f->r.lists = false;
	g_autoptr(emu_device) dev2 = test_device_new(&f->r);
	test_host_open(&f->h, dev2);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x02, 0, buf, sizeof buf, &n, 100), ==,
			CCID_E_UNSUPPORTED);
	g_assert_cmpint(f->h.t.ops->control(f->h.t.dev, 0x03, 0, buf, sizeof buf, &n, 100), ==,
			CCID_E_UNSUPPORTED);
}

static void test_busy_same_slot(device_fixture *f, gconstpointer data)
{
	ccid_msg work, cmd, rsp;
	static const uint8_t wait[] = { 0x80, 0x38, 0x00, 0x0A }; /* 100 ms */

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	test_host_send(&f->h, &work, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait, sizeof wait);
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	/* The refusal is ready at once, before the work is done. */
	g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_FAILED);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_CMD_SLOT_BUSY);
	g_assert_cmpint(test_host_recv(&f->h, &work, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
}

static void test_busy_slots_over_max(device_fixture *f, gconstpointer data)
{
	ccid_msg work, cmd, rsp;
	static const uint8_t wait[] = { 0x80, 0x38, 0x00, 0x0A };

	test_insert(f->dev, 0, "readertest");
	test_insert(f->dev, 1, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	test_host_send(&f->h, &work, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait, sizeof wait);
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	g_assert_cmpint(test_host_recv(&f->h, &cmd, &rsp, 1000), ==, CCID_OK);
	g_assert_cmphex(rsp.p.rdr.bError, ==, CCID_ERR_CMD_SLOT_BUSY);
	g_assert_cmpint(test_host_recv(&f->h, &work, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	/* Idle again: slot 1 answers. */
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);

	/* Two busy slots allowed: slot 1 may work while slot 0 does. */
	f->r.busy = 2;
	g_autoptr(emu_device) dev2 = test_device_new(&f->r);
	test_host h2;
	test_host_open(&h2, dev2);
	test_insert(dev2, 0, "readertest");
	test_power_on(&h2, 0);
	select_readertest(&h2, 0);
	test_host_send(&h2, &work, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait, sizeof wait);
	test_host_send(&h2, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 0, 0, 0, NULL, 0);
	g_assert_cmpint(test_host_recv(&h2, &cmd, &rsp, 1000), ==, CCID_OK);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpint(test_host_recv(&h2, &work, &rsp, 1000), ==, CCID_OK);
	test_host_close(&h2);
}

/* Two busy slots (bMaxCCIDBusySlots 2): both cards work at once, each
 * waiting command hears time extensions of its own (they take turns), and
 * the answers leave as the cards finish, not in command order. */
static void test_two_busy_slots_concurrent(device_fixture *f, gconstpointer data)
{
	ccid_msg slow, fast, rsp;
	/* 1 s against 200 ms: the second command, sent after the first,
	 * finishes first as long as the sending thread is not held 800 ms
	 * between the two (with 400 ms it could be, with both cores busy). */
	static const uint8_t wait1000[] = { 0x80, 0x38, 0x00, 0x64 };	/* 1 s */
	static const uint8_t wait200[] = { 0x80, 0x38, 0x00, 0x14 };	/* 200 ms */

	for (uint8_t i = 0; i < 2; i++) {
		test_insert(f->dev, i, "readertest");
		test_power_on(&f->h, i);
		select_readertest(&f->h, i);
	}
	test_host_send(&f->h, &slow, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait1000, sizeof wait1000);
	test_host_send(&f->h, &fast, CCID_PC_TO_RDR_XFR_BLOCK, 1, 0, 0, 0, wait200, sizeof wait200);
	unsigned te[2] = { 0, 0 };
	int order[2], n = 0;
	int64_t t0 = g_get_monotonic_time();
	while (n < 2) {
		g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 1000), ==,
				CCID_OK);
		g_assert_cmpint(g_get_monotonic_time() - t0, <, 20000000);	/* a hang */
		uint8_t slot = f->h.rx[5];
		g_assert_cmpuint(slot, <, 2);
		int rc = ccid_message_check(slot == 0 ? &slow : &fast, f->h.rx, f->h.rx_len, &f->h.lim, &rsp,
					    NULL);
		if (rc == CCID_R_TIME_EXTENSION) {
			te[slot]++;
			continue;
		}
		g_assert_cmpint(rc, ==, CCID_OK);
		g_assert_cmphex(rsp.abData[0], ==, 0x90);
		order[n++] = slot;
	}
	/* Both worked at the same time: slot 1's 200 ms, sent after slot 0's
	 * 1 s, answered first (a device that worked one command after the
	 * other answers slot 0 first).  The time is a figure, not a bound:
	 * with 400 ms against 200 ms, 587 ms were seen with both cores busy
	 * against a 550 ms bound. */
	g_assert_cmpint(order[0], ==, 1);	/* the shorter work first */
	g_assert_cmpint(order[1], ==, 0);
	/* The time extensions each slot got are a figure too: the device
	 * sends one when a read waits past its period, and a host thread
	 * held by a busy machine reads late, once the work is done (slot
	 * 1's 200 ms got none under make check-loaded).  Each one that came
	 * was checked above against its own slot's command; what they mean
	 * is test_time_extensions'. */
	g_test_message("two busy slots answered in %" G_GINT64_FORMAT " us, time extensions "
		       "slot 0 %u, slot 1 %u", (gint64)(g_get_monotonic_time() - t0), te[0], te[1]);
}

/* The timeout fault loses one slot's answer; the bulk-IN pipe still
 * carries the other slot's. */
static void test_lost_answer_spares_other_slot(device_fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	ccid_msg lost, other, rsp;
	emu_fault fault;
	static const uint8_t now[] = { 0x80, 0x38, 0x00, 0x00 };
	static const uint8_t wait100[] = { 0x80, 0x38, 0x00, 0x0A };

	for (uint8_t i = 0; i < 2; i++) {
		test_insert(f->dev, i, "readertest");
		test_power_on(&f->h, i);
		select_readertest(&f->h, i);
	}
	g_assert_true(emu_fault_parse("timeout@1", &fault, &err));
	g_assert_true(emu_device_fault_set(f->dev, 0, &fault, &err));
	test_host_send(&f->h, &lost, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, now, sizeof now);
	test_host_send(&f->h, &other, CCID_PC_TO_RDR_XFR_BLOCK, 1, 0, 0, 0, wait100, sizeof wait100);
	/* Within the read's own timeout (CCID_OK): the lost answer held
	 * nothing back. */
	g_assert_cmpint(test_host_recv(&f->h, &other, &rsp, 1000), ==, CCID_OK);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
}

static void test_time_extensions(device_fixture *f, gconstpointer data)
{
	ccid_msg work, rsp;
	/* 2.55 s of work: time extensions every 50 ms, and at least two
	 * even when a busy machine leaves this thread out for a second. */
	static const uint8_t wait[] = { 0x80, 0x38, 0x00, 0xFF };
	static const uint8_t wait200[] = { 0x80, 0x38, 0x00, 0x14 }; /* 200 ms */

	test_insert(f->dev, 0, "readertest");
	test_power_on(&f->h, 0);
	select_readertest(&f->h, 0);
	test_host_send(&f->h, &work, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait, sizeof wait);
	int64_t t0 = g_get_monotonic_time();
	/* Raw reads: every one within its timeout (CCID_OK, not a timeout),
	 * time extensions until the work is done. */
	unsigned te = 0;
	for (;;) {
		int rc = f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 1000);
		g_assert_cmpint(rc, ==, CCID_OK);
		rc = ccid_message_check(&work, f->h.rx, f->h.rx_len, &f->h.lim, &rsp, NULL);
		if (rc == CCID_R_TIME_EXTENSION) {
			g_assert_cmphex(rsp.p.rdr.bStatus & 0xC0, ==, 0x80);
			g_assert_cmpuint(rsp.p.rdr.bError, ==, 1);
			g_assert_cmphex(rsp.bSeq, ==, work.bSeq);
			te++;
			continue;
		}
		g_assert_cmpint(rc, ==, CCID_OK);
		break;
	}
	int64_t took = g_get_monotonic_time() - t0;
	g_assert_cmpint(took, >=, 2540000);
	g_assert_cmpuint(te, >=, 2);
	g_assert_cmphex(rsp.abData[0], ==, 0x90);
	/* A short host timeout: the time extension comes within it (at
	 * half of it: CCID_OK and a time extension, not CCID_E_TIMEOUT). */
	test_host_send(&f->h, &work, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, wait200, sizeof wait200);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 20), ==, CCID_OK);
	g_assert_cmpint(ccid_message_check(&work, f->h.rx, f->h.rx_len, &f->h.lim, &rsp, NULL), ==,
			CCID_R_TIME_EXTENSION);
	g_assert_cmpint(test_host_recv(&f->h, &work, &rsp, 1000), ==, CCID_OK);
}

static void test_bulk_in_bounded(device_fixture *f, gconstpointer data)
{
	int64_t before = g_get_monotonic_time();
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 50), ==,
			CCID_E_TIMEOUT);
	int64_t took = g_get_monotonic_time() - before;
	g_assert_cmpint(took, >=, 45000);
	g_assert_cmpint(took, <, 5000000);	/* bounded: no hang */
	/* A buffer too small: CCID_E_BUFFER, the answer is dropped. */
	ccid_msg cmd;
	test_host_send(&f->h, &cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, 5, &f->h.rx_len, 50), ==, CCID_E_BUFFER);
	g_assert_cmpint(f->h.t.ops->bulk_in(f->h.t.dev, f->h.rx, sizeof f->h.rx, &f->h.rx_len, 10), ==,
			CCID_E_TIMEOUT);
}

/* Reads one interrupt message and decodes it. */
static void read_notify(test_host *h, unsigned nslots, ccid_interrupt *in)
{
	uint8_t buf[64];
	size_t n;

	g_assert_cmpint(h->t.ops->interrupt_in(h->t.dev, buf, sizeof buf, &n, 200), ==, CCID_OK);
	g_assert_cmpuint(n, >, 0);
	g_assert_cmpint(ccid_message_interrupt_decode(buf, n, nslots, in), ==, CCID_OK);
}

static void test_notify_one_slot(device_fixture *f, gconstpointer data)
{
	ccid_interrupt in;
	uint8_t buf[64];
	size_t n;

	g_assert_nonnull(f->h.t.ops->interrupt_in);
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 20), ==,
			CCID_E_TIMEOUT);
	test_insert(f->dev, 0, "readertest");
	read_notify(&f->h, 1, &in);
	g_assert_cmphex(in.bMessageType, ==, CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE);
	g_assert_cmpuint(in.len, ==, 2);
	g_assert_true(ccid_message_notify_present(&in.u.notify, 0));
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 0));
	g_assert_true(emu_device_remove(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	read_notify(&f->h, 1, &in);
	g_assert_false(ccid_message_notify_present(&in.u.notify, 0));
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 0));
	/* Mute is no contact change: no notification. */
	test_insert(f->dev, 0, "readertest");
	read_notify(&f->h, 1, &in);
	g_assert_true(emu_device_mute(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 20), ==,
			CCID_E_TIMEOUT);
	/* HardwareError on request. */
	emu_device_hardware_error(f->dev, 0, 0x01);
	read_notify(&f->h, 1, &in);
	g_assert_cmphex(in.bMessageType, ==, CCID_RDR_TO_PC_HARDWARE_ERROR);
	g_assert_cmphex(in.u.hw.bHardwareErrorCode, ==, 0x01);
}

static void test_notify_four_slots(device_fixture *f, gconstpointer data)
{
	ccid_interrupt in;

	test_insert(f->dev, 1, "readertest");
	read_notify(&f->h, 4, &in);
	g_assert_cmpuint(in.len, ==, 2);
	test_insert(f->dev, 3, "readertest");
	read_notify(&f->h, 4, &in);
	/* Slot 1 and 3 present, only 3 changed: bits 0b11_00_01_00 = 0xC4. */
	uint8_t raw[2];
	size_t n;
	g_assert_cmpint(ccid_message_interrupt_encode(&in, raw, sizeof raw, &n), ==, CCID_OK);
	g_assert_cmphex(raw[1], ==, 0xC4);
	g_assert_true(emu_device_remove(f->dev, 1, EMU_EVENT_SRC_API, NULL));
	read_notify(&f->h, 4, &in);
	g_assert_false(ccid_message_notify_present(&in.u.notify, 1));
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 1));
	g_assert_true(ccid_message_notify_present(&in.u.notify, 3));
	g_assert_false(ccid_message_notify_changed(&in.u.notify, 3));
}

static void test_polling_profile_has_no_interrupt(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	g_assert_null(f->h.t.ops->interrupt_in);
	g_assert_null(f->h.t.ops->interrupt_stop);
	g_assert_cmpint(transport_check(f->h.t.ops), ==, CCID_OK);
	/* Edges show only through GetSlotStatus. */
	test_insert(f->dev, 0, "readertest");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
	/* A toggle between two polls is invisible without the latch... */
	g_assert_true(emu_device_remove(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	test_insert(f->dev, 0, "readertest");
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
}

static void test_latch_holds_short_toggle(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	emu_device_set_latch(f->dev, true);
	/* In and out between two polls: both edges are seen, in order. */
	test_insert(f->dev, 0, "readertest");
	g_assert_true(emu_device_remove(f->dev, 0, EMU_EVENT_SRC_API, NULL));
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_INACTIVE);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_ABSENT);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_ICC(&rsp), ==, CCID_ICC_ABSENT);
}

static void test_interrupt_stop_sticky(device_fixture *f, gconstpointer data)
{
	uint8_t buf[64];
	size_t n = 99;

	f->h.t.ops->interrupt_stop(f->h.t.dev);
	int64_t before = g_get_monotonic_time();
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 5000), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
	/* Sticky: at once, not at the 5 s timeout (the margin is a busy
	 * machine's). */
	g_assert_cmpint(g_get_monotonic_time() - before, <, 2500000);
	/* Consumed: the next wait times out. */
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 20), ==,
			CCID_E_TIMEOUT);
}

typedef struct stopper {
	transport *t;
} stopper;

static gpointer stop_later(gpointer data)
{
	stopper *s = data;
	g_usleep(30000);
	s->t->ops->interrupt_stop(s->t->dev);
	return NULL;
}

static void test_interrupt_stop_ends_wait(device_fixture *f, gconstpointer data)
{
	uint8_t buf[64];
	size_t n = 99;

	stopper s = { &f->h.t };
	GThread *th = g_thread_new("stop", stop_later, &s);
	int64_t before = g_get_monotonic_time();
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 5000), ==, CCID_OK);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(g_get_monotonic_time() - before, <, 4500000);	/* not the timeout */
	g_thread_join(th);
}

static void test_transport_identity(device_fixture *f, gconstpointer data)
{
	transport_info info;
	uint8_t buf[512];
	size_t n = 0;

	/* transport.h's rules: mandatory members, the interrupt pair. */
	const transport_ops *o = f->h.t.ops;
	g_assert_cmpint(transport_check(o), ==, CCID_OK);
	g_assert_cmpstr(o->name, ==, "emu");
	g_assert_cmpint(o->info(f->h.t.dev, &info), ==, CCID_OK);
	g_assert_cmphex(info.idVendor, ==, 0x1234);
	g_assert_cmphex(info.idProduct, ==, 0x5678);
	g_assert_cmpstr(info.product, ==, "Test Reader");
	g_assert_cmpint(o->config_descriptor(f->h.t.dev, buf, sizeof buf, &n), ==, CCID_OK);
	g_assert_cmpuint(n, >, 9 + 9 + 54);
	g_assert_cmphex(buf[1], ==, 0x02);
	g_assert_cmpint(o->config_descriptor(f->h.t.dev, buf, 8, &n), ==, CCID_E_BUFFER);
}

static void test_readertest_catalogue_profiles(void)
{
	/* Every built-in profile makes a device that answers PowerOn. */
	const char *const *names = emu_profile_builtin_names();
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		g_autoptr(emu_profile) p = emu_profile_builtin(names[i]);
		g_assert_nonnull(p);
		g_autoptr(GError) error = NULL;
		g_autoptr(emu_device) dev = emu_device_new(p, &error);
		g_assert_no_error(error);
		test_host h;
		test_host_open(&h, dev);
		test_insert(dev, 0, "readertest");
		test_power_on(&h, 0);
		test_host_close(&h);
	}
}

static void test_secure_tpdu_t1_wraps_block(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;
	uint8_t block[CCID_T1_MAX_BLOCK], buf[64];
	size_t n;
	ccid_t1_block b;
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };

	test_insert(f->dev, 0, "readertest,t1");
	test_power_on(&f->h, 0);
	/* SELECT in I(0), then the PIN in I(1): bTeoPrologue NAD 0, PCB 0x40. */
	g_assert_cmpint(ccid_t1_block_encode(0, ccid_t1_block_pcb_i(0, false), select_rt,
					     sizeof select_rt, CCID_T1_EDC_LRC, block, sizeof block,
					     &n),
			==, CCID_OK);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_XFR_BLOCK, 0, 0, 0, 0, block, n);
	n = pin_verify(buf, verify, sizeof verify);
	buf[13] = ccid_t1_block_pcb_i(1, false);
	test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_SECURE, 0, 0, 0, 0, buf, n);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpint(ccid_t1_block_decode(rsp.abData, rsp.dwLength, CCID_T1_EDC_LRC, &b), ==,
			CCID_OK);
	g_assert_cmpint(b.kind, ==, CCID_T1_I_BLOCK);
	g_assert_cmpuint(b.len, ==, 2);
	g_assert_cmphex(b.inf[0], ==, 0x90);
}

typedef struct toggler {
	emu_device *dev;
	unsigned edges;
} toggler;

static gpointer toggle_thread(gpointer data)
{
	toggler *t = data;

	for (unsigned i = 0; i < t->edges / 2; i++) {
		g_assert_true(emu_device_insert(t->dev, 1, test_card("readertest"),
						EMU_EVENT_SRC_CONTROL, NULL));
		g_assert_true(emu_device_remove(t->dev, 1, EMU_EVENT_SRC_CONTROL, NULL));
	}
	return NULL;
}

typedef struct irq_reader {
	transport *t;
	gint notifies;
	gint stop;
} irq_reader;

static gpointer irq_thread(gpointer data)
{
	irq_reader *ir = data;
	uint8_t buf[64];
	size_t n;

	while (!g_atomic_int_get(&ir->stop)) {
		int rc = ir->t->ops->interrupt_in(ir->t->dev, buf, sizeof buf, &n, 50);
		if (rc == CCID_OK && n > 0 && buf[0] == CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE)
			g_atomic_int_inc(&ir->notifies);
	}
	return NULL;
}

static void test_concurrent_edges_and_commands(device_fixture *f, gconstpointer data)
{
	ccid_msg rsp;

	test_insert(f->dev, 0, "readertest");
	uint8_t buf[64];
	size_t n;
	g_assert_cmpint(f->h.t.ops->interrupt_in(f->h.t.dev, buf, sizeof buf, &n, 100), ==, CCID_OK);

	toggler tg = { f->dev, 200 };
	irq_reader ir = { &f->h.t, 0, 0 };
	GThread *a = g_thread_new("toggle", toggle_thread, &tg);
	GThread *b = g_thread_new("irq", irq_thread, &ir);
	for (int i = 0; i < 200; i++) {
		test_host_xchg(&f->h, &rsp, CCID_PC_TO_RDR_GET_SLOT_STATUS, (uint8_t)(i % 2), 0, 0, 0,
			       NULL, 0);
		g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
		if (i % 20 == 0)
			test_power_on(&f->h, 0);
	}
	g_thread_join(a);
	/* Every edge reaches the interrupt pipe (the queue holds them all). */
	int64_t deadline = g_get_monotonic_time() + 2000000;
	while (g_get_monotonic_time() < deadline && (unsigned)g_atomic_int_get(&ir.notifies) < tg.edges)
		g_usleep(1000);
	g_atomic_int_set(&ir.stop, 1);
	g_thread_join(b);
	g_assert_cmpuint((unsigned)g_atomic_int_get(&ir.notifies), ==, tg.edges);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/emu/device/refuses-unemulatable-profile-with-its-reason",
			test_refuses_unemulatable);
	g_test_add_func("/emu/device/slots-follow-bMaxSlotIndex", test_slots_follow_descriptor);
	DEVICE_TEST("/emu/device/power-on-gives-atr-and-echoes-bseq",
		    NULL, test_power_on_atr_and_bseq);
	DEVICE_TEST("/emu/device/replug-starts-afresh-with-its-cards",
		    &two_slots, test_replug_starts_afresh_with_its_cards);
	DEVICE_TEST("/emu/device/power-on-fails-empty-voltage-and-mute",
		    &three_volt, test_power_on_failures);
	DEVICE_TEST("/emu/device/slot-status-reports-absent-inactive-active",
		    NULL, test_slot_status_states);
	DEVICE_TEST("/emu/device/bad-slot-fails-with-bError-5", &two_slots, test_bad_slot);
	DEVICE_TEST("/emu/device/unknown-command-answers-not-supported",
		    NULL, test_unknown_command);
	DEVICE_TEST("/emu/device/short-apdu-case4-byte-exact", NULL, test_xfr_short_apdu_case4);
	DEVICE_TEST("/emu/device/tpdu-t1-block-through-card", &tpdu, test_xfr_tpdu_t1);
	DEVICE_TEST("/emu/device/tpdu-t0-case2-byte-exact", &tpdu, test_xfr_tpdu_t0);
	DEVICE_TEST("/emu/device/extended-apdu-chained-both-ways",
		    &extended_apdu, test_xfr_extended_chaining);
	DEVICE_TEST("/emu/device/character-level-returns-expected-bytes",
		    &character, test_xfr_character_level);
	DEVICE_TEST("/emu/device/parameters-get-set-reset-validated", NULL, test_parameters);
	DEVICE_TEST("/emu/device/escape-scripted-else-not-supported", NULL, test_escape);
	DEVICE_TEST("/emu/device/clock-t0apdu-and-mechanical",
		    &clock_stop, test_clock_t0apdu_mechanical);
	DEVICE_TEST("/emu/device/secure-pin-verify-types-keypad-pin",
		    &pinpad, test_secure_pin_verify);
	DEVICE_TEST("/emu/device/secure-pin-modify-old-new-confirm",
		    &pinpad, test_secure_pin_modify);
	DEVICE_TEST("/emu/device/secure-unsupported-without-pinpad",
		    NULL, test_secure_unsupported_without_pinpad);
	DEVICE_TEST("/emu/device/abort-needs-class-request-and-command",
		    NULL, test_abort_handshake);
	DEVICE_TEST("/emu/device/data-rate-and-class-requests-from-profile",
		    NULL, test_data_rate_and_class_requests);
	DEVICE_TEST("/emu/device/busy-slot-refuses-second-command", NULL, test_busy_same_slot);
	DEVICE_TEST("/emu/device/busy-slots-over-bMaxCCIDBusySlots-refused",
		    &four_slots_one_busy, test_busy_slots_over_max);
	DEVICE_TEST("/emu/device/slow-card-sends-time-extensions", NULL, test_time_extensions);
	DEVICE_TEST("/emu/device/two-busy-slots-work-at-once-with-own-time-extensions",
		    &two_busy_slots, test_two_busy_slots_concurrent);
	DEVICE_TEST("/emu/device/lost-answer-spares-other-slots-answer",
		    &two_busy_slots, test_lost_answer_spares_other_slot);
	DEVICE_TEST("/emu/device/bulk-in-bounded-by-timeout", NULL, test_bulk_in_bounded);
	DEVICE_TEST("/emu/device/notify-slot-change-one-slot", NULL, test_notify_one_slot);
	DEVICE_TEST("/emu/device/notify-slot-change-four-slots-bits",
		    &four_slots, test_notify_four_slots);
	DEVICE_TEST("/emu/device/polling-profile-has-no-interrupt-pipe",
		    &polled, test_polling_profile_has_no_interrupt);
	DEVICE_TEST("/emu/device/latch-holds-short-toggle-until-seen",
		    &polled, test_latch_holds_short_toggle);
	DEVICE_TEST("/emu/device/interrupt-stop-is-sticky", NULL, test_interrupt_stop_sticky);
	DEVICE_TEST("/emu/device/interrupt-stop-ends-running-wait",
		    NULL, test_interrupt_stop_ends_wait);
	DEVICE_TEST("/emu/device/transport-identity-and-descriptor", NULL, test_transport_identity);
	DEVICE_TEST("/emu/device/secure-at-t1-tpdu-wraps-apdu-in-teo-block",
		    &tpdu_pinpad, test_secure_tpdu_t1_wraps_block);
	DEVICE_TEST("/emu/device/concurrent-edges-and-commands-lose-nothing",
		    &two_busy_slots, test_concurrent_edges_and_commands);
	g_test_add_func("/emu/device/builtin-profiles-power-on", test_readertest_catalogue_profiles);
	return g_test_run();
}
