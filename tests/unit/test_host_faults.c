/* ccidlab — every emulator fault seen through the host engine: the result
 * the host gets, within a bounded time (no hang), and the next command
 * after the fault is cleared works (issue 4, "Faults"). */
#include <string.h>

#include <glib.h>

#include "host_emu_fixture.h"

#define HOST_TIMEOUT_MS 300	/* per read; a fault must not outlast ~2 of them */
#define BOUND_US (3 * 1000 * 1000)

typedef enum step {
	STEP_POWER,		/* IccPowerOn */
	STEP_PROTOCOL,		/* set_protocol after a power-on */
	STEP_APDU,		/* one case-4 APDU */
	STEP_INTERRUPT,		/* one interrupt read */
} step;

typedef struct fault_case {
	const char *fault;
	step at;
	int want[3];		/* any of these results (CCID_OK ends the list early) */
	uint8_t want_irq;	/* STEP_INTERRUPT: message type, 0 none (timeout) */
} fault_case;

static const fault_case cases[] = {
	{ "mute-power-on", STEP_POWER, { CCID_R_ICC_MUTE } },
	{ "bad-atr", STEP_PROTOCOL, { CCID_E_UNSUPPORTED } },
	{ "slow:400@1", STEP_APDU, { CCID_OK } },
	{ "fail:0xFD@1", STEP_APDU, { CCID_R_PARITY } },
	{ "fail:0xFB@1", STEP_APDU, { CCID_R_HW_ERROR } },
	{ "wrong-seq@1", STEP_APDU, { CCID_E_BAD_SEQ } },
	{ "wrong-seq:255@1", STEP_APDU, { CCID_E_TIMEOUT } },	/* stale: dropped, then nothing */
	{ "wrong-slot@1", STEP_APDU, { CCID_E_BAD_SLOT } },
	{ "truncate@1", STEP_APDU, { CCID_E_LENGTH, CCID_E_SHORT } },
	{ "long-length@1", STEP_APDU, { CCID_E_LENGTH } },
	{ "garbage@1", STEP_APDU, { CCID_E_BAD_TYPE, CCID_E_LENGTH, CCID_E_SHORT } },
	{ "timeout@1", STEP_APDU, { CCID_E_TIMEOUT } },
	{ "device-gone", STEP_APDU, { CCID_E_NO_DEVICE } },
	{ "remove-in-xfr@1", STEP_APDU, { CCID_R_ICC_ABSENT } },
	{ "spurious-notify", STEP_INTERRUPT, { CCID_OK }, CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE },
	{ "hw-error:1", STEP_INTERRUPT, { CCID_OK }, CCID_RDR_TO_PC_HARDWARE_ERROR },
};

static int case4(host_reader *h)
{
	static const uint8_t apdu[] = { 0x80, 0x36, 0x00, 0x02, 0x02, 0x00, 0x01, 0x02 };
	uint8_t rsp[16];
	size_t n = 0;
	int rc = host_slot_transmit(h, 0, apdu, sizeof apdu, rsp, sizeof rsp, &n);
	if (rc == CCID_OK && (n != 4 || rsp[2] != 0x90))
		rc = CCID_E_PROTOCOL;
	return rc;
}

static int power_and_select(host_reader *h)
{
	int rc = host_slot_power_on(h, 0, NULL, 0, NULL);
	if (rc == CCID_OK)
		rc = host_slot_set_protocol(h, 0, 1);
	if (rc == CCID_OK)
		rc = select_readertest(h, 0);
	return rc;
}

static const host_emu_spec with_card = { "generic-apdu-irq", "readertest,t1" };
static const host_emu_spec empty = { "generic-apdu-irq", NULL };

/* Every fault case on a reader with its card in (the case is the data). */
static void card_setup(host_emu *he, gconstpointer data)
{
	host_emu_setup(he, &with_card);
}

