/* ccidlab — helpers for the emulated-device unit tests: hand-built reader
 * profiles (class descriptor bytes filled here, so that the tests do not
 * depend on the catalogue) and a host side that speaks CCID messages over
 * the emulated transport with the core's codec.
 */
#ifndef CCIDLAB_TESTS_EMU_DEVICE_HELPERS_H
#define CCIDLAB_TESTS_EMU_DEVICE_HELPERS_H

#include <string.h>

#include <glib.h>

#include "ccid/bytes.h"
#include "ccid/errmap.h"
#include "ccid/exchange.h"
#include "ccid/message.h"
#include "ccid/result.h"
#include "emu/device.h"

typedef struct test_reader {
	uint32_t level;		/* dwFeatures level bits */
	unsigned nslots;
	unsigned busy;		/* bMaxCCIDBusySlots */
	bool irq;
	uint8_t volt;		/* bVoltageSupport */
	uint32_t protocols;
	uint8_t pin;		/* bPINSupport */
	uint32_t max_msg;	/* dwMaxCCIDMessageLength */
	uint32_t features;	/* extra dwFeatures bits */
	bool lists;		/* clock and rate lists */
} test_reader;

static inline test_reader test_reader_default(void)
{
	test_reader r = { CCID_LEVEL_SHORT_APDU, 1, 1, true, 0x07, 3, 0, 271, 0, true };
	return r;
}

/* CCID 1.1 table 5.1-1, field by field. */
static inline void test_class_desc(const test_reader *r, uint8_t *d)
{
	memset(d, 0, EMU_PROFILE_CLASS_DESC_LEN);
	d[0] = 0x36;
	d[1] = 0x21;
	ccid_put_le16(d + 2, 0x0110);
	d[4] = (uint8_t)(r->nslots - 1);
	d[5] = r->volt;
	ccid_put_le32(d + 6, r->protocols);
	ccid_put_le32(d + 10, 4000);	/* dwDefaultClock */
	ccid_put_le32(d + 14, 12000);	/* dwMaximumClock */
	d[18] = r->lists ? 3 : 0;
	ccid_put_le32(d + 19, 10752);	/* dwDataRate */
	ccid_put_le32(d + 23, 344086);	/* dwMaxDataRate */
	d[27] = r->lists ? 2 : 0;
	ccid_put_le32(d + 28, 254);	/* dwMaxIFSD */
	ccid_put_le32(d + 40, r->level | r->features | 0x02 | 0x04 | 0x08 | 0x10 | 0x20);
	ccid_put_le32(d + 44, r->max_msg);
	d[48] = 0xFF;
	d[49] = 0xFF;
	d[52] = r->pin;
	d[53] = (uint8_t)r->busy;
}

static inline emu_profile *test_profile_new(const test_reader *r)
{
	emu_profile *p = g_new0(emu_profile, 1);

	p->name = g_strdup("test-reader");
	p->description = g_strdup("hand-built test profile");
	p->idVendor = 0x1234;
	p->idProduct = 0x5678;
	p->bcdDevice = 0x0100;
	p->manufacturer = g_strdup("ccidlab");
	p->product = g_strdup("Test Reader");
	p->bInterfaceClass = 0x0B;
	p->has_interrupt_in = r->irq;
	test_class_desc(r, p->class_desc);
	p->clocks_khz = g_array_new(FALSE, FALSE, sizeof(guint32));
	p->rates_bps = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (r->lists) {
		guint32 clocks[] = { 4000, 8000, 12000 };
		guint32 rates[] = { 10752, 344086 };
		g_array_append_vals(p->clocks_khz, clocks, 3);
		g_array_append_vals(p->rates_bps, rates, 2);
		p->clocks_supported = true;
		p->rates_supported = true;
	}
	p->emulatable = true;
	return p;
}

static inline emu_device *test_device_new(const test_reader *r)
{
	g_autoptr(emu_profile) p = test_profile_new(r);
	g_autoptr(GError) error = NULL;
	emu_device *dev = emu_device_new(p, &error);
	g_assert_no_error(error);
	g_assert_nonnull(dev);
	return dev;
}

static inline emu_card *test_card(const char *spec)
{
	g_autoptr(GError) error = NULL;
	emu_card *c = emu_card_new_from_spec(spec, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c);
	return c;
}

static inline void test_insert(emu_device *dev, unsigned slot, const char *spec)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(emu_device_insert(dev, slot, test_card(spec), EMU_EVENT_SRC_API, &error));
	g_assert_no_error(error);
}

