/* ccidlab — private state of the emulated reader, shared by the files of
 * the device model (device.c commands, slot.c edges, pipe.c bulk and
 * interrupt pipes, faultset.c faults, secure.c PIN entry).  Not for users of
 * the device: they have device.h.
 */
#ifndef CCIDLAB_EMU_DEVICE_PRIV_H
#define CCIDLAB_EMU_DEVICE_PRIV_H

#include "emu/device.h"

#include "ccid/descriptor.h"
#include "ccid/errmap.h"
#include "ccid/exchange.h"
#include "ccid/message.h"
#include "ccid/result.h"

/* The abProtocolDataStructure sizes (CCID 1.1 §6.1.7). */
#define EMU_PARAMS_T0_LEN 5u
#define EMU_PARAMS_T1_LEN 7u

/* One edge held for a latched slot until the host observes it. */
typedef struct emu_latched {
	bool present;
	uint64_t seq;
} emu_latched;

typedef struct emu_slot {
	emu_card *card;		/* NULL: empty */
	bool powered;
	/* ISO 7816-3 §9.1: right after the ATR the reader may send a PPS
	 * request (PPSS 0xFF) before any exchange; closed by the first other
	 * exchange. */
	bool pps_window;
	bool clock_stopped;
	unsigned protocol;
	uint8_t params[EMU_PARAMS_T1_LEN];	/* abProtocolDataStructure */
	/* Extended APDU level: the reassembler and the card's response,
	 * which the chain keeps by pointer until its last part is sent. */
	ccid_exchange_dev xdev;
	uint8_t *apdu_buf;	/* CCID_EXTENDED_APDU_MAX */
	uint8_t *rsp_buf;	/* CCID_EXTENDED_RESPONSE_MAX */
	/* Latch mode: edges the host has not observed yet (oldest first). */
	GQueue latched;
	/* Presence the host last saw, for EMU_EVENT_SRC_OBSERVED edges. */
	bool host_present;
	/* CCID 1.1 §5.3.1: the ABORT class request seen for this slot. */
	bool abort_ctl;
	uint8_t abort_seq;
	/* dwFeatures 0x400: the reader sets the card's IFSD itself, as the
	 * first T=1 exchange after an ATR or a protocol change (pending until
	 * then). */
	bool auto_ifsd_pending;
} emu_slot;

/* One RDR_to_PC response not yet read from bulk-IN. */
typedef struct emu_pending {
	uint8_t cmd_type;	/* the PC_to_RDR type it answers */
	uint8_t bSlot, bSeq;
	uint8_t bMessageType;	/* of the answer, for time extensions */
	int64_t ready_us;	/* g_get_monotonic_time() when it may leave */
	int64_t te_us;		/* the last time extension sent for it, 0: none */
	bool wait_abort;	/* PC_to_RDR_Abort waiting for the class request */
	bool timeout_fault;	/* EMU_FAULT_TIMEOUT: dropped, bulk_in times out */
	uint32_t timeout_ms;	/* the fault's bound (0: the caller's timeout) */
	size_t len;
	uint8_t *msg;		/* encoded, faults applied */
} emu_pending;

/* One interrupt-IN message.  A NotifySlotChange for EMU_IRQ_EVERY_SLOT
 * reports every slot at once (replug.c: a reader's start). */
#define EMU_IRQ_EVERY_SLOT (~0u)
typedef struct emu_irq {
	size_t len;
	uint8_t msg[1 + (CCID_MAX_SLOTS + 3) / 4];
	bool notify;
	unsigned slot;		/* the changed slot (notify), or EMU_IRQ_EVERY_SLOT */
	uint64_t edge_seq;	/* the edge it reports, 0 for none */
} emu_irq;

typedef struct emu_escape {
	GBytes *req;
	GBytes *rsp;
} emu_escape;

struct emu_device {
	gint refcount;
	unsigned id;
	char name[EMU_EVENT_NAME_MAX];
	emu_profile *profile;
	ccid_class_desc desc;
	ccid_class_facts facts;
	/* The message size the reader takes and sends: the descriptor's, or
	 * the quirk table's where the real firmware carries more than it
	 * declares (ccid/quirks.h), so that host and emulation agree. */
	uint32_t msg_max;

