/* ccidlab — USB device names: pcscd's two hotplug forms, the reader.conf.d
 * form, and a clear refusal for everything else. */
#include <glib.h>
#include <string.h>

#include "usb/usb_priv.h"

static void test_libudev_form(void)
{
	usb_name n;
	char why[256] = "";

	g_assert_cmpint(usb_name_parse("usb:08e6/3437:libudev:1:/dev/bus/usb/008/047", &n, why,
				       sizeof why), ==, 0);
	g_assert_cmpint(n.form, ==, USB_NAME_LIBUDEV);
	g_assert_cmphex(n.match.vid, ==, 0x08E6);
	g_assert_cmphex(n.match.pid, ==, 0x3437);
	g_assert_cmpint(n.match.iface, ==, 1);
	g_assert_cmpint(n.match.bus, ==, 8);
	g_assert_cmpint(n.match.addr, ==, 47);
	g_assert_cmpstr(n.match.serial, ==, "");
}

static void test_libusb_form(void)
{
	usb_name n;
	char why[256] = "";

	g_assert_cmpint(usb_name_parse("usb:1209/0002:libusb-1.0:3:12:0", &n, why, sizeof why), ==,
			0);
	g_assert_cmpint(n.form, ==, USB_NAME_LIBUSB);
	g_assert_cmphex(n.match.vid, ==, 0x1209);
	g_assert_cmpint(n.match.bus, ==, 3);
	g_assert_cmpint(n.match.addr, ==, 12);
	g_assert_cmpint(n.match.iface, ==, 0);
}

static void test_plain_form_with_keys(void)
{
	usb_name n;
	char why[256] = "";

	g_assert_cmpint(usb_name_parse("usb:072f/90cc", &n, why, sizeof why), ==, 0);
	g_assert_cmpint(n.form, ==, USB_NAME_PLAIN);
	g_assert_cmpint(n.match.bus, ==, -1);
	g_assert_cmpint(n.match.iface, ==, -1);
	g_assert_cmpuint(n.n_opts, ==, 0);

	g_assert_cmpint(usb_name_parse("usb:072F/90CC:serial=AB12:interface=1:mode=poll:escape=1",
				       &n, why, sizeof why), ==, 0);
	g_assert_cmpstr(n.match.serial, ==, "AB12");
	g_assert_cmpint(n.match.iface, ==, 1);
	g_assert_cmpuint(n.n_opts, ==, 2);
	g_assert_cmpstr(usb_name_opt(&n, "mode"), ==, "poll");
	g_assert_cmpstr(usb_name_opt(&n, "escape"), ==, "1");
	g_assert_null(usb_name_opt(&n, "serial"));
}

