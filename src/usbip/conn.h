/* ccidlab — one USB/IP connection as a state machine over the bytes its
 * peer sends (issue 15).  It owns the protocol: the operation phase
 * (OP_REQ_DEVLIST, then the connection ends; OP_REQ_IMPORT, then URBs),
 * the URBs in flight with their queues (one per endpoint, in order, as a
 * USB host controller keeps them), UNLINK, and the order of everything it
 * sends.  It owns no socket and no thread: the server (server.c) feeds it
 * bytes and runs the queued URBs on the device (urb.c); the fuzz target
 * (tests/fuzz/fuzz_usbip.c) does the same from one thread.
 *
 * Rules it keeps (Documentation/usb/usbip_protocol.rst):
 * - a RET_SUBMIT for every CMD_SUBMIT, except one unlinked in time: that
 *   gets only its RET_UNLINK with -ECONNRESET;
 * - an UNLINK of a URB already answered gets RET_UNLINK with status 0,
 *   always after that URB's RET_SUBMIT (a vhci-hcd that met the RET_UNLINK
 *   first would give the URB back empty, then take the RET_SUBMIT for a
 *   protocol error);
 * - a URB whose data won the race against its unlink is answered with
 *   its data, then RET_UNLINK 0: a NotifySlotChange read from the
 *   emulator is never dropped.
 * A peer that breaks the protocol (a bad header, a length over the
 * bound, a seqnum already in flight, an operation out of place) ends the
 * connection; usbip_conn_error says why.
 *
 * Threads: usbip_conn_feed from one thread (the reader); usbip_conn_next
 * and usbip_conn_complete from the executors; usbip_conn_close from the
 * reader.  Sends happen in the order the state changes (the send lock is
 * taken before the state lock is let go).
 */
#ifndef CCIDLAB_USBIP_CONN_H
#define CCIDLAB_USBIP_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usbip/wire.h"

/* The queues of one imported device: control (endpoint 0), bulk-OUT,
 * bulk-IN, interrupt-IN, and a composite device's extra endpoint. */
enum {
	USBIP_Q_CONTROL = 0,
	USBIP_Q_BULK_OUT,
	USBIP_Q_BULK_IN,
	USBIP_Q_INTERRUPT,
	USBIP_Q_EXTRA,
	USBIP_QUEUES
};
/* URBs one connection holds at once, and their buffers' bytes; a URB
 * over either is answered -ENOMEM at once (a CCID driver keeps three or
 * four, one or two of them message-sized). */
#define USBIP_CONN_MAX_URBS 64u
#define USBIP_CONN_MAX_BYTES (4u * USBIP_MAX_TRANSFER)
/* Devices one OP_REP_DEVLIST lists. */
#define USBIP_CONN_MAX_DEVLIST 64u

typedef struct usbip_urb {
	usbip_cmd cmd;		/* the CMD_SUBMIT header */
	uint8_t endpoint;	/* the address: ep, | 0x80 for IN (0 for control) */
	unsigned queue;		/* USBIP_Q_* */
	uint8_t *buf;		/* cmd.length bytes: the OUT data, or room for IN data */
	/* Set by the executor before usbip_conn_complete. */
	int status;		/* 0 or a negative errno (usbdev.h) */
	size_t actual;
	/* Set when the URB is unlinked or the connection ends: the
	 * executor's waits end on it. */
	atomic_bool cancel;
	/* conn.c's own */
	bool running, unlinked;
	uint32_t unlink_seqnum;
} usbip_urb;

typedef struct usbip_conn_ops {
	/* OP_REQ_DEVLIST: the devices to list, at most cap; returns how many. */
	size_t (*devlist)(void *data, usbip_devinfo *out, size_t cap);
	/* OP_REQ_IMPORT: claims the device for this connection; returns
	 * USBIP_ST_OK with *out filled, or the refusal's status. */
	uint32_t (*import)(void *data, const char *busid, usbip_devinfo *out);
	/* The queue of an endpoint address of the imported device, or -1
	 * when it has no such endpoint. */
	int (*route)(void *data, uint8_t endpoint);
	/* A URB of this queue is running and must end soon (unlinked, or
	 * the connection ends): ends the device's waits that no flag
	 * reaches (the emulator's interrupt wait). */
	void (*cancel)(void *data, unsigned queue);
	/* Bytes to the peer, whole; false when the peer is gone. */
	bool (*send)(void *data, const uint8_t *buf, size_t len);
	void *data;
} usbip_conn_ops;

typedef struct usbip_conn usbip_conn;

usbip_conn *usbip_conn_new(const usbip_conn_ops *ops);
/* After usbip_conn_close and once no executor holds a URB.  NULL allowed. */
void usbip_conn_free(usbip_conn *c);

/* Bytes from the peer, in any pieces.  false: the connection must end
 * (a device list was sent, an import was refused, the peer broke the
 * protocol, a send failed); usbip_conn_error says which. */
bool usbip_conn_feed(usbip_conn *c, const uint8_t *buf, size_t len);
const char *usbip_conn_error(usbip_conn *c);
/* The device was imported (its info in *out when not NULL). */
bool usbip_conn_imported(usbip_conn *c, usbip_devinfo *out);

/* Executors: the next URB of a queue, marked running; NULL once the
 * connection is closed (wait) or when none is queued (!wait). */
usbip_urb *usbip_conn_next(usbip_conn *c, unsigned queue, bool wait);
/* The URB ran (status and actual set): answers it, frees it. */
void usbip_conn_complete(usbip_conn *c, usbip_urb *u);
/* Ends the connection: queued URBs are dropped, running ones cancelled
 * (ops->cancel), waiting executors released; nothing more is sent. */
void usbip_conn_close(usbip_conn *c);
/* Ends it gracefully, as when the device leaves the bus: no URB is taken
 * any more, the queued ones are answered -ESHUTDOWN at once, the running
 * ones are cancelled and still answered (-ESHUTDOWN, or what they got),
 * waiting executors are released.  usbip_conn_close follows once the
 * executors have stopped. */
void usbip_conn_drain(usbip_conn *c);
/* URBs queued or running. */
unsigned usbip_conn_in_flight(usbip_conn *c);

#endif
