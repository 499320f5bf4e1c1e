/* ccidlab — libccidlab-usbsim.so's USB transfer faults, composite devices
 * and the calls a libusb transport needs, through the libusb-1.0 API:
 * linked with the real libusb, run with the shim preloaded by
 * tests/integration/usbsim-faults-api.sh, which sets CCIDLAB_USBSIM to
 *   usbsim-0  generic-apdu-irq, fault=stall/bulk-in (a halt from the start)
 *   usbsim-1  generic-short-poll, composite=hid
 *   usbsim-2  generic-apdu-irq (faults set live)
 *   a fourth device with a malformed fault=, which must be left out,
 * CCIDLAB_USBSIM_CTL to a socket path and USBSIM_TEST_CCIDLAB to the
 * ccidlab command (faults and card edges go through the control socket).
 * Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <libusb-1.0/libusb.h>

#define EP_OUT 0x01
#define EP_IN 0x82
#define EP_IRQ 0x83

static int n, failed;

static void ok(int cond, const char *what)
{
	n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
	fflush(stdout);
	if (!cond)
		failed = 1;
}

/* `ccidlab ARGS` on the shim's control socket; its exit status. */
static int ccidlab(const char *cmd, const char *args)
{
	char line[1024];
	const char *tool = getenv("USBSIM_TEST_CCIDLAB"), *sock = getenv("CCIDLAB_USBSIM_CTL");
	if (tool == NULL || sock == NULL)
		return -1;
	snprintf(line, sizeof line, "'%s' %s --socket='%s' %s >&2", tool, cmd, sock, args);
	return system(line);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cb(struct libusb_transfer *t)
{
	*(int *)t->user_data = 1;
}

static int lefts, arrivals;
static int on_plug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *u)
{
	(void)ctx;
	(void)u;
	if (libusb_get_device_address(dev) != 4)
		return 0;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT)
		lefts++;
	else
		arrivals++;
	return 0;
}

/* One async interrupt transfer to its end (5 s at most). */
static void irq_run(libusb_context *ctx, struct libusb_transfer *t, libusb_device_handle *h,
		    unsigned char *buf, unsigned timeout)
{
	int done = 0;
	libusb_fill_interrupt_transfer(t, h, EP_IRQ, buf, 8, cb, &done, timeout);
	if (libusb_submit_transfer(t) != 0)
		return;
	for (int i = 0; i < 50 && !done; i++) {
		struct timeval tv = { 0, 100000 };
		libusb_handle_events_timeout_completed(ctx, &tv, &done);
	}
	if (!done) {
		libusb_cancel_transfer(t);
		while (!done)
			libusb_handle_events_completed(ctx, &done);
	}
}

static const unsigned char slot_status[10] = { 0x65, 0, 0, 0, 0, 0, 1, 0, 0, 0 };

static int send_status(libusb_device_handle *h)
{
	int got = 0;
	int r = libusb_bulk_transfer(h, EP_OUT, (unsigned char *)slot_status, 10, &got, 1000);
	return r == 0 && got == 10 ? 0 : -1;
}

static void halt_from_the_spec(libusb_device_handle *h)
{
	unsigned char buf[64];
	int got = -1;

	ok(send_status(h) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == LIBUSB_ERROR_PIPE &&
	   got == 0, "fault=stall/bulk-in: bulk-IN stalls (LIBUSB_ERROR_PIPE, nothing moved)");
	ok(libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == LIBUSB_ERROR_PIPE,
	   "the halt stays (no count)");
	ok(libusb_clear_halt(h, 0x55) == LIBUSB_ERROR_NOT_FOUND,
	   "clear_halt on an endpoint the device lacks: LIBUSB_ERROR_NOT_FOUND");
	ok(libusb_clear_halt(h, EP_IN) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 && got == 10 &&
	   buf[0] == 0x81, "clear_halt ends it: the answer was kept and arrives");
}

