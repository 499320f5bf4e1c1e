/* ccidlab — USB descriptors of a CCID reader (see descriptor.h).
 *
 * The class descriptor is decoded field by field at the offsets of CCID 1.1
 * table 5.1-1.  The configuration is walked as a (pointer, remaining) pair,
 * with the checks of USB 2.0 §9.6: every descriptor starts with bLength and
 * bDescriptorType, bLength may not be below the size of its type, and no
 * descriptor may reach past what remains.  A bLength of 0 or 1 is refused,
 * so the walk always advances.
 */
#include <string.h>

#include "ccid/bytes.h"
#include "ccid/descriptor.h"
#include "ccid/result.h"

/* USB 2.0 §9.4 table 9-5 descriptor types and §9.6 sizes. */
#define USB_DT_CONFIG 0x02u
#define USB_DT_INTERFACE 0x04u
#define USB_DT_ENDPOINT 0x05u
#define USB_DT_CONFIG_SIZE 9u
#define USB_DT_INTERFACE_SIZE 9u
#define USB_DT_ENDPOINT_SIZE 7u
/* USB 2.0 §9.6.6 bmAttributes transfer type, bEndpointAddress direction. */
#define USB_EP_TYPE_MASK 0x03u
#define USB_EP_TYPE_BULK 0x02u
#define USB_EP_TYPE_INTERRUPT 0x03u
#define USB_EP_DIR_IN 0x80u

/* ---- the class descriptor (CCID 1.1 §5.1) ---- */

static ccid_exchange_level level_from_features(uint32_t dwFeatures, bool *ambiguous)
{
	uint32_t bits = dwFeatures & CCID_FEAT_LEVEL_MASK;

	/* Only one level bit may be set (table 5.1-1).  Should a reader set
	 * several, the highest wins: extended APDU includes short APDU, and
	 * a reader that claims APDU level gets APDUs rather than TPDUs it
	 * may not expect. */
	*ambiguous = (bits & (bits - 1u)) != 0;
	if (bits & CCID_FEAT_LEVEL_EXTENDED_APDU)
		return CCID_LEVEL_EXTENDED_APDU;
	if (bits & CCID_FEAT_LEVEL_SHORT_APDU)
		return CCID_LEVEL_SHORT_APDU;
	if (bits & CCID_FEAT_LEVEL_TPDU)
		return CCID_LEVEL_TPDU;
	return CCID_LEVEL_CHARACTER;
}

/* APDU sizes from dwMaxCCIDMessageLength, which counts the 10-byte
 * header plus abData (CCID 1.1 table 5.1-1), clamped to what the table
 * allows at most (descriptor.h).  A short APDU travels in one
 * XfrBlock, so it is bounded by the payload and by ISO 7816-4's 261 bytes.
 * At extended level the APDU is chained (CCID 1.1 §6.1.4 wLevelParameter),
 * so its size is ISO 7816-4's and each block carries max_block_payload. */
static void apdu_sizes(const ccid_class_desc *d, ccid_class_facts *f)
{
	uint32_t len = d->dwMaxCCIDMessageLength;

	if (len > CCID_MAX_MESSAGE_LENGTH)
		len = CCID_MAX_MESSAGE_LENGTH;
	f->message_length = len;
	f->message_length_clamped = len != d->dwMaxCCIDMessageLength;
	f->max_block_payload = len >= CCID_MSG_HEADER_LEN ? len - CCID_MSG_HEADER_LEN : 0;
	f->max_short_apdu = f->max_block_payload < CCID_SHORT_APDU_MAX ?
				    f->max_block_payload : CCID_SHORT_APDU_MAX;
	f->short_apdu_fits = f->max_block_payload >= CCID_SHORT_APDU_MAX;
	f->max_extended_apdu = f->level == CCID_LEVEL_EXTENDED_APDU ? CCID_EXTENDED_APDU_MAX : 0;
}

void ccid_descriptor_facts(const ccid_class_desc *d, ccid_class_facts *f)
{
	memset(f, 0, sizeof *f);
	f->level = level_from_features(d->dwFeatures, &f->level_ambiguous);
	apdu_sizes(d, f);
	f->slot_count = (unsigned)d->bMaxSlotIndex + 1u;
	f->busy_slots = d->bMaxCCIDBusySlots;
	f->volt_5v = (d->bVoltageSupport & CCID_VOLT_5V) != 0;
	f->volt_3v = (d->bVoltageSupport & CCID_VOLT_3V) != 0;
	f->volt_1v8 = (d->bVoltageSupport & CCID_VOLT_1V8) != 0;
	f->proto_t0 = (d->dwProtocols & CCID_PROTO_T0) != 0;
	f->proto_t1 = (d->dwProtocols & CCID_PROTO_T1) != 0;
	f->pin_verify = (d->bPINSupport & CCID_PIN_VERIFY) != 0;
	f->pin_modify = (d->bPINSupport & CCID_PIN_MODIFY) != 0;
	/* wLcdLayout: XX lines, YY characters per line; 0000 = no LCD. */
	f->has_lcd = d->wLcdLayout != 0;
	f->lcd_lines = d->wLcdLayout >> 8;
	f->lcd_chars = d->wLcdLayout & 0xFFu;
	f->auto_features = d->dwFeatures & ~(uint32_t)CCID_FEAT_LEVEL_MASK;
}

