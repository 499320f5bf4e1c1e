/* ccidlab — virtual cards (contract between the cards and the device
 * model).
 *
 * A card has an ATR, answers a PPS, runs the card side of T=0 and T=1
 * through the CCID core's roles, and hands whole APDUs to its application
 * (readertest, echo, script, files).  Applications can ask for time: the
 * card reports it as `work_ms`, and the reader turns it into time
 * extensions (bStatus 0x80) at APDU level, S(WTX) at T=1 TPDU level, or
 * NULL procedure bytes at T=0 character level.
 *
 * Not thread-safe: the device model calls a card with its slot lock held.
 */
#ifndef CCIDLAB_EMU_CARD_H
#define CCIDLAB_EMU_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

typedef struct emu_card emu_card;

typedef enum emu_card_protocols {
	EMU_CARD_T0 = 1,
	EMU_CARD_T1 = 2,
	EMU_CARD_T0_T1 = 3,	/* dual: T=0 default, T=1 offered */
} emu_card_protocols;

/* A card as written in configuration: "readertest", "echo:sw=9000",
 * "script:FILE", "files:FILE", with optional ",t1", ",t0", ",dual",
 * ",atr=3B...", ",pin=1234", ",mute" (present but answers no ATR). */
emu_card *emu_card_new_from_spec(const char *spec, GError **error);
void emu_card_free(emu_card *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_card, emu_card_free)

const char *emu_card_spec(const emu_card *c);	/* as given */
bool emu_card_is_mute(const emu_card *c);
void emu_card_set_mute(emu_card *c, bool mute);

/* Cold or warm reset: the ATR (*len 0 when mute: no ATR at all), and the
 * card's protocol state back to its start (applet deselected, T=1 N(S)
 * 0, IFSD 32).  `voltage` is CCID bPowerSelect (1 5V, 2 3V, 3 1.8V);
 * a card answers at every class. */
int emu_card_reset(emu_card *c, unsigned voltage, uint8_t *atr, size_t cap, size_t *len);

/* The protocol in use after PPS or SetParameters: 0 or 1. */
void emu_card_set_protocol(emu_card *c, unsigned protocol);
unsigned emu_card_protocol(const emu_card *c);

/* PPS (ISO 7816-3 §9): answers a request, or writes nothing (*rsp_len 0)
 * for a malformed one, as a real card stays silent. */
int emu_card_pps(emu_card *c, const uint8_t *req, size_t len, uint8_t *rsp, size_t cap,
		 size_t *rsp_len);

/* APDU level: one whole command APDU (short or extended) → response data
 * and SW1 SW2.  *work_ms is the time the application asks for (0 most of
 * the time). */
int emu_card_apdu(emu_card *c, const uint8_t *apdu, size_t len, uint8_t *rsp, size_t cap,
		  size_t *rsp_len, unsigned *work_ms);

/* T=0 at TPDU level: one command TPDU (5-byte header + P3 data bytes out,
 * or header alone) → data + SW1 SW2, with the card's 61xx / 6Cxx
 * behaviour (ISO 7816-3 §10.3.3, §12.2). */
int emu_card_t0_tpdu(emu_card *c, const uint8_t *tpdu, size_t len, uint8_t *rsp, size_t cap,
		     size_t *rsp_len, unsigned *work_ms);

/* T=0 at character level: the bytes the reader sent (possibly none) and
 * how many it expects back → the card's bytes (procedure bytes, data,
 * SW1 SW2), at most `expected`. */
int emu_card_t0_chars(emu_card *c, const uint8_t *in, size_t len, size_t expected,
		      uint8_t *out, size_t cap, size_t *out_len, unsigned *work_ms);

/* T=1 at TPDU level: one block from the reader → the card's block
 * (*out_len 0: no answer, the reader times out).  A long application is
 * answered with S(WTX request) blocks. */
int emu_card_t1_block(emu_card *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		      size_t *out_len, unsigned *work_ms);

/* T=1 at character level: the characters the reader sent (possibly none)
 * and how many it expects back → the card's characters.  A block is taken
 * once its prologue's LEN and epilogue are in (ISO 7816-3 §11.3.1); the
 * answer block is served as the reader asks for it. */
int emu_card_t1_chars(emu_card *c, const uint8_t *in, size_t len, size_t expected,
		      uint8_t *out, size_t cap, size_t *out_len, unsigned *work_ms);

/* What a reader with automatic IFSD exchange (CCID dwFeatures 0x400) does
 * as its first T=1 exchange: sets the card's IFSD to max_ifsd (0: 32,
 * at most 254), bounded so that the card's blocks fit max_payload bytes
 * (0: no bound; ccid_t1_max_inf).  Nothing happens without T=1. */
void emu_card_t1_auto_ifsd(emu_card *c, unsigned max_ifsd, size_t max_payload);


/* ---- additions (card area) ---------------------------------------------- */

/* Without ",t0", ",t1" or ",dual" in the spec (and without ",atr=") a
 * card is T=1 only.  What the card offers (from its ATR): */
emu_card_protocols emu_card_offered(const emu_card *c);

/* The default ATR of each kind (card.c): T=0 only, T=1 only, dual.
 * Returns its length, or 0 when cap is too small. */
size_t emu_card_default_atr(emu_card_protocols p, uint8_t *out, size_t cap);

/* Fi/Di in force (TA1-style byte): 0x11 after reset, PPS1 once a PPS
 * echoed it.  The card's BWT for S(WTX) multipliers is computed from it
 * at EMU_CARD_CLOCK_KHZ. */
uint8_t emu_card_fidi(const emu_card *c);
#define EMU_CARD_CLOCK_KHZ 4000u

#endif
