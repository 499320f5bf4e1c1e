/* ccidlab — the driver's log bridge to pcscd (see log.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <debuglog.h>

#include "ifd/log.h"

/* pcscd exports log_msg from its executable.  Weak, so that the driver
 * also loads where pcscd is not the host (unit tests, other loaders). */
#pragma weak log_msg

static ifd_log_sink sink_fn;
static void *sink_data;
static int mask = -1;	/* -1: not read from the environment yet */

unsigned ifd_log_mask(void)
{
	int m = __atomic_load_n(&mask, __ATOMIC_RELAXED);
	if (m >= 0)
		return (unsigned)m;
	const char *env = getenv("CCIDLAB_LOG_LEVEL");
	char *end = NULL;
	unsigned long v = env != NULL ? strtoul(env, &end, 0) : IFD_LOGCAT_DEFAULT;
	if (env != NULL && (end == env || *end != '\0' || v > 15))
		v = IFD_LOGCAT_DEFAULT;	/* a typo must not silence errors */
	__atomic_store_n(&mask, (int)v, __ATOMIC_RELAXED);
	return (unsigned)v;
}

void ifd_log_set_mask(unsigned m)
{
	__atomic_store_n(&mask, (int)(m & 15), __ATOMIC_RELAXED);
}

void ifd_log_frame(unsigned reader, const char *dir, const uint8_t *buf, size_t len,
		   size_t mask_off, size_t mask_len)
{
	char hex[3 * 64 + 1];
	size_t n = len < 64 ? len : 64;

	if (!(ifd_log_mask() & IFD_LOGCAT_COMM))
		return;
	for (size_t i = 0; i < n; i++) {
		if (i >= mask_off && i - mask_off < mask_len)
			snprintf(hex + 3 * i, 4, "** ");
		else
			snprintf(hex + 3 * i, 4, "%02X ", buf[i]);
	}
	hex[3 * n] = '\0';
	ifd_log(IFD_LOG_DEBUG, "frame", "reader %u %s %zu: %s%s", reader, dir, len, hex,
		len > n ? "..." : "");
}

void ifd_log_set_sink(ifd_log_sink sink, void *data)
{
	sink_fn = sink;
	sink_data = data;
}

void ifd_log(ifd_log_level level, const char *func, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	if (sink_fn != NULL) {
		sink_fn(level, msg, sink_data);
		return;
	}
	/* One format for every line: "ccidlab: func() message", so a grep for
	 * "ccidlab:" finds the driver's lines in pcscd's log. */
	if (log_msg != NULL)
		log_msg((int)level, "ccidlab: %s() %s", func, msg);
	else
		fprintf(stderr, "ccidlab: %s() %s\n", func, msg);
}
