/* ccidlab — a card removed while its command runs (issue 17, CCID 1.1
 * §6.2.6): the emulated reader fails the command, "no ICC", instead of
 * answering for a card that is gone; and the host engine refuses an
 * answer for a slot it saw emptied during the command (a time extension
 * or a NotifySlotChange saying no ICC), even from a reader that sends one
 * (the ghost-answer fault keeps the buggy firmware's answer).  Every
 * exchange level, event mode (a thread reads the interrupt pipe, as the
 * driver's does) and polling-only mode (nobody reads it), and removals
 * before the command, during its time extensions, and inside a chain
 * (T=1 blocks, extended APDU parts).  Every wait is for an event the test
 * observes (the slot busy, a time extension counted), never a sleep. */
#include <string.h>

#include <glib.h>

#include "host_emu_fixture.h"

typedef enum when { BEFORE, DURING_TIME_EXTENSION, DURING_CHAINING } when;

/* A case 3E that chains over tens of commands at every chaining level. */
#define CHAIN_NC 8000u

typedef struct axis {
	const char *name;
	const char *profile;
	const char *card;
	bool chains;		/* the level chains APDUs over several commands */
} axis;

static const axis axes[] = {
	{ "character-t0", "generic-char-t0", "readertest,t0", false },
	{ "tpdu-t0", "generic-t1-irq", "readertest,t0", false },
	{ "tpdu-t1", "generic-t1-irq", "readertest,t1", true },
	{ "short-apdu", "generic-apdu-irq", "readertest,t1", false },
	{ "extended-apdu", "generic-ext-multi", "readertest,t1", true },
};

typedef struct variant {
	const axis *ax;
	when when;
	bool event_mode;
	bool ghost;		/* the reader answers for the gone card anyway */
} variant;

/* Event mode: what the driver's interrupt thread does. */
typedef struct irq_reader {
	host_reader *h;
	GThread *thread;
	gint stop;
	gint removals_seen;
} irq_reader;

static gpointer irq_loop(gpointer data)
{
	irq_reader *ir = data;
	while (!g_atomic_int_get(&ir->stop)) {
		ccid_interrupt in;
		if (host_interrupt_wait(ir->h, 100, &in) == CCID_OK &&
		    in.bMessageType == CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE &&
		    !ccid_message_notify_present(&in.u.notify, 0))
			g_atomic_int_inc(&ir->removals_seen);
	}
	return NULL;
}

typedef struct remover {
	emu_device *dev;
	host_reader *h;
	when when;
	unsigned commands_before;	/* DURING_CHAINING: after this many commands */
	unsigned extensions;		/* DURING_TIME_EXTENSION: after more than these */
	GThread *thread;
} remover;

static unsigned stat_commands(host_reader *h)
{
	host_stats st;
	host_reader_stats(h, &st);
	return st.commands;
}

/* Time extensions of the reader (bStatus 0x80) or of the card (T=1
 * S(WTX), T=0 NULL bytes at character level). */
static unsigned stat_extensions(host_reader *h)
{
	host_stats st;
	host_reader_stats(h, &st);
	return st.time_extensions + st.wtx;
}

/* Waits for the moment, then pulls the card: an event the host engine or
 * the emulator exposes, polled every millisecond for at most 30 s. */
static gpointer remove_loop(gpointer data)
{
	remover *rm = data;
	for (int i = 0; i < 30000; i++) {
		bool now = rm->when == DURING_TIME_EXTENSION ? stat_extensions(rm->h) > rm->extensions
			 : stat_commands(rm->h) >= rm->commands_before;
		if (now)
			break;
		g_usleep(1000);
	}
	g_autoptr(GError) err = NULL;
	g_assert_true(emu_device_remove(rm->dev, 0, EMU_EVENT_SRC_API, &err));
	return NULL;
}

static void set_fault(emu_device *dev, const char *spec)
{
	g_autoptr(GError) err = NULL;
	emu_fault f;
	g_assert_true(emu_fault_parse(spec, &f, &err));
	g_assert_true(emu_device_fault_set(dev, -1, &f, &err));
	g_assert_no_error(err);
}

