/* ccidlab — T=1, the block transmission protocol (ISO/IEC 7816-3:2006 §11).
 *
 * Three layers, one header:
 *
 * - EDC (edc.c): LRC and CRC over a block's prologue and INF (§11.4.4).
 * - Blocks (t1_block.c): encode and strictly decode one block, NAD PCB
 *   LEN INF EDC (§11.3), and sort it into I, R or S (§11.3.2.2).
 * - Roles: the interface device ("host", t1_host.c), which drives whole
 *   APDUs through a ccid_xfer that moves one block out and one block in
 *   (a TPDU-level reader's XfrBlock), and the card (t1_card.c), a step
 *   machine that takes one block and gives back its answer, for the
 *   emulator.  Both do chaining (§11.6.2.3), S(IFS), S(WTX), S(RESYNCH),
 *   S(ABORT) and the error handling of §11.6.3.
 *
 * Nothing here allocates: a block is at most CCID_T1_MAX_BLOCK bytes and
 * lives in the role's struct; the card's APDU and response buffers are the
 * caller's.
 */
#ifndef CCIDLAB_CCID_T1_H
#define CCIDLAB_CCID_T1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/xfer.h"

/* ---- sizes and limits ------------------------------------------------- */

/* §11.4.2: INF is 0..254 bytes; LEN 255 is reserved. */
#define CCID_T1_MAX_INF 254
/* NAD PCB LEN + INF + a two-byte CRC. */
#define CCID_T1_MAX_BLOCK (3 + CCID_T1_MAX_INF + 2)
/* §11.4.2: IFSC and IFSD are 32 until the ATR or S(IFS) says otherwise. */
#define CCID_T1_DEFAULT_IFS 32
/* The longest APDU either role carries: an extended case 4 APDU
 * (ISO 7816-4 §5.1: 4 header + 3 Lc + 65,535 data + 2 Le). */
#define CCID_T1_MAX_APDU 65544
/* The longest response: 65,536 data bytes (Ne = 0000) + SW1 SW2. */
#define CCID_T1_MAX_RESPONSE 65538

/* §11.6.3.2 rule 7.4: after this many failed retransmissions of one
 * block the interface device resynchronises, and it tries S(RESYNCH)
 * this many times before it gives up (the state becomes dead). */
#define CCID_T1_RETRIES 3
#define CCID_T1_RESYNCH_TRIES 3
/* How many times one ccid_t1_host_transceive() starts its APDU over after
 * a successful resynchronisation (§11.6.3.2 rule 6: the interface device
 * begins a new transmission).  Past this it returns CCID_E_RETRIES. */
#define CCID_T1_MAX_RESTARTS 2
/* Default bound on S(WTX) and S(IFS) requests from the card during one
 * APDU (ccid_t1_host.max_s_requests).  A card may legitimately extend
 * many times (on-card key generation), but never forever. */
#define CCID_T1_MAX_S_REQUESTS 4096
/* Bound on consecutive empty I-blocks inside one chain from the card
 * (§11.6.2.3 allows LEN = 0 in a chain; an endless run of them is not). */
#define CCID_T1_MAX_EMPTY_CHAIN 16

/* ---- EDC (edc.c) -------------------------------------------------------- */

typedef enum ccid_t1_edc {
	CCID_T1_EDC_LRC = 0,    /* first TC for T=1, b1 = 0: one byte */
	CCID_T1_EDC_CRC = 1,    /* b1 = 1: two bytes */
} ccid_t1_edc;

/* §11.4.4: XOR of all bytes. */
uint8_t ccid_edc_lrc(const uint8_t *p, size_t n);
/* §11.4.4 names the CRC of ISO/IEC 13239; see edc.c for the exact
 * parameters chosen and why.  The epilogue carries it high byte first. */
uint16_t ccid_edc_crc(const uint8_t *p, size_t n);
/* Epilogue size: 1 for LRC, 2 for CRC. */
size_t ccid_edc_size(ccid_t1_edc edc);
/* Writes the epilogue of p[0..n) to out (ccid_edc_size() bytes). */
void ccid_edc_put(ccid_t1_edc edc, const uint8_t *p, size_t n, uint8_t *out);
/* Whether p[0..n) ends with the right epilogue for the bytes before it. */
bool ccid_edc_check(ccid_t1_edc edc, const uint8_t *p, size_t n);

