/* ccidlab — CCID frames as usbmon records in a pcap file (pcap_usb.h).
 * Field layout: the Linux kernel's Documentation/usb/usbmon.rst, "binary
 * interface" (struct usbmon_packet, 64 bytes with the mmapped tail);
 * file format: pcap's savefile format (magic a1b2c3d4, version 2.4). */
#include "config.h"

#include <string.h>

#include "cli/pcap_usb.h"

/* usbmon's transfer types and event types. */
#define XFER_INTR 1u
#define XFER_CONTROL 2u
#define XFER_BULK 3u
#define EV_SUBMIT 'S'
#define EV_COMPLETE 'C'
#define EINPROGRESS_NEG (-115)

/* USB 2.0 §9.4 and §9.6: GET_DESCRIPTOR, the descriptor types. */
#define REQ_GET_DESCRIPTOR 6u
#define DESC_DEVICE 1u
#define DESC_CONFIGURATION 2u
#define DESC_INTERFACE 4u
#define DESC_ENDPOINT 5u
#define CLASS_SMART_CARD 0x0Bu
/* USB 2.0 §9.6.6 bmAttributes (not usbmon's numbering). */
#define EP_ATTR_BULK 2u
#define EP_ATTR_INTR 3u

/* CCID 1.1 §6.3: the messages the reader sends on the interrupt pipe. */
#define CCID_NOTIFY_SLOT_CHANGE 0x50u
#define CCID_HARDWARE_ERROR 0x51u

struct pcap_usb {
	GByteArray *out;
	GHashTable *seen;	/* reader numbers already enumerated */
	uint64_t urb_id;	/* the next URB's tag */
};

static void put16(GByteArray *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	g_byte_array_append(b, x, sizeof x);
}

static void put32(GByteArray *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	g_byte_array_append(b, x, sizeof x);
}

