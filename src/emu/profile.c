/* ccidlab — reader profiles: life cycle (new, copy, free), the one
 * function that decides whether the emulator can serve a profile, and the
 * USB configuration descriptor an emulated reader presents.
 */
#include <string.h>

#include "ccid/bytes.h"
#include "ccid/descriptor.h"
#include "ccid/result.h"
#include "emu/profile.h"

/* USB 2.0 §9.4 table 9-5 descriptor types and §9.6 sizes. */
#define USB_DT_CONFIGURATION 0x02u
#define USB_DT_INTERFACE 0x04u
#define USB_DT_ENDPOINT 0x05u
#define USB_CONFIG_LEN 9u
#define USB_INTERFACE_LEN 9u
#define USB_ENDPOINT_LEN 7u

/* USB 2.0 §9.6.6 bmAttributes transfer types. */
#define USB_EP_BULK 0x02u
#define USB_EP_INTERRUPT 0x03u

/* The endpoint addresses of every emulated reader (CCID 1.1 §3: one
 * bulk-OUT, one bulk-IN, an optional interrupt-IN).  Fixed, so that traces
 * of different profiles compare. */
#define EMU_EP_BULK_OUT 0x01u
#define EMU_EP_BULK_IN 0x82u
#define EMU_EP_INTERRUPT_IN 0x83u
/* Full-speed bulk endpoints take 64 bytes (USB 2.0 §5.8.3). */
#define EMU_BULK_PACKET 64u
/* CCID 1.1 §6.3: NotifySlotChange is 1 + ceil(2 * slots / 8) bytes and
 * HardwareError 4; 8 bytes cover 28 slots, the usual value of real
 * readers.  A full-speed interrupt endpoint takes at most 64. */
#define EMU_INTERRUPT_PACKET_MIN 8u
#define EMU_INTERRUPT_PACKET_MAX 64u
/* bInterval in frames (1 ms at full speed): 16 ms, a common real value.
 * The emulator does not pace the pipe by it; it is informative. */
#define EMU_INTERRUPT_INTERVAL 16u
/* USB 2.0 §9.6.3: bmAttributes bit 7 is reserved-one, bit 5 remote
 * wake-up; bMaxPower in 2 mA units (100 mA). */
#define USB_CONFIG_ATTR_ONE 0x80u
#define USB_CONFIG_ATTR_WAKEUP 0x20u
#define EMU_CONFIG_MAX_POWER 50u

emu_profile *emu_profile_new(void)
{
	emu_profile *p = g_new0(emu_profile, 1);
	p->clocks_khz = g_array_new(FALSE, FALSE, sizeof(guint32));
	p->rates_bps = g_array_new(FALSE, FALSE, sizeof(guint32));
	return p;
}

void emu_profile_free(emu_profile *p)
{
	if (p == NULL)
		return;
	g_free(p->name);
	g_free(p->description);
	g_free(p->manufacturer);
	g_free(p->product);
	if (p->clocks_khz != NULL)
		g_array_unref(p->clocks_khz);
	if (p->rates_bps != NULL)
		g_array_unref(p->rates_bps);
	g_free(p->unsupported_reason);
	g_free(p);
}

static GArray *copy_values(const GArray *a)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (a != NULL && a->len > 0)
		g_array_append_vals(out, a->data, a->len);
	return out;
}

emu_profile *emu_profile_copy(const emu_profile *p)
{
	if (p == NULL)
		return NULL;
	emu_profile *c = g_new0(emu_profile, 1);
	*c = *p;
	c->name = g_strdup(p->name);
	c->description = g_strdup(p->description);
	c->manufacturer = g_strdup(p->manufacturer);
	c->product = g_strdup(p->product);
	c->clocks_khz = copy_values(p->clocks_khz);
	c->rates_bps = copy_values(p->rates_bps);
	c->unsupported_reason = g_strdup(p->unsupported_reason);
	return c;
}

