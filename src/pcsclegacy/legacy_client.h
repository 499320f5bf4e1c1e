/* ccidlab — the legacy positive-control client: SCardGetStatusChange as
 * libpcsclite did it before 1.8.24 (the April 2018 race, fixed by commit
 * 984f84df), spoken over pcscd's client protocol 4:4 to a fixed pcscd.
 *
 * The old library fetched the reader states, compared them with the
 * caller's, and only then registered for events.  A reader event signalled
 * in between reached nobody, and the client slept until the next event or
 * its timeout (60 s slices for INFINITE).  A fixed daemon (4:4) answers the
 * registration with a fresh state dump taken atomically with it; this
 * client discards that dump, exactly as a 4:3 client never had it, so it
 * loses the same events against Debian's pcscd 1.9.9.  The compare loop
 * also keeps the old sleep of PCSCLITE_STATUS_POLL_RATE + 10 µs (400.01 ms:
 * the facts doc's "about 410 ms" reads the 10 as ms; Debian's libpcsclite
 * measures 400 ms) per watched reader whose card is present with no ATR,
 * the "window widener" (pcscd-driver-facts.md §1.3).
 *
 * One legacy_ctx per thread: a context owns its own pcscd connection (as
 * each SCardEstablishContext did) and is not thread-safe, except for
 * legacy_cancel.  Every wait is bounded: replies within
 * LEGACY_REPLY_TIMEOUT_MS, the event wait in the caller's timeout or 60 s
 * slices.  pcscd closing the socket gives SCARD_E_NO_SERVICE.
 */
#ifndef CCIDLAB_PCSCLEGACY_LEGACY_CLIENT_H
#define CCIDLAB_PCSCLEGACY_LEGACY_CLIENT_H

#include <glib.h>
#include <winscard.h>

#define LEGACY_ERROR legacy_error_quark()
GQuark legacy_error_quark(void);
typedef enum {
	LEGACY_ERROR_FAILED,	/* the protocol went wrong (short reply, bad size) */
	LEGACY_ERROR_NO_SERVICE,	/* no pcscd on that socket, or it closed it */
	LEGACY_ERROR_REFUSED,	/* pcscd refused the version or the context */
} LegacyError;

/* A reply that must come (states, stop reply) is awaited this long before
 * the connection is declared broken. */
#define LEGACY_REPLY_TIMEOUT_MS 10000u
/* The old library's internal slice for INFINITE (dwTime = 60 * 1000). */
#define LEGACY_INFINITE_SLICE_MS 60000u
/* PCSCLITE_STATUS_POLL_RATE (400000 µs) + 10: the compare loop's sleep per
 * watched reader with a present card and cardAtrLength 0. */
#define LEGACY_NO_ATR_SLEEP_US (400000u + 10u)

typedef struct legacy_ctx legacy_ctx;

/* Connects to pcscd's socket (NULL: $PCSCLITE_CSOCK_NAME, else
 * /run/pcscd/pcscd.comm), does CMD_VERSION (4:4) and
 * SCARD_ESTABLISH_CONTEXT.  NULL with LEGACY_ERROR on failure. */
legacy_ctx *legacy_connect(const char *socket_path, GError **error);

/* Same contract as SCardGetStatusChange (SCARD_READERSTATE array,
 * dwCurrentState in; dwEventState, cbAtr, rgbAtr out; SCARD_STATE_CHANGED;
 * the event counter in the high 16 bits; INFINITE), done with the pre-fix
 * sequence: CMD_GET_READERS_STATE, compare (with the 400 ms sleeps), then
 * CMD_WAIT_READER_STATE_CHANGE discarding the dump, wait for the 8-byte
 * signal (the caller's timeout, or 60 s slices for INFINITE), on timeout
 * CMD_STOP_WAITING_READER_STATE_CHANGE, re-fetch, and compare again.
 *
 * Returns SCARD_S_SUCCESS (a change), SCARD_E_TIMEOUT (note: as in
 * 1.8.23, a finite timeout is checked after the re-fetch and BEFORE the
 * re-compare, so it can time out although the state changed),
 * SCARD_E_NO_SERVICE (pcscd closed the connection), SCARD_F_COMM_ERROR (a
 * reply did not come, or only in part), SCARD_E_CANCELLED (legacy_cancel),
 * SCARD_E_INVALID_PARAMETER / SCARD_E_INVALID_VALUE / SCARD_E_INVALID_HANDLE
 * for bad arguments.  As in the old library an unknown reader name is not
 * an error: it comes back as SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE
 * (with SCARD_STATE_CHANGED unless the caller already had UNKNOWN).  The
 * "\\?PnP?\Notification" entry changes when the reader count differs from
 * the one at the call's start (pre-2.3.0 behaviour).  After an error other
 * than SCARD_E_TIMEOUT the context is spent: later calls give
 * SCARD_E_NO_SERVICE (or SCARD_E_CANCELLED). */
LONG legacy_get_status_change(legacy_ctx *c, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n);

/* Thread-safe, callable while another thread is inside
 * legacy_get_status_change: that call and every later one return
 * SCARD_E_CANCELLED promptly (it is how a checker stops its monitor
 * threads; the old SCardCancel was one-shot, this is sticky). */
void legacy_cancel(legacy_ctx *c);

/* The names of pcscd's readers (one CMD_GET_READERS_STATE), a
 * NULL-terminated vector, or NULL with LEGACY_ERROR. */
char **legacy_list_readers(legacy_ctx *c, GError **error);

/* Closes the connection (pcscd releases the context with it).  Accepts
 * NULL.  Not while another thread is inside a call: cancel and join first. */
void legacy_close(legacy_ctx *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(legacy_ctx, legacy_close)

#endif