/* Fields at their table 5.1-1 offsets; p holds at least 54 bytes. */
static void decode_fields(const uint8_t *p, ccid_class_desc *d)
{
	memset(d, 0, sizeof *d); /* padding too: callers may compare structs */
	d->bLength = p[0];
	d->bDescriptorType = p[1];
	d->bcdCCID = ccid_get_le16(p + 2);
	d->bMaxSlotIndex = p[4];
	d->bVoltageSupport = p[5];
	d->dwProtocols = ccid_get_le32(p + 6);
	d->dwDefaultClock = ccid_get_le32(p + 10);
	d->dwMaximumClock = ccid_get_le32(p + 14);
	d->bNumClockSupported = p[18];
	d->dwDataRate = ccid_get_le32(p + 19);
	d->dwMaxDataRate = ccid_get_le32(p + 23);
	d->bNumDataRatesSupported = p[27];
	d->dwMaxIFSD = ccid_get_le32(p + 28);
	d->dwSynchProtocols = ccid_get_le32(p + 32);
	d->dwMechanical = ccid_get_le32(p + 36);
	d->dwFeatures = ccid_get_le32(p + 40);
	d->dwMaxCCIDMessageLength = ccid_get_le32(p + 44);
	d->bClassGetResponse = p[48];
	d->bClassEnvelope = p[49];
	d->wLcdLayout = ccid_get_le16(p + 50);
	d->bPINSupport = p[52];
	d->bMaxCCIDBusySlots = p[53];
}

static bool is_class_desc_type(uint8_t type)
{
	return type == CCID_DESC_TYPE_CCID || type == CCID_DESC_TYPE_VENDOR;
}

int ccid_descriptor_decode_class(const uint8_t *buf, size_t len,
				 ccid_class_desc *desc, ccid_class_facts *facts)
{
	if (buf == NULL || desc == NULL)
		return CCID_E_INVALID_ARG;
	if (len < CCID_CLASS_DESC_LEN)
		return CCID_E_SHORT;
	if (buf[0] < CCID_CLASS_DESC_LEN || buf[0] > len)
		return CCID_E_LENGTH;
	if (!is_class_desc_type(buf[1]))
		return CCID_E_BAD_TYPE;
	decode_fields(buf, desc);
	if (facts != NULL)
		ccid_descriptor_facts(desc, facts);
	return CCID_OK;
}

/* ---- the configuration walk (USB 2.0 §9.6.3) ---- */

/* The interface being collected, between its interface descriptor and
 * the next one (or the end). */
typedef struct walk {
	bool active;        /* class 0x0B or 0xFF: worth collecting */
	bool have_desc;     /* its class descriptor was seen */
	unsigned endpoints; /* endpoint descriptors seen */
	ccid_interface cur;
	ccid_interface *out;
	size_t cap, n;
} walk;

static ccid_iface_kind kind_of(uint8_t bInterfaceProtocol)
{
	switch (bInterfaceProtocol) {
	case 0:
		return CCID_KIND_CCID;
	case 1:
		return CCID_KIND_ICCD_A;
	case 2:
		return CCID_KIND_ICCD_B;
	default:
		return CCID_KIND_UNKNOWN;
	}
}

/* Closes the interface being collected: emits it, drops it (a vendor
 * interface that is no CCID) or refuses a broken CCID one. */
static int finish_interface(walk *w)
{
	if (!w->active)
		return CCID_OK;
	w->active = false;
	if (!w->have_desc)
		return w->cur.bInterfaceClass == CCID_IFACE_CLASS_CCID ? CCID_E_MALFORMED : CCID_OK;
	if (w->endpoints < w->cur.bNumEndpoints)
		return CCID_E_MALFORMED;
	/* CCID 1.1 §3: bulk CCID talks over bulk-OUT and bulk-IN; ICCD (ICCD
	 * 1.0 §3) uses the control pipe, with an optional interrupt-IN. */
	if (w->cur.kind == CCID_KIND_CCID && (!w->cur.bulk_in.present || !w->cur.bulk_out.present))
		return CCID_E_MALFORMED;
	if (w->n >= w->cap)
		return CCID_E_BUFFER;
	w->cur.has_interrupt_in = w->cur.interrupt_in.present;
	ccid_descriptor_facts(&w->cur.desc, &w->cur.facts);
	w->out[w->n++] = w->cur;
	return CCID_OK;
}