/* ---- blocks (t1_block.c) ------------------------------------------------ */

typedef enum ccid_t1_kind {
	CCID_T1_I_BLOCK,        /* PCB 0NM00000: information */
	CCID_T1_R_BLOCK,        /* PCB 100N00ee: receive ready */
	CCID_T1_S_BLOCK,        /* PCB 11Rttttt: supervisory */
} ccid_t1_kind;

/* S-block functions, PCB b5..b1 (§11.3.2.2, table 13). */
typedef enum ccid_t1_s_type {
	CCID_T1_S_RESYNCH = 0,
	CCID_T1_S_IFS = 1,
	CCID_T1_S_ABORT = 2,
	CCID_T1_S_WTX = 3,
} ccid_t1_s_type;

/* R-block error indications, PCB b2 b1 (§11.3.2.2). */
#define CCID_T1_R_OK 0          /* error free */
#define CCID_T1_R_EDC 1         /* EDC or parity error */
#define CCID_T1_R_OTHER 2       /* other error */

/* A decoded block.  `inf` points into the decoded buffer. */
typedef struct ccid_t1_block {
	uint8_t nad;
	uint8_t pcb;
	ccid_t1_kind kind;
	uint8_t seq;            /* I: N(S); R: N(R); S: 0 */
	bool more;              /* I: the M bit */
	uint8_t r_error;        /* R: CCID_T1_R_* */
	uint8_t s_type;         /* S: ccid_t1_s_type */
	bool s_response;        /* S: b6, a response */
	size_t len;             /* LEN */
	const uint8_t *inf;     /* LEN bytes (NULL when LEN is 0) */
} ccid_t1_block;

/* PCB builders (§11.3.2.2).  Only the low bit of ns/nr is used. */
uint8_t ccid_t1_block_pcb_i(unsigned ns, bool more);
uint8_t ccid_t1_block_pcb_r(unsigned nr, unsigned error);
uint8_t ccid_t1_block_pcb_s(ccid_t1_s_type type, bool response);

/* Decodes exactly buf[0..len) as one block.  Checks, in this order:
 * CCID_E_SHORT     fewer than prologue + epilogue bytes;
 * CCID_E_TOO_LONG  LEN = 255 (reserved, §11.4.2);
 * CCID_E_LENGTH    LEN disagrees with the bytes received;
 * CCID_E_CHECKSUM  LRC or CRC mismatch;
 * CCID_E_MALFORMED a PCB pattern §11.3.2.2 does not define (RFU bits set,
 *                  R error code 3, S function 4..31), an R-block with INF,
 *                  or an S-block whose INF breaks its function's rule
 *                  (RESYNCH and ABORT: none; IFS: one byte 1..254; WTX:
 *                  one byte, not 0).
 * On success fills *out.  Any failure leaves *out untouched. */
int ccid_t1_block_decode(const uint8_t *buf, size_t len, ccid_t1_edc edc,
			 ccid_t1_block *out);

/* Encodes NAD, PCB, inf[0..inf_len) and the epilogue into out.  The same
 * rules as decode apply (CCID_E_MALFORMED, CCID_E_TOO_LONG for INF over
 * 254 bytes); CCID_E_BUFFER if cap is too small. */
int ccid_t1_block_encode(uint8_t nad, uint8_t pcb, const uint8_t *inf,
			 size_t inf_len, ccid_t1_edc edc, uint8_t *out,
			 size_t cap, size_t *out_len);

/* The most INF one block may carry when the whole block must fit in
 * max_payload bytes (the abData of one CCID message at the TPDU level:
 * dwMaxCCIDMessageLength minus the 10-byte header, CCID 1.1 §6.1.4):
 * max_payload less the prologue (3) and the epilogue (1 or 2), at most
 * 254 (§11.4.2).  max_payload 0 means no bound: 254.  0 when not even an
 * empty block fits (T=1 cannot run over such a reader). */
size_t ccid_t1_max_inf(size_t max_payload, ccid_t1_edc edc);

/* §11.3.2.1: the answer to a block carries the NAD with SAD and DAD
 * swapped (b7..b5 <-> b3..b1; the former VPP bits b8 and b4 stay 0). */
