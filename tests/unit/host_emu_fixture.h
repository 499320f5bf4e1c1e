/* ccidlab — an emulated reader driven by the real host engine, in process:
 * the fixture of the matrix, profile and fault tests (issue 4). */
#ifndef CCIDLAB_TESTS_HOST_EMU_FIXTURE_H
#define CCIDLAB_TESTS_HOST_EMU_FIXTURE_H

#include <string.h>

#include <glib.h>

#include "emu/device.h"
#include "host/host.h"

typedef struct host_emu {
	emu_device *dev;
	host_reader *host;
} host_emu;

/* A reader of `p` with `card` (an emu_card spec, or NULL) in every slot,
 * opened by the host engine.  Fails the test on any error. */
static inline void host_emu_open(host_emu *he, const emu_profile *p, const char *card)
{
	g_autoptr(GError) err = NULL;
	char why[256] = "";
	transport t;

	he->dev = emu_device_new(p, &err);
	g_assert_no_error(err);
	for (unsigned i = 0; card != NULL && i < emu_device_slot_count(he->dev); i++) {
		emu_card *c = emu_card_new_from_spec(card, &err);
		g_assert_no_error(err);
		g_assert_true(emu_device_insert(he->dev, i, c, EMU_EVENT_SRC_API, &err));
	}
	g_assert_cmpint(emu_transport_open(he->dev, &t), ==, CCID_OK);
	he->host = host_reader_open(t, why, sizeof why);
	if (he->host == NULL)
		g_error("%s: host_reader_open: %s", p->name, why);
}

static inline void host_emu_close(host_emu *he)
{
	host_reader_close(he->host);
	emu_device_unref(he->dev);
}

/* The same as a GTest fixture: the test data is the reader to open. */
typedef struct host_emu_spec {
	const char *profile;	/* a built-in profile */
	const char *card;	/* in every slot; NULL: none */
} host_emu_spec;

static inline void host_emu_setup(host_emu *he, gconstpointer data)
{
	const host_emu_spec *spec = data;
	g_autoptr(emu_profile) p = emu_profile_builtin(spec->profile);
	g_assert_nonnull(p);
	host_emu_open(he, p, spec->card);
}

static inline void host_emu_teardown(host_emu *he, gconstpointer data)
{
	host_emu_close(he);
}

#define HOST_EMU_TEST(path, spec, fn) \
	g_test_add(path, host_emu, spec, host_emu_setup, fn, host_emu_teardown)

static inline GBytes *pattern(size_t n)
{
	uint8_t *b = g_malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)i;
	return g_bytes_new_take(b, n);
}

/* SELECT the readertest applet (AID A0 00 00 00 18 FF). */
static inline int select_readertest(host_reader *h, unsigned slot)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x06,
				       0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };
	uint8_t rsp[16];
	size_t n = 0;
	int rc = host_slot_transmit(h, slot, sel, sizeof sel, rsp, sizeof rsp, &n);
	if (rc == CCID_OK && (n != 2 || rsp[0] != 0x90 || rsp[1] != 0x00))
		rc = CCID_E_PROTOCOL;
	return rc;
}

#endif
