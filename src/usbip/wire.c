/* ccidlab — the USB/IP wire format (wire.h): decoding what the peer
 * sends, with every field checked, and encoding what the server sends.
 */
#include "config.h"

#include <string.h>

#include "usbip/wire.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

const char *usbip_wire_error_name(usbip_wire_error e)
{
	static const char *const names[USBIP_WIRE_ERROR_COUNT] = {
		[USBIP_WIRE_OK] = "ok",
		[USBIP_WIRE_BAD_COMMAND] = "unknown command (not CMD_SUBMIT or CMD_UNLINK)",
		[USBIP_WIRE_BAD_DIRECTION] = "direction is neither 0 (out) nor 1 (in)",
		[USBIP_WIRE_BAD_ENDPOINT] = "endpoint number over 15",
		[USBIP_WIRE_TOO_LONG] = "transfer_buffer_length over the bound",
		[USBIP_WIRE_ISOCHRONOUS] = "isochronous transfer (not supported)",
	};
	return (unsigned)e < USBIP_WIRE_ERROR_COUNT ? names[e] : "unknown";
}

void usbip_op_decode(const uint8_t in[USBIP_OP_HEADER_LEN], usbip_op *out)
{
	out->version = get16(in);
	out->code = get16(in + 2);
	out->status = get32(in + 4);
}

void usbip_op_encode(uint8_t out[USBIP_OP_HEADER_LEN], uint16_t code, uint32_t status)
{
	put16(out, USBIP_VERSION);
	put16(out + 2, code);
	put32(out + 4, status);
}

bool usbip_busid_decode(const uint8_t in[USBIP_BUSID_LEN], char out[USBIP_BUSID_LEN])
{
	size_t n = 0;

	while (n < USBIP_BUSID_LEN && in[n] != '\0') {
		if (in[n] < 0x21 || in[n] > 0x7E)
			return false;
		n++;
	}
	if (n == 0 || n == USBIP_BUSID_LEN)
		return false;
	memcpy(out, in, n);
	memset(out + n, 0, USBIP_BUSID_LEN - n);
	return true;
}

size_t usbip_devinfo_encode(const usbip_devinfo *d, bool with_interfaces, uint8_t *out,
			    size_t cap)
{
	size_t n_if = with_interfaces ? d->bNumInterfaces : 0;
	size_t len = USBIP_DEVICE_LEN + n_if * USBIP_INTERFACE_LEN;

	if (d->bNumInterfaces > USBIP_MAX_INTERFACES || cap < len)
		return 0;
	memset(out, 0, len);
	/* The strings keep their terminating NUL: the fields are zero-filled. */
	memcpy(out, d->path, strnlen(d->path, USBIP_PATH_LEN - 1));
	memcpy(out + USBIP_PATH_LEN, d->busid, strnlen(d->busid, USBIP_BUSID_LEN - 1));
	uint8_t *p = out + USBIP_PATH_LEN + USBIP_BUSID_LEN;
	put32(p, d->busnum);
	put32(p + 4, d->devnum);
	put32(p + 8, d->speed);
	put16(p + 12, d->idVendor);
	put16(p + 14, d->idProduct);
	put16(p + 16, d->bcdDevice);
	p[18] = d->bDeviceClass;
	p[19] = d->bDeviceSubClass;
	p[20] = d->bDeviceProtocol;
	p[21] = d->bConfigurationValue;
	p[22] = d->bNumConfigurations;
	p[23] = d->bNumInterfaces;
	p += 24;
	for (size_t i = 0; i < n_if; i++, p += USBIP_INTERFACE_LEN)
		memcpy(p, d->interfaces[i], 3);	/* and a zero padding byte */
	return len;
}

usbip_wire_error usbip_cmd_decode(const uint8_t in[USBIP_HEADER_LEN], usbip_cmd *out)
{
	usbip_cmd c;

	memset(&c, 0, sizeof c);
	c.command = get32(in);
	c.seqnum = get32(in + 4);
	c.devid = get32(in + 8);
	c.direction = get32(in + 12);
	c.ep = get32(in + 16);
	if (c.command != USBIP_CMD_SUBMIT && c.command != USBIP_CMD_UNLINK)
		return USBIP_WIRE_BAD_COMMAND;
	if (c.command == USBIP_CMD_UNLINK) {
		/* The basic header's direction and ep are not used by an
		 * unlink (the document: ep shall be 0): not judged. */
		c.unlink_seqnum = get32(in + 20);
		*out = c;
		return USBIP_WIRE_OK;
	}
	if (c.direction != USBIP_DIR_OUT && c.direction != USBIP_DIR_IN)
		return USBIP_WIRE_BAD_DIRECTION;
	if (c.ep > 15)
		return USBIP_WIRE_BAD_ENDPOINT;
	c.flags = get32(in + 20);
	/* A signed field on the wire: a "negative" length is over the bound too. */
	c.length = get32(in + 24);
	if (c.length > USBIP_MAX_TRANSFER)
		return USBIP_WIRE_TOO_LONG;
	uint32_t packets = get32(in + 32);
	if (packets != 0 && packets != USBIP_NOT_ISO)
		return USBIP_WIRE_ISOCHRONOUS;
	c.interval = get32(in + 36);
	memcpy(c.setup, in + 40, sizeof c.setup);
	*out = c;
	return USBIP_WIRE_OK;
}

/* The basic header of a reply: devid, direction and ep are 0 from a
 * server (the document). */
static void ret_header(uint8_t out[USBIP_HEADER_LEN], uint32_t command, uint32_t seqnum,
		       int32_t status)
{
	memset(out, 0, USBIP_HEADER_LEN);
	put32(out, command);
	put32(out + 4, seqnum);
	put32(out + 20, (uint32_t)status);
}

void usbip_ret_submit_encode(uint8_t out[USBIP_HEADER_LEN], uint32_t seqnum, int32_t status,
			     uint32_t actual_length)
{
	ret_header(out, USBIP_RET_SUBMIT, seqnum, status);
	put32(out + 24, actual_length);
	put32(out + 32, USBIP_NOT_ISO);	/* number_of_packets */
}

void usbip_ret_unlink_encode(uint8_t out[USBIP_HEADER_LEN], uint32_t seqnum, int32_t status)
{
	ret_header(out, USBIP_RET_UNLINK, seqnum, status);
}