static void pipe_faults(libusb_device_handle *h)
{
	unsigned char buf[64];
	int got = -1;

	ok(ccidlab("fault", "set usbsim-2 short/bulk-in:5@1") == 0 && send_status(h) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 && got == 5,
	   "short/bulk-in:5@1: success, actual length 5");
	ok(send_status(h) == 0 && libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 &&
	   got == 10, "then whole messages again (one-shot)");
	ok(ccidlab("fault", "set usbsim-2 zlp/bulk-in@1") == 0 && send_status(h) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 && got == 0,
	   "zlp/bulk-in@1: success, actual length 0");
	ok(libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 && got == 10 &&
	   buf[0] == 0x81, "the message stays queued for the next IN transfer");
	got = -1;
	ok(ccidlab("fault", "set usbsim-2 babble/bulk-in@1") == 0 && send_status(h) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, 32, &got, 1000) == LIBUSB_ERROR_OVERFLOW &&
	   got == 32 && buf[0] == 0x81 && buf[31] == 0xBB,
	   "babble/bulk-in@1: LIBUSB_ERROR_OVERFLOW, the buffer full");
	/* The clocks start once the fault is set: the ccidlab command that
	 * sets it is a process of its own, which took over 3 s to start and
	 * answer with both cores busy. */
	got = -1;
	int set = ccidlab("fault", "set usbsim-2 nak/bulk-out@1");
	double t0 = now_s();
	ok(set == 0 &&
	   libusb_bulk_transfer(h, EP_OUT, (unsigned char *)slot_status, 10, &got, 300) ==
		   LIBUSB_ERROR_TIMEOUT &&
	   got == 0 && now_s() - t0 >= 0.29 && now_s() - t0 < 3.0,
	   "nak/bulk-out@1: LIBUSB_ERROR_TIMEOUT after the transfer's 300 ms, nothing sent");
	ok(ccidlab("fault", "set usbsim-2 nak/bulk-in@1") == 0 && send_status(h) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 300) == LIBUSB_ERROR_TIMEOUT &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 && got == 10,
	   "nak/bulk-in@1: LIBUSB_ERROR_TIMEOUT, then the answer that waited");
	ok(ccidlab("fault", "set usbsim-2 stall/bulk-out") == 0 &&
	   libusb_bulk_transfer(h, EP_OUT, (unsigned char *)slot_status, 10, &got, 300) ==
		   LIBUSB_ERROR_PIPE &&
	   libusb_reset_device(h) == 0 && send_status(h) == 0 &&
	   libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 && got == 10,
	   "stall/bulk-out halts; libusb_reset_device clears it, the handle stays good");
	ok(ccidlab("fault", "set usbsim-2 stall/control@1") == 0 &&
	   libusb_control_transfer(h, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x0100, 0, buf, 18,
				   1000) == LIBUSB_ERROR_PIPE &&
	   libusb_control_transfer(h, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x0100, 0, buf, 18,
				   1000) == 18,
	   "stall/control@1: one control request stalls, the next works");
	set = ccidlab("fault", "set usbsim-2 nak/control@1");
	t0 = now_s();
	ok(set == 0 &&
	   libusb_get_string_descriptor_ascii(h, 2, buf, sizeof buf) == LIBUSB_ERROR_TIMEOUT &&
	   now_s() - t0 < 3.0 && libusb_get_string_descriptor_ascii(h, 2, buf, sizeof buf) > 0,
	   "nak/control@1: a string descriptor read times out (bounded), the next works");
}

