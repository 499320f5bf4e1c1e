/* ccidlab — T=0 at character level: the procedure bytes (ISO 7816-3 §10.3).
 *
 * Each exchange is one CCID XfrBlock at character level (CCID 1.1
 * §6.1.4): the bytes to send, and in `hint` (wLevelParameter) how many
 * bytes the card should send back.
 */
#include "ccid/t0.h"

#include "ccid/result.h"

#define NULL_BYTE 0x60

/* Sends tx and reads exactly `want` bytes into rx.  Fewer bytes mean the
 * card fell silent (CCID_E_TIMEOUT); more break the contract. */
static int xchg(const ccid_xfer *x, const uint8_t *tx, size_t tx_len, uint8_t *rx,
		size_t want)
{
	/* Never hand the transport a NULL buffer, even for zero bytes. */
	static const uint8_t no_tx[1];
	uint8_t no_rx[1];
	size_t got = 0;
	int r = x->exchange(x->ctx, tx != NULL ? tx : no_tx, tx_len, (uint32_t)want,
			    rx != NULL ? rx : no_rx, want, &got);
	if (r != CCID_OK)
		return r;
	if (got > want)
		return CCID_E_PROTOCOL;
	if (got < want)
		return CCID_E_TIMEOUT;
	return CCID_OK;
}

/* The state of one TPDU: what remains to move, and where. */
typedef struct char_state {
	const ccid_xfer *x;
	ccid_t0_dir dir;
	const uint8_t *out;     /* DIR_OUT: the data still to send */
	uint8_t *in;            /* DIR_IN: where the card's data goes */
	size_t moved;           /* bytes moved so far */
	size_t total;           /* P3 as a count */
} char_state;

/* §10.3.3: INS (all remaining bytes) or ~INS (the next byte only).  The
 * bytes are characters, so they may cross the wire in as many XfrBlocks
 * as one reader message needs (CCID 1.1 §6.1.4: wLevelParameter is the
 * count expected back, any count): pieces of at most max_payload. */
static int move_data(char_state *s, size_t n)
{
	if (s->moved + n > s->total)
		return CCID_E_PROTOCOL;
	size_t piece_max = s->x->max_payload ? s->x->max_payload : n;
	while (n > 0) {
		size_t piece = n < piece_max ? n : piece_max;
		int r;
		if (s->dir == CCID_T0_DIR_OUT)
			r = xchg(s->x, s->out + s->moved, piece, NULL, 0);
		else
			r = xchg(s->x, NULL, 0, s->in + s->moved, piece);
		if (r != CCID_OK)
			return r;
		s->moved += piece;
		n -= piece;
	}
	return CCID_OK;
}

/* Reads the next procedure byte on its own, so that data sent with
 * wLevelParameter 0 and a NULL in between stay separate exchanges. */
static int next_byte(const ccid_xfer *x, uint8_t *pb)
{
	return xchg(x, NULL, 0, pb, 1);
}

/* Procedure bytes other than NULL: one per data byte at most, plus an
 * INS or two; a card that sends more is looping. */
#define MAX_PROCEDURE (256 + 8)

static int follow_procedure(char_state *s, uint8_t ins, uint8_t pb, uint8_t sw[2])
{
	unsigned nulls = 0, others = 0;
	for (;;) {
		int r;
		if (pb == NULL_BYTE) {
			/* §10.3.3: NULL restarts the waiting time; nothing moves. */
			if (++nulls > CCID_T0_MAX_NULL)
				return CCID_E_TIMEOUT;
			if (s->x->extend_time != NULL)
				s->x->extend_time(s->x->ctx, 1);
		} else if ((pb & 0xF0) == 0x60 || (pb & 0xF0) == 0x90) {
			/* SW1; SW2 follows. */
			sw[0] = pb;
			return next_byte(s->x, &sw[1]);
		} else if (++others > MAX_PROCEDURE) {
			return CCID_E_PROTOCOL;
		} else if (pb == ins) {
			r = move_data(s, s->total - s->moved);
			if (r != CCID_OK)
				return r;
		} else if ((pb ^ ins) == 0xFF) {
			r = move_data(s, 1);
			if (r != CCID_OK)
				return r;
		} else {
			return CCID_E_PROTOCOL;
		}
		r = next_byte(s->x, &pb);
		if (r != CCID_OK)
			return r;
	}
}

int ccid_t0_char_tpdu(const ccid_xfer *x, const uint8_t *tpdu, size_t tpdu_len,
		      ccid_t0_dir dir, uint8_t *data, size_t data_cap, size_t *data_len,
		      uint8_t sw[2])
{
	if (x == NULL || x->exchange == NULL || tpdu == NULL || tpdu_len < 5 ||
	    data_len == NULL || sw == NULL)
		return CCID_E_INVALID_ARG;
	*data_len = 0;
	uint8_t ins = tpdu[1];
	uint8_t p3 = tpdu[4];
	char_state s = { .x = x, .dir = dir };
	switch (dir) {
	case CCID_T0_DIR_NONE:
		if (tpdu_len != 5)
			return CCID_E_INVALID_ARG;
		break;
	case CCID_T0_DIR_OUT:
		s.total = p3;
		s.out = tpdu + 5;
		if (tpdu_len != 5 + s.total)
			return CCID_E_INVALID_ARG;
		break;
	case CCID_T0_DIR_IN:
		/* §10.3.2: P3 = 00 asks for 256 bytes. */
		s.total = p3 == 0 ? 256 : p3;
		s.in = data;
		if (tpdu_len != 5 || data == NULL || data_cap < s.total)
			return CCID_E_INVALID_ARG;
		break;
	default:
		return CCID_E_INVALID_ARG;
	}
	if (x->max_payload != 0 && x->max_payload < 5)
		return CCID_E_READER_LIMIT;	/* not even the header fits */
	uint8_t pb;
	int r = xchg(x, tpdu, 5, &pb, 1);
	if (r == CCID_OK)
		r = follow_procedure(&s, ins, pb, sw);
	if (r == CCID_OK && dir == CCID_T0_DIR_IN)
		*data_len = s.moved;
	return r;
}
