/* ccidlab — one VSCard connection, card side: a ccidlab virtual card
 * (src/emu) put into QEMU's ccid-card-passthru.
 *
 * What QEMU does (read from its passthru card and observed): it sends
 * Init when the passthru device is realized (again after a device_del and
 * device_add of the card on the same chardev); a ReaderAdd attaches us;
 * an ATR inserts the card and CardRemove removes it (each answered by
 * Error with code 0); an APDU carries the bytes of one PC_to_RDR_XfrBlock
 * and waits, with the slot busy, for one APDU back.  QEMU's usb-ccid says
 * "TPDU level, T=0" in its descriptor, so what arrives is a T=0 TPDU (or
 * a T=1 block, if the host driver chose T=1 from our ATR) and the card
 * answers at that level: emu_card_t0_tpdu, emu_card_t1_block.
 *
 * Card-level faults (the emulator's grammar, emu/fault.h) apply to the
 * APDUs: slow (answer later), timeout (never answer), fail (an Error
 * instead of the answer), remove-in-xfr (a CardRemove instead), garbage,
 * truncate, and bad-atr (the ATR's TCK inverted).  The reader-level kinds
 * belong to QEMU's reader and are refused.
 *
 * Not thread-safe: one GMainContext drives a session (its delayed answers
 * are timeout sources there).
 */
#ifndef CCIDLAB_VSCARD_SESSION_H
#define CCIDLAB_VSCARD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

typedef struct vscard_session vscard_session;

typedef struct vscard_session_ops {
	/* Mandatory: queues bytes for QEMU (the caller's buffer is not kept). */
	void (*send)(void *data, const uint8_t *buf, size_t len);
	/* Optional: one line about what happened, for the log. */
	void (*log)(void *data, const char *line);
} vscard_session_ops;

typedef struct vscard_session_stats {
	unsigned inits;		/* Init from QEMU: the passthru device (re)realized */
	unsigned atrs;		/* ATRs sent: insertions */
	unsigned removals;	/* CardRemove sent */
	unsigned apdus;		/* APDUs received */
	unsigned answered;	/* APDUs answered with an APDU */
	unsigned faults;	/* APDUs a fault acted on */
	unsigned errors;	/* Error messages with a non-zero code from QEMU */
} vscard_session_stats;

/* SPEC is CARD[|FAULT]...: an emulator card spec ("readertest,t0",
 * "echo", "script:FILE"...) and card-level faults ("slow:200",
 * "timeout@1", "bad-atr").  EMU_ERROR / G_IO_ERROR on a bad spec. */
bool vscard_spec_check(const char *spec, GError **error);

vscard_session *vscard_session_new(const char *spec, const vscard_session_ops *ops, void *data,
				   GError **error);
void vscard_session_free(vscard_session *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vscard_session, vscard_session_free)

/* Sends our Init (a new connection). */
void vscard_session_start(vscard_session *s);
/* Bytes from QEMU.  false: the stream cannot go on (a length past 64 KiB):
 * close the connection. */
bool vscard_session_feed(vscard_session *s, const uint8_t *buf, size_t len);
/* The card taken out or put back (CardRemove, or a fresh ATR). */
void vscard_session_set_present(vscard_session *s, bool present);
bool vscard_session_present(const vscard_session *s);
const vscard_session_stats *vscard_session_stats_get(const vscard_session *s);

#endif
