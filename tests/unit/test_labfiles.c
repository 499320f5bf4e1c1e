/* The lab's reader.conf check (src/lab/labfiles.c) follows the lexer of
 * the pcscd that runs: '=' outside quotes only from pcsc-lite 1.8.24 on
 * (1.8.23's token is [A-Za-z0-9\/-._@:]+), quoted values in every version;
 * and the generated DEVICENAMEs (lab_conf_value) load on every version. */
#include "config.h"

#include <string.h>

#include "lab/labfiles.h"

static gboolean ok(const char *v, const char *version)
{
	g_autofree char *why = NULL;
	gboolean r = lab_conf_value_ok(v, version, &why);
	g_assert_true(r == (why == NULL));
	return r;
}

static void equals_outside_quotes_needs_1_8_24(void)
{
	const char *dn = "emu:generic-apdu-irq:name=r1:card=none";
	g_assert_false(ok(dn, "1.8.16"));
	g_assert_false(ok(dn, "1.8.23"));
	g_assert_true(ok(dn, "1.8.24"));
	g_assert_true(ok(dn, "1.9.9"));
	g_assert_true(ok(dn, "2.5.3-1"));
	g_assert_true(ok(dn, NULL)); /* unknown: a current one */
	g_autofree char *why = NULL;
	g_assert_false(lab_conf_value_ok(dn, "1.8.23", &why));
	g_assert_nonnull(strstr(why, "1.8.24"));
	g_assert_nonnull(strstr(why, "\"emu:generic-apdu-irq:name=r1:card=none\""));
}

static void quoted_values_pass_every_version(void)
{
	const char *versions[] = { "1.8.16", "1.8.23", "1.8.24", "2.5.3", NULL };
	for (const char **v = versions; *v != NULL; v++) {
		g_assert_true(ok("\"emu:x:name=a b\"", *v));
		g_assert_true(ok("'emu:x:name=r'", *v));
		g_assert_true(ok("/usr/lib/x/libccidlab.so", *v));
		g_assert_true(ok("usb:1209/0002:libusb-1.0:1:2:0", *v));
		g_assert_true(ok("C:\\\\x", *v));
		g_assert_false(ok("\"emu:x", *v));
		g_assert_false(ok("\"a\"b\"", *v));
		g_assert_false(ok("emu:generic t1", *v));
		g_assert_false(ok("emu:x;y", *v));
	}
}

static void generated_values_load_everywhere(void)
{
	g_autofree char *q = lab_conf_value("emu:generic-apdu-irq:name=r1");
	g_assert_cmpstr(q, ==, "\"emu:generic-apdu-irq:name=r1\"");
	g_assert_true(ok(q, "1.8.16"));
	g_autofree char *plain = lab_conf_value("usb:1209/0002:libusb-1.0:1:2:0");
	g_assert_cmpstr(plain, ==, "usb:1209/0002:libusb-1.0:1:2:0");
}

static void versions_parse_with_debian_suffixes(void)
{
	guint v[3];
	g_assert_true(lab_version_parse("1.8.23", v));
	g_assert_cmpuint(v[0], ==, 1);
	g_assert_cmpuint(v[1], ==, 8);
	g_assert_cmpuint(v[2], ==, 23);
	g_assert_true(lab_version_parse("2.5.3-1", v));
	g_assert_cmpuint(v[2], ==, 3);
	g_assert_true(lab_version_parse("2.0", v));
	g_assert_cmpuint(v[2], ==, 0);
	g_assert_false(lab_version_parse("unknown", v));
	g_assert_false(lab_version_parse(NULL, v));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/labfiles/equals-outside-quotes-needs-1.8.24",
			equals_outside_quotes_needs_1_8_24);
	g_test_add_func("/labfiles/quoted-values-pass-every-version", quoted_values_pass_every_version);
	g_test_add_func("/labfiles/generated-values-load-everywhere", generated_values_load_everywhere);
	g_test_add_func("/labfiles/versions-parse-with-debian-suffixes",
			versions_parse_with_debian_suffixes);
	return g_test_run();
}
