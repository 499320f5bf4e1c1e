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
