/* ccidlab — PPS request, response check and decision (ISO/IEC 7816-3 §9). */
#include "ccid/pps.h"

#include <string.h>

#include "ccid/result.h"

/* §9.2: PPS0 bit 5, 6, 7 announce PPS1, PPS2, PPS3; bits 4..1 are T. */
#define PPS0_PPS1 0x10
#define PPS0_PPS2 0x20
#define PPS0_PPS3 0x40
#define PPSS 0xFF

static uint8_t xor_bytes(const uint8_t *p, size_t n)
{
	uint8_t x = 0;
	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	return x;
}

static uint8_t request_pps0(const ccid_pps_request *req)
{
	uint8_t pps0 = req->protocol & 0x0F;
	if (req->has_pps1)
		pps0 |= PPS0_PPS1;
	if (req->has_pps2)
		pps0 |= PPS0_PPS2;
	if (req->has_pps3)
		pps0 |= PPS0_PPS3;
	return pps0;
}

int ccid_pps_build(const ccid_pps_request *req, uint8_t *out, size_t cap, size_t *out_len)
{
	if (req == NULL || out == NULL || out_len == NULL || req->protocol > 15)
		return CCID_E_INVALID_ARG;
	uint8_t buf[CCID_PPS_MAX];
	size_t n = 0;
	buf[n++] = PPSS;
	buf[n++] = request_pps0(req);
	if (req->has_pps1)
		buf[n++] = req->pps1;
	if (req->has_pps2)
		buf[n++] = req->pps2;
	if (req->has_pps3)
		buf[n++] = req->pps3;
	/* §9.2: PCK makes the XOR of PPSS..PCK zero. */
	buf[n] = xor_bytes(buf, n);
	n++;
	if (cap < n)
		return CCID_E_BUFFER;
	memcpy(out, buf, n);
	*out_len = n;
	return CCID_OK;
}

/* One optional byte of the response: present only if asked, and then
 * equal to what was asked (§9.3). */
static bool echo_ok(bool asked, uint8_t want, bool answered, const uint8_t **p,
		    const uint8_t *end)
{
	if (!answered)
		return true;
	if (!asked || *p >= end || **p != want)
		return false;
	(*p)++;
	return true;
}

int ccid_pps_check_response(const ccid_pps_request *req, const uint8_t *resp,
			    size_t resp_len, ccid_pps_outcome *out)
{
	if (req == NULL || resp == NULL || out == NULL)
		return CCID_E_INVALID_ARG;
	memset(out, 0, sizeof *out);
	if (resp_len < 3 || resp_len > CCID_PPS_MAX || resp[0] != PPSS)
		return CCID_E_PPS;
	uint8_t pps0 = resp[1];
	if ((pps0 & 0x0F) != (req->protocol & 0x0F) || (pps0 & 0x80) != 0)
		return CCID_E_PPS;
	const uint8_t *p = resp + 2;
	const uint8_t *end = resp + resp_len - 1; /* PCK is last */
	if (!echo_ok(req->has_pps1, req->pps1, pps0 & PPS0_PPS1, &p, end) ||
	    !echo_ok(req->has_pps2, req->pps2, pps0 & PPS0_PPS2, &p, end) ||
	    !echo_ok(req->has_pps3, req->pps3, pps0 & PPS0_PPS3, &p, end))
		return CCID_E_PPS;
	if (p != end || xor_bytes(resp, resp_len) != 0)
		return CCID_E_PPS;
	out->protocol = pps0 & 0x0F;
	out->pps1_accepted = (pps0 & PPS0_PPS1) != 0;
	out->fidi = out->pps1_accepted ? req->pps1 : CCID_ATR_DEFAULT_FIDI;
	return CCID_OK;
}