uint8_t ccid_t1_nad_swap(uint8_t nad);

/* ---- interface device role (t1_host.c) ----------------------------------- */

typedef struct ccid_t1_host {
	/* Protocol state: N(S) of our next I-block, and N(S) we expect in
	 * the card's next I-block (which our R-blocks carry as N(R)). */
	uint8_t ns;
	uint8_t nr;
	uint8_t ifsc;           /* the card's: our I-blocks' INF limit */
	uint8_t ifsd;           /* ours: the card's I-blocks' INF limit */
	uint8_t ifsc_init;      /* restored by ccid_t1_host_reset() */
	uint8_t ifsd_init;
	uint8_t nad;            /* NAD we send (default 0) */
	ccid_t1_edc edc;
	bool dead;              /* only ccid_t1_host_reset() clears it */
	bool resynch_pending;   /* the last call left the link unknown */
	unsigned wtx;           /* last S(WTX) multiplier in the last APDU, or 0 */
	unsigned max_s_requests;
	/* Observable counters (for tests and traces). */
	unsigned n_retransmits; /* blocks sent again or R-blocks for errors */
	unsigned n_resynchs;    /* S(RESYNCH request) blocks sent */
	/* Scratch: the block last sent (for retransmission) and the one
	 * received (one byte longer, to tell an over-long frame). */
	uint8_t tx[CCID_T1_MAX_BLOCK];
	size_t tx_len;
	uint8_t rx[CCID_T1_MAX_BLOCK + 1];
} ccid_t1_host;

/* Sets up a fresh T=1 link after an ATR (§11.6.2.1 rule 1): N(S) = N(R)
 * = 0, IFSC from the ATR (first TA for T=1, 1..254), IFSD as both sides
 * start with (32 unless the reader did the S(IFS) itself, CCID dwFeatures
 * AUTO_IFSD), EDC from the first TC for T=1.  CCID_E_INVALID_ARG for a
 * NULL host or an IFS out of 1..254. */
int ccid_t1_host_init(ccid_t1_host *host, unsigned ifsc, unsigned ifsd,
		      ccid_t1_edc edc);

/* Back to the state of init (the card was reset): clears dead. */
void ccid_t1_host_reset(ccid_t1_host *host);

/* NAD for the blocks we send; the card answers with SAD/DAD swapped.
 * CCID_E_INVALID_ARG if b8 or b4 is set (§11.3.2.1). */
int ccid_t1_host_set_nad(ccid_t1_host *host, uint8_t nad);

/* Sends apdu[0..len) (0..CCID_T1_MAX_APDU bytes) as I-blocks chained on
 * IFSC, or on less when one reader message cannot hold an IFSC-sized block
 * (xfer->max_payload, ccid_t1_max_inf: §11.4.2 makes IFSC a ceiling, and
 * the interface device may always send less), and collects the card's chained I-blocks into rsp[0..rsp_cap).
 * Answers S(WTX) (and tells xfer->extend_time), S(IFS) and S(ABORT) from
 * the card, and recovers from bad or lost blocks by §11.6.3.
 * Returns:
 * CCID_OK            *rsp_len set;
 * CCID_E_DEAD        resynchronisation failed (now or earlier): only
 *                    ccid_t1_host_reset() after a card reset recovers;
 * CCID_E_RETRIES     resynchronised, but the APDU was restarted
 *                    CCID_T1_MAX_RESTARTS times already;
 * CCID_E_BUFFER      the response is longer than rsp_cap (the chain is
 *                    cut by a resynchronisation);
 * CCID_E_PROTOCOL    the card aborted the chain (S(ABORT)) or chained
 *                    empty blocks without end; the link was resynchronised;
 * CCID_E_TIMEOUT     the card asked for more than max_s_requests S(WTX)
 *                    or S(IFS); the link was resynchronised;
 * CCID_E_TOO_LONG    len over CCID_T1_MAX_APDU;
 * CCID_E_READER_LIMIT xfer->max_payload cannot hold even an empty block:
 *                    nothing was sent;
 * CCID_E_INVALID_ARG NULL pointers;
 * any other failure of xfer->exchange than a lost or bad block
 *                    (CCID_E_TRANSPORT, CCID_E_NO_DEVICE...): returned as
 *                    it is, and the next call resynchronises first.
 * A timeout (CCID_E_TIMEOUT) or mute card (CCID_R_ICC_MUTE) from the
 * exchange is a lost block; a parity or overrun report (CCID_R_PARITY,
 * CCID_R_OVERRUN), a frame over rx_cap (CCID_E_BUFFER), an undecodable
 * block or one whose NAD is not ours swapped is a bad block. */