/* ---- can the emulator serve it? ---- */

/* The reason a profile cannot be emulated, or NULL.  The device model
 * speaks bulk CCID (CCID 1.1 §6) at every exchange level, character level
 * included, with a T=0 or T=1 card behind it; what it cannot do is ICCD,
 * whose APDUs travel in control requests (ICCD 1.0 §4-§6), or a reader
 * whose descriptor gives the host nothing to talk to. */
static char *unsupported_reason(const emu_profile *p, bool has_bulk_pipes)
{
	ccid_class_desc desc;
	ccid_class_facts facts;

	switch (p->bInterfaceProtocol) {
	case CCID_KIND_CCID:
		break;
	case CCID_KIND_ICCD_A:
	case CCID_KIND_ICCD_B:
		return g_strdup_printf("ICCD version %c (bInterfaceProtocol %u) uses the control "
				       "pipe, not CCID bulk messages",
				       p->bInterfaceProtocol == CCID_KIND_ICCD_A ? 'A' : 'B',
				       p->bInterfaceProtocol);
	default:
		return g_strdup_printf("bInterfaceProtocol %u is neither CCID (0) nor ICCD (1, 2)",
				       p->bInterfaceProtocol);
	}
	if (!has_bulk_pipes)
		return g_strdup("the interface has no bulk-IN and bulk-OUT pipes for CCID messages");

	int r = ccid_descriptor_decode_class(p->class_desc, sizeof p->class_desc, &desc, &facts);
	if (r != CCID_OK)
		return g_strdup_printf("the class descriptor does not decode: %s",
				       ccid_result_name(r));
	/* The virtual cards speak T=0 or T=1 (ISO 7816-3 §10, §11); with
	 * neither declared no card protocol can be selected. */
	if (!facts.proto_t0 && !facts.proto_t1)
		return g_strdup_printf("dwProtocols 0x%08X declares neither T=0 nor T=1",
				       desc.dwProtocols);
	/* A bulk message must carry at least one byte past its header. */
	if (facts.max_block_payload == 0)
		return g_strdup_printf("dwMaxCCIDMessageLength %u leaves no room past the "
				       "10-byte message header",
				       desc.dwMaxCCIDMessageLength);
	return NULL;
}

bool emu_profile_judge(emu_profile *p, bool has_bulk_pipes)
{
	if (p == NULL)
		return false;
	g_free(p->unsupported_reason);
	p->unsupported_reason = unsupported_reason(p, has_bulk_pipes);
	p->emulatable = p->unsupported_reason == NULL;
	return p->emulatable;
}

/* ---- the configuration descriptor (USB 2.0 §9.6.3-§9.6.6) ---- */

static bool is_iccd(const emu_profile *p)
{
	return p->bInterfaceProtocol == CCID_KIND_ICCD_A ||
	       p->bInterfaceProtocol == CCID_KIND_ICCD_B;
}

/* The interrupt-IN packet size: large enough for a NotifySlotChange of
 * every slot the descriptor declares (CCID 1.1 §6.3.1). */
static uint16_t interrupt_packet(const emu_profile *p)
{
	unsigned slots = (unsigned)p->class_desc[4] + 1u; /* bMaxSlotIndex */
	unsigned need = 1u + (2u * slots + 7u) / 8u;
	if (need < EMU_INTERRUPT_PACKET_MIN)
		need = EMU_INTERRUPT_PACKET_MIN;
	if (need > EMU_INTERRUPT_PACKET_MAX)
		need = EMU_INTERRUPT_PACKET_MAX;
	return (uint16_t)need;
}

static uint8_t *put_endpoint(uint8_t *o, uint8_t address, uint8_t attributes,
			     uint16_t packet, uint8_t interval)
{
	o[0] = USB_ENDPOINT_LEN;
	o[1] = USB_DT_ENDPOINT;
	o[2] = address;
	o[3] = attributes;
	ccid_put_le16(o + 4, packet);
	o[6] = interval;
	return o + USB_ENDPOINT_LEN;
}

