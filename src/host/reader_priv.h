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
} host_slot;

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
	uint32_t quirk_flags;	/* CCID_QUIRK_* of this reader, 0 for most */

	GMutex lock;		/* one command in flight (CCID 1.1 §5.3) */
	uint8_t next_seq;
	host_stats stats;
	host_slot *slots;	/* facts.slot_count of them */
	uint8_t *scratch;	/* one whole message, dwMaxCCIDMessageLength */
	size_t scratch_cap;
	unsigned pending_mult;	/* a card's time request for the next read */
	host_trace_fn trace;	/* under lock; see host_reader_set_trace */
	void *trace_data;
	uint8_t *answer;	/* answers, for commands run with the lock held */
	size_t answer_cap;
};

/* Sends S(IFS) with ifsd on a TPDU-level T=1 link (xfr.c). */
int host_t1_negotiate(host_reader *r, unsigned slot, unsigned ifsd);

/* Called with r->lock held. */
int host_command_locked(host_reader *r, ccid_msg *cmd, uint8_t *buf, size_t cap, ccid_msg *rsp);

#endif
