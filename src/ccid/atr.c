/* ccidlab — Answer-to-Reset parsing (ISO/IEC 7816-3 §8). */
#include "ccid/atr.h"

#include <string.h>

#include "ccid/bytes.h"
#include "ccid/result.h"

/* ISO 7816-3 Table 7: Fi and fmax (kHz) per TA1 high nibble; 0 = RFU. */
static const uint16_t fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0,
	0, 512, 768, 1024, 1536, 2048, 0, 0,
};
static const uint32_t fmax_table[16] = {
	4000, 5000, 6000, 8000, 12000, 16000, 20000, 0,
	0, 5000, 7500, 10000, 15000, 20000, 0, 0,
};
/* ISO 7816-3 Table 8: Di per TA1 low nibble; 0 = RFU. */
static const uint8_t di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0,
};

static const char *const error_names[CCID_ATR_ERROR_COUNT] = {
	[CCID_ATR_OK] = "ok",
	[CCID_ATR_TOO_SHORT] = "ATR too short",
	[CCID_ATR_BAD_TS] = "bad TS",
	[CCID_ATR_TRUNCATED_INTERFACE] = "truncated interface bytes",
	[CCID_ATR_MISSING_HISTORICAL] = "missing historical bytes",
	[CCID_ATR_MISSING_TCK] = "missing TCK",
	[CCID_ATR_BAD_TCK] = "bad TCK",
	[CCID_ATR_TOO_LONG] = "ATR over 33 bytes",
	[CCID_ATR_TRAILING_BYTES] = "bytes after the end of the ATR",
};

const char *ccid_atr_error_name(int e)
{
	if (e < 0 || e >= CCID_ATR_ERROR_COUNT)
		return "unknown ATR error";
	return error_names[e];
}

uint16_t ccid_atr_fi(uint8_t fidi)
{
	return fi_table[fidi >> 4];
}

uint8_t ccid_atr_di(uint8_t fidi)
{
	return di_table[fidi & 0x0F];
}

uint32_t ccid_atr_fmax_khz(uint8_t fidi)
{
	return fmax_table[fidi >> 4];
}

bool ccid_atr_fidi_valid(uint8_t fidi)
{
	return ccid_atr_fi(fidi) != 0 && ccid_atr_di(fidi) != 0;
}

bool ccid_atr_offers(const ccid_atr *atr, unsigned protocol)
{
	if (atr == NULL || protocol > 14)
		return false;
	return (atr->protocols >> protocol) & 1u;
}

static int fail(ccid_atr *out, ccid_atr_error why, int result)
{
	out->error = why;
	return result;
}

/* Reads the interface bytes announced by Y (high nibble of T0 or TDi) into
 * one group; returns false when the ATR ends first. */
static bool read_group(ccid_cursor *c, uint8_t y, ccid_atr_group *g)
{
	uint8_t *slot[4] = { &g->ta, &g->tb, &g->tc, &g->td };
	g->present = y;
	for (unsigned bit = 0; bit < 4; bit++)
		if ((y >> bit) & 1u)
			if (!ccid_cursor_u8(c, slot[bit]))
				return false;
	return true;
}

/* §8.2.3: the interface bytes, group after group, as long as a TDi says
 * more follow.  Also collects the protocols the TDi name. */
static int read_interface(ccid_cursor *c, ccid_atr *out, bool *tck_required)
{
	uint8_t y = out->t0 >> 4;
	uint8_t qualifier = 0;
	for (;;) {
		if (out->n_groups == CCID_ATR_MAX_GROUPS)
			return fail(out, CCID_ATR_TRUNCATED_INTERFACE, CCID_E_SHORT);
		ccid_atr_group *g = &out->groups[out->n_groups++];
		g->protocol = qualifier;
		if (!read_group(c, y, g))
			return fail(out, CCID_ATR_TRUNCATED_INTERFACE, CCID_E_SHORT);
		if (!(g->present & CCID_ATR_HAS_TD))
			return CCID_OK;
		qualifier = g->td & 0x0F;
		y = g->td >> 4;
		/* §8.2.5: TCK is absent only when T=0 alone is indicated. */
		if (qualifier != 0)
			*tck_required = true;
		if (qualifier != 15)
			out->protocols |= (uint16_t)(1u << qualifier);
	}
}