	GMutex lock;
	GCond cond;		/* pending ready, interrupt queued, stop, abort */

	unsigned nslots;
	emu_slot *slots;

	GQueue pending;		/* emu_pending*, command order */
	GQueue irqs;		/* emu_irq*, oldest first */

	GArray *faults;		/* emu_fault_entry */
	bool latch;
	char **keypad;		/* NULL-terminated entries */
	GPtrArray *escapes;	/* emu_escape* */
	uint32_t garbage_state;	/* PRNG state for garbage bytes */
	/* Edges stamped under the lock, delivered to the subscribers by
	 * emu_device_unlock() once it is released (events.h). */
	GArray *outbox;		/* emu_event */
};

/* Takes the device lock / releases it and delivers the stamped edges. */
void emu_device_lock(emu_device *dev);
void emu_device_unlock(emu_device *dev);

/* ---- slot.c (called with dev->lock held) ---- */
void emu_slot_init(emu_slot *s);
void emu_slot_clear(emu_slot *s);
/* The ICC status the device reports for a slot now. */
ccid_icc_status emu_slot_icc(const emu_slot *s);
/* Default abProtocolDataStructure for protocol 0 or 1 into s->params. */
void emu_slot_default_params(emu_slot *s, unsigned protocol);
/* Removes the card (if any) with an edge of the given source. */
void emu_slot_remove_locked(emu_device *dev, unsigned slot, emu_event_source source);
/* GetSlotStatus' view of presence: latched edge or the truth; records an
 * observed edge when it differs from what the host saw last. */
bool emu_slot_observe_locked(emu_device *dev, unsigned slot);
/* Interrupt read delivered a notification for slot and edge seq. */
void emu_slot_notify_observed_locked(emu_device *dev, unsigned slot, bool present,
				     uint64_t edge_seq);
/* dwFeatures 0x400: the reader's own S(IFS) to the card, once after each
 * ATR or protocol change (s->auto_ifsd_pending). */
void emu_slot_auto_ifsd_locked(emu_device *dev, emu_slot *s);
/* Queues a NotifySlotChange with slot's changed bit (spurious: no edge). */
void emu_slot_queue_notify_locked(emu_device *dev, unsigned slot, uint64_t edge_seq);
void emu_slot_queue_hw_error_locked(emu_device *dev, unsigned slot, uint8_t code);

/* ---- faultset.c (called with dev->lock held) ---- */
/* Finds and consumes in one step; returns whether it was there and its arg. */
bool emu_fault_take_locked(emu_device *dev, unsigned slot, emu_fault_kind kind, uint32_t *arg);
bool emu_fault_device_gone_locked(emu_device *dev);

/* ---- device.c (called with dev->lock held) ---- */
/* Runs one bulk-OUT message and queues its answer. */
void emu_device_run_locked(emu_device *dev, const uint8_t *buf, size_t len);
/* Slots with a command in progress (a pending answer not yet ready). */
unsigned emu_device_busy_slots_locked(emu_device *dev);
bool emu_device_slot_busy_locked(emu_device *dev, unsigned slot);

/* ---- pipe.c (called with dev->lock held) ---- */
/* Queues an encoded answer that leaves after work_ms, applying the
 * response faults of slot. */
void emu_pipe_queue_locked(emu_device *dev, uint8_t cmd_type, const ccid_msg *rsp,
			   unsigned work_ms, bool wait_abort);
void emu_pipe_irq_push_locked(emu_device *dev, emu_irq *irq);
/* The card of slot left: every command on it still in progress fails
 * now, "no ICC" (pipe.c; CCID 1.1 §6.2.6). */
void emu_pipe_card_gone_locked(emu_device *dev, unsigned slot);
void emu_pending_free(emu_pending *p);

/* ---- secure.c (called with dev->lock held) ---- */
/* PC_to_RDR_Secure: fills rsp (abData into out[0..cap)) and *work_ms. */
void emu_secure_run_locked(emu_device *dev, emu_slot *s, const ccid_msg *cmd, ccid_msg *rsp,
			   uint8_t *out, size_t cap, unsigned *work_ms);

#endif
