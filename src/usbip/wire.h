/* ccidlab — the USB/IP wire format, version 0x0111 (issue 15), as the
 * Linux kernel documents it (Documentation/usb/usbip_protocol.rst):
 * every field big-endian except the SETUP packet, which travels as the
 * 8 bytes of USB 2.0 §9.3.
 *
 *   OP_REQ_DEVLIST  8 bytes: version, 0x8005, status 0
 *   OP_REP_DEVLIST  8 bytes: version, 0x0005, status; then the count
 *                   and each device (0x138 bytes) with its interfaces
 *                   (4 bytes each)
 *   OP_REQ_IMPORT   8 bytes: version, 0x8003, status 0; busid (32)
 *   OP_REP_IMPORT   8 bytes: version, 0x0003, status; when 0, the
 *                   device (0x138 bytes, no interfaces)
 *   USBIP_CMD_SUBMIT / RET_SUBMIT / CMD_UNLINK / RET_UNLINK: one 48-byte
 *                   header each (a 20-byte basic header, then the
 *                   command's fields, padded), then a SUBMIT's OUT data
 *                   or a RET_SUBMIT's IN data.
 *
 * Pure: no I/O, no allocation.  Every length and count that comes from
 * the peer is checked here against the bounds below before anyone uses it.
 */
#ifndef CCIDLAB_USBIP_WIRE_H
#define CCIDLAB_USBIP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USBIP_VERSION 0x0111u

/* The operations before a device is imported. */
#define USBIP_OP_REQ_DEVLIST 0x8005u
#define USBIP_OP_REP_DEVLIST 0x0005u
#define USBIP_OP_REQ_IMPORT 0x8003u
#define USBIP_OP_REP_IMPORT 0x0003u
#define USBIP_OP_HEADER_LEN 8u
#define USBIP_BUSID_LEN 32u
#define USBIP_PATH_LEN 256u
#define USBIP_DEVICE_LEN 0x138u
#define USBIP_INTERFACE_LEN 4u

/* Operation statuses.  The protocol document gives 0 (OK) and 1 (error);
 * the usbip tools name these, and say each one to their user. */
enum {
	USBIP_ST_OK = 0,
	USBIP_ST_NA = 1,	/* not available */
	USBIP_ST_DEV_BUSY = 2,	/* exported, in use by another client */
	USBIP_ST_DEV_ERR = 3,
	USBIP_ST_NODEV = 4,	/* no such busid */
	USBIP_ST_ERROR = 5,
};

/* The URB traffic after an import. */
#define USBIP_CMD_SUBMIT 1u
#define USBIP_CMD_UNLINK 2u
#define USBIP_RET_SUBMIT 3u
#define USBIP_RET_UNLINK 4u
#define USBIP_HEADER_LEN 48u
#define USBIP_DIR_OUT 0u
#define USBIP_DIR_IN 1u
/* transfer_flags: the URB must not end with a short packet (include/
 * uapi/linux/usbip.h, USBIP_URB_SHORT_NOT_OK). */
#define USBIP_URB_SHORT_NOT_OK 0x0001u
/* number_of_packets of a transfer that is not isochronous. */
#define USBIP_NOT_ISO 0xFFFFFFFFu

/* Bounds on what a peer may ask for.  An extended APDU of 65,536 bytes
 * makes CCID messages of some 64 KiB (CCID 1.1 §6.1.4), and a host
 * reads each message with one transfer.  Four times that leaves room for
 * any driver's buffer and keeps a connection's memory small. */
#define USBIP_MAX_TRANSFER (256u * 1024u)
/* Interfaces one device lists (a composite device has two). */
#define USBIP_MAX_INTERFACES 8u

typedef struct usbip_op {
	uint16_t version;
	uint16_t code;
	uint32_t status;
} usbip_op;