/* The APDU for the moment: a long time request (readertest INS 38, P2
 * 100: 1 s of work, time extensions all along), or an 8000-byte case 3
 * that chains, each command slowed so that the removal lands inside. */
static size_t apdu_for(const variant *v, uint8_t *apdu)
{
	if (v->when != DURING_CHAINING) {
		static const uint8_t time_request[] = { 0x80, 0x38, 0x00, 0x64 };
		memcpy(apdu, time_request, sizeof time_request);
		return sizeof time_request;
	}
	size_t n = 0, nc = CHAIN_NC;
	apdu[n++] = 0x80, apdu[n++] = 0x32, apdu[n++] = 0, apdu[n++] = 0;
	apdu[n++] = 0, apdu[n++] = (uint8_t)(nc >> 8), apdu[n++] = (uint8_t)nc;
	for (size_t i = 0; i < nc; i++)
		apdu[n++] = (uint8_t)i;
	return n;
}

static void test_removal(gconstpointer data)
{
	const variant *v = data;
	g_autoptr(emu_profile) p = emu_profile_builtin(v->ax->profile);
	host_emu he;
	irq_reader ir = { 0 };
	uint8_t apdu[7 + CHAIN_NC], rsp[300];
	size_t got = 0, atr_len = 0;

	host_emu_open(&he, p, v->ax->card);
	ir.h = he.host;
	if (v->event_mode)
		ir.thread = g_thread_new("irq", irq_loop, &ir);
	g_assert_cmpint(host_slot_power_on(he.host, 0, NULL, 0, &atr_len), ==, CCID_OK);
	g_assert_cmpint(select_readertest(he.host, 0), ==, CCID_OK);
	if (v->ghost)
		set_fault(he.dev, "ghost-answer");
	size_t len = apdu_for(v, apdu);
	remover rm = { .dev = he.dev, .h = he.host, .when = v->when,
		       .commands_before = stat_commands(he.host) + 3 };
	rm.extensions = stat_extensions(he.host);
	if (v->when == DURING_CHAINING)
		set_fault(he.dev, "slow:60");
	if (v->when == BEFORE) {
		g_autoptr(GError) err = NULL;
		g_assert_true(emu_device_remove(he.dev, 0, EMU_EVENT_SRC_API, &err));
	} else {
		rm.thread = g_thread_new("remove", remove_loop, &rm);
	}
	int rc = host_slot_transmit(he.host, 0, apdu, len, rsp, sizeof rsp, &got);
	if (rm.thread != NULL)
		g_thread_join(rm.thread);
	/* CCID 1.1 §6.2.6: the card is gone, whatever the reader sent. */
	if (rc != CCID_R_ICC_ABSENT)
		g_error("%s: %s (%zu bytes, SW %02X%02X), want \"no card\"", v->ax->name,
			ccid_result_name(rc), got, got >= 2 ? rsp[got - 2] : 0,
			got >= 2 ? rsp[got - 1] : 0);
	/* And the next APDU finds no card either. */
	g_assert_cmpint(host_slot_transmit(he.host, 0, apdu, 4, rsp, sizeof rsp, &got), ==,
			CCID_R_ICC_ABSENT);
	if (v->event_mode) {
		/* The removal's NotifySlotChange reaches the interrupt thread
		 * (it may come after the answer that already said no card). */
		for (int i = 0; i < 30000 && g_atomic_int_get(&ir.removals_seen) == 0; i++)
			g_usleep(1000);
		g_atomic_int_set(&ir.stop, 1);
		g_thread_join(ir.thread);
		g_assert_cmpint(g_atomic_int_get(&ir.removals_seen), >=, 1);
	}
	host_emu_close(&he);
}

/* The emulated reader alone (issue 17, CCID 1.1 §6.2.6): a command still
 * in progress when its card leaves fails at once, bmICCStatus 2 (no
 * ICC), bError ICC_MUTE; with the ghost-answer fault the old answer goes
 * out, as buggy firmware sends it. */
