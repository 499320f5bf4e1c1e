/* ccidlab — the driver's one log path (STYLE.md rule 15).
 *
 * Inside pcscd every line goes to pcscd's own log (log_msg from
 * PCSC/debuglog.h), so a tester reads the driver's reasons next to
 * pcscd's.  Outside pcscd (unit tests dlopen the driver) log_msg does not
 * exist and lines go to stderr.  A test can capture lines instead.
 *
 * The layers under the driver log with GLib, each in its domain
 * (ccidlab-host, -emu, -ctl, -usb, and the usbsim shim's): log.c routes
 * those to the same writer, as "ccidlab: LAYER: message".
 */
#ifndef CCIDLAB_IFD_LOG_H
#define CCIDLAB_IFD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ifd_log_level {
	IFD_LOG_DEBUG = 0,	/* the values are pcscd's PCSC_LOG_* */
	IFD_LOG_INFO = 1,
	IFD_LOG_ERROR = 2,
	IFD_LOG_CRITICAL = 3,
} ifd_log_level;

void ifd_log(ifd_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What is logged, as the bits of libccid's ifdLogLevel (so that a tester
 * who knows one knows the other): 1 critical (errors, refusals), 2 info
 * (readers opened and closed, card power), 4 comm (every CCID frame, in
 * hex), 8 periodic (presence polls and waits).  Default 1 | 2; set by
 * CCIDLAB_LOG_LEVEL in pcscd's environment or the DEVICENAME key log=. */
enum {
	IFD_LOGCAT_CRITICAL = 1,
	IFD_LOGCAT_INFO = 2,
	IFD_LOGCAT_COMM = 4,
	IFD_LOGCAT_PERIODIC = 8,
};
#define IFD_LOGCAT_DEFAULT (IFD_LOGCAT_CRITICAL | IFD_LOGCAT_INFO)
unsigned ifd_log_mask(void);
void ifd_log_set_mask(unsigned mask);
/* Logs one frame in hex when IFD_LOGCAT_COMM is on. */
void ifd_log_frame(unsigned reader, const char *dir, const uint8_t *buf, size_t len);

/* Replaces the sink (NULL restores the default); for tests. */
typedef void (*ifd_log_sink)(ifd_log_level level, const char *line, void *data);
void ifd_log_set_sink(ifd_log_sink sink, void *data);

#define ifd_debug(...) \
	do { if (ifd_log_mask() & IFD_LOGCAT_INFO) ifd_log(IFD_LOG_DEBUG, __func__, __VA_ARGS__); } while (0)
#define ifd_info(...) \
	do { if (ifd_log_mask() & IFD_LOGCAT_INFO) ifd_log(IFD_LOG_INFO, __func__, __VA_ARGS__); } while (0)
#define ifd_error(...) \
	do { if (ifd_log_mask() & IFD_LOGCAT_CRITICAL) ifd_log(IFD_LOG_ERROR, __func__, __VA_ARGS__); } while (0)
#define ifd_periodic(...) \
	do { if (ifd_log_mask() & IFD_LOGCAT_PERIODIC) ifd_log(IFD_LOG_DEBUG, __func__, __VA_ARGS__); } while (0)

#endif
