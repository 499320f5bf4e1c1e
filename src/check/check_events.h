/* ccidlab — `ccidlab check-events`, the event delivery checker (issue 7).
 *
 * What its files share: the ground truth (check_truth.c, the driver's
 * edge stream on its own thread), the monitors (check_monitor.c, threads
 * that call SCardGetStatusChange, or the legacy 4:4 client through
 * check_legacy.c, and record every wakeup), the stimuli (check_stimuli.c,
 * storms, burst sweeps and the window widener through the control
 * plane), the oracle (check_oracle.c, per edge and per client) and the
 * report (check_report.c).  check_events.c runs them in order.
 * check_agent.c puts a monitor's libpcsclite in a process of its own
 * (--processes), check_sampler.c records where each monitor's thread is
 * inside its calls, check_attrib.c sorts the lost wakeups by what the
 * client did, and check_figure.c and check_html.c draw the --html page.
 *
 * Every time is CLOCK_MONOTONIC in ns: the driver stamps its edges with
 * that clock, and the monitors stamp their wakeups with it on the same
 * machine, so latency is a plain difference.
 */
#ifndef CCIDLAB_CHECK_CHECK_EVENTS_H
#define CCIDLAB_CHECK_CHECK_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <winscard.h>

#include "ctl/client.h"
#include "ctl/stream.h"

/* pcscd 1.9.9 serves at most 16 reader contexts (slots); 2.5.0 lifted
 * that limit, and the version matrix goes to 64 readers. */
#define CHECK_MAX_SLOTS 64u
#define CHECK_MAX_CLIENTS 256u
#define CHECK_PNP_NAME "\\\\?PnP?\\Notification"
/* The comparison-loop sleep of libpcsclite for a present card without
 * ATR (PCSCLITE_STATUS_POLL_RATE + 10 µs, pcscd-driver-facts §1.3). */
#define CHECK_WIDENER_SLEEP_NS (410 * 1000000LL)
/* "late": a wakeup later than this after its edge (the defaults of
 * check-events' --bound-event-ms and --bound-poll-ms, and bench's). */
#define CHECK_BOUND_EVENT_MS 50
#define CHECK_BOUND_POLL_MS 450
/* "lost": the state stayed stable this long and the client never caught up. */
#define CHECK_LOST_NS (5000 * 1000000LL)

/* check-events' exit status when pcscd serves fewer readers than
 * --readers asked for (the matrix's "n/a"). */
#define CHECK_EXIT_NA 6
/* The report's "schema" (ccidlab(1), OUTPUT): its major number changes
 * when a member changes meaning or goes. */
#define CHECK_REPORT_SCHEMA "ccidlab-check-events/1"

int check_events_main(int argc, char **argv);

gint64 check_now_ns(void);

/* ---- the readers under test (check_truth.c) ---- */

typedef enum check_mode { CHECK_MODE_EVENT = 0, CHECK_MODE_POLL, CHECK_MODE_COUNT } check_mode;
const char *check_mode_name(check_mode m);

typedef struct check_slot {
	unsigned reader;	/* pcscd's reader number (Lun >> 16) */
	unsigned slot;
	char *driver_name;
	char *pcsc_name;	/* "FRIENDLY XX YY" */
	check_mode mode;
	bool present0;		/* presence when the truth starts */
	bool widened;		/* holds the mute card of --widener */
} check_slot;

/* ---- ground truth ---- */

enum { CHECK_SRC_STIMULUS = 0, CHECK_SRC_OBSERVED = 1 };

typedef struct check_edge {
	guint64 seq;
	gint64 ts_ns;
	int slot_index;		/* into check_truth.slots; -1: not one of ours */
	bool present;		/* "present" and "mute" are both present to pcscd */
	guint8 source;		/* CHECK_SRC_* */
} check_edge;