/* The host side: a transport and a bSeq counter. */
typedef struct test_host {
	emu_device *dev;
	transport t;
	uint8_t seq;
	ccid_msg_limits lim;
	uint8_t rx[CCID_HEADER_SIZE + CCID_EXTENDED_RESPONSE_MAX];
	size_t rx_len;
	unsigned time_extensions;	/* seen by test_host_recv */
} test_host;

static inline void test_host_open(test_host *h, emu_device *dev)
{
	memset(h, 0, sizeof *h);
	h->dev = emu_device_ref(dev);
	g_assert_cmpint(emu_transport_open(dev, &h->t), ==, CCID_OK);
	const emu_profile *p = emu_device_profile(dev);
	h->lim.dwMaxCCIDMessageLength = ccid_get_le32(p->class_desc + 44);
	h->lim.bMaxSlotIndex = p->class_desc[4];
}

static inline void test_host_close(test_host *h)
{
	h->t.ops->close(h->t.dev);
	emu_device_unref(h->dev);
}

/* Sends one command; cmd gets what was sent (abData points to data). */
static inline void test_host_send(test_host *h, ccid_msg *cmd, uint8_t type, uint8_t slot,
				  uint8_t b7, uint8_t b8, uint8_t b9, const uint8_t *data,
				  size_t len)
{
	uint8_t buf[CCID_HEADER_SIZE + CCID_EXTENDED_APDU_MAX];
	size_t n;

	ccid_message_init(cmd, type, slot, h->seq++);
	if (type == CCID_PC_TO_RDR_XFR_BLOCK || type == CCID_PC_TO_RDR_SECURE) {
		/* message.h: p.xfr is authoritative for these two. */
		cmd->p.xfr.bBWI = b7;
		cmd->p.xfr.wLevelParameter = (uint16_t)(b8 | b9 << 8);
	} else {
		cmd->p.raw[0] = b7;
		cmd->p.raw[1] = b8;
		cmd->p.raw[2] = b9;
	}
	cmd->dwLength = (uint32_t)len;
	cmd->abData = data;
	g_assert_cmpint(ccid_message_encode(cmd, buf, sizeof buf, &n), ==, CCID_OK);
	g_assert_cmpint(h->t.ops->bulk_out(h->t.dev, buf, n, 1000), ==, CCID_OK);
}

/* Reads the answer to cmd, skipping time extensions (counted), and checks
 * it with the core (bSeq, bSlot, type). */
static inline int test_host_recv(test_host *h, const ccid_msg *cmd, ccid_msg *rsp,
				 unsigned timeout_ms)
{
	for (unsigned i = 0; i < 100000; i++) {
		int rc = h->t.ops->bulk_in(h->t.dev, h->rx, sizeof h->rx, &h->rx_len, timeout_ms);
		if (rc != CCID_OK)
			return rc;
		rc = ccid_message_check(cmd, h->rx, h->rx_len, &h->lim, rsp, NULL);
		if (rc == CCID_R_TIME_EXTENSION) {
			h->time_extensions++;
			continue;
		}
		return rc;
	}
	return CCID_E_RETRIES;
}

/* Send + receive, asserting the answer checks. */
static inline void test_host_xchg(test_host *h, ccid_msg *rsp, uint8_t type, uint8_t slot,
				  uint8_t b7, uint8_t b8, uint8_t b9, const uint8_t *data,
				  size_t len)
{
	ccid_msg cmd;

	test_host_send(h, &cmd, type, slot, b7, b8, b9, data, len);
	g_assert_cmpint(test_host_recv(h, &cmd, rsp, 2000), ==, CCID_OK);
}

/* bmCommandStatus and bmICCStatus of an answer. */
#define TEST_CMD(rsp) (((rsp)->p.rdr.bStatus >> 6) & 3u)
#define TEST_ICC(rsp) ((rsp)->p.rdr.bStatus & 3u)

/* Powers slot on and asserts an ATR came. */
static inline void test_power_on(test_host *h, uint8_t slot)
{
	ccid_msg rsp;

	test_host_xchg(h, &rsp, CCID_PC_TO_RDR_ICC_POWER_ON, slot, 0, 0, 0, NULL, 0);
	g_assert_cmpuint(TEST_CMD(&rsp), ==, CCID_CMD_PROCESSED);
	g_assert_cmpuint(rsp.dwLength, >, 1);
}

#endif
