/* ccidlab — the insides of a virtual card, shared by card.c (object,
 * spec, ATR, PPS, APDU level), card_t0.c and card_t1.c.  Not part of any
 * contract: only those three files include it. */
#ifndef CCIDLAB_EMU_CARD_PRIVATE_H
#define CCIDLAB_EMU_CARD_PRIVATE_H

#include "ccid/atr.h"
#include "ccid/result.h"
#include "ccid/t1.h"
#include "emu/app.h"
#include "emu/card.h"

/* The application's answer: Ne at most 65,536 data bytes, then SW1 SW2. */
#define EMU_CARD_RSP_CAP (EMU_APDU_MAX_NE + 2)

/* T=0 character level (card_t0.c). */
#define EMU_T0_MS_PER_NULL 10u  /* one NULL per ~10 ms of work */
#define EMU_T0_MAX_NULLS 256u   /* bound, far under CCID_T0_MAX_NULL */
/* NULLs, one procedure byte and up to 256 data bytes (or ~INS + byte
 * pairs), SW1 SW2. */
#define EMU_T0_OUT_CAP (EMU_T0_MAX_NULLS + 1 + 2 * 256 + 2)

typedef enum t0_char_state {
	T0_CHAR_HEADER,         /* collecting CLA INS P1 P2 P3 */
	T0_CHAR_DATA,           /* ACK sent, collecting P3 data bytes */
	T0_CHAR_SEND,           /* the card's bytes are queued */
} t0_char_state;

typedef struct emu_card_t0 {
	/* Response data waiting for GET RESPONSE (7816-3 §12.2.3, §12.2.5):
	 * card->rsp[pending_off .. pending_len), then pending_sw. */
	bool has_pending;
	size_t pending_off;
	size_t pending_len;
	uint16_t pending_sw;
	/* Character level. */
	t0_char_state state;
	uint8_t hdr[5];
	size_t hdr_len;
	uint8_t data[255];
	size_t data_len;
	size_t data_want;
	uint8_t out[EMU_T0_OUT_CAP];
	size_t out_len;
	size_t out_off;
	size_t null_end;        /* out[0..null_end) are NULLs carrying work */
	unsigned null_ms;       /* work reported with each of them */
	unsigned null_ms_extra; /* remainder, with the first */
} emu_card_t0;

typedef struct emu_card_t1 {
	ccid_t1_card role;
	bool ready;
	uint8_t *apdu;          /* CCID_T1_MAX_APDU */
	/* An answer held back behind S(WTX) (§11.6.2.2 rule 3). */
	bool holding;
	size_t held_len;        /* in card->rsp */
	unsigned work_left;     /* ms not yet covered by a WTX */
	unsigned work_next;     /* ms the card works before its next block */
	/* Character level: the reader's block as its characters come, and
	 * the card's answer block as the reader asks for its characters. */
	uint8_t cin[CCID_T1_MAX_BLOCK];
	size_t cin_len;
	uint8_t cout[CCID_T1_MAX_BLOCK];
	size_t cout_len;
	size_t cout_off;
	unsigned cout_work;     /* ms of work reported with the first byte */
} emu_card_t1;

struct emu_card {
	char *spec;
	emu_app *app;
	bool mute;
	bool atr_valid;
	uint8_t atr[CCID_ATR_MAX + 8];
	size_t atr_len;
	ccid_atr parsed;        /* valid when atr_valid */
	emu_card_protocols protocols;
	unsigned protocol;      /* in use: 0 or 1 */
	uint8_t fidi;           /* agreed by PPS, 0x11 after reset */
	uint8_t *rsp;           /* EMU_CARD_RSP_CAP: the application's answer */
	emu_card_t0 t0;
	emu_card_t1 t1;
};

/* The start of every byte- or block-level entry (card_t0.c, card_t1.c):
 * checks the arguments, clears the outputs; CCID_OK to go on, else what
 * the entry returns (CCID_E_INVALID_ARG, CCID_R_ICC_MUTE). */
static inline int emu_card_enter(const emu_card *c, const uint8_t *in, size_t len,
				 const uint8_t *out, size_t cap, size_t *out_len,
				 unsigned *work_ms)
{
	if (c == NULL || out_len == NULL || work_ms == NULL || (in == NULL && len > 0) ||
	    (out == NULL && cap > 0))
		return CCID_E_INVALID_ARG;
	*out_len = 0;
	*work_ms = 0;
	return c->mute ? CCID_R_ICC_MUTE : CCID_OK;
}

/* Runs the application on a decoded APDU; the answer lands in c->rsp
 * (r->data), SW apart. */
void emu_card_run_app(emu_card *c, const emu_apdu *a, emu_app_rsp *r);

/* The card was reset or switched protocols. */
void emu_card_t0_reset(emu_card *c);
void emu_card_t1_reset(emu_card *c);

#endif
