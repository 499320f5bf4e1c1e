/* ccidlab — T=1 block codec (ISO/IEC 7816-3:2006 §11.3, §11.4).
 *
 *   prologue: NAD | PCB | LEN     information: INF (LEN bytes)
 *   epilogue: LRC (1 byte) or CRC (2 bytes, high byte first)
 *
 * PCB coding (§11.3.2.2):
 *   I-block 0 N(S) M 0 0 0 0 0        b5..b1 RFU, must be 0
 *   R-block 1 0 0 N(R) 0 0 e e        ee: 00 ok, 01 EDC/parity, 10 other
 *   S-block 1 1 R t t t t t           R: response; ttttt: 0 RESYNCH,
 *                                     1 IFS, 2 ABORT, 3 WTX
 * Decoding is strict: everything else is refused with its reason, so the
 * roles answer it as an invalid block (§11.6.3.1).  Encoding applies the
 * same rules, so decode then encode of a valid block gives its bytes back.
 */
#include <string.h>

#include "ccid/bytes.h"
#include "ccid/result.h"
#include "ccid/t1.h"

#define PCB_KIND_MASK 0xC0
#define PCB_R 0x80
#define PCB_S 0xC0
#define PCB_I_NS 0x40
#define PCB_I_MORE 0x20
#define PCB_I_RFU 0x1F
#define PCB_R_NR 0x10
#define PCB_R_RFU 0x2C   /* b6, b4 and b3 */
#define PCB_R_ERR 0x03
#define PCB_S_RESPONSE 0x20
#define PCB_S_TYPE 0x1F

size_t ccid_t1_max_inf(size_t max_payload, ccid_t1_edc edc)
{
	size_t frame = 3 + ccid_edc_size(edc);

	if (max_payload == 0)
		return CCID_T1_MAX_INF;
	if (max_payload <= frame)
		return 0;
	return max_payload - frame < CCID_T1_MAX_INF ? max_payload - frame : CCID_T1_MAX_INF;
}

uint8_t ccid_t1_block_pcb_i(unsigned ns, bool more)
{
	return (uint8_t)(((ns & 1) ? PCB_I_NS : 0) | (more ? PCB_I_MORE : 0));
}

uint8_t ccid_t1_block_pcb_r(unsigned nr, unsigned error)
{
	return (uint8_t)(PCB_R | ((nr & 1) ? PCB_R_NR : 0) | (error & PCB_R_ERR));
}

uint8_t ccid_t1_block_pcb_s(ccid_t1_s_type type, bool response)
{
	return (uint8_t)(PCB_S | (response ? PCB_S_RESPONSE : 0) | ((unsigned)type & PCB_S_TYPE));
}

uint8_t ccid_t1_nad_swap(uint8_t nad)
{
	return (uint8_t)(((nad & 0x07) << 4) | ((nad >> 4) & 0x07));
}

/* An S-block's INF rules, per function (§11.3.2.2 and §11.6.2.2 rules 3,
 * 4, 6 and 9): RESYNCH and ABORT carry nothing, IFS one byte 1..254 (0
 * and 255 are reserved, §11.4.2), WTX one byte, the multiplier, which
 * must be at least 1. */
static int check_s(unsigned type, const uint8_t *inf, size_t len)
{
	switch (type) {
	case CCID_T1_S_RESYNCH:
	case CCID_T1_S_ABORT:
		return len == 0 ? CCID_OK : CCID_E_MALFORMED;
	case CCID_T1_S_IFS:
		if (len != 1 || inf[0] == 0x00 || inf[0] == 0xFF)
			return CCID_E_MALFORMED;
		return CCID_OK;
	case CCID_T1_S_WTX:
		return (len == 1 && inf[0] != 0) ? CCID_OK : CCID_E_MALFORMED;
	default:
		/* 4 was "VPP error" in the 1989 edition, gone since 1997. */
		return CCID_E_MALFORMED;
	}
}

/* Sorts PCB + INF into a block, or refuses an undefined pattern. */
static int classify(uint8_t pcb, const uint8_t *inf, size_t len, ccid_t1_block *b)
{
	memset(b, 0, sizeof *b);
	b->pcb = pcb;
	b->len = len;
	b->inf = len ? inf : NULL;
	if ((pcb & 0x80) == 0) {
		if (pcb & PCB_I_RFU)
			return CCID_E_MALFORMED;
		b->kind = CCID_T1_I_BLOCK;
		b->seq = (pcb & PCB_I_NS) ? 1 : 0;
		b->more = (pcb & PCB_I_MORE) != 0;
		return CCID_OK;
	}
	if ((pcb & PCB_KIND_MASK) == PCB_R) {
		if ((pcb & PCB_R_RFU) || (pcb & PCB_R_ERR) == 3 || len != 0)
			return CCID_E_MALFORMED;
		b->kind = CCID_T1_R_BLOCK;
		b->seq = (pcb & PCB_R_NR) ? 1 : 0;
		b->r_error = pcb & PCB_R_ERR;
		return CCID_OK;
	}
	int rc = check_s(pcb & PCB_S_TYPE, inf, len);
	if (rc != CCID_OK)
		return rc;
	b->kind = CCID_T1_S_BLOCK;
	b->s_type = pcb & PCB_S_TYPE;
	b->s_response = (pcb & PCB_S_RESPONSE) != 0;
	return CCID_OK;
}

int ccid_t1_block_decode(const uint8_t *buf, size_t len, ccid_t1_edc edc,
			 ccid_t1_block *out)
{
	if (buf == NULL || out == NULL)
		return CCID_E_INVALID_ARG;
	size_t edc_len = ccid_edc_size(edc);
	ccid_cursor c = ccid_cursor_make(buf, len);
	const uint8_t *prologue = ccid_cursor_take(&c, 3);
	if (prologue == NULL || c.left < edc_len)
		return CCID_E_SHORT;
	uint8_t nad = prologue[0], pcb = prologue[1], inf_len = prologue[2];
	if (inf_len == 0xFF)
		return CCID_E_TOO_LONG;
	const uint8_t *inf = ccid_cursor_take(&c, inf_len);
	if (inf == NULL || c.left != edc_len)
		return CCID_E_LENGTH;
	if (!ccid_edc_check(edc, buf, len))
		return CCID_E_CHECKSUM;
	ccid_t1_block b;
	int rc = classify(pcb, inf, inf_len, &b);
	if (rc != CCID_OK)
		return rc;
	b.nad = nad;
	*out = b;
	return CCID_OK;
}

int ccid_t1_block_encode(uint8_t nad, uint8_t pcb, const uint8_t *inf,
			 size_t inf_len, ccid_t1_edc edc, uint8_t *out,
			 size_t cap, size_t *out_len)
{
	if (out == NULL || out_len == NULL || (inf == NULL && inf_len != 0))
		return CCID_E_INVALID_ARG;
	if (inf_len > CCID_T1_MAX_INF)
		return CCID_E_TOO_LONG;
	ccid_t1_block b;
	int rc = classify(pcb, inf, inf_len, &b);
	if (rc != CCID_OK)
		return rc;
	size_t total = 3 + inf_len + ccid_edc_size(edc);
	if (cap < total)
		return CCID_E_BUFFER;
	out[0] = nad;
	out[1] = pcb;
	out[2] = (uint8_t)inf_len;
	if (inf_len)
		memmove(out + 3, inf, inf_len);
	ccid_edc_put(edc, out, 3 + inf_len, out + 3 + inf_len);
	*out_len = total;
	return CCID_OK;
}
