/* ccidlab — the emulated CCID reader: the device side of every
 * PC_to_RDR command (CCID 1.1 §6.1, answered per §6.2).  The object and
 * its options are in device_object.c, the pipes in pipe.c, the slots in
 * slot.c, PIN entry in secure.c, faults in fault.c.
 *
 * One file for the whole command set (each command a short function, one
 * dispatch switch), so that the answers' shared rules (bStatus from the
 * slot, bError offsets) read in one place.
 *
 * Every command is decoded with the core's codec and answered with it;
 * bad input gets a failed bStatus with the bError the spec gives (the
 * offset of the offending field, CCID 1.1 table 6.2-2), never silence,
 * except for a bulk-OUT shorter than a header, which carries no bSeq to
 * answer with.
 */
#include "config.h"

#include <string.h>

#include "ccid/atr.h"
#include "ccid/bytes.h"
#include "ccid/result.h"
#include "emu/device_priv.h"

/* Offsets of header fields that bError names (CCID 1.1 §6.1). */
#define OFF_BYTE7 7u	/* bPowerSelect, bProtocolNum, bClockCommand... */
#define OFF_ABDATA 10u

/* ---- answering ---- */

/* One command being answered. */
typedef struct cmd_ctx {
	emu_device *dev;
	const ccid_msg *cmd;
	ccid_msg rsp;
	unsigned work_ms;
	bool wait_abort;
} cmd_ctx;

static ccid_icc_status icc_of(const emu_device *dev, unsigned slot)
{
	return slot < dev->nslots ? emu_slot_icc(&dev->slots[slot]) : CCID_ICC_ABSENT;
}

static void ok_status(cmd_ctx *c)
{
	c->rsp.p.rdr.bStatus = ccid_errmap_bStatus(icc_of(c->dev, c->cmd->bSlot),
						   CCID_CMD_PROCESSED);
	c->rsp.p.rdr.bError = 0;
}

/* A failed answer without data (CCID 1.1 §6.2.6). */
static void fail(cmd_ctx *c, uint8_t bError)
{
	c->rsp.dwLength = 0;
	c->rsp.abData = NULL;
	c->rsp.p.rdr.bStatus = ccid_errmap_bStatus(icc_of(c->dev, c->cmd->bSlot), CCID_CMD_FAILED);
	c->rsp.p.rdr.bError = bError;
	c->rsp.p.rdr.bChainParameter = 0;
}

static void data(cmd_ctx *c, const uint8_t *d, size_t len)
{
	c->rsp.dwLength = (uint32_t)len;
	c->rsp.abData = len > 0 ? d : NULL;
	ok_status(c);
}

static emu_slot *slot_of(cmd_ctx *c)
{
	return &c->dev->slots[c->cmd->bSlot];
}

/* The slot's card can take a command: present, powered, answering.
 * Otherwise answers the failure (CCID 1.1 §6.2.6: 0xFE ICC mute, with
 * bmICCStatus telling absent from inactive) and returns false. */
static bool card_ready(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);

	if (s->card == NULL || !s->powered || emu_card_is_mute(s->card)) {
		fail(c, CCID_ERR_ICC_MUTE);
		return false;
	}
	return true;
}

static uint8_t *slot_rsp_buf(emu_slot *s)
{
	if (s->rsp_buf == NULL)
		s->rsp_buf = g_malloc(CCID_EXTENDED_RESPONSE_MAX);
	return s->rsp_buf;
}

static void xdev_reset(emu_device *dev, emu_slot *s)
{
	if (dev->facts.level != CCID_LEVEL_EXTENDED_APDU)
		return;
	if (s->apdu_buf == NULL)
		s->apdu_buf = g_malloc(CCID_EXTENDED_APDU_MAX);
	ccid_exchange_dev_init(&s->xdev, dev->msg_max, s->apdu_buf,
			       CCID_EXTENDED_APDU_MAX);
}

