/* ccidlab — the PIN bytes of PC_to_RDR messages (pinmask.h). */
#include "config.h"

#include "ccid/bytes.h"
#include "ccid/message.h"
#include "ccid/pinmask.h"

/* T=1 block prologue (ISO 7816-3 §11.3.2): NAD, PCB, LEN. */
#define T1_PROLOGUE 3u
#define T1_PCB_R_S 0x80u	/* set: an R- or S-block */
#define T1_PCB_MORE 0x20u	/* I-block M bit: a chain goes on */

bool ccid_pinmask_ins(uint8_t ins)
{
	switch (ins) {
	case 0x20: case 0x21:	/* VERIFY */
	case 0x24: case 0x25:	/* CHANGE REFERENCE DATA */
	case 0x26:		/* DISABLE VERIFICATION REQUIREMENT */
	case 0x28:		/* ENABLE VERIFICATION REQUIREMENT */
	case 0x2C: case 0x2D:	/* RESET RETRY COUNTER */
		return true;
	default:
		return false;
	}
}

/* Where a command APDU's data field starts (ISO 7816-4 §5.1: after Lc,
 * one byte, or three when the first is 00 and more follows): n when it
 * has none. */
static size_t data_start(const uint8_t *apdu, size_t n)
{
	if (n <= 5)
		return n;
	return apdu[4] == 0 && n >= 7 ? 7 : 5;
}

/* A range of abData, as [*off, *off + *n) of the message. */
static void mark(size_t from, size_t to, size_t *off, size_t *n)
{
	if (to > from) {
		*off = CCID_HEADER_SIZE + from;
		*n = to - from;
	}
}

/* A whole command APDU (or the first part of one): its data if secret. */
static bool apdu_start(const uint8_t *apdu, size_t n, size_t *off, size_t *n_out, size_t base)
{
	if (n < 2 || !ccid_pinmask_ins(apdu[1]))
		return false;
	mark(base + data_start(apdu, n), base + n, off, n_out);
	return true;
}

/* Short and extended APDU levels: wLevelParameter says where the block
 * stands in a chain (CCID 1.1 §6.1.4). */
static void apdu_level(ccid_pinmask *st, uint16_t wLevel, const uint8_t *ab, size_t n,
		       size_t *off, size_t *n_out)
{
	switch (wLevel) {
	case CCID_CHAIN_BEGIN_MORE:
		st->chain = true;
		st->chain_secret = apdu_start(ab, n, off, n_out, 0);
		return;
	case CCID_CHAIN_CONTINUE_MORE:
	case CCID_CHAIN_CONTINUE_END:
		if (st->chain && st->chain_secret)
			mark(0, n, off, n_out);
		if (wLevel == CCID_CHAIN_CONTINUE_END)
			st->chain = st->chain_secret = false;
		return;
	case CCID_CHAIN_EMPTY_NEXT:
		return;
	default:
		st->chain = st->chain_secret = false;
		apdu_start(ab, n, off, n_out, 0);
		return;
	}
}

/* TPDU level, T=1: the INF of I-blocks; a chain's later blocks whole. */
static void t1_block(ccid_pinmask *st, const uint8_t *ab, size_t n, size_t *off, size_t *n_out)
{
	if (n < T1_PROLOGUE || (ab[1] & T1_PCB_R_S) != 0)
		return;	/* R- and S-blocks carry no APDU */
	size_t inf = ab[2] < n - T1_PROLOGUE ? ab[2] : n - T1_PROLOGUE;
	bool secret;
	if (st->chain) {
		secret = st->chain_secret;
		if (secret)
			mark(T1_PROLOGUE, T1_PROLOGUE + inf, off, n_out);
	} else {
		secret = apdu_start(ab + T1_PROLOGUE, inf, off, n_out, T1_PROLOGUE);
	}
	st->chain = (ab[1] & T1_PCB_MORE) != 0;
	st->chain_secret = st->chain && secret;
}

/* Character level, T=0: the header, then the data bytes in the next
 * XfrBlocks as the procedure bytes ask for them (ISO 7816-3 §10.3.3). */
static void char_level(ccid_pinmask *st, const uint8_t *ab, size_t n, size_t *off,
		       size_t *n_out)
{
	if (st->char_left > 0) {
		size_t k = n < st->char_left ? n : st->char_left;
		mark(0, k, off, n_out);
		st->char_left -= (uint32_t)k;
		return;
	}
	if (n < 5 || !ccid_pinmask_ins(ab[1]))
		return;
	/* P3 is Lc: what is not in this block comes in the next ones. */
	mark(5, n, off, n_out);
	st->char_left = ab[4] > n - 5 ? (uint32_t)(ab[4] - (n - 5)) : 0;
}

void ccid_pinmask_find(ccid_pinmask *st, ccid_exchange_level level, bool t1, const uint8_t *msg,
		       size_t len, size_t *off, size_t *n)
{
	*off = 0;
	*n = 0;
	if (len < CCID_HEADER_SIZE)
		return;
	size_t ab_len = ccid_get_le32(msg + 1);
	if (ab_len > len - CCID_HEADER_SIZE)
		ab_len = len - CCID_HEADER_SIZE;
	const uint8_t *ab = msg + CCID_HEADER_SIZE;

	if (msg[0] == CCID_PC_TO_RDR_SECURE) {
		mark(1, ab_len, off, n);	/* past bPINOperation */
		return;
	}
	if (msg[0] != CCID_PC_TO_RDR_XFR_BLOCK)
		return;
	switch (level) {
	case CCID_LEVEL_SHORT_APDU:
	case CCID_LEVEL_EXTENDED_APDU:
		apdu_level(st, ccid_get_le16(msg + 8), ab, ab_len, off, n);
		break;
	case CCID_LEVEL_TPDU:
		if (t1)
			t1_block(st, ab, ab_len, off, n);
		else
			apdu_start(ab, ab_len, off, n, 0);
		break;
	case CCID_LEVEL_CHARACTER:
		char_level(st, ab, ab_len, off, n);
		break;
	}
}
