/* ccidlab — test harness only (--enable-tsan): GLib's locks made visible
 * to ThreadSanitizer.
 *
 * Why: GLib's GMutex, GRecMutex and GCond are its own futex code on
 * Linux, not pthread's, and Debian's GLib is not instrumented, so
 * ThreadSanitizer sees no lock at all and calls everything they protect a
 * data race.  Preloaded beside libtsan (tests/local.mk), this library
 * takes the calls first (dynamic symbol interposition), calls GLib's own,
 * and tells ThreadSanitizer what they mean: a lock acquires the mutex's
 * history, an unlock releases it, a condition wait does both.  With that,
 * a report is a race between code that takes no common lock.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

typedef int gboolean;
typedef int64_t gint64;
typedef struct GMutex GMutex;
typedef struct GRecMutex GRecMutex;
typedef struct GCond GCond;

void __tsan_acquire(void *addr);
void __tsan_release(void *addr);

void g_mutex_lock(GMutex *m);
gboolean g_mutex_trylock(GMutex *m);
void g_mutex_unlock(GMutex *m);
void g_rec_mutex_lock(GRecMutex *m);
gboolean g_rec_mutex_trylock(GRecMutex *m);
void g_rec_mutex_unlock(GRecMutex *m);
void g_cond_wait(GCond *c, GMutex *m);
gboolean g_cond_wait_until(GCond *c, GMutex *m, gint64 end);

/* GLib's own function of that name: the next definition after ours, or,
 * when GLib came in with a library pcscd opened RTLD_LOCAL (the driver),
 * GLib's own, looked up in it. */
static void *sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (p == NULL) {
		void *glib = dlopen("libglib-2.0.so.0", RTLD_NOW | RTLD_NOLOAD);
		if (glib != NULL)
			p = dlsym(glib, name);
	}
	if (p == NULL)
		abort();
	return p;
}

typedef void (*mutex_fn)(GMutex *);
typedef gboolean (*mutex_try_fn)(GMutex *);
typedef void (*rec_fn)(GRecMutex *);
typedef gboolean (*rec_try_fn)(GRecMutex *);
typedef void (*wait_fn)(GCond *, GMutex *);
typedef gboolean (*wait_until_fn)(GCond *, GMutex *, gint64);

#define REAL(name, type)                                                                   \
	static type real;                                                                  \
	if (real == NULL)                                                                  \
		real = (type)sym(name)

void g_mutex_lock(GMutex *m)
{
	REAL("g_mutex_lock", mutex_fn);
	real(m);
	__tsan_acquire(m);
}

gboolean g_mutex_trylock(GMutex *m)
{
	REAL("g_mutex_trylock", mutex_try_fn);
	gboolean ok = real(m);
	if (ok)
		__tsan_acquire(m);
	return ok;
}

void g_mutex_unlock(GMutex *m)
{
	REAL("g_mutex_unlock", mutex_fn);
	__tsan_release(m);
	real(m);
}

void g_rec_mutex_lock(GRecMutex *m)
{
	REAL("g_rec_mutex_lock", rec_fn);
	real(m);
	__tsan_acquire(m);
}

gboolean g_rec_mutex_trylock(GRecMutex *m)
{
	REAL("g_rec_mutex_trylock", rec_try_fn);
	gboolean ok = real(m);
	if (ok)
		__tsan_acquire(m);
	return ok;
}

void g_rec_mutex_unlock(GRecMutex *m)
{
	REAL("g_rec_mutex_unlock", rec_fn);
	__tsan_release(m);
	real(m);
}

void g_cond_wait(GCond *c, GMutex *m)
{
	REAL("g_cond_wait", wait_fn);
	__tsan_release(m);
	real(c, m);
	__tsan_acquire(m);
}

gboolean g_cond_wait_until(GCond *c, GMutex *m, gint64 end)
{
	REAL("g_cond_wait_until", wait_until_fn);
	__tsan_release(m);
	gboolean ok = real(c, m, end);
	__tsan_acquire(m);
	return ok;
}
