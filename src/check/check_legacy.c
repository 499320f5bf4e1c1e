/* ccidlab — check-events: the legacy backend.  Plugs the pre-1.8.24
 * SCardGetStatusChange (legacy_client.h, protocol 4:4 with the old
 * sequence) into the monitors' function pointer, so the positive control
 * runs in the very loop the libpcsclite monitors run. */
#include "config.h"

#include "check/check_events.h"
#include "pcsclegacy/legacy_client.h"

void *check_legacy_open(const char *socket, GError **error)
{
	return legacy_connect(socket, error);
}

void check_legacy_cancel(void *legacy)
{
	legacy_cancel(legacy);
}

void check_legacy_close(void *legacy)
{
	legacy_close(legacy);
}

/* The monitor keeps the legacy handle in its SCARDCONTEXT (an integer
 * as wide as a pointer on pcsc-lite's Unix ABI). */
LONG check_legacy_gsc(SCARDCONTEXT ctx, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n)
{
	return legacy_get_status_change((legacy_ctx *)(uintptr_t)ctx, timeout_ms, states, n);
}
