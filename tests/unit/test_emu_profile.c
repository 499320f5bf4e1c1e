/* ccidlab — reader profile tests: the readers.tsv catalogue (every row
 * loads, builds a configuration descriptor that the host parser reads
 * back, and answers the class requests as the real reader did), the
 * lookup forms and their near-match errors, malformed catalogues, the
 * built-in profiles and the emulatable decision.
 *
 * Past 600 lines, whole on purpose: one program for the profile area of
 * src/emu (profile.h), most of its length the catalogue's 773 rows
 * walked once and checked field by field. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ccid/descriptor.h"
#include "ccid/result.h"
#include "emu/profile.h"

static emu_catalogue *catalogue;

static char *data_dir(void)
{
	const char *d = g_getenv("CCIDLAB_DATA");
	if (d != NULL && d[0] != '\0')
		return g_strdup(d);
	const char *top = g_getenv("top_srcdir");
	return g_build_filename(top != NULL ? top : ".", "tests", "data", NULL);
}

static char *readers_path(void)
{
	const char *env = g_getenv("CCIDLAB_READERS_TSV");
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	g_autofree char *dir = data_dir();
	return g_build_filename(dir, "readers.tsv", NULL);
}

static char *fixture(const char *name)
{
	g_autofree char *dir = data_dir();
	return g_build_filename(dir, "emu", name, NULL);
}

static const emu_profile *row(const char *name)
{
	for (size_t i = 0; i < emu_catalogue_size(catalogue); i++) {
		const emu_profile *p = emu_catalogue_get(catalogue, i);
		if (strcmp(p->name, name) == 0)
			return p;
	}
	g_error("no catalogue row %s", name);
	return NULL;
}

static guint32 value_at(const GArray *a, guint i)
{
	return g_array_index(a, guint32, i);
}

/* Builds the profile's configuration descriptor and parses it back with
 * the host's parser: exactly one interface, the same bytes and facts. */
static void check_config_round_trip(const emu_profile *p)
{
	uint8_t buf[EMU_PROFILE_CONFIG_DESC_MAX];
	size_t len = emu_profile_config_descriptor(p, buf, sizeof buf);
	g_assert_cmpuint(len, >, 0);
	g_assert_cmpuint(len, ==, (size_t)(buf[2] | (buf[3] << 8)));

	ccid_interface itf[2];
	size_t n = 0;
	int r = ccid_descriptor_parse_config(buf, len, itf, G_N_ELEMENTS(itf), &n);
	if (r != CCID_OK)
		g_error("%s: config does not parse: %s", p->name, ccid_result_name(r));
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpint(itf[0].has_interrupt_in, ==, p->has_interrupt_in);
	g_assert_cmpint(itf[0].desc_after_endpoints, ==, p->desc_after_endpoints);
	g_assert_cmpuint(itf[0].bInterfaceNumber, ==, p->bInterfaceNumber);
	g_assert_cmphex(itf[0].bInterfaceClass, ==, p->bInterfaceClass);
	g_assert_cmpuint(itf[0].bInterfaceSubClass, ==, p->bInterfaceSubClass);
	g_assert_cmpuint(itf[0].bInterfaceProtocol, ==, p->bInterfaceProtocol);

	ccid_class_desc want;
	g_assert_cmpint(ccid_descriptor_decode_class(p->class_desc, sizeof p->class_desc, &want,
						     NULL),
			==, CCID_OK);
	g_assert_cmpmem(&itf[0].desc, sizeof itf[0].desc, &want, sizeof want);
	if (p->bInterfaceProtocol == 0) {
		g_assert_cmphex(itf[0].bulk_out.bEndpointAddress, ==, 0x01);
		g_assert_cmphex(itf[0].bulk_in.bEndpointAddress, ==, 0x82);
	}
	if (p->has_interrupt_in)
		g_assert_cmphex(itf[0].interrupt_in.bEndpointAddress, ==, 0x83);
}

/* ---- the catalogue ---- */

static void test_catalogue_loads_every_row(void)
{
	g_assert_cmpuint(emu_catalogue_size(catalogue), ==, 773);
	g_assert_null(emu_catalogue_get(catalogue, 773));
	for (size_t i = 0; i < emu_catalogue_size(catalogue); i++) {
		const emu_profile *p = emu_catalogue_get(catalogue, i);
		g_assert_nonnull(p->name);
		g_assert_nonnull(strchr(p->name, ':'));
		g_assert_nonnull(p->description);
		g_assert_nonnull(p->manufacturer);
		g_assert_nonnull(p->product);
		g_assert_nonnull(p->clocks_khz);
		g_assert_nonnull(p->rates_bps);
		g_assert_cmphex(p->class_desc[0], ==, 0x36);
		g_assert_true(p->emulatable == (p->unsupported_reason == NULL));
	}
}

