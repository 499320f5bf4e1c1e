/* ccidlab — APDU exchange levels above XfrBlock (CCID 1.1 §6.1.4, §6.2.1).
 *
 * Short APDU level: one XfrBlock carries the whole command APDU and one
 * DataBlock the whole response.  Extended APDU level: either may be split
 * into parts that wLevelParameter (PC_to_RDR_XfrBlock) and bChainParameter
 * (RDR_to_PC_DataBlock) label with the same codes:
 *     0x00 begins and ends   0x01 begins, more follows
 *     0x02 continues, ends   0x03 continues, more follows
 *     0x10 empty abData: "go on" (host: send me the next response part;
 *          reader: I took that command part, send the next one)
 * Character level: wLevelParameter is the number of bytes expected back.
 * (The TPDU level belongs to the T=0 and T=1 engines.)
 *
 * Two layers: pure step machines (a splitter and a reassembler, used by
 * the host for command/response and by the emulated reader for
 * response/command: one implementation, both roles), and drivers that run
 * a whole APDU through a ccid_xfer (host) or answer XfrBlocks (device).
 */
#ifndef CCIDLAB_CCID_EXCHANGE_H
#define CCIDLAB_CCID_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/xfer.h"

/* dwFeatures bits 16..18 (CCID 1.1 table 5.1-1), so `dwFeatures & 0x70000`
 * converts; 0 (none of them) is the character level. */
typedef enum ccid_exchange_level {
	CCID_LEVEL_CHARACTER = 0x00000000,
	CCID_LEVEL_TPDU = 0x00010000,
	CCID_LEVEL_SHORT_APDU = 0x00020000,
	CCID_LEVEL_EXTENDED_APDU = 0x00040000,
} ccid_exchange_level;

enum ccid_chain_code {
	CCID_CHAIN_BEGIN_END = 0x00,
	CCID_CHAIN_BEGIN_MORE = 0x01,
	CCID_CHAIN_CONTINUE_END = 0x02,
	CCID_CHAIN_CONTINUE_MORE = 0x03,
	CCID_CHAIN_EMPTY_NEXT = 0x10,
};

/* ISO 7816-4 §5.1: short case 4 is CLA INS P1 P2 Lc data(255) Le;
 * extended case 4 is CLA INS P1 P2 00 Lc(2) data(65535) Le(2). */
#define CCID_SHORT_APDU_MAX 261u
#define CCID_EXTENDED_APDU_MAX 65544u
/* Up to 65,536 data bytes plus SW1 SW2 (Le = 0000 extended). */
#define CCID_EXTENDED_RESPONSE_MAX 65538u

/* ---- splitter: data → parts of at most part_max bytes ---- */
typedef struct ccid_chain_tx {
	const uint8_t *data;
	size_t len;
	size_t off;
	size_t part_max;
	bool started;
} ccid_chain_tx;

/* part_max = dwMaxCCIDMessageLength - 10.  CCID_E_TOO_LONG when len is
 * over max_total; CCID_E_INVALID_ARG when part_max is 0. */
int ccid_exchange_tx_init(ccid_chain_tx *tx, const uint8_t *data, size_t len, size_t max_total,
			  size_t part_max);
/* The next part and its code (0x00, 0x01, 0x03 or 0x02).  A zero-length
 * data gives one empty part 0x00.  CCID_E_PROTOCOL once all is sent. */
int ccid_exchange_tx_next(ccid_chain_tx *tx, const uint8_t **part, size_t *part_len,
			  uint8_t *code);
bool ccid_exchange_tx_done(const ccid_chain_tx *tx);

/* ---- reassembler: coded parts → data ---- */
typedef struct ccid_chain_rx {
	uint8_t *buf;
	size_t cap;
	size_t len;          /* bytes so far (counted on, uncopied, past cap) */
	size_t max_total;
	uint8_t state;       /* private */
	bool overflow;       /* more than cap arrived: result is CCID_E_BUFFER */
} ccid_chain_rx;

