/* ccidlab — the bytes of a PC_to_RDR message that carry a PIN, so that a
 * trace (pcscd's log, the control plane's trace stream) can leave them
 * out (issue 20: a real reader's trace showed every VERIFY in clear to
 * whoever could read the stream).
 *
 * What counts as PIN data:
 *  - PC_to_RDR_Secure (CCID 1.1 §6.1.11): all of abData past
 *    bPINOperation (the PIN structure and the APDU the reader completes);
 *  - the data field of a command APDU whose INS is one of ISO 7816-4's
 *    verification commands (§11.5.6-§11.5.10: VERIFY 20/21, CHANGE
 *    REFERENCE DATA 24/25, DISABLE and ENABLE VERIFICATION REQUIREMENT
 *    26/28, RESET RETRY COUNTER 2C/2D), whatever its class, carried in
 *    PC_to_RDR_XfrBlock at the reader's exchange level: the APDU itself
 *    (short and extended APDU levels, every block of a chained one), a
 *    T=0 TPDU, the INF of T=1 I-blocks (every block of a chain), or the
 *    data bytes that follow a T=0 header at character level.
 *
 * The engine keeps what one slot's earlier messages started (a chain, a
 * header waiting for its data): one ccid_pinmask per slot, fed every
 * PC_to_RDR message of that slot in order.  Pure: no I/O.
 */
#ifndef CCIDLAB_CCID_PINMASK_H
#define CCIDLAB_CCID_PINMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/exchange.h"

typedef struct ccid_pinmask {
	bool chain;		/* a chained APDU or T=1 chain is going on... */
	bool chain_secret;	/* ...and it is a PIN command */
	uint32_t char_left;	/* character level: data bytes still to mask */
} ccid_pinmask;

/* Where the PIN data of one PC_to_RDR message (header included, len
 * bytes) lies: *off and *n (n 0: none).  level is the reader's exchange
 * level, t1 whether the slot runs T=1 (TPDU level only). */
void ccid_pinmask_find(ccid_pinmask *st, ccid_exchange_level level, bool t1, const uint8_t *msg,
		       size_t len, size_t *off, size_t *n);

/* Whether INS is one of the verification commands above. */
bool ccid_pinmask_ins(uint8_t ins);

#endif