typedef struct check_truth {
	check_slot slots[CHECK_MAX_SLOTS];
	unsigned n_slots;
	GMutex lock;		/* guards edges, lost, stream_error */
	GArray *edges;		/* check_edge, seq order */
	guint64 lost;		/* edges the stream dropped ("lost" lines) */
	char *stream_error;
	gint64 start_ns;
	unsigned n_declared;	/* emulated slots the driver has, served or not */
	char **listed0;		/* SCardListReaders at the start (NULL: not read) */
	guint64 list_seq;	/* the listing's last_seq: older edges are in present0 */
	ctl_client *client;	/* owned by the thread once started */
	GThread *thread;
	gint stop;
	/* Set before check_truth_start: */
	const char *only_prefix;	/* only the readers whose driver name starts so */
	/* Join the driver's readers to pcscd's by name ("NAME XX YY", NAME the
	 * driver's name) rather than by number: for a socket whose numbers are
	 * not pcscd's (the usbsim shim's). */
	bool join_by_name;
	/* Keep every stream line (JsonObject) for check_record_write. */
	GPtrArray *stream;
} check_truth;

/* Subscribes, then lists the readers and maps them to pcscd's names,
 * so that every edge after the listing is in the stream.  Starts the
 * reader thread. */
bool check_truth_start(check_truth *t, const char *socket, unsigned timeout_ms, GError **error);
/* One decoded stream line into the truth (check_stream.c): an edge of one
 * of its slots after the listing, or a "lost" count.  Takes t->lock. */
void check_truth_feed(check_truth *t, const ctl_stream_rec *rec);
void check_truth_stop(check_truth *t);
void check_truth_clear(check_truth *t);
/* A copy of the edges so far (check_edge). */
GArray *check_truth_snapshot(check_truth *t);
/* Stimulus (or observed) edges of one slot, presence changes only, in
 * order; initial: the presence before them (-1: unknown). */
GArray *check_truth_slot_edges(const GArray *all, int slot_index, bool observed, int initial);
gint64 check_truth_last_stimulus_ns(check_truth *t);

/* ---- monitors ---- */

/* SCardGetStatusChange's contract, so that libpcsclite and the legacy
 * 4:4 client plug into the same monitor loop. */
typedef LONG (*check_gsc_fn)(SCARDCONTEXT ctx, DWORD timeout_ms, SCARD_READERSTATE *states,
			     DWORD n);

/* PROCESS: libpcsclite in an agent process of its own (check_agent.c),
 * judged as libpcsclite. */
typedef enum check_backend {
	CHECK_BACKEND_PCSCLITE = 0,
	CHECK_BACKEND_LEGACY,
	CHECK_BACKEND_PROCESS
} check_backend;

typedef struct check_kind {
	check_backend backend;
	DWORD timeout_ms;	/* INFINITE or finite */
	bool counter;		/* keeps the event counter in dwCurrentState */
	bool all;		/* every slot (plus the PnP entry when pnp) */
	bool pnp;
	bool connect;		/* holds a shared connection to its card, toggling it */
} check_kind;

/* "libpcsclite/inf/ctr/all+pnp" and the like. */
char *check_kind_label(const check_kind *k);

/* One SCardListReaders a monitor made (after a PnP change, and now and
 * then): what the "names vs SCardListReaders" class is judged on. */
typedef struct check_listing {
	gint64 call_ns, ts_ns;
	LONG rv;
	char **names;		/* NULL unless rv is success */
} check_listing;

typedef struct check_wakeup {
	gint64 call_ns;		/* when the call started */
	gint64 ts_ns;		/* when it returned */
	LONG rv;
	guint first;		/* index of its first state in check_monitor.states */
} check_wakeup;