static void test_catalogue_every_row_config_parses_back(void)
{
	for (size_t i = 0; i < emu_catalogue_size(catalogue); i++)
		check_config_round_trip(emu_catalogue_get(catalogue, i));
}

static void test_catalogue_row_facts_match_the_file(void)
{
	const emu_profile *p = row("ACR122U.txt:1");
	g_assert_cmphex(p->idVendor, ==, 0x072F);
	g_assert_cmphex(p->idProduct, ==, 0x90CC);
	g_assert_cmphex(p->bcdDevice, ==, 0x0100);
	g_assert_cmpstr(p->manufacturer, ==, "");
	g_assert_cmpstr(p->product, ==, "CCID USB Reader");
	g_assert_cmphex(p->bInterfaceClass, ==, 0x0B);
	g_assert_true(p->has_interrupt_in);
	g_assert_cmphex(p->class_desc[40], ==, 0x30); /* dwFeatures 0x00010030 */
	g_assert_cmphex(p->class_desc[42], ==, 0x01);
	g_assert_true(p->emulatable);

	g_assert_cmphex(row("Akasa_AK-CR-03.txt:1")->bcdDevice, ==, 0xF0F0);
	/* An old file printed bcdDevice "1.0". */
	g_assert_cmphex(row("HID_Global_Crescendo_Key_0x0028.txt:1")->bcdDevice, ==, 0x0100);
	/* The third interface of a composite device. */
	p = row("ACS_ACR1581.txt:3");
	g_assert_cmpuint(p->bInterfaceNumber, ==, 2);
	g_assert_cmphex(p->idProduct, ==, 0x2301);
	g_assert_nonnull(strstr(p->description, "072F:2301 interface 2"));

	/* The core's quirk table knows where some readers put the class
	 * descriptor; the others keep the standard place. */
	guint after = 0;
	for (size_t i = 0; i < emu_catalogue_size(catalogue); i++)
		after += emu_catalogue_get(catalogue, i)->desc_after_endpoints;
	g_test_message("%u rows put the class descriptor after the endpoints", after);
	g_assert_cmpuint(after, >, 0);
	g_assert_true(row("Oz776S.txt:1")->desc_after_endpoints);
	g_assert_false(row("ACR122U.txt:1")->desc_after_endpoints);
}

static void test_catalogue_replies_follow_the_printed_text(void)
{
	/* "IFD does not support ...": the request stalls. */
	const emu_profile *p = row("ACR122U.txt:1");
	g_assert_false(p->clocks_supported);
	g_assert_false(p->rates_supported);
	g_assert_cmpuint(p->clocks_khz->len, ==, 0);

	/* A list of values. */
	p = row("CardMan3021.txt:1");
	g_assert_true(p->clocks_supported);
	g_assert_cmpuint(p->clocks_khz->len, ==, 4);
	g_assert_cmpuint(value_at(p->clocks_khz, 0), ==, 4000);
	g_assert_cmpuint(value_at(p->clocks_khz, 3), ==, 8000);
	g_assert_true(p->rates_supported);
	g_assert_cmpuint(value_at(p->rates_bps, 0), ==, 10752);

	/* Junk values are kept as the same 32 bits. */
	p = row("Avtor_SecureToken_0x0020.txt:1");
	g_assert_cmpuint(p->clocks_khz->len, ==, 1);
	g_assert_cmphex(value_at(p->clocks_khz, 0), ==, (guint32)(gint32)-217251840);

	/* "wrong size ...": answered, with no whole value. */
	p = row("ASEDrive_IIIe_KB.txt:1");
	g_assert_true(p->clocks_supported);
	g_assert_cmpuint(p->clocks_khz->len, ==, 0);

	/* Nothing printed: treated as a stall. */
	g_assert_false(row("Verisign_secure_token.txt:1")->clocks_supported);

	/* The README's column summary: 235 clock lists + 19 short replies,
	 * 253 rate lists + 23 short replies. */
	guint clocks = 0, rates = 0, max_rates = 0;
	for (size_t i = 0; i < emu_catalogue_size(catalogue); i++) {
		p = emu_catalogue_get(catalogue, i);
		clocks += p->clocks_supported;
		rates += p->rates_supported;
		max_rates = MAX(max_rates, p->rates_bps->len);
	}
	g_assert_cmpuint(clocks, ==, 235 + 19);
	g_assert_cmpuint(rates, ==, 253 + 23);
	g_assert_cmpuint(max_rates, ==, 256);
}

