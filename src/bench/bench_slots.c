/* ccidlab — `ccidlab bench slots`: two slots of one reader at once.
 *
 * The host engine (src/host) against the emulated generic-ext-multi
 * (bMaxCCIDBusySlots 2, CCID 1.1 table 5.1-1), in this process: a card
 * that takes a fixed time per APDU (a script card, delay=) in slots 0
 * and 1.  The same APDUs are sent by one thread alternating the slots
 * (the baseline: one command in flight), by two threads at once, and by
 * two threads on the same reader said to take one busy slot.  A host
 * that overlaps the slots' commands does the two-thread work in about
 * half the time of the baseline; one that serialised them would stay
 * near 1.  A figure, never a test: the ratio depends on the machine's
 * load (tests/unit/test_host_multi asserts the overlap itself, from the
 * order of the frames on the wire).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench/bench.h"
#include "emu/card.h"
#include "emu/device.h"
#include "emu/profile.h"
#include "host/host.h"

#define SLOTS_CARD_MS 25	/* the card's time per APDU */
#define SLOTS_APDUS 40		/* per slot and run */
#define SLOTS_BUSY_BYTE 53	/* bMaxCCIDBusySlots in the class descriptor */
#define SLOTS_TARGET 1.5	/* two slots at once vs the baseline */

/* The card's one answer to 80 50 (the script below). */
static const uint8_t answer[] = { 0x5A, 0xA5, 0x90, 0x00 };

typedef struct slots_reader {
	emu_device *dev;
	host_reader *host;
} slots_reader;

typedef struct slots_worker {
	host_reader *host;
	unsigned slot;
	unsigned apdus;
	unsigned failed;
} slots_worker;

/* One APDU to the worker's slot; a wrong answer counts as a failure. */
static void step(slots_worker *w)
{
	static const uint8_t apdu[] = { 0x80, 0x50, 0x00, 0x00, 0x00 };
	uint8_t rsp[16];
	size_t n = 0;
	bool right = host_slot_transmit(w->host, w->slot, apdu, sizeof apdu, rsp, sizeof rsp,
					&n) == CCID_OK &&
		     n == sizeof answer && memcmp(rsp, answer, n) == 0;
	w->failed += !right;
}

static gpointer worker_run(gpointer data)
{
	slots_worker *w = data;
	for (unsigned i = 0; i < w->apdus; i++)
		step(w);
	return NULL;
}

/* generic-ext-multi said to take `busy` slots at once, the script card
 * in slots 0 and 1, both powered; false with a message. */
static bool reader_open(slots_reader *r, const char *script, unsigned busy)
{
	g_autoptr(emu_profile) p = emu_profile_builtin("generic-ext-multi");
	g_autoptr(GError) err = NULL;
	g_autofree char *spec = g_strdup_printf("script:%s", script);
	char why[256] = "";
	transport t;

	memset(r, 0, sizeof *r);
	G_STATIC_ASSERT(SLOTS_BUSY_BYTE < EMU_PROFILE_CLASS_DESC_LEN);
	if (p == NULL) {
		fprintf(stderr, "ccidlab bench slots: no generic-ext-multi profile\n");
		return false;
	}
	p->class_desc[SLOTS_BUSY_BYTE] = (uint8_t)busy;
	r->dev = emu_device_new(p, &err);
	for (unsigned i = 0; r->dev != NULL && i < 2; i++) {
		emu_card *c = emu_card_new_from_spec(spec, &err);
		if (c == NULL || !emu_device_insert(r->dev, i, c, EMU_EVENT_SRC_API, &err))
			break;
	}
	if (err != NULL || r->dev == NULL) {
		fprintf(stderr, "ccidlab bench slots: %s\n", err ? err->message : "no device");
		return false;
	}
	if (emu_transport_open(r->dev, &t) != CCID_OK ||
	    (r->host = host_reader_open(t, why, sizeof why)) == NULL) {
		fprintf(stderr, "ccidlab bench slots: the host engine refused the reader: %s\n", why);
		return false;
	}
	for (unsigned i = 0; i < 2; i++)
		if (host_slot_power_on(r->host, i, NULL, 0, NULL) != CCID_OK) {
			fprintf(stderr, "ccidlab bench slots: slot %u: no power-up\n", i);
			return false;
		}
	return true;
}