/* §8.2.5: the XOR of T0 up to and including TCK is zero. */
static uint8_t xor_from_t0(const uint8_t *raw, size_t end)
{
	uint8_t x = 0;
	for (size_t i = 1; i < end; i++)
		x ^= raw[i];
	return x;
}

static int read_tail(ccid_cursor *c, ccid_atr *out, bool tck_required)
{
	const uint8_t *h = ccid_cursor_take(c, out->hist_len);
	if (h == NULL)
		return fail(out, CCID_ATR_MISSING_HISTORICAL, CCID_E_SHORT);
	memcpy(out->hist, h, out->hist_len);

	if (tck_required) {
		if (!ccid_cursor_u8(c, &out->tck))
			return fail(out, CCID_ATR_MISSING_TCK, CCID_E_SHORT);
		out->has_tck = true;
		if (xor_from_t0(out->raw, out->len - c->left) != 0)
			return fail(out, CCID_ATR_BAD_TCK, CCID_E_CHECKSUM);
	} else if (c->left == 1 && xor_from_t0(out->raw, out->len) == 0) {
		/* Some T=0 cards send a TCK anyway; it checks, so keep the ATR. */
		ccid_cursor_u8(c, &out->tck);
		out->has_tck = true;
		out->warnings |= CCID_ATR_W_UNEXPECTED_TCK;
	}
	if (c->left != 0)
		return fail(out, CCID_ATR_TRAILING_BYTES, CCID_E_MALFORMED);
	return CCID_OK;
}

/* §8.3: TA1 (Fi/Di), TC1 (N), TC2 (WI), TA2 (specific mode). */
static void derive_global(ccid_atr *out)
{
	const ccid_atr_group *g1 = &out->groups[0];
	out->ta1 = CCID_ATR_DEFAULT_FIDI;
	out->fidi = CCID_ATR_DEFAULT_FIDI;
	if (g1->present & CCID_ATR_HAS_TA) {
		out->has_ta1 = true;
		out->ta1 = g1->ta;
		if (ccid_atr_fidi_valid(g1->ta))
			out->fidi = g1->ta;
		else
			out->warnings |= CCID_ATR_W_TA1_RFU;
	}
	out->fi = ccid_atr_fi(out->fidi);
	out->di = ccid_atr_di(out->fidi);
	out->fmax_khz = ccid_atr_fmax_khz(out->fidi);
	if (g1->present & CCID_ATR_HAS_TC)
		out->n = g1->tc;

	out->wi = CCID_ATR_DEFAULT_WI;
	if (out->n_groups < 2)
		return;
	const ccid_atr_group *g2 = &out->groups[1];
	if (g2->present & CCID_ATR_HAS_TC) {
		/* §10.2: WI = 0 is RFU. */
		out->has_tc2 = true;
		if (g2->tc != 0)
			out->wi = g2->tc;
		else
			out->warnings |= CCID_ATR_W_WI_RFU;
	}
	if (g2->present & CCID_ATR_HAS_TA) {
		/* §8.3 TA2: bit 8 = 0 capable to change, bit 5 = 1 implicit
		 * parameters, bits 4..1 the protocol T. */
		out->specific = true;
		out->specific_protocol = g2->ta & 0x0F;
		out->specific_implicit = (g2->ta & 0x10) != 0;
		out->specific_changeable = (g2->ta & 0x80) == 0;
	}
}

/* §11.4: T=1 uses the first TAi/TBi/TCi (i >= 3) after a TD(i-1) with
 * T=1.  IFSC 0x00 and 0xFF are invalid; 0xFF is clamped to 254, which a
 * card that claims 255 can surely take. */
