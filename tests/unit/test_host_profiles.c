/* ccidlab — every reader of the catalogue (readers.tsv) instantiates and,
 * through the host engine, answers PowerOn, GetSlotStatus and one case-4
 * APDU byte-exact on each slot (issue 4, "Profiles").  The rows the
 * emulator refuses must say why, and the reason is checked. */
#include <string.h>

#include <glib.h>

#include "host_emu_fixture.h"

static const char *tsv_path(void)
{
	const char *p = g_getenv("CCIDLAB_READERS_TSV");
	static char buf[4096];
	if (p != NULL)
		return p;
	g_snprintf(buf, sizeof buf, "%s/tests/data/readers.tsv",
		   g_getenv("top_srcdir") ? g_getenv("top_srcdir") : ".");
	return buf;
}

/* T=1 when the reader runs it, else T=0.  At character level the host
 * engine runs T=0 only (T=1 there is refused with CCID_E_UNSUPPORTED), so
 * those readers get a T=0 card. */
static const char *card_for(const emu_profile *p)
{
	uint32_t protocols = (uint32_t)p->class_desc[6] | (uint32_t)p->class_desc[7] << 8;
	uint32_t features = (uint32_t)p->class_desc[40] | (uint32_t)p->class_desc[41] << 8 |
			    (uint32_t)p->class_desc[42] << 16;
	bool character = (features & 0x70000) == 0;
	return protocols & 2 && !(character && protocols & 1) ? "readertest,t1" : "readertest,t0";
}

static int case4(host_reader *h, unsigned slot)
{
	uint8_t apdu[5 + 16 + 1] = { 0x80, 0x36, 0x00, 0x10, 0x10 };
	uint8_t rsp[64];
	size_t n = 0;

	for (int i = 0; i < 16; i++)
		apdu[5 + i] = (uint8_t)i;
	apdu[21] = 0x10;
	int rc = host_slot_transmit(h, slot, apdu, sizeof apdu, rsp, sizeof rsp, &n);
	if (rc != CCID_OK)
		return rc;
	if (n != 18 || rsp[16] != 0x90 || rsp[17] != 0x00)
		return CCID_E_PROTOCOL;
	for (int i = 0; i < 16; i++)
		if (rsp[i] != i)
			return CCID_E_PROTOCOL;
	return CCID_OK;
}

static int exercise(const emu_profile *p, GString *log)
{
	host_emu he;
	host_emu_open(&he, p, card_for(p));
	int rc = CCID_OK;
	for (unsigned s = 0; s < host_reader_slots(he.host) && rc == CCID_OK; s++) {
		ccid_icc_status icc;
		size_t atr_len = 0;
		if ((rc = host_slot_power_on(he.host, s, NULL, 0, &atr_len)) != CCID_OK)
			g_string_append_printf(log, "%s slot %u: power on: %s\n", p->name, s,
					       ccid_result_name(rc));
		else if ((rc = host_slot_status(he.host, s, &icc)) != CCID_OK || icc != CCID_ICC_ACTIVE)
			g_string_append_printf(log, "%s slot %u: status %s/%d\n", p->name, s,
					       ccid_result_name(rc), icc), rc = CCID_E_PROTOCOL;
		else if ((rc = select_readertest(he.host, s)) != CCID_OK || (rc = case4(he.host, s)) != CCID_OK)
			g_string_append_printf(log, "%s slot %u: APDU: %s\n", p->name, s,
					       ccid_result_name(rc));
	}
	host_emu_close(&he);
	return rc;
}

static void test_every_row(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_catalogue) cat = emu_catalogue_load(tsv_path(), &err);
	g_autoptr(GString) log = g_string_new(NULL);
	unsigned ok = 0, refused = 0, failed = 0;

	g_assert_no_error(err);
	for (size_t i = 0; i < emu_catalogue_size(cat); i++) {
		const emu_profile *p = emu_catalogue_get(cat, i);
		if (!p->emulatable) {
			/* Only ICCD interfaces and a reader with no T=0/T=1 are refused. */
			g_assert_nonnull(p->unsupported_reason);
			g_assert_true(strstr(p->unsupported_reason, "ICCD") != NULL ||
				      strstr(p->unsupported_reason, "neither T=0 nor T=1") != NULL);
			refused++;
			continue;
		}
		if (exercise(p, log) == CCID_OK)
			ok++;
		else
			failed++;
	}
	g_test_message("%u rows answered, %u refused with a reason, %u failed", ok, refused, failed);
	if (failed)
		g_test_message("%s", log->str);
	g_assert_cmpuint(failed, ==, 0);
	g_assert_cmpuint(ok + refused, ==, 773);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/host/profiles/every-catalogue-row-answers-power-status-and-case4",
			test_every_row);
	return g_test_run();
}
