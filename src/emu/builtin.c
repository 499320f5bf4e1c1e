/* ccidlab — the built-in reader profiles: one per main reader shape, so
 * that tests and users need no catalogue to get a typical reader.
 *
 * The names are user interface (reader.conf.d lines, the control
 * protocol, test paths): keep them stable.
 *
 * | name               | level          | slots | int. pipe | protocols | dwFeatures | dwMaxCCIDMessageLength | other                        |
 * |--------------------|----------------|-------|-----------|-----------|------------|------------------------|------------------------------|
 * | generic-apdu-irq   | short APDU     | 1     | yes       | T=0, T=1  | 0x000204BA | 271                    | 5/3/1.8 V                    |
 * | generic-t1-irq     | TPDU           | 1     | yes       | T=0, T=1  | 0x000100BA | 271                    | dwMaxIFSD 254                |
 * | generic-short-poll | short APDU     | 1     | no        | T=0, T=1  | 0x000204BA | 271                    | GET_DATA_RATES stalls        |
 * | generic-ext-multi  | extended APDU  | 4     | yes       | T=0, T=1  | 0x000404BA | 1034                   | bMaxCCIDBusySlots 2          |
 * | generic-pinpad     | short APDU     | 1     | yes       | T=0, T=1  | 0x000204BA | 271                    | bPINSupport 3, LCD 2x16      |
 * | generic-char-t0    | character      | 1     | yes       | T=0       | 0x00000030 | 271                    | 3.58 MHz, 9600 bps           |
 *
 * USB identity.  All built-ins use idVendor 0x1209 (pid.codes) with
 * idProduct 0x0002, which pid.codes reserves as a "Test PID" for private
 * testing: it is not universally unique and must never appear on hardware
 * that ships.  The emulated readers never leave a test machine, and the
 * ID names no real vendor, so no host quirk meant for a real reader can
 * fire on them.  bcdDevice (0x0101...) and iProduct tell the shapes apart.
 *
 * dwFeatures choices (CCID 1.1 §5.1 table 5.1-1), taken from the values
 * real readers of each level use most in readers.tsv:
 *   0x000204BA / 0x000404BA  short / extended APDU with automatic
 *       parameters from the ATR (0x02), voltage (0x08), clock (0x10),
 *       baud rate (0x20), PPS (0x80) and IFSD (0x400): the reader does all
 *       of the card set-up, as an APDU-level reader has to (the host
 *       never sees TPDUs it could negotiate with), so the host only
 *       powers on and sends APDUs;
 *   0x000100BA  TPDU (the most common TPDU value: 63 rows): the reader
 *       configures itself from the ATR and does the PPS (0x80), the host
 *       sends SetParameters; without 0x400 (automatic IFSD) the host sends
 *       the T=1 S(IFS request) itself (ISO 7816-3 §11.4.2), which exercises
 *       the card's T=1 side;
 *   0x00000030  character level, like the O2Micro OZ776 rows: only clock
 *       and baud rate are automatic, so the host does the ATR reading, the
 *       PPS and the T=0 procedure bytes character by character.
 *
 * Clock and rate replies: a 4 MHz clock and the rates f * D / F for
 * F = 372 and D = 1, 2, 4, 8, 16, 32 (ISO 7816-3 §7.1, table 7), as many
 * real 4 MHz readers answer; the character-level reader is an old-style
 * 3.58 MHz / 9600 bps one.  generic-short-poll stalls GET_DATA_RATES
 * (bNumDataRatesSupported 0), as about two thirds of the catalogue does.
 */
#include <string.h>

#include "ccid/bytes.h"
#include "ccid/descriptor.h"
#include "emu/profile.h"

#define BUILTIN_VID 0x1209u
#define BUILTIN_PID 0x0002u
#define BUILTIN_MANUFACTURER "ccidlab (emulated)"

/* CCID 1.1 §5.1: class descriptor version 1.10. */
#define BCD_CCID_1_10 0x0110u

static const guint32 clocks_4mhz[] = { 4000 };
static const guint32 rates_4mhz[] = { 10752, 21505, 43010, 86021, 172043, 344086 };
static const guint32 clocks_3580khz[] = { 3580 };
static const guint32 rates_9600[] = { 9600 };

typedef struct builtin_spec {
	const char *name;
	const char *description;
	const char *product;
	uint16_t bcdDevice;
	bool has_interrupt_in;
	ccid_class_desc desc;
	const guint32 *clocks; /* NULL: GET_CLOCK_FREQUENCIES stalls */
	size_t n_clocks;
	const guint32 *rates;  /* NULL: GET_DATA_RATES stalls */
	size_t n_rates;
} builtin_spec;

/* The fields every built-in shares; each entry overrides what differs. */
#define COMMON_DESC                                          \
	.bLength = CCID_CLASS_DESC_LEN,                      \
	.bDescriptorType = CCID_DESC_TYPE_CCID,              \
	.bcdCCID = BCD_CCID_1_10,                            \
	.bVoltageSupport = CCID_VOLT_5V | CCID_VOLT_3V | CCID_VOLT_1V8

