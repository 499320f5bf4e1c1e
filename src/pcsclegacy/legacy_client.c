/* ccidlab — the legacy positive-control client (legacy_client.h): the
 * pre-1.8.24 SCardGetStatusChange sequence over protocol 4:4.  Behaviour
 * follows pcscd-driver-facts.md §1.3, §2.6 and Appendix A; the code is our
 * own. */
#include "config.h"

#include "pcsclegacy/legacy_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pcsclegacy/legacy_wire.h"

G_DEFINE_QUARK(ccidlab-legacy-error-quark, legacy_error)

#define LEGACY_DEFAULT_SOCKET "/run/pcscd/pcscd.comm"
#define LEGACY_CONNECT_TIMEOUT_MS 5000u
#define PNP_NOTIFICATION "\\\\?PnP?\\Notification"

struct legacy_ctx {
	int fd;
	int cancel_pipe[2];	/* legacy_cancel writes [1]; waits poll [0] */
	uint32_t hContext;
	bool spent;		/* the stream may be out of step: no more calls */
	LONG spent_rv;
	lw_reader_state states[PCSCLITE_MAX_READERS_CONTEXTS];	/* the last fetch */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void legacy_close(legacy_ctx *c)
{
	if (c == NULL)
		return;
	/* Closing the socket is how a dying client releases its context:
	 * pcscd's context thread cleans up on EOF, so no RELEASE message
	 * (whose layout the facts do not give) is needed. */
	if (c->fd >= 0)
		close(c->fd);
	for (int i = 0; i < 2; i++)
		if (c->cancel_pipe[i] >= 0)
			close(c->cancel_pipe[i]);
	g_free(c);
}

void legacy_cancel(legacy_ctx *c)
{
	g_return_if_fail(c != NULL);
	/* The pipe stays readable from now on: sticky by construction. */
	ssize_t w;
	do
		w = write(c->cancel_pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
}

static bool cancelled(const legacy_ctx *c)
{
	struct pollfd p = { .fd = c->cancel_pipe[0], .events = POLLIN };
	return poll(&p, 1, 0) > 0;
}

/* An lw_result turned into the old library's return, and the context
 * spent when the stream can no longer be trusted. */
static LONG fail(legacy_ctx *c, lw_result r)
{
	LONG rv;
	switch (r) {
	case LW_CANCELLED:
		rv = SCARD_E_CANCELLED;
		break;
	case LW_CLOSED:
		rv = SCARD_E_NO_SERVICE;
		break;
	case LW_TIMEOUT:
	case LW_IO:
	case LW_OK:
	default:
		rv = SCARD_F_COMM_ERROR;
		break;
	}
	c->spent = true;
	c->spent_rv = rv == SCARD_E_CANCELLED ? SCARD_E_CANCELLED : SCARD_E_NO_SERVICE;
	return rv;
}

/* A request whose fixed-size reply must come: send, then read it. */
static lw_result transact(legacy_ctx *c, uint32_t command, const void *body, size_t body_len,
			  void *reply, size_t reply_len)
{
	lw_result r = lw_send(c->fd, command, body, body_len, LEGACY_REPLY_TIMEOUT_MS);
	if (r != LW_OK)
		return r;
	return lw_recv(c->fd, reply, reply_len, LEGACY_REPLY_TIMEOUT_MS, c->cancel_pipe[0]);
}

/* getReaderStates(): CMD_GET_READERS_STATE into c->states. */
static lw_result fetch_states(legacy_ctx *c)
{
	g_autofree uint8_t *raw = g_malloc(LW_STATES_SIZE);
	lw_result r = transact(c, LW_CMD_GET_READERS_STATE, NULL, 0, raw, LW_STATES_SIZE);
	if (r == LW_OK)
		lw_decode_states(raw, c->states);
	return r;
}

legacy_ctx *legacy_connect(const char *socket_path, GError **error)
{
	if (socket_path == NULL)
		socket_path = g_getenv("PCSCLITE_CSOCK_NAME");
	if (socket_path == NULL || socket_path[0] == '\0')
		socket_path = LEGACY_DEFAULT_SOCKET;

	g_autoptr(legacy_ctx) c = g_new0(legacy_ctx, 1);
	c->fd = c->cancel_pipe[0] = c->cancel_pipe[1] = -1;
	if (pipe2(c->cancel_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		g_set_error(error, LEGACY_ERROR, LEGACY_ERROR_FAILED, "pipe: %s", g_strerror(errno));
		return NULL;
	}
	c->fd = lw_connect(socket_path, LEGACY_CONNECT_TIMEOUT_MS);
	if (c->fd < 0) {
		g_set_error(error, LEGACY_ERROR, LEGACY_ERROR_NO_SERVICE,
			    "cannot connect to pcscd at %s: %s", socket_path, g_strerror(errno));
		return NULL;
	}

	/* CMD_VERSION {major, minor, rv}: 1.9.9 does not require it, but the
	 * old library always sent it first, and a refusal tells us early that
	 * the daemon does not speak 4:4. */
	uint8_t body[LW_TRIPLE_SIZE], reply[LW_TRIPLE_SIZE];
	uint32_t a, b, rv;
	lw_encode_triple(body, LW_PROTOCOL_MAJOR, LW_PROTOCOL_MINOR, SCARD_S_SUCCESS);
	lw_result r = transact(c, LW_CMD_VERSION, body, sizeof body, reply, sizeof reply);
	if (r != LW_OK) {
		g_set_error(error, LEGACY_ERROR,
			    r == LW_CLOSED ? LEGACY_ERROR_NO_SERVICE : LEGACY_ERROR_FAILED,
			    "CMD_VERSION: %s", lw_result_name(r));
		return NULL;
	}
	lw_decode_triple(reply, &a, &b, &rv);
	if (rv != SCARD_S_SUCCESS) {
		g_set_error(error, LEGACY_ERROR, LEGACY_ERROR_REFUSED,
			    "pcscd refused protocol %d:%d (it speaks %d:%d): 0x%08X", LW_PROTOCOL_MAJOR,
			    LW_PROTOCOL_MINOR, (int32_t)a, (int32_t)b, rv);
		return NULL;
	}

	/* SCARD_ESTABLISH_CONTEXT {dwScope, hContext, rv}. */
	lw_encode_triple(body, SCARD_SCOPE_SYSTEM, 0, SCARD_S_SUCCESS);
	r = transact(c, LW_SCARD_ESTABLISH_CONTEXT, body, sizeof body, reply, sizeof reply);
	if (r != LW_OK) {
		g_set_error(error, LEGACY_ERROR,
			    r == LW_CLOSED ? LEGACY_ERROR_NO_SERVICE : LEGACY_ERROR_FAILED,
			    "SCARD_ESTABLISH_CONTEXT: %s", lw_result_name(r));
		return NULL;
	}
	lw_decode_triple(reply, &a, &c->hContext, &rv);
	if (rv != SCARD_S_SUCCESS) {
		g_set_error(error, LEGACY_ERROR, LEGACY_ERROR_REFUSED,
			    "pcscd refused the context: 0x%08X", rv);
		return NULL;
	}
	return g_steal_pointer(&c);
}

char **legacy_list_readers(legacy_ctx *c, GError **error)
{
	g_return_val_if_fail(c != NULL, NULL);
	lw_result r = c->spent ? LW_CLOSED : fetch_states(c);
	if (r != LW_OK) {
		if (!c->spent)
			fail(c, r);
		g_set_error(error, LEGACY_ERROR,
			    r == LW_CLOSED ? LEGACY_ERROR_NO_SERVICE : LEGACY_ERROR_FAILED,
			    "CMD_GET_READERS_STATE: %s", lw_result_name(r));
		return NULL;
	}
	GPtrArray *v = g_ptr_array_new();
	for (unsigned i = 0; i < PCSCLITE_MAX_READERS_CONTEXTS; i++)
		if (c->states[i].readerName[0] != '\0')
			g_ptr_array_add(v, g_strdup(c->states[i].readerName));
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

static unsigned reader_count(const legacy_ctx *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PCSCLITE_MAX_READERS_CONTEXTS; i++)
		n += c->states[i].readerName[0] != '\0';
	return n;
}

static const lw_reader_state *find_reader(const legacy_ctx *c, const char *name)
{
	for (unsigned i = 0; i < PCSCLITE_MAX_READERS_CONTEXTS; i++)
		if (c->states[i].readerName[0] != '\0' && strcmp(c->states[i].readerName, name) == 0)
			return &c->states[i];
	return NULL;
}

/* SYS_USleep(PCSCLITE_STATUS_POLL_RATE + 10), but a cancel ends it.
 * Returns false when cancelled. */
static bool widener_sleep(legacy_ctx *c)
{
	struct pollfd p = { .fd = c->cancel_pipe[0], .events = POLLIN };
	int64_t deadline = now_ms() + (LEGACY_NO_ATR_SLEEP_US + 999) / 1000;
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return true;
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return false;
		if (n < 0 && errno != EINTR)
			return true;
	}
}

/* One reader of one pass of the compare loop, against the states of the
 * last fetch.  Sets *changed when this reader makes the call return at the
 * end of the pass.  Returns false when cancelled during the widener sleep.
 *
 * The old loop kept dwEventState across passes and patched bits; here
 * each pass recomputes it from zero.  A call returns at the end of the
 * first pass that sets SCARD_STATE_CHANGED, and every bit the old code
 * could carry over is set or cleared again by each pass, so what the
 * caller sees is the same (checked against §2.6). */
static bool compare_reader(legacy_ctx *c, SCARD_READERSTATE *rs, unsigned *pnp_count,
			   bool *changed)
{
	const DWORD cur = rs->dwCurrentState;
	DWORD ev = 0;
#define MARK_CHANGED() do { ev |= SCARD_STATE_CHANGED; *changed = true; } while (0)

	const lw_reader_state *r = find_reader(c, rs->szReader);
	if (r == NULL) {
		if (strcasecmp(rs->szReader, PNP_NOTIFICATION) == 0) {
			/* Before 2.3.0 the PnP entry only compared reader
			 * counts inside one call (§2.6, issue #190). */
			unsigned now = reader_count(c);
			if (now != *pnp_count) {
				*pnp_count = now;
				MARK_CHANGED();
			}
			rs->dwEventState = ev;
			return true;
		}
		ev = SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE;
		if (!(cur & SCARD_STATE_UNKNOWN))
			MARK_CHANGED();
		rs->dwEventState = ev;
		return true;
	}

	/* The reader has come back after being away. */
	if (cur & SCARD_STATE_UNKNOWN)
		MARK_CHANGED();
	/* The event counter check (§2.6): a high word of 0 disables it. */
	if ((cur & 0xFFFF0000u) && ((cur >> 16) & 0xFFFFu) != r->eventCounter)
		MARK_CHANGED();
	ev = (ev & 0xFFFFu) | ((DWORD)r->eventCounter << 16);

	const uint32_t st = r->readerState;
	if (st & SCARD_UNKNOWN) {
		/* A reader in a bad state: the old code assigned here, which
		 * also dropped the counter word it had just set. */
		ev = SCARD_STATE_UNAVAILABLE;
		if (!(cur & SCARD_STATE_UNAVAILABLE))
			MARK_CHANGED();
	} else if (cur & SCARD_STATE_UNAVAILABLE) {
		MARK_CHANGED();
	}

	if (st & SCARD_PRESENT) {
		/* "Card present but not yet powered up": the old library slept
		 * here to let the daemon's status thread catch up.  This sleep,
		 * between the fetch and the registration, is the window widener
		 * (§1.3). */
		if (r->cardAtrLength == 0 && !widener_sleep(c))
			return false;
		rs->cbAtr = r->cardAtrLength;
		memcpy(rs->rgbAtr, r->cardAtr, r->cardAtrLength);
	} else {
		rs->cbAtr = 0;
	}

	if (st & SCARD_ABSENT) {
		ev |= SCARD_STATE_EMPTY;
		if (cur & SCARD_STATE_PRESENT)
			MARK_CHANGED();
	} else if (st & SCARD_PRESENT) {
		ev |= SCARD_STATE_PRESENT;
		if (cur & SCARD_STATE_EMPTY)
			MARK_CHANGED();
		if (st & SCARD_SWALLOWED) {
			ev |= SCARD_STATE_MUTE;
			if (!(cur & SCARD_STATE_MUTE))
				MARK_CHANGED();
		} else if (cur & SCARD_STATE_MUTE) {
			MARK_CHANGED();
		}
	}

	/* Sharing: -1 exclusive, >= 1 shared (in use only with a card), 0 none. */
	if (r->readerSharing == LW_SHARING_EXCLUSIVE) {
		ev |= SCARD_STATE_EXCLUSIVE;
		if (cur & SCARD_STATE_INUSE)
			MARK_CHANGED();
	} else if (r->readerSharing > LW_SHARING_NONE) {
		if (st & SCARD_PRESENT) {
			ev |= SCARD_STATE_INUSE;
			if (cur & SCARD_STATE_EXCLUSIVE)
				MARK_CHANGED();
		}
	} else if (r->readerSharing == LW_SHARING_NONE) {
		if (cur & (SCARD_STATE_INUSE | SCARD_STATE_EXCLUSIVE))
			MARK_CHANGED();
	}

	if (cur == SCARD_STATE_UNAWARE)
		MARK_CHANGED();
#undef MARK_CHANGED
	rs->dwEventState = ev;
	return true;
}

/* Registers with the pre-fix sequence and waits for one signal, up to
 * wait_ms.  Whatever ended the wait, the registration is over and the
 * states are fetched again (as the old loop did after every wake-up). */
static LONG wait_and_refetch(legacy_ctx *c, unsigned wait_ms)
{
	/* CMD_WAIT_READER_STATE_CHANGE, 4:4 form: no body.  The fixed daemon
	 * registers us and dumps the states atomically; a pre-1.8.24 client
	 * never saw that dump and compared the states it fetched before, so
	 * the dump is read (to keep the stream in step) and DISCARDED. */
	g_autofree uint8_t *dump = g_malloc(LW_STATES_SIZE);
	lw_result r = transact(c, LW_CMD_WAIT_READER_STATE_CHANGE, NULL, 0, dump, LW_STATES_SIZE);
	if (r != LW_OK)
		return fail(c, r);

	uint8_t sig[LW_SIGNAL_SIZE];
	r = lw_recv(c->fd, sig, sizeof sig, wait_ms, c->cancel_pipe[0]);
	if (r == LW_TIMEOUT) {
		/* Unregister; exactly one 8-byte message comes back: the stop
		 * reply, or the signal that beat it (§2.5). */
		r = transact(c, LW_CMD_STOP_WAITING_READER_STATE_CHANGE, NULL, 0, sig, sizeof sig);
	}
	if (r != LW_OK)
		return fail(c, r);
	uint32_t timeOut, rv;
	memcpy(&timeOut, sig, 4);
	memcpy(&rv, sig + 4, 4);
	(void)timeOut;
	if (rv != SCARD_S_SUCCESS) {
		/* SCARD_E_CANCELLED from a SCardCancel on our context, or an
		 * error from the daemon: returned as the old loop did. */
		return (LONG)rv;
	}
	r = fetch_states(c);
	return r == LW_OK ? SCARD_S_SUCCESS : fail(c, r);
}

LONG legacy_get_status_change(legacy_ctx *c, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n)
{
	if (c == NULL)
		return SCARD_E_INVALID_HANDLE;
	if (n > 0 && states == NULL)
		return SCARD_E_INVALID_PARAMETER;
	for (DWORD j = 0; j < n; j++)
		if (states[j].szReader == NULL)
			return SCARD_E_INVALID_VALUE;
	if (cancelled(c))
		return SCARD_E_CANCELLED;
	if (c->spent)
		return c->spent_rv;

	/* Nothing to watch (no entry, or all SCARD_STATE_IGNORE): the old
	 * library returned success at once. */
	DWORD watched = 0;
	for (DWORD j = 0; j < n; j++)
		watched += !(states[j].dwCurrentState & SCARD_STATE_IGNORE);
	if (watched == 0)
		return SCARD_S_SUCCESS;

	lw_result r = fetch_states(c);
	if (r != LW_OK)
		return fail(c, r);
	for (DWORD j = 0; j < n; j++)
		states[j].dwEventState = 0;
	unsigned pnp_count = reader_count(c);

	/* (DWORD)-1 and INFINITE both mean no limit (the old sign-extension
	 * guard); the wait is then cut in 60 s slices, each ending with a
	 * stop, a re-fetch and a new compare. */
	const bool infinite = timeout_ms == INFINITE || timeout_ms == (DWORD)-1;
	int64_t dwTime = infinite ? LEGACY_INFINITE_SLICE_MS : (int64_t)timeout_ms;

	for (;;) {
		bool changed = false;
		for (DWORD j = 0; j < n; j++) {
			if (states[j].dwCurrentState & SCARD_STATE_IGNORE)
				continue;
			if (!compare_reader(c, &states[j], &pnp_count, &changed))
				return fail(c, LW_CANCELLED);
		}
		if (changed)
			return SCARD_S_SUCCESS;

		/* The race: between the fetch above and this registration,
		 * an event reaches nobody. */
		int64_t before = now_ms();
		LONG rv = wait_and_refetch(c, (unsigned)(dwTime > 0 ? dwTime : 0));
		if (rv != SCARD_S_SUCCESS)
			return rv;
		if (!infinite) {
			dwTime -= now_ms() - before;
			/* 1.8.23 checked the time here, after the re-fetch and
			 * before comparing again: a change that came with the
			 * last slice is reported by the next call. */
			if (dwTime <= 0)
				return SCARD_E_TIMEOUT;
		}
	}
}