static void test_refusals(void)
{
	static const struct {
		const char *name;
		const char *says;
	} bad[] = {
		{ "emu:generic", "not a usb: name" },
		{ "usb:", "not VVVV/PPPP" },
		{ "usb:72f", "not VVVV/PPPP" },
		{ "usb:072F/90CCC", "in hex" },
		{ "usb:GGGG/0001", "in hex" },
		{ "usb:-72F/0001", "in hex" },
		{ "usb:072F/90CC:libudev:0", "libudev name needs" },
		{ "usb:072F/90CC:libudev:x:/dev/bus/usb/001/002", "libudev name needs" },
		{ "usb:072F/90CC:libudev:0:/dev/sda", "not /dev/bus/usb" },
		{ "usb:072F/90CC:libudev:0:/dev/bus/usb/001/002x", "not /dev/bus/usb" },
		{ "usb:072F/90CC:libudev:0:/dev/bus/usb/300/002", "not /dev/bus/usb" },
		{ "usb:072F/90CC:libusb-1.0:1:2", "BUS:ADDR:IF" },
		{ "usb:072F/90CC:libusb-1.0:1:2:256", "BUS:ADDR:IF" },
		{ "usb:072F/90CC:nonsense", "not key=value" },
		{ "usb:072F/90CC:=x", "not key=value" },
		{ "usb:072F/90CC:interface=x", "interface=x" },
		{ "usb:072F/90CC:serial=", "serial= needs" },
		{ "usb:072F/90CC:mode=poll:mode=event", "given twice" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		usb_name n;
		char why[256] = "";
		g_test_message("%s", bad[i].name);
		g_assert_cmpint(usb_name_parse(bad[i].name, &n, why, sizeof why), ==, -1);
		g_assert_nonnull(strstr(why, bad[i].says));
	}
	/* A name longer than pcscd's own limit. */
	g_autofree char *longname = g_strdup_printf("usb:072F/90CC:name=%0300d", 0);
	usb_name n;
	char why[256] = "";
	g_assert_cmpint(usb_name_parse(longname, &n, why, sizeof why), ==, -1);
	g_assert_nonnull(strstr(why, "longer than"));
}

static void test_describe(void)
{
	usb_name n;
	char why[256] = "", out[160];

	g_assert_cmpint(usb_name_parse("usb:1209/0002:libusb-1.0:1:5:2", &n, why, sizeof why), ==, 0);
	usb_match_describe(&n.match, out, sizeof out);
	g_assert_cmpstr(out, ==, "1209/0002 bus 1 address 5 interface 2");
	g_assert_cmpint(usb_name_parse("usb:1209/0002:serial=S1", &n, why, sizeof why), ==, 0);
	usb_match_describe(&n.match, out, sizeof out);
	g_assert_cmpstr(out, ==, "1209/0002 serial S1");
}

/* A string descriptor of ASCII text (UTF-16LE), as a device sends it. */
static size_t string_desc(const char *text, uint8_t *out)
{
	size_t n = strlen(text);
	out[0] = (uint8_t)(2 + 2 * n);
	out[1] = 3;
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = (uint8_t)text[i];
		out[3 + 2 * i] = 0;
	}
	return 2 + 2 * n;
}

/* issue 20: device strings reached pcscd's log, reader names and
 * `ccidlab list` with their control bytes. */
static void test_strings_are_escaped(void)
{
	uint8_t d[256];
	char out[64];
	size_t n = string_desc("Evil?[31m?\\", d);

	d[2 + 2 * 4] = 0x1B;	/* ESC */
	d[2 + 2 * 9] = 0x0A;	/* a newline */
	g_assert_cmpuint(usb_string_decode(d, n, out, sizeof out), ==, strlen(out));
	g_assert_cmpstr(out, ==, "Evil\\x1B[31m\\x0A\\\\");
	/* Beyond ASCII: '?', as libusb's ASCII reader. */
	d[3] = 0x20;
	usb_string_decode(d, n, out, sizeof out);
	g_assert_cmpstr(out, ==, "?vil\\x1B[31m\\x0A\\\\");
	/* An escape that does not fit is left out whole. */
	usb_string_decode(d, n, out, 7);
	g_assert_cmpstr(out, ==, "?vil");
	/* bLength past what came, a wrong type, nothing at all: empty. */
	d[0] = (uint8_t)(n + 2);
	g_assert_cmpuint(usb_string_decode(d, n, out, sizeof out), ==, 0);
	d[0] = (uint8_t)n;
	d[1] = 2;
	g_assert_cmpuint(usb_string_decode(d, n, out, sizeof out), ==, 0);
	g_assert_cmpuint(usb_string_decode(d, 0, out, sizeof out), ==, 0);
	g_assert_cmpstr(out, ==, "");
	/* An odd bLength: the half unit is dropped. */
	n = string_desc("AB", d);
	d[0] = 5;
	usb_string_decode(d, n, out, sizeof out);
	g_assert_cmpstr(out, ==, "A");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/usb/name/libudev", test_libudev_form);
	g_test_add_func("/usb/name/libusb", test_libusb_form);
	g_test_add_func("/usb/name/plain", test_plain_form_with_keys);
	g_test_add_func("/usb/name/refusals", test_refusals);
	g_test_add_func("/usb/name/describe", test_describe);
	g_test_add_func("/usb/strings/control-bytes-are-escaped", test_strings_are_escaped);
	return g_test_run();
}
