/* ccidlab — the transport interface: what the CCID host engine needs from
 * a device, whether a real USB reader (src/usb/) or an emulated one
 * (src/emu/).  DESIGN.md "transport interface".
 *
 * A transport is a const struct of function pointers and an opaque device
 * pointer.  Chaining, retries, time extensions and timeouts are written
 * once, above it (src/host/); a transport only moves whole messages.
 * Every member returns a ccid_result: CCID_OK, CCID_E_TIMEOUT (nothing
 * within timeout_ms), CCID_E_NO_DEVICE (the device is gone; every later
 * call fails the same way), CCID_E_BUFFER (a message longer than cap
 * arrived: it is dropped), or CCID_E_TRANSPORT (anything else).  Foreign
 * error codes (libusb's) are translated inside the transport.
 *
 * Threads (src/host/command.c): bulk_out and control are called by one
 * thread at a time (the reader's write lock); bulk_in by one thread at a
 * time (the thread that holds the reading role).  The two may run at the
 * same time on different threads: with bMaxCCIDBusySlots > 1 one slot's
 * command goes out while another thread waits on bulk-IN for answers
 * (CCID 1.1 §5.3), so a transport must allow that (USB endpoints are
 * independent; the emulator takes its device lock in each).  With one
 * busy slot the calls never overlap.
 * The interrupt members are called from pcscd's polling thread without
 * these locks, and interrupt_stop from any thread.  Every wait is bounded
 * by the caller's timeout_ms.
 */
#ifndef CCIDLAB_HOST_TRANSPORT_H
#define CCIDLAB_HOST_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* What a transport knows of its device (USB device descriptor and strings,
 * or the emulated profile's). */
typedef struct transport_info {
	uint16_t idVendor;
	uint16_t idProduct;
	uint16_t bcdDevice;
	uint8_t bInterfaceNumber;	/* the CCID interface in use */
	char manufacturer[64];		/* "" when the device has none */
	char product[64];
	char serial[64];
} transport_info;

typedef struct transport_ops {
	const char *name;	/* "usb", "emu": for logs */

	/* Mandatory.  Sends one whole PC_to_RDR message on bulk-OUT. */
	int (*bulk_out)(void *dev, const uint8_t *buf, size_t len, unsigned timeout_ms);

	/* Mandatory.  Receives one bulk-IN transfer (one RDR_to_PC message)
	 * of at most cap bytes; *len is its size.  A reader that works long
	 * sends time-extension messages here, one per call. */
	int (*bulk_in)(void *dev, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);

	/* Optional: NULL when the interface has no interrupt-IN endpoint.
	 * Waits for one interrupt message (NotifySlotChange, HardwareError).
	 * CCID_E_TIMEOUT when none came; CCID_OK with *len 0 when
	 * interrupt_stop ended the wait. */
	int (*interrupt_in)(void *dev, uint8_t *buf, size_t cap, size_t *len,
			    unsigned timeout_ms);

	/* Optional, present with interrupt_in.  Ends the interrupt_in that is
	 * running; sticky: if none runs, the next one returns at once.  Any
	 * thread, never blocks. */
	void (*interrupt_stop)(void *dev);

	/* Mandatory.  A class-specific control request on the interface
	 * (CCID 1.1 §5.3): bRequest ABORT (0x01, OUT, wValue = bSeq << 8 |
	 * bSlot, no data), GET_CLOCK_FREQUENCIES (0x02, IN), GET_DATA_RATES
	 * (0x03, IN).  IN requests fill data[0..cap) and set *len.  A device
	 * that does not support the request answers CCID_E_UNSUPPORTED (a
	 * USB stall). */
	int (*control)(void *dev, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		       size_t *len, unsigned timeout_ms);

	/* Mandatory.  The raw configuration descriptor (GET_DESCRIPTOR
	 * CONFIGURATION, all of wTotalLength). */
	int (*config_descriptor)(void *dev, uint8_t *buf, size_t cap, size_t *len);

	/* Mandatory.  Identity of the device. */
	int (*info)(void *dev, transport_info *out);

	/* Mandatory.  Releases the device; dev is gone afterwards.  Called
	 * once, with no other member running. */
	void (*close)(void *dev);
} transport_ops;

typedef struct transport {
	const transport_ops *ops;
	void *dev;
} transport;

/* The table of a transport whose members are named PREFIX##bulk_out,
 * PREFIX##bulk_in, ... after the fields they fill (NAME: its name in
 * logs): every transport fills the same contract, so each names its
 * functions once here instead of listing the fields again.  _POLLING
 * leaves the interrupt pair out (a reader without the pipe). */
#define TRANSPORT_OPS_POLLING(NAME, PREFIX)                                              \
	.name = (NAME), .bulk_out = PREFIX##bulk_out, .bulk_in = PREFIX##bulk_in,         \
	.control = PREFIX##control, .config_descriptor = PREFIX##config_descriptor,       \
	.info = PREFIX##info, .close = PREFIX##close
#define TRANSPORT_OPS(NAME, PREFIX)                                                      \
	TRANSPORT_OPS_POLLING(NAME, PREFIX), .interrupt_in = PREFIX##interrupt_in,        \
	.interrupt_stop = PREFIX##interrupt_stop

/* CCID_OK when every mandatory member is there and the interrupt pair is
 * both or neither; CCID_E_INVALID_ARG otherwise (checked at registration). */
int transport_check(const transport_ops *ops);

#endif
