/* ccidlab — slots: status, power, and the choice of protocol. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "ccid/errmap.h"
#include "ccid/pps.h"
#include "ccid/quirks.h"
#include "host/reader_priv.h"

#define SLOT_MSG_MAX (CCID_HEADER_SIZE + 300)

static host_slot *slot_of(host_reader *r, unsigned slot)
{
	return slot < r->iface.facts.slot_count ? &r->slots[slot] : NULL;
}

void host_slot_set_why(host_reader *r, unsigned slot, const char *fmt, ...)
{
	va_list ap;

	if (slot >= r->iface.facts.slot_count)
		return;
	va_start(ap, fmt);
	g_vsnprintf(r->slots[slot].why, sizeof r->slots[slot].why, fmt, ap);
	va_end(ap);
}

const char *host_slot_why(const host_reader *r, unsigned slot)
{
	return slot < r->iface.facts.slot_count ? r->slots[slot].why : "";
}

int host_slot_status(host_reader *r, unsigned slot, ccid_icc_status *icc)
{
	uint8_t buf[SLOT_MSG_MAX];
	ccid_msg cmd, rsp;

	if (slot_of(r, slot) == NULL)
		return CCID_E_BAD_SLOT;
	ccid_message_init(&cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, (uint8_t)slot, 0);
	int rc = host_command(r, &cmd, buf, sizeof buf, &rsp);
	if (rc != CCID_OK)
		return rc;
	int icc_rc = ccid_errmap_icc(rsp.p.rdr.bStatus);
	if (icc_rc == CCID_E_PROTOCOL)
		return icc_rc;
	*icc = (ccid_icc_status)(rsp.p.rdr.bStatus & CCID_BSTATUS_ICC_MASK);
	return CCID_OK;
}

/* bPowerSelect values to try, in order (CCID 1.1 §6.1.1): the reader's
 * own choice when it selects automatically, else the classes it supports
 * from the lowest voltage up, as ISO 7816-3 §6.2.4 asks, so that a card
 * of a lower class is never stressed at 5 V first. */
static size_t voltage_plan(const host_reader *r, uint8_t plan[3])
{
	const ccid_class_desc *d = &r->iface.desc;
	size_t n = 0;

	if (d->dwFeatures & CCID_FEAT_AUTO_VOLTAGE || d->bVoltageSupport == 0) {
		plan[n++] = 0;
		return n;
	}
	if (d->bVoltageSupport & CCID_VOLT_1V8)
		plan[n++] = 3;
	if (d->bVoltageSupport & CCID_VOLT_3V)
		plan[n++] = 2;
	if (d->bVoltageSupport & CCID_VOLT_5V)
		plan[n++] = 1;
	return n;
}

static int power_on_once(host_reader *r, unsigned slot, uint8_t select, host_slot *s)
{
	uint8_t buf[SLOT_MSG_MAX];
	ccid_msg cmd, rsp;

	ccid_message_init(&cmd, CCID_PC_TO_RDR_ICC_POWER_ON, (uint8_t)slot, 0);
	cmd.p.power_on.bPowerSelect = select;
	int rc = host_command(r, &cmd, buf, sizeof buf, &rsp);
	if (rc != CCID_OK)
		return rc;
	if (rsp.dwLength > CCID_ATR_MAX)
		return CCID_E_TOO_LONG;
	if (rsp.dwLength > 0)
		memcpy(s->atr, rsp.abData, rsp.dwLength);
	s->atr_len = rsp.dwLength;
	return CCID_OK;
}