int ccid_t1_host_transceive(ccid_t1_host *host, const ccid_xfer *xfer,
			    const uint8_t *apdu, size_t len, uint8_t *rsp,
			    size_t rsp_cap, size_t *rsp_len);

/* S(IFS request) with IFSD = ifsd (1..254) (§11.6.2.2 rule 4); the caller
 * keeps ifsd within ccid_t1_max_inf() of its reader, so that the card's
 * blocks fit one message.  Resent on
 * a bad or lost answer (rule 7.3), then resynchronisation as in
 * transceive.  On CCID_OK host->ifsd = ifsd.  CCID_E_RETRIES when the
 * card never echoed the value but resynchronisation worked. */
int ccid_t1_host_negotiate_ifsd(ccid_t1_host *host, const ccid_xfer *xfer,
				unsigned ifsd);

/* S(RESYNCH request), up to CCID_T1_RESYNCH_TRIES times (§11.6.3.2 rule
 * 6); CCID_OK resets N(S) and N(R), CCID_E_DEAD otherwise.  A dead host
 * stays dead (CCID_E_DEAD, nothing sent): only ccid_t1_host_reset(). */
int ccid_t1_host_resynch(ccid_t1_host *host, const ccid_xfer *xfer);

/* ---- blocks over a character-level reader (t1_char.c) ------------------- */

/* A character-level CCID reader moves characters, not blocks (CCID 1.1
 * §6.1.4: abData the characters to send, wLevelParameter how many to
 * read back).  This adapter turns such an xfer (`chars`: hint = the count
 * expected back) into the block-level xfer ccid_t1_host_transceive()
 * takes: a block goes out in pieces of at most chars->max_payload, the
 * last of them asking for the answer's prologue (NAD PCB LEN, §11.3.1),
 * then LEN + epilogue bytes are read in pieces as well.  Fewer bytes
 * than asked mean the card fell silent: CCID_E_TIMEOUT (a lost block
 * for the engine).  The state lives in *tc, which must outlive the
 * returned xfer; the returned xfer has no message bound (max_payload 0). */
typedef struct ccid_t1_char {
	const ccid_xfer *chars;
	ccid_t1_edc edc;
} ccid_t1_char;

ccid_xfer ccid_t1_char_xfer(ccid_t1_char *tc, const ccid_xfer *chars, ccid_t1_edc edc);

/* ---- card role (t1_card.c) ------------------------------------------------ */

/* What ccid_t1_card_input() tells the card application. */
typedef enum ccid_t1_card_event {
	/* Nothing for the application; send the output block, if any (an
	 * empty output means the card stays silent: the reader times out). */
	CCID_T1_CARD_EV_NONE = 0,
	/* An APDU is complete: ccid_t1_card_apdu() has it.  The card says
	 * nothing until ccid_t1_card_respond() or ccid_t1_card_request_wtx(). */
	CCID_T1_CARD_EV_APDU,
	/* A chained APDU overflowed apdu_cap: its bytes are gone; answer
	 * with a status word (6700) through ccid_t1_card_respond(). */
	CCID_T1_CARD_EV_APDU_TOO_LONG,
	/* The reader granted our S(WTX request): respond or extend again. */
	CCID_T1_CARD_EV_WTX_GRANTED,
	/* The reader resynchronised (or aborted a chain): any APDU or
	 * response in progress is dropped.  Send the output block. */
	CCID_T1_CARD_EV_RESYNCH,
	CCID_T1_CARD_EV_ABORT,
} ccid_t1_card_event;

typedef enum ccid_t1_card_state {
	CCID_T1_CARD_IDLE,       /* waiting for the first I-block of an APDU */
	CCID_T1_CARD_RECEIVING,  /* inside the reader's chain */
	CCID_T1_CARD_PROCESSING, /* APDU complete, the application works */
	CCID_T1_CARD_WTX,        /* our S(WTX request) awaits its answer */
	CCID_T1_CARD_SENDING,    /* inside our chain, awaiting R-block acks */
} ccid_t1_card_state;

