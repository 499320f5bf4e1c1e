/* ccidlab — how long pcscd waits in the driver's open and close, whatever
 * the device does (issue 20): the driver loaded without pcscd, as
 * pcsc-lite's handler test loads it, on a device that does not answer.
 *
 *   bounds DRIVER DEVICENAME SLOTS OPEN_MAX_MS CLOSE_MAX_MS [HOLD_MS]
 *
 * Times IFDHCreateChannelByName on slot 0, opens slots 1..SLOTS-1, waits
 * HOLD_MS (the interrupt thread meets the device meanwhile), then times
 * IFDHCloseChannel on every slot, the last one first as pcscd does when a
 * reader goes.  Prints TAP, and "# open N ms" / "# close SLOT N ms" lines
 * for the figures.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <ifdhandler.h>

static int n_tests, failed;

static void ok(int cond, const char *what, double ms, double max)
{
	printf("%sok %d - %s: %.0f ms (at most %.0f)\n", cond ? "" : "not ", ++n_tests, what, ms,
	       max);
	fflush(stdout);
	if (!cond)
		failed = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s DRIVER DEVICENAME SLOTS OPEN_MAX_MS CLOSE_MAX_MS "
			"[HOLD_MS]\n", argv[0]);
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("not ok 1 - dlopen %s: %s\n1..1\n", argv[1], dlerror());
		return 1;
	}
	__typeof__(&IFDHCreateChannelByName) create;
	__typeof__(&IFDHCloseChannel) close_channel;
	*(void **)&create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&close_channel = dlsym(h, "IFDHCloseChannel");
	unsigned slots = (unsigned)strtoul(argv[3], NULL, 10);
	double open_max = strtod(argv[4], NULL), close_max = strtod(argv[5], NULL);
	unsigned hold = argc > 6 ? (unsigned)strtoul(argv[6], NULL, 10) : 0;

	double t0 = now_ms();
	RESPONSECODE rc = create(0, argv[2]);
	double t = now_ms() - t0;
	printf("# open %.0f ms, rc %ld\n", t, (long)rc);
	ok(t <= open_max, "IFDHCreateChannelByName returns", t, open_max);
	if (rc != IFD_SUCCESS) {
		printf("# the reader was refused: nothing to close\n1..%d\n", n_tests);
		return failed;
	}
	for (unsigned i = 1; i < slots; i++)
		if (create(i, argv[2]) != IFD_SUCCESS)
			printf("# slot %u does not open\n", i);
	usleep(hold * 1000);
	for (unsigned i = slots; i-- > 0;) {
		t0 = now_ms();
		close_channel(i);
		t = now_ms() - t0;
		printf("# close %u %.0f ms\n", i, t);
		char what[64];
		snprintf(what, sizeof what, "IFDHCloseChannel of slot %u returns", i);
		ok(t <= close_max, what, t, close_max);
	}
	printf("1..%d\n", n_tests);
	return failed;
}
