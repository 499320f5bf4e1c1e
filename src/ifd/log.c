/* ccidlab — the driver's log bridge to pcscd (see log.h): its own lines,
 * and the GLib messages of every layer under it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

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

void ifd_log_frame(unsigned reader, const char *dir, const uint8_t *buf, size_t len)
{
	char hex[3 * 64 + 1];
	size_t n = len < 64 ? len : 64;

	if (!(ifd_log_mask() & IFD_LOGCAT_COMM))
		return;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02X ", buf[i]);
	hex[3 * n] = '\0';
	ifd_log(IFD_LOG_DEBUG, "frame", "reader %u %s %zu: %s%s", reader, dir, len, hex,
		len > n ? "..." : "");
}

void ifd_log_set_sink(ifd_log_sink sink, void *data)
{
	sink_fn = sink;
	sink_data = data;
}

/* The one writer: every line of the driver and of the layers under it
 * goes out here.  who is "func()" for the driver's own lines, the layer
 * ("host:") for GLib's; one format, "ccidlab: who message", so a grep for
 * "ccidlab:" finds all of them in pcscd's log. */
static void emit(ifd_log_level level, const char *who, const char *msg)
{
	if (sink_fn != NULL) {
		sink_fn(level, msg, sink_data);
		return;
	}
	if (log_msg != NULL)
		log_msg((int)level, "ccidlab: %s %s", who, msg);
	else
		fprintf(stderr, "ccidlab: %s %s\n", who, msg);
}

void ifd_log(ifd_log_level level, const char *func, const char *fmt, ...)
{
	char msg[1024];
	char who[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(who, sizeof who, "%s()", func);
	emit(level, who, msg);
}

/* ---- GLib's messages of the layers under the driver ----
 *
 * host, emu, ctl, usb (and usbsim when the shim is preloaded) log with
 * g_debug, g_message, g_warning, and GLib's own g_return_if_fail
 * criticals, each in its domain (G_LOG_DOMAIN, set per layer in its
 * local.mk).  Outside pcscd GLib's default handler would print them to
 * pcscd's stderr, or drop the debug ones; here a handler per domain sends
 * them through the writer above, at pcscd's levels, filtered by the
 * driver's categories (CCIDLAB_LOG_LEVEL, log=).  A library may not set
 * GLib's one process-wide writer (g_log_set_writer_func), so these are
 * per-domain handlers, set when the driver loads and removed when it
 * unloads (GLib is never unloaded: -z nodelete). */

static const char *const domains[] = {
	"ccidlab-host", "ccidlab-emu", "ccidlab-ctl", "ccidlab-usb", "ccidlab-usbsim",
};
static guint handlers[G_N_ELEMENTS(domains)];

static void from_glib(const gchar *domain, GLogLevelFlags flags, const gchar *message,
		      gpointer data)
{
	ifd_log_level level;
	unsigned cat;

	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
		level = IFD_LOG_CRITICAL;
		cat = IFD_LOGCAT_CRITICAL;
	} else if (flags & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE)) {
		level = IFD_LOG_ERROR;
		cat = IFD_LOGCAT_CRITICAL;
	} else if (flags & G_LOG_LEVEL_INFO) {
		level = IFD_LOG_INFO;
		cat = IFD_LOGCAT_INFO;
	} else {
		level = IFD_LOG_DEBUG;
		cat = IFD_LOGCAT_INFO;
	}
	if (!(ifd_log_mask() & cat))
		return;
	char who[32];
	const char *layer = g_str_has_prefix(domain, "ccidlab-") ? domain + strlen("ccidlab-")
							      : domain;
	snprintf(who, sizeof who, "%s:", layer);
	emit(level, who, message);
}

__attribute__((constructor)) static void route_glib(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(domains); i++)
		handlers[i] = g_log_set_handler(domains[i],
						G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
							G_LOG_FLAG_RECURSION,
						from_glib, NULL);
}

__attribute__((destructor)) static void unroute_glib(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(domains); i++)
		if (handlers[i] != 0)
			g_log_remove_handler(domains[i], handlers[i]);
}