int host_slot_power_on(host_reader *r, unsigned slot, uint8_t *atr, size_t cap, size_t *len)
{
	host_slot *s = slot_of(r, slot);
	uint8_t plan[3];
	int rc = CCID_E_UNSUPPORTED;

	if (s == NULL)
		return CCID_E_BAD_SLOT;
	memset(s, 0, sizeof *s);
	s->protocol = -1;
	size_t n = voltage_plan(r, plan);
	for (size_t i = 0; i < n; i++) {
		rc = power_on_once(r, slot, plan[i], s);
		/* No card, or a link that is gone: another voltage changes nothing. */
		if (rc == CCID_OK || rc == CCID_R_ICC_ABSENT || rc == CCID_E_NO_DEVICE ||
		    rc == CCID_E_TRANSPORT)
			break;
		if (i + 1 < n)
			host_slot_power_off(r, slot);
	}
	if (rc != CCID_OK)
		return rc;
	s->atr_ok = ccid_atr_parse(s->atr, s->atr_len, &s->parsed) == CCID_OK;
	if (atr != NULL) {
		if (cap < s->atr_len)
			return CCID_E_BUFFER;
		memcpy(atr, s->atr, s->atr_len);
	}
	if (len != NULL)
		*len = s->atr_len;
	return CCID_OK;
}

int host_slot_power_off(host_reader *r, unsigned slot)
{
	uint8_t buf[SLOT_MSG_MAX];
	ccid_msg cmd, rsp;
	host_slot *s = slot_of(r, slot);

	if (s == NULL)
		return CCID_E_BAD_SLOT;
	s->protocol = -1;
	ccid_message_init(&cmd, CCID_PC_TO_RDR_ICC_POWER_OFF, (uint8_t)slot, 0);
	int rc = host_command(r, &cmd, buf, sizeof buf, &rsp);
	/* Powering off an absent card is no failure (CCID 1.1 §6.1.2). */
	return rc == CCID_R_ICC_ABSENT || rc == CCID_R_ICC_MUTE ? CCID_OK : rc;
}

const uint8_t *host_slot_atr(const host_reader *r, unsigned slot, size_t *len)
{
	if (slot >= r->iface.facts.slot_count) {
		*len = 0;
		return NULL;
	}
	*len = r->slots[slot].atr_len;
	return r->slots[slot].atr;
}

const ccid_atr *host_slot_atr_parsed(const host_reader *r, unsigned slot)
{
	if (slot >= r->iface.facts.slot_count || !r->slots[slot].atr_ok)
		return NULL;
	return &r->slots[slot].parsed;
}

uint8_t host_slot_fidi(const host_reader *r, unsigned slot)
{
	return slot < r->iface.facts.slot_count && r->slots[slot].fidi ? r->slots[slot].fidi
								       : CCID_ATR_DEFAULT_FIDI;
}

const ccid_t1_host *host_slot_t1(const host_reader *r, unsigned slot)
{
	if (slot >= r->iface.facts.slot_count || r->slots[slot].protocol != 1)
		return NULL;
	return &r->slots[slot].t1;
}

int host_slot_protocol(const host_reader *r, unsigned slot)
{
	return slot < r->iface.facts.slot_count ? r->slots[slot].protocol : -1;
}

/* An APDU-level reader owns the link to the card: the host never sees a
 * TPDU it could negotiate with (CCID 1.1 §6.1.4). */
static bool apdu_level(const host_reader *r)
{
	ccid_exchange_level level = r->iface.facts.level;
	return level == CCID_LEVEL_SHORT_APDU || level == CCID_LEVEL_EXTENDED_APDU;
}

/* The reader does the PPS itself (CCID 1.1 table 5.1-1, 0x40 or 0x80). */
static bool reader_does_pps(const host_reader *r)
{
	return (r->iface.desc.dwFeatures & (CCID_FEAT_AUTO_PPS_PROP | CCID_FEAT_AUTO_PPS_CUR)) != 0;
}

/* PPS through a raw XfrBlock at TPDU level (CCID 1.1 §6.1.4: the reader
 * passes the bytes to the card as they are). */