void ccid_exchange_rx_init(ccid_chain_rx *rx, uint8_t *buf, size_t cap, size_t max_total);
/* Feeds one part.  data may alias buf + rx->len (a frame received in
 * place).  Refuses, and then stays failed (CCID_E_PROTOCOL for every later
 * part): a first part that is not 0x00/0x01, a later one that is not
 * 0x03/0x02, any part after the end, 0x10 (a request, never data), an
 * empty 0x01/0x03 part (it would let a peer loop forever) → CCID_E_PROTOCOL;
 * a total over max_total → CCID_E_TOO_LONG.  Data past cap is counted, not
 * stored, so a caller can drain the chain and learn the size it needed. */
int ccid_exchange_rx_feed(ccid_chain_rx *rx, uint8_t code, const uint8_t *data, size_t n);
bool ccid_exchange_rx_done(const ccid_chain_rx *rx);
/* After done: CCID_OK, or CCID_E_BUFFER when it overflowed (rx->len is
 * then the size needed). */
int ccid_exchange_rx_result(const ccid_chain_rx *rx);

/* ---- host drivers ----
 *
 * The xfer exchanges one PC_to_RDR_XfrBlock per call: tx is its abData,
 * hint its wLevelParameter.  rx receives the whole RDR_to_PC_DataBlock
 * message (10-byte header and abData), because bChainParameter lives in
 * the header.  The xfer builds the XfrBlock header, checks the answer's
 * bSeq and bSlot (ccid_message_check) and waits out time extensions; a
 * time extension that still reaches the engine is CCID_E_PROTOCOL.  A
 * failed bStatus is mapped with ccid_errmap_result.
 *
 * Each DataBlock is received into rsp after the data already gathered and
 * its header then dropped, so rsp_cap must leave CCID_HEADER_SIZE bytes of
 * room past the longest response expected. */
int ccid_exchange_transmit(const ccid_xfer *x, ccid_exchange_level level,
			   uint32_t dwMaxCCIDMessageLength, const uint8_t *apdu, size_t apdu_len,
			   uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/* Character level: one XfrBlock with wLevelParameter = expected; the
 * answer must carry at most `expected` bytes (CCID_E_LENGTH otherwise).
 * Same xfer contract and rsp room as above. */
int ccid_exchange_char(const ccid_xfer *x, uint32_t dwMaxCCIDMessageLength, const uint8_t *tx,
		       size_t tx_len, uint16_t expected, uint8_t *rsp, size_t rsp_cap,
		       size_t *rsp_len);

/* ---- device side (the emulated reader) ---- */

typedef enum ccid_dev_action {
	CCID_DEV_SEND_PART,  /* answer the XfrBlock with this DataBlock */
	CCID_DEV_RUN_APDU,   /* the command APDU is whole: run it, then
	                      * ccid_exchange_dev_respond() */
} ccid_dev_action;

typedef struct ccid_dev_step {
	ccid_dev_action action;
	const uint8_t *data;        /* DataBlock abData, or the command APDU */
	size_t len;
	uint8_t bChainParameter;    /* for CCID_DEV_SEND_PART */
} ccid_dev_step;

typedef struct ccid_exchange_dev {
	ccid_chain_rx cmd;
	ccid_chain_tx rsp;
	size_t part_max;
	uint8_t state;              /* private */
} ccid_exchange_dev;

/* buf/cap hold the reassembled command APDU (up to 65,544 bytes). */
int ccid_exchange_dev_init(ccid_exchange_dev *d, uint32_t dwMaxCCIDMessageLength, uint8_t *buf,
			   size_t cap);
/* One PC_to_RDR_XfrBlock at the extended APDU level.  A refused chain
 * (wrong order, 0x10 with nothing to send, data with 0x10, too long)
 * returns the reassembler's error and resets the machine: the reader
 * answers it with a failed bStatus (ccid_errmap_bError). */
int ccid_exchange_dev_xfr(ccid_exchange_dev *d, uint16_t wLevelParameter, const uint8_t *abData,
			  size_t len, ccid_dev_step *out);
/* The card's response (kept by pointer until its last part is sent):
 * gives the first DataBlock part. */
int ccid_exchange_dev_respond(ccid_exchange_dev *d, const uint8_t *resp, size_t len,
			      ccid_dev_step *out);

#endif
