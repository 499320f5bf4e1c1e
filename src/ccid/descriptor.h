/* ccidlab — USB descriptors of a CCID reader: the configuration walk and
 * the 54-byte CCID class descriptor (CCID 1.1 §5.1, table 5.1-1).
 *
 * Two entry points:
 *   ccid_descriptor_decode_class()   one bare class descriptor (54 bytes,
 *                                    as in readers.tsv `descriptor_hex`);
 *   ccid_descriptor_parse_config()   the bytes of GET_DESCRIPTOR(CONFIGURATION):
 *                                    every CCID/ICCD interface (and alternate
 *                                    setting) with its endpoints and its
 *                                    decoded class descriptor.
 * Both fill caller-owned structs; nothing is allocated.  Derived facts
 * (exchange level, APDU sizes, slot count...) come with the decode, in
 * ccid_class_facts, so every caller reads them the same way.
 */
#ifndef CCIDLAB_CCID_DESCRIPTOR_H
#define CCIDLAB_CCID_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/exchange.h"

/* CCID 1.1 §5.1: bLength of the class descriptor. */
#define CCID_CLASS_DESC_LEN 54u
/* CCID 1.1 §5.1: bDescriptorType; some vendor-class readers use 0xFF. */
#define CCID_DESC_TYPE_CCID 0x21u
#define CCID_DESC_TYPE_VENDOR 0xFFu
/* CCID 1.1 §4.3: bInterfaceClass; 0xFF readers are accepted with a
 * 54-byte class descriptor. */
#define CCID_IFACE_CLASS_CCID 0x0Bu
#define CCID_IFACE_CLASS_VENDOR 0xFFu

/* CCID 1.1 §6.1.1 / §6.2: the 10-byte bulk message header. */
#define CCID_MSG_HEADER_LEN 10u
/* CCID_SHORT_APDU_MAX (261) and CCID_EXTENDED_APDU_MAX (65544), the
 * ISO 7816-4 §5.1 command APDU maxima, and ccid_exchange_level, whose
 * values are the dwFeatures level bits, come from exchange.h. */
/* CCID 1.1 §5.1 table 5.1-1, dwMaxCCIDMessageLength: "for extended APDU
 * level the value shall be between 261 + 10 (header) and 65544 + 10".
 * No message of any level needs more (a short APDU, a TPDU or a block of
 * a chained extended APDU all fit), so a larger declaration only sizes
 * buffers for a message that never legally comes: it is clamped here. */
#define CCID_MAX_MESSAGE_LENGTH (65544u + CCID_MSG_HEADER_LEN)

/* dwFeatures bits, CCID 1.1 §5.1 table 5.1-1 (0x800 from ICCD 1.0). */
enum {
	CCID_FEAT_AUTO_CONF_ATR = 0x00000002u,   /* parameters from the ATR */
	CCID_FEAT_AUTO_ACTIVATION = 0x00000004u, /* ICC powered on insertion */
	CCID_FEAT_AUTO_VOLTAGE = 0x00000008u,    /* reader selects the voltage */
	CCID_FEAT_AUTO_CLOCK = 0x00000010u,      /* reader changes the clock */
	CCID_FEAT_AUTO_BAUD = 0x00000020u,       /* reader changes the baud rate */
	CCID_FEAT_AUTO_PPS_PROP = 0x00000040u,   /* negotiation by the CCID (proprietary) */
	CCID_FEAT_AUTO_PPS_CUR = 0x00000080u,    /* PPS by the CCID from current params */
	CCID_FEAT_CLOCK_STOP = 0x00000100u,      /* can stop the ICC clock */
	CCID_FEAT_NAD = 0x00000200u,             /* NAD other than 0 accepted (T=1) */
	CCID_FEAT_AUTO_IFSD = 0x00000400u,       /* IFSD exchange done by the CCID (T=1) */
	CCID_FEAT_ICCD_TOKEN = 0x00000800u,      /* ICCD 1.0: an ICCD token */
	CCID_FEAT_LEVEL_TPDU = 0x00010000u,
	CCID_FEAT_LEVEL_SHORT_APDU = 0x00020000u,
	CCID_FEAT_LEVEL_EXTENDED_APDU = 0x00040000u,
	CCID_FEAT_LEVEL_MASK = 0x00070000u,
	CCID_FEAT_USB_WAKEUP = 0x00100000u,      /* remote wake-up on insert/remove */
};

/* bVoltageSupport (CCID 1.1 §5.1), dwProtocols, bPINSupport bits. */
enum {
	CCID_VOLT_5V = 0x01u,
	CCID_VOLT_3V = 0x02u,
	CCID_VOLT_1V8 = 0x04u,
	CCID_PROTO_T0 = 0x01u,
	CCID_PROTO_T1 = 0x02u,
	CCID_PIN_VERIFY = 0x01u,
	CCID_PIN_MODIFY = 0x02u,
};

/* bInterfaceProtocol with class 0x0B (ICCD 1.0 §4.3): 0 bulk CCID,
 * 1 ICCD version A (control), 2 ICCD version B (control + interrupt). */
typedef enum ccid_iface_kind {
	CCID_KIND_CCID = 0,
	CCID_KIND_ICCD_A = 1,
	CCID_KIND_ICCD_B = 2,
	CCID_KIND_UNKNOWN = 3, /* any other bInterfaceProtocol */
} ccid_iface_kind;