static int run_pps(host_reader *r, unsigned slot, const ccid_pps_decision *dec, uint8_t *fidi)
{
	uint8_t req[CCID_PPS_MAX];
	size_t req_len = 0;
	uint8_t buf[SLOT_MSG_MAX];
	ccid_msg cmd, rsp;
	ccid_pps_outcome out;

	int rc = ccid_pps_build(&dec->request, req, sizeof req, &req_len);
	if (rc != CCID_OK)
		return rc;
	ccid_message_init(&cmd, CCID_PC_TO_RDR_XFR_BLOCK, (uint8_t)slot, 0);
	cmd.dwLength = (uint32_t)req_len;
	cmd.abData = req;
	/* Character level: wLevelParameter is the answer's size (PPS echo). */
	if (r->iface.facts.level == CCID_LEVEL_CHARACTER)
		cmd.p.xfr.wLevelParameter = (uint16_t)req_len;
	rc = host_command(r, &cmd, buf, sizeof buf, &rsp);
	if (rc != CCID_OK)
		return CCID_E_PPS;
	if (ccid_pps_check_response(&dec->request, rsp.abData, rsp.dwLength, &out) != CCID_OK)
		return CCID_E_PPS;
	*fidi = out.pps1_accepted ? out.fidi : CCID_ATR_DEFAULT_FIDI;
	return CCID_OK;
}

/* abProtocolDataStructure, CCID 1.1 §6.1.7 tables 6.1-7 (T=0) and 6.1-8 (T=1). */
static size_t protocol_data(const ccid_atr *a, unsigned protocol, uint8_t fidi, uint8_t *p)
{
	uint8_t conv = a->inverse ? 0x02 : 0x00;
	uint8_t clock_stop = a->has_t15_ta ? a->clock_stop : 0;

	p[0] = fidi;
	if (protocol == 0) {
		p[1] = conv;
		p[2] = a->n;
		p[3] = a->wi;
		p[4] = clock_stop;
		return 5;
	}
	p[1] = (uint8_t)(0x10 | conv | (a->edc_crc ? 0x01 : 0x00));
	p[2] = a->n;
	p[3] = (uint8_t)((a->bwi << 4) | (a->cwi & 0x0F));
	p[4] = clock_stop;
	p[5] = a->ifsc;
	p[6] = 0;	/* NAD */
	return 7;
}

static int set_parameters(host_reader *r, unsigned slot, unsigned protocol, uint8_t fidi)
{
	uint8_t data[7];
	uint8_t buf[SLOT_MSG_MAX];
	ccid_msg cmd, rsp;

	ccid_message_init(&cmd, CCID_PC_TO_RDR_SET_PARAMETERS, (uint8_t)slot, 0);
	cmd.p.set_params.bProtocolNum = (uint8_t)protocol;
	cmd.dwLength = (uint32_t)protocol_data(&r->slots[slot].parsed, protocol, fidi, data);
	cmd.abData = data;
	int rc = host_command(r, &cmd, buf, sizeof buf, &rsp);
	/* A reader that cannot change a parameter, or has no SetParameters,
	 * keeps running on what it chose itself. */
	if (rc == CCID_R_BAD_PARAMETER || rc == CCID_R_CMD_NOT_SUPPORTED)
		return CCID_OK;
	return rc;
}

/* The IFSD the link can run with (ISO 7816-3 §11.4.2): what the reader
 * takes (dwMaxIFSD, at most 254; 32, the default, when it says 0) and, at
 * TPDU level, no more than one message carries: the card's I-blocks come
 * back whole in one DataBlock (CCID 1.1 §6.1.4), so INF may not pass
 * dwMaxCCIDMessageLength less the CCID header, the prologue and the
 * epilogue.  0: not even an empty block fits. */
static unsigned ifsd_bound(const host_reader *r, ccid_t1_edc edc)
{
	uint32_t max_ifsd = r->iface.desc.dwMaxIFSD;
	unsigned bound = max_ifsd == 0 ? CCID_T1_DEFAULT_IFS : MIN(max_ifsd, CCID_T1_MAX_INF);

	if (r->iface.facts.level == CCID_LEVEL_TPDU)
		bound = MIN(bound, (unsigned)ccid_t1_max_inf(host_payload_max(r), edc));
	return bound;
}

