/* ccidlab — unit tests of the USB transfer faults' description
 * (emu/usbfault.h): the string form both ways, the pipes each kind
 * applies to, and the errors that name what is wrong.
 */
#include "config.h"

#include <string.h>

#include "emu/fault.h"
#include "emu/profile.h"
#include "emu/usbfault.h"

static void parses(const char *s, const char *canonical)
{
	emu_usb_fault f;
	g_autoptr(GError) err = NULL;
	char buf[64];

	g_assert_true(emu_usb_fault_parse(s, &f, &err));
	g_assert_no_error(err);
	emu_usb_fault_format(&f, buf, sizeof buf);
	g_assert_cmpstr(buf, ==, canonical);
}

static void refuses(const char *s, const char *why)
{
	emu_usb_fault f = { 0 };
	g_autoptr(GError) err = NULL;

	g_assert_false(emu_usb_fault_parse(s, &f, &err));
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	if (strstr(err->message, why) == NULL)
		g_error("\"%s\": \"%s\" does not say \"%s\"", s, err->message, why);
}

static void test_string_form(void)
{
	parses("stall", "stall/bulk-in");
	parses("stall/control@1", "stall/control@1");
	parses("nak/bulk-out@3", "nak/bulk-out@3");
	parses("short", "short/bulk-in:5");
	parses("short/interrupt:0x10@2", "short/interrupt:16@2");
	parses("short=7@1", "short/bulk-in:7@1");	/* '=' for ':' in CCIDLAB_USBSIM */
	parses("zlp/interrupt", "zlp/interrupt");
	parses("babble@1", "babble/bulk-in@1");
	parses("disconnect/interrupt", "disconnect/interrupt:100");
	parses("disconnect:2500", "disconnect/bulk-in:2500");
	parses("notify/interrupt@100000", "notify/interrupt@100000");
}

static void test_errors_name_the_problem(void)
{
	refuses("melt", "unknown USB fault kind \"melt\"");
	refuses("stall/bulk", "unknown pipe \"bulk\"");
	refuses("short/bulk-out", "does not apply to the bulk-out pipe");
	refuses("zlp/control", "does not apply to the control pipe");
	refuses("babble/bulk-out@1", "IN pipes only");
	refuses("stall:3", "stall takes no argument");
	refuses("short:70000", "not a number 0..65535");
	refuses("nak@0", "count \"0\"");
	refuses("nak@x", "count \"x\"");
	refuses("disconnect:-1", "not a number");
	refuses("notify", "does not apply to the bulk-in pipe");
	g_autofree char *longer = g_strnfill(80, 'a');
	refuses(longer, "too long");
}

static void test_pipes_and_names(void)
{
	for (unsigned k = 0; k < EMU_USB_FAULT_KIND_COUNT; k++) {
		emu_usb_fault_kind back;
		const char *name = emu_usb_fault_kind_name((emu_usb_fault_kind)k);
		g_assert_true(emu_usb_fault_kind_from_name(name, &back));
		g_assert_cmpint(back, ==, k);
		g_assert_nonnull(strstr(emu_usb_fault_kind_names(), name));
		/* Every kind acts on the interrupt pipe, all but notify on
		 * bulk-IN too. */
		g_assert_true(k == EMU_USB_FAULT_NOTIFY ||
			      emu_usb_fault_applies((emu_usb_fault_kind)k, EMU_USB_PIPE_BULK_IN));
		g_assert_true(emu_usb_fault_applies((emu_usb_fault_kind)k, EMU_USB_PIPE_INTERRUPT));
	}
	g_assert_cmpstr(emu_usb_fault_kind_name(EMU_USB_FAULT_KIND_COUNT), ==, "unknown");
	g_assert_cmpstr(emu_usb_pipe_name(EMU_USB_PIPE_COUNT), ==, "unknown");
	g_assert_false(emu_usb_fault_applies(EMU_USB_FAULT_SHORT, EMU_USB_PIPE_CONTROL));
	g_assert_true(emu_usb_fault_applies(EMU_USB_FAULT_DISCONNECT, EMU_USB_PIPE_CONTROL));
	/* The kind word the control plane dispatches on. */
	g_assert_cmpuint(emu_fault_kind_len("stall/bulk-in@1"), ==, 5);
	g_assert_cmpuint(emu_fault_kind_len("slow:500@3"), ==, 4);
	g_assert_cmpuint(emu_fault_kind_len("short=3"), ==, 5);
	/* No USB kind shares a name with an emulator fault kind. */
	for (unsigned k = 0; k < EMU_USB_FAULT_KIND_COUNT; k++) {
		emu_fault_kind ek;
		g_assert_false(emu_fault_kind_from_name(
			emu_usb_fault_kind_name((emu_usb_fault_kind)k), &ek));
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/emu/usbfault/string-form", test_string_form);
	g_test_add_func("/emu/usbfault/errors-name-the-problem", test_errors_name_the_problem);
	g_test_add_func("/emu/usbfault/pipes-and-names", test_pipes_and_names);
	return g_test_run();
}
