/* ccidlab — CCID frames as a USB capture file that Wireshark and tshark
 * read: pcap (the classic format, little-endian), link type
 * LINKTYPE_USB_LINUX_MMAPPED (220), one usbmon record per URB event.
 *
 * Wireshark gives a bulk transfer to its CCID dissector ("usbccid") only
 * when it knows the interface class of the endpoint (0x0B, smart card),
 * which it learns from a GET_DESCRIPTOR (CONFIGURATION) response of the
 * same device earlier in the capture.  So before the first frame of each
 * reader the writer emits the enumeration a host would have seen: a
 * GET_DESCRIPTOR (DEVICE) and a GET_DESCRIPTOR (CONFIGURATION) on the
 * control endpoint, synthetic (the trace carries no descriptors): one
 * configuration, one interface of class 0x0B with bulk OUT 0x01, bulk IN
 * 0x82 and interrupt IN 0x83 (CCID 1.1 §3.1; the interface descriptor of
 * USB 2.0 §9.6.5).  Then each CCID message is a URB submit and its
 * completion: PC_to_RDR on 0x01 (data in the submit), RDR_to_PC on 0x82
 * (data in the completion), NotifySlotChange and HardwareError on 0x83.
 *
 * Reader R is device (R mod 127) + 1 of bus (R / 127) + 1.  The writer
 * remembers which readers it has enumerated: one entry per distinct R
 * (the control stream's reader numbers stop at 0xFFFF).  It only builds
 * bytes (no I/O): the caller writes them out as they come.
 */
#ifndef CCIDLAB_CLI_PCAP_USB_H
#define CCIDLAB_CLI_PCAP_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define PCAP_USB_LINKTYPE 220u		/* LINKTYPE_USB_LINUX_MMAPPED */
#define PCAP_USB_HEADER 64u		/* the usbmon mmapped header */
#define PCAP_USB_FILE_HEADER 24u
#define PCAP_USB_RECORD_HEADER 16u
/* Frames longer than this are cut (the usbmon header keeps the length). */
#define PCAP_USB_SNAPLEN 262144u

/* The endpoints of the synthetic interface. */
#define PCAP_USB_EP_BULK_OUT 0x01u
#define PCAP_USB_EP_BULK_IN 0x82u
#define PCAP_USB_EP_INTR_IN 0x83u

typedef struct pcap_usb pcap_usb;

/* A writer whose bytes go to `out`, which gets the file header now. */
pcap_usb *pcap_usb_new(GByteArray *out);
void pcap_usb_free(pcap_usb *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(pcap_usb, pcap_usb_free)

/* Appends one CCID message of reader `reader` (in: reader to host),
 * timed `ts_us` microseconds since the epoch, after the reader's
 * enumeration if this is its first message. */
void pcap_usb_frame(pcap_usb *p, unsigned reader, bool in, int64_t ts_us, const uint8_t *buf,
		    size_t len);

#endif
