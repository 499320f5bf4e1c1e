/* ccidlab — pcscd's client wire protocol 4:4 (pcsc-lite 1.8.24 .. 2.2.3,
 * Debian 12's 1.9.9), the few messages the legacy positive-control client
 * needs.  The layouts are facts from pcscd-driver-facts.md Appendix A and
 * §1.2; pcsc-lite does not install them (winscard_msg.h, eventhandler.h are
 * private), so they are written out here from those facts.
 *
 * Host byte order, x86_64 natural alignment.  Every wait is bounded by the
 * caller's timeout; an optional second descriptor (`cancel_fd`, -1 for none)
 * ends a wait early when it becomes readable.
 */
#ifndef CCIDLAB_PCSCLEGACY_LEGACY_WIRE_H
#define CCIDLAB_PCSCLEGACY_LEGACY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <PCSC/pcsclite.h>

/* Protocol version a 4:4 client announces with CMD_VERSION. */
#define LW_PROTOCOL_MAJOR 4
#define LW_PROTOCOL_MINOR 4

/* Command ids (enum pcsc_msg_commands, Appendix A). */
enum {
	LW_SCARD_ESTABLISH_CONTEXT = 0x01,
	LW_CMD_VERSION = 0x11,
	LW_CMD_GET_READERS_STATE = 0x12,
	LW_CMD_WAIT_READER_STATE_CHANGE = 0x13,
	LW_CMD_STOP_WAITING_READER_STATE_CHANGE = 0x14,
};

/* readerSharing values (eventhandler.h's PCSCLITE_SHARING_*): -1 one
 * exclusive connection, 0 none, >= 1 that many shared connections. */
#define LW_SHARING_EXCLUSIVE (-1)
#define LW_SHARING_NONE 0

/* One READER_STATE entry as pcscd 1.9.9 x86_64 sends it: 184 bytes,
 * fields at offsets 0, 128, 132, 136, 140, 176, 180 (3 padding bytes after
 * cardAtr).  lw_decode_states fills this from the raw bytes field by field,
 * so the struct's own layout does not matter. */
typedef struct lw_reader_state {
	char readerName[MAX_READERNAME];	/* NUL-terminated here; "" = empty entry */
	uint32_t eventCounter;
	uint32_t readerState;	/* SCARD_UNKNOWN, SCARD_ABSENT, SCARD_PRESENT... (pcsclite.h) */
	int32_t readerSharing;
	uint8_t cardAtr[MAX_ATR_SIZE];
	uint32_t cardAtrLength;
	uint32_t cardProtocol;
} lw_reader_state;

#define LW_READER_STATE_SIZE 184u
#define LW_OFF_NAME 0u
#define LW_OFF_EVENT_COUNTER 128u
#define LW_OFF_READER_STATE 132u
#define LW_OFF_READER_SHARING 136u
#define LW_OFF_CARD_ATR 140u
#define LW_OFF_CARD_ATR_LENGTH 176u
#define LW_OFF_CARD_PROTOCOL 180u
/* The whole array: PCSCLITE_MAX_READERS_CONTEXTS (16) entries, 2944 bytes. */
#define LW_STATES_SIZE (LW_READER_STATE_SIZE * PCSCLITE_MAX_READERS_CONTEXTS)

/* The 8-byte signal (struct wait_reader_state_change): an event (rv 0), a
 * cancel (SCARD_E_CANCELLED) or the reply to CMD_STOP_WAITING_... */
#define LW_SIGNAL_SIZE 8u
/* CMD_VERSION and SCARD_ESTABLISH_CONTEXT bodies: three 32-bit fields. */
#define LW_TRIPLE_SIZE 12u

/* Results of the wire calls. */
typedef enum lw_result {
	LW_OK = 0,
	LW_TIMEOUT,	/* nothing (or not all) within the time given */
	LW_CLOSED,	/* pcscd closed the connection or it broke (EPIPE, ECONNRESET) */
	LW_CANCELLED,	/* cancel_fd became readable */
	LW_IO,		/* another socket error */
} lw_result;

const char *lw_result_name(lw_result r);

/* Connects a stream socket to path (non-blocking connect, at most
 * timeout_ms).  Returns the descriptor, or -1 with errno set. */
int lw_connect(const char *path, unsigned timeout_ms);

/* Sends header {size = body_len; command} and then body, all within
 * timeout_ms. */
lw_result lw_send(int fd, uint32_t command, const void *body, size_t body_len,
		  unsigned timeout_ms);

/* Reads exactly len bytes, waiting at most timeout_ms in all.  A partial
 * read that then times out is LW_IO: the stream is out of step. */
lw_result lw_recv(int fd, void *buf, size_t len, unsigned timeout_ms, int cancel_fd);

/* Decodes the 2944-byte array into out[PCSCLITE_MAX_READERS_CONTEXTS].
 * Names are cut at 127 bytes and cardAtrLength is clamped to MAX_ATR_SIZE,
 * so nothing from the socket can overrun the caller. */
void lw_decode_states(const uint8_t raw[LW_STATES_SIZE],
		      lw_reader_state out[PCSCLITE_MAX_READERS_CONTEXTS]);

/* Three-field bodies (CMD_VERSION {major, minor, rv} and
 * SCARD_ESTABLISH_CONTEXT {dwScope, hContext, rv}). */
void lw_encode_triple(uint8_t out[LW_TRIPLE_SIZE], uint32_t a, uint32_t b, uint32_t c);
void lw_decode_triple(const uint8_t in[LW_TRIPLE_SIZE], uint32_t *a, uint32_t *b, uint32_t *c);

#endif