/* Which rows the emulator refuses, and why (issue 4: "only with a stated
 * reason and a test that checks that reason"). */
static void test_catalogue_unsupported_rows_state_their_reason(void)
{
	guint iccd_a = 0, iccd_b = 0, no_proto = 0, other = 0, ok = 0;
	guint char_level = 0;
	for (size_t i = 0; i < emu_catalogue_size(catalogue); i++) {
		const emu_profile *p = emu_catalogue_get(catalogue, i);
		ccid_class_desc d;
		ccid_class_facts f;
		g_assert_cmpint(ccid_descriptor_decode_class(p->class_desc, 54, &d, &f), ==, CCID_OK);
		if (p->emulatable) {
			ok++;
			char_level += f.level == CCID_LEVEL_CHARACTER;
			continue;
		}
		const char *why = p->unsupported_reason;
		if (p->bInterfaceProtocol == 1) {
			g_assert_cmpstr(why, ==, "ICCD version A (bInterfaceProtocol 1) uses the "
						 "control pipe, not CCID bulk messages");
			iccd_a++;
		} else if (p->bInterfaceProtocol == 2) {
			g_assert_cmpstr(why, ==, "ICCD version B (bInterfaceProtocol 2) uses the "
						 "control pipe, not CCID bulk messages");
			iccd_b++;
		} else if (!f.proto_t0 && !f.proto_t1) {
			g_assert_nonnull(strstr(why, "declares neither T=0 nor T=1"));
			no_proto++;
		} else {
			g_test_message("%s: %s", p->name, why);
			other++;
		}
	}
	g_test_message("emulatable %u (character level %u); ICCD-A %u, ICCD-B %u, "
		       "no T=0/T=1 %u, other %u",
		       ok, char_level, iccd_a, iccd_b, no_proto, other);
	/* readers.README.md: 3 ICCD-A and 9 ICCD-B interfaces; MySmartPad
	 * declares dwProtocols 0x300. */
	g_assert_cmpuint(iccd_a, ==, 3);
	g_assert_cmpuint(iccd_b, ==, 9);
	g_assert_cmpuint(no_proto, ==, 1);
	g_assert_cmpuint(other, ==, 0);
	g_assert_cmpuint(ok, ==, 773 - 13);
	/* Character-level CCID rows are served (Winbond, two OZ776). */
	g_assert_cmpuint(char_level, ==, 3);
	g_assert_false(row("MySmartPad.txt:1")->emulatable);
	g_assert_true(row("Oz776S.txt:1")->emulatable);
}

static void test_catalogue_default_path_is_the_environment(void)
{
	g_autofree char *path = readers_path();
	g_autofree char *old = g_strdup(g_getenv("CCIDLAB_READERS_TSV"));
	g_setenv("CCIDLAB_READERS_TSV", path, TRUE);
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_catalogue) c = emu_catalogue_load(NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(emu_catalogue_size(c), ==, 773);

	g_setenv("CCIDLAB_READERS_TSV", "/nonexistent/ccidlab/readers.tsv", TRUE);
	emu_catalogue *missing = emu_catalogue_load(NULL, &err);
	g_assert_null(missing);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(err->message, "/nonexistent/ccidlab/readers.tsv"));
	if (old != NULL)
		g_setenv("CCIDLAB_READERS_TSV", old, TRUE);
	else
		g_unsetenv("CCIDLAB_READERS_TSV");
}

static void test_catalogue_columns_are_found_by_name(void)
{
	g_autofree char *path = fixture("profile-reordered.tsv");
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_catalogue) c = emu_catalogue_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(emu_catalogue_size(c), ==, 5);
	const emu_profile *p = emu_catalogue_get(c, 1);
	const emu_profile *real = row("ACR122U_PICC.txt:1");
	g_assert_cmpstr(p->name, ==, real->name);
	g_assert_cmpstr(p->manufacturer, ==, "ACS");
	g_assert_cmpmem(p->class_desc, 54, real->class_desc, 54);
	g_assert_cmphex(p->bcdDevice, ==, real->bcdDevice);
	g_assert_cmpstr(emu_catalogue_get(c, 4)->name, ==, "ACS_ACR1581.txt:3");
}

