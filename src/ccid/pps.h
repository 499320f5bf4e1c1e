/* ccidlab — Protocol and Parameters Selection (ISO/IEC 7816-3 §9).
 *
 * Three pure steps: decide whether a PPS is needed and with which PPS1
 * (from the ATR and the reader's data rates and clock), build the request,
 * and check the card's response.  Sending it is the caller's business
 * (raw bytes through XfrBlock, or SetParameters on readers that do PPS
 * themselves).
 */
#ifndef CCIDLAB_CCID_PPS_H
#define CCIDLAB_CCID_PPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/atr.h"

/* PPSS, PPS0, PPS1..3, PCK. */
#define CCID_PPS_MAX 6

typedef struct ccid_pps_request {
	uint8_t protocol;            /* T, 0..15 */
	bool has_pps1, has_pps2, has_pps3;
	uint8_t pps1;                /* Fi/Di, as TA1 */
	uint8_t pps2, pps3;
} ccid_pps_request;

/* What the card agreed to. */
typedef struct ccid_pps_outcome {
	uint8_t protocol;
	bool pps1_accepted;          /* PPS1 echoed */
	uint8_t fidi;                /* echoed PPS1, or 0x11 (Fd/Dd) */
} ccid_pps_outcome;

/* Builds PPSS PPS0 [PPS1] [PPS2] [PPS3] PCK.  CCID_E_INVALID_ARG for a
 * protocol over 15, CCID_E_BUFFER when cap is too small. */
int ccid_pps_build(const ccid_pps_request *req, uint8_t *out, size_t cap, size_t *out_len);

/* Checks the response against the request (§9.3): PPSS 0xFF; PPS0 names
 * the same protocol; each of PPS1..3 echoed or left out (PPS1 left out:
 * the card keeps Fd/Dd), never one that was not asked; PCK right; no byte
 * over.  CCID_OK fills *out; anything else is CCID_E_PPS. */
int ccid_pps_check_response(const ccid_pps_request *req, const uint8_t *resp,
			    size_t resp_len, ccid_pps_outcome *out);

/* Data rate in bps at clock_khz for a TA1-style Fi/Di byte:
 * f x Di / Fi (§7.1), rounded down; 0 for an RFU byte. */
uint32_t ccid_pps_rate_bps(uint8_t fidi, uint32_t clock_khz);

/* Whether the reader can run rate_bps: in its GET_DATA_RATES list (within
 * 2 bps, to absorb the reader's rounding) when it has one, else at most
 * dwMaxDataRate.  A max_rate of 0 and no list: nothing is supported. */
bool ccid_pps_rate_supported(uint32_t rate_bps, const uint32_t *rates, size_t n_rates,
			     uint32_t max_rate);

/* The fastest Fi/Di the card offers in ta1 (its Di or a lower one with the
 * same Fi) that the reader supports at clock_khz, without exceeding the
 * Fi's fmax; 0x11 when none is. */
uint8_t ccid_pps_pick_fidi(uint8_t ta1, const uint32_t *rates, size_t n_rates,
			   uint32_t max_rate, uint32_t clock_khz);

typedef enum ccid_pps_action {
	CCID_PPS_NOT_NEEDED,   /* negotiable mode, defaults are what we want */
	CCID_PPS_NEEDED,       /* send `request` */
	CCID_PPS_SPECIFIC,     /* specific mode (TA2): no PPS, use `fidi` as is */
} ccid_pps_action;

typedef struct ccid_pps_decision {
	ccid_pps_action action;
	ccid_pps_request request;    /* for CCID_PPS_NEEDED */
	uint8_t fidi;                /* Fi/Di to use once done (if PPS1 echoed) */
	uint32_t rate_bps;           /* data rate at fidi and the clock */
} ccid_pps_decision;

/* Decides the PPS for running `protocol` with this card on this reader.
 * Negotiable mode: PPS1 is ccid_pps_pick_fidi(TA1); a PPS is needed when
 * PPS1 is not 0x11 or the protocol is not the default one.  Specific mode
 * (TA2): no PPS; the card runs TA1's Fi/Di (or 0x11 without TA1).
 * CCID_E_UNSUPPORTED when the protocol is not offered (or not TA2's), when
 * TA2 says the parameters are implicit (bit 5), or when the reader cannot
 * run the specific mode's rate; *out is still filled, and the caller may
 * try a warm reset when atr->specific_changeable. */
int ccid_pps_decide(const ccid_atr *atr, unsigned protocol, const uint32_t *rates,
		    size_t n_rates, uint32_t max_rate, uint32_t clock_khz,
		    ccid_pps_decision *out);

#endif