static void reader_close(slots_reader *r)
{
	if (r->host != NULL)
		host_reader_close(r->host);
	if (r->dev != NULL)
		emu_device_unref(r->dev);
}

/* Seconds for SLOTS_APDUS APDUs on each of slots 0 and 1: from two
 * threads, or (serial) one thread alternating; -1 on a failure.
 * *in_flight: the most commands the reader had at once. */
static double run(const char *script, unsigned busy, bool serial, unsigned *in_flight)
{
	slots_reader r;
	double s = -1.0;

	if (!reader_open(&r, script, busy))
		goto out;
	slots_worker w[2];
	for (unsigned i = 0; i < 2; i++)
		w[i] = (slots_worker){ .host = r.host, .slot = i, .apdus = SLOTS_APDUS };
	uint64_t t0 = bench_now_ns();
	if (serial) {
		for (unsigned k = 0; k < SLOTS_APDUS; k++)
			for (unsigned i = 0; i < 2; i++)
				step(&w[i]);
	} else {
		GThread *t[2];
		for (unsigned i = 0; i < 2; i++)
			t[i] = g_thread_new("bench-slot", worker_run, &w[i]);
		for (unsigned i = 0; i < 2; i++)
			g_thread_join(t[i]);
	}
	s = (double)(bench_now_ns() - t0) / 1e9;
	host_stats st;
	host_reader_stats(r.host, &st);
	*in_flight = st.max_in_flight;
	if (w[0].failed + w[1].failed > 0) {
		fprintf(stderr, "ccidlab bench slots: %u APDUs failed\n", w[0].failed + w[1].failed);
		s = -1.0;
	}
out:
	reader_close(&r);
	return s;
}

int bench_slots_run(const bench_opts *o)
{
	g_autoptr(GError) err = NULL;
	(void)o;

	printf("\n== Slots at once: the host engine, in-process, generic-ext-multi "
	       "(bMaxCCIDBusySlots 2), a card of %d ms per APDU in slots 0 and 1, %d APDUs each "
	       "(baseline: one thread alternating the slots)\n", SLOTS_CARD_MS, SLOTS_APDUS);
	g_autofree char *dir = g_dir_make_tmp("ccidlab-bench-XXXXXX", &err);
	if (dir == NULL) {
		fprintf(stderr, "ccidlab bench slots: %s\n", err->message);
		return 1;
	}
	g_autofree char *script = g_build_filename(dir, "slow.script", NULL);
	g_autofree char *text = g_strdup_printf("80 50 * => 5A A5 90 00 delay=%d\n", SLOTS_CARD_MS);
	if (!g_file_set_contents(script, text, -1, &err)) {
		fprintf(stderr, "ccidlab bench slots: %s\n", err->message);
		g_rmdir(dir);
		return 1;
	}
	unsigned f_serial = 0, f_two = 0, f_one = 0;
	double serial = run(script, 2, true, &f_serial);
	double two = run(script, 2, false, &f_two);
	double one = run(script, 1, false, &f_one);
	g_unlink(script);
	g_rmdir(dir);
	if (serial <= 0.0 || two <= 0.0 || one <= 0.0)
		return 1;
	printf("    one thread, alternating (baseline)   %6.3f s   most in flight %u\n", serial,
	       f_serial);
	printf("    two threads, 2 busy slots            %6.3f s   most in flight %u   %5.2fx "
	       "baseline's rate   target > %.1fx: %s\n", two, f_two, serial / two, SLOTS_TARGET,
	       bench_verdict(serial / two > SLOTS_TARGET));
	printf("    two threads, 1 busy slot             %6.3f s   most in flight %u   %5.2fx "
	       "baseline's rate   (the reader's limit kept: about 1x)\n", one, f_one, serial / one);
	return 0;
}