static void test_emu_fails_the_command_in_progress(gconstpointer data)
{
	bool ghost = GPOINTER_TO_INT(data);
	g_autoptr(emu_profile) p = emu_profile_builtin("generic-apdu-irq");
	host_emu he;
	size_t atr_len = 0;

	host_emu_open(&he, p, "readertest,t1");
	g_assert_cmpint(host_slot_power_on(he.host, 0, NULL, 0, &atr_len), ==, CCID_OK);
	g_assert_cmpint(select_readertest(he.host, 0), ==, CCID_OK);
	host_reader_close(he.host);	/* the device alone from here */
	if (ghost)
		set_fault(he.dev, "ghost-answer");
	/* XfrBlock, bSeq 0x42: readertest's time request, 1 s of work. */
	static const uint8_t xfr[] = { 0x6F, 4, 0, 0, 0, 0, 0x42, 0, 0, 0, 0x80, 0x38, 0x00, 0x64 };
	g_assert_cmpint(emu_device_bulk_out(he.dev, xfr, sizeof xfr, 1000), ==, CCID_OK);
	emu_slot_info si;
	g_assert_true(emu_device_slot_info(he.dev, 0, &si));
	g_assert_true(si.busy);
	g_autoptr(GError) err = NULL;
	g_assert_true(emu_device_remove(he.dev, 0, EMU_EVENT_SRC_API, &err));
	uint8_t buf[64];
	size_t len = 0;
	/* Time extensions may come first; the answer ends it. */
	for (int i = 0; i < 100; i++) {
		g_assert_cmpint(emu_device_bulk_in(he.dev, buf, sizeof buf, &len, 5000), ==, CCID_OK);
		if ((buf[7] & 0xC0) != 0x80)
			break;
		g_assert_cmphex(buf[7] & 0x03, ==, CCID_ICC_ABSENT);
	}
	g_assert_cmphex(buf[0], ==, CCID_RDR_TO_PC_DATA_BLOCK);
	g_assert_cmphex(buf[6], ==, 0x42);
	if (ghost) {
		g_assert_cmphex(buf[7], ==, 0x00);	/* "active", data: the bug */
		g_assert_cmpuint(len, ==, 12);
	} else {
		g_assert_cmphex(buf[7], ==, 0x42);	/* failed, no ICC */
		g_assert_cmphex(buf[8], ==, CCID_ERR_ICC_MUTE);
		g_assert_cmpuint(len, ==, 10);
	}
	emu_device_unref(he.dev);
}

static const char *const when_names[] = { "before-the-command", "during-time-extensions",
					  "during-chaining" };

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/emu/removal/command-in-progress-fails-no-icc", GINT_TO_POINTER(0),
			     test_emu_fails_the_command_in_progress);
	g_test_add_data_func("/emu/removal/ghost-answer-fault-sends-the-old-answer",
			     GINT_TO_POINTER(1), test_emu_fails_the_command_in_progress);
	for (size_t a = 0; a < G_N_ELEMENTS(axes); a++)
		for (int w = BEFORE; w <= DURING_CHAINING; w++)
			for (int mode = 0; mode <= 1; mode++)
				for (int ghost = 0; ghost <= 1; ghost++) {
					if (w == DURING_CHAINING && !axes[a].chains)
						continue;
					g_autoptr(emu_profile) p = emu_profile_builtin(axes[a].profile);
					/* Event mode needs an interrupt pipe. */
					if (mode == 0 && !p->has_interrupt_in)
						continue;
					variant *v = g_new0(variant, 1);
					*v = (variant){ &axes[a], (when)w, mode == 0, ghost == 1 };
					g_autofree char *path = g_strdup_printf(
						"/host/removal/%s/%s/%s/%s", axes[a].name, when_names[w],
						mode == 0 ? "event-mode" : "polling-mode",
						ghost ? "reader-answers-anyway" : "reader-fails-it");
					g_test_add_data_func_full(path, v, test_removal, g_free);
				}
	return g_test_run();
}