/* The 22 fields of CCID 1.1 table 5.1-1, as on the wire (host order). */
typedef struct ccid_class_desc {
	uint8_t bLength;
	uint8_t bDescriptorType;
	uint16_t bcdCCID;
	uint8_t bMaxSlotIndex;
	uint8_t bVoltageSupport;
	uint32_t dwProtocols;
	uint32_t dwDefaultClock; /* kHz */
	uint32_t dwMaximumClock; /* kHz */
	uint8_t bNumClockSupported;
	uint32_t dwDataRate;     /* bps */
	uint32_t dwMaxDataRate;  /* bps */
	uint8_t bNumDataRatesSupported;
	uint32_t dwMaxIFSD;
	uint32_t dwSynchProtocols;
	uint32_t dwMechanical;
	uint32_t dwFeatures;
	uint32_t dwMaxCCIDMessageLength;
	uint8_t bClassGetResponse;
	uint8_t bClassEnvelope;
	uint16_t wLcdLayout;
	uint8_t bPINSupport;
	uint8_t bMaxCCIDBusySlots;
} ccid_class_desc;

/* Facts derived from one class descriptor. */
typedef struct ccid_class_facts {
	ccid_exchange_level level;
	bool level_ambiguous;       /* more than one level bit: highest taken */
	unsigned slot_count;        /* bMaxSlotIndex + 1, 1..256 */
	unsigned busy_slots;        /* bMaxCCIDBusySlots as declared */
	/* dwMaxCCIDMessageLength as used: at most CCID_MAX_MESSAGE_LENGTH
	 * (message_length_clamped says it was more).  Every buffer of one
	 * message is this long, whatever the device declares. */
	uint32_t message_length;
	bool message_length_clamped;
	/* Payload bytes of one bulk message: message_length minus the
	 * 10-byte header (0 when the reader declares less than a header).
	 * This is also the per-block payload of extended-APDU chaining. */
	uint32_t max_block_payload;
	/* Largest short command APDU one XfrBlock carries: the payload,
	 * capped at 261 (ISO 7816-4).  short_apdu_fits: a 261-byte APDU fits,
	 * i.e. dwMaxCCIDMessageLength >= 271. */
	uint32_t max_short_apdu;
	bool short_apdu_fits;
	/* Extended level only: 65544 (the APDU is chained over blocks of
	 * max_block_payload bytes); 0 at every other level. */
	uint32_t max_extended_apdu;
	bool volt_5v, volt_3v, volt_1v8;
	bool proto_t0, proto_t1;
	bool pin_verify, pin_modify;
	bool has_lcd;               /* wLcdLayout != 0 */
	unsigned lcd_lines, lcd_chars; /* wLcdLayout XX (lines) YY (chars) */
	uint32_t auto_features;     /* dwFeatures without the level bits */
} ccid_class_facts;

typedef struct ccid_endpoint {
	bool present;
	uint8_t bEndpointAddress;
	uint8_t bmAttributes;
	uint16_t wMaxPacketSize; /* raw: bits 10..0 size, 12..11 extra transactions */
	uint8_t bInterval;
} ccid_endpoint;

/* One CCID/ICCD interface (one alternate setting) of a configuration. */
typedef struct ccid_interface {
	uint8_t bConfigurationValue;
	uint8_t bInterfaceNumber;
	uint8_t bAlternateSetting;
	uint8_t bNumEndpoints;
	uint8_t bInterfaceClass;
	uint8_t bInterfaceSubClass;
	uint8_t bInterfaceProtocol;
	ccid_iface_kind kind;
	ccid_endpoint bulk_in, bulk_out, interrupt_in;
	bool has_interrupt_in;
	/* The class descriptor came after an endpoint (O2Micro OZ776,
	 * Reiner SCT, Bludrive II). */
	bool desc_after_endpoints;
	ccid_class_desc desc;
	ccid_class_facts facts;
} ccid_interface;

/* Decodes a bare class descriptor: len >= 54, bLength >= 54 and within
 * len, bDescriptorType 0x21 or 0xFF.  Bytes past 54 are ignored.  Fills
 * *desc and, when facts is not NULL, *facts.  On failure (CCID_E_SHORT,
 * CCID_E_LENGTH, CCID_E_BAD_TYPE, CCID_E_INVALID_ARG) nothing is written. */
int ccid_descriptor_decode_class(const uint8_t *buf, size_t len,
				 ccid_class_desc *desc, ccid_class_facts *facts);

/* Derives the facts of a decoded class descriptor. */
void ccid_descriptor_facts(const ccid_class_desc *desc, ccid_class_facts *facts);

/* Walks a configuration descriptor (USB 2.0 §9.6.3) and fills out[0..cap)
 * with its CCID interfaces in descriptor order; *n_out gets their count.
 * An interface qualifies with class 0x0B, or class 0xFF with a 54-byte
 * class descriptor of type 0x21 or 0xFF; the class descriptor may follow
 * the endpoints.  Failures: CCID_E_SHORT (header cut), CCID_E_LENGTH
 * (bLength below the minimum for its type or beyond what remains),
 * CCID_E_BAD_TYPE (not a configuration), CCID_E_MALFORMED (a class 0x0B
 * interface without class descriptor, fewer endpoint descriptors than
 * bNumEndpoints, a bulk CCID without both bulk pipes), CCID_E_BUFFER
 * (more interfaces than cap).  On failure *n_out is untouched and out[]
 * may hold partial results. */
int ccid_descriptor_parse_config(const uint8_t *buf, size_t len,
				 ccid_interface *out, size_t cap, size_t *n_out);

/* Names for display; never NULL. */
const char *ccid_descriptor_level_name(ccid_exchange_level level);
const char *ccid_descriptor_kind_name(ccid_iface_kind kind);
/* Name of one dwFeatures bit (exactly one bit set, level bits included),
 * or "unknown" / "none". */
const char *ccid_descriptor_feature_name(uint32_t bit);

#endif