uint32_t ccid_pps_rate_bps(uint8_t fidi, uint32_t clock_khz)
{
	uint64_t fi = ccid_atr_fi(fidi);
	uint64_t di = ccid_atr_di(fidi);
	if (fi == 0 || di == 0)
		return 0;
	/* §7.1: 1 etu = Fi / (Di f), so the rate is f Di / Fi. */
	uint64_t r = (uint64_t)clock_khz * 1000 * di / fi;
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

bool ccid_pps_rate_supported(uint32_t rate_bps, const uint32_t *rates, size_t n_rates,
			     uint32_t max_rate)
{
	if (rate_bps == 0)
		return false;
	if (rates != NULL && n_rates > 0) {
		for (size_t i = 0; i < n_rates; i++) {
			uint32_t lo = rates[i] > 2 ? rates[i] - 2 : 0;
			if (rate_bps >= lo && rate_bps - lo <= 4)
				return true;
		}
		return false;
	}
	return rate_bps <= max_rate;
}

/* Table 8 in increasing Di: the card that offers Di also takes any lower
 * Di with the same Fi (§9.1 Note: the interface device may pick a lower
 * rate). */
static const uint8_t di_index_by_value[] = { 1, 2, 3, 4, 8, 5, 9, 6, 7 };

uint8_t ccid_pps_pick_fidi(uint8_t ta1, const uint32_t *rates, size_t n_rates,
			   uint32_t max_rate, uint32_t clock_khz)
{
	if (!ccid_atr_fidi_valid(ta1) || clock_khz == 0 ||
	    clock_khz > ccid_atr_fmax_khz(ta1))
		return CCID_ATR_DEFAULT_FIDI;
	uint8_t card_di = ccid_atr_di(ta1);
	uint8_t best = CCID_ATR_DEFAULT_FIDI;
	uint32_t best_rate = 0;
	for (size_t i = 0; i < sizeof di_index_by_value; i++) {
		uint8_t fidi = (uint8_t)((ta1 & 0xF0) | di_index_by_value[i]);
		if (ccid_atr_di(fidi) > card_di)
			break;
		uint32_t rate = ccid_pps_rate_bps(fidi, clock_khz);
		if (rate > best_rate && ccid_pps_rate_supported(rate, rates, n_rates, max_rate)) {
			best = fidi;
			best_rate = rate;
		}
	}
	return best;
}

/* §8.3 TA2: the card runs the named protocol with TA1's Fi/Di (or the
 * defaults), unless bit 5 says it uses implicit values we cannot know. */
static int decide_specific(const ccid_atr *atr, unsigned protocol, const uint32_t *rates,
			   size_t n_rates, uint32_t max_rate, uint32_t clock_khz,
			   ccid_pps_decision *out)
{
	out->action = CCID_PPS_SPECIFIC;
	out->fidi = atr->fidi;
	out->rate_bps = ccid_pps_rate_bps(out->fidi, clock_khz);
	if (atr->specific_implicit || protocol != atr->specific_protocol ||
	    (atr->warnings & CCID_ATR_W_TA1_RFU))
		return CCID_E_UNSUPPORTED;
	if (!ccid_pps_rate_supported(out->rate_bps, rates, n_rates, max_rate) &&
	    out->fidi != CCID_ATR_DEFAULT_FIDI)
		return CCID_E_UNSUPPORTED;
	return CCID_OK;
}

int ccid_pps_decide(const ccid_atr *atr, unsigned protocol, const uint32_t *rates,
		    size_t n_rates, uint32_t max_rate, uint32_t clock_khz,
		    ccid_pps_decision *out)
{
	if (atr == NULL || out == NULL)
		return CCID_E_INVALID_ARG;
	memset(out, 0, sizeof *out);
	if (atr->specific)
		return decide_specific(atr, protocol, rates, n_rates, max_rate, clock_khz, out);

	out->fidi = ccid_pps_pick_fidi(atr->fidi, rates, n_rates, max_rate, clock_khz);
	out->rate_bps = ccid_pps_rate_bps(out->fidi, clock_khz);
	if (!ccid_atr_offers(atr, protocol))
		return CCID_E_UNSUPPORTED;
	/* §9.1: without PPS the card stays at Fd/Dd and its first protocol. */
	if (out->fidi == CCID_ATR_DEFAULT_FIDI && protocol == atr->default_protocol) {
		out->action = CCID_PPS_NOT_NEEDED;
		return CCID_OK;
	}
	out->action = CCID_PPS_NEEDED;
	out->request.protocol = (uint8_t)protocol;
	if (out->fidi != CCID_ATR_DEFAULT_FIDI) {
		out->request.has_pps1 = true;
		out->request.pps1 = out->fidi;
	}
	return CCID_OK;
}