static void test_catalogue_accepts_crlf_lines(void)
{
	g_autofree char *src = fixture("profile-reordered.tsv");
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autofree char *crlf = g_strjoinv("\r\n", lines);
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("ccidlab-profile-XXXXXX.tsv", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, crlf, -1, NULL));
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_catalogue) c = emu_catalogue_load(path, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(emu_catalogue_size(c), ==, 5);
	g_assert_false(emu_catalogue_get(c, 0)->rates_supported);
	g_unlink(path);
}

/* ---- malformed catalogues ---- */

typedef struct bad_case {
	const char *file;
	const char *where; /* expected in the message: ":LINE: column NAME" */
} bad_case;

static const bad_case bad_cases[] = {
	{ "profile-bad-hex.tsv", ":3: column descriptor_hex: character 21 is not a hex digit" },
	{ "profile-short-descriptor.tsv", ":4: column descriptor_hex: 106 hex characters" },
	{ "profile-missing-column.tsv", ":1: column data_rates_bps: missing from the header" },
	{ "profile-field-count.tsv", ":3: 37 fields, the header has 38" },
	{ "profile-bad-reply.tsv", ":3: column clocks_khz: value 2 \"abc\"" },
	{ "profile-bad-vid.tsv", ":2: column vid:" },
	{ "profile-interrupt-contradiction.tsv",
	  ":5: column has_interrupt_in: 0 contradicts num_endpoints 3" },
};

static void test_malformed_fixture(gconstpointer data)
{
	const bad_case *bc = data;
	g_autofree char *path = fixture(bc->file);
	g_autoptr(GError) err = NULL;
	emu_catalogue *c = emu_catalogue_load(path, &err);
	g_assert_null(c);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	if (strstr(err->message, bc->where) == NULL)
		g_error("message \"%s\" lacks \"%s\"", err->message, bc->where);
	g_assert_true(g_str_has_prefix(err->message, path));
}

/* A temporary catalogue: the real header, then `body`. */
static char *write_temp(const char *body, size_t body_len)
{
	g_autofree char *src = readers_path();
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
	char *nl = strchr(text, '\n');
	g_assert_nonnull(nl);
	GString *s = g_string_new_len(text, nl + 1 - text);
	g_string_append_len(s, body, (gssize)body_len);
	char *path = NULL;
	int fd = g_file_open_tmp("ccidlab-profile-XXXXXX.tsv", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
	g_string_free(s, TRUE);
	return path;
}

static void expect_parse_error(const char *path, const char *where)
{
	g_autoptr(GError) err = NULL;
	emu_catalogue *c = emu_catalogue_load(path, &err);
	g_assert_null(c);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	if (strstr(err->message, where) == NULL)
		g_error("message \"%s\" lacks \"%s\"", err->message, where);
}

static void test_malformed_overlong_line_is_refused(void)
{
	size_t n = EMU_CATALOGUE_MAX_LINE + 10;
	g_autofree char *body = g_malloc(n + 1);
	memset(body, 'x', n);
	body[n] = '\n';
	g_autofree char *path = write_temp(body, n + 1);
	expect_parse_error(path, ":2: line longer than 65536 bytes");
	g_unlink(path);
}

static void test_malformed_empty_line_nul_and_utf8_are_refused(void)
{
	g_autofree char *p1 = write_temp("\n", 1);
	expect_parse_error(p1, ":2: empty line");
	g_unlink(p1);
	g_autofree char *p2 = write_temp("a\tb\0c\n", 6);
	expect_parse_error(p2, ":2: NUL byte");
	g_unlink(p2);
	g_autofree char *p3 = write_temp("x\n\xff\xfe\n", 5);
	expect_parse_error(p3, ":3: text is not valid UTF-8");
	g_unlink(p3);
}

static void test_malformed_duplicate_row_is_refused(void)
{
	g_autofree char *src = readers_path();
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(text, "\n", 3);
	g_autofree char *body = g_strdup_printf("%s\n%s\n", lines[1], lines[1]);
	g_autofree char *path = write_temp(body, strlen(body));
	expect_parse_error(path, ":3: column iface_ordinal: duplicate profile ACR122U.txt:1");
	g_unlink(path);
}

static void test_malformed_oversized_file_is_refused(void)
{
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("ccidlab-profile-XXXXXX.tsv", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	/* A sparse file: no 16 MiB written to disk. */
	g_assert_cmpint(ftruncate(fd, EMU_CATALOGUE_MAX_FILE + 1), ==, 0);
	close(fd);
	g_autoptr(GError) err = NULL;
	emu_catalogue *c = emu_catalogue_load(path, &err);
	g_assert_null(c);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_PARSE);
	g_assert_nonnull(strstr(err->message, "larger than"));
	g_unlink(path);
}

static void test_malformed_empty_file_is_refused(void)
{
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("ccidlab-profile-XXXXXX.tsv", &path, NULL);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	expect_parse_error(path, ":1: empty file");
	g_unlink(path);
}

/* ---- lookup ---- */

static void expect_find(const char *key, const char *name)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_profile) p = emu_catalogue_find(catalogue, key, &err);
	g_assert_no_error(err);
	g_assert_nonnull(p);
	g_assert_cmpstr(p->name, ==, name);
}

