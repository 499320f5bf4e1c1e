/* ccidlab — libccidlab-usbsim.so through the libusb-1.0 API, as a driver
 * calls it: linked with the real libusb, run with the shim preloaded
 * (tests/integration/usbsim-api.sh sets LD_PRELOAD and CCIDLAB_USBSIM to
 * "generic-apdu-irq:card=readertest,t1;generic-short-poll:card=none:bus=3:address=9",
 * CCIDLAB_USBSIM_CTL to a socket path and USBSIM_TEST_CCIDLAB to the
 * ccidlab command, which unplugs and replugs a device through the control
 * socket).  Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <libusb-1.0/libusb.h>

static int n, failed;

static void ok(int cond, const char *what)
{
	n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n, what);
	if (!cond)
		failed = 1;
}

static void cb(struct libusb_transfer *t)
{
	*(int *)t->user_data = 1;
}

static int arrivals;
static int on_hotplug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *u)
{
	(void)ctx;
	(void)dev;
	(void)u;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
		arrivals++;
	return 0;
}

static int lefts, comebacks;
static int on_plug(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *u)
{
	(void)ctx;
	(void)u;
	if (libusb_get_device_address(dev) != 2)
		return 0;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT)
		lefts++;
	else
		comebacks++;
	return 0;
}

/* `ccidlab fault ARGS` on the shim's control socket. */
static int ccidlab_fault(const char *args)
{
	char cmd[1024];
	const char *tool = getenv("USBSIM_TEST_CCIDLAB"), *sock = getenv("CCIDLAB_USBSIM_CTL");
	if (tool == NULL || sock == NULL)
		return -1;
	snprintf(cmd, sizeof cmd, "'%s' fault --socket='%s' %s >&2", tool, sock, args);
	return system(cmd);
}

