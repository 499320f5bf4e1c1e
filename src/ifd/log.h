/* ccidlab — the driver's one log path (STYLE.md rule 15).
 *
 * Inside pcscd every line goes to pcscd's own log (log_msg from
 * PCSC/debuglog.h), so a tester reads the driver's reasons next to
 * pcscd's.  Outside pcscd (unit tests dlopen the driver) log_msg does not
 * exist and lines go to stderr.  A test can capture lines instead.
 */
#ifndef CCIDLAB_IFD_LOG_H
#define CCIDLAB_IFD_LOG_H

#include <stdarg.h>

typedef enum ifd_log_level {
	IFD_LOG_DEBUG = 0,	/* the values are pcscd's PCSC_LOG_* */
	IFD_LOG_INFO = 1,
	IFD_LOG_ERROR = 2,
	IFD_LOG_CRITICAL = 3,
} ifd_log_level;

void ifd_log(ifd_log_level level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Replaces the sink (NULL restores the default); for tests. */
typedef void (*ifd_log_sink)(ifd_log_level level, const char *line, void *data);
void ifd_log_set_sink(ifd_log_sink sink, void *data);

#define ifd_debug(...) ifd_log(IFD_LOG_DEBUG, __func__, __VA_ARGS__)
#define ifd_info(...) ifd_log(IFD_LOG_INFO, __func__, __VA_ARGS__)
#define ifd_error(...) ifd_log(IFD_LOG_ERROR, __func__, __VA_ARGS__)

#endif
