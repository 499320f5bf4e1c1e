/* ccidlab — the VSCard wire format (see wire.h). */
#include <string.h>

#include "vscard/wire.h"

static const uint8_t magic[4] = { 'V', 'S', 'C', 'D' };

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int vscard_wire_next(const uint8_t *buf, size_t len, vscard_msg *out, size_t *used)
{
	if (buf == NULL || len < VSCARD_HEADER_SIZE)
		return VSCARD_E_SHORT;
	uint32_t length = get_be32(buf + 8);
	if (length > VSCARD_MAX_PAYLOAD)
		return VSCARD_E_TOO_LONG;
	if (len - VSCARD_HEADER_SIZE < length)
		return VSCARD_E_SHORT;
	out->type = get_be32(buf);
	out->reader_id = get_be32(buf + 4);
	out->length = length;
	out->payload = buf + VSCARD_HEADER_SIZE;
	*used = VSCARD_HEADER_SIZE + length;
	return VSCARD_OK;
}

size_t vscard_wire_encode(uint32_t type, uint32_t reader_id, const uint8_t *payload,
			  size_t plen, uint8_t *out, size_t cap)
{
	if (plen > VSCARD_MAX_PAYLOAD || cap < VSCARD_HEADER_SIZE ||
	    cap - VSCARD_HEADER_SIZE < plen || (plen > 0 && payload == NULL))
		return 0;
	put_be32(out, type);
	put_be32(out + 4, reader_id);
	put_be32(out + 8, (uint32_t)plen);
	if (plen > 0)
		memcpy(out + VSCARD_HEADER_SIZE, payload, plen);
	return VSCARD_HEADER_SIZE + plen;
}

size_t vscard_wire_encode_init(uint8_t *out, size_t cap)
{
	uint8_t init[VSCARD_INIT_SIZE];

	memcpy(init, magic, sizeof magic);
	put_be32(init + 4, VSCARD_VERSION_0_0_2);
	put_be32(init + 8, 0);	/* capabilities: none defined */
	return vscard_wire_encode(VSCARD_INIT, VSCARD_READER_UNDEFINED, init, sizeof init, out, cap);
}

size_t vscard_wire_encode_error(uint32_t reader_id, uint32_t code, uint8_t *out, size_t cap)
{
	uint8_t c[4];

	put_be32(c, code);
	return vscard_wire_encode(VSCARD_ERROR, reader_id, c, sizeof c, out, cap);
}

int vscard_wire_parse_init(const vscard_msg *m, uint32_t *version)
{
	/* The capability array "may grow": only magic and version are
	 * required to read the rest. */
	if (m->length < 8 || memcmp(m->payload, magic, sizeof magic) != 0)
		return VSCARD_E_BAD_INIT;
	*version = get_be32(m->payload + 4);
	return VSCARD_OK;
}

int vscard_wire_parse_error(const vscard_msg *m, uint32_t *code)
{
	if (m->length < 4)
		return VSCARD_E_BAD_ERROR;
	*code = get_be32(m->payload);
	return VSCARD_OK;
}

const char *vscard_type_name(uint32_t type)
{
	static const char *const names[] = {
		[VSCARD_INIT] = "Init", [VSCARD_ERROR] = "Error",
		[VSCARD_READER_ADD] = "ReaderAdd", [VSCARD_READER_REMOVE] = "ReaderRemove",
		[VSCARD_ATR] = "ATR", [VSCARD_CARD_REMOVE] = "CardRemove",
		[VSCARD_APDU] = "APDU", [VSCARD_FLUSH] = "Flush",
		[VSCARD_FLUSH_COMPLETE] = "FlushComplete",
	};
	if (type < sizeof names / sizeof names[0] && names[type] != NULL)
		return names[type];
	return "unknown";
}

const char *vscard_wire_result_name(int r)
{
	static const char *const names[] = {
		"ok", "short message", "message too long", "bad Init", "bad Error", "buffer too small",
	};
	if (r > 0 || r < VSCARD_E_RESULT_MIN)
		return "unknown";
	return names[-r];
}
