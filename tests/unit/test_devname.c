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

/* pcscd before 1.8.24 takes '=' only inside quotes, and every version
 * hands a quoted DEVICENAME over with its quotes (issue 16). */
static void test_enclosing_quotes_are_removed(void)
{
	static const char *const names[] = {
		"\"emu:generic-t1-irq:slots=2:card=readertest@t1\"",
		"'emu:generic-t1-irq:slots=2:card=readertest@t1'",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		ifd_devname dn;
		char why[256] = "";
		g_assert_cmpint(ifd_devname_parse(names[i], &dn, why, sizeof why), ==, 0);
		g_assert_cmpstr(dn.text, ==, "emu:generic-t1-irq:slots=2:card=readertest@t1");
		g_assert_cmpstr(dn.profile, ==, "generic-t1-irq");
		g_assert_cmpstr(ifd_devname_get(&dn, "card"), ==, "readertest@t1");
	}
}

/* Paths in a DEVICENAME (issue 17): the documented card=script:FILE form,
 * "\:" for a colon inside a value, and spaces inside quotes. */
static void test_card_files_and_escapes(void)
{
	ifd_devname dn;
	char why[256] = "";

	g_assert_cmpint(ifd_devname_parse("emu:generic:card=script:/etc/a.scr@t1:card1=files:/f/d.ini"
					  ":name=x", &dn, why, sizeof why), ==, 0);
	g_assert_cmpstr(ifd_devname_get(&dn, "card"), ==, "script:/etc/a.scr@t1");
	g_assert_cmpstr(ifd_devname_get(&dn, "card1"), ==, "files:/f/d.ini");
	g_assert_cmpstr(ifd_devname_get(&dn, "name"), ==, "x");
	g_assert_cmpuint(dn.n_params, ==, 3);

	g_assert_cmpint(ifd_devname_parse("emu:generic:scenario=/x\\:y/s\\\\n.scn:card=script\\:/a\\:b",
					  &dn, why, sizeof why), ==, 0);
	g_assert_cmpstr(ifd_devname_get(&dn, "scenario"), ==, "/x:y/s\\n.scn");
	g_assert_cmpstr(ifd_devname_get(&dn, "card"), ==, "script:/a:b");

	g_assert_cmpint(ifd_devname_parse("\"emu:generic:card=files:/my cards/d.ini:name=a b\"", &dn,
					  why, sizeof why), ==, 0);
	g_assert_cmpstr(ifd_devname_get(&dn, "card"), ==, "files:/my cards/d.ini");
	g_assert_cmpstr(ifd_devname_get(&dn, "name"), ==, "a b");

	g_assert_cmpint(ifd_devname_parse("emu:conf=/l\\:ab.conf:reader=r1", &dn, why, sizeof why), ==, 0);
	g_assert_cmpstr(ifd_devname_get(&dn, "conf"), ==, "/l:ab.conf");
	g_assert_cmpstr(ifd_devname_get(&dn, "reader"), ==, "r1");
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
	{ "\"emu:gen\teric\"", "byte 0x09 at offset 8 is not allowed" },
	{ "\"emu:gen\"ic\"", "character '\"' at offset 8 is not allowed" },
	{ "\"emu:generic", "character '\"' at offset 0 is not allowed" },
	{ "emu:generic:card=readertest:/tmp/x", "field '/tmp/x' is not key=value" },
	{ "emu:generic:card=script:", "field '' is not key=value" },
	{ "\"nope\"", "no scheme in 'nope'" },
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
	g_test_add_func("/ifd/devname/enclosing-quotes-are-removed",
			test_enclosing_quotes_are_removed);
	g_test_add_func("/ifd/devname/card-files-and-escapes", test_card_files_and_escapes);
	g_test_add_func("/ifd/devname/usb-keeps-the-raw-rest", test_usb_keeps_the_raw_rest);
	g_test_add_func("/ifd/devname/refusals-name-token-and-reason",
			test_refusals_name_token_and_reason);
	g_test_add_func("/ifd/devname/null-and-overlong-are-refused",
			test_null_and_overlong_are_refused);
	g_test_add_func("/ifd/devname/too-many-params-are-refused", test_too_many_params_are_refused);
	return g_test_run();
}
