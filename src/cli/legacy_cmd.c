/* ccidlab legacy-wait — watch readers with the legacy (pre-1.8.24)
 * SCardGetStatusChange and print every change with a CLOCK_MONOTONIC
 * timestamp, for manual use and the positive-control test.
 *
 * Output, one line per reader that a call reports changed (and one per
 * reader for the first, SCARD_STATE_UNAWARE, call):
 *   T rv=NAME reader=I state=0xEVENTSTATE counter=N atr=HEX name=READER
 * one line per call that timed out:
 *   T rv=SCARD_E_TIMEOUT
 * T is seconds.nanoseconds of CLOCK_MONOTONIC (comparable with the edge
 * stream's ts_ns and Python's time.monotonic()).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "cli/ctl_cmds.h"
#include "pcsclegacy/legacy_client.h"

#define MAX_WATCHED 16

static const char *rv_name(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS:
		return "SCARD_S_SUCCESS";
	case SCARD_E_TIMEOUT:
		return "SCARD_E_TIMEOUT";
	case SCARD_E_CANCELLED:
		return "SCARD_E_CANCELLED";
	case SCARD_E_NO_SERVICE:
		return "SCARD_E_NO_SERVICE";
	case SCARD_F_COMM_ERROR:
		return "SCARD_F_COMM_ERROR";
	case SCARD_E_INVALID_PARAMETER:
		return "SCARD_E_INVALID_PARAMETER";
	case SCARD_E_INVALID_VALUE:
		return "SCARD_E_INVALID_VALUE";
	default:
		return "other";
	}
}

static void stamp(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, len, "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
}

static void print_reader(const char *t, LONG rv, unsigned i, const SCARD_READERSTATE *s)
{
	char atr[2 * MAX_ATR_SIZE + 2] = "-";
	DWORD len = s->cbAtr > MAX_ATR_SIZE ? MAX_ATR_SIZE : s->cbAtr;
	for (DWORD k = 0; k < len; k++)
		snprintf(atr + 2 * k, 3, "%02X", s->rgbAtr[k]);
	printf("%s rv=%s reader=%u state=0x%08lX counter=%lu atr=%s name=%s\n", t, rv_name(rv), i,
	       (unsigned long)s->dwEventState, (unsigned long)(s->dwEventState >> 16) & 0xFFFFu,
	       atr, s->szReader);
}

/* A READER argument: pcscd's exact name, else a substring of exactly one
 * name.  Returns the name (owned by names) or NULL after saying why. */
static const char *resolve(char **names, const char *arg)
{
	const char *hit = NULL;
	unsigned hits = 0;
	for (char **p = names; *p != NULL; p++) {
		if (strcmp(*p, arg) == 0)
			return *p;
		if (strstr(*p, arg) != NULL) {
			hit = *p;
			hits++;
		}
	}
	if (hits == 1)
		return hit;
	if (strcmp(arg, "\\\\?PnP?\\Notification") == 0)
		return arg;
	fprintf(stderr, "ccidlab legacy-wait: '%s' matches %u of pcscd's readers\n", arg, hits);
	return NULL;
}

int legacy_wait_main(int argc, char **argv)
{
	gint timeout = -1, old_timeout = -1, count = 0;
	g_autofree char *socket = NULL;
	const GOptionEntry entries[] = {
		{ "timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout,
		  "per-call timeout in ms (default: INFINITE)", "MS" },
		/* --timeout/-t were milliseconds here, seconds everywhere else
		 * (ccidlab(1), one grammar): kept, hidden, with a warning. */
		{ "timeout", 't', G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &old_timeout, NULL, NULL },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count,
		  "exit after N reported changes (default: never)", "N" },
		{ "pcsc-socket", 0, 0, G_OPTION_ARG_FILENAME, &socket,
		  "pcscd's socket (default: $PCSCLITE_CSOCK_NAME, else /run/pcscd/pcscd.comm)",
		  "PATH" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("READER...");
	g_option_context_set_summary(oc,
		"Watches readers with the pre-1.8.24 SCardGetStatusChange sequence (the 2018 race)\n"
		"and prints each change it sees with a CLOCK_MONOTONIC timestamp.  READER is\n"
		"pcscd's name or a substring of exactly one name.");
	g_option_context_add_main_entries(oc, entries, NULL);
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(oc, &argc, &argv, &err)) {
		fprintf(stderr, "ccidlab legacy-wait: %s\n", err->message);
		return 2;
	}
	if (old_timeout != -1) {
		fprintf(stderr, "ccidlab legacy-wait: --timeout/-t is deprecated, say --timeout-ms\n");
		if (timeout == -1)
			timeout = old_timeout;
	}
	if (argc < 2 || argc - 1 > MAX_WATCHED || count < 0 || timeout < -1) {
		fprintf(stderr, "usage: ccidlab legacy-wait READER... [--timeout-ms MS] [--count N]"
				" (1 to %d readers)\n", MAX_WATCHED);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	g_autoptr(legacy_ctx) c = legacy_connect(socket, &err);
	if (c == NULL) {
		fprintf(stderr, "ccidlab legacy-wait: %s\n", err->message);
		return 3;
	}
	g_auto(GStrv) names = legacy_list_readers(c, &err);
	if (names == NULL) {
		fprintf(stderr, "ccidlab legacy-wait: %s\n", err->message);
		return 5;
	}
	DWORD n = (DWORD)(argc - 1);
	SCARD_READERSTATE st[MAX_WATCHED];
	memset(st, 0, sizeof st);
	for (DWORD i = 0; i < n; i++) {
		st[i].szReader = resolve(names, argv[i + 1]);
		if (st[i].szReader == NULL)
			return 4;
		st[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}

	/* The first call (UNAWARE) returns at once with the current states. */
	DWORD dw_timeout = timeout < 0 ? INFINITE : (DWORD)timeout;
	LONG rv = legacy_get_status_change(c, 0, st, n);
	char t[40];
	stamp(t, sizeof t);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "ccidlab legacy-wait: %s (0x%08lX)\n", rv_name(rv), (unsigned long)rv);
		return 5;
	}
	for (DWORD i = 0; i < n; i++)
		print_reader(t, rv, (unsigned)i, &st[i]);

	for (gint seen = 0; count == 0 || seen < count;) {
		for (DWORD i = 0; i < n; i++)
			st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		rv = legacy_get_status_change(c, dw_timeout, st, n);
		stamp(t, sizeof t);
		if (rv == SCARD_E_TIMEOUT) {
			printf("%s rv=%s\n", t, rv_name(rv));
			continue;
		}
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "ccidlab legacy-wait: %s (0x%08lX)\n", rv_name(rv),
				(unsigned long)rv);
			return 5;
		}
		for (DWORD i = 0; i < n; i++)
			if (st[i].dwEventState & SCARD_STATE_CHANGED) {
				print_reader(t, rv, (unsigned)i, &st[i]);
				seen++;
			}
	}
	return 0;
}