typedef struct check_monitor {
	unsigned id;
	check_kind kind;
	char *label;
	unsigned n;			/* entries per call */
	int slot_of[CHECK_MAX_SLOTS + 1];	/* entry -> slot index; -1: the PnP entry */
	char *names[CHECK_MAX_SLOTS + 1];
	bool watches_widened;
	/* backend */
	check_gsc_fn gsc;
	SCARDCONTEXT ctx;
	void *legacy;
	struct check_agent *agent;
	/* results, guarded by lock */
	GMutex lock;
	GArray *wakeups;		/* check_wakeup */
	GArray *states;			/* DWORD dwEventState, n per wakeup */
	GArray *listings;		/* check_listing (pnp kinds only) */
	GHashTable *errors;		/* LONG rv -> count (unexpected returns) */
	GHashTable *connect_errors;	/* SCardConnect/Disconnect returns, not judged */
	unsigned connects;
	bool setup_failed;
	char *setup_error;
	GThread *thread;
	gint stop;
	gint done;		/* the thread has left its loop */
	/* SCardCancel did not end its call within the stop's budget: the
	 * thread is left blocked (never joined, the monitor never freed). */
	bool stuck;
	/* Where its calling thread is (check_sampler.c): the task sampled
	 * (the thread's id, or an agent's pid; 0 until known), whether it is
	 * inside SCardGetStatusChange now, and the changes seen, guarded by
	 * lock (check_sample). */
	gint tid;
	gint inside;
	GArray *samples;
} check_monitor;

/* Builds the monitor (names from the truth's slots), opens its context
 * and starts its thread.  single_slot picks the slot of a one-reader
 * kind. */
check_monitor *check_monitor_start(unsigned id, const check_kind *kind, const check_truth *t,
				   unsigned single_slot, const char *legacy_socket, GError **error);
/* Stops and joins within about budget_ms (cancels blocked waits); false
 * when the call outlived every SCardCancel of the budget: the thread is
 * then left running (m->stuck), as joining it could block for ever. */
bool check_monitor_stop(check_monitor *m, unsigned budget_ms);
void check_monitor_free(check_monitor *m);
/* The monitor of that id among mons, or NULL; the entry of a monitor's
 * reader-state array that watches a slot, or -1 (check_timeline.c). */
check_monitor *check_monitor_by_id(check_monitor **mons, unsigned n, int id);
int check_monitor_entry(const check_monitor *m, int slot_index);
/* The presence the monitor last reported for each of its entries:
 * -1 unknown, 0 absent, 1 present. */
void check_monitor_known(check_monitor *m, int known[CHECK_MAX_SLOTS]);

/* A monitor's records without a thread or a context (a replayed run),
 * and their release; check_monitor_start and _free use them too. */
check_monitor *check_monitor_new(unsigned id, const check_kind *kind);
void check_monitor_release(check_monitor *m);

/* ---- running them (check_settle.c) ---- */

/* Waits until cond(data) or budget_ms; a check every 10 ms. */
bool check_wait_until(bool (*cond)(void *), void *data, unsigned budget_ms);
/* Waits until every monitor has had its first answer (its counters count
 * from there), within budget_ms. */
bool check_wait_first_answers(check_monitor **mons, unsigned n, unsigned budget_ms);
/* Waits until no stimulus edge came for quiet_ns and every monitor shows
 * the truth on every slot it watches, within budget_ms. */
bool check_settle(check_truth *t, check_monitor **mons, unsigned n, gint64 quiet_ns,
		  unsigned budget_ms);
/* Stops every monitor within one shared budget (5 s, at least 200 ms
 * each): a pcsc-lite that ignores SCardCancel leaves its monitors
 * blocked (check_monitor_stop), and 32 of them must not cost 32 budgets. */
void check_stop_monitors(check_monitor **mons, unsigned n);

/* Reads each slot's event counter now (one non-blocking call).  false
 * when pcscd did not answer. */
bool check_read_counters(const check_truth *t, guint16 counters[CHECK_MAX_SLOTS]);
/* Reads each slot's edges the driver folded away before pcscd looked
 * (the control socket's list, "folded": an event-mode slot keeps its last
 * two states, issue 20; 0 where the member is absent).  false when the
 * driver did not answer. */
bool check_read_folded(ctl_client *c, const check_truth *t, unsigned timeout_ms,
		       guint32 folded[CHECK_MAX_SLOTS]);

/* ---- the legacy backend (check_legacy.c) ---- */

/* Opens a legacy 4:4 connection to pcscd's socket (NULL: the one
 * libpcsclite would use); NULL with error. */
