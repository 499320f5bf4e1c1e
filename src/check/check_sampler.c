/* ccidlab — check-events: where each monitor's calling thread is, sampled
 * from the kernel (see check_events.h).  An in-process monitor's thread is
 * /proc/self/task/TID; an agent's calls run on its main thread,
 * /proc/PID/task/PID.  Only changes are kept. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check/check_events.h"

struct check_sampler {
	check_monitor **mons;
	unsigned n;
	GThread *thread;
	gint stop;
};

const char *check_where_name(check_where w)
{
	static const char *const names[CHECK_WHERE_COUNT] = {
		"outside SCardGetStatusChange", "running", "waiting for a lock (futex)",
		"sleeping (nanosleep)", "waiting for pcscd (poll/read)",
	};
	return w < CHECK_WHERE_COUNT ? names[w] : "?";
}

check_where check_where_of(const char *line)
{
	if (line == NULL || strncmp(line, "running", 7) == 0)
		return CHECK_WHERE_RUN;
	char *end;
	long nr = strtol(line, &end, 10);
	if (end == line)
		return CHECK_WHERE_RUN;	/* "-1 ...": not in a system call */
	if (nr == SYS_futex)
		return CHECK_WHERE_LOCK;
#ifdef SYS_nanosleep
	if (nr == SYS_nanosleep)
		return CHECK_WHERE_SLEEP;
#endif
	if (nr == SYS_clock_nanosleep)
		return CHECK_WHERE_SLEEP;
	return CHECK_WHERE_WAIT;
}

static check_where sample_one(const check_monitor *m, int tid)
{
	if (!g_atomic_int_get(&m->inside))
		return CHECK_WHERE_OUT;
	char path[64], buf[256];
	if (m->agent != NULL)
		snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", tid, tid);
	else
		snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return CHECK_WHERE_RUN;
	char *got = fgets(buf, sizeof buf, f);
	fclose(f);
	return check_where_of(got);
}

static gpointer sampler_thread(gpointer data)
{
	check_sampler *s = data;
	while (!g_atomic_int_get(&s->stop)) {
		for (unsigned i = 0; i < s->n; i++) {
			check_monitor *m = s->mons[i];
			int tid = g_atomic_int_get(&m->tid);
			if (tid <= 0)
				continue;
			check_sample smp = { .where = (guint8)sample_one(m, tid) };
			smp.ts_ns = check_now_ns();
			g_mutex_lock(&m->lock);
			guint len = m->samples->len;
			if (len < CHECK_SAMPLES_MAX &&
			    (len == 0 || g_array_index(m->samples, check_sample, len - 1).where != smp.where))
				g_array_append_val(m->samples, smp);
			g_mutex_unlock(&m->lock);
		}
		g_usleep(CHECK_SAMPLE_MS * 1000);
	}
	return NULL;
}

check_sampler *check_sampler_start(check_monitor **mons, unsigned n)
{
	check_sampler *s = g_new0(check_sampler, 1);
	s->mons = mons;
	s->n = n;
	s->thread = g_thread_new("check-sampler", sampler_thread, s);
	return s;
}

void check_sampler_stop(check_sampler *s)
{
	if (s == NULL)
		return;
	g_atomic_int_set(&s->stop, 1);
	g_thread_join(s->thread);
	g_free(s);
}

bool check_monitor_where(const check_monitor *m, gint64 t0, gint64 t1,
			 gint64 out[CHECK_WHERE_COUNT])
{
	memset(out, 0, sizeof(gint64) * CHECK_WHERE_COUNT);
	const GArray *a = m->samples;
	if (a == NULL || a->len == 0 || g_array_index(a, check_sample, 0).ts_ns > t0 || t1 <= t0)
		return false;
	/* The place at t0 is the last change at or before it. */
	guint i = 0;
	while (i + 1 < a->len && g_array_index(a, check_sample, i + 1).ts_ns <= t0)
		i++;
	gint64 at = t0;
	for (; i < a->len; i++) {
		const check_sample *smp = &g_array_index(a, check_sample, i);
		gint64 next = i + 1 < a->len ? g_array_index(a, check_sample, i + 1).ts_ns : t1;
		gint64 end = MIN(next, t1);
		if (end > at)
			out[smp->where] += end - at;
		at = MAX(at, end);
		if (at >= t1)
			break;
	}
	return true;
}