static void test_find_every_key_form(void)
{
	expect_find("generic-apdu-irq", "generic-apdu-irq");
	expect_find("GENERIC-PINPAD", "generic-pinpad");
	expect_find("ACS_ACR1581.txt:2", "ACS_ACR1581.txt:2");
	expect_find("acs_acr1581.TXT:3", "ACS_ACR1581.txt:3");
	expect_find("ACS_ACR1581.txt", "ACS_ACR1581.txt:1");
	expect_find("ACS_ACR1581", "ACS_ACR1581.txt:1");
	expect_find("ACS_ACR1581:3", "ACS_ACR1581.txt:3");
	expect_find("072F:2301", "ACS_ACR1581.txt:1");
	expect_find("0x072f:0X2301", "ACS_ACR1581.txt:1");
	expect_find("072f:2301:2", "ACS_ACR1581.txt:3");
	expect_find("0x072F:0x2301:0x1", "ACS_ACR1581.txt:2");
	/* Several files describe 072F:90CC: the first row in file order. */
	expect_find("072F:90CC", "ACR122U.txt:1");
	expect_find("072F:90CC:0", "ACR122U.txt:1");
}

static void test_find_returns_a_copy(void)
{
	g_autoptr(emu_profile) a = emu_catalogue_find(catalogue, "ACR122U.txt:1", NULL);
	g_assert_nonnull(a);
	g_assert_true(a != row("ACR122U.txt:1"));
	g_free(a->product);
	a->product = g_strdup("changed");
	g_assert_cmpstr(row("ACR122U.txt:1")->product, ==, "CCID USB Reader");
}

static void test_find_without_catalogue_knows_builtins(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_profile) p = emu_catalogue_find(NULL, "generic-t1-irq", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(p->name, ==, "generic-t1-irq");
	emu_profile *q = emu_catalogue_find(NULL, "ACR122U.txt", &err);
	g_assert_null(q);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_NOT_FOUND);
}

static void expect_miss(const char *key, const char *const *near, const char *absent)
{
	g_autoptr(GError) err = NULL;
	emu_profile *p = emu_catalogue_find(catalogue, key, &err);
	g_assert_null(p);
	g_assert_error(err, EMU_ERROR, EMU_ERROR_NOT_FOUND);
	g_test_message("%s -> %s", key, err->message);
	g_assert_nonnull(strstr(err->message, key));
	for (; near != NULL && *near != NULL; near++)
		if (strstr(err->message, *near) == NULL)
			g_error("\"%s\" lacks \"%s\"", err->message, *near);
	if (absent != NULL)
		g_assert_null(strstr(err->message, absent));
}

static guint count_commas(const char *s)
{
	guint n = 0;
	for (; *s != '\0'; s++)
		n += *s == ',';
	return n;
}

