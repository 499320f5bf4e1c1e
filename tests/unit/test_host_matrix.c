/* ccidlab — the matrix of issue 4: the host engine (src/host, over the
 * CCID core) against the emulated reader, in process.  Axes: exchange
 * level (TPDU, short, extended, character) x card protocol (T=0, T=1) x
 * readertest cases 1-4 at every short length, and extended lengths sampled
 * with the boundaries.  Every response byte-exact; a time request shows
 * time extensions or WTX at the host. */
#include <string.h>

#include <glib.h>

#include "host_emu_fixture.h"

typedef struct axis {
	const char *profile;
	const char *card;
	bool extended;		/* the level carries extended APDUs */
} axis;

static const axis axes[] = {
	{ "generic-t1-irq", "readertest,t0", false },
	{ "generic-t1-irq", "readertest,t1", true },	/* T=1 chains any length */
	{ "generic-apdu-irq", "readertest,t0", false },
	{ "generic-apdu-irq", "readertest,t1", false },
	{ "generic-ext-multi", "readertest,t0", true },
	{ "generic-ext-multi", "readertest,t1", true },
	{ "generic-char-t0", "readertest,t0", false },
};

static const size_t ext_lengths[] = { 1, 2, 255, 256, 257, 261, 262, 1014, 1015, 1016, 1024,
				      4096, 20000, 65534, 65535 };

/* One APDU; the expected answer is `want_len` bytes of the pattern + 9000. */
static void expect(host_reader *h, const uint8_t *apdu, size_t len, size_t want_len,
		   const char *what, size_t n)
{
	g_autofree uint8_t *rsp = g_malloc(65538);
	size_t got = 0;
	int rc = host_slot_transmit(h, 0, apdu, len, rsp, 65538, &got);
	if (rc != CCID_OK)
		g_error("%s length %zu: %s", what, n, ccid_result_name(rc));
	if (got != want_len + 2 || rsp[got - 2] != 0x90 || rsp[got - 1] != 0x00)
		g_error("%s length %zu: %zu bytes, SW %02X%02X", what, n, got,
			got >= 2 ? rsp[got - 2] : 0, got >= 2 ? rsp[got - 1] : 0);
	for (size_t i = 0; i < want_len; i++)
		if (rsp[i] != (uint8_t)i)
			g_error("%s length %zu: byte %zu is %02X", what, n, i, rsp[i]);
}

static void short_cases(host_reader *h)
{
	uint8_t apdu[5 + 255 + 1];
	static const uint8_t case1[] = { 0x80, 0x30, 0x00, 0x00 };

	expect(h, case1, sizeof case1, 0, "case 1", 0);
	for (size_t n = 1; n <= 256; n++) {
		uint8_t p1 = (uint8_t)(n >> 8), p2 = (uint8_t)n;
		uint8_t le = (uint8_t)n;	/* 256 is Le 00 */
		uint8_t c2[] = { 0x80, 0x34, p1, p2, le };
		expect(h, c2, sizeof c2, n, "case 2", n);
		if (n == 256)
			break;
		uint8_t hdr3[] = { 0x80, 0x32, 0x00, 0x00, (uint8_t)n };
		memcpy(apdu, hdr3, 5);
		for (size_t i = 0; i < n; i++)
			apdu[5 + i] = (uint8_t)i;
		expect(h, apdu, 5 + n, 0, "case 3", n);
		apdu[1] = 0x36;
		apdu[2] = p1;
		apdu[3] = p2;
		apdu[5 + n] = le;
		expect(h, apdu, 6 + n, n, "case 4", n);
	}
}

static void extended_cases(host_reader *h)
{
	g_autofree uint8_t *apdu = g_malloc(7 + 65535 + 2);

	for (size_t k = 0; k < G_N_ELEMENTS(ext_lengths); k++) {
		size_t n = ext_lengths[k];
		uint8_t p1 = (uint8_t)(n >> 8), p2 = (uint8_t)n;
		uint8_t c2[] = { 0x80, 0x34, p1, p2, 0x00, p1, p2 };
		expect(h, c2, sizeof c2, n, "extended case 2", n);
		uint8_t hdr[] = { 0x80, 0x32, 0x00, 0x00, 0x00, p1, p2 };
		memcpy(apdu, hdr, 7);
		for (size_t i = 0; i < n; i++)
			apdu[7 + i] = (uint8_t)i;
		expect(h, apdu, 7 + n, 0, "extended case 3", n);
		apdu[1] = 0x36;
		apdu[2] = p1;
		apdu[3] = p2;
		apdu[7 + n] = p1;
		apdu[8 + n] = p2;
		expect(h, apdu, 9 + n, n, "extended case 4", n);
	}
}

/* INS 38 asks for P2 x 10 ms: the host must see the reader or the card
 * ask for time (bStatus 0x80, S(WTX) or NULL procedure bytes).  The
 * emulated reader sends bStatus 0x80 to a bulk-IN read that waited 50 ms
 * for a card still at work: a host thread that came to read only after
 * the work was done heard none.  With 120 ms of work that happened with
 * both cores busy; 1 s leaves the scheduler 950 ms. */
static void time_request(host_reader *h)
{
	static const uint8_t slow[] = { 0x80, 0x38, 0x00, 0x64 };	/* 1 s */
	uint8_t rsp[8];
	size_t n = 0;
	host_stats before, after;

	host_reader_stats(h, &before);
	g_assert_cmpint(host_slot_transmit(h, 0, slow, sizeof slow, rsp, sizeof rsp, &n), ==,
			CCID_OK);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmphex(rsp[0], ==, 0x90);
	host_reader_stats(h, &after);
	g_assert_cmpuint(after.time_extensions + after.wtx, >,
			 before.time_extensions + before.wtx);
}

static void test_axis(gconstpointer data)
{
	const axis *a = data;
	g_autoptr(emu_profile) p = emu_profile_builtin(a->profile);
	host_emu he;
	uint8_t atr[33];
	size_t atr_len = 0;

	g_assert_nonnull(p);
	if (strcmp(a->profile, "generic-ext-multi") == 0)
		p->class_desc[4] = 0;	/* one slot is enough here */
	host_emu_open(&he, p, a->card);
	g_assert_cmpint(host_slot_power_on(he.host, 0, atr, sizeof atr, &atr_len), ==, CCID_OK);
	unsigned t = strstr(a->card, "t1") ? 1 : 0;
	g_assert_cmpint(host_slot_set_protocol(he.host, 0, t), ==, CCID_OK);
	g_assert_cmpint(select_readertest(he.host, 0), ==, CCID_OK);
	short_cases(he.host);
	if (a->extended)
		extended_cases(he.host);
	time_request(he.host);
	g_assert_cmpint(host_slot_power_off(he.host, 0), ==, CCID_OK);
	host_emu_close(&he);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(axes); i++) {
		g_autofree char *path = g_strdup_printf("/host/matrix/%s/%s", axes[i].profile,
							 strchr(axes[i].card, ',') + 1);
		g_test_add_data_func(path, &axes[i], test_axis);
	}
	return g_test_run();
}