static void async_faults(libusb_context *ctx, libusb_device_handle *h)
{
	unsigned char buf[64];
	struct libusb_transfer *t = libusb_alloc_transfer(0);

	irq_run(ctx, t, h, buf, 200);	/* the insertion's NotifySlotChange */
	ok(ccidlab("fault", "set usbsim-2 stall/interrupt@1") == 0, "stall/interrupt@1 set");
	irq_run(ctx, t, h, buf, 0);
	ok(t->status == LIBUSB_TRANSFER_STALL && t->actual_length == 0,
	   "async interrupt: LIBUSB_TRANSFER_STALL");
	ok(ccidlab("fault", "set usbsim-2 babble/interrupt@1") == 0 &&
	   ccidlab("remove", "usbsim-2/0") == 0, "babble/interrupt@1 set, card removed");
	irq_run(ctx, t, h, buf, 2000);
	ok(t->status == LIBUSB_TRANSFER_OVERFLOW && t->actual_length == 8 && buf[0] == 0x50,
	   "async interrupt: LIBUSB_TRANSFER_OVERFLOW, actual_length = the buffer");
	ok(ccidlab("fault", "set usbsim-2 zlp/interrupt@1") == 0, "zlp/interrupt@1 set");
	irq_run(ctx, t, h, buf, 2000);
	ok(t->status == LIBUSB_TRANSFER_COMPLETED && t->actual_length == 0,
	   "async interrupt: completed, actual_length 0");
	/* usbsim-2 has one slot, empty now: changed bit 1, present bit 0. */
	ok(ccidlab("fault", "set usbsim-2 notify/interrupt@2") == 0, "notify/interrupt@2 set");
	int notified = 0;
	for (int i = 0; i < 2; i++) {
		irq_run(ctx, t, h, buf, 2000);
		notified += t->status == LIBUSB_TRANSFER_COMPLETED && t->actual_length == 2 &&
			    buf[0] == 0x50 && buf[1] == 0x02;
	}
	irq_run(ctx, t, h, buf, 300);
	ok(notified == 2 && t->status == LIBUSB_TRANSFER_TIMED_OUT,
	   "notify/interrupt@2: two NotifySlotChange (changed, state kept), then silence");

	/* The device vanishes while the interrupt transfer waits (timeout
	 * none, as libccid's). */
	libusb_hotplug_callback_handle hh;
	libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
				       LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0, LIBUSB_HOTPLUG_MATCH_ANY,
				       LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, on_plug,
				       NULL, &hh);
	int done = 0;
	libusb_fill_interrupt_transfer(t, h, EP_IRQ, buf, 8, cb, &done, 0);
	libusb_submit_transfer(t);
	ok(ccidlab("fault", "set usbsim-2 disconnect/interrupt:50") == 0,
	   "disconnect/interrupt:50 set while the transfer is pending");
	double t0 = now_s();	/* once set: see pipe_faults */
	for (int i = 0; i < 50 && !done; i++) {
		struct timeval tv = { 0, 100000 };
		libusb_handle_events_timeout_completed(ctx, &tv, &done);
	}
	ok(done && t->status == LIBUSB_TRANSFER_NO_DEVICE && now_s() - t0 < 2.0,
	   "the pending transfer ends with LIBUSB_TRANSFER_NO_DEVICE within 2 s");
	for (int i = 0; i < 20 && lefts == 0; i++) {
		struct timeval tv = { 0, 100000 };
		libusb_handle_events_timeout(ctx, &tv);
	}
	int got;
	ok(lefts == 1 && libusb_bulk_transfer(h, EP_OUT, (unsigned char *)slot_status, 10, &got,
					      300) == LIBUSB_ERROR_NO_DEVICE,
	   "hotplug DEVICE_LEFT; transfers: LIBUSB_ERROR_NO_DEVICE");
	ok(ccidlab("fault", "clear usbsim-2") == 0, "fault clear: replug");
	for (int i = 0; i < 20 && arrivals == 0; i++) {
		struct timeval tv = { 0, 100000 };
		libusb_handle_events_timeout(ctx, &tv);
	}
	ok(arrivals == 1, "hotplug DEVICE_ARRIVED");
	libusb_hotplug_deregister_callback(ctx, hh);
	libusb_free_transfer(t);
}

static void control_errors(void)
{
	ok(ccidlab("fault", "set usbsim-2 melt") != 0, "an unknown kind is refused");
	ok(ccidlab("fault", "set usbsim-2 short/bulk-out") != 0,
	   "a kind on a pipe it does not apply to is refused");
	ok(ccidlab("fault", "set usbsim-1 stall/interrupt") != 0,
	   "the interrupt pipe of a device without one is refused");
	ok(ccidlab("fault", "set usbsim-2/0 stall") != 0, "a USB fault on a slot is refused");
	ok(ccidlab("fault", "set usbsim-2 nak/bulk-in:7") != 0, "an argument nak does not take");
}

