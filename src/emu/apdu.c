/* ccidlab — command APDU decoding (ISO/IEC 7816-4 §5.1). */
#include "emu/apdu.h"

#include <string.h>

/* The decoding table of 7816-4 §5.1 ("decoding conventions for command
 * bodies"), with L the length of the body after the 4 header bytes and
 * B1 its first byte:
 *   L = 0                          case 1
 *   L = 1                          case 2S, Le = B1 (00 means 256)
 *   L = 1 + B1, B1 != 0            case 3S, Lc = B1
 *   L = 2 + B1, B1 != 0            case 4S, Lc = B1, Le = last byte
 *   L = 3, B1 = 0                  case 2E, Le = B2B3 (0000 means 65,536)
 *   L = 3 + (B2B3), B1 = 0, B2B3 != 0   case 3E
 *   L = 5 + (B2B3), B1 = 0, B2B3 != 0   case 4E, Le = last two bytes
 * Anything else matches no case. */
static void set_short_le(emu_apdu *a, uint8_t le)
{
	a->has_le = true;
	a->ne = le == 0 ? 256 : le;
	a->ne_max = le == 0;
}

static void set_ext_le(emu_apdu *a, const uint8_t *le)
{
	size_t v = ((size_t)le[0] << 8) | le[1];
	a->has_le = true;
	a->ne = v == 0 ? EMU_APDU_MAX_NE : v;
	a->ne_max = v == 0;
	a->extended = true;
}

static uint16_t parse_extended(const uint8_t *body, size_t l, emu_apdu *a)
{
	if (l == 3) {
		a->kase = EMU_APDU_CASE_2E;
		set_ext_le(a, body + 1);
		return 0;
	}
	if (l < 3)
		return EMU_SW_WRONG_LENGTH;
	size_t lc = ((size_t)body[1] << 8) | body[2];
	if (lc == 0)
		return EMU_SW_WRONG_LENGTH;
	if (l == 3 + lc) {
		a->kase = EMU_APDU_CASE_3E;
	} else if (l == 5 + lc) {
		a->kase = EMU_APDU_CASE_4E;
		set_ext_le(a, body + 3 + lc);
	} else {
		return EMU_SW_WRONG_LENGTH;
	}
	a->extended = true;
	a->nc = lc;
	a->data = body + 3;
	return 0;
}

uint16_t emu_apdu_parse(const uint8_t *apdu, size_t len, emu_apdu *out)
{
	emu_apdu a;
	memset(&a, 0, sizeof a);
	if (apdu == NULL || out == NULL || len < 4 || len > EMU_APDU_MAX_LEN)
		return EMU_SW_WRONG_LENGTH;
	a.cla = apdu[0];
	a.ins = apdu[1];
	a.p1 = apdu[2];
	a.p2 = apdu[3];
	a.raw = apdu;
	a.raw_len = len;
	const uint8_t *body = apdu + 4;
	size_t l = len - 4;
	uint16_t sw = 0;
	if (l == 0) {
		a.kase = EMU_APDU_CASE_1;
	} else if (l == 1) {
		a.kase = EMU_APDU_CASE_2S;
		set_short_le(&a, body[0]);
	} else if (body[0] == 0) {
		sw = parse_extended(body, l, &a);
	} else if (l == 1 + (size_t)body[0]) {
		a.kase = EMU_APDU_CASE_3S;
		a.nc = body[0];
		a.data = body + 1;
	} else if (l == 2 + (size_t)body[0]) {
		a.kase = EMU_APDU_CASE_4S;
		a.nc = body[0];
		a.data = body + 1;
		set_short_le(&a, body[l - 1]);
	} else {
		sw = EMU_SW_WRONG_LENGTH;
	}
	if (sw != 0)
		return sw;
	*out = a;
	return 0;
}

size_t emu_apdu_build(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		      size_t nc, size_t ne, uint8_t *out, size_t cap)
{
	if (nc > EMU_APDU_MAX_NC || ne > EMU_APDU_MAX_NE || (nc > 0 && data == NULL) ||
	    out == NULL)
		return 0;
	bool ext = nc > 255 || ne > 256;
	size_t need = 4 + (nc ? (ext ? 3 : 1) + nc : 0) + (ne ? (ext ? (nc ? 2 : 3) : 1) : 0);
	if (need > cap)
		return 0;
	size_t n = 0;
	out[n++] = cla;
	out[n++] = ins;
	out[n++] = p1;
	out[n++] = p2;
	if (nc > 0) {
		if (ext) {
			out[n++] = 0;
			out[n++] = (uint8_t)(nc >> 8);
		}
		out[n++] = (uint8_t)nc;
		memcpy(out + n, data, nc);
		n += nc;
	}
	if (ne > 0) {
		/* 256 and 65,536 travel as all-zero Le. */
		if (ext) {
			if (nc == 0)
				out[n++] = 0;
			out[n++] = (uint8_t)(ne >> 8);
		}
		out[n++] = (uint8_t)ne;
	}
	return n;
}

bool emu_apdu_sw_carries_data(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);
	return sw == EMU_SW_OK || sw1 == 0x62 || sw1 == 0x63;
}
