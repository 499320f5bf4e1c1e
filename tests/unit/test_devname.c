/* ccidlab — the DEVICENAME grammar: what it accepts, and how it says no. */
#include <glib.h>
#include <string.h>

#include "ifd/devname.h"

static void test_emu_profile_and_params(void)
{
	ifd_devname dn;
	char why[256] = "";

	g_assert_cmpint(ifd_devname_parse("emu:generic-t1-irq:slots=2:card=readertest", &dn, why,
					  sizeof why), ==, 0);
	g_assert_cmpint(dn.scheme, ==, IFD_DEVNAME_EMU);
	g_assert_cmpstr(dn.profile, ==, "generic-t1-irq");
	g_assert_cmpuint(dn.n_params, ==, 2);
	g_assert_cmpstr(ifd_devname_get(&dn, "slots"), ==, "2");
	g_assert_cmpstr(ifd_devname_get(&dn, "card"), ==, "readertest");
	g_assert_null(ifd_devname_get(&dn, "mode"));
}

static void test_emu_conf_form(void)
{
	ifd_devname dn;
	char why[256] = "";

	g_assert_cmpint(ifd_devname_parse("emu:conf=/etc/ccidlab/lab.conf:reader=bench1", &dn, why,
					  sizeof why), ==, 0);
	g_assert_null(dn.profile);
	g_assert_cmpstr(ifd_devname_get(&dn, "conf"), ==, "/etc/ccidlab/lab.conf");
	g_assert_cmpstr(ifd_devname_get(&dn, "reader"), ==, "bench1");
}

static void test_usb_keeps_the_raw_rest(void)
{
	ifd_devname dn;
	char why[256] = "";

	g_assert_cmpint(ifd_devname_parse("usb:08e6/3437:libudev:0:/dev/bus/usb/008/047", &dn, why,
					  sizeof why), ==, 0);
	g_assert_cmpint(dn.scheme, ==, IFD_DEVNAME_USB);
	g_assert_cmpstr(dn.profile, ==, "08e6/3437:libudev:0:/dev/bus/usb/008/047");
}

typedef struct refusal {
	const char *name;
	const char *why;
} refusal;

static const refusal refusals[] = {
	{ "", "empty DEVICENAME" },
	{ "emu", "no scheme in 'emu'" },
	{ "nope:x", "unknown scheme 'nope' (valid: emu, usb)" },
	{ "emu:", "'emu:' needs a profile or conf=FILE" },
	{ "emu::slots=2", "'emu:' needs a profile or conf=FILE" },
	{ "emu:generic:slots", "field 'slots' is not key=value" },
	{ "emu:generic:=2", "field '=2' is not key=value" },
	{ "emu:generic:slots=1:slots=2", "key 'slots' is given twice" },
	{ "emu:reader=x", "'emu:' needs a profile or conf=FILE before other keys" },
	{ "emu:gen eric", "character ' ' at offset 7 is not allowed" },
	{ "emu:gen\"eric", "character '\"' at offset 7 is not allowed" },
	{ "emu:gen\teric", "byte 0x09 at offset 7 is not allowed" },
};

static void test_refusals_name_token_and_reason(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(refusals); i++) {
		ifd_devname dn;
		char why[256] = "";
		g_test_message("DEVICENAME '%s'", refusals[i].name);
		g_assert_cmpint(ifd_devname_parse(refusals[i].name, &dn, why, sizeof why), ==, -1);
		g_assert_nonnull(strstr(why, refusals[i].why));
	}
}

static void test_null_and_overlong_are_refused(void)
{
	ifd_devname dn;
	char why[256] = "";

	g_assert_cmpint(ifd_devname_parse(NULL, &dn, why, sizeof why), ==, -1);
	char *longname = g_strnfill(IFD_DEVNAME_MAX + 1, 'a');
	memcpy(longname, "emu:", 4);
	g_assert_cmpint(ifd_devname_parse(longname, &dn, why, sizeof why), ==, -1);
	g_assert_nonnull(strstr(why, "at most 256"));
	longname[IFD_DEVNAME_MAX] = '\0';
	g_assert_cmpint(ifd_devname_parse(longname, &dn, why, sizeof why), ==, 0);
	g_free(longname);
}

static void test_too_many_params_are_refused(void)
{
	GString *s = g_string_new("emu:p");
	for (int i = 0; i <= IFD_DEVNAME_MAX_PARAMS; i++)
		g_string_append_printf(s, ":k%d=v", i);
	ifd_devname dn;
	char why[256] = "";
	g_assert_cmpint(ifd_devname_parse(s->str, &dn, why, sizeof why), ==, -1);
	g_assert_nonnull(strstr(why, "more than 32"));
	g_string_free(s, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ifd/devname/emu-profile-and-params", test_emu_profile_and_params);
	g_test_add_func("/ifd/devname/emu-conf-form", test_emu_conf_form);
	g_test_add_func("/ifd/devname/usb-keeps-the-raw-rest", test_usb_keeps_the_raw_rest);
	g_test_add_func("/ifd/devname/refusals-name-token-and-reason",
			test_refusals_name_token_and_reason);
	g_test_add_func("/ifd/devname/null-and-overlong-are-refused",
			test_null_and_overlong_are_refused);
	g_test_add_func("/ifd/devname/too-many-params-are-refused", test_too_many_params_are_refused);
	return g_test_run();
}