static void test_find_miss_lists_near_matches(void)
{
	/* Same VID:PID first, then the same VID, at most 5. */
	static const char *const same_ids[] = { "near matches: ACS_ACR1581.txt:1, "
						"ACS_ACR1581.txt:2, ACS_ACR1581.txt:3",
						NULL };
	expect_miss("072F:2301:9", same_ids, NULL);
	g_autoptr(GError) err = NULL;
	g_assert_null(emu_catalogue_find(catalogue, "072F:FFFF", &err));
	g_assert_cmpuint(count_commas(strstr(err->message, "near matches:")), ==, 4);

	/* A name: source, product or manufacturer substrings. */
	static const char *const by_name[] = { "ACR122U.txt:1", NULL };
	expect_miss("acr122", by_name, NULL);
	/* A missing ordinal lists the file's rows. */
	static const char *const ordinal[] = { "ACS_ACR1581.txt:1", NULL };
	expect_miss("ACS_ACR1581.txt:7", ordinal, NULL);
	static const char *const builtin[] = { "generic-apdu-irq", "generic-ext-multi", NULL };
	expect_miss("generic", builtin, NULL);
	static const char *const none[] = { "no near match", NULL };
	expect_miss("zzzz-no-such-reader", none, NULL);
	expect_miss("FFF0:FFF0", none, NULL);

	g_clear_error(&err);
	g_assert_null(emu_catalogue_find(catalogue, "", &err));
	g_assert_error(err, EMU_ERROR, EMU_ERROR_NOT_FOUND);
}

/* ---- built-in profiles ---- */

typedef struct builtin_want {
	const char *name;
	ccid_exchange_level level;
	unsigned slots, busy;
	bool irq, t0, t1, pin_verify, pin_modify, rates_supported;
	uint32_t max_msg;
} builtin_want;

static const builtin_want builtin_wants[] = {
	{ "generic-apdu-irq", CCID_LEVEL_SHORT_APDU, 1, 1, true, true, true, false, false, true, 271 },
	{ "generic-t1-irq", CCID_LEVEL_TPDU, 1, 1, true, true, true, false, false, true, 271 },
	{ "generic-short-poll", CCID_LEVEL_SHORT_APDU, 1, 1, false, true, true, false, false, false, 271 },
	{ "generic-ext-multi", CCID_LEVEL_EXTENDED_APDU, 4, 2, true, true, true, false, false, true, 1034 },
	{ "generic-pinpad", CCID_LEVEL_SHORT_APDU, 1, 1, true, true, true, true, true, true, 271 },
	{ "generic-char-t0", CCID_LEVEL_CHARACTER, 1, 1, true, true, false, false, false, true, 271 },
};

static void test_builtins_have_their_shapes(void)
{
	const char *const *names = emu_profile_builtin_names();
	guint n = 0;
	for (; names[n] != NULL; n++)
		g_assert_cmpstr(names[n], ==, builtin_wants[n].name);
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(builtin_wants));

	for (guint i = 0; i < n; i++) {
		const builtin_want *w = &builtin_wants[i];
		g_autoptr(emu_profile) p = emu_profile_builtin(w->name);
		g_assert_nonnull(p);
		g_assert_cmpstr(p->name, ==, w->name);
		g_assert_cmphex(p->idVendor, ==, 0x1209);
		g_assert_true(p->emulatable);
		g_assert_null(p->unsupported_reason);
		ccid_class_desc d;
		ccid_class_facts f;
		g_assert_cmpint(ccid_descriptor_decode_class(p->class_desc, 54, &d, &f), ==, CCID_OK);
		g_assert_cmphex(f.level, ==, w->level);
		g_assert_false(f.level_ambiguous);
		g_assert_cmpuint(f.slot_count, ==, w->slots);
		g_assert_cmpuint(f.busy_slots, ==, w->busy);
		g_assert_cmpint(p->has_interrupt_in, ==, w->irq);
		g_assert_cmpint(f.proto_t0, ==, w->t0);
		g_assert_cmpint(f.proto_t1, ==, w->t1);
		g_assert_cmpint(f.pin_verify, ==, w->pin_verify);
		g_assert_cmpint(f.pin_modify, ==, w->pin_modify);
		g_assert_cmpuint(d.dwMaxCCIDMessageLength, ==, w->max_msg);
		g_assert_true(f.volt_5v && f.volt_3v && f.volt_1v8);
		g_assert_true(f.short_apdu_fits);
		/* The replies agree with the counts the descriptor declares. */
		g_assert_true(p->clocks_supported);
		g_assert_cmpuint(p->clocks_khz->len, ==, d.bNumClockSupported);
		g_assert_cmpuint(value_at(p->clocks_khz, 0), ==, d.dwDefaultClock);
		g_assert_cmpint(p->rates_supported, ==, w->rates_supported);
		g_assert_cmpuint(p->rates_bps->len, ==, d.bNumDataRatesSupported);
		if (p->rates_supported) {
			g_assert_cmpuint(value_at(p->rates_bps, 0), ==, d.dwDataRate);
			g_assert_cmpuint(value_at(p->rates_bps, p->rates_bps->len - 1), ==,
					 d.dwMaxDataRate);
		}
		check_config_round_trip(p);
	}
	g_autoptr(emu_profile) pin = emu_profile_builtin("generic-pinpad");
	ccid_class_facts f;
	ccid_class_desc d;
	ccid_descriptor_decode_class(pin->class_desc, 54, &d, &f);
	g_assert_cmpuint(f.lcd_lines, ==, 2);
	g_assert_cmpuint(f.lcd_chars, ==, 16);
	g_assert_cmpuint(d.dwMaxIFSD, ==, 254);

	g_assert_null(emu_profile_builtin("generic-nothing"));
	g_assert_null(emu_profile_builtin(NULL));
}