/* Parameters from the ATR the card gave (CCID 1.1 §6.1.7 fields). */
static void params_from_atr(emu_slot *s, const uint8_t *atr, size_t len)
{
	ccid_atr a;

	emu_slot_default_params(s, s->protocol);
	if (ccid_atr_parse(atr, len, &a) != CCID_OK)
		return;
	s->params[0] = a.fidi;
	s->params[2] = a.n;
	if (s->protocol == 0) {
		s->params[1] = a.inverse ? 0x02 : 0x00;
		s->params[3] = a.wi;
	} else {
		s->params[1] = (uint8_t)(0x10 | (a.inverse ? 0x02 : 0x00) | (a.edc_crc ? 0x01 : 0x00));
		s->params[3] = (uint8_t)((a.bwi << 4) | (a.cwi & 0x0F));
		s->params[5] = a.ifsc;
	}
}

static void cmd_power_on(cmd_ctx *c)
{
	emu_device *dev = c->dev;
	emu_slot *s = slot_of(c);
	uint8_t sel = c->cmd->p.power_on.bPowerSelect;
	uint8_t support = dev->desc.bVoltageSupport;

	if (s->card == NULL) {
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	/* CCID 1.1 §6.1.1: 0 automatic, 1 5 V, 2 3 V, 3 1.8 V; a class the
	 * reader lacks fails with the offset of bPowerSelect. */
	unsigned volt;
	if (sel == 0) {
		volt = (support & CCID_VOLT_5V) ? 1 : (support & CCID_VOLT_3V) ? 2
			: (support & CCID_VOLT_1V8) ? 3 : 1;
	} else if (sel <= 3 && (support & (1u << (sel - 1)))) {
		volt = sel;
	} else {
		fail(c, OFF_BYTE7);
		return;
	}

	uint32_t arg;
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;
	s->powered = false;
	if (emu_fault_take_locked(dev, c->cmd->bSlot, EMU_FAULT_MUTE_AT_POWER_ON, &arg)) {
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	int rc = emu_card_reset(s->card, volt, atr, sizeof atr, &len);
	if (rc != CCID_OK) {
		fail(c, ccid_errmap_bError(rc));
		return;
	}
	if (len == 0) {
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	s->powered = true;
	s->pps_window = true;
	s->auto_ifsd_pending = true;
	s->clock_stopped = false;
	s->protocol = emu_card_protocol(s->card) == 1 ? 1 : 0;
	params_from_atr(s, atr, len);
	xdev_reset(dev, s);
	if (emu_fault_take_locked(dev, c->cmd->bSlot, EMU_FAULT_BAD_ATR, &arg)) {
		/* ISO 7816-3 §8.2.5: TCK is the last byte when present; an
		 * ATR without one gets its last historical byte spoiled,
		 * which a host that checks TCK sees all the same. */
		atr[len - 1] ^= 0xFF;
	}
	uint8_t *buf = slot_rsp_buf(s);
	memcpy(buf, atr, len);
	data(c, buf, len);
}

static void cmd_power_off(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);

	s->powered = false;
	s->clock_stopped = false;
	c->rsp.p.rdr.bClockStatus = 0;
	ok_status(c);
}

static void cmd_slot_status(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);
	bool present = emu_slot_observe_locked(c->dev, c->cmd->bSlot);
	ccid_icc_status icc = emu_slot_icc(s);

	/* A latched edge the truth has left behind. */
	if (present && s->card == NULL)
		icc = CCID_ICC_INACTIVE;
	else if (!present)
		icc = CCID_ICC_ABSENT;
	c->rsp.p.rdr.bStatus = ccid_errmap_bStatus(icc, CCID_CMD_PROCESSED);
	/* CCID 1.1 §6.2.2: 0 running, 1 stopped in state L. */
	c->rsp.p.rdr.bClockStatus = s->clock_stopped ? 1 : 0;
}

/* XfrBlock at the extended APDU level: chained parts (exchange.h). */
static void xfr_extended(cmd_ctx *c, emu_slot *s, unsigned *work_ms)
{
	ccid_dev_step step;
	int rc;

	if (s->apdu_buf == NULL)
		xdev_reset(c->dev, s);
	rc = ccid_exchange_dev_xfr(&s->xdev, c->cmd->p.xfr.wLevelParameter, c->cmd->abData,
				   c->cmd->dwLength, &step);
	if (rc == CCID_OK && step.action == CCID_DEV_RUN_APDU) {
		size_t n = 0;
		uint8_t *buf = slot_rsp_buf(s);
		rc = emu_card_apdu(s->card, step.data, step.len, buf, CCID_EXTENDED_RESPONSE_MAX,
				   &n, work_ms);
		if (rc == CCID_OK)
			rc = ccid_exchange_dev_respond(&s->xdev, buf, n, &step);
	}
	if (rc != CCID_OK) {
		fail(c, ccid_errmap_bError(rc));
		return;
	}
	data(c, step.data, step.len);
	c->rsp.p.rdr.bChainParameter = step.bChainParameter;
}

static void cmd_xfr_block(cmd_ctx *c)
{
	emu_device *dev = c->dev;
	emu_slot *s = slot_of(c);
	uint32_t arg;
	unsigned work = 0;

	if (s->card != NULL &&
	    emu_fault_take_locked(dev, c->cmd->bSlot, EMU_FAULT_REMOVE_IN_XFR, &arg)) {
		/* The card leaves while the reader talks to it. */
		emu_slot_remove_locked(dev, c->cmd->bSlot, EMU_EVENT_SRC_FAULT);
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	if (!card_ready(c))
		return;
	if (dev->facts.level == CCID_LEVEL_EXTENDED_APDU) {
		xfr_extended(c, s, &work);
	} else {
		uint8_t *buf = slot_rsp_buf(s);
		size_t n = 0;
		int rc;
		const uint8_t *in = c->cmd->abData;
		size_t len = c->cmd->dwLength;
		bool pps = s->pps_window && len > 0 && in[0] == 0xFF;
		s->pps_window = false;
		if (pps) {
			/* A TPDU or character-level reader passes the PPS bytes
			 * through (CCID 1.1 §6.1.4); a card that does not take
			 * them stays silent, and the reader reports it mute. */
			rc = emu_card_pps(s->card, in, len, buf, CCID_EXTENDED_RESPONSE_MAX, &n);
			s->auto_ifsd_pending = true;	/* the protocol was set again */
			if (rc == CCID_OK && n > 0)
				data(c, buf, n);
			else
				fail(c, CCID_ERR_ICC_MUTE);
			return;
		}
		if (s->protocol == 1)
			emu_slot_auto_ifsd_locked(dev, s);
		switch (dev->facts.level) {
		case CCID_LEVEL_TPDU:
			if (s->protocol == 1)
				rc = emu_card_t1_block(s->card, in, len, buf, CCID_EXTENDED_RESPONSE_MAX,
						       &n, &work);
			else
				rc = emu_card_t0_tpdu(s->card, in, len, buf, CCID_EXTENDED_RESPONSE_MAX,
						      &n, &work);
			break;
		case CCID_LEVEL_SHORT_APDU:
			rc = emu_card_apdu(s->card, in, len, buf, CCID_EXTENDED_RESPONSE_MAX, &n,
					   &work);
			break;
		default:
			/* CCID 1.1 §6.1.4: character level, wLevelParameter is
			 * the number of bytes expected back. */
			if (s->protocol == 1)
				rc = emu_card_t1_chars(s->card, in, len, c->cmd->p.xfr.wLevelParameter,
						       buf, CCID_EXTENDED_RESPONSE_MAX, &n, &work);
			else
				rc = emu_card_t0_chars(s->card, in, len, c->cmd->p.xfr.wLevelParameter,
						       buf, CCID_EXTENDED_RESPONSE_MAX, &n, &work);
			break;
		}
		if (rc != CCID_OK) {
			fail(c, ccid_errmap_bError(rc));
		} else if (n == 0 && dev->facts.level != CCID_LEVEL_CHARACTER) {
			/* The card kept silent (T=1 BWT elapsed): ICC mute. */
			fail(c, CCID_ERR_ICC_MUTE);
		} else if (n + CCID_HEADER_SIZE > dev->msg_max) {
			/* More than one message can carry at this level. */
			fail(c, CCID_ERR_XFR_OVERRUN);
		} else {
			data(c, buf, n);
		}
	}
	if (emu_fault_take_locked(dev, c->cmd->bSlot, EMU_FAULT_SLOW, &arg))
		work += arg;
	c->work_ms = work;
}

static void params_answer(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);

	c->rsp.p.rdr.bProtocolNum = (uint8_t)s->protocol;
	data(c, s->params, s->protocol == 1 ? EMU_PARAMS_T1_LEN : EMU_PARAMS_T0_LEN);
}

static void cmd_get_parameters(cmd_ctx *c)
{
	if (slot_of(c)->card == NULL) {
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	params_answer(c);
}

static void cmd_reset_parameters(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);

	if (s->card == NULL) {
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	emu_slot_default_params(s, s->protocol);
	params_answer(c);
}

/* CCID 1.1 §6.1.7: validates abProtocolDataStructure; returns 0 or the
 * offset of the refused byte in the message. */
static uint8_t check_params(unsigned proto, const uint8_t *d)
{
	if (!ccid_atr_fidi_valid(d[0]))
		return OFF_ABDATA + 0;
	if (proto == 0) {
		/* bmTCCKST0: only the convention bit (b1). */
		if ((d[1] & ~0x02u) != 0)
			return OFF_ABDATA + 1;
	} else {
		/* bmTCCKST1: 0x10 | convention (b1) | CRC (b0). */
		if ((d[1] & ~0x03u) != 0x10)
			return OFF_ABDATA + 1;
		/* bWaitingIntegersT1: BWI 0..9 (ISO 7816-3 §11.4.3). */
		if ((d[3] >> 4) > 9)
			return OFF_ABDATA + 3;
		/* bIFSC 1..254 (§11.4.2). */
		if (d[5] == 0 || d[5] == 0xFF)
			return OFF_ABDATA + 5;
	}
	/* bClockStop 0..3. */
	if (d[4] > 3)
		return OFF_ABDATA + 4;
	return 0;
}

static void cmd_set_parameters(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);
	unsigned proto = c->cmd->p.set_params.bProtocolNum;

	if (proto > 1 || !(c->dev->desc.dwProtocols & (1u << proto))) {
		fail(c, OFF_BYTE7);
		return;
	}
	size_t need = proto == 1 ? EMU_PARAMS_T1_LEN : EMU_PARAMS_T0_LEN;
	if (c->cmd->dwLength != need) {
		fail(c, CCID_ERR_BAD_LENGTH);
		return;
	}
	uint8_t bad = check_params(proto, c->cmd->abData);
	if (bad != 0) {
		fail(c, bad);
		return;
	}
	if (s->card == NULL) {
		fail(c, CCID_ERR_ICC_MUTE);
		return;
	}
	memset(s->params, 0, sizeof s->params);
	memcpy(s->params, c->cmd->abData, need);
	s->protocol = proto;
	emu_card_set_protocol(s->card, proto);
	s->auto_ifsd_pending = true;
	params_answer(c);
}

static void cmd_escape(cmd_ctx *c)
{
	emu_device *dev = c->dev;

	for (guint i = 0; i < dev->escapes->len; i++) {
		emu_escape *e = g_ptr_array_index(dev->escapes, i);
		gsize n;
		const uint8_t *req = g_bytes_get_data(e->req, &n);
		if (n == c->cmd->dwLength && (n == 0 || memcmp(req, c->cmd->abData, n) == 0)) {
			const uint8_t *rsp = g_bytes_get_data(e->rsp, &n);
			data(c, rsp, n);
			return;
		}
	}
	fail(c, CCID_ERR_CMD_NOT_SUPPORTED);
}

static void cmd_clock(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);
	uint8_t cmdv = c->cmd->p.clock.bClockCommand;

	/* CCID 1.1 §6.1.9: 0 restart, 1 stop; stopping needs the feature. */
	if (cmdv > 1 || (cmdv == 1 && !(c->dev->desc.dwFeatures & CCID_FEAT_CLOCK_STOP))) {
		fail(c, OFF_BYTE7);
		return;
	}
	if (!card_ready(c))
		return;
	s->clock_stopped = cmdv == 1;
	c->rsp.p.rdr.bClockStatus = s->clock_stopped ? 1 : 0;
	ok_status(c);
}

