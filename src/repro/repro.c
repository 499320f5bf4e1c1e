/* repro.c: reproduces an anomaly of pcsc-lite's SCardGetStatusChange with
 * emulated readers, and says whether this pcsc-lite has it.
 * Written by ccidlab (`ccidlab repro CLASS --emit DIR`); see README.
 *
 * Build:  cc -O2 -Wall -o repro repro.c $(pkg-config --cflags --libs libpcsclite) -pthread
 * Run:    ccidlab lab --conf reader.conf.d -- ./repro     (exit 0 PASS, 1 FAIL, 2 error)
 *
 * The readers are ccidlab's emulated ones (reader.conf.d): "rpa" and "rpb"
 * are toggled, "rpm" holds a card that is present but gives no ATR.  The
 * cards are moved through ccidlab's control socket ($CCIDLAB_CTL_SOCKET),
 * so the program knows when each edge happened.  Watcher threads, each
 * with its own context, call SCardGetStatusChange(INFINITE) on all three
 * readers in a loop, as a multi-threaded application does (rpm's card is
 * mute unless -n).  Every return
 * is checked:
 *   lost               an edge a thread had not reported 5 s later
 *   state UNKNOWN      a live reader reported SCARD_STATE_UNKNOWN or UNAVAILABLE
 *   counter backwards  a reader's event counter (dwEventState >> 16) went down
 *   error CODE         a return other than SCARD_S_SUCCESS
 * and for each lost edge it prints the thread's own calls and returns
 * around it, with where the thread spent the 5 s (sampled from
 * /proc/self/task/TID/syscall every 2 ms): waiting for a lock (futex),
 * sleeping (nanosleep), waiting for pcscd (poll/read), or running. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

/* The class this copy was written for, and its defaults (the -c, -m, -t,
 * -e options override them). */
#define REPRO_CLASS "@CLASS@"
#define REPRO_MODE "@MODE@"
#define REPRO_THREADS @THREADS@
#define REPRO_EDGES @EDGES@
#define REPRO_MUTE @MUTE@	/* 1: the mute card in rpm */
#define REPRO_ERROR @ERROR@	/* the return code of an "error CODE" class, or 0 */

#define MAX_THREADS 64
#define MAX_CALLS 4096		/* returns kept per thread */
#define MAX_SAMPLES 65536	/* state changes kept per thread */
#define LOST_S 5.0		/* an edge not reported within this is lost */
#define N_READERS 3		/* rpa, rpb, rpm */

/* The storms: card moves alternately in rpa and rpb (a reader moved twice
 * before pcscd looks shows no change), a round of them, then a quiet second
 * and one edge alone, judged.  -m storm: 40 moves, each 10 to 60 ms after
 * the last.  -m burst: 200 moves, each 0 to 3 ms after the last, aimed at a
 * window of pcsc-lite 2.5.x.  Every move makes pcscd signal each waiting
 * thread; the threads then fetch the reader states again, one at a time
 * (libpcsclite serialises the fetch on one lock for the whole process).
 * Since 2.5.0 a fetch is three messages: CMD_WAIT_READER_STATE_CHANGE
 * registers the thread for the next signal, then CMD_GET_READERS_STATE_SIZE
 * and CMD_GET_READERS_STATE_ARRAY each get a reply.  A signal that pcscd
 * writes to a thread between the size and the array is read as the array's
 * first bytes: every reader name is shifted, none matches, and the call
 * reports each reader UNKNOWN | UNAVAILABLE with event counter 0 (a fetch at
 * the start of a call says SCARD_E_UNKNOWN_READER instead).  So the next
 * move must come while the threads still fetch after the last one, a few ms
 * for 16 threads on an idle machine: moves 10 ms apart or more hit it only
 * on a machine so loaded that the fetches drag on. */
struct storm {
	const char *mode;
	int moves;
	unsigned gap_min_us, gap_max_us;
};
static const struct storm storms[] = {
	{ "storm", 40, 10000, 60000 },
	{ "burst", 200, 0, 3000 },
};

