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

static _Atomic gint64 offset;

gint64 vclock_now(void)
{
	return __real_g_get_monotonic_time() + atomic_load(&offset);
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
	gint64 real = __real_g_get_monotonic_time();
	gint64 left = end_time - vclock_now();
	__real_g_cond_wait_until(cond, mutex, real + CLAMP(left, 0, 1000));
	return vclock_now() < end_time;
}

void __wrap_g_usleep(gulong us)
{
	vclock_advance_ms((unsigned)((us + 999) / 1000));
	__real_g_usleep(0);
}
