/* ccidlab — the fuzz targets' virtual clock (vclock.h). */
#include "config.h"

#include <stdatomic.h>

#include "vclock.h"

gint64 __real_g_get_monotonic_time(void);
gint64 __wrap_g_get_monotonic_time(void);
gboolean __real_g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time);
gboolean __wrap_g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time);
void __real_g_usleep(gulong us);
void __wrap_g_usleep(gulong us);

/* The virtual time: where the real clock stood at the first reading,
 * plus what the device made pass.  Real time does not count: a process
 * descheduled for 100 ms on a loaded machine is no device that made the
 * host wait, and every input replays the same. */
static _Atomic gint64 base;
static _Atomic gint64 offset;

gint64 vclock_now(void)
{
	gint64 b = atomic_load(&base);
	if (b == 0) {
		gint64 zero = 0;
		atomic_compare_exchange_strong(&base, &zero, __real_g_get_monotonic_time());
		b = atomic_load(&base);
	}
	return b + atomic_load(&offset);
}

void vclock_advance_ms(unsigned ms)
{
	atomic_fetch_add(&offset, (gint64)ms * 1000);
}

gint64 __wrap_g_get_monotonic_time(void)
{
	return vclock_now();
}

gboolean __wrap_g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time)
{
	/* At most 1 ms of real time: the virtual deadline moves only when a
	 * device call lets time pass, on another thread. */
	if (vclock_now() >= end_time)
		return FALSE;
	__real_g_cond_wait_until(cond, mutex, __real_g_get_monotonic_time() + 1000);
	return vclock_now() < end_time;
}

void __wrap_g_usleep(gulong us)
{
	vclock_advance_ms((unsigned)((us + 999) / 1000));
	__real_g_usleep(0);
}