void *check_legacy_open(const char *socket, GError **error);
/* Makes a blocked call, and every later one, return SCARD_E_CANCELLED. */
void check_legacy_cancel(void *legacy);
void check_legacy_close(void *legacy);
/* SCardGetStatusChange's contract; ctx is the legacy handle. */
LONG check_legacy_gsc(SCARDCONTEXT ctx, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n);

/* ---- where each monitor's thread is (check_sampler.c) ----
 *
 * A thread inside SCardGetStatusChange is waiting for pcscd (blocked in
 * poll or read), sleeping (libpcsclite's 400 ms for a card without ATR),
 * waiting for a lock another thread of its process holds (a futex), or
 * running.  The kernel says which system call a task is blocked in
 * (/proc/PID/task/TID/syscall): a thread samples every monitor's task
 * every CHECK_SAMPLE_MS and keeps the changes, so that a lost wakeup can
 * be told from a thread that could not get on with its call, and the time
 * each call waited for the process's lock be measured. */

#define CHECK_SAMPLE_MS 5
#define CHECK_SAMPLES_MAX 400000	/* changes kept per monitor */

typedef enum check_where {
	CHECK_WHERE_OUT = 0,	/* not inside SCardGetStatusChange */
	CHECK_WHERE_RUN,
	CHECK_WHERE_LOCK,	/* futex */
	CHECK_WHERE_SLEEP,	/* nanosleep, clock_nanosleep */
	CHECK_WHERE_WAIT,	/* any other system call: poll, read... */
	CHECK_WHERE_COUNT
} check_where;

typedef struct check_sample {
	gint64 ts_ns;
	guint8 where;
} check_sample;

const char *check_where_name(check_where w);
/* The place of a task from its /proc/.../syscall line. */
check_where check_where_of(const char *syscall_line);

typedef struct check_sampler check_sampler;
/* Starts sampling these monitors' tasks (each sets its tid). */
check_sampler *check_sampler_start(check_monitor **mons, unsigned n);
void check_sampler_stop(check_sampler *s);
/* The time m's thread spent in each place over [t0, t1] (the caller holds
 * m->lock, or the run is over); false when it was not sampled then. */
bool check_monitor_where(const check_monitor *m, gint64 t0, gint64 t1,
			 gint64 out[CHECK_WHERE_COUNT]);

/* ---- libpcsclite in a process of its own (check_agent.c) ---- */

typedef struct check_agent check_agent;

/* Starts an agent (this program, `check-events --agent`) with its own
 * context over these reader names; NULL with error. */
check_agent *check_agent_start(char *const *names, unsigned n, GError **error);
/* SCardGetStatusChange's contract; ctx is the agent, and the states name
 * the agent's readers in order. */
LONG check_agent_gsc(SCARDCONTEXT ctx, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n);
/* The agent's own clock readings around its last call. */
void check_agent_times(const check_agent *a, gint64 *call_ns, gint64 *ret_ns);
/* SCardListReaders on the agent's context (names NULL unless success). */
LONG check_agent_list(check_agent *a, char ***names);
/* SCardConnect (shared) to its index-th reader; index -1: SCardDisconnect. */
LONG check_agent_connect(check_agent *a, int index);
/* SCardCancel in the agent, from its second thread. */
void check_agent_cancel(check_agent *a);
/* Kills the agent (a call it never ends): its pending call then fails. */
void check_agent_kill(check_agent *a);
/* Its process id (the task its calls run on). */
int check_agent_pid(const check_agent *a);
void check_agent_close(check_agent *a);
/* The agent's side: serves stdin/stdout until stdin closes. */
int check_agent_main(void);

/* ---- stimuli ---- */