typedef struct ccid_t1_card {
	ccid_t1_card_state state;
	uint8_t ns;             /* N(S) of our current/next I-block */
	uint8_t nr;             /* N(S) we expect from the reader */
	bool i_unacked;         /* our last I-block is not acknowledged yet */
	uint8_t ifsc;           /* ours: the reader's I-blocks' INF limit */
	uint8_t ifsd;           /* the reader's: our I-blocks' INF limit */
	uint8_t ifsc_init;
	uint8_t ifsd_init;
	uint8_t nad;            /* NAD the reader sends us (default 0) */
	ccid_t1_edc edc;
	uint8_t wtx;            /* multiplier of our pending S(WTX) */
	/* The caller's buffers. */
	uint8_t *apdu;
	size_t apdu_cap;
	size_t apdu_len;
	bool apdu_overflow;
	uint8_t *rsp;
	size_t rsp_cap;
	size_t rsp_len;
	size_t rsp_off;         /* start of our current I-block's INF */
	size_t rsp_chunk;       /* its length */
	/* The last block we sent, and our last I-block, for rules 7.1-7.3. */
	uint8_t last[CCID_T1_MAX_BLOCK];
	size_t last_len;
	uint8_t last_i[CCID_T1_MAX_BLOCK];
	size_t last_i_len;
} ccid_t1_card;

/* Sets up the card after its ATR: IFSC is what the ATR announced (1..254),
 * IFSD what the reader starts with (32 unless it negotiates, §11.4.2).
 * apdu/rsp are the caller's buffers (up to CCID_T1_MAX_APDU and
 * CCID_T1_MAX_RESPONSE bytes are useful), kept until the card is dropped. */
int ccid_t1_card_init(ccid_t1_card *card, unsigned ifsc, unsigned ifsd,
		      ccid_t1_edc edc, uint8_t *apdu, size_t apdu_cap,
		      uint8_t *rsp, size_t rsp_cap);

/* Back to the state of init (after a new ATR). */
void ccid_t1_card_reset(ccid_t1_card *card);

/* NAD the reader addresses us with; blocks with another NAD are ignored
 * (no answer).  CCID_E_INVALID_ARG if b8 or b4 is set. */
int ccid_t1_card_set_nad(ccid_t1_card *card, uint8_t nad);

/* Takes one block from the reader (in[0..in_len), possibly malformed) and
 * writes the card's answer, if any, to out (cap >= CCID_T1_MAX_BLOCK);
 * *out_len = 0 means no answer.  *event tells the application what to do.
 * CCID_OK for every block, good or bad (bad ones are answered by the
 * rules); CCID_E_PROTOCOL (and no answer) while an APDU is with the
 * application (PROCESSING): the reader must wait for our answer;
 * CCID_E_INVALID_ARG / CCID_E_BUFFER for NULL pointers or a small out. */
int ccid_t1_card_input(ccid_t1_card *card, const uint8_t *in, size_t in_len,
		       uint8_t *out, size_t cap, size_t *out_len,
		       ccid_t1_card_event *event);

/* The complete APDU after CCID_T1_CARD_EV_APDU (NULL when there is none). */
const uint8_t *ccid_t1_card_apdu(const ccid_t1_card *card, size_t *len);

/* The application's answer to the APDU: copies rsp[0..len) (it may point
 * into the card's own rsp buffer) and writes the first I-block of the
 * response chain (chained on IFSD) to out.  CCID_E_PROTOCOL unless an
 * APDU is being processed, CCID_E_TOO_LONG over rsp_cap. */
int ccid_t1_card_respond(ccid_t1_card *card, const uint8_t *rsp, size_t len,
			 uint8_t *out, size_t cap, size_t *out_len);

/* Asks the reader for time (§11.6.2.2 rule 3): writes S(WTX request) with
 * the multiplier (1..255) to out.  Only while processing an APDU. */
int ccid_t1_card_request_wtx(ccid_t1_card *card, unsigned multiplier,
			     uint8_t *out, size_t cap, size_t *out_len);

#endif
