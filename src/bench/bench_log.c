/* ccidlab — pcscd's log functions for the drivers `ccidlab bench` loads
 * in its own process (bench_open.c, bench_driver.c).
 *
 * pcscd exports log_msg and log_xxd from its executable and Debian's
 * libccid needs them to load at all; ccidlab's driver uses log_msg when
 * its host has it.  This program exports both (src/bench/bench.sym) with
 * pcsc-lite's signatures and behaves as pcscd does when it runs without
 * -d: debug and info lines are dropped before any formatting (libccid
 * logs one info line per APDU at its default level, which a production
 * pcscd drops this way), errors go to stderr, which the suites send to a
 * file while a driver runs.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include <debuglog.h>

void log_msg(const int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority < PCSC_LOG_ERROR)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_xxd(const int priority, const char *msg, const unsigned char *buffer, const int size)
{
	if (priority < PCSC_LOG_ERROR)
		return;
	fputs(msg, stderr);
	for (int i = 0; i < size; i++)
		fprintf(stderr, "%02X ", buffer[i]);
	fputc('\n', stderr);
}
