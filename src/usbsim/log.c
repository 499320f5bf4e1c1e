/* ccidlab — the shim's log lines (usbsim.h): GLib messages in the domain
 * "ccidlab-usbsim", written to stderr as "usbsim: ..." by the handler
 * set here when the shim loads.  ccidlab's driver, when a process loads
 * it (pcscd with usb: readers on the shim), sets its own handler for the
 * domain, which GLib then prefers: the lines go to pcscd's log with every
 * other layer's (src/ifd/log.c).  Unloaded, it gives the domain back. */
#include "config.h"

#include <stdio.h>

#include "usbsim/usbsim.h"

static guint handler;

static void to_stderr(const gchar *domain, GLogLevelFlags level, const gchar *message,
		      gpointer data)
{
	fprintf(stderr, "usbsim: %s\n", message);
}

__attribute__((constructor)) static void log_init(void)
{
	handler = g_log_set_handler(G_LOG_DOMAIN,
				    G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
				    to_stderr, NULL);
}

/* GLib stays loaded (it is linked -z nodelete): no handler of ours may
 * outlive the code it points to. */
__attribute__((destructor)) static void log_fini(void)
{
	if (handler != 0)
		g_log_remove_handler(G_LOG_DOMAIN, handler);
	handler = 0;
}

void usbsim_debug(const char *fmt, ...)
{
	static int on = -1;

	if (on < 0)
		on = g_getenv("CCIDLAB_USBSIM_DEBUG") != NULL;
	if (!on)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_logv(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}