static void cmd_t0apdu(cmd_ctx *c)
{
	/* CCID 1.1 §6.1.10: meaningful at APDU level only (the reader
	 * builds GET RESPONSE / ENVELOPE itself); elsewhere unsupported. */
	ccid_exchange_level l = c->dev->facts.level;
	if (l != CCID_LEVEL_SHORT_APDU && l != CCID_LEVEL_EXTENDED_APDU) {
		fail(c, CCID_ERR_CMD_NOT_SUPPORTED);
		return;
	}
	ok_status(c);
}

static void cmd_secure(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);
	uint32_t arg;

	if (!c->dev->facts.pin_verify && !c->dev->facts.pin_modify) {
		fail(c, CCID_ERR_CMD_NOT_SUPPORTED);
		return;
	}
	if (!card_ready(c))
		return;
	emu_secure_run_locked(c->dev, s, c->cmd, &c->rsp, slot_rsp_buf(s),
			      CCID_EXTENDED_RESPONSE_MAX, &c->work_ms);
	if (emu_fault_take_locked(c->dev, c->cmd->bSlot, EMU_FAULT_SLOW, &arg))
		c->work_ms += arg;
}

static void cmd_abort(cmd_ctx *c)
{
	emu_slot *s = slot_of(c);

	/* CCID 1.1 §5.3.1: answered once both the ABORT class request and
	 * this command, with the same bSeq, have arrived. */
	ok_status(c);
	if (s->abort_ctl && s->abort_seq == c->cmd->bSeq)
		s->abort_ctl = false;
	else
		c->wait_abort = true;
}