enum { ST_RUN, ST_LOCK, ST_SLEEP, ST_WAIT, ST_OUT, ST_N };
static const char *st_name[ST_N] = { "running", "waiting for a lock (futex)",
				     "sleeping (nanosleep)", "waiting for pcscd (poll/read)",
				     "outside SCardGetStatusChange" };

struct call {
	double call, ret;
	LONG rv;
	DWORD state[N_READERS];
};

struct sample {
	double t;
	int st;
};

struct watcher {
	int id;
	pthread_t thread;
	volatile pid_t tid;
	SCARDCONTEXT ctx;
	volatile int inside;	/* in SCardGetStatusChange now */
	volatile double call_start;	/* when the call in progress began */
	pthread_mutex_t lock;	/* guards calls, samples */
	struct call calls[MAX_CALLS];
	int n_calls;
	struct sample samples[MAX_SAMPLES];
	int n_samples;
	DWORD last_counter[N_READERS];
	int have_counter;
};

static struct watcher W[MAX_THREADS];
static int n_threads = REPRO_THREADS;
static char names[N_READERS][256];
static volatile int stopping;
static double t0;
static int ctl = -1;
static unsigned ctl_id;
static long counts_lost, counts_unknown, counts_backwards, counts_error, counts_error_class;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - t0;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "repro: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	fflush(NULL);
	_exit(2);
}

/* ---- ccidlab's control socket (ccidlab-ctl(7)): one JSON line each way ---- */