typedef struct check_stimuli {
	double storm_rate;		/* 0: no storm */
	double duration_s;
	guint32 seed;
	unsigned min_hold_ms;
	bool burst_sweep;
	unsigned sweep_step_us;		/* <= 10 */
	unsigned sweep_max_us;		/* 2000 */
	unsigned sweep_step_ms;		/* how long each gap runs */
	int widener_index;		/* slot index holding the mute card; -1 none */
	/* The positive control's stimulus: pairs of toggles on two event-mode
	 * slots, the second 480..720 ms after the first (inside the window the
	 * widener opens in a pre-1.8.24 client's next call: between its fetch,
	 * ~400 ms after the first edge, and its registration ~400 ms later),
	 * each pair then left quiet for CHECK_PAIR_QUIET_MS so that a missed
	 * edge counts as lost. */
	unsigned control_pairs;
	const char *card;		/* the storm's card spec; NULL: the emulator's default */
} check_stimuli;

#define CHECK_PAIR_QUIET_MS 6000u

/* Runs the storm, then the burst sweep (each waits for its end).  The
 * widener is inserted by check_widener_insert before the monitors start
 * and removed after the run.  Progress lines on stderr unless quiet. */
bool check_stimuli_run(ctl_client *c, const check_truth *t, const check_stimuli *s, bool quiet,
		       GError **error);
bool check_widener_insert(ctl_client *c, const check_slot *s, GError **error);
bool check_widener_remove(ctl_client *c, const check_slot *s, GError **error);

/* ---- oracle ---- */

typedef struct check_case {
	unsigned monitor;
	int slot_index;
	const char *what;	/* "late", "lost", "phantom", "superseded-late" */
	gint64 edge_ns;		/* the edge (or the wakeup of a phantom) */
	gint64 latency_ns;	/* -1: never caught */
	guint64 seq;
} check_case;

/* The worst cases the report shows (the result keeps every lost one). */
#define CHECK_WORST_SHOWN 20u

typedef struct check_stats {
	guint64 edges;		/* edge x client pairs judged */
	GArray *latency_ns;	/* gint64, caught ones */
	guint64 late, lost, phantom, superseded, unresolved;
} check_stats;

/* The PnP entry reported a change while the reader list did not change. */
#define CHECK_CASE_FALSE_PNP "false-pnp"

typedef struct check_group {
	char *kind;		/* client kind label */
	bool legacy;
	check_stats mode[CHECK_MODE_COUNT];
	GHashTable *errors;	/* LONG -> count */
	guint64 wakeups;
	guint64 false_pnp;
} check_group;

typedef struct check_counter_result {
	int slot_index;
	guint16 c0, c1;
	unsigned delta;		/* counter movement between the checkpoints (mod 2^16) */
	unsigned lo, hi;	/* the net change; the flips pcscd could see (expected) */
	unsigned edges, observed;	/* stimulus flips; flips the driver reported */
	unsigned folded;	/* flips the driver folded away before pcscd looked */
	bool ok, exact;
} check_counter_result;

typedef struct check_result {
	GPtrArray *groups;	/* check_group */
	GArray *cases;		/* check_case: the worst ones, all lost and phantoms */
	GArray *firsts;		/* check_case: the earliest of each "what" (libpcsclite) */
	GArray *counters;	/* check_counter_result */
	bool counters_read;
	gint64 bound_ns[CHECK_MODE_COUNT];
	guint64 stimulus_edges[CHECK_MODE_COUNT];
	guint64 truth_lost;
	GArray *catches;	/* check_catch, when asked (check_oracle_params) */
} check_result;

typedef struct check_oracle_params {
	gint64 bound_ns[CHECK_MODE_COUNT];
	gint64 end_ns;		/* end of observation */
	unsigned worst;		/* worst cases kept per group */
	bool keep_catches;	/* fill check_result.catches */
} check_oracle_params;

/* One edge a monitor caught: when, and after how long (bench's figures
 * are made of these). */
typedef struct check_catch {
	unsigned monitor;
	int slot_index;
	guint64 seq;
	gint64 edge_ns;
	gint64 latency_ns;
} check_catch;

void check_oracle_run(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n_mons,
		      const check_oracle_params *p, check_result *out);
/* The counter check between two quiet checkpoints; f0 and f1 (NULL: none)
 * the driver's folded edges at each (check_read_folded). */