#define DESC_4MHZ                                            \
	.dwDefaultClock = 4000, .dwMaximumClock = 4000,      \
	.bNumClockSupported = 1,                             \
	.dwDataRate = 10752, .dwMaxDataRate = 344086

#define REPLIES_4MHZ                                         \
	.clocks = clocks_4mhz, .n_clocks = G_N_ELEMENTS(clocks_4mhz), \
	.rates = rates_4mhz, .n_rates = G_N_ELEMENTS(rates_4mhz)

static const builtin_spec builtins[] = {
	{
		.name = "generic-apdu-irq",
		.description = "built-in: short APDU level, 1 slot, interrupt pipe, T=0/T=1",
		.product = "ccidlab APDU reader",
		.bcdDevice = 0x0101,
		.has_interrupt_in = true,
		.desc = {
			COMMON_DESC, DESC_4MHZ,
			.dwProtocols = CCID_PROTO_T0 | CCID_PROTO_T1,
			.bNumDataRatesSupported = G_N_ELEMENTS(rates_4mhz),
			.dwMaxIFSD = 254,
			.dwFeatures = 0x000204BAu,
			.dwMaxCCIDMessageLength = 271,
			.bClassGetResponse = 0xFF,
			.bClassEnvelope = 0xFF,
			.bMaxCCIDBusySlots = 1,
		},
		REPLIES_4MHZ,
	},
	{
		.name = "generic-t1-irq",
		.description = "built-in: TPDU level, 1 slot, interrupt pipe, T=0/T=1, IFSD 254",
		.product = "ccidlab TPDU reader",
		.bcdDevice = 0x0102,
		.has_interrupt_in = true,
		.desc = {
			COMMON_DESC, DESC_4MHZ,
			.dwProtocols = CCID_PROTO_T0 | CCID_PROTO_T1,
			.bNumDataRatesSupported = G_N_ELEMENTS(rates_4mhz),
			.dwMaxIFSD = 254,
			.dwFeatures = 0x000100BAu,
			/* 10 + the largest T=1 block, 3 + 254 + 2 (ISO 7816-3 §11.3). */
			.dwMaxCCIDMessageLength = 271,
			.bMaxCCIDBusySlots = 1,
		},
		REPLIES_4MHZ,
	},
	{
		.name = "generic-short-poll",
		.description = "built-in: short APDU level, 1 slot, no interrupt pipe (polling), "
			       "GET_DATA_RATES stalls",
		.product = "ccidlab polling reader",
		.bcdDevice = 0x0103,
		.has_interrupt_in = false,
		.desc = {
			COMMON_DESC, DESC_4MHZ,
			.dwProtocols = CCID_PROTO_T0 | CCID_PROTO_T1,
			.bNumDataRatesSupported = 0,
			.dwMaxIFSD = 254,
			.dwFeatures = 0x000204BAu,
			.dwMaxCCIDMessageLength = 271,
			.bClassGetResponse = 0xFF,
			.bClassEnvelope = 0xFF,
			.bMaxCCIDBusySlots = 1,
		},
		.clocks = clocks_4mhz,
		.n_clocks = G_N_ELEMENTS(clocks_4mhz),
	},
	{
		.name = "generic-ext-multi",
		.description = "built-in: extended APDU level, 4 slots (2 busy at once), "
			       "interrupt pipe, 1034-byte messages",
		.product = "ccidlab extended multi-slot reader",
		.bcdDevice = 0x0104,
		.has_interrupt_in = true,
		.desc = {
			COMMON_DESC, DESC_4MHZ,
			.bMaxSlotIndex = 3,
			.dwProtocols = CCID_PROTO_T0 | CCID_PROTO_T1,
			.bNumDataRatesSupported = G_N_ELEMENTS(rates_4mhz),
			.dwMaxIFSD = 254,
			.dwFeatures = 0x000404BAu,
			/* 1024 payload bytes per block: APDUs longer than that
			 * are chained (CCID 1.1 §6.1.4 wLevelParameter). */
			.dwMaxCCIDMessageLength = 1024 + 10,
			.bClassGetResponse = 0xFF,
			.bClassEnvelope = 0xFF,
			/* Two slots may work at once, so the busy rule shows in
			 * both directions: a second command is served, a third
			 * gets bError slot busy (CCID 1.1 §5.1). */
			.bMaxCCIDBusySlots = 2,
		},
		REPLIES_4MHZ,
	},
	{
		.name = "generic-pinpad",
		.description = "built-in: short APDU level, 1 slot, interrupt pipe, PIN pad "
			       "(verify, modify), 2x16 LCD",
		.product = "ccidlab PIN pad reader",
		.bcdDevice = 0x0105,
		.has_interrupt_in = true,
		.desc = {
			COMMON_DESC, DESC_4MHZ,
			.dwProtocols = CCID_PROTO_T0 | CCID_PROTO_T1,
			.bNumDataRatesSupported = G_N_ELEMENTS(rates_4mhz),
			.dwMaxIFSD = 254,
			.dwFeatures = 0x000204BAu,
			.dwMaxCCIDMessageLength = 271,
			.bClassGetResponse = 0xFF,
			.bClassEnvelope = 0xFF,
			/* CCID 1.1 §5.1: XX lines, YY characters per line. */
			.wLcdLayout = 0x0210,
			.bPINSupport = CCID_PIN_VERIFY | CCID_PIN_MODIFY,
			.bMaxCCIDBusySlots = 1,
		},
		REPLIES_4MHZ,
	},
	{
		.name = "generic-char-t0",
		.description = "built-in: character level, 1 slot, interrupt pipe, T=0 only",
		.product = "ccidlab character reader",
		.bcdDevice = 0x0106,
		.has_interrupt_in = true,
		.desc = {
			COMMON_DESC,
			.dwProtocols = CCID_PROTO_T0,
			.dwDefaultClock = 3580,
			.dwMaximumClock = 3580,
			.bNumClockSupported = 1,
			.dwDataRate = 9600,
			.dwMaxDataRate = 9600,
			.bNumDataRatesSupported = 1,
			.dwMaxIFSD = 0, /* T=1 not supported */
			.dwFeatures = 0x00000030u,
			.dwMaxCCIDMessageLength = 271,
			.bMaxCCIDBusySlots = 1,
		},
		.clocks = clocks_3580khz,
		.n_clocks = G_N_ELEMENTS(clocks_3580khz),
		.rates = rates_9600,
		.n_rates = G_N_ELEMENTS(rates_9600),
	},
};