/* Handles events until *flag is set, for 3 s at most. */
static void wait_flag(libusb_context *ctx, const int *flag)
{
	for (int i = 0; i < 30 && *flag == 0; i++) {
		struct timeval tv = { 0, 100000 };
		libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
}

/* One CCID command and its answer on the bulk pipes (CCID 1.1 §6). */
static int exchange(libusb_device_handle *h, const unsigned char *cmd, int len,
		    unsigned char *rsp, int cap)
{
	int got = 0;
	if (libusb_bulk_transfer(h, 0x01, (unsigned char *)cmd, len, &got, 1000) != 0 || got != len)
		return -1;
	/* The emulated readers use endpoints 0x01 out and 0x82 in. */
	if (libusb_bulk_transfer(h, 0x82, rsp, cap, &got, 1000) != 0)
		return -1;
	return got;
}

int main(void)
{
	libusb_context *ctx = NULL;
	libusb_device **list;
	unsigned char buf[512];

	printf("1..33\n");
	ok(libusb_init(&ctx) == 0, "libusb_init");
	ssize_t cnt = libusb_get_device_list(ctx, &list);
	ok(cnt == 2, "two devices listed");
	if (cnt != 2)
		return 1;
	struct libusb_device_descriptor dd;
	ok(libusb_get_device_descriptor(list[0], &dd) == 0 && dd.idVendor == 0x1209 &&
	   dd.idProduct == 0x0002 && dd.bNumConfigurations == 1, "device descriptor");
	ok(libusb_get_bus_number(list[0]) == 1 && libusb_get_device_address(list[0]) == 2 &&
	   libusb_get_bus_number(list[1]) == 3 && libusb_get_device_address(list[1]) == 9,
	   "bus numbers and addresses (defaults, and bus= address=)");
	uint8_t ports[7];
	ok(libusb_get_port_numbers(list[1], ports, 7) == 1 && ports[0] == 2, "port numbers");

	struct libusb_config_descriptor *cfg;
	ok(libusb_get_active_config_descriptor(list[0], &cfg) == 0 && cfg->bNumInterfaces == 1,
	   "config descriptor");
	const struct libusb_interface_descriptor *alt = &cfg->interface[0].altsetting[0];
	ok(alt->bInterfaceClass == 0x0B && alt->bNumEndpoints == 3 && alt->extra_length == 54 &&
	   alt->extra[1] == 0x21, "CCID interface, 3 endpoints, class descriptor in extra");
	libusb_free_config_descriptor(cfg);
	ok(libusb_get_active_config_descriptor(list[1], &cfg) == 0 &&
	   cfg->interface[0].altsetting[0].bNumEndpoints == 2, "no interrupt pipe on short-poll");
	libusb_free_config_descriptor(cfg);

	libusb_device_handle *h, *h2;
	ok(libusb_open(list[0], &h) == 0 && libusb_claim_interface(h, 0) == 0 &&
	   libusb_claim_interface(h, 0) == 0, "open, claim (twice through one handle)");
	ok(libusb_open(list[0], &h2) == 0 && libusb_claim_interface(h2, 0) == LIBUSB_ERROR_BUSY,
	   "a second handle cannot claim it");
	libusb_close(h2);
	ok(libusb_claim_interface(h, 3) == LIBUSB_ERROR_NOT_FOUND, "no interface 3");
	int sl = libusb_get_string_descriptor_ascii(h, dd.iProduct, buf, sizeof buf);
	ok(sl > 0 && strcmp((char *)buf, "ccidlab APDU reader") == 0, "product string");

	static const unsigned char status[10] = { 0x65, 0, 0, 0, 0, 0, 7, 0, 0, 0 };
	int got = exchange(h, status, 10, buf, sizeof buf);
	ok(got == 10 && buf[0] == 0x81 && buf[6] == 7 && (buf[7] & 3) == 1,
	   "GetSlotStatus: card present, inactive");
	static const unsigned char power[10] = { 0x62, 0, 0, 0, 0, 0, 8, 1, 0, 0 };
	got = exchange(h, power, 10, buf, sizeof buf);
	ok(got > 10 && buf[0] == 0x80 && buf[10] == 0x3B, "IccPowerOn gives an ATR");
	int r = libusb_control_transfer(h, 0xA1, 0x03, 0, 0, buf, 64, 1000);
	ok(r > 0 && r % 4 == 0, "GET_DATA_RATES");
	r = libusb_control_transfer(h, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x0100, 0, buf, 18, 1000);
	ok(r == 18 && buf[8] == 0x09 && buf[9] == 0x12, "GET_DESCRIPTOR device");

	/* The interrupt pipe, asynchronously (libccid's way): the notify
	 * queued at insertion, then a timeout, then a cancel. */
	struct libusb_transfer *t = libusb_alloc_transfer(0);
	int done = 0;
	libusb_fill_interrupt_transfer(t, h, 0x83, buf, 8, cb, &done, 500);
	ok(libusb_submit_transfer(t) == 0, "submit interrupt");
	while (!done)
		libusb_handle_events_completed(ctx, &done);
	ok(t->status == LIBUSB_TRANSFER_COMPLETED && t->actual_length == 2 && buf[0] == 0x50,
	   "NotifySlotChange");
	done = 0;
	libusb_fill_interrupt_transfer(t, h, 0x83, buf, 8, cb, &done, 100);
	libusb_submit_transfer(t);
	while (!done)
		libusb_handle_events_completed(ctx, &done);
	ok(t->status == LIBUSB_TRANSFER_TIMED_OUT, "interrupt times out");
	done = 0;
	libusb_fill_interrupt_transfer(t, h, 0x83, buf, 8, cb, &done, 0);
	libusb_submit_transfer(t);
	ok(libusb_cancel_transfer(t) == 0, "cancel");
	while (!done)
		libusb_handle_events_completed(ctx, &done);
	ok(t->status == LIBUSB_TRANSFER_CANCELLED && libusb_cancel_transfer(t) == LIBUSB_ERROR_NOT_FOUND,
	   "cancelled, and not cancellable again");
	libusb_free_transfer(t);

	ok(strcmp(libusb_error_name(LIBUSB_ERROR_TIMEOUT), "LIBUSB_ERROR_TIMEOUT") == 0,
	   "libusb_error_name");
	ok(libusb_set_interface_alt_setting(h, 0, 1) == LIBUSB_ERROR_NOT_SUPPORTED, "an unemulated call fails");
	libusb_hotplug_callback_handle hh;
	ok(libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED,
					    LIBUSB_HOTPLUG_ENUMERATE, 0x1209, LIBUSB_HOTPLUG_MATCH_ANY,
					    LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, NULL, &hh) == 0 &&
	   arrivals == 2, "hotplug ENUMERATE reports both devices");
	libusb_hotplug_deregister_callback(ctx, hh);

	/* Unplug and replug (the emulator's device-gone fault, set and
	 * cleared through the control socket). */
	ok(libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
					    LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
					    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
					    LIBUSB_HOTPLUG_MATCH_ANY, on_plug, NULL, &hh) == 0 &&
	   ccidlab_fault("set usbsim-0 device-gone") == 0, "device-gone set on the control socket");
	wait_flag(ctx, &lefts);
	ok(lefts == 1 && comebacks == 0, "hotplug DEVICE_LEFT once");
	got = 0;
	ok(libusb_bulk_transfer(h, 0x01, (unsigned char *)"\x65\0\0\0\0\0\x09\0\0\0", 10, &got,
				1000) == LIBUSB_ERROR_NO_DEVICE, "bulk: LIBUSB_ERROR_NO_DEVICE");
	libusb_device **l2;
	ssize_t c2 = libusb_get_device_list(ctx, &l2);
	ok(c2 == 1 && libusb_get_device_address(l2[0]) == 9, "the unplugged device left the list");
	libusb_free_device_list(l2, 1);
	ok(libusb_open(list[0], &h2) == LIBUSB_ERROR_NO_DEVICE, "open: LIBUSB_ERROR_NO_DEVICE");
	ok(ccidlab_fault("clear usbsim-0 device-gone") == 0, "device-gone cleared");
	wait_flag(ctx, &comebacks);
	ok(comebacks == 1 && lefts == 1, "hotplug DEVICE_ARRIVED once");
	ok(libusb_bulk_transfer(h, 0x01, (unsigned char *)"\x65\0\0\0\0\0\x0a\0\0\0", 10, &got,
				1000) == LIBUSB_ERROR_NO_DEVICE,
	   "a handle from before the unplug stays dead (LIBUSB_ERROR_NO_DEVICE)");
	libusb_hotplug_deregister_callback(ctx, hh);
	libusb_release_interface(h, 0);
	libusb_close(h);
	h = NULL;
	ok(libusb_open(list[0], &h) == 0 && libusb_claim_interface(h, 0) == 0 &&
	   exchange(h, (const unsigned char *)"\x65\0\0\0\0\0\x0b\0\0\0", 10, buf,
		    sizeof buf) == 10 && buf[0] == 0x81,
	   "replugged: a new handle talks (GetSlotStatus)");
	libusb_release_interface(h, 0);
	libusb_close(h);
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return failed;
}
