/* ccidlab — fuzz target: the USB/IP server's packet parser and its
 * per-connection state machine (src/usbip/wire.c, conn.c), with the URBs
 * it queues run on real emulated devices (src/usbip/urb.c over
 * src/usbdev/ and src/emu/).
 *
 * Input: byte 0 picks how the rest is cut into reads (1 to 64 bytes, or
 * all at once) and whether a running URB is cancelled as by a peer that
 * vanishes; bytes 1.. are what a USB/IP peer sends.  After each read the
 * URBs queued run one by one, as the server's executors do, except that
 * an IN URB waits at most 1 ms (the server's wait until an unlink).  The
 * devices: 1-1 generic-apdu-irq with a readertest card (bulk and
 * interrupt pipes), 1-2 generic-short-poll with composite=hid (an extra
 * interface, no interrupt pipe).
 *
 * Checked: each send is whole replies (an operation reply, or 48-byte
 * RET_SUBMIT / RET_UNLINK headers from a server, a RET_SUBMIT with no
 * data or the actual_length it announces); no URB moves more than it
 * asked; an ended connection says why; every URB is freed once the
 * connection closes (LeakSanitizer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usbip/conn.h"
#include "usbip/usbip_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_ctx {
	usbdev *devs[2];
	usbdev *imported;
} fuzz_ctx;

static const char *const busids[2] = { "1-1", "1-2" };

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A RET_* header from a server: devid, direction and ep are 0. */
static bool ret_header(const uint8_t *p, uint32_t cmd)
{
	return get32(p) == cmd && get32(p + 8) == 0 && get32(p + 12) == 0 && get32(p + 16) == 0;
}

/* Each send is whole replies (conn.c sends each in one piece): an
 * operation reply; a RET_UNLINK; a RET_SUBMIT with no data or the
 * actual_length it announces, maybe followed by a RET_UNLINK 0. */
static void check_send(const uint8_t *p, size_t n)
{
	if (n >= 8 && p[0] == 0x01 && p[1] == 0x11) {
		uint16_t code = (uint16_t)(p[2] << 8 | p[3]);
		uint32_t st = get32(p + 4);
		if (code == USBIP_OP_REP_IMPORT && n == (st == USBIP_ST_OK ? 8 + USBIP_DEVICE_LEN : 8))
			return;
		if (code == USBIP_OP_REP_DEVLIST && n >= 12)
			return;
		abort();
	}
	if (n == USBIP_HEADER_LEN && ret_header(p, USBIP_RET_UNLINK))
		return;
	if (n < USBIP_HEADER_LEN || !ret_header(p, USBIP_RET_SUBMIT))
		abort();
	uint32_t actual = get32(p + 24);
	size_t rest = n - USBIP_HEADER_LEN;
	if (actual > USBIP_MAX_TRANSFER)
		abort();
	if (rest >= USBIP_HEADER_LEN && ret_header(p + n - USBIP_HEADER_LEN, USBIP_RET_UNLINK) &&
	    get32(p + n - USBIP_HEADER_LEN + 20) == 0)
		rest -= USBIP_HEADER_LEN;
	if (rest != 0 && rest != actual)
		abort();
}

static size_t op_devlist(void *data, usbip_devinfo *out, size_t cap)
{
	fuzz_ctx *f = data;
	for (size_t i = 0; i < 2 && i < cap; i++)
		usbip_devinfo_of(f->devs[i], busids[i], 1, (unsigned)i + 2, &out[i]);
	return 2;
}

static uint32_t op_import(void *data, const char *busid, usbip_devinfo *out)
{
	fuzz_ctx *f = data;
	for (size_t i = 0; i < 2; i++)
		if (strcmp(busid, busids[i]) == 0) {
			f->imported = f->devs[i];
			usbip_devinfo_of(f->devs[i], busids[i], 1, (unsigned)i + 2, out);
			return USBIP_ST_OK;
		}
	return USBIP_ST_NODEV;
}

static int op_route(void *data, uint8_t ep)
{
	fuzz_ctx *f = data;
	return usbip_queue_of(f->imported, ep);
}

static void op_cancel(void *data, unsigned queue)
{
	fuzz_ctx *f = data;
	usbip_queue_cancel(f->imported, queue);
}

static bool op_send(void *data, const uint8_t *buf, size_t len)
{
	(void)data;
	check_send(buf, len);
	/* FUZZ_USBIP_TRACE=1: every reply's first 48 bytes, to see what an
	 * input reaches. */
	if (getenv("FUZZ_USBIP_TRACE") != NULL) {
		for (size_t i = 0; i < len && i < USBIP_HEADER_LEN; i++)
			fprintf(stderr, "%02x", buf[i]);
		fprintf(stderr, " (%zu bytes)\n", len);
	}
	return true;
}

/* The executors, one URB at a time; `cancel` flags the first as a
 * vanishing peer's would be. */
static void run_queued(fuzz_ctx *f, usbip_conn *c, bool cancel)
{
	for (unsigned q = 0; q < USBIP_QUEUES; q++) {
		usbip_urb *u;
		while ((u = usbip_conn_next(c, q, false)) != NULL) {
			if (cancel) {
				atomic_store(&u->cancel, true);
				cancel = false;
			}
			usbip_urb_run(f->imported, u, 1);
			if (u->actual > u->cmd.length)
				abort();
			usbip_conn_complete(c, u);
		}
	}
}

static usbdev *make(const char *spec)
{
	usbdev_opts opts = { .default_name = spec, .default_bus = 1, .default_address = 2 };
	usbdev *d = usbdev_new(spec, &opts, NULL);
	if (d == NULL)
		abort();
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_ctx f = { 0 };
	f.devs[0] = make("generic-apdu-irq:card=readertest,t1");
	f.devs[1] = make("generic-short-poll:composite=hid");
	usbip_conn_ops ops = { op_devlist, op_import, op_route, op_cancel, op_send, &f };
	usbip_conn *c = usbip_conn_new(&ops);
	size_t chunk = (data[0] & 0x3F) + 1;
	bool whole = data[0] & 0x40, vanish = data[0] & 0x80;
	const uint8_t *p = data + 1;
	size_t left = size - 1;
	bool open = true;

	while (open && left > 0) {
		size_t k = whole ? left : MIN(chunk, left);
		open = usbip_conn_feed(c, p, k);
		if (open && f.imported != NULL)
			run_queued(&f, c, vanish && k == left);
		p += k;
		left -= k;
	}
	if (open && usbip_conn_imported(c, NULL) != (f.imported != NULL))
		abort();
	if (!open && usbip_conn_error(c)[0] == '\0')
		abort();	/* every end says why */
	usbip_conn_close(c);
	if (usbip_conn_in_flight(c) != 0)
		abort();	/* nothing runs here once the reads are done */
	usbip_conn_free(c);
	if (f.imported != NULL)
		usbdev_replug(f.imported);
	usbdev_unref(f.devs[0]);
	usbdev_unref(f.devs[1]);
	return 0;
}
