/* ccidlab — the VSCard wire format: QEMU's ccid-card-passthru talks it on
 * a chardev to whoever owns the card (`ccidlab vscard`).
 *
 * Facts from the protocol's public definition (libcacard's
 * vscard_common.h, version 0.0.2) and QEMU's passthru card: every message
 * is a 12-byte header of three big-endian 32-bit words (type, reader_id,
 * length of what follows) and `length` bytes of payload.  Init carries
 * the four magic bytes "VSCD", a big-endian version and capability words;
 * Error carries a big-endian code; ATR and APDU carry raw bytes.  QEMU
 * buffers at most 64 KiB of input and drops the connection past it.
 *
 * Pure: no I/O, no allocation.  Parsing takes (pointer, remaining) and
 * never trusts a length it has not checked against what remains.
 */
#ifndef CCIDLAB_VSCARD_WIRE_H
#define CCIDLAB_VSCARD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define VSCARD_HEADER_SIZE 12u
/* QEMU's receive buffer (ccid-card-passthru VSCARD_IN_SIZE). */
#define VSCARD_MAX_MESSAGE (64u * 1024u)
#define VSCARD_MAX_PAYLOAD (VSCARD_MAX_MESSAGE - VSCARD_HEADER_SIZE)
#define VSCARD_VERSION_0_0_2 2u
#define VSCARD_READER_UNDEFINED 0xFFFFFFFFu
#define VSCARD_READER_FIRST 0u
#define VSCARD_INIT_SIZE 12u	/* magic, version, one capability word */
/* ISO 7816-3 §8.2: an ATR is at most 33 bytes; QEMU takes up to 40. */
#define VSCARD_MAX_ATR 40u

typedef enum vscard_type {
	VSCARD_INIT = 1,
	VSCARD_ERROR = 2,
	VSCARD_READER_ADD = 3,
	VSCARD_READER_REMOVE = 4,
	VSCARD_ATR = 5,
	VSCARD_CARD_REMOVE = 6,
	VSCARD_APDU = 7,
	VSCARD_FLUSH = 8,
	VSCARD_FLUSH_COMPLETE = 9,
} vscard_type;

typedef enum vscard_code {
	VSCARD_SUCCESS = 0,
	VSCARD_GENERAL_ERROR = 1,
	VSCARD_CANNOT_ADD_MORE_READERS = 2,
	VSCARD_CARD_ALREADY_INSERTED = 3,
} vscard_code;

/* Results of this layer: 0 OK, negative errors (vscard_wire_result_name). */
enum {
	VSCARD_OK = 0,
	VSCARD_E_SHORT = -1,	/* not a whole message yet: read more */
	VSCARD_E_TOO_LONG = -2,	/* length past VSCARD_MAX_PAYLOAD */
	VSCARD_E_BAD_INIT = -3,	/* Init without room for magic and version, or wrong magic */
	VSCARD_E_BAD_ERROR = -4,	/* Error without its 4-byte code */
	VSCARD_E_BUFFER = -5,	/* the output does not fit */
	VSCARD_E_RESULT_MIN = -5,
};

typedef struct vscard_msg {
	uint32_t type;
	uint32_t reader_id;
	uint32_t length;
	const uint8_t *payload;	/* length bytes inside the caller's buffer */
} vscard_msg;

/* One message from the front of buf: VSCARD_OK with *used the bytes it
 * took, VSCARD_E_SHORT when more bytes are needed, VSCARD_E_TOO_LONG when
 * the declared length can never fit (the stream is lost). */
int vscard_wire_next(const uint8_t *buf, size_t len, vscard_msg *out, size_t *used);

/* Writes one message; returns its size, or 0 when cap is too small or the
 * payload is over VSCARD_MAX_PAYLOAD. */
size_t vscard_wire_encode(uint32_t type, uint32_t reader_id, const uint8_t *payload,
			  size_t plen, uint8_t *out, size_t cap);
/* Init with our magic, version 0.0.2 and no capability. */
size_t vscard_wire_encode_init(uint8_t *out, size_t cap);
/* Error with a code. */
size_t vscard_wire_encode_error(uint32_t reader_id, uint32_t code, uint8_t *out, size_t cap);

/* Init's version (and whether the magic is right: VSCARD_E_BAD_INIT). */
int vscard_wire_parse_init(const vscard_msg *m, uint32_t *version);
/* Error's code. */
int vscard_wire_parse_error(const vscard_msg *m, uint32_t *code);

/* "Init", "APDU"...; "unknown" otherwise.  Never NULL. */
const char *vscard_type_name(uint32_t type);
/* "ok", "short message"...  Never NULL. */
const char *vscard_wire_result_name(int r);

#endif