/* ---- profile life cycle and descriptor building ---- */

static void test_copy_is_deep_and_equal(void)
{
	g_autoptr(emu_profile) a = emu_profile_builtin("generic-ext-multi");
	g_autoptr(emu_profile) b = emu_profile_copy(a);
	g_assert_cmpstr(a->name, ==, b->name);
	g_assert_true(a->name != b->name);
	g_assert_true(a->rates_bps != b->rates_bps);
	g_assert_cmpmem(a->rates_bps->data, a->rates_bps->len * 4, b->rates_bps->data,
			b->rates_bps->len * 4);
	g_assert_cmpmem(a->class_desc, 54, b->class_desc, 54);
	g_assert_null(emu_profile_copy(NULL));
	emu_profile_free(NULL);

	g_autoptr(emu_profile) u = emu_profile_copy(row("e-gate.txt:1"));
	g_assert_false(u->emulatable);
	g_assert_cmpstr(u->unsupported_reason, ==, row("e-gate.txt:1")->unsupported_reason);
}

static void test_config_refuses_a_small_buffer(void)
{
	g_autoptr(emu_profile) p = emu_profile_builtin("generic-apdu-irq");
	uint8_t buf[EMU_PROFILE_CONFIG_DESC_MAX];
	g_assert_cmpuint(emu_profile_config_descriptor(p, buf, sizeof buf), ==, 93);
	g_assert_cmpuint(emu_profile_config_descriptor(p, buf, 92), ==, 0);
	g_assert_cmpuint(emu_profile_config_descriptor(p, NULL, 100), ==, 0);
	g_assert_cmpuint(emu_profile_config_descriptor(NULL, buf, sizeof buf), ==, 0);
	/* Configuration, interface (3 endpoints), class descriptor. */
	g_assert_cmphex(buf[1], ==, 0x02);
	g_assert_cmphex(buf[9 + 1], ==, 0x04);
	g_assert_cmpuint(buf[9 + 4], ==, 3);
	g_assert_cmphex(buf[18 + 1], ==, 0x21);

	g_autoptr(emu_profile) q = emu_profile_builtin("generic-short-poll");
	g_assert_cmpuint(emu_profile_config_descriptor(q, buf, sizeof buf), ==, 86);
	g_assert_cmpuint(buf[9 + 4], ==, 2);
}

static void test_config_can_put_the_class_descriptor_after_endpoints(void)
{
	g_autoptr(emu_profile) p = emu_profile_builtin("generic-t1-irq");
	p->desc_after_endpoints = true;
	check_config_round_trip(p);
	uint8_t buf[EMU_PROFILE_CONFIG_DESC_MAX];
	size_t len = emu_profile_config_descriptor(p, buf, sizeof buf);
	g_assert_cmphex(buf[18 + 1], ==, 0x05);         /* an endpoint first */
	g_assert_cmphex(buf[len - 54 + 1], ==, 0x21);   /* the class descriptor last */
}

