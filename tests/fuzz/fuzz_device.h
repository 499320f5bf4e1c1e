/* ccidlab — a malicious CCID device played from a fuzz input, for the
 * stateful targets that drive the host engine (fuzz_host, fuzz_host_mt,
 * fuzz_usb; issue 20).
 *
 * Input: a header of FDEV_HEADER bytes that shapes the device, then
 * records.  Header:
 *   [0] bMaxSlotIndex (as is, 0..255)
 *   [1] bits 0-1 exchange level (character, TPDU, short APDU, extended
 *       APDU); bit 2 an interrupt-IN endpoint; bit 3 automatic voltage;
 *       bit 4 automatic PPS; bit 5 the class descriptor after the
 *       endpoints; bit 6 the class requests stall; bit 7 a quirk table
 *       reader's VID/PID (byte [7] picks which)
 *   [2] dwMaxCCIDMessageLength, from a table of edge values (fdev.c)
 *   [3] dwProtocols (bits 0-1), bVoltageSupport (bits 4-6)
 *   [4] bPINSupport
 *   [5] bMaxCCIDBusySlots
 *   [6] the host's per-read timeout (100 ms steps, 0: its default) and
 *       cap (bits 4-7, 1 s steps; 0: the default)
 *   [7] quirk index / bcdDevice
 * Records, one byte of kind (low nibble) and flags (high nibble), then
 * their arguments (a length is one byte, two for bulk answers and APDUs;
 * arguments past the input's end read as zeros):
 *   0 BULK_IN answer: len16, bytes.  Flags fix the answer to the last
 *     command sent: 0x10 its bSeq, 0x20 its bSlot, 0x40 dwLength to the
 *     bytes after the header, 0x80 the answering message type.
 *   1 BULK_IN nothing: the read times out.
 *   2 a time extension for the last command (bStatus 0x80), bError byte.
 *   3 the device is gone: every call from now on answers NO_DEVICE.
 *   4 INTERRUPT message: len, bytes; 0x10 a stall instead, 0x20 babble.
 *   5 CONTROL reply for the next IN request: len, bytes; 0x10 stall,
 *     0x20 timeout.
 *   6 the next BULK_OUT fails: 0x10 timeout, else a transport error.
 *   8.. host operations (fuzz_device_op): 8 power (0x10: off), 9 set
 *     protocol, 10 transmit, 11 escape, 12 secure, 13 slot status (0x10:
 *     with a deadline), 14 interrupt wait, 15 the trace hook on or off.
 * Device records queue what the device will do; the transport's calls
 * take from the queues, and an empty queue is a device that says nothing
 * (the wait's whole timeout passes on the virtual clock, vclock.h).
 */
#ifndef CCIDLAB_FUZZ_DEVICE_H
#define CCIDLAB_FUZZ_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/transport.h"

#define FDEV_HEADER 8u

typedef struct fdev fdev;

typedef enum fdev_op_kind {
	FDEV_OP_POWER = 8,
	FDEV_OP_SET_PROTOCOL,
	FDEV_OP_TRANSMIT,
	FDEV_OP_ESCAPE,
	FDEV_OP_SECURE,
	FDEV_OP_SLOT_STATUS,
	FDEV_OP_INTERRUPT_WAIT,
	FDEV_OP_TRACE,
} fdev_op_kind;

typedef struct fdev_op {
	fdev_op_kind kind;
	uint8_t flags;		/* the record's high nibble */
	unsigned slot;
	unsigned arg;		/* protocol, response cap, wait in 10 ms */
	const uint8_t *data;	/* into the input */
	size_t len;
} fdev_op;

/* A device for the input, or NULL when it is shorter than the header.
 * The input must outlive it. */
fdev *fdev_new(const uint8_t *data, size_t size);
void fdev_free(fdev *d);

/* What the header chose: timeouts for the host engine (0: its own). */
unsigned fdev_timeout_ms(const fdev *d);
unsigned fdev_cap_ms(const fdev *d);
/* The dwMaxCCIDMessageLength the descriptor declares. */
uint32_t fdev_dwmax(const fdev *d);

/* The next host operation, queuing every device record before it; false
 * at the end of the input.  Thread-safe. */
bool fdev_next_op(fdev *d, fdev_op *op);

/* The device's side of each transport member (transport.h's contract);
 * bulk_out also checks what the host sends: one well-formed PC_to_RDR
 * message no longer than the descriptor allows (abort() otherwise). */
int fdev_bulk_out(fdev *d, const uint8_t *buf, size_t len, unsigned timeout_ms);
int fdev_bulk_in(fdev *d, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
int fdev_interrupt_in(fdev *d, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
void fdev_interrupt_stop(fdev *d);
int fdev_control(fdev *d, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		 size_t *len, unsigned timeout_ms);
int fdev_config_descriptor(fdev *d, uint8_t *buf, size_t cap, size_t *len);
int fdev_info(fdev *d, transport_info *out);
bool fdev_has_interrupt(const fdev *d);
bool fdev_gone(fdev *d);

/* A transport over the device (close frees nothing: fdev_free does). */
transport fdev_transport(fdev *d);

#endif
