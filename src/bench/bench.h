/* ccidlab — `ccidlab bench`: programs that print figures, never timed
 * tests.  Every figure is a ratio against a baseline measured in the same
 * run (the null reader's floor, or pcscd's own share of a latency), so
 * that the numbers mean the same on a slow and a fast machine.
 *
 * bench_main.c parses the arguments, writes the reader.conf.d a suite
 * needs and runs the suites; each suite lives in its own file:
 *   bench_apdu.c    APDU round trip through pcscd (libpcsclite)
 *   bench_wakeup.c  edge to wakeup in event and polling-only mode, scale,
 *                   on the event checker's truth, monitors and settling
 *   bench_judge.c   its figures and verdict, from the checker's oracle
 *   bench_open.c    IFDHCreateChannelByName to ready, driver in-process
 *   bench_slots.c   two slots of one reader at once, host engine in-process
 *   bench_driver.c  ccidlab vs libccid in-process on usbsim, no pcscd
 *   bench_log.c     pcscd's log_msg/log_xxd for drivers loaded here
 *   bench_stats.c   clocks, percentiles, the figure lines
 */
#ifndef CCIDLAB_BENCH_BENCH_H
#define CCIDLAB_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check/check_events.h"

typedef struct bench_opts {
	char *driver;		/* libccidlab.so for the open suite */
	int apdu_iterations;	/* timed APDUs per reader and case */
	int ext_iterations;	/* timed 64 KiB APDUs per reader */
	int open_readers;	/* readers opened at once (N) */
	int open_rounds;	/* rounds of N opens per profile */
	int wakeup_seconds;	/* event-mode storm length */
	int poll_seconds;	/* polling-only storm length */
	int scale_edges;	/* edges of the scale storm */
	int clients;		/* client threads */
	unsigned seed;		/* storm seed */
	char *record;		/* --record: the last wakeup run, for check_record_read */
} bench_opts;

/* ---- bench_stats.c ---- */

/* CLOCK_MONOTONIC in ns: the clock of the driver's edge timestamps. */
uint64_t bench_now_ns(void);

/* Sorts v (n values) in place. */
void bench_sort(double *v, size_t n);
/* The q-quantile (0..1) of sorted v, nearest rank; 0 for n == 0. */
double bench_quantile(const double *sorted, size_t n, double q);

/* "met", "NOT met" */
const char *bench_verdict(bool met);

/* Sends stderr (the log lines of drivers loaded in this process) to the
 * file LOG; returns the saved stderr for bench_restore_stderr, or -1. */
int bench_divert_stderr(const char *log);
void bench_restore_stderr(int saved);

/* ---- bench_judge.c: bench wakeup's verdict and figures ---- */

#define BENCH_N_WORST 3

/* When the host saw one stimulus edge (0: never) and what it led to. */
typedef struct bench_seen {
	gint64 observed_ns;
	bool present;
} bench_seen;

typedef struct bench_worst {
	double ms;		/* edge -> wakeup */
	double observed_ms;	/* edge -> observed, -1: not observed */
	int slot_index;
	unsigned monitor;
	bool present;
	gint64 ts_ns;
} bench_worst;

typedef struct bench_wakeup_figures {
	GArray *lat;		/* double ms, per (edge, client) caught: edge -> wakeup */
	GArray *driver;		/* double ms, per observed edge: edge -> observed */
	GArray *pcscd;		/* double ms, per (edge, client) observed: observed -> wakeup */
	guint64 edges;		/* stimulus edges (presence flips) */
	guint64 delivered, lost, late, phantom, errors;
	bench_worst worst[BENCH_N_WORST];	/* by ms, largest first */
	check_result result;	/* the oracle's */
	check_verdict verdict;	/* check-events' verdict on the same run */
} bench_wakeup_figures;

/* Judges a recorded run as check-events does (check_judge, its default
 * bounds) and makes bench's figures from the oracle's catches. */
void bench_wakeup_judge(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n,
			const check_checkpoints *cp, bench_wakeup_figures *f);
void bench_wakeup_figures_clear(bench_wakeup_figures *f);

/* ---- suites: 0 when they ran (targets missed included), else 1 ---- */

/* Readers "bench-null", "bench-apdu", "bench-t1", "bench-t0", "bench-ext". */
int bench_apdu_run(const bench_opts *o);
/* Debian's libccid on usbsim: readers "bench-null", "bench-apdu", "bench-t1"
 * (ccidlab, emu:), "bench-cu-apdu", "bench-cu-t1" (ccidlab, usb: on
 * usbsim), "bench-lc-apdu", "bench-lc-t1" (libccid). */
int bench_apdu_libccid_run(const bench_opts *o);
/* 16 libccid readers "bench-lc-evNN" on usbsim devices of the same names. */
int bench_wakeup_libccid_run(const bench_opts *o);
/* 8 ccidlab readers "bench-cu-evNN" and 8 libccid readers "bench-lu-evNN",
 * all on usbsim devices, storms in turns. */
int bench_wakeup_usb_run(const bench_opts *o);
/* No lab needed: loads the driver in this process. */
int bench_open_run(const bench_opts *o);
/* No lab either: the host engine and the emulator in this process. */
int bench_slots_run(const bench_opts *o);
/* No lab either: ccidlab's driver and libccid in this process, on the
 * usbsim devices of --write-conf DIR driver (the shim preloaded). */
int bench_driver_run(const bench_opts *o);
/* 16 readers "bench-evNN" (event mode) or "bench-plNN" (polling-only). */
int bench_wakeup_run(const bench_opts *o, bool poll);
/* The event-mode readers, with scale_edges edges. */
int bench_scale_run(const bench_opts *o);

#endif
