/* ccidlab — event mode inside the driver (src/ifd/events.c): what pcscd's
 * polling threads are told when a device floods its interrupt pipe, the
 * edges folded away while pcscd lags, and what the driver says of a
 * reader's slot count (issue 20).
 *
 * The readers are emulated ones opened through the driver's own entry
 * (ifd_reader_open), so the interrupt thread, the report queues and the
 * capabilities are the ones pcscd gets; the test plays pcscd's polling
 * thread by calling the wait and presence functions it is handed. */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <ifdhandler.h>

#include "emu/device.h"
#include "emu/fault.h"
#include "ifd/caps.h"
#include "ifd/events.h"
#include "ifd/reader.h"

#define LUN(reader, slot) (((unsigned long)(reader) << 16) | (slot))

static char *tmpdir;

/* The NotifySlotChange bits the interrupt thread has dispatched for slot. */
static unsigned long changes_seen(ifd_reader *r, unsigned slot)
{
	g_mutex_lock(&r->ev_lock);
	unsigned long n = r->slots[slot].changes;
	g_mutex_unlock(&r->ev_lock);
	return n;
}

/* Sends n NotifySlotChange messages that say "changed" on slot while its
 * state stays (the emulator's spurious-notify fault), paced by the
 * interrupt thread so that the emulator's own bounded queue drops none. */
static void flood(ifd_reader *r, unsigned slot, unsigned n)
{
	emu_fault f = { .kind = EMU_FAULT_SPURIOUS_NOTIFY };
	unsigned long base = changes_seen(r, slot);

	for (unsigned i = 0; i < n; i++) {
		g_autoptr(GError) err = NULL;
		g_assert_true(emu_device_fault_set(r->emu, (int)slot, &f, &err));
		if (i % 64 == 63 || i + 1 == n) {
			gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
			while (changes_seen(r, slot) < base + i + 1) {
				g_assert_cmpint(g_get_monotonic_time(), <, end);
				g_usleep(1000);
			}
		}
	}
}

/* Plays the slot's pcscd polling thread until its state settles: each
 * pass waits (which retires the report it was shown) and looks.  Returns
 * how many times the state it saw changed; *last is where it settled. */
static unsigned edges_pcscd_sees(ifd_reader *r, unsigned slot, bool start, bool *last)
{
	unsigned edges = 0, steady = 0;

	*last = start;
	for (unsigned pass = 0; pass < 100000 && steady < 3; pass++) {
		g_assert_cmpint(ifd_events_wait(LUN(r->number, slot), 0), ==, IFD_SUCCESS);
		bool now = ifd_events_present(r, slot);
		if (now != *last)
			edges++, steady = 0;
		else
			steady++;
		*last = now;
	}
	return edges;
}

/* Waits until the slot's reports say `present` (a real edge arrived). */
static void wait_present(ifd_reader *r, unsigned slot, bool present)
{
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	while (ifd_events_present_peek(r, slot) != present) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(1000);
	}
}

/* Opens reader `number` on devname as pcscd does (its slot 0 first) and
 * returns it, in event mode. */
static ifd_reader *open_event_reader(unsigned number, const char *devname)
{
	g_assert_cmpint(ifd_reader_open(LUN(number, 0), devname), ==, IFD_SUCCESS);
	ifd_reader *r = ifd_reader_get(LUN(number, 0));
	g_assert_nonnull(r);
	g_assert_cmpint(r->mode, ==, IFD_MODE_EVENT);
	return r;
}

/* issue 20: every NotifySlotChange queued two reports per slot whose
 * "changed" bit was set, without bound, and slots pcscd never opened
 * were never drained (149 MB after 8,000 messages of 256 slots).  A slot
 * never needs more than its last states: a burst of bounces is one
 * bounce to pcscd, and its final state. */
static void test_notify_flood_is_one_bounce(void)
{
	ifd_reader *r = open_event_reader(0, "emu:generic-t1-irq:slots=4:card=readertest");

	/* Slot 3: never opened, as pcscd leaves the slots it cannot serve. */
	bool last;
	flood(r, 3, 2000);
	g_assert_cmpuint(edges_pcscd_sees(r, 3, true, &last), ==, 2);
	g_assert_true(last);
	/* The slot still follows a real edge after the flood. */
	g_autoptr(GError) err = NULL;
	g_assert_true(emu_device_remove(r->emu, 3, EMU_EVENT_SRC_API, &err));
	wait_present(r, 3, false);
	g_assert_cmpuint(edges_pcscd_sees(r, 3, true, &last), ==, 1);
	g_assert_false(last);
	g_assert_cmpint(ifd_reader_close(LUN(0, 0)), ==, IFD_SUCCESS);
}