static const char *const builtin_names[] = {
	"generic-apdu-irq",
	"generic-t1-irq",
	"generic-short-poll",
	"generic-ext-multi",
	"generic-pinpad",
	"generic-char-t0",
	NULL,
};

G_STATIC_ASSERT(G_N_ELEMENTS(builtin_names) == G_N_ELEMENTS(builtins) + 1);

/* The 54 wire bytes of a class descriptor, CCID 1.1 table 5.1-1
 * (multi-byte fields little-endian).  The core only decodes; the inverse
 * lives here, where the only descriptors built from fields are. */
static void encode_class_desc(const ccid_class_desc *d, uint8_t out[EMU_PROFILE_CLASS_DESC_LEN])
{
	memset(out, 0, EMU_PROFILE_CLASS_DESC_LEN);
	out[0] = d->bLength;
	out[1] = d->bDescriptorType;
	ccid_put_le16(out + 2, d->bcdCCID);
	out[4] = d->bMaxSlotIndex;
	out[5] = d->bVoltageSupport;
	ccid_put_le32(out + 6, d->dwProtocols);
	ccid_put_le32(out + 10, d->dwDefaultClock);
	ccid_put_le32(out + 14, d->dwMaximumClock);
	out[18] = d->bNumClockSupported;
	ccid_put_le32(out + 19, d->dwDataRate);
	ccid_put_le32(out + 23, d->dwMaxDataRate);
	out[27] = d->bNumDataRatesSupported;
	ccid_put_le32(out + 28, d->dwMaxIFSD);
	ccid_put_le32(out + 32, d->dwSynchProtocols);
	ccid_put_le32(out + 36, d->dwMechanical);
	ccid_put_le32(out + 40, d->dwFeatures);
	ccid_put_le32(out + 44, d->dwMaxCCIDMessageLength);
	out[48] = d->bClassGetResponse;
	out[49] = d->bClassEnvelope;
	ccid_put_le16(out + 50, d->wLcdLayout);
	out[52] = d->bPINSupport;
	out[53] = d->bMaxCCIDBusySlots;
}

const char *const *emu_profile_builtin_names(void)
{
	return builtin_names;
}

static emu_profile *from_spec(const builtin_spec *s)
{
	emu_profile *p = emu_profile_new();
	p->name = g_strdup(s->name);
	p->description = g_strdup(s->description);
	p->idVendor = BUILTIN_VID;
	p->idProduct = BUILTIN_PID;
	p->bcdDevice = s->bcdDevice;
	p->manufacturer = g_strdup(BUILTIN_MANUFACTURER);
	p->product = g_strdup(s->product);
	p->bInterfaceNumber = 0;
	p->bInterfaceClass = CCID_IFACE_CLASS_CCID;
	p->bInterfaceSubClass = 0;
	p->bInterfaceProtocol = CCID_KIND_CCID;
	p->has_interrupt_in = s->has_interrupt_in;
	p->desc_after_endpoints = false;
	encode_class_desc(&s->desc, p->class_desc);
	p->clocks_supported = s->clocks != NULL;
	if (s->clocks != NULL)
		g_array_append_vals(p->clocks_khz, s->clocks, (guint)s->n_clocks);
	p->rates_supported = s->rates != NULL;
	if (s->rates != NULL)
		g_array_append_vals(p->rates_bps, s->rates, (guint)s->n_rates);
	emu_profile_judge(p, true);
	return p;
}

emu_profile *emu_profile_builtin(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(builtins); i++)
		if (g_ascii_strcasecmp(builtins[i].name, name) == 0)
			return from_spec(&builtins[i]);
	return NULL;
}
