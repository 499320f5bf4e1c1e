/* ccidlab — fuzz target: a malicious device against the host engine
 * (src/host over src/ccid), one thread (issue 20).
 *
 * The input shapes the device's descriptor and then alternates what the
 * device does (answers, silences, time extensions, interrupt messages,
 * control replies, vanishing) with what the host asks (power, protocol,
 * APDUs, escape, PIN entry, slot status, interrupt waits): see
 * fuzz_device.h.  The host engine runs over a transport whose every call
 * the device answers at once, with time on a virtual clock (vclock.h),
 * and fuzz_hostops.c checks each answer.  Leaks: LeakSanitizer at exit.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "fuzz_device.h"
#include "fuzz_hostops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fdev *d = fdev_new(data, size);
	char why[256];

	if (d == NULL)
		return 0;
	host_reader *r = host_reader_open(fdev_transport(d), why, sizeof why);
	if (r != NULL) {
		hostops_setup(r, d);
		hostops_run_all(r, d);
		host_reader_close(r);
	}
	fdev_free(d);
	return 0;
}