static void test_judge_explains_each_refusal(void)
{
	g_autoptr(emu_profile) p = emu_profile_builtin("generic-apdu-irq");
	g_assert_true(emu_profile_judge(p, true));

	g_assert_false(emu_profile_judge(p, false));
	g_assert_nonnull(strstr(p->unsupported_reason, "no bulk-IN and bulk-OUT"));

	p->class_desc[1] = 0x22; /* neither 0x21 nor 0xFF */
	g_assert_false(emu_profile_judge(p, true));
	g_assert_nonnull(strstr(p->unsupported_reason, "does not decode"));
	p->class_desc[1] = 0x21;

	p->class_desc[6] = 0; /* dwProtocols 0 */
	g_assert_false(emu_profile_judge(p, true));
	g_assert_cmpstr(p->unsupported_reason, ==, "dwProtocols 0x00000000 declares neither T=0 nor T=1");
	p->class_desc[6] = 3;

	p->class_desc[44] = 10; /* dwMaxCCIDMessageLength 10 */
	p->class_desc[45] = 0;
	g_assert_false(emu_profile_judge(p, true));
	g_assert_nonnull(strstr(p->unsupported_reason, "dwMaxCCIDMessageLength 10"));
	p->class_desc[44] = 0x0F;
	p->class_desc[45] = 0x01;

	p->bInterfaceProtocol = 7;
	g_assert_false(emu_profile_judge(p, true));
	g_assert_nonnull(strstr(p->unsupported_reason, "bInterfaceProtocol 7"));
	p->bInterfaceProtocol = 0;
	g_assert_true(emu_profile_judge(p, true));
	g_assert_null(p->unsupported_reason);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_autofree char *path = readers_path();
	g_autoptr(GError) err = NULL;
	catalogue = emu_catalogue_load(path, &err);
	g_assert_no_error(err);

	g_test_add_func("/emu/profile/catalogue/loads-all-773-rows", test_catalogue_loads_every_row);
	g_test_add_func("/emu/profile/catalogue/every-row-config-parses-back-to-its-descriptor",
			test_catalogue_every_row_config_parses_back);
	g_test_add_func("/emu/profile/catalogue/row-facts-match-the-file",
			test_catalogue_row_facts_match_the_file);
	g_test_add_func("/emu/profile/catalogue/replies-follow-the-printed-text",
			test_catalogue_replies_follow_the_printed_text);
	g_test_add_func("/emu/profile/catalogue/unsupported-rows-state-their-reason",
			test_catalogue_unsupported_rows_state_their_reason);
	g_test_add_func("/emu/profile/catalogue/default-path-is-the-environment",
			test_catalogue_default_path_is_the_environment);
	g_test_add_func("/emu/profile/catalogue/columns-are-found-by-name",
			test_catalogue_columns_are_found_by_name);
	g_test_add_func("/emu/profile/catalogue/accepts-crlf-lines", test_catalogue_accepts_crlf_lines);
	for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree char *name =
			g_strdup_printf("/emu/profile/malformed/%s-names-line-and-column", bad_cases[i].file);
		g_test_add_data_func(name, &bad_cases[i], test_malformed_fixture);
	}
	g_test_add_func("/emu/profile/malformed/overlong-line-is-refused",
			test_malformed_overlong_line_is_refused);
	g_test_add_func("/emu/profile/malformed/empty-line-nul-and-bad-utf8-are-refused",
			test_malformed_empty_line_nul_and_utf8_are_refused);
	g_test_add_func("/emu/profile/malformed/duplicate-row-is-refused",
			test_malformed_duplicate_row_is_refused);
	g_test_add_func("/emu/profile/malformed/oversized-file-is-refused",
			test_malformed_oversized_file_is_refused);
	g_test_add_func("/emu/profile/malformed/empty-file-is-refused",
			test_malformed_empty_file_is_refused);
	g_test_add_func("/emu/profile/find/every-key-form-case-and-0x", test_find_every_key_form);
	g_test_add_func("/emu/profile/find/returns-a-copy", test_find_returns_a_copy);
	g_test_add_func("/emu/profile/find/without-catalogue-knows-builtins",
			test_find_without_catalogue_knows_builtins);
	g_test_add_func("/emu/profile/find/miss-lists-near-matches", test_find_miss_lists_near_matches);
	g_test_add_func("/emu/profile/builtin/each-has-its-shape", test_builtins_have_their_shapes);
	g_test_add_func("/emu/profile/copy-is-deep-and-equal", test_copy_is_deep_and_equal);
	g_test_add_func("/emu/profile/config/refuses-a-small-buffer", test_config_refuses_a_small_buffer);
	g_test_add_func("/emu/profile/config/class-descriptor-after-endpoints-parses-back",
			test_config_can_put_the_class_descriptor_after_endpoints);
	g_test_add_func("/emu/profile/judge/explains-each-refusal", test_judge_explains_each_refusal);

	int rc = g_test_run();
	emu_catalogue_free(catalogue);
	return rc;
}