/* The entry of `list` to apply for a request: the same value, else the
 * largest below it, else the first; `dflt` when the list is empty. */
static uint32_t pick(const GArray *list, uint32_t want, uint32_t dflt)
{
	uint32_t best = 0;
	bool found = false;

	if (list == NULL || list->len == 0)
		return dflt;
	for (guint i = 0; i < list->len; i++) {
		uint32_t v = g_array_index(list, guint32, i);
		if (v == want)
			return v;
		if (v < want && (!found || v > best)) {
			best = v;
			found = true;
		}
	}
	return found ? best : g_array_index(list, guint32, 0);
}

static void cmd_set_rate(cmd_ctx *c)
{
	emu_device *dev = c->dev;
	uint8_t *buf = slot_rsp_buf(slot_of(c));

	if (c->cmd->dwLength != CCID_DATA_RATE_PAYLOAD) {
		fail(c, CCID_ERR_BAD_LENGTH);
		return;
	}
	/* CCID 1.1 §6.2.5: the values the reader actually applies. */
	uint32_t clock = pick(dev->profile->clocks_supported ? dev->profile->clocks_khz : NULL,
			      ccid_get_le32(c->cmd->abData), dev->desc.dwDefaultClock);
	uint32_t rate = pick(dev->profile->rates_supported ? dev->profile->rates_bps : NULL,
			     ccid_get_le32(c->cmd->abData + 4), dev->desc.dwDataRate);
	ccid_put_le32(buf, clock);
	ccid_put_le32(buf + 4, rate);
	data(c, buf, CCID_DATA_RATE_PAYLOAD);
}