void check_oracle_counters(const check_truth *t, GArray *edges, gint64 t0, gint64 t1,
			   const guint16 c0[CHECK_MAX_SLOTS], const guint16 c1[CHECK_MAX_SLOTS],
			   const guint32 *f0, const guint32 *f1, check_result *out);
void check_result_clear(check_result *r);

/* ---- anomaly classes (check_classes.c, check_classes_report.c) ----
 *
 * Every anomaly the checker sees, over the libpcsclite monitors (the
 * legacy positive control is reported apart), in one fixed table: a class
 * that never occurred is there with 0.  "other" holds what no named
 * class describes; it, "lost" and a crash are what must hold on every
 * pcsc-lite version (ccidlab matrix asserts them). */

typedef struct check_class {
	char *name;		/* "lost", "error SCARD_E_TIMEOUT", ... */
	char *what;		/* what it means, one line */
	bool asserted;		/* must be 0 on every version */
	guint64 count;
	/* The first occurrence, for its timeline. */
	bool seen;
	gint64 first_ns;
	int monitor;		/* -1: not one monitor's */
	int slot_index;		/* -1: the PnP entry, or the whole call */
	char *detail;
} check_class;

typedef struct check_classes {
	GPtrArray *v;		/* check_class: the fixed ones first, then codes seen */
	guint64 calls;		/* SCardGetStatusChange returns */
	guint64 listings;	/* SCardListReaders calls */
	guint64 edges;		/* stimulus edges */
	gint64 t0_ns, t1_ns;	/* the observation window */
} check_classes;

/* The symbolic name of a PC/SC return code, or NULL. */
const char *check_rv_name(LONG rv);
/* Classifies everything in a recorded run: the truth, the monitors'
 * returns and listings, and the oracle's result.  Pure: no I/O. */
void check_classes_run(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n_mons,
		       const check_result *r, gint64 t0_ns, gint64 t1_ns, check_classes *out);
check_class *check_classes_find(const check_classes *c, const char *name);
/* Counts n of a class (made before "other" when new), keeping its
 * earliest occurrence. */
void check_classes_note(check_classes *c, const char *name, guint64 n, gint64 ts, int monitor,
			int slot, const char *detail);

/* The lost wakeups again by what the client did, and the calls' waits for
 * their process's lock (check_attrib.c; see there). */
#define CHECK_SERIAL_NS (50 * 1000000LL)
void check_attrib_run(check_classes *c, const check_truth *t, GArray *edges, check_monitor **mons,
		      unsigned n_mons, const check_result *r);
/* "waiting for a lock (futex) 4.80 s, sleeping (nanosleep) 0.20 s". */
char *check_where_text(const gint64 where[CHECK_WHERE_COUNT]);
void check_classes_clear(check_classes *c);
/* The events around a class's first occurrence, "time_s  what" lines. */
GPtrArray *check_class_timeline(const check_truth *t, GArray *edges, check_monitor **mons,
				unsigned n_mons, const check_class *k, unsigned max);
void check_classes_text(FILE *out, const check_truth *t, GArray *edges, check_monitor **mons,
			unsigned n_mons, const check_classes *c);
void check_classes_json(JsonBuilder *b, const check_truth *t, GArray *edges, check_monitor **mons,
			unsigned n_mons, const check_classes *c);
/* The figure of a class's first occurrence (check_figure.c), or NULL when
 * it did not occur; free with html_timeline_free. */
struct html_timeline;
struct html_timeline *check_class_figure(const check_truth *t, GArray *edges,
					 check_monitor **mons, unsigned n_mons,
					 const check_class *k);

/* ---- report ---- */

typedef struct check_verdict {
	bool pass;
	guint64 lost, late, errors, phantom, false_pnp;
	guint64 legacy_lost, legacy_late;
	bool counter_ok;
	GPtrArray *reasons;	/* char* */
} check_verdict;

void check_verdict_compute(const check_result *r, bool legacy_must_pass, bool expect_legacy_loss,
			   bool have_legacy, check_verdict *v);
void check_verdict_clear(check_verdict *v);

/* ---- the verdict of a run (check_judge.c) ---- */

