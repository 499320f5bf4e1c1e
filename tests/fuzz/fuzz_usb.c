/* ccidlab — fuzz target: the malicious device behind libusb, through
 * src/usb's transport and interrupt code and the host engine (issue 20).
 *
 * As fuzz_host, with the device on the bus of a tiny libusb (fakeusb.c)
 * instead of a transport of its own: the driver's USB layer finds it,
 * reads its descriptors and strings, claims it, and moves every message
 * through libusb's synchronous bulk and control calls and one
 * asynchronous interrupt transfer, kept in flight across waits, stopped
 * and cancelled as the driver does (src/usb/irq.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "ccid/result.h"
#include "fakeusb.h"
#include "fuzz_device.h"
#include "fuzz_hostops.h"
#include "usb/usb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fdev *d = fdev_new(data, size);
	char why[1024];
	transport t;
	transport_info info;

	if (d == NULL)
		return 0;
	fakeusb_set_device(d);
	fdev_info(d, &info);
	usb_match m = { .vid = info.idVendor, .pid = info.idProduct, .bus = -1, .addr = -1,
			.iface = -1 };
	if (usb_transport_open(&m, &t, why, sizeof why) == CCID_OK) {
		host_reader *r = host_reader_open(t, why, sizeof why);
		if (r != NULL) {
			hostops_setup(r, d);
			hostops_run_all(r, d);
			/* The driver's close: stop the interrupt wait first. */
			host_interrupt_stop(r);
			host_reader_close(r);
		}
	}
	fdev_free(d);
	return 0;
}
