/* ccidlab — `ccidlab bench driver`'s floor: the CCID exchanges of one
 * APDU sent on the usbsim shim's bulk pipes with no driver at all.
 *
 * Under the shim every IFDHTransmitToICC costs the emulated reader and
 * card (the shim's pipes, the emulator's CCID and T=1, the readertest
 * applet) plus the driver's own work.  The floor is the first part: the
 * same messages, encoded once before the loop, written and read here.
 * Each driver's own cost per APDU is its time minus the floor, measured
 * in the same rounds.
 *
 * This file calls the libusb-1.0 API the shim implements, resolved at
 * run time from the preloaded shim (the ccidlab command does not link
 * libusb); it is the benchmark's view of the device, as emu:null is its
 * view of pcscd.  The messages come from src/ccid's encoders.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <libusb.h>

#include "ccid/message.h"
#include "ccid/t1.h"
#include "bench/bench_floor.h"

#define TIMEOUT_MS 5000u

static struct {
	__typeof__(&libusb_init) init;
	__typeof__(&libusb_get_device_list) get_list;
	__typeof__(&libusb_free_device_list) free_list;
	__typeof__(&libusb_get_bus_number) bus;
	__typeof__(&libusb_get_device_address) addr;
	__typeof__(&libusb_get_active_config_descriptor) config;
	__typeof__(&libusb_free_config_descriptor) free_config;
	__typeof__(&libusb_open) open;
	__typeof__(&libusb_claim_interface) claim;
	__typeof__(&libusb_release_interface) release;
	__typeof__(&libusb_close) close;
	__typeof__(&libusb_bulk_transfer) bulk;
} api;

struct bench_floor {
	libusb_device_handle *h;
	uint8_t out, in;	/* bulk endpoints */
	bool t1;		/* TPDU reader: APDUs go in T=1 I-blocks */
	unsigned ns;		/* our next N(S) */
	uint8_t seq;		/* bSeq */
	uint8_t msg[CCID_HEADER_SIZE + 300];
	size_t msg_len;
	uint8_t rsp[CCID_HEADER_SIZE + 300];
};

static libusb_context *ctx;

static bool resolve(void)
{
	if (api.bulk != NULL)
		return true;
	/* The shim, preloaded, comes first in the global scope. */
	*(void **)&api.init = dlsym(RTLD_DEFAULT, "libusb_init");
	*(void **)&api.get_list = dlsym(RTLD_DEFAULT, "libusb_get_device_list");
	*(void **)&api.free_list = dlsym(RTLD_DEFAULT, "libusb_free_device_list");
	*(void **)&api.bus = dlsym(RTLD_DEFAULT, "libusb_get_bus_number");
	*(void **)&api.addr = dlsym(RTLD_DEFAULT, "libusb_get_device_address");
	*(void **)&api.config = dlsym(RTLD_DEFAULT, "libusb_get_active_config_descriptor");
	*(void **)&api.free_config = dlsym(RTLD_DEFAULT, "libusb_free_config_descriptor");
	*(void **)&api.open = dlsym(RTLD_DEFAULT, "libusb_open");
	*(void **)&api.claim = dlsym(RTLD_DEFAULT, "libusb_claim_interface");
	*(void **)&api.release = dlsym(RTLD_DEFAULT, "libusb_release_interface");
	*(void **)&api.close = dlsym(RTLD_DEFAULT, "libusb_close");
	*(void **)&api.bulk = dlsym(RTLD_DEFAULT, "libusb_bulk_transfer");
	if (!api.init || !api.get_list || !api.free_list || !api.bus || !api.addr || !api.config ||
	    !api.free_config || !api.open || !api.claim || !api.release || !api.close || !api.bulk) {
		api.bulk = NULL;
		return false;
	}
	return api.init(&ctx) == LIBUSB_SUCCESS;
}