/* An insertion shown to pcscd stays shown while bounces come: the state
 * it looked at is the one its next wait retires, and a bounce after it is
 * still seen (the card it saw arrive was swapped). */
static void test_shown_report_survives_a_flood(void)
{
	ifd_reader *r = open_event_reader(1, "emu:generic-t1-irq:slots=2:card=none");
	g_autoptr(GError) err = NULL;
	emu_card *card = emu_card_new_from_spec("readertest", &err);
	g_assert_no_error(err);
	g_assert_true(emu_device_insert(r->emu, 1, card, EMU_EVENT_SRC_API, &err));
	wait_present(r, 1, true);

	g_assert_cmpint(ifd_events_wait(LUN(1, 1), 0), ==, IFD_SUCCESS);
	g_assert_true(ifd_events_present(r, 1));	/* shown: the card came */
	flood(r, 1, 500);
	g_assert_true(ifd_events_present(r, 1));	/* the same look */
	/* Retiring the shown insertion: the flood's one bounce. */
	bool last;
	g_assert_cmpuint(edges_pcscd_sees(r, 1, true, &last), ==, 2);
	g_assert_true(last);
	g_assert_cmpint(ifd_reader_close(LUN(1, 0)), ==, IFD_SUCCESS);
}

/* One edge on slot: a readertest card in, or the card out; returns once
 * the interrupt thread has dispatched its NotifySlotChange. */
static void edge(ifd_reader *r, unsigned slot, bool insert)
{
	g_autoptr(GError) err = NULL;
	unsigned long base = changes_seen(r, slot);

	if (insert) {
		emu_card *card = emu_card_new_from_spec("readertest", &err);
		g_assert_no_error(err);
		g_assert_true(emu_device_insert(r->emu, slot, card, EMU_EVENT_SRC_API, &err));
	} else {
		g_assert_true(emu_device_remove(r->emu, slot, EMU_EVENT_SRC_API, &err));
	}
	g_assert_no_error(err);
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	while (changes_seen(r, slot) == base) {
		g_assert_cmpint(g_get_monotonic_time(), <, end);
		g_usleep(1000);
	}
}

/* issue 20: folding keeps a slot's last two states, so pcscd's event
 * counter moves by fewer edges than came when its event thread lags.
 * The driver counts what it folded: edges seen + folded = edges made,
 * exactly.  A pcscd that never looks during 41 edges sees the last one
 * alone (two reports at most are pending; a third folds two away). */
static void test_folded_edges_are_counted(void)
{
	ifd_reader *r = open_event_reader(3, "emu:generic-t1-irq:card=none");
	g_assert_cmpuint(ifd_events_folded(r, 0), ==, 0);

	for (unsigned i = 0; i < 41; i++)
		edge(r, 0, i % 2 == 0);
	bool last;
	unsigned seen = edges_pcscd_sees(r, 0, false, &last);
	g_assert_cmpuint(seen + ifd_events_folded(r, 0), ==, 41);
	g_assert_cmpuint(seen, ==, 1);
	g_assert_true(last);
	g_assert_cmpint(ifd_reader_close(LUN(3, 0)), ==, IFD_SUCCESS);
}

/* The other half: folding happens only when pcscd lags.  A pcscd that
 * looks after every edge sees all 40 and the driver folds none. */
static void test_a_pcscd_that_keeps_up_folds_nothing(void)
{
	ifd_reader *r = open_event_reader(4, "emu:generic-t1-irq:card=none");

	bool state = false;
	unsigned seen = 0;
	for (unsigned i = 0; i < 40; i++) {
		edge(r, 0, i % 2 == 0);
		g_assert_cmpint(ifd_events_wait(LUN(4, 0), 0), ==, IFD_SUCCESS);
		bool now = ifd_events_present(r, 0);
		seen += now != state;
		state = now;
	}
	g_assert_cmpint(ifd_events_wait(LUN(4, 0), 0), ==, IFD_SUCCESS);
	g_assert_cmpuint(seen, ==, 40);
	g_assert_cmpuint(ifd_events_folded(r, 0), ==, 0);
	g_assert_false(state);
	g_assert_cmpint(ifd_reader_close(LUN(4, 0)), ==, IFD_SUCCESS);
}