static int on_interface(walk *w, const uint8_t *p, uint8_t bConfigurationValue)
{
	int r = finish_interface(w);
	if (r != CCID_OK)
		return r;
	memset(&w->cur, 0, sizeof w->cur);
	w->have_desc = false;
	w->endpoints = 0;
	w->cur.bConfigurationValue = bConfigurationValue;
	w->cur.bInterfaceNumber = p[2];
	w->cur.bAlternateSetting = p[3];
	w->cur.bNumEndpoints = p[4];
	w->cur.bInterfaceClass = p[5];
	w->cur.bInterfaceSubClass = p[6];
	w->cur.bInterfaceProtocol = p[7];
	w->cur.kind = kind_of(p[7]);
	w->active = p[5] == CCID_IFACE_CLASS_CCID || p[5] == CCID_IFACE_CLASS_VENDOR;
	return CCID_OK;
}

static void on_endpoint(walk *w, const uint8_t *p)
{
	/* Like libusb, only the first bNumEndpoints endpoint descriptors
	 * belong to the interface. */
	if (!w->active || w->endpoints >= w->cur.bNumEndpoints)
		return;
	w->endpoints++;

	ccid_endpoint ep = {
		.present = true,
		.bEndpointAddress = p[2],
		.bmAttributes = p[3],
		.wMaxPacketSize = ccid_get_le16(p + 4),
		.bInterval = p[6],
	};
	bool in = (ep.bEndpointAddress & USB_EP_DIR_IN) != 0;
	ccid_endpoint *slot = NULL;

	switch (ep.bmAttributes & USB_EP_TYPE_MASK) {
	case USB_EP_TYPE_BULK:
		slot = in ? &w->cur.bulk_in : &w->cur.bulk_out;
		break;
	case USB_EP_TYPE_INTERRUPT:
		slot = in ? &w->cur.interrupt_in : NULL;
		break;
	default:
		break;
	}
	if (slot != NULL && !slot->present)
		*slot = ep;
}

/* A descriptor of type 0x21 or 0xFF inside an interface.  Class 0x0B
 * takes a 0x21 descriptor of at least 54 bytes (refusing a shorter one)
 * or a 54-byte 0xFF one; class 0xFF takes exactly 54 bytes, as a vendor
 * interface may carry other descriptors of its own.  The first one wins. */
static int on_class_desc(walk *w, const uint8_t *p, uint8_t bLength)
{
	if (!w->active || w->have_desc)
		return CCID_OK;
	bool ccid_class = w->cur.bInterfaceClass == CCID_IFACE_CLASS_CCID;
	if (ccid_class && p[1] == CCID_DESC_TYPE_CCID) {
		if (bLength < CCID_CLASS_DESC_LEN)
			return CCID_E_LENGTH;
	} else if (bLength != CCID_CLASS_DESC_LEN) {
		return CCID_OK;
	}
	decode_fields(p, &w->cur.desc);
	w->have_desc = true;
	/* The OZ776 quirk: the descriptor follows the endpoints. */
	w->cur.desc_after_endpoints = w->endpoints > 0;
	return CCID_OK;
}

/* Reads one descriptor header: the header must fit, bLength must cover
 * the header and stay within what remains. */
static int next_descriptor(ccid_cursor *c, const uint8_t **p, uint8_t *bLength)
{
	if (c->left < 2)
		return CCID_E_SHORT;
	uint8_t n = c->p[0];
	if (n < 2 || n > c->left)
		return CCID_E_LENGTH;
	*bLength = n;
	*p = ccid_cursor_take(c, n);
	return CCID_OK;
}

static int walk_one(walk *w, const uint8_t *p, uint8_t bLength, uint8_t bConfigurationValue)
{
	switch (p[1]) {
	case USB_DT_INTERFACE:
		if (bLength < USB_DT_INTERFACE_SIZE)
			return CCID_E_LENGTH;
		return on_interface(w, p, bConfigurationValue);
	case USB_DT_ENDPOINT:
		if (bLength < USB_DT_ENDPOINT_SIZE)
			return CCID_E_LENGTH;
		on_endpoint(w, p);
		return CCID_OK;
	case CCID_DESC_TYPE_CCID:
	case CCID_DESC_TYPE_VENDOR:
		return on_class_desc(w, p, bLength);
	default:
		/* Interface association, strings, other classes: skipped. */
		return CCID_OK;
	}
}

