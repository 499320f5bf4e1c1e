/* ccidlab — the emulated CCID reader: the device side of every CCID
 * command over a reader profile, its slots and virtual cards, the event
 * engine (storms, timelines) and fault injection (issue 4).
 *
 * This is the contract between the device model and its users: the host
 * engine reaches a device only through the transport of
 * emu_transport_open() (src/host/transport.h); the control plane and the
 * event engine use the slot, fault and option calls below.
 *
 * Threads: an emu_device is thread-safe.  One GMutex guards its slots and
 * queues; the card of a slot is only called with it held (card.h).  The
 * control plane, a storm or a timeline may insert and remove from their
 * threads while pcscd's threads run commands and read the interrupt pipe.
 * No call blocks longer than its timeout, and none blocks at all except
 * the transport's bulk_in / interrupt_in and the storm/timeline joins.
 *
 * Timing: a card operation that asks for time (emu_card_* *work_ms, plus
 * the "slow" fault) makes the response ready work_ms after the command;
 * until then each bulk_in that waits EMU_DEVICE_TIME_EXT_MS (or half the
 * caller's timeout when that is shorter) returns a time-extension message
 * (bStatus 0x80, bError 1, CCID 1.1 §6.2.6) for a busy slot (busy slots
 * take turns).
 */
#ifndef CCIDLAB_EMU_DEVICE_H
#define CCIDLAB_EMU_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "emu/card.h"
#include "emu/events.h"
#include "emu/fault.h"
#include "emu/profile.h"
#include "emu/storm_limits.h"
#include "host/transport.h"

/* The period after which a waiting bulk_in answers a time extension. */
#define EMU_DEVICE_TIME_EXT_MS 50u
/* Bounded queues: responses not yet read, and interrupt messages.  When a
 * queue is full the oldest entry is dropped (a host that never reads the
 * interrupt pipe must not grow the emulator). */
#define EMU_DEVICE_MAX_PENDING 64u
#define EMU_DEVICE_MAX_INTERRUPTS 256u
/* Edges a latched slot holds until the host has observed them. */
#define EMU_DEVICE_MAX_LATCHED 1024u
/* Escape table entries, and the longest request/reply of one. */
#define EMU_DEVICE_MAX_ESCAPES 64u
#define EMU_DEVICE_MAX_ESCAPE_LEN 1024u

typedef struct emu_device emu_device;

/* A device for a profile (copied).  EMU_ERROR_UNSUPPORTED with the
 * profile's unsupported_reason when it is not emulatable;
 * EMU_ERROR_PARSE when its class descriptor does not decode.  The device
 * starts with every slot empty; its name is the profile's until
 * emu_device_set_name. */
emu_device *emu_device_new(const emu_profile *p, GError **error);
/* Shared object: the transport holds a reference while open. */
emu_device *emu_device_ref(emu_device *dev);
void emu_device_unref(emu_device *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_device, emu_device_unref)

/* Process-unique id (1, 2...), used in edges. */
unsigned emu_device_id(const emu_device *dev);
/* Name used in edges and logs (copied, truncated to EMU_EVENT_NAME_MAX). */
void emu_device_set_name(emu_device *dev, const char *name);
/* Copies the name into buf (always NUL-terminated when cap > 0). */
void emu_device_name(emu_device *dev, char *buf, size_t cap);
const emu_profile *emu_device_profile(const emu_device *dev);
/* bMaxSlotIndex + 1. */
unsigned emu_device_slot_count(const emu_device *dev);

/* ---- options ---- */

/* latch: each edge of a slot is held until the host has observed it
 * (a GetSlotStatus, or an interrupt read that carried it), so toggles
 * shorter than a poll period are still seen (issue 4, "Hardware truth").
 * Off by default: the host sees the state at the time it asks. */
void emu_device_set_latch(emu_device *dev, bool latch);