static void composite(libusb_context *ctx, libusb_device *dev)
{
	struct libusb_config_descriptor *cfg;
	unsigned char buf[64];
	int got;

	ok(libusb_get_config_descriptor(dev, 0, &cfg) == 0 && cfg->bNumInterfaces == 2 &&
	   cfg->wTotalLength == 9 + 25 + 9 + 54 + 2 * 7, "composite: 2 interfaces, wTotalLength");
	const struct libusb_interface_descriptor *hid = &cfg->interface[0].altsetting[0];
	const struct libusb_interface_descriptor *ccid = &cfg->interface[1].altsetting[0];
	ok(hid->bInterfaceNumber == 0 && hid->bInterfaceClass == LIBUSB_CLASS_HID &&
	   hid->bNumEndpoints == 1 && hid->endpoint[0].bEndpointAddress == 0x83 &&
	   hid->extra_length == 9 && ccid->bInterfaceNumber == 1 &&
	   ccid->bInterfaceClass == 0x0B && ccid->extra_length == 54,
	   "HID interface 0 (one interrupt-IN endpoint), CCID interface 1 with its class descriptor");
	libusb_free_config_descriptor(cfg);
	libusb_device_handle *h;
	ok(libusb_open(dev, &h) == 0 && libusb_kernel_driver_active(h, 0) == 0 &&
	   libusb_detach_kernel_driver(h, 0) == LIBUSB_ERROR_NOT_FOUND &&
	   libusb_set_auto_detach_kernel_driver(h, 1) == 0 &&
	   libusb_claim_interface(h, 0) == 0 && libusb_claim_interface(h, 1) == 0 &&
	   libusb_claim_interface(h, 2) == LIBUSB_ERROR_NOT_FOUND,
	   "kernel driver calls; both interfaces claimed, no interface 2");
	double t0 = now_s();
	ok(libusb_interrupt_transfer(h, 0x83, buf, 8, &got, 200) == LIBUSB_ERROR_TIMEOUT &&
	   now_s() - t0 >= 0.19 && now_s() - t0 < 3.0,
	   "the HID endpoint never answers: LIBUSB_ERROR_TIMEOUT after 200 ms");
	ok(libusb_control_transfer(h, 0xA1, 0x01, 0x0100, 0, buf, 8, 500) == LIBUSB_ERROR_PIPE,
	   "a class request to the HID interface stalls");
	ok(send_status(h) == 0 && libusb_bulk_transfer(h, EP_IN, buf, sizeof buf, &got, 1000) == 0 &&
	   got == 10 && buf[0] == 0x81, "the CCID interface answers GetSlotStatus");
	ok(libusb_release_interface(h, 0) == 0 && libusb_release_interface(h, 0) ==
		   LIBUSB_ERROR_NOT_FOUND, "release, and not twice");
	libusb_close(h);
	(void)ctx;
}

int main(void)
{
	libusb_context *ctx = NULL;
	libusb_device **list;

	printf("1..44\n");
	ok(libusb_init(&ctx) == 0, "libusb_init");
	ssize_t cnt = libusb_get_device_list(ctx, &list);
	ok(cnt == 3, "three devices listed (the malformed fault= left out)");
	if (cnt != 3)
		return 1;
	libusb_device_handle *h0 = libusb_open_device_with_vid_pid(ctx, 0x1209, 0x0002);
	ok(h0 != NULL && libusb_get_device(h0) != NULL &&
	   libusb_get_device_address(libusb_get_device(h0)) == 2 &&
	   libusb_open_device_with_vid_pid(ctx, 0xdead, 0xbeef) == NULL,
	   "open_device_with_vid_pid: the first match, NULL for none");
	ok(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) && h0 != NULL &&
	   libusb_claim_interface(h0, 0) == 0, "claim");
	if (h0 == NULL)
		return 1;
	halt_from_the_spec(h0);
	libusb_close(h0);

	libusb_device_handle *h;
	ok(libusb_open(list[2], &h) == 0 && libusb_claim_interface(h, 0) == 0, "open usbsim-2");
	pipe_faults(h);
	async_faults(ctx, h);
	libusb_close(h);
	control_errors();
	composite(ctx, list[1]);
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return failed;
}