/* Interface 0's bulk endpoints. */
static bool endpoints(libusb_device *dev, bench_floor *f)
{
	struct libusb_config_descriptor *c = NULL;

	if (api.config(dev, &c) != LIBUSB_SUCCESS || c->bNumInterfaces < 1 ||
	    c->interface[0].num_altsetting < 1) {
		if (c != NULL)
			api.free_config(c);
		return false;
	}
	const struct libusb_interface_descriptor *d = &c->interface[0].altsetting[0];
	for (int i = 0; i < d->bNumEndpoints; i++) {
		const struct libusb_endpoint_descriptor *e = &d->endpoint[i];
		if ((e->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
			continue;
		if (e->bEndpointAddress & LIBUSB_ENDPOINT_IN)
			f->in = e->bEndpointAddress;
		else
			f->out = e->bEndpointAddress;
	}
	api.free_config(c);
	return f->in != 0 && f->out != 0;
}

/* One command out, its answer in: the answer's abData length, or -1. */
static long exchange(bench_floor *f, const uint8_t *cmd, size_t len)
{
	int done = 0, got = 0;

	if (api.bulk(f->h, f->out, (unsigned char *)cmd, (int)len, &done, TIMEOUT_MS) != 0 ||
	    (size_t)done != len ||
	    api.bulk(f->h, f->in, f->rsp, (int)sizeof f->rsp, &got, TIMEOUT_MS) != 0)
		return -1;
	ccid_msg m;
	if (ccid_message_decode_header(f->rsp, (size_t)got, &m) != 0 ||
	    (m.p.rdr.bStatus & 0xC0) != 0 || CCID_HEADER_SIZE + m.dwLength != (size_t)got)
		return -1;
	return (long)m.dwLength;
}

static long command(bench_floor *f, uint8_t type, const uint8_t *data, size_t len,
		    const uint8_t raw[3])
{
	ccid_msg m;
	uint8_t buf[CCID_HEADER_SIZE + 300];
	size_t n = 0;

	ccid_message_init(&m, type, 0, f->seq++);
	m.dwLength = (uint32_t)len;
	m.abData = data;
	if (raw != NULL)
		memcpy(m.p.raw, raw, 3);
	if (ccid_message_encode(&m, buf, sizeof buf, &n) != 0)
		return -1;
	return exchange(f, buf, n);
}

/* The XfrBlock of one APDU into f->msg: the APDU itself, or one T=1
 * I-block with the next N(S). */
static bool encode_apdu(bench_floor *f, const uint8_t *apdu, size_t len)
{
	uint8_t block[300];
	size_t blen = 0;
	ccid_msg m;

	if (f->t1) {
		if (ccid_t1_block_encode(0, ccid_t1_block_pcb_i(f->ns, false), apdu, len,
					 CCID_T1_EDC_LRC, block, sizeof block, &blen) != 0)
			return false;
		apdu = block;
		len = blen;
	}
	ccid_message_init(&m, CCID_PC_TO_RDR_XFR_BLOCK, 0, f->seq);
	m.dwLength = (uint32_t)len;
	m.abData = apdu;
	return ccid_message_encode(&m, f->msg, sizeof f->msg, &f->msg_len) == 0;
}

/* The answer of f->rsp ends 90 00 (for T=1: inside the card's I-block). */
static bool answer_ok(const bench_floor *f, long n)
{
	const uint8_t *p = f->rsp + CCID_HEADER_SIZE;

	if (f->t1) {
		ccid_t1_block b;
		if (n < 0 || ccid_t1_block_decode(p, (size_t)n, CCID_T1_EDC_LRC, &b) != 0 ||
		    b.kind != CCID_T1_I_BLOCK || b.more || b.len < 2)
			return false;
		return b.inf[b.len - 2] == 0x90 && b.inf[b.len - 1] == 0x00;
	}
	return n >= 2 && p[n - 2] == 0x90 && p[n - 1] == 0x00;
}

/* Sends the APDU of the last bench_floor_set (or a one-off), re-encoded
 * only where T=1's N(S) and bSeq must move. */
static bool send_current(bench_floor *f)
{
	/* bSeq and N(S) change every time: patch them in place. */
	f->msg[6] = f->seq++;
	if (f->t1) {
		uint8_t *blk = f->msg + CCID_HEADER_SIZE;
		size_t blen = f->msg_len - CCID_HEADER_SIZE;
		blk[1] = ccid_t1_block_pcb_i(f->ns, false);
		blk[blen - 1] = ccid_edc_lrc(blk, blen - 1);
		f->ns ^= 1;
	}
	return answer_ok(f, exchange(f, f->msg, f->msg_len));
}

bool bench_floor_set(bench_floor *f, const uint8_t *apdu, size_t len)
{
	return encode_apdu(f, apdu, len);
}

bool bench_floor_apdu(bench_floor *f)
{
	return send_current(f);
}

bench_floor *bench_floor_open(unsigned bus, unsigned address, bool t1, char *why, size_t why_len)
{
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x06,
					  0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };
	/* T=1, Fi/Di 11, LRC, BWI 4 CWI 13, IFSC 254 (CCID 1.1 §6.1.7). */
	static const uint8_t t1_params[] = { 0x11, 0x10, 0x00, 0x4D, 0x00, 0xFE, 0x00 };
	static const uint8_t proto_t1[3] = { 1, 0, 0 };
	libusb_device **list = NULL;
	bench_floor *f = g_new0(bench_floor, 1);

	f->t1 = t1;
	if (!resolve()) {
		snprintf(why, why_len, "the libusb API is not in this process (preload the shim)");
		goto fail;
	}
	ssize_t n = api.get_list(ctx, &list);
	for (ssize_t i = 0; i < n && f->h == NULL; i++)
		if (api.bus(list[i]) == bus && api.addr(list[i]) == address && endpoints(list[i], f) &&
		    api.open(list[i], &f->h) != LIBUSB_SUCCESS)
			f->h = NULL;
	if (list != NULL)
		api.free_list(list, 1);
	if (f->h == NULL) {
		snprintf(why, why_len, "no usbsim device at %u:%u", bus, address);
		goto fail;
	}
	if (api.claim(f->h, 0) != LIBUSB_SUCCESS) {
		snprintf(why, why_len, "cannot claim interface 0");
		api.close(f->h);
		goto fail;
	}
	if (command(f, CCID_PC_TO_RDR_ICC_POWER_ON, NULL, 0, NULL) < 2 ||
	    (t1 && command(f, CCID_PC_TO_RDR_SET_PARAMETERS, t1_params, sizeof t1_params,
			   proto_t1) < 0) ||
	    !encode_apdu(f, select, sizeof select) || !send_current(f)) {
		snprintf(why, why_len, "power-up, T=1 parameters or SELECT failed");
		api.release(f->h, 0);
		api.close(f->h);
		goto fail;
	}
	return f;
fail:
	g_free(f);
	return NULL;
}

void bench_floor_close(bench_floor *f)
{
	if (f == NULL)
		return;
	api.release(f->h, 0);
	api.close(f->h);
	g_free(f);
}