/* The virtual keypad for PC_to_RDR_Secure: entries separated by ',',
 * each a string of digits, "cancel" (bError 0xEF) or "timeout" (bError
 * 0xF0).  PIN verify takes entry 0; PIN modify takes entry 0 (old PIN),
 * 1 (new) and 2 (confirmation, default: the new one again).  Default
 * "1234".  EMU_ERROR_PARSE for anything else. */
bool emu_device_set_keypad(emu_device *dev, const char *sequence, GError **error);

/* Escape: an abData that equals `req` gets `rsp` in RDR_to_PC_Escape;
 * anything else fails with bError 0x00 (command not supported).  A
 * second entry for the same req replaces the first.  EMU_ERROR_FAILED
 * when over EMU_DEVICE_MAX_ESCAPES or a length is over
 * EMU_DEVICE_MAX_ESCAPE_LEN. */
bool emu_device_escape_add(emu_device *dev, const uint8_t *req, size_t req_len,
			   const uint8_t *rsp, size_t rsp_len, GError **error);
void emu_device_escape_clear(emu_device *dev);

/* ---- slots ----
 *
 * Every successful call records one edge (events.h) with `source`.  A
 * removal powers the slot off.  Errors (EMU_ERROR_FAILED): slot out of
 * range, insert into an occupied slot, remove/mute/unmute of an empty
 * slot.  mute of a muted card and unmute of an answering one succeed
 * without an edge. */
bool emu_device_insert(emu_device *dev, unsigned slot, emu_card *card /* owned, even on error */,
		       emu_event_source source, GError **error);
bool emu_device_remove(emu_device *dev, unsigned slot, emu_event_source source, GError **error);
/* Remove then insert (two edges); the slot may be empty. */
bool emu_device_swap(emu_device *dev, unsigned slot, emu_card *card /* owned */,
		     emu_event_source source, GError **error);
bool emu_device_mute(emu_device *dev, unsigned slot, emu_event_source source, GError **error);
bool emu_device_unmute(emu_device *dev, unsigned slot, emu_event_source source, GError **error);

typedef struct emu_slot_info {
	bool present;
	bool mute;		/* present, but the card gives no ATR */
	bool powered;		/* IccPowerOn succeeded, no PowerOff since */
	bool busy;		/* a command is in progress */
	unsigned protocol;	/* 0 or 1, when powered */
	char card_spec[128];	/* "" when absent */
} emu_slot_info;

/* false when slot is out of range. */
bool emu_device_slot_info(emu_device *dev, unsigned slot, emu_slot_info *out);

/* Queues a HardwareError interrupt (CCID 1.1 §6.3.2) for slot with the
 * given bHardwareErrorCode (0x01 overcurrent); nothing on profiles
 * without an interrupt pipe. */
void emu_device_hardware_error(emu_device *dev, unsigned slot, uint8_t code);

/* The reader meets a new host, as after an unplug and a replug
 * (replug.c): the answers and interrupt messages not yet read are
 * dropped, every card is powered off (it stays inserted), an ABORT held
 * is forgotten, and a NotifySlotChange announcing the present cards is
 * queued (CCID 1.1 §6.3.1).  Edges, faults and options stay. */
void emu_device_replug(emu_device *dev);

/* ---- faults ----
 *
 * slot -1: the reader (every slot).  A fault set again for the same
 * (slot, kind) replaces the old one.  The one-shot kinds (spurious
 * notify, hardware error) act when set and are not kept.
 * EMU_ERROR_FAILED for a slot out of range or more than
 * EMU_DEVICE_MAX_FAULTS faults. */
#define EMU_DEVICE_MAX_FAULTS 64u
bool emu_device_fault_set(emu_device *dev, int slot, const emu_fault *f, GError **error);
/* Clears the kind (or every kind, kind < 0) at slot (-1: the reader's
 * own faults; EMU_DEVICE_ALL_SLOTS: everything).  Returns how many. */
#define EMU_DEVICE_ALL_SLOTS (-2)
unsigned emu_device_fault_clear(emu_device *dev, int slot, int kind);