/* The endpoints, in the order real readers list them.  ICCD interfaces
 * have no bulk pipes (ICCD 1.0 §3); their only endpoint, if any, is the
 * interrupt-IN.  (A few ICCD rows of the catalogue list bulk endpoints
 * they never use; the profile does not keep them.) */
static uint8_t *put_endpoints(const emu_profile *p, uint8_t *o)
{
	if (!is_iccd(p)) {
		o = put_endpoint(o, EMU_EP_BULK_OUT, USB_EP_BULK, EMU_BULK_PACKET, 0);
		o = put_endpoint(o, EMU_EP_BULK_IN, USB_EP_BULK, EMU_BULK_PACKET, 0);
	}
	if (p->has_interrupt_in)
		o = put_endpoint(o, EMU_EP_INTERRUPT_IN, USB_EP_INTERRUPT,
				 interrupt_packet(p), EMU_INTERRUPT_INTERVAL);
	return o;
}

static unsigned endpoint_count(const emu_profile *p)
{
	return (is_iccd(p) ? 0u : 2u) + (p->has_interrupt_in ? 1u : 0u);
}

/* One configuration with one interface: the profile describes a single
 * CCID interface, so the other interfaces of a composite device are not
 * described.  bNumInterfaces is 1 and bInterfaceNumber stays the real
 * one, so that a host claims the number the real reader used. */
size_t emu_profile_config_descriptor(const emu_profile *p, uint8_t *buf, size_t cap)
{
	if (p == NULL || buf == NULL)
		return 0;
	unsigned n_ep = endpoint_count(p);
	size_t total = USB_CONFIG_LEN + USB_INTERFACE_LEN + EMU_PROFILE_CLASS_DESC_LEN +
		       (size_t)n_ep * USB_ENDPOINT_LEN;
	if (cap < total)
		return 0;

	uint32_t dwFeatures = ccid_get_le32(p->class_desc + 40);
	uint8_t *o = buf;
	o[0] = USB_CONFIG_LEN;
	o[1] = USB_DT_CONFIGURATION;
	ccid_put_le16(o + 2, (uint16_t)total);
	o[4] = 1;    /* bNumInterfaces */
	o[5] = 1;    /* bConfigurationValue */
	o[6] = 0;    /* iConfiguration */
	/* CCID 1.1 §5.1: dwFeatures 0x00100000, USB wake-up on insertion. */
	o[7] = USB_CONFIG_ATTR_ONE |
	       ((dwFeatures & CCID_FEAT_USB_WAKEUP) != 0 ? USB_CONFIG_ATTR_WAKEUP : 0);
	o[8] = EMU_CONFIG_MAX_POWER;
	o += USB_CONFIG_LEN;

	o[0] = USB_INTERFACE_LEN;
	o[1] = USB_DT_INTERFACE;
	o[2] = p->bInterfaceNumber;
	o[3] = 0;    /* bAlternateSetting */
	o[4] = (uint8_t)n_ep;
	o[5] = p->bInterfaceClass;
	o[6] = p->bInterfaceSubClass;
	o[7] = p->bInterfaceProtocol;
	o[8] = 0;    /* iInterface */
	o += USB_INTERFACE_LEN;

	/* CCID 1.1 §5.1: the class descriptor follows the interface
	 * descriptor; some readers put it after the endpoints instead. */
	if (p->desc_after_endpoints)
		o = put_endpoints(p, o);
	memcpy(o, p->class_desc, EMU_PROFILE_CLASS_DESC_LEN);
	o += EMU_PROFILE_CLASS_DESC_LEN;
	if (!p->desc_after_endpoints)
		o = put_endpoints(p, o);

	g_assert((size_t)(o - buf) == total);
	return total;
}