static void put64(GByteArray *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void put8(GByteArray *b, uint8_t v)
{
	g_byte_array_append(b, &v, 1);
}

pcap_usb *pcap_usb_new(GByteArray *out)
{
	pcap_usb *p = g_new0(pcap_usb, 1);
	p->out = out;
	p->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	p->urb_id = 1;
	put32(out, 0xa1b2c3d4u);	/* microsecond timestamps */
	put16(out, 2);
	put16(out, 4);
	put32(out, 0);			/* thiszone */
	put32(out, 0);			/* sigfigs */
	put32(out, PCAP_USB_SNAPLEN);
	put32(out, PCAP_USB_LINKTYPE);
	return p;
}

void pcap_usb_free(pcap_usb *p)
{
	if (p == NULL)
		return;
	g_hash_table_destroy(p->seen);
	g_free(p);
}

/* One URB event: where it goes, what it carries. */
typedef struct urb_event {
	uint64_t id;
	char type;			/* EV_SUBMIT or EV_COMPLETE */
	uint8_t xfer;
	uint8_t ep;
	unsigned reader;
	int64_t ts_us;
	int32_t status;
	uint32_t urb_len;		/* the transfer's length */
	const uint8_t *setup;		/* 8 bytes, or NULL */
	const uint8_t *data;		/* what the event carries, or NULL */
	size_t data_len;
} urb_event;

/* A pcap record: its header, the usbmon header, the data. */
static void put_event(pcap_usb *p, const urb_event *e)
{
	GByteArray *b = p->out;
	size_t cap = MIN(e->data_len, (size_t)(PCAP_USB_SNAPLEN - PCAP_USB_HEADER));
	int64_t ts = MAX(e->ts_us, 0);
	uint32_t sec = (uint32_t)(ts / 1000000), usec = (uint32_t)(ts % 1000000);
	put32(b, sec);
	put32(b, usec);
	put32(b, (uint32_t)(PCAP_USB_HEADER + cap));
	put32(b, (uint32_t)(PCAP_USB_HEADER + cap));

	put64(b, e->id);
	put8(b, (uint8_t)e->type);
	put8(b, e->xfer);
	put8(b, e->ep);
	put8(b, (uint8_t)(e->reader % 127u + 1u));
	put16(b, (uint16_t)(e->reader / 127u + 1u));
	/* flag_setup: 0 when the setup bytes are there, else '-'; flag_data:
	 * 0 when data follows, else '<' (IN submit) or '>' (OUT completion). */
	put8(b, e->setup != NULL ? 0 : '-');
	put8(b, cap > 0 ? 0 : (e->ep & 0x80u) ? '<' : '>');
	put64(b, sec);
	put32(b, usec);
	put32(b, (uint32_t)e->status);
	put32(b, e->urb_len);
	put32(b, (uint32_t)cap);
	static const uint8_t no_setup[8];
	g_byte_array_append(b, e->setup != NULL ? e->setup : no_setup, 8);
	put32(b, 0);			/* interval */
	put32(b, 0);			/* start_frame */
	put32(b, 0);			/* xfer_flags */
	put32(b, 0);			/* ndesc */
	if (cap > 0)
		g_byte_array_append(b, e->data, (guint)cap);
}

/* A transfer as usbmon shows it: the submit, then its completion, the
 * data on the side it travels with. */
static void put_transfer(pcap_usb *p, unsigned reader, uint8_t xfer, uint8_t ep, int64_t ts_us,
			 const uint8_t *setup, const uint8_t *data, size_t len)
{
	bool in = (ep & 0x80u) != 0;
	urb_event e = {
		.id = p->urb_id++, .type = EV_SUBMIT, .xfer = xfer, .ep = ep, .reader = reader,
		.ts_us = ts_us, .status = EINPROGRESS_NEG, .urb_len = (uint32_t)MIN(len, UINT32_MAX),
		.setup = setup, .data = in ? NULL : data, .data_len = in ? 0 : len,
	};
	put_event(p, &e);
	e.type = EV_COMPLETE;
	e.status = 0;
	e.setup = NULL;
	e.data = in ? data : NULL;
	e.data_len = in ? len : 0;
	put_event(p, &e);
}

static void get_descriptor(pcap_usb *p, unsigned reader, int64_t ts_us, uint8_t type,
			   const uint8_t *desc, uint16_t len)
{
	const uint8_t setup[8] = { 0x80, REQ_GET_DESCRIPTOR, 0, type, 0, 0,
				   (uint8_t)len, (uint8_t)(len >> 8) };
	put_transfer(p, reader, XFER_CONTROL, 0x80, ts_us, setup, desc, len);
}

/* The enumeration Wireshark needs to know the interface class (see the
 * header).  bcdUSB 2.00, the pid.codes test id the emulator's built-in
 * profiles use: the trace names no real vendor. */
static void enumerate(pcap_usb *p, unsigned reader, int64_t ts_us)
{
	static const uint8_t device[18] = {
		18, DESC_DEVICE, 0x00, 0x02, 0, 0, 0, 64,
		0x09, 0x12, 0x02, 0x00, 0x00, 0x01, 0, 0, 0, 1,
	};
	static const uint8_t config[9 + 9 + 3 * 7] = {
		9, DESC_CONFIGURATION, sizeof config, 0, 1, 1, 0, 0x80, 50,
		9, DESC_INTERFACE, 0, 0, 3, CLASS_SMART_CARD, 0, 0, 0,
		7, DESC_ENDPOINT, PCAP_USB_EP_BULK_OUT, EP_ATTR_BULK, 64, 0, 0,
		7, DESC_ENDPOINT, PCAP_USB_EP_BULK_IN, EP_ATTR_BULK, 64, 0, 0,
		7, DESC_ENDPOINT, PCAP_USB_EP_INTR_IN, EP_ATTR_INTR, 8, 0, 16,
	};
	get_descriptor(p, reader, ts_us, DESC_DEVICE, device, sizeof device);
	get_descriptor(p, reader, ts_us, DESC_CONFIGURATION, config, sizeof config);
}

void pcap_usb_frame(pcap_usb *p, unsigned reader, bool in, int64_t ts_us, const uint8_t *buf,
		    size_t len)
{
	if (!g_hash_table_contains(p->seen, GUINT_TO_POINTER(reader))) {
		g_hash_table_add(p->seen, GUINT_TO_POINTER(reader));
		enumerate(p, reader, ts_us);
	}
	uint8_t ep = PCAP_USB_EP_BULK_OUT, xfer = XFER_BULK;
	if (in && len > 0 && (buf[0] == CCID_NOTIFY_SLOT_CHANGE || buf[0] == CCID_HARDWARE_ERROR)) {
		ep = PCAP_USB_EP_INTR_IN;
		xfer = XFER_INTR;
	} else if (in) {
		ep = PCAP_USB_EP_BULK_IN;
	}
	put_transfer(p, reader, xfer, ep, ts_us, NULL, buf, len);
}