static void derive_t1_ta(ccid_atr *out, uint8_t ta)
{
	out->has_ifsc = true;
	out->ifsc = ta;
	if (ta == 0x00) {
		out->ifsc = CCID_ATR_DEFAULT_IFSC;
		out->warnings |= CCID_ATR_W_IFSC_INVALID;
	} else if (ta == 0xFF) {
		out->ifsc = 254;
		out->warnings |= CCID_ATR_W_IFSC_INVALID;
	}
}

static void derive_t1(ccid_atr *out, const ccid_atr_group *g)
{
	if ((g->present & CCID_ATR_HAS_TA) && !out->has_ifsc)
		derive_t1_ta(out, g->ta);
	if ((g->present & CCID_ATR_HAS_TB) && !out->has_bwi_cwi) {
		out->has_bwi_cwi = true;
		out->bwi = g->tb >> 4;
		out->cwi = g->tb & 0x0F;
		if (out->bwi > 9)
			out->warnings |= CCID_ATR_W_BWI_RFU;
	}
	if ((g->present & CCID_ATR_HAS_TC) && !out->has_edc) {
		out->has_edc = true;
		out->edc_crc = (g->tc & 0x01) != 0;
	}
}

/* §8.3: after T=15, the first TA gives clock stop (bits 8..7) and class
 * (bits 6..1); the first TB the use of C6 (SPU). */
static void derive_t15(ccid_atr *out, const ccid_atr_group *g)
{
	if ((g->present & CCID_ATR_HAS_TA) && !out->has_t15_ta) {
		out->has_t15_ta = true;
		out->clock_stop = g->ta >> 6;
		out->class_indicator = g->ta & 0x3F;
	}
	if ((g->present & CCID_ATR_HAS_TB) && !out->has_t15_tb) {
		out->has_t15_tb = true;
		out->spu = g->tb;
	}
}

static void derive_protocols(ccid_atr *out)
{
	/* §8.2.3: without TD1 (or with no real protocol named) T=0 is meant. */
	if (out->protocols == 0)
		out->protocols = 1u;
	out->default_protocol = 0;
	if (out->groups[0].present & CCID_ATR_HAS_TD) {
		uint8_t t = out->groups[0].td & 0x0F;
		if (t != 15)
			out->default_protocol = t;
	}
	if (out->specific) {
		/* Specific mode: the card runs TA2's protocol, whatever TD1 says. */
		out->default_protocol = out->specific_protocol;
		if (out->specific_protocol == 15 ||
		    !ccid_atr_offers(out, out->specific_protocol))
			out->warnings |= CCID_ATR_W_TA2_PROTOCOL_NOT_OFFERED;
	}
}

static void derive(ccid_atr *out)
{
	derive_global(out);
	out->ifsc = CCID_ATR_DEFAULT_IFSC;
	out->bwi = CCID_ATR_DEFAULT_BWI;
	out->cwi = CCID_ATR_DEFAULT_CWI;
	for (size_t i = 2; i < out->n_groups; i++) {
		const ccid_atr_group *g = &out->groups[i];
		if (g->protocol == 1)
			derive_t1(out, g);
		else if (g->protocol == 15)
			derive_t15(out, g);
	}
	derive_protocols(out);
}

int ccid_atr_parse(const uint8_t *atr, size_t len, ccid_atr *out)
{
	if (out == NULL)
		return CCID_E_INVALID_ARG;
	memset(out, 0, sizeof *out);
	if (atr == NULL)
		return fail(out, CCID_ATR_TOO_SHORT, CCID_E_INVALID_ARG);
	if (len > CCID_ATR_MAX)
		return fail(out, CCID_ATR_TOO_LONG, CCID_E_TOO_LONG);
	if (len < 2)
		return fail(out, CCID_ATR_TOO_SHORT, CCID_E_SHORT);
	/* §8.1: the reader has decoded the convention; TS tells which. */
	if (atr[0] != 0x3B && atr[0] != 0x3F)
		return fail(out, CCID_ATR_BAD_TS, CCID_E_MALFORMED);
	memcpy(out->raw, atr, len);
	out->len = len;
	out->inverse = atr[0] == 0x3F;
	out->t0 = atr[1];
	out->hist_len = atr[1] & 0x0F;

	ccid_cursor c = ccid_cursor_make(out->raw + 2, len - 2);
	bool tck_required = false;
	int r = read_interface(&c, out, &tck_required);
	if (r == CCID_OK)
		r = read_tail(&c, out, tck_required);
	if (r != CCID_OK)
		return r;
	derive(out);
	return CCID_OK;
}

