/* ccidlab — fuzz target: a malicious device against the host engine with
 * two threads and more than one busy slot (issue 20).
 *
 * As fuzz_host, but the device declares at least two slots and
 * bMaxCCIDBusySlots of at least 2, and two threads take the host
 * operations from the one input stream: their commands are in flight
 * together, and the engine hands each answer from the one bulk-IN pipe
 * to its command by bSeq and bSlot (src/host/command.c).  Which thread
 * runs which operation depends on the scheduling, so an input may not
 * replay the same way twice; what must hold holds for any order: buffers,
 * ATR, no leak, no deadlock (libFuzzer's -timeout).  The caps are checked
 * by fuzz_host and fuzz_usb (see hostops_check_caps).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz_device.h"
#include "fuzz_hostops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct worker {
	host_reader *r;
	fdev *d;
} worker;

static gpointer run(gpointer data)
{
	worker *w = data;
	hostops_run_all(w->r, w->d);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	if (size < FDEV_HEADER)
		return 0;
	hostops_check_caps = false;
	/* Two slots or more, two busy slots or more. */
	uint8_t *in = g_memdup2(data, size);
	in[0] = (uint8_t)MAX(in[0], 1);
	in[5] = (uint8_t)MAX(in[5], 2);
	fdev *d = fdev_new(in, size);
	host_reader *r = host_reader_open(fdev_transport(d), why, sizeof why);
	if (r != NULL) {
		hostops_setup(r, d);
		worker w = { r, d };
		GThread *other = g_thread_new("fuzz-host", run, &w);
		run(&w);
		g_thread_join(other);
		host_reader_close(r);
	}
	fdev_free(d);
	g_free(in);
	return 0;
}