/* IFSC is the card's (the ATR's first TA for T=1); our blocks stay under
 * the reader's bound as well, in the T=1 engine (xfer max_payload).  IFSD
 * is ours to choose: with automatic IFSD exchange (dwFeatures 0x400) the
 * reader told the card dwMaxIFSD itself, which is kept when the reader
 * can carry such blocks; otherwise, and without the feature whenever the
 * bound is not the default 32, S(IFS request) sets it (§11.6.2.2 rule 4;
 * libccid negotiates dwMaxIFSD unbounded, doc/catalogue.md compares). */
static int start_t1(host_reader *r, unsigned slot)
{
	host_slot *s = &r->slots[slot];
	const ccid_class_desc *d = &r->iface.desc;
	unsigned ifsc = s->parsed.ifsc ? s->parsed.ifsc : CCID_ATR_DEFAULT_IFSC;
	ccid_t1_edc edc = s->parsed.edc_crc ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC;
	bool apdu = apdu_level(r);
	unsigned bound = apdu ? CCID_T1_MAX_INF : ifsd_bound(r, edc);

	if (bound == 0) {
		host_slot_set_why(r, slot,
				  "T=1 needs a block of %zu bytes; dwMaxCCIDMessageLength %u "
				  "leaves %zu for it",
				  3 + ccid_edc_size(edc) + 1, r->msg_max, host_payload_max(r));
		return CCID_E_READER_LIMIT;
	}
	if (ifsc > CCID_T1_MAX_INF)
		ifsc = CCID_T1_MAX_INF;
	/* What the card believes now: 32, or what the reader sent it. */
	unsigned told = CCID_T1_DEFAULT_IFS;
	if (d->dwFeatures & CCID_FEAT_AUTO_IFSD)
		told = d->dwMaxIFSD == 0 ? CCID_T1_DEFAULT_IFS : MIN(d->dwMaxIFSD, CCID_T1_MAX_INF);
	int rc = ccid_t1_host_init(&s->t1, ifsc, told, edc);
	if (rc != CCID_OK || apdu)
		return rc;
	bool reader_did = (d->dwFeatures & CCID_FEAT_AUTO_IFSD) && told <= bound;
	if (reader_did || bound == told)
		return CCID_OK;
	return host_t1_negotiate(r, slot, bound);
}

int host_slot_set_protocol(host_reader *r, unsigned slot, unsigned protocol)
{
	host_slot *s = slot_of(r, slot);
	const ccid_class_desc *d = &r->iface.desc;
	uint8_t fidi = CCID_ATR_DEFAULT_FIDI;

	if (s == NULL)
		return CCID_E_BAD_SLOT;
	s->why[0] = '\0';
	if (s->atr_len == 0)
		return CCID_R_ICC_INACTIVE;
	if (protocol > 1 || !(d->dwProtocols & (1u << protocol)))
		return CCID_E_UNSUPPORTED;
	if (!s->atr_ok || !ccid_atr_offers(&s->parsed, protocol))
		return CCID_E_UNSUPPORTED;
	if (apdu_level(r)) {
		/* The reader runs the card at the card's offer (TA1). */
		fidi = s->parsed.fidi;
	} else {
		ccid_pps_decision dec;
		int rc = ccid_pps_decide(&s->parsed, protocol, r->rates, r->n_rates,
					 d->dwMaxDataRate, d->dwDefaultClock, &dec);
		if (rc != CCID_OK)
			return rc;
		fidi = dec.fidi;
		if (dec.action == CCID_PPS_NEEDED && !reader_does_pps(r) &&
		    !(r->quirk_flags & CCID_QUIRK_NO_PPS) &&
		    (rc = run_pps(r, slot, &dec, &fidi)) != CCID_OK)
			return rc;
		/* Even a reader that configures itself from the ATR is told the
		 * parameters: it refuses what it cannot change, harmlessly. */
		if ((rc = set_parameters(r, slot, protocol, fidi)) != CCID_OK)
			return rc;
	}
	s->protocol = (int)protocol;
	s->fidi = fidi;
	return protocol == 1 ? start_t1(r, slot) : CCID_OK;
}
