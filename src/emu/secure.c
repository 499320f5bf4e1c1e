/* ccidlab — PC_to_RDR_Secure on the emulated reader: PIN verification
 * and modification (CCID 1.1 §6.1.11) entered on a virtual keypad.
 *
 * The keypad is a configured sequence (device.h emu_device_set_keypad):
 * entry 0 is the PIN for a verification, entries 0/1/2 the current, new
 * and confirmation PINs for a modification; "cancel" and "timeout"
 * entries end the entry as a user would (bError 0xEF, 0xF0).  The digits
 * are formatted into the APDU template the host sent, as bmFormatString,
 * bmPINBlockString and bmPINLengthFormat say, and the APDU goes to the
 * card at the reader's exchange level; the card's answer is the answer.
 *
 * Positions: the PIN block starts at the APDU data field (after CLA INS
 * P1 P2 Lc), plus bInsertionOffsetOld/New bytes for a modification; the
 * PIN and the PIN length positions are counted from the block's start in
 * the system unit (bits or bytes) of their format byte.
 */
#include "config.h"

#include <string.h>

#include "ccid/bytes.h"
#include "ccid/t1.h"
#include "emu/device_priv.h"

/* CCID 1.1 §6.1.11: bPINOperation. */
#define PIN_VERIFY 0x00u
#define PIN_MODIFY 0x01u

/* Offsets in the whole message of the fields the errors name
 * (abData starts at 10; bPINOperation is abData[0]). */
#define OFF_OPERATION 10u
#define OFF_FORMAT 12u
#define OFF_BLOCK 13u
#define OFF_LENFMT 14u
#define OFF_MAXEXTRA_VERIFY 15u
#define OFF_MAXEXTRA_MODIFY 17u

/* The fields shared by both structures. */
typedef struct pin_format {
	uint8_t bmFormatString;
	uint8_t bmPINBlockString;
	uint8_t bmPINLengthFormat;
	uint8_t min_digits, max_digits;	/* wPINMaxExtraDigit XXYY: XX min, YY max */
	uint16_t off_maxextra;
} pin_format;

typedef struct secure_result {
	uint8_t bError;		/* 0 with ok */
	bool ok;
} secure_result;

static secure_result refuse(uint8_t bError)
{
	secure_result r = { bError, false };
	return r;
}

/* Writes the low nbits of value at bit offset `at` (MSB first). */
static void put_bits(uint8_t *buf, size_t at, unsigned nbits, uint32_t value)
{
	for (unsigned i = 0; i < nbits; i++) {
		size_t bit = at + i;
		unsigned v = (value >> (nbits - 1 - i)) & 1u;
		uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
		if (v)
			buf[bit / 8] |= mask;
		else
			buf[bit / 8] &= (uint8_t)~mask;
	}
}

/* A keypad entry as digits, or the user's cancel/timeout. */
static secure_result keypad_entry(emu_device *dev, unsigned i, const char **digits)
{
	const char *e = NULL;

	for (unsigned k = 0; dev->keypad != NULL && dev->keypad[k] != NULL; k++) {
		if (k == i) {
			e = dev->keypad[k];
			break;
		}
	}
	/* No such entry: the user never pressed anything. */
	if (e == NULL || strcmp(e, "timeout") == 0)
		return refuse(CCID_ERR_PIN_TIMEOUT);
	if (strcmp(e, "cancel") == 0)
		return refuse(CCID_ERR_PIN_CANCELLED);
	*digits = e;
	secure_result r = { 0, true };
	return r;
}

/* Formats one PIN into data[0..data_len) (the APDU data field), its block
 * starting at byte `block`. */
