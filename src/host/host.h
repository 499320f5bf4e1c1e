/* ccidlab — the CCID host engine: one reader over one transport.
 *
 * This layer is what a CCID driver does above the wire and below pcscd:
 * it opens a reader from its descriptors, runs one command at a time with
 * bSeq, stale-response and time-extension handling, powers cards, picks
 * the protocol (PPS, SetParameters) and transmits APDUs at the reader's
 * exchange level through the pure engines of src/ccid/.  It knows neither
 * pcscd (src/ifd/ maps its results to IFD_*) nor libusb (src/usb/ is a
 * transport), so the same code drives real and emulated readers, and the
 * emulator's tests run it in-process.
 *
 * Results are ccid_result values.  A reader is safe to use from several
 * threads.  One command sequence runs per slot at a time (a slot's gate;
 * an APDU holds it for all its XfrBlocks).  When the descriptor's
 * bMaxCCIDBusySlots is 1, every slot shares one gate: one command in
 * flight per reader, as CCID 1.1 §5.3 asks.  With more, commands to
 * different slots are in flight together (at most bMaxCCIDBusySlots), and
 * bulk-IN answers are handed to their command by bSeq and bSlot
 * (command.c).  The interrupt wait runs without any of these locks.
 *
 * Timeouts: each bulk read waits the per-read timeout (time extensions
 * and T=1 S(WTX) multiply it), and a whole command, all extensions
 * included, never outlasts the cap (an APDU, all its blocks included,
 * neither); PC_to_RDR_Secure has its own cap, for a person typing a PIN.
 * A command that runs out of time is aborted (CCID 1.1 §5.3.1: the ABORT
 * class request, then PC_to_RDR_Abort with the same bSeq and bSlot, then
 * a wait for its RDR_to_PC_SlotStatus bounded by HOST_ABORT_WAIT_MS and
 * the per-read timeout), and
 * its late answer is dropped by bSeq, never given to a later command.  So
 * a caller (pcscd) is blocked at most cap + HOST_ABORT_WAIT_MS.
 */
#ifndef CCIDLAB_HOST_HOST_H
#define CCIDLAB_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/ccid.h"
#include "ccid/atr.h"
#include "ccid/descriptor.h"
#include "ccid/errmap.h"
#include "ccid/message.h"
#include "ccid/t1.h"
#include "host/transport.h"

#define HOST_MAX_RATES 64
#define HOST_DEFAULT_TIMEOUT_MS 5000u	/* one bulk read, before extensions */
/* The caps (host_reader_set_timeout_cap).  60 s covers slow on-card key
 * generation with time extensions; pcscd's reader is frozen for that
 * long at most (libccid had no cap: its issue #155, 13 minutes). */
#define HOST_DEFAULT_CAP_MS 60000u	/* a command or APDU, extensions included */
/* PIN entry: a person reads the display and types; bTimeOut of the PIN
 * structure is the reader's own limit, usually well below this. */
#define HOST_DEFAULT_PIN_CAP_MS 120000u
#define HOST_MAX_CAP_MS (10u * 60u * 1000u)	/* what a setter accepts at most */
#define HOST_ABORT_WAIT_MS 2000u	/* the abort handshake at most, after a timeout */
#define HOST_MAX_STALE 16	/* stale responses dropped for one command */

/* Trace directions (host_trace_fn's dir). */
#define HOST_TRACE_OUT 0	/* PC_to_RDR on bulk-OUT */
#define HOST_TRACE_IN 1		/* RDR_to_PC on bulk-IN */
#define HOST_TRACE_IRQ 2	/* interrupt-IN */
/* A class request sent on the control pipe (only ABORT is traced): buf is
 * the 8-byte USB setup packet (bmRequestType 0x21, bRequest, wValue,
 * wIndex, wLength, little-endian). */
#define HOST_TRACE_CONTROL 3

typedef struct host_reader host_reader;