static void test_fault(host_emu *he, gconstpointer data)
{
	const fault_case *fc = data;
	g_autoptr(GError) err = NULL;
	emu_fault f;
	ccid_interrupt irq;

	host_reader_set_timeout(he->host, HOST_TIMEOUT_MS);
	/* Drop the notifications of the start-up insert. */
	while (host_interrupt_wait(he->host, 0, &irq) == CCID_OK && irq.bMessageType != 0)
		;
	if (fc->at != STEP_POWER)
		g_assert_cmpint(power_and_select(he->host), ==, CCID_OK);
	g_assert_true(emu_fault_parse(fc->fault, &f, &err));
	g_assert_true(emu_device_fault_set(he->dev, 0, &f, &err));

	gint64 t0 = g_get_monotonic_time();
	int rc = CCID_OK;
	memset(&irq, 0, sizeof irq);
	switch (fc->at) {
	case STEP_POWER:
		rc = host_slot_power_on(he->host, 0, NULL, 0, NULL);
		break;
	case STEP_PROTOCOL:
		rc = host_slot_power_on(he->host, 0, NULL, 0, NULL);
		if (rc == CCID_OK)
			rc = host_slot_set_protocol(he->host, 0, 1);
		break;
	case STEP_APDU:
		rc = case4(he->host);
		break;
	case STEP_INTERRUPT:
		rc = host_interrupt_wait(he->host, HOST_TIMEOUT_MS, &irq);
		break;
	}
	gint64 took = g_get_monotonic_time() - t0;
	g_test_message("%s: %s in %" G_GINT64_FORMAT " us", fc->fault, ccid_result_name(rc), took);
	bool expected = false;
	for (size_t i = 0; i < G_N_ELEMENTS(fc->want) && !expected; i++) {
		expected = rc == fc->want[i];
		if (fc->want[i] == CCID_OK)
			break;
	}
	if (!expected)
		g_error("%s: the host got %s", fc->fault, ccid_result_name(rc));
	g_assert_cmpint(took, <, BOUND_US);
	if (fc->at == STEP_INTERRUPT)
		g_assert_cmphex(irq.bMessageType, ==, fc->want_irq);

	/* Cleared, the reader works again: a card back in the slot if the
	 * fault took it, a fresh power-on, and an APDU. */
	emu_device_fault_clear(he->dev, EMU_DEVICE_ALL_SLOTS, -1);
	emu_slot_info info;
	g_assert_true(emu_device_slot_info(he->dev, 0, &info));
	if (!info.present) {
		emu_card *c = emu_card_new_from_spec("readertest,t1", &err);
		g_assert_true(emu_device_insert(he->dev, 0, c, EMU_EVENT_SRC_API, &err));
	}
	g_assert_cmpint(power_and_select(he->host), ==, CCID_OK);
	g_assert_cmpint(case4(he->host), ==, CCID_OK);
}

/* drop-notify: an insert whose NotifySlotChange is dropped never shows on
 * the interrupt pipe; the slot state still tells the truth. */
static void test_drop_notify(host_emu *he, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	emu_fault f;
	ccid_interrupt irq;
	ccid_icc_status icc;

	g_assert_true(emu_fault_parse("drop-notify@1", &f, &err));
	g_assert_true(emu_device_fault_set(he->dev, -1, &f, &err));
	emu_card *c = emu_card_new_from_spec("readertest", &err);
	g_assert_true(emu_device_insert(he->dev, 0, c, EMU_EVENT_SRC_API, &err));
	g_assert_cmpint(host_interrupt_wait(he->host, 200, &irq), ==, CCID_E_TIMEOUT);
	g_assert_cmpint(host_slot_status(he->host, 0, &icc), ==, CCID_OK);
	g_assert_cmpint(icc, !=, CCID_ICC_ABSENT);
	g_assert_cmpint(emu_device_remove(he->dev, 0, EMU_EVENT_SRC_API, &err), ==, TRUE);
	g_assert_cmpint(host_interrupt_wait(he->host, 200, &irq), ==, CCID_OK);
	g_assert_cmphex(irq.bMessageType, ==, CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = g_strdelimit(g_strdup(cases[i].fault), ":@", '-');
		g_autofree char *path = g_strdup_printf("/host/faults/%s", name);
		g_test_add(path, host_emu, &cases[i], card_setup, test_fault, host_emu_teardown);
	}
	HOST_EMU_TEST("/host/faults/drop-notify-hides-an-edge-from-the-pipe-only", &empty,
		      test_drop_notify);
	return g_test_run();
}