static void ctl_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		die("control socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("cannot reach ccidlab's control socket %s: %s (run me in `ccidlab lab`, "
		    "or set CCIDLAB_CTL_SOCKET)", path, strerror(errno));
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(ctl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Sends a request; true when the reply says "ok":true. */
static int ctl_request(const char *req, const char *reader, const char *card)
{
	char line[512];
	int n = snprintf(line, sizeof line, "{\"v\":1,\"id\":%u,\"req\":\"%s\",\"reader\":\"%s\"%s%s%s}\n",
			 ++ctl_id, req, reader, card ? ",\"card\":\"" : "", card ? card : "",
			 card ? "\"" : "");
	if (n <= 0 || (size_t)n >= sizeof line || write(ctl, line, (size_t)n) != n)
		die("control socket: write failed");
	char reply[4096];
	size_t got = 0;
	while (got < sizeof reply - 1) {
		ssize_t r = read(ctl, reply + got, 1);
		if (r <= 0)
			die("control socket: no reply to %s", req);
		if (reply[got++] == '\n')
			break;
	}
	reply[got] = '\0';
	return strstr(reply, "\"ok\":true") != NULL;
}

static int present_now[N_READERS];
static long moves;	/* card moves of the storm */

/* Toggles reader i: removes its card, or inserts one. */
static void toggle(int i)
{
	const char *driver_name = i == 0 ? "rpa" : "rpb";
	int ok = present_now[i] ? ctl_request("remove", driver_name, NULL)
				: ctl_request("insert", driver_name, "readertest");
	if (!ok)
		die("the emulator refused to %s the card of %s", present_now[i] ? "remove" : "insert",
		    driver_name);
	present_now[i] = !present_now[i];
}

/* ---- the watchers ---- */

static void *watch(void *arg)
{
	struct watcher *w = arg;
	SCARD_READERSTATE rs[N_READERS];
	memset(rs, 0, sizeof rs);
	for (int i = 0; i < N_READERS; i++) {
		rs[i].szReader = names[i];
		rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	w->tid = (pid_t)syscall(SYS_gettid);
	while (!stopping) {
		double call = now();
		w->call_start = call;
		w->inside = 1;
		LONG rv = SCardGetStatusChange(w->ctx, INFINITE, rs, N_READERS);
		w->inside = 0;
		double ret = now();
		if (stopping)
			break;
		pthread_mutex_lock(&w->lock);
		if (w->n_calls < MAX_CALLS) {
			struct call *c = &w->calls[w->n_calls++];
			c->call = call;
			c->ret = ret;
			c->rv = rv;
			for (int i = 0; i < N_READERS; i++)
				c->state[i] = rs[i].dwEventState;
		}
		if (rv != SCARD_S_SUCCESS) {
			counts_error++;
			if ((unsigned long)rv == (unsigned long)REPRO_ERROR)
				counts_error_class++;
			printf("  %.3f thread %d: SCardGetStatusChange returned 0x%08lX (%s) (class \"error\")\n",
			       ret, w->id, (unsigned long)rv, pcsc_stringify_error(rv));
		} else {
			for (int i = 0; i < N_READERS; i++) {
				DWORD st = rs[i].dwEventState;
				if (st & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) {
					counts_unknown++;
					printf("  %.3f thread %d: \"%s\" reported 0x%08lX: UNKNOWN/UNAVAILABLE "
					       "(class \"state UNKNOWN\")\n", ret, w->id, names[i], (unsigned long)st);
				}
				DWORD ctr = st >> 16;
				if (w->have_counter && ctr < w->last_counter[i] &&
				    w->last_counter[i] - ctr < 0x8000) {
					counts_backwards++;
					printf("  %.3f thread %d: \"%s\" event counter went from %lu to %lu "
					       "(class \"counter backwards\")\n", ret, w->id, names[i],
					       (unsigned long)w->last_counter[i], (unsigned long)ctr);
				}
				w->last_counter[i] = ctr;
			}
			w->have_counter = 1;
		}
		pthread_mutex_unlock(&w->lock);
		if (rv == SCARD_S_SUCCESS)
			for (int i = 0; i < N_READERS; i++)
				rs[i].dwCurrentState = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		else
			usleep(20000);
	}
	return NULL;
}

/* Where a thread is, from the system call it is blocked in. */
static int thread_state(const struct watcher *w)
{
	if (!w->inside)
		return ST_OUT;
	char path[64], buf[128];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)w->tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return ST_RUN;
	char *got = fgets(buf, sizeof buf, f);
	fclose(f);
	if (got == NULL || strncmp(buf, "running", 7) == 0)
		return ST_RUN;
	long nr = strtol(buf, NULL, 10);
	if (nr == SYS_futex)
		return ST_LOCK;
#ifdef SYS_nanosleep
	if (nr == SYS_nanosleep)
		return ST_SLEEP;
#endif
	if (nr == SYS_clock_nanosleep)
		return ST_SLEEP;
	return ST_WAIT;	/* poll, ppoll, select, read, recvmsg: pcscd's answer */
}

static void *sampler(void *arg)
{
	(void)arg;
	while (!stopping) {
		for (int i = 0; i < n_threads; i++) {
			struct watcher *w = &W[i];
			int st = thread_state(w);
			double t = now();
			pthread_mutex_lock(&w->lock);
			if (w->n_samples == 0 || w->samples[w->n_samples - 1].st != st) {
				if (w->n_samples < MAX_SAMPLES)
					w->samples[w->n_samples++] = (struct sample){ t, st };
			}
			pthread_mutex_unlock(&w->lock);
		}
		usleep(2000);
	}
	return NULL;
}

/* ---- judging ---- */

/* When thread w first reported reader r as `present` in a return that
 * started after `since` or ended after `edge`; -1 if not yet. */
static double reported_at(struct watcher *w, int r, int present, double edge)
{
	double at = -1;
	pthread_mutex_lock(&w->lock);
	for (int k = 0; k < w->n_calls; k++) {
		const struct call *c = &w->calls[k];
		if (c->ret < edge || c->rv != SCARD_S_SUCCESS)
			continue;
		int p = (c->state[r] & SCARD_STATE_PRESENT) != 0;
		if (p == present) {
			at = c->ret;
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return at;
}

/* The thread's calls and returns from `from` to `to`, and where it spent
 * [edge, edge + LOST_S]. */
static void explain(struct watcher *w, int r, double edge, double from, double to)
{
	double in[ST_N] = { 0 };
	int stale = 0, spanning = 0;
	pthread_mutex_lock(&w->lock);
	for (int k = 0; k < w->n_calls; k++) {
		const struct call *c = &w->calls[k];
		if (c->ret < from || c->call > to)
			continue;
		printf("      %.3f call -> %.3f return: ", c->call, c->ret);
		if (c->rv != SCARD_S_SUCCESS)
			printf("0x%08lX\n", (unsigned long)c->rv);
		else
			printf("\"%s\" %s, counter %lu\n", names[r],
			       c->state[r] & SCARD_STATE_PRESENT ? "present" : "empty",
			       (unsigned long)(c->state[r] >> 16));
		if (c->ret > edge && c->ret < edge + LOST_S && c->rv == SCARD_S_SUCCESS &&
		    ((c->state[r] & SCARD_STATE_PRESENT) != 0) == !present_now[r])
			stale = 1;
		if (c->call <= edge && c->ret >= edge + LOST_S)
			spanning = 1;	/* one call across the whole window */
	}
	if (w->inside && w->call_start <= edge) {
		printf("      %.3f call -> no return yet\n", w->call_start);
		spanning = 1;
	}
	double last_t = edge;
	int last_st = ST_OUT;
	for (int k = 0; k < w->n_samples; k++) {
		const struct sample *s = &w->samples[k];
		if (s->t <= edge) {
			last_st = s->st;
			continue;
		}
		if (s->t >= edge + LOST_S)
			break;
		in[last_st] += s->t - last_t;
		last_t = s->t;
		last_st = s->st;
	}
	in[last_st] += edge + LOST_S - last_t;
	pthread_mutex_unlock(&w->lock);
	printf("      in the %.0f s after the edge:", LOST_S);
	for (int s = 0; s < ST_N; s++)
		if (in[s] >= 0.0005)
			printf(" %s %.2f s;", st_name[s], in[s]);
	printf("\n      => ");
	if (stale)
		printf("returned with a stale state\n");
	else if (spanning && in[ST_LOCK] > in[ST_WAIT])
		printf("could not go on in its call while another thread of this process held "
		       "libpcsclite's lock (in-process serialisation)\n");
	else if (spanning)
		printf("blocked in a call that never reported the edge (a missed wakeup)\n");
	else
		printf("kept from calling in time\n");
}

/* Waits until every thread reported reader r's new state, up to LOST_S,
 * then reports the ones that did not (and when they caught up). */
static void judge_edge(int e, int r, double edge)
{
	int present = present_now[r];
	double deadline = edge + LOST_S;
	for (;;) {
		int all = 1;
		for (int i = 0; i < n_threads; i++)
			if (reported_at(&W[i], r, present, edge) < 0)
				all = 0;
		if (all || now() > deadline)
			break;
		usleep(10000);
	}
	int lost_here = 0;
	for (int i = 0; i < n_threads; i++)
		if (reported_at(&W[i], r, present, edge) < 0)
			lost_here++;
	if (lost_here == 0)
		return;
	/* Let them catch up (or not) before showing their calls. */
	double wait_to = now() + 10;
	while (now() < wait_to) {
		int all = 1;
		for (int i = 0; i < n_threads; i++)
			if (reported_at(&W[i], r, present, edge) < 0)
				all = 0;
		if (all)
			break;
		usleep(50000);
	}
	printf("edge %d: \"%s\" card %s at %.3f s: %d of %d threads had not reported it %.0f s later "
	       "(class \"lost\")\n", e, names[r], present ? "inserted" : "removed", edge, lost_here,
	       n_threads, LOST_S);
	for (int i = 0; i < n_threads; i++) {
		double at = reported_at(&W[i], r, present, edge);
		if (at >= 0 && at <= deadline)
			continue;
		counts_lost++;
		if (at >= 0)
			printf("    thread %d learnt of it at %.3f s (%.1f s late)\n", W[i].id, at, at - edge);
		else
			printf("    thread %d had not learnt of it by %.1f s\n", W[i].id, now());
		explain(&W[i], r, edge, edge - 1.5, at >= 0 ? at : now());
	}
}

static long class_count(const char *klass)
{
	if (strcmp(klass, "state UNKNOWN") == 0)
		return counts_unknown;
	if (strcmp(klass, "counter backwards") == 0)
		return counts_backwards;
	if (strncmp(klass, "error", 5) == 0)
		return REPRO_ERROR != 0 ? counts_error_class : counts_error;
	return counts_lost;
}

static int all_answered(void)
{
	for (int i = 0; i < n_threads; i++) {
		pthread_mutex_lock(&W[i].lock);
		int n = W[i].n_calls;
		pthread_mutex_unlock(&W[i].lock);
		if (n == 0)
			return 0;
	}
	return 1;
}

/* ---- set-up ---- */

static void find_names(SCARDCONTEXT ctx)
{
	char buf[16384];
	DWORD len = sizeof buf;
	LONG rv = SCardListReaders(ctx, NULL, buf, &len);
	if (rv != SCARD_S_SUCCESS)
		die("SCardListReaders: %s (0x%08lX)", pcsc_stringify_error(rv), (unsigned long)rv);
	const char *want[N_READERS] = { "rpa ", "rpb ", "rpm " };
	for (int i = 0; i < N_READERS; i++) {
		for (const char *p = buf; *p != '\0' && p < buf + len; p += strlen(p) + 1)
			if (strncmp(p, want[i], strlen(want[i])) == 0)
				snprintf(names[i], sizeof names[i], "%.255s", p);
		if (names[i][0] == '\0')
			die("pcscd has no reader \"%s..\": give pcscd this directory's reader.conf.d", want[i]);
	}
}

static const struct storm *storm_for(const char *mode)
{
	for (size_t i = 0; i < sizeof storms / sizeof storms[0]; i++)
		if (strcmp(storms[i].mode, mode) == 0)
			return &storms[i];
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: repro [-c CLASS] [-m toggle|pairs|storm|burst] [-t THREADS] [-e EDGES] "
			"[-M|-n] [-S CONTROL-SOCKET]\n"
			"  -M: a mute card in rpm (present, no ATR); -n: a working one\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *klass = REPRO_CLASS, *mode = REPRO_MODE;
	const char *sock = getenv("CCIDLAB_CTL_SOCKET");
	int edges = REPRO_EDGES, mute = REPRO_MUTE, opt;
	while ((opt = getopt(argc, argv, "c:m:t:e:S:Mn")) != -1) {
		switch (opt) {
		case 'c': klass = optarg; break;
		case 'm': mode = optarg; break;
		case 't': n_threads = atoi(optarg); break;
		case 'e': edges = atoi(optarg); break;
		case 'S': sock = optarg; break;
		case 'M': mute = 1; break;
		case 'n': mute = 0; break;
		default: usage();
		}
	}
	if (n_threads < 1 || n_threads > MAX_THREADS || edges < 1 || edges > 1000 ||
	    (strcmp(mode, "toggle") != 0 && strcmp(mode, "pairs") != 0 && storm_for(mode) == NULL))
		usage();
	const struct storm *storm = storm_for(mode);
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = 0;
	t0 = now();
	ctl_open(sock ? sock : "/run/pcscd/ccidlab.sock");
	SCARDCONTEXT main_ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &main_ctx);
	if (rv != SCARD_S_SUCCESS)
		die("SCardEstablishContext: %s (0x%08lX)", pcsc_stringify_error(rv), (unsigned long)rv);
	find_names(main_ctx);
	/* A known start: rpa and rpb empty, the mute card in rpm. */
	ctl_request("remove", "rpa", NULL);
	ctl_request("remove", "rpb", NULL);
	ctl_request("remove", "rpm", NULL);
	if (!ctl_request("insert", "rpm", mute ? "readertest,mute" : "readertest"))
		die("could not insert the card into rpm");
	SCardReleaseContext(main_ctx);
	sleep(1);
	printf("repro: class \"%s\", mode %s, %d watcher thread%s on \"%s\", \"%s\", \"%s\" (%s card), "
	       "%d edges\n", klass, mode, n_threads, n_threads == 1 ? "" : "s", names[0], names[1],
	       names[2], mute ? "a mute" : "a working", edges);
	for (int i = 0; i < n_threads; i++) {
		W[i].id = i;
		pthread_mutex_init(&W[i].lock, NULL);
		rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &W[i].ctx);
		if (rv != SCARD_S_SUCCESS)
			die("SCardEstablishContext (thread %d): %s", i, pcsc_stringify_error(rv));
		if (pthread_create(&W[i].thread, NULL, watch, &W[i]) != 0)
			die("pthread_create failed");
	}
	pthread_t samp;
	pthread_create(&samp, NULL, sampler, NULL);
	for (int i = 0; i < 300 && !all_answered(); i++)
		usleep(100000);
	if (!all_answered())
		die("a watcher thread got no first answer in 30 s");
	sleep(1);
	unsigned seed = 2018;
	/* Up to `edges` edges, stopping at the first that shows the class,
	 * and starting none after 40 s: the verdict comes within a minute
	 * either way. */
	double start = now();
	int edges_done = 0;
	for (int e = 1; e <= edges && class_count(klass) == 0 && now() - start < 40; e++) {
		if (strcmp(mode, "pairs") == 0) {
			/* The 2018 race's window: the first edge makes the watcher
			 * return about 400 ms later (its pass over the mute card); the
			 * second lands while its next call compares, before it
			 * registers. */
			/* An edge's time is taken before its request: pcscd and the
			 * watchers may see it before the reply reaches us. */
			double a = now();
			toggle(0);
			usleep(600000);
			double b = now();
			toggle(1);
			judge_edge(2 * e - 1, 0, a);
			judge_edge(2 * e, 1, b);
			usleep(1000000);
		} else if (storm != NULL) {
			/* The round stops at the class's first sign: the verdict
			 * needs no more. */
			for (int k = 0; k < storm->moves && class_count(klass) == 0; k++) {
				toggle(k % 2);
				moves++;
				usleep(storm->gap_min_us +
				       rand_r(&seed) % (storm->gap_max_us - storm->gap_min_us + 1));
			}
			usleep(1000000);
			double t = now();
			toggle(0);
			judge_edge(e, 0, t);
		} else {
			double t = now();
			toggle(0);
			judge_edge(e, 0, t);
			usleep(1000000);
		}
		edges_done = strcmp(mode, "pairs") == 0 ? 2 * e : e;
	}
	long k_count = class_count(klass);
	printf("repro: %.1f s, %d edges", now(), edges_done);
	if (moves > 0)
		printf(" (and %ld card moves in storms)", moves);
	printf(": lost %ld, state UNKNOWN %ld, counter backwards %ld, errors %ld\n", counts_lost,
	       counts_unknown, counts_backwards, counts_error);
	if (k_count > 0)
		printf("verdict: FAIL: this pcsc-lite shows \"%s\" (%ld)\n", klass, k_count);
	else
		printf("verdict: PASS: no \"%s\" in %d edges%s x %d threads\n", klass, edges_done,
		       moves > 0 ? " and their storms" : "", n_threads);
	/* Threads may be blocked for ever in a faulty library: no join. */
	stopping = 1;
	fflush(NULL);
	_exit(k_count > 0 ? 1 : 0);
}