typedef struct emu_fault_entry {
	int slot;		/* -1: the reader */
	emu_fault fault;	/* count: what is left */
} emu_fault_entry;

/* Copies the faults in effect into out[0..cap); returns how many there
 * are (may be more than cap). */
size_t emu_device_fault_list(emu_device *dev, emu_fault_entry *out, size_t cap);

/* ---- transport (transport_emu.c) ----
 *
 * A transport over the device: bulk_out runs the command and queues the
 * response, bulk_in returns it (or a time extension, or a fault's
 * effect), control answers the class requests, config_descriptor and
 * info come from the profile, and close drops the transport's reference.
 * interrupt_in/interrupt_stop are NULL on profiles without an interrupt
 * pipe.  Returns CCID_OK. */
int emu_transport_open(emu_device *dev, transport *out);

/* The same operations, for callers that hold a device (device.c).  They
 * are what the transport's members call. */
int emu_device_bulk_out(emu_device *dev, const uint8_t *buf, size_t len, unsigned timeout_ms);
int emu_device_bulk_in(emu_device *dev, uint8_t *buf, size_t cap, size_t *len,
		       unsigned timeout_ms);
/* stop_flag: the transport's sticky stop (see transport.h), checked and
 * consumed under the device lock. */
int emu_device_interrupt_in(emu_device *dev, bool *stop_flag, uint8_t *buf, size_t cap,
			    size_t *len, unsigned timeout_ms);
void emu_device_interrupt_stop(emu_device *dev, bool *stop_flag);
int emu_device_control(emu_device *dev, uint8_t bRequest, uint16_t wValue, uint8_t *data,
		       size_t cap, size_t *len, unsigned timeout_ms);

/* ---- storm (storm.c): seeded random edges ----
 *
 * Edges form a Poisson process of `rate` events per second over
 * `duration_ms`, drawn from GRand seeded with `seed`, so one seed gives
 * one schedule.  Each event picks a target whose last edge is at least
 * `min_hold_ms` old (when none is, the event waits for the first that
 * is).  In burst mode (burst > 1) each event hits `burst` distinct
 * targets, `burst_gap_us` apart: the rate then counts bursts.  An edge
 * toggles its target: an empty slot gets a card from `card_spec`
 * ("readertest" when NULL), a full one is emptied. */
typedef struct emu_storm_target {
	emu_device *dev;	/* borrowed: outlives the storm */
	unsigned slot;
} emu_storm_target;

typedef struct emu_storm_params {
	guint32 seed;
	double rate;		/* events per second, > 0, <= EMU_STORM_MAX_RATE */
	unsigned duration_ms;	/* <= EMU_STORM_MAX_DURATION_MS */
	unsigned min_hold_ms;
	unsigned burst;		/* 0 or 1: no burst */
	unsigned burst_gap_us;
	const emu_storm_target *targets;
	size_t n_targets;	/* 1..EMU_STORM_MAX_TARGETS */
	const char *card_spec;
} emu_storm_params;

typedef struct emu_storm_step {
	uint64_t at_us;		/* from the start */
	unsigned target;	/* index into targets */
} emu_storm_step;

/* The schedule, a pure function of the parameters (targets only counted):
 * fills `out` (GArray of emu_storm_step) in time order.  EMU_ERROR_FAILED
 * for parameters out of range or a schedule over EMU_STORM_MAX_STEPS. */
bool emu_storm_schedule(const emu_storm_params *p, GArray *out, GError **error);

typedef struct emu_storm emu_storm;
/* Computes the schedule and runs it on its own GThread (targets copied,
 * devices referenced). */
emu_storm *emu_storm_start(const emu_storm_params *p, GError **error);
/* Stops (within about 10 ms) and joins.  Safe to call more than once. */
void emu_storm_stop(emu_storm *s);
/* Waits up to timeout_ms for the schedule to finish; true when it did. */
bool emu_storm_wait(emu_storm *s, unsigned timeout_ms);
/* Edges applied so far. */
uint64_t emu_storm_applied(emu_storm *s);
/* Stops, joins, frees; NULL allowed. */
void emu_storm_free(emu_storm *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_storm, emu_storm_free)