static void dispatch(cmd_ctx *c)
{
	switch (c->cmd->bMessageType) {
	case CCID_PC_TO_RDR_ICC_POWER_ON:
		cmd_power_on(c);
		break;
	case CCID_PC_TO_RDR_ICC_POWER_OFF:
		cmd_power_off(c);
		break;
	case CCID_PC_TO_RDR_GET_SLOT_STATUS:
		cmd_slot_status(c);
		break;
	case CCID_PC_TO_RDR_XFR_BLOCK:
		cmd_xfr_block(c);
		break;
	case CCID_PC_TO_RDR_GET_PARAMETERS:
		cmd_get_parameters(c);
		break;
	case CCID_PC_TO_RDR_RESET_PARAMETERS:
		cmd_reset_parameters(c);
		break;
	case CCID_PC_TO_RDR_SET_PARAMETERS:
		cmd_set_parameters(c);
		break;
	case CCID_PC_TO_RDR_ESCAPE:
		cmd_escape(c);
		break;
	case CCID_PC_TO_RDR_ICC_CLOCK:
		cmd_clock(c);
		break;
	case CCID_PC_TO_RDR_T0APDU:
		cmd_t0apdu(c);
		break;
	case CCID_PC_TO_RDR_SECURE:
		cmd_secure(c);
		break;
	case CCID_PC_TO_RDR_ABORT:
		cmd_abort(c);
		break;
	case CCID_PC_TO_RDR_SET_DATA_RATE_AND_CLOCK_FREQUENCY:
		cmd_set_rate(c);
		break;
	case CCID_PC_TO_RDR_MECHANICAL:
	default:
		/* CCID 1.1 §6.1.12: no mechanical functions here. */
		fail(c, CCID_ERR_CMD_NOT_SUPPORTED);
		break;
	}
}