/* The two quiet checkpoints of a run: the first after every monitor's
 * first answer, the second once settled (the end of observation), and
 * pcscd's event counters read at each. */
typedef struct check_checkpoints {
	gint64 t0_ns, t1_ns;
	bool counters_read;		/* both readings answered */
	guint16 c0[CHECK_MAX_SLOTS], c1[CHECK_MAX_SLOTS];
	guint32 f0[CHECK_MAX_SLOTS], f1[CHECK_MAX_SLOTS];	/* the driver's folded edges */
} check_checkpoints;

typedef struct check_judge_params {
	check_oracle_params oracle;	/* end_ns: the second checkpoint */
	bool legacy_must_pass, expect_legacy_loss, have_legacy;
} check_judge_params;

/* check-events' parameters (its options; bench takes the defaults:
 * CHECK_BOUND_EVENT_MS, CHECK_BOUND_POLL_MS, no legacy client). */
check_judge_params check_judge_params_for(double bound_event_ms, double bound_poll_ms,
					  gint64 end_ns, bool have_legacy, bool legacy_must_pass,
					  bool expect_legacy_loss);

/* What a recorded run comes to: the oracle over every (edge, client), the
 * edges the stream itself lost, the counter check between the
 * checkpoints, and the verdict.  check-events and bench wakeup both judge
 * with this, so that they cannot disagree about one run.  Pure. */
void check_judge(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n_mons,
		 const check_judge_params *p, const check_checkpoints *cp, check_result *result,
		 check_verdict *verdict);

/* ---- recorded runs (check_record.c) ----
 *
 * A run as JSON lines: the slots under test, the edge stream exactly as
 * the server sent it, every monitor with its returns and listings, and
 * the checkpoints.  Replayed, it is judged as it was live. */

typedef struct check_replay {
	check_truth truth;		/* fed from the recorded stream */
	GArray *edges;			/* check_edge: the truth's, once fed */
	check_monitor **mons;		/* no thread, no context */
	unsigned n_mons;
	check_checkpoints cp;
} check_replay;

/* Writes the run (t->stream must have kept the stream lines). */
bool check_record_write(const char *path, const check_truth *t, check_monitor **mons,
			unsigned n_mons, const check_checkpoints *cp, GError **error);
/* Reads a run back (its stream lines kept in truth.stream, so that it can
 * be written again); G_IO_ERROR or G_FILE_ERROR naming the line on
 * anything malformed.  check_replay_clear after either outcome. */
bool check_record_read(const char *path, check_replay *out, GError **error);
/* The same from the file's text (name: for messages). */
bool check_record_parse(const char *text, size_t len, const char *name, check_replay *out,
			GError **error);
void check_replay_clear(check_replay *r);
void check_report_text(FILE *out, const check_truth *t, GArray *edges, check_monitor **mons,
		       unsigned n_mons, const check_result *r, const check_verdict *v,
		       const check_classes *c);
void check_report_json(FILE *out, const check_truth *t, GArray *edges, check_monitor **mons,
		       unsigned n_mons, const check_result *r, const check_verdict *v,
		       const check_stimuli *s, const check_classes *c);
/* The JSON report as a node (check_report_json prints it). */
JsonNode *check_report_node(const check_truth *t, GArray *edges, check_monitor **mons,
			    unsigned n_mons, const check_result *r, const check_verdict *v,
			    const check_stimuli *s, const check_classes *c);

/* The latency histogram's buckets (the text report's, and "histogram"
 * in the JSON): counts, and each bucket's label ("< 50 ms"). */
#define CHECK_HIST_N 14
void check_histogram(const GArray *lat, guint64 count[CHECK_HIST_N]);
char *check_histogram_label(unsigned b);

/* --html (check_html.c): the report as one self-contained page, drawn
 * from its JSON; the pieces the matrix's page shares. */
struct html_page;
bool check_html_write(const char *path, JsonObject *report, const char *title, GError **error);
void check_html_histograms(struct html_page *page, JsonObject *modes);
void check_html_classes(struct html_page *page, JsonArray *classes, const char *where);

#endif