/* The configuration header: bLength 9+, type 2, and wTotalLength, which
 * must cover the header and be all there. */
static int config_header(const uint8_t *buf, size_t len, size_t *total)
{
	if (len < 2)
		return CCID_E_SHORT;
	if (buf[1] != USB_DT_CONFIG)
		return CCID_E_BAD_TYPE;
	if (buf[0] < USB_DT_CONFIG_SIZE)
		return CCID_E_LENGTH;
	if (len < buf[0])
		return CCID_E_SHORT;
	uint16_t wTotalLength = ccid_get_le16(buf + 2);
	if (wTotalLength < buf[0])
		return CCID_E_LENGTH;
	if (wTotalLength > len)
		return CCID_E_SHORT;
	*total = wTotalLength;
	return CCID_OK;
}

int ccid_descriptor_parse_config(const uint8_t *buf, size_t len,
				 ccid_interface *out, size_t cap, size_t *n_out)
{
	if (buf == NULL || n_out == NULL || (out == NULL && cap != 0))
		return CCID_E_INVALID_ARG;

	size_t total = 0;
	int r = config_header(buf, len, &total);
	if (r != CCID_OK)
		return r;

	/* Bytes past wTotalLength are not part of the configuration. */
	uint8_t bConfigurationValue = buf[5];
	ccid_cursor c = ccid_cursor_make(buf + buf[0], total - buf[0]);
	walk w = { .out = out, .cap = cap };

	while (c.left > 0) {
		const uint8_t *p = NULL;
		uint8_t bLength = 0;
		r = next_descriptor(&c, &p, &bLength);
		if (r == CCID_OK)
			r = walk_one(&w, p, bLength, bConfigurationValue);
		if (r != CCID_OK)
			return r;
	}
	r = finish_interface(&w);
	if (r != CCID_OK)
		return r;
	*n_out = w.n;
	return CCID_OK;
}

/* ---- names ---- */

const char *ccid_descriptor_level_name(ccid_exchange_level level)
{
	switch (level) {
	case CCID_LEVEL_CHARACTER:
		return "character";
	case CCID_LEVEL_TPDU:
		return "TPDU";
	case CCID_LEVEL_SHORT_APDU:
		return "short APDU";
	case CCID_LEVEL_EXTENDED_APDU:
		return "short and extended APDU";
	}
	return "unknown level";
}

const char *ccid_descriptor_kind_name(ccid_iface_kind kind)
{
	switch (kind) {
	case CCID_KIND_CCID:
		return "CCID";
	case CCID_KIND_ICCD_A:
		return "ICCD version A";
	case CCID_KIND_ICCD_B:
		return "ICCD version B";
	case CCID_KIND_UNKNOWN:
		break;
	}
	return "unknown interface protocol";
}

/* CCID 1.1 table 5.1-1 wording, shortened. */
static const struct {
	uint32_t bit;
	const char *name;
} feature_names[] = {
	{ CCID_FEAT_AUTO_CONF_ATR, "automatic parameter configuration based on ATR" },
	{ CCID_FEAT_AUTO_ACTIVATION, "automatic activation on insertion" },
	{ CCID_FEAT_AUTO_VOLTAGE, "automatic voltage selection" },
	{ CCID_FEAT_AUTO_CLOCK, "automatic clock change" },
	{ CCID_FEAT_AUTO_BAUD, "automatic baud rate change" },
	{ CCID_FEAT_AUTO_PPS_PROP, "automatic parameter negotiation by the CCID" },
	{ CCID_FEAT_AUTO_PPS_CUR, "automatic PPS by the CCID" },
	{ CCID_FEAT_CLOCK_STOP, "clock stop" },
	{ CCID_FEAT_NAD, "NAD other than 0" },
	{ CCID_FEAT_AUTO_IFSD, "automatic IFSD exchange" },
	{ CCID_FEAT_ICCD_TOKEN, "ICCD token" },
	{ CCID_FEAT_LEVEL_TPDU, "TPDU level" },
	{ CCID_FEAT_LEVEL_SHORT_APDU, "short APDU level" },
	{ CCID_FEAT_LEVEL_EXTENDED_APDU, "short and extended APDU level" },
	{ CCID_FEAT_USB_WAKEUP, "USB wake-up on insertion and removal" },
};

const char *ccid_descriptor_feature_name(uint32_t bit)
{
	if (bit == 0)
		return "none";
	for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
		if (feature_names[i].bit == bit)
			return feature_names[i].name;
	return "unknown";
}
