/* ccidlab — a reader of the pcap files pcap_usb.c writes, for its unit
 * test and fuzz target: it walks the records on its own (the layout of
 * Documentation/usb/usbmon.rst and pcap's savefile format), so that the
 * writer is checked against the format rather than against itself. */
#ifndef CCIDLAB_TESTS_PCAP_WALK_H
#define CCIDLAB_TESTS_PCAP_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct pcap_rec {
	uint32_t sec, usec;
	uint64_t id;
	char type;
	uint8_t xfer, ep, devnum;
	uint16_t busnum;
	uint8_t flag_setup, flag_data;
	int32_t status;
	uint32_t urb_len, len_cap;
	const uint8_t *setup;		/* 8 bytes */
	const uint8_t *data;		/* len_cap bytes */
} pcap_rec;

static inline uint32_t pw_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t pw_le64(const uint8_t *p)
{
	return pw_le32(p) | (uint64_t)pw_le32(p + 4) << 32;
}

/* The file header: little-endian microsecond pcap 2.4, link type 220. */
static inline bool pcap_walk_header(const uint8_t *b, size_t n)
{
	return n >= 24 && pw_le32(b) == 0xa1b2c3d4u && b[4] == 2 && b[5] == 0 && b[6] == 4 &&
	       b[7] == 0 && pw_le32(b + 20) == 220u;
}

/* The record at *off, which moves past it; false when the bytes there are
 * not one whole, consistent record. */
static inline bool pcap_walk_next(const uint8_t *b, size_t n, size_t *off, pcap_rec *r)
{
	if (n - *off < 16 + 64)
		return false;
	const uint8_t *h = b + *off;
	uint32_t incl = pw_le32(h + 8), orig = pw_le32(h + 12);
	if (incl != orig || incl < 64 || incl > n - *off - 16)
		return false;
	const uint8_t *u = h + 16;
	*r = (pcap_rec){
		.sec = pw_le32(h), .usec = pw_le32(h + 4), .id = pw_le64(u), .type = (char)u[8],
		.xfer = u[9], .ep = u[10], .devnum = u[11], .busnum = (uint16_t)(u[12] | u[13] << 8),
		.flag_setup = u[14], .flag_data = u[15], .status = (int32_t)pw_le32(u + 28),
		.urb_len = pw_le32(u + 32), .len_cap = pw_le32(u + 36), .setup = u + 40,
		.data = u + 64,
	};
	/* The usbmon header repeats the time; the data is exactly what the
	 * record holds past it, and flagged as there. */
	if (pw_le64(u + 16) != r->sec || pw_le32(u + 24) != r->usec || r->usec >= 1000000 ||
	    r->len_cap != incl - 64 || (r->len_cap > 0) != (r->flag_data == 0))
		return false;
	*off += 16 + incl;
	return true;
}

#endif