/* Opens the first CCID interface of the transport's configuration: parses
 * the descriptors, reads the clock and data-rate lists.  Takes the
 * transport (closed on failure too).  On failure writes why[] and returns
 * NULL. */
host_reader *host_reader_open(transport t, char *why, size_t why_len);
void host_reader_close(host_reader *r);

const ccid_interface *host_reader_interface(const host_reader *r);
const transport_info *host_reader_info(const host_reader *r);
unsigned host_reader_slots(const host_reader *r);
bool host_reader_has_interrupt(const host_reader *r);
/* GET_DATA_RATES / GET_CLOCK_FREQUENCIES as decoded (n 0 when stalled). */
const uint32_t *host_reader_rates(const host_reader *r, size_t *n);
const uint32_t *host_reader_clocks(const host_reader *r, size_t *n);
/* The per-read timeout; extensions multiply it (default 5 s, 0: the
 * default).  Bounded by the cap. */
void host_reader_set_timeout(host_reader *r, unsigned ms);
/* The cap of a whole command or APDU, every extension included (default
 * HOST_DEFAULT_CAP_MS), and of PC_to_RDR_Secure (PIN entry, default
 * HOST_DEFAULT_PIN_CAP_MS).  0 restores the default; values over
 * HOST_MAX_CAP_MS are clamped to it.  Takes effect for the next command. */
void host_reader_set_timeout_cap(host_reader *r, unsigned ms);
void host_reader_set_pin_timeout_cap(host_reader *r, unsigned ms);
unsigned host_reader_timeout_cap(const host_reader *r);
unsigned host_reader_pin_timeout_cap(const host_reader *r);
/* bMaxCCIDBusySlots as used: commands the reader has in flight at most
 * (1 when the descriptor says 0). */
unsigned host_reader_max_busy(const host_reader *r);

/* A tester's trace of every frame (CCID 1.1 §6): dir HOST_TRACE_OUT,
 * _IN, _IRQ, _CONTROL.  Called on the thread that moved the frame, with
 * one of the reader's internal locks held for bulk and control frames:
 * it must not block nor call back into the reader.  NULL cb turns
 * tracing off. */
typedef void (*host_trace_fn)(void *data, int dir, const uint8_t *buf, size_t len);
void host_reader_set_trace(host_reader *r, host_trace_fn cb, void *data);

/* Counters for tests and traces. */
typedef struct host_stats {
	unsigned commands;
	unsigned time_extensions;	/* bStatus 0x80 answers waited out */
	unsigned stale_dropped;		/* answers of earlier commands dropped */
	unsigned wtx;			/* T=1 S(WTX) and T=0 NULL bytes seen */
	unsigned timeouts;		/* commands that ran out of time */
	unsigned aborts;		/* abort handshakes completed (SlotStatus seen) */
	unsigned handed_over;		/* answers read by one thread for another */
	unsigned max_in_flight;		/* most commands in flight at once */
} host_stats;
void host_reader_stats(const host_reader *r, host_stats *out);

/* One command: sets cmd->bSeq, sends it, reads until its own answer.
 * rsp points into buf (cap >= 10 + the longest answer).  Returns the
 * errmap verdict (CCID_OK, CCID_R_*), or a transport/validation failure
 * (CCID_E_*).  *rsp is valid when the header was decoded (even on a
 * CCID_R_* failure, so that the caller can read bStatus).  CCID_E_TIMEOUT
 * once the per-read timeout or the cap ran out; the command was then
 * aborted (see the top of this file). */
int host_command(host_reader *r, ccid_msg *cmd, uint8_t *buf, size_t cap, ccid_msg *rsp);

/* ---- slots ---- */

/* GetSlotStatus: CCID_OK with *icc set (CCID_ICC_ACTIVE/INACTIVE/ABSENT). */
int host_slot_status(host_reader *r, unsigned slot, ccid_icc_status *icc);

