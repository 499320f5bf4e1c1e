/* ccidlab — the stateful fuzz targets' virtual clock (issue 20).
 *
 * The code under test reads the time through GLib: the targets link with
 * -Wl,--wrap for g_get_monotonic_time, g_cond_wait_until and g_usleep
 * (tests/fuzz/local.mk), and these wrappers give it a virtual time that
 * only a device moves: a device that keeps a host waiting advances it by
 * the wait instead of sleeping (fuzz_device.c), so a command's 60 s cap
 * costs no wall time, "returned within its cap" is measured on the
 * virtual clock, and a loaded machine changes nothing.  A condition wait
 * sleeps at most 1 ms of real time and reports a wakeup while the
 * virtual deadline is ahead (GLib allows spurious wakeups: every caller
 * loops); g_usleep only advances the virtual time.
 */
#ifndef CCIDLAB_FUZZ_VCLOCK_H
#define CCIDLAB_FUZZ_VCLOCK_H

#include <glib.h>

/* The virtual monotonic time (µs), what the wrapped code reads. */
gint64 vclock_now(void);
/* Lets ms pass on the virtual clock. */
void vclock_advance_ms(unsigned ms);

#endif
