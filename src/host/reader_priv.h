/* ccidlab — the host engine's private state (host.h). */
#ifndef CCIDLAB_HOST_READER_PRIV_H
#define CCIDLAB_HOST_READER_PRIV_H

#include <glib.h>

#include "ccid/t1.h"
#include "host/host.h"

typedef struct host_slot {
	uint8_t atr[CCID_ATR_MAX];
	size_t atr_len;
	bool atr_ok;
	ccid_atr parsed;
	int protocol;		/* -1 until chosen */
	uint8_t fidi;		/* Fi/Di in force (TA1 byte form) */
	ccid_t1_host t1;
	/* Why the last transmit failed, when the reason is more than its
	 * result (host_slot_why); written with the slot's gate held. */
	char why[HOST_WHY_MAX];
} host_slot;

/* What a gate holder owns: set and read only with the gate held. */
typedef struct host_gate {
	GMutex lock;		/* one command sequence on the slot(s) */
	unsigned pending_mult;	/* a card's time request for the next read */
	gint64 op_end;		/* the APDU's cap (µs, monotonic), 0: none */
	uint8_t *answer;	/* one whole answer message (xfr.c) */
} host_gate;

/* One command waiting for its answer: a mailbox filled by whichever
 * thread reads bulk-IN (command.c).  Under r->lock. */
typedef struct host_wait {
	const ccid_msg *cmd;	/* NULL: nothing outstanding */
	uint8_t *buf;		/* the caller's buffer for the answer */
	size_t cap;
	ccid_msg *rsp;
	unsigned timeout_ms;	/* per read, multiplied by extensions */
	gint64 deadline;	/* of the next read (µs, monotonic) */
	gint64 hard_end;	/* the cap */
	unsigned stale;
	bool done;
	int rc;			/* when done */
	/* The card left while this command ran: a time extension said no
	 * ICC, or a NotifySlotChange reported the slot emptied (removals at
	 * the start below).  An answer for it is refused. */
	bool card_left;
	unsigned removals;
} host_wait;

#define HOST_ABANDONED 16	/* bSeq of aborted commands remembered */

struct host_reader {
	transport t;
	transport_info info;
	ccid_interface iface;
	ccid_msg_limits limits;
	uint32_t rates[HOST_MAX_RATES];
	size_t n_rates;
	uint32_t clocks[HOST_MAX_RATES];
	size_t n_clocks;
	unsigned timeout_ms;
	unsigned cap_ms;
	unsigned pin_cap_ms;
	uint32_t quirk_flags;	/* CCID_QUIRK_* of this reader, 0 for most */
	/* dwMaxCCIDMessageLength as used: the descriptor's, or the quirk
	 * table's for firmware that takes more than it declares. */
	uint32_t msg_max;
	unsigned max_busy;	/* bMaxCCIDBusySlots, at least 1 */
	host_slot *slots;	/* facts.slot_count of them */

	/* slot_count + 1 gates (the last for commands to a bSlot out of
	 * range); with max_busy 1 everything uses gates[0]. */
	host_gate *gates;
	unsigned n_gates;

	GMutex out_lock;	/* bulk-OUT and control: one writer */
	uint8_t *scratch;	/* one whole message, dwMaxCCIDMessageLength */
	size_t scratch_cap;

	/* Short critical sections only, never held across a transfer. */
	GMutex lock;
	GCond cond;		/* an answer delivered, the reader role free */
	unsigned cond_waiters;	/* threads in a wait on cond (command.c) */
	uint8_t next_seq;
	host_stats stats;
	host_trace_fn trace;
	void *trace_data;
	unsigned in_flight;	/* commands sent and not answered */
	GQueue place_queue;	/* commands waiting for a place, first come first */
	bool reading;		/* a thread is in bulk_in */
	host_wait *waits;	/* n_gates of them, by slot */
	uint8_t *rx;		/* what the reading thread received */
	size_t rx_cap;
	uint16_t abandoned[HOST_ABANDONED];	/* bSlot << 8 | bSeq, 0xFFFF: free */
	unsigned abandoned_next;
	/* Removals seen per slot (a NotifySlotChange with the slot's changed
	 * bit and no card, CCID 1.1 §6.3.1), counted by host_interrupt_wait;
	 * a command compares the count at its end with the one at its
	 * start.  Under r->lock. */
	unsigned *removals;
};

/* Sends S(IFS) with ifsd on a TPDU-level T=1 link (xfr.c). */
int host_t1_negotiate(host_reader *r, unsigned slot, unsigned ifsd);

/* The abData one message carries (r->msg_max less the header). */
size_t host_payload_max(const host_reader *r);
/* Writes why the slot's last transmit failed (host_slot_why). */
void host_slot_set_why(host_reader *r, unsigned slot, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
/* The removals of slot seen so far (r->lock taken). */
unsigned host_removals(host_reader *r, unsigned slot);

/* ---- command.c ---- */
void host_command_init(host_reader *r);
void host_command_clear(host_reader *r);
/* The gate of a bSlot (slot out of range: the spare one). */
host_gate *host_gate_of(host_reader *r, unsigned slot);
/* Called with host_gate_of(r, cmd->bSlot) held. */
int host_command_gated(host_reader *r, ccid_msg *cmd, uint8_t *buf, size_t cap, ccid_msg *rsp);

#endif