void emu_device_run_locked(emu_device *dev, const uint8_t *buf, size_t len)
{
	ccid_msg hdr;

	/* Shorter than a header: there is no bSeq to answer with. */
	if (ccid_message_decode_header(buf, len, &hdr) != CCID_OK) {
		g_debug("%s: %s: %zu-byte bulk-OUT ignored", __func__, dev->name, len);
		return;
	}
	/* Unknown commands are answered with a SlotStatus (CCID 1.1
	 * §6.2.6: bError 0, command not supported). */
	uint8_t rtype = ccid_message_response_type(hdr.bMessageType);
	if (rtype == 0)
		rtype = CCID_RDR_TO_PC_SLOT_STATUS;

	ccid_msg cmd;
	ccid_msg_limits lim = { dev->msg_max, dev->desc.bMaxSlotIndex };
	cmd_ctx c = { .dev = dev, .cmd = &hdr };
	ccid_message_init(&c.rsp, rtype, hdr.bSlot, hdr.bSeq);

	int rc = ccid_message_decode(buf, len, &lim, &cmd, NULL);
	if (rc != CCID_OK) {
		fail(&c, ccid_errmap_bError(rc));
		emu_pipe_queue_locked(dev, hdr.bMessageType, &c.rsp, 0, false);
		return;
	}
	c.cmd = &cmd;

	/* CCID 1.1 §5.3: a command for a slot that is still busy, or one
	 * more busy slot than bMaxCCIDBusySlots, is refused (0xE0); Abort is
	 * what a busy slot is for. */
	unsigned max_busy = MAX(1u, dev->desc.bMaxCCIDBusySlots);
	uint32_t arg;
	if (cmd.bMessageType != CCID_PC_TO_RDR_ABORT &&
	    (emu_device_slot_busy_locked(dev, cmd.bSlot) ||
	     emu_device_busy_slots_locked(dev) >= max_busy)) {
		fail(&c, CCID_ERR_CMD_SLOT_BUSY);
	} else if (emu_fault_take_locked(dev, cmd.bSlot, EMU_FAULT_FAIL, &arg)) {
		fail(&c, (uint8_t)arg);
	} else {
		dispatch(&c);
	}
	emu_pipe_queue_locked(dev, cmd.bMessageType, &c.rsp, c.work_ms, c.wait_abort);
}