static secure_result format_pin(const pin_format *f, const char *digits, uint8_t *data,
				size_t data_len, size_t block)
{
	size_t n = strlen(digits);

	/* The reader would keep waiting for digits (or refuse more): the
	 * entry ends as a timeout, as on a real pinpad. */
	if (n < f->min_digits || (f->max_digits != 0 && n > f->max_digits))
		return refuse(CCID_ERR_PIN_TIMEOUT);

	unsigned coding = f->bmFormatString & 0x03u;
	if (coding == 3)
		return refuse(OFF_FORMAT);
	unsigned digit_bits = coding == 1 ? 4 : 8;	/* BCD: a nibble each */
	unsigned unit = (f->bmFormatString & 0x80u) ? 8 : 1;
	size_t pin_pos = ((f->bmFormatString >> 3) & 0x0Fu) * unit;
	size_t block_bits = (size_t)(f->bmPINBlockString & 0x0Fu) * 8;
	size_t avail = data_len > block ? (data_len - block) * 8 : 0;

	/* A block size of 0 means "up to the end of the data field". */
	if (block_bits == 0)
		block_bits = avail;
	if (block_bits > avail)
		return refuse(OFF_BLOCK);
	if (pin_pos + n * digit_bits > block_bits)
		return refuse(OFF_FORMAT);

	size_t start = block * 8 + pin_pos;
	if (f->bmFormatString & 0x04u)	/* right justified */
		start = block * 8 + block_bits - n * digit_bits;
	for (size_t i = 0; i < n; i++) {
		uint32_t d = (uint32_t)(digits[i] - '0');
		if (coding == 2)
			d += 0x30;	/* ASCII */
		put_bits(data, start + i * digit_bits, digit_bits, d);
	}

	unsigned len_bits = f->bmPINBlockString >> 4;
	if (len_bits > 0) {
		unsigned len_unit = (f->bmPINLengthFormat & 0x10u) ? 8 : 1;
		size_t len_pos = (f->bmPINLengthFormat & 0x0Fu) * len_unit;
		if (len_pos + len_bits > block_bits)
			return refuse(OFF_LENFMT);
		put_bits(data, block * 8 + len_pos, len_bits, (uint32_t)n);
	}
	secure_result r = { 0, true };
	return r;
}

/* Sends the formatted APDU at the reader's exchange level. */
static int send_apdu(emu_device *dev, emu_slot *s, const uint8_t *tpl_prologue, uint8_t *apdu,
		     size_t len, uint8_t *out, size_t cap, size_t *out_len, unsigned *work_ms)
{
	if (dev->facts.level != CCID_LEVEL_TPDU)
		return emu_card_apdu(s->card, apdu, len, out, cap, out_len, work_ms);
	if (s->protocol == 0)
		return emu_card_t0_tpdu(s->card, apdu, len, out, cap, out_len, work_ms);

	/* T=1 TPDU: the reader wraps the APDU in the I-block bTeoPrologue
	 * describes (CCID 1.1 §6.1.11.4) and returns the card's block. */
	uint8_t block[CCID_T1_MAX_BLOCK];
	size_t blen;
	ccid_t1_edc edc = (s->params[1] & 0x01u) ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC;
	int rc = ccid_t1_block_encode(tpl_prologue[0], tpl_prologue[1], apdu, len, edc, block,
				      sizeof block, &blen);
	if (rc != CCID_OK)
		return rc;
	return emu_card_t1_block(s->card, block, blen, out, cap, out_len, work_ms);
}

/* Checks the APDU template: CLA INS P1 P2 Lc data, Lc covering the data
 * (an Le after it is allowed). */
static bool apdu_ok(const uint8_t *apdu, size_t len)
{
	return len >= 5 && (size_t)apdu[4] + 5 <= len && len <= (size_t)apdu[4] + 6;
}