/* ---- timeline (timeline.c): scenario files ----
 *
 *   [step 1]
 *   at_ms=0
 *   reader=lab-0          (a reader name the resolver knows)
 *   slot=0
 *   action=insert         (insert|remove|swap|mute|unmute|fault|clear-faults)
 *   card=readertest,t1    (insert, swap: an emu_card spec)
 *   fault=slow:500@3      (fault: emu_fault string form; slot=-1 for the reader)
 *
 * Groups named "step <N>" only; others are an error.  Steps run in at_ms
 * order (ties: by N).  At most EMU_TIMELINE_MAX_STEPS steps. */
#define EMU_TIMELINE_MAX_STEPS 100000u
#define EMU_TIMELINE_MAX_AT_MS (24u * 3600u * 1000u)

typedef enum emu_timeline_action {
	EMU_TL_INSERT,
	EMU_TL_REMOVE,
	EMU_TL_SWAP,
	EMU_TL_MUTE,
	EMU_TL_UNMUTE,
	EMU_TL_FAULT,
	EMU_TL_CLEAR_FAULTS,
} emu_timeline_action;

typedef struct emu_timeline_step {
	unsigned n;		/* from "[step N]" */
	unsigned at_ms;
	char *reader;
	int slot;		/* -1 only with fault / clear-faults */
	emu_timeline_action action;
	char *card;		/* insert, swap; else NULL */
	emu_fault fault;	/* fault */
} emu_timeline_step;

typedef struct emu_timeline emu_timeline;

/* The largest scenario file read (a few thousand lines, not a dump). */
#define EMU_TIMELINE_MAX_BYTES (64u * 1024u * 1024u)
/* EMU_ERROR_PARSE naming the group and key for every malformed step.
 * A scenario loaded as data is a control client's: its cards name no
 * file (no script: or files:), which the server would open as root. */
emu_timeline *emu_timeline_load_file(const char *path, GError **error);
emu_timeline *emu_timeline_load_data(const char *data, size_t len, GError **error);
void emu_timeline_free(emu_timeline *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_timeline, emu_timeline_free)
size_t emu_timeline_size(const emu_timeline *t);
const emu_timeline_step *emu_timeline_get(const emu_timeline *t, size_t i);

/* Maps a step's reader name to a device (a new reference), or NULL. */
typedef emu_device *(*emu_timeline_resolver)(const char *reader, void *data);

typedef struct emu_timeline_run emu_timeline_run;
/* Runs the steps on a thread; a step that fails (unknown reader, occupied
 * slot, bad card spec) is counted and skipped.  resolver is called on
 * the run's thread. */
emu_timeline_run *emu_timeline_start(const emu_timeline *t, emu_timeline_resolver resolver,
				     void *data, GError **error);
bool emu_timeline_run_wait(emu_timeline_run *r, unsigned timeout_ms);
void emu_timeline_run_stop(emu_timeline_run *r);
/* Steps applied and failed so far. */
void emu_timeline_run_counts(emu_timeline_run *r, unsigned *applied, unsigned *failed);
/* Why steps failed: the first EMU_TIMELINE_FAILURES_KEPT failures (later
 * ones are only counted), each with its "[step N]" number and a reason
 * naming the action, the reader and what went wrong. */
#define EMU_TIMELINE_FAILURES_KEPT 16u
typedef struct emu_timeline_failure {
	unsigned step;
	char *reason;
} emu_timeline_failure;
/* A copy, in run order (g_array_unref frees it and the reasons). */
GArray *emu_timeline_run_failures(emu_timeline_run *r);
void emu_timeline_run_free(emu_timeline_run *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_timeline_run, emu_timeline_run_free)

#endif
