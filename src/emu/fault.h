/* ccidlab — faults an emulated reader can be told to commit (issue 4,
 * "Faults").  A fault is set per slot or per reader, for one command, the
 * next N, or until cleared; this header holds its description and its
 * string form; the device model (device.h) applies it.
 *
 * String form, for configuration and the control plane:
 *     kind[:arg][@count]
 * e.g. "fail:0xFB@1", "slow:500", "device-gone", "truncate:3@2".
 * `count` is how many commands (or notifications, for the notify faults)
 * the fault affects before it clears itself; without "@count" it stays
 * until cleared.  `arg` is decimal or 0x-hex; its meaning and default per
 * kind are in the table below (fault.c keeps the same table).
 */
#ifndef CCIDLAB_EMU_FAULT_H
#define CCIDLAB_EMU_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "emu/error.h"

typedef enum emu_fault_kind {
	/* IccPowerOn answers failed, bError 0xFE (ICC mute), card present. */
	EMU_FAULT_MUTE_AT_POWER_ON = 0,		/* "mute-power-on" */
	/* IccPowerOn returns the ATR with its TCK inverted (ISO 7816-3 §8.2.5). */
	EMU_FAULT_BAD_ATR,			/* "bad-atr" */
	/* arg ms added to every card operation: time extensions follow. */
	EMU_FAULT_SLOW,				/* "slow:ms" (default 1000) */
	/* The command fails with bError = arg (default 0xFB hardware error). */
	EMU_FAULT_FAIL,				/* "fail:bError" */
	/* The response's bSeq is off by arg (default 0x80, outside the
	 * stale window of message.h). */
	EMU_FAULT_WRONG_SEQ,			/* "wrong-seq[:delta]" */
	/* The response's bSlot is off by arg (default 1). */
	EMU_FAULT_WRONG_SLOT,			/* "wrong-slot[:delta]" */
	/* The last arg bytes of the response are not sent (default 1). */
	EMU_FAULT_TRUNCATE,			/* "truncate[:bytes]" */
	/* dwLength says arg bytes more than follow (default 1). */
	EMU_FAULT_LONG_LENGTH,			/* "long-length[:bytes]" */
	/* The response is replaced by arg garbage bytes (default 16; the
	 * first is 0x00, no RDR_to_PC type). */
	EMU_FAULT_GARBAGE,			/* "garbage[:bytes]" */
	/* The response is dropped: bulk_in returns CCID_E_TIMEOUT after the
	 * caller's timeout (or arg ms when given and shorter). */
	EMU_FAULT_TIMEOUT,			/* "timeout[:ms]" */
	/* Every transfer fails with CCID_E_NO_DEVICE until cleared (count
	 * is ignored: a gone device does not come back by itself). */
	EMU_FAULT_DEVICE_GONE,			/* "device-gone" */
	/* The next XfrBlock removes the card (an edge, source "fault") and
	 * fails with bError 0xFE, ICC absent. */
	EMU_FAULT_REMOVE_IN_XFR,		/* "remove-in-xfr" */
	/* Queues a NotifySlotChange with the changed bit but no edge, once,
	 * when set. */
	EMU_FAULT_SPURIOUS_NOTIFY,		/* "spurious-notify" */
	/* The next NotifySlotChange messages are not queued (count of them). */
	EMU_FAULT_DROP_NOTIFY,			/* "drop-notify" */
	/* Queues a HardwareError interrupt, code arg (default 1,
	 * overcurrent), once, when set. */
	EMU_FAULT_HW_ERROR,			/* "hw-error[:code]" */
	/* A card removed while the reader works on its command still gets
	 * its answer sent, with the bStatus of the time the command came
	 * (ICC active): the firmware bug a host must not trust (CCID 1.1
	 * §6.2.6; issue 17).  Counts the answers it lets through. */
	EMU_FAULT_GHOST_ANSWER,			/* "ghost-answer" */
	EMU_FAULT_KIND_COUNT
} emu_fault_kind;

/* count 0: until cleared. */
#define EMU_FAULT_FOREVER 0u

typedef struct emu_fault {
	emu_fault_kind kind;
	bool has_arg;		/* false: the kind's default */
	uint32_t arg;
	unsigned count;		/* commands left; EMU_FAULT_FOREVER */
} emu_fault;

/* "mute-power-on"...; "unknown" for anything else.  Never NULL. */
const char *emu_fault_kind_name(emu_fault_kind k);
/* The kind by name; false when unknown. */
bool emu_fault_kind_from_name(const char *name, emu_fault_kind *out);

/* The argument in effect (the given one, or the kind's default). */
uint32_t emu_fault_arg(const emu_fault *f);

/* Parses "kind[:arg][@count]".  EMU_ERROR_PARSE names what is wrong
 * (unknown kind, bad number, arg out of range for the kind).  *out is
 * written only on success. */
bool emu_fault_parse(const char *s, emu_fault *out, GError **error);
/* The parts of the fault grammar the USB-level faults (usbfault.h) share,
 * with the same messages: "@COUNT" (1..10^9) and ":ARG" (0..max; a kind
 * whose max is 0 takes none).  s is the whole string, for the message. */
bool emu_fault_parse_count(const char *s, const char *count, unsigned *out, GError **error);
bool emu_fault_parse_arg(const char *s, const char *kind, unsigned max, const char *arg,
			 uint32_t *out, GError **error);

/* Formats the string form back (always with the arg in effect).
 * Returns what snprintf returns. */
int emu_fault_format(const emu_fault *f, char *buf, size_t cap);

#endif
