/* ccidlab — how the pure protocol engines reach the wire.
 *
 * Engines that need round trips (T=0 TPDU, T=1 blocks, extended-APDU
 * chaining, PPS) do no I/O themselves: the caller hands them one exchange
 * function.  The IFD layer binds it to a CCID XfrBlock over a transport;
 * the unit tests bind it to an in-memory card; fuzzers bind it to their
 * input.  The engine passes down nothing but bytes, so the caller owns
 * timeouts, locking and the remaining time budget.
 */
#ifndef CCIDLAB_CCID_XFER_H
#define CCIDLAB_CCID_XFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ccid_xfer {
	/* Sends tx[0..tx_len) and receives at most rx_cap bytes into rx.
	 * `hint` is engine specific (T=0 character level: bytes expected;
	 * extended APDU: wLevelParameter; 0 otherwise).
	 * Returns CCID_OK with *rx_len set, or a ccid_result failure. */
	int (*exchange)(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			uint8_t *rx, size_t rx_cap, size_t *rx_len);
	/* Optional: a time extension asked for by the card (T=1 S(WTX),
	 * T=0 NULL procedure byte), as a multiplier of the waiting time for
	 * the next exchange only.  May be NULL. */
	void (*extend_time)(void *ctx, unsigned multiplier);
	void *ctx;
	/* Optional: the most bytes one exchange carries each way, i.e. the
	 * abData of one CCID message (dwMaxCCIDMessageLength minus the
	 * 10-byte header); 0: no bound.  Engines that can split stay under
	 * it (T=1 chaining, T=0 GET RESPONSE, the character level's bytes);
	 * what cannot be split and does not fit ends the call with
	 * CCID_E_READER_LIMIT before anything is sent. */
	size_t max_payload;
} ccid_xfer;

#endif