/* Rounds a / b up; b is never 0 here. */
static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

uint64_t ccid_atr_etu_to_us(uint64_t etu, uint8_t fidi, uint32_t clock_khz)
{
	uint64_t fi = ccid_atr_fi(fidi);
	uint64_t di = ccid_atr_di(fidi);
	if (fi == 0 || di == 0 || clock_khz == 0)
		return 0;
	/* 1 etu = Fi / (Di f) s = Fi * 1000 / (Di f_kHz) us. */
	if (etu > UINT64_MAX / (fi * 1000))
		return UINT64_MAX;
	return div_up(etu * fi * 1000, di * clock_khz);
}

uint32_t ccid_atr_wwt_etu(uint8_t wi, uint8_t fidi)
{
	/* §10.2: WT = WI x 960 x Fi / f = 960 WI Di etu. */
	return 960u * wi * ccid_atr_di(fidi);
}

uint32_t ccid_atr_cwt_etu(uint8_t cwi)
{
	/* §11.4.3: CWT = (11 + 2^CWI) etu. */
	return 11u + (1u << (cwi & 0x0F));
}

uint64_t ccid_atr_bwt_us(uint8_t bwi, uint8_t fidi, uint32_t clock_khz)
{
	/* §11.4.3: BWT = 11 etu + 2^BWI x 960 x 372 / f (Fd, not Fi). */
	uint64_t fi = ccid_atr_fi(fidi);
	uint64_t di = ccid_atr_di(fidi);
	if (fi == 0 || di == 0 || clock_khz == 0)
		return 0;
	uint64_t num = 11 * fi * 1000 + ((uint64_t)1 << (bwi & 0x0F)) * 960 * 372 * 1000 * di;
	return div_up(num, di * clock_khz);
}

static uint32_t guard_time_etu(uint8_t n, unsigned protocol)
{
	/* §8.3 TC1: GT = 12 etu + N etu; N = 255 asks for the minimum, 12 etu
	 * for T=0 and 11 etu for T=1. */
	if (n == 255)
		return protocol == 1 ? 11 : 12;
	return 12u + n;
}

int ccid_atr_times_compute(const ccid_atr *atr, uint8_t fidi, unsigned protocol,
			   uint32_t clock_khz, ccid_atr_times *out)
{
	if (atr == NULL || out == NULL || clock_khz == 0 || !ccid_atr_fidi_valid(fidi))
		return CCID_E_INVALID_ARG;
	memset(out, 0, sizeof *out);
	uint64_t fi = ccid_atr_fi(fidi);
	uint64_t di = ccid_atr_di(fidi);
	out->etu_ns = div_up(fi * 1000000, di * clock_khz);
	out->gt_etu = guard_time_etu(atr->n, protocol);
	out->wwt_etu = ccid_atr_wwt_etu(atr->wi, fidi);
	out->wwt_us = ccid_atr_etu_to_us(out->wwt_etu, fidi, clock_khz);
	out->cwt_etu = ccid_atr_cwt_etu(atr->cwi);
	out->cwt_us = ccid_atr_etu_to_us(out->cwt_etu, fidi, clock_khz);
	out->bwt_us = ccid_atr_bwt_us(atr->bwi, fidi, clock_khz);
	/* In etu: 11 + 2^BWI x 960 x 372 x Di / Fi, rounded up. */
	uint64_t extra = div_up(((uint64_t)1 << (atr->bwi & 0x0F)) * 960 * 372 * di, fi);
	out->bwt_etu = (uint32_t)(11 + extra);
	return CCID_OK;
}