/* What OP_REP_DEVLIST and OP_REP_IMPORT say of a device. */
typedef struct usbip_devinfo {
	char path[USBIP_PATH_LEN];	/* NUL-terminated */
	char busid[USBIP_BUSID_LEN];	/* NUL-terminated */
	uint32_t busnum, devnum, speed;
	uint16_t idVendor, idProduct, bcdDevice;
	uint8_t bDeviceClass, bDeviceSubClass, bDeviceProtocol;
	uint8_t bConfigurationValue, bNumConfigurations, bNumInterfaces;
	/* class, subclass, protocol of each interface (bNumInterfaces,
	 * at most USBIP_MAX_INTERFACES) */
	uint8_t interfaces[USBIP_MAX_INTERFACES][3];
} usbip_devinfo;

/* A CMD_SUBMIT or CMD_UNLINK header from the peer. */
typedef struct usbip_cmd {
	uint32_t command;	/* USBIP_CMD_SUBMIT or USBIP_CMD_UNLINK */
	uint32_t seqnum;
	uint32_t devid;		/* busnum << 16 | devnum */
	uint32_t direction;	/* USBIP_DIR_OUT or USBIP_DIR_IN */
	uint32_t ep;		/* endpoint number, 0..15 */
	/* CMD_SUBMIT */
	uint32_t flags;
	uint32_t length;	/* transfer_buffer_length, <= USBIP_MAX_TRANSFER */
	uint32_t interval;
	uint8_t setup[8];
	/* CMD_UNLINK */
	uint32_t unlink_seqnum;
} usbip_cmd;

/* Why a header was refused (usbip_cmd_decode); names for logs. */
typedef enum usbip_wire_error {
	USBIP_WIRE_OK = 0,
	USBIP_WIRE_BAD_COMMAND,		/* not CMD_SUBMIT or CMD_UNLINK */
	USBIP_WIRE_BAD_DIRECTION,	/* not 0 or 1 */
	USBIP_WIRE_BAD_ENDPOINT,	/* over 15 */
	USBIP_WIRE_TOO_LONG,		/* transfer_buffer_length over the bound (or negative) */
	USBIP_WIRE_ISOCHRONOUS,		/* number_of_packets other than 0 or 0xffffffff */
	USBIP_WIRE_ERROR_COUNT
} usbip_wire_error;

const char *usbip_wire_error_name(usbip_wire_error e);

/* The 8-byte operation header. */
void usbip_op_decode(const uint8_t in[USBIP_OP_HEADER_LEN], usbip_op *out);
void usbip_op_encode(uint8_t out[USBIP_OP_HEADER_LEN], uint16_t code, uint32_t status);
/* The busid of an OP_REQ_IMPORT body: false unless it is a NUL-terminated
 * printable ASCII string of 1 to 31 characters. */
bool usbip_busid_decode(const uint8_t in[USBIP_BUSID_LEN], char out[USBIP_BUSID_LEN]);
/* A device: USBIP_DEVICE_LEN bytes, then with_interfaces its
 * interfaces (4 bytes each).  Returns the length, or 0 when cap is too
 * small or the device lists more than USBIP_MAX_INTERFACES. */
size_t usbip_devinfo_encode(const usbip_devinfo *d, bool with_interfaces, uint8_t *out,
			    size_t cap);

/* A CMD_SUBMIT or CMD_UNLINK header: every field checked (see
 * usbip_wire_error); *out is written only on success. */
usbip_wire_error usbip_cmd_decode(const uint8_t in[USBIP_HEADER_LEN], usbip_cmd *out);
/* RET_SUBMIT: status (0 or a negative errno), actual_length; the IN data
 * follows it on the wire.  RET_UNLINK: status. */
void usbip_ret_submit_encode(uint8_t out[USBIP_HEADER_LEN], uint32_t seqnum, int32_t status,
			     uint32_t actual_length);
void usbip_ret_unlink_encode(uint8_t out[USBIP_HEADER_LEN], uint32_t seqnum, int32_t status);

#endif