void emu_secure_run_locked(emu_device *dev, emu_slot *s, const ccid_msg *cmd, ccid_msg *rsp,
			   uint8_t *out, size_t cap, unsigned *work_ms)
{
	ccid_cursor c = ccid_cursor_make(cmd->abData, cmd->dwLength);
	uint8_t op;
	secure_result r = refuse(CCID_ERR_BAD_LENGTH);
	uint8_t apdu[CCID_SHORT_APDU_MAX];
	const uint8_t *prologue = NULL;
	size_t apdu_len = 0;

	*work_ms = 0;
	if (!ccid_cursor_u8(&c, &op))
		goto fail;
	if ((op == PIN_VERIFY && !dev->facts.pin_verify) ||
	    (op == PIN_MODIFY && !dev->facts.pin_modify)) {
		r = refuse(CCID_ERR_CMD_NOT_SUPPORTED);
		goto fail;
	}
	if (op != PIN_VERIFY && op != PIN_MODIFY) {
		r = refuse(OFF_OPERATION);
		goto fail;
	}

	/* CCID 1.1 §6.1.11.4 (verify) / §6.1.11.7 (modify). */
	const uint8_t *h = ccid_cursor_take(&c, op == PIN_VERIFY ? 4 : 6);
	if (h == NULL)
		goto fail;
	pin_format f = { h[1], h[2], h[3], 0, 0, OFF_MAXEXTRA_VERIFY };
	uint8_t off_old = 0, off_new = 0;
	if (op == PIN_MODIFY) {
		off_old = h[4];
		off_new = h[5];
		f.off_maxextra = OFF_MAXEXTRA_MODIFY;
	}
	const uint8_t *w = ccid_cursor_take(&c, 2);
	if (w == NULL)
		goto fail;
	f.max_digits = w[0];
	f.min_digits = w[1];
	if (f.max_digits != 0 && f.min_digits > f.max_digits) {
		r = refuse((uint8_t)f.off_maxextra);
		goto fail;
	}
	uint8_t bConfirmPIN = 0;
	if (op == PIN_MODIFY && !ccid_cursor_u8(&c, &bConfirmPIN))
		goto fail;
	/* bEntryValidationCondition, bNumberMessage, wLangId */
	if (ccid_cursor_take(&c, 4) == NULL)
		goto fail;
	/* bMsgIndex: one for verify; for modify the spec's text and real
	 * hosts disagree on whether bMsgIndex2/3 are always there, so take
	 * the count (3, 2, 1) after which a well-formed APDU follows. */
	size_t n_idx = 1;
	if (op == PIN_MODIFY) {
		n_idx = 3;
		for (size_t k = 3; k >= 1; k--) {
			if (c.left >= k + 3 && apdu_ok(c.p + k + 3, c.left - k - 3)) {
				n_idx = k;
				break;
			}
		}
	}
	if (ccid_cursor_take(&c, n_idx) == NULL)
		goto fail;
	prologue = ccid_cursor_take(&c, 3);	/* bTeoPrologue */
	if (prologue == NULL)
		goto fail;
	if (!apdu_ok(c.p, c.left) || c.left > sizeof apdu)
		goto fail;
	apdu_len = c.left;
	memcpy(apdu, c.p, apdu_len);

	const char *pin = NULL;
	uint8_t *data = apdu + 5;
	size_t data_len = apdu[4];
	if (op == PIN_VERIFY) {
		r = keypad_entry(dev, 0, &pin);
		if (r.ok)
			r = format_pin(&f, pin, data, data_len, 0);
	} else {
		/* bConfirmPIN b1: the current PIN is entered; b0: the new
		 * PIN is entered twice and must match. */
		const char *pin_new = NULL, *pin_confirm = NULL;
		unsigned idx = 0;
		r.ok = true;
		if (bConfirmPIN & 0x02u) {
			r = keypad_entry(dev, idx++, &pin);
			if (r.ok)
				r = format_pin(&f, pin, data, data_len, off_old);
		}
		if (r.ok)
			r = keypad_entry(dev, idx++, &pin_new);
		if (r.ok && (bConfirmPIN & 0x01u)) {
			/* No confirmation entry: the new PIN typed again. */
			if (dev->keypad != NULL && g_strv_length(dev->keypad) > idx)
				r = keypad_entry(dev, idx, &pin_confirm);
			else
				pin_confirm = pin_new;
			/* A mismatch ends the entry as a cancel would. */
			if (r.ok && strcmp(pin_confirm, pin_new) != 0)
				r = refuse(CCID_ERR_PIN_CANCELLED);
		}
		if (r.ok)
			r = format_pin(&f, pin_new, data, data_len, off_new);
	}
	if (!r.ok)
		goto fail;

	size_t n = 0;
	int rc = send_apdu(dev, s, prologue, apdu, apdu_len, out, cap, &n, work_ms);
	if (rc != CCID_OK) {
		r = refuse(ccid_errmap_bError(rc));
		goto fail;
	}
	if (n == 0) {
		r = refuse(CCID_ERR_ICC_MUTE);
		goto fail;
	}
	rsp->dwLength = (uint32_t)n;
	rsp->abData = out;
	rsp->p.rdr.bStatus = ccid_errmap_bStatus(emu_slot_icc(s), CCID_CMD_PROCESSED);
	return;
fail:
	rsp->dwLength = 0;
	rsp->abData = NULL;
	rsp->p.rdr.bStatus = ccid_errmap_bStatus(emu_slot_icc(s), CCID_CMD_FAILED);
	rsp->p.rdr.bError = r.bError;
}