/* A catalogue of one row: a reader of 256 slots (bMaxSlotIndex 255). */
static char *write_catalogue_256(void)
{
	g_autofree char *src = NULL;
	g_autoptr(GError) err = NULL;
	const char *data = g_getenv("CCIDLAB_READERS_TSV");

	g_assert_nonnull(data);
	g_assert_true(g_file_get_contents(data, &src, NULL, &err));
	g_auto(GStrv) lines = g_strsplit(src, "\n", 3);
	g_auto(GStrv) f = g_strsplit(lines[1], "\t", -1);
	g_assert_cmpstr(f[0], ==, "ACR122U.txt");
	/* descriptor_hex byte 4 and the bMaxSlotIndex column. */
	f[13][8] = 'f';
	f[13][9] = 'f';
	g_free(f[17]);
	f[17] = g_strdup("255");
	g_free(f[0]);
	f[0] = g_strdup("SLOTS256.txt");
	g_autofree char *row = g_strjoinv("\t", f);
	g_autofree char *text = g_strdup_printf("%s\n%s\n", lines[0], row);
	char *path = g_build_filename(tmpdir, "readers256.tsv", NULL);
	g_assert_true(g_file_set_contents(path, text, -1, &err));
	return path;
}

/* issue 20: caps.c gave pcscd (uint8_t)256, 0, which pcscd takes for a
 * one-slot reader.  TAG_IFD_SLOTS_NUMBER is one byte (pcscd reads
 * ucGetData[0]): the most it can say is 255, and the driver says it. */
static void test_slot_count_of_256_is_not_zero(void)
{
	g_autofree char *cat = write_catalogue_256();
	g_setenv("CCIDLAB_READERS_TSV", cat, TRUE);
	ifd_reader *r = open_event_reader(2, "emu:SLOTS256.txt:mode=event:card=none");
	g_assert_cmpuint(r->n_slots, ==, 256);

	UCHAR v[8] = { 0 };
	DWORD len = sizeof v;
	g_assert_cmpint(ifd_caps_get(LUN(2, 0), TAG_IFD_SLOTS_NUMBER, &len, v), ==, IFD_SUCCESS);
	g_assert_cmpuint(len, ==, 1);
	g_assert_cmpuint(v[0], ==, 255);

	/* Every slot at once, repeatedly: still one bounce each. */
	emu_fault f = { .kind = EMU_FAULT_SPURIOUS_NOTIFY };
	g_autoptr(GError) err = NULL;
	emu_card *card = emu_card_new_from_spec("readertest", &err);
	g_assert_no_error(err);
	g_assert_true(emu_device_insert(r->emu, 255, card, EMU_EVENT_SRC_API, &err));
	wait_present(r, 255, true);
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	g_assert_cmpint(ifd_events_wait(LUN(2, 255), 0), ==, IFD_SUCCESS);
	g_assert_true(ifd_events_present(r, 255));
	g_assert_cmpint(ifd_events_wait(LUN(2, 255), 0), ==, IFD_SUCCESS);
	for (unsigned i = 0; i < 20; i++) {
		unsigned long base = changes_seen(r, 255);
		g_assert_true(emu_device_fault_set(r->emu, -1, &f, &err));
		while (changes_seen(r, 255) == base) {
			g_assert_cmpint(g_get_monotonic_time(), <, end);
			g_usleep(1000);
		}
	}
	bool last;
	g_assert_cmpuint(edges_pcscd_sees(r, 255, true, &last), ==, 2);
	g_assert_true(last);
	g_assert_cmpint(ifd_reader_close(LUN(2, 0)), ==, IFD_SUCCESS);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("ccidlab-ifd-events-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_autofree char *sock = g_build_filename(tmpdir, "ctl.sock", NULL);
	g_setenv("CCIDLAB_CTL_LISTEN", sock, TRUE);
	g_test_add_func("/ifd/events/a-notify-flood-is-one-bounce-to-pcscd",
			test_notify_flood_is_one_bounce);
	g_test_add_func("/ifd/events/a-shown-report-survives-a-flood",
			test_shown_report_survives_a_flood);
	g_test_add_func("/ifd/events/edges-folded-while-pcscd-lags-are-counted",
			test_folded_edges_are_counted);
	g_test_add_func("/ifd/events/a-pcscd-that-keeps-up-folds-nothing",
			test_a_pcscd_that_keeps_up_folds_nothing);
	g_test_add_func("/ifd/caps/a-256-slot-reader-is-not-reported-as-0",
			test_slot_count_of_256_is_not_zero);
	int rc = g_test_run();
	g_autofree char *cat = g_build_filename(tmpdir, "readers256.tsv", NULL);
	g_unlink(cat);
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return rc;
}