/* IccPowerOn with voltage selection (the reader's own when it has
 * automatic voltage selection, else from the lowest class the reader
 * supports up, ISO 7816-3 §6.2.4), and the ATR parsed.  A warm reset when
 * `warm` (power off first is not needed: PowerOn on an active card resets
 * it).  CCID_R_ICC_ABSENT, CCID_R_ICC_MUTE... on failure. */
int host_slot_power_on(host_reader *r, unsigned slot, uint8_t *atr, size_t cap, size_t *len);
int host_slot_power_off(host_reader *r, unsigned slot);

/* The ATR of the last power-on (len 0 when none), parsed (NULL if it did
 * not parse). */
const uint8_t *host_slot_atr(const host_reader *r, unsigned slot, size_t *len);
const ccid_atr *host_slot_atr_parsed(const host_reader *r, unsigned slot);

/* Chooses `protocol` (0 or 1) for the powered card: PPS when the reader
 * does not negotiate itself, then SetParameters, then the T=1 link.
 * CCID_E_UNSUPPORTED when the card or the reader cannot do it. */
int host_slot_set_protocol(host_reader *r, unsigned slot, unsigned protocol);
/* The protocol in use (0 or 1), or -1 before set_protocol. */
int host_slot_protocol(const host_reader *r, unsigned slot);

/* Fi/Di in force (0x11 before any choice), and the T=1 link (NULL unless
 * T=1 runs), for the attributes pcscd's clients read. */
uint8_t host_slot_fidi(const host_reader *r, unsigned slot);
const ccid_t1_host *host_slot_t1(const host_reader *r, unsigned slot);

/* One APDU at the reader's exchange level and the card's protocol.
 * Beyond the results of the engines (ccid/t0.h, t1.h, exchange.h):
 * CCID_E_READER_LIMIT when the reader cannot carry the APDU at all (one
 * message of dwMaxCCIDMessageLength cannot hold what its level cannot
 * split; nothing was sent), with host_slot_why() saying what and why;
 * CCID_R_ICC_ABSENT when the card left while the APDU ran (the reader
 * reported no card in a time extension or a NotifySlotChange), whatever
 * answer came after: an answer for a card that is gone is no answer
 * (CCID 1.1 §6.2.6, bmICCStatus). */
int host_slot_transmit(host_reader *r, unsigned slot, const uint8_t *apdu, size_t len,
		       uint8_t *rsp, size_t cap, size_t *rsp_len);
/* Why the slot's last transmit failed, in words, for the log line of the
 * caller ("" when its result says it all).  Valid until the next
 * transmit on the slot; the caller runs one command per slot at a time. */
#define HOST_WHY_MAX 192
const char *host_slot_why(const host_reader *r, unsigned slot);
/* dwMaxCCIDMessageLength as the engine uses it: the descriptor's, or the
 * quirk table's for firmware that takes more than it declares. */
uint32_t host_reader_message_length(const host_reader *r);

/* Escape (PC_to_RDR_Escape) and Secure (PC_to_RDR_Secure, abData as the
 * PIN structure of CCID 1.1 §6.1.11). */
int host_escape(host_reader *r, unsigned slot, const uint8_t *in, size_t len, uint8_t *out,
		size_t cap, size_t *out_len);
int host_secure(host_reader *r, unsigned slot, const uint8_t *in, size_t len, uint8_t *out,
		size_t cap, size_t *out_len);

/* ---- interrupt pipe ---- */

/* Waits up to timeout_ms for one interrupt message.  CCID_E_TIMEOUT when
 * none came; CCID_OK with out->bMessageType 0 when host_interrupt_stop
 * ended the wait (sticky, as transport.h says); CCID_E_UNSUPPORTED
 * without an interrupt pipe. */
int host_interrupt_wait(host_reader *r, unsigned timeout_ms, ccid_interrupt *out);
void host_interrupt_stop(host_reader *r);

#endif
