/* ccidlab — ccidlab's CCID host engine (src/host/) over USB/IP: a
 * transport whose every call is a URB to a `ccidlab usbip` server, so
 * that the engine the driver runs walks readertest through every case on
 * readers of each exchange level, byte-exact, and the URBs it needs per
 * APDU are counted (the figure the kernel benchmark compares with
 * libccid's).  Prints TAP, and "# urbs-per-apdu BUSID LEVEL CASE N" lines.
 *
 *   usbip_host HOST PORT BUSID:PROTOCOL[:ext]...   (PROTOCOL 0 or 1)
 *
 * Our engine, our client transport, our server: this proves the server
 * carries the engine's exchanges whole and counts what they cost; that
 * a kernel agrees is the VM lab's proof.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <glib.h>

#include "ccid/result.h"
#include "host/host.h"

#define HDR 48
#define DEV_LEN 0x138

enum { K_CONTROL, K_OUT, K_IN, K_IRQ, K_KINDS };

typedef struct uclient {
	int fd;
	uint32_t seq, devid;
	uint8_t ep_out, ep_in, ep_irq, iface;
	GHashTable *dirs;	/* seq -> direction + 1 */
	GHashTable *early;	/* seq -> reply*, read while waiting for another */
	unsigned urbs[K_KINDS];
	bool stop;		/* interrupt_stop, sticky */
} uclient;

typedef struct reply {
	uint32_t cmd, seq;
	int32_t status;
	uint32_t actual;
	uint8_t *data;
} reply;

static int n_tests, failed;

static void ok(bool cond, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n_tests, what);
	fflush(stdout);
	failed |= !cond;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* n bytes within timeout_ms; false on a timeout or a closed socket. */
static bool read_exact(int fd, uint8_t *buf, size_t n, int timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (n > 0) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
		ssize_t k = recv(fd, buf, n, 0);
		if (k <= 0)
			return false;
		buf += k;
		n -= (size_t)k;
	}
	return true;
}

static void reply_free(reply *r)
{
	if (r != NULL)
		g_free(r->data);
	g_free(r);
}

static reply *read_reply(uclient *c, int timeout_ms)
{
	uint8_t h[HDR];
	if (!read_exact(c->fd, h, HDR, timeout_ms))
		return NULL;
	reply *r = g_new0(reply, 1);
	r->cmd = get32(h);
	r->seq = get32(h + 4);
	r->status = (int32_t)get32(h + 20);
	r->actual = r->cmd == 3 ? get32(h + 24) : 0;
	bool in = GPOINTER_TO_UINT(g_hash_table_lookup(c->dirs, GUINT_TO_POINTER(r->seq))) == 2;
	if (r->cmd == 3 && in && r->actual > 0) {
		r->data = g_malloc(r->actual);
		if (!read_exact(c->fd, r->data, r->actual, timeout_ms)) {
			reply_free(r);
			return NULL;
		}
	}
	return r;
}

static reply *wait_reply(uclient *c, uint32_t seq, int timeout_ms)
{
	reply *r = g_hash_table_lookup(c->early, GUINT_TO_POINTER(seq));
	if (r != NULL) {
		g_hash_table_steal(c->early, GUINT_TO_POINTER(seq));
		return r;
	}
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	for (;;) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		if (left <= 0 || (r = read_reply(c, left)) == NULL)
			return NULL;
		if (r->seq == seq)
			return r;
		g_hash_table_insert(c->early, GUINT_TO_POINTER(r->seq), r);
	}
}

static uint32_t submit(uclient *c, uint8_t ep, bool in, const uint8_t *data, size_t len,
		       const uint8_t setup[8])
{
	uint8_t h[HDR] = { 0 };
	uint32_t seq = ++c->seq;
	put32(h, 1);
	put32(h + 4, seq);
	put32(h + 8, c->devid);
	put32(h + 12, in);
	put32(h + 16, ep & 0x0f);
	put32(h + 24, (uint32_t)len);
	put32(h + 32, 0xFFFFFFFFu);
	if (setup != NULL)
		memcpy(h + 40, setup, 8);
	g_hash_table_insert(c->dirs, GUINT_TO_POINTER(seq), GUINT_TO_POINTER(in ? 2u : 1u));
	if (send(c->fd, h, HDR, MSG_NOSIGNAL | (in ? 0 : MSG_MORE)) != HDR ||
	    (!in && len > 0 && send(c->fd, data, len, MSG_NOSIGNAL) != (ssize_t)len))
		return 0;
	unsigned kind = ep == 0 ? K_CONTROL : ep == c->ep_out ? K_OUT : ep == c->ep_in ? K_IN : K_IRQ;
	c->urbs[kind]++;
	return seq;
}

/* One URB to its end; a timeout unlinks it, as a host's does. */
static int xfer(uclient *c, uint8_t ep, bool in, uint8_t *buf, size_t len,
		const uint8_t setup[8], unsigned timeout_ms, size_t *actual)
{
	*actual = 0;
	uint32_t seq = submit(c, ep, in, buf, len, setup);
	if (seq == 0)
		return -ENODEV;
	reply *r = wait_reply(c, seq, timeout_ms ? (int)timeout_ms : 60000);
	if (r == NULL) {
		uint8_t h[HDR] = { 0 };
		put32(h, 2);
		put32(h + 4, ++c->seq);
		put32(h + 8, c->devid);
		put32(h + 20, seq);
		if (send(c->fd, h, HDR, MSG_NOSIGNAL) != HDR)
			return -ENODEV;
		/* RET_UNLINK -ECONNRESET, or the URB's own answer first. */
		r = wait_reply(c, seq, 0);
		if (r == NULL) {
			reply_free(wait_reply(c, c->seq, 5000));
			return -ETIMEDOUT;
		}
		reply_free(wait_reply(c, c->seq, 5000));
	}
	int st = r->status;
	*actual = MIN((size_t)r->actual, len);
	if (in && r->data != NULL)
		memcpy(buf, r->data, *actual);
	reply_free(r);
	return st;
}

static int to_ccid(int st)
{
	switch (st) {
	case 0: return CCID_OK;
	case -ETIMEDOUT: return CCID_E_TIMEOUT;
	case -ENODEV: case -ESHUTDOWN: return CCID_E_NO_DEVICE;
	case -EOVERFLOW: return CCID_E_BUFFER;
	case -EPIPE: return CCID_E_UNSUPPORTED;
	default: return CCID_E_TRANSPORT;
	}
}

/* ---- the transport ---- */

static int t_bulk_out(void *dev, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	uclient *c = dev;
	size_t n;
	return to_ccid(xfer(c, c->ep_out, false, (uint8_t *)buf, len, NULL, timeout_ms, &n));
}

static int t_bulk_in(void *dev, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	uclient *c = dev;
	return to_ccid(xfer(c, c->ep_in, true, buf, cap, NULL, timeout_ms, len));
}

static int t_interrupt_in(void *dev, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	uclient *c = dev;
	*len = 0;
	if (c->stop) {
		c->stop = false;
		return CCID_OK;
	}
	return to_ccid(xfer(c, c->ep_irq, true, buf, cap, NULL, timeout_ms, len));
}

static void t_interrupt_stop(void *dev)
{
	((uclient *)dev)->stop = true;
}

static int t_control(void *dev, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		     size_t *len, unsigned timeout_ms)
{
	uclient *c = dev;
	bool in = data != NULL;
	uint16_t wlen = in ? (uint16_t)MIN(cap, 0xFFFFu) : 0;
	const uint8_t setup[8] = { in ? 0xA1 : 0x21, bRequest, (uint8_t)wValue,
				   (uint8_t)(wValue >> 8), c->iface, 0, (uint8_t)wlen,
				   (uint8_t)(wlen >> 8) };
	size_t n = 0;
	int st = xfer(c, 0, in, data, wlen, setup, timeout_ms, &n);
	if (len != NULL)
		*len = n;
	return to_ccid(st);
}

static int get_descriptor(uclient *c, uint8_t type, uint8_t index, uint16_t lang, uint8_t *buf,
			  size_t cap, size_t *len)
{
	const uint8_t setup[8] = { 0x80, 6, index, type, (uint8_t)lang, (uint8_t)(lang >> 8),
				   (uint8_t)cap, (uint8_t)(cap >> 8) };
	return xfer(c, 0, true, buf, cap, setup, 5000, len);
}

static int t_config_descriptor(void *dev, uint8_t *buf, size_t cap, size_t *len)
{
	return to_ccid(get_descriptor(dev, 2, 0, 0, buf, MIN(cap, 1024u), len));
}

static void string_of(uclient *c, uint8_t index, char *out, size_t cap)
{
	uint8_t b[256];
	size_t n = 0, k = 0;
	out[0] = '\0';
	if (index == 0 || get_descriptor(c, 3, index, 0x0409, b, sizeof b, &n) != 0)
		return;
	for (size_t i = 2; i + 1 < n && k + 1 < cap; i += 2)
		out[k++] = b[i + 1] == 0 && b[i] < 0x80 ? (char)b[i] : '?';
	out[k] = '\0';
}

static int t_info(void *dev, transport_info *out)
{
	uclient *c = dev;
	uint8_t d[18];
	size_t n = 0;
	memset(out, 0, sizeof *out);
	if (get_descriptor(c, 1, 0, 0, d, sizeof d, &n) != 0 || n != sizeof d)
		return CCID_E_TRANSPORT;
	out->idVendor = (uint16_t)(d[8] | d[9] << 8);
	out->idProduct = (uint16_t)(d[10] | d[11] << 8);
	out->bcdDevice = (uint16_t)(d[12] | d[13] << 8);
	out->bInterfaceNumber = c->iface;
	string_of(c, d[14], out->manufacturer, sizeof out->manufacturer);
	string_of(c, d[15], out->product, sizeof out->product);
	string_of(c, d[16], out->serial, sizeof out->serial);
	return CCID_OK;
}

static void t_close(void *dev)
{
	(void)dev;	/* the socket is the test's */
}

static const transport_ops usbip_ops = { TRANSPORT_OPS("usbip-test", t_) };

/* ---- the session ---- */

static bool import(uclient *c, const char *host, int port, const char *busid)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint8_t req[40] = { 0x01, 0x11, 0x80, 0x03 }, rep[8 + DEV_LEN];
	int one = 1;

	inet_pton(AF_INET, host, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	g_strlcpy((char *)req + 8, busid, 32);
	if (send(c->fd, req, sizeof req, MSG_NOSIGNAL) != sizeof req ||
	    !read_exact(c->fd, rep, 8, 5000) || get32(rep + 4) != 0 ||
	    !read_exact(c->fd, rep + 8, DEV_LEN, 5000))
		return false;
	c->devid = get32(rep + 0x128) << 16 | get32(rep + 0x12C);
	/* The CCID interface's endpoints, from the configuration. */
	uint8_t cfg[1024];
	size_t n = 0;
	bool ccid = false;
	if (get_descriptor(c, 2, 0, 0, cfg, sizeof cfg, &n) != 0)
		return false;
	for (size_t off = 0; off + 2 <= n && cfg[off] >= 2; off += cfg[off]) {
		const uint8_t *p = cfg + off;
		if (p[1] == 4 && p[0] >= 9) {
			ccid = p[5] == 0x0B || p[5] == 0xFF;
			if (ccid)
				c->iface = p[2];
		} else if (p[1] == 5 && p[0] >= 7 && ccid) {
			bool in = p[2] & 0x80;
			if ((p[3] & 3) == 2 && in)
				c->ep_in = p[2];
			else if ((p[3] & 3) == 2)
				c->ep_out = p[2];
			else if ((p[3] & 3) == 3 && in)
				c->ep_irq = p[2];
		}
	}
	return c->ep_in != 0 && c->ep_out != 0;
}

static GBytes *pattern(size_t n)
{
	uint8_t *b = g_malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)i;
	return g_bytes_new_take(b, n);
}

/* readertest case `kind` (2, 3 or 4) with n bytes (short or extended
 * encoding), as readertest_sweep.py builds them. */
static GByteArray *apdu_of(int kind, size_t n, bool ext, GBytes **want)
{
	static const uint8_t ins[5] = { 0, 0, 0x34, 0x32, 0x36 };
	GByteArray *a = g_byte_array_new();
	uint8_t head[4] = { 0x80, ins[kind], (uint8_t)(n >> 8), (uint8_t)n };
	g_autoptr(GBytes) pat = pattern(n);
	uint8_t sw[2] = { 0x90, 0x00 };

	if (kind == 3)
		head[2] = head[3] = 0;
	g_byte_array_append(a, head, 4);
	if (kind != 2) {	/* Lc and the data */
		uint8_t lc[3] = { 0, (uint8_t)(n >> 8), (uint8_t)n };
		g_byte_array_append(a, ext ? lc : lc + 2, ext ? 3 : 1);
		g_byte_array_append(a, g_bytes_get_data(pat, NULL), (guint)n);
	}
	if (kind != 3) {	/* Le */
		uint8_t le[3] = { 0, (uint8_t)(n >> 8), (uint8_t)n };
		bool lc_given = kind == 4;
		g_byte_array_append(a, ext ? (lc_given ? le + 1 : le) : le + 2,
				    ext ? (lc_given ? 2 : 3) : 1);
	}
	GByteArray *w = g_byte_array_new();
	if (kind != 3)
		g_byte_array_append(w, g_bytes_get_data(pat, NULL), (guint)n);
	g_byte_array_append(w, sw, 2);
	*want = g_byte_array_free_to_bytes(w);
	return a;
}

static unsigned bulk_urbs(const uclient *c)
{
	return c->urbs[K_OUT] + c->urbs[K_IN];
}

static void sweep(uclient *c, host_reader *h, const char *busid, const char *level, int kind,
		  const size_t *lens, size_t n_lens, bool ext)
{
	g_autofree uint8_t *rsp = g_malloc(70000);
	unsigned bad = 0, urbs = 0;
	char first_bad[128] = "";

	for (size_t i = 0; i < n_lens; i++) {
		GBytes *want = NULL;
		GByteArray *a = apdu_of(kind, lens[i], ext, &want);
		size_t got = 0;
		unsigned before = bulk_urbs(c);
		int rc = host_slot_transmit(h, 0, a->data, a->len, rsp, 70000, &got);
		urbs += bulk_urbs(c) - before;
		size_t wl;
		const uint8_t *w = g_bytes_get_data(want, &wl);
		if (rc != CCID_OK || got != wl || memcmp(rsp, w, wl) != 0) {
			if (bad++ == 0)
				g_snprintf(first_bad, sizeof first_bad, "len %zu: %s, %zu bytes",
					   lens[i], ccid_result_name(rc), got);
		}
		g_byte_array_unref(a);
		g_bytes_unref(want);
	}
	ok(bad == 0, "%s (%s): case %d at %zu lengths (%zu..%zu) byte-exact%s%s", busid, level,
	   kind, n_lens, lens[0], lens[n_lens - 1], bad ? "; first failure: " : "", first_bad);
	printf("# urbs-per-apdu %s %s case%d %.3f\n", busid, level, kind, (double)urbs / n_lens);
}

static void run_reader(const char *host, int port, const char *arg)
{
	g_auto(GStrv) parts = g_strsplit(arg, ":", 3);
	const char *busid = parts[0];
	unsigned proto = parts[1] != NULL && strcmp(parts[1], "0") == 0 ? 0 : 1;
	bool ext = parts[1] != NULL && parts[2] != NULL && strcmp(parts[2], "ext") == 0;
	uclient c = { .fd = -1 };
	char why[256] = "";
	uint8_t atr[40], rsp[300];
	size_t n = 0;

	c.dirs = g_hash_table_new(g_direct_hash, g_direct_equal);
	c.early = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					(GDestroyNotify)reply_free);
	bool imported = import(&c, host, port, busid);
	ok(imported, "%s: imported, its CCID interface's endpoints found", busid);
	transport t = { &usbip_ops, &c };
	host_reader *h = imported ? host_reader_open(t, why, sizeof why) : NULL;
	ok(h != NULL, "%s: ccidlab's host engine opens it over USB/IP%s%s", busid, h ? "" : ": ",
	   why);
	if (h == NULL)
		goto out;
	const char *level = ccid_descriptor_level_name(host_reader_interface(h)->facts.level);
	static const uint8_t sel[] = { 0, 0xA4, 4, 0, 6, 0xA0, 0, 0, 0, 0x18, 0xFF };
	static const uint8_t one[] = { 0x80, 0x30, 0, 0 };
	unsigned before = bulk_urbs(&c);
	bool up = host_slot_power_on(h, 0, atr, sizeof atr, &n) == CCID_OK &&
		  host_slot_set_protocol(h, 0, proto) == CCID_OK;
	printf("# urbs power-on %s %s T=%u %u\n", busid, level, proto, bulk_urbs(&c) - before);
	ok(up && host_slot_transmit(h, 0, sel, sizeof sel, rsp, sizeof rsp, &n) == CCID_OK &&
		   n == 2 && rsp[0] == 0x90,
	   "%s (%s): powered, T=%u, SELECT readertest", busid, level, proto);
	before = bulk_urbs(&c);
	bool one_ok = host_slot_transmit(h, 0, one, sizeof one, rsp, sizeof rsp, &n) == CCID_OK &&
		      n == 2 && rsp[0] == 0x90;
	ok(one_ok, "%s (%s): case 1 answers 90 00", busid, level);
	printf("# urbs-per-apdu %s %s case1 %.3f\n", busid, level, (double)(bulk_urbs(&c) - before));
	size_t short_lens[255];
	for (size_t i = 0; i < 255; i++)
		short_lens[i] = i + 1;
	for (int kind = 3; kind >= 2; kind--)
		sweep(&c, h, busid, level, kind, short_lens, 255, false);
	sweep(&c, h, busid, level, 4, short_lens, 255, false);
	if (ext) {
		static const size_t ext_lens[] = { 256, 257, 1000, 1024, 1025, 4096, 30000, 65535 };
		for (int kind = 3; kind >= 2; kind--)
			sweep(&c, h, busid, level, kind, ext_lens, G_N_ELEMENTS(ext_lens), true);
	}
	printf("# urbs %s total control %u bulk-out %u bulk-in %u interrupt %u\n", busid,
	       c.urbs[K_CONTROL], c.urbs[K_OUT], c.urbs[K_IN], c.urbs[K_IRQ]);
	host_reader_close(h);
out:
	if (c.fd >= 0)
		close(c.fd);
	g_hash_table_unref(c.early);
	g_hash_table_unref(c.dirs);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: usbip_host HOST PORT BUSID:PROTOCOL[:ext]...\n");
		return 2;
	}
	for (int i = 3; i < argc; i++)
		run_reader(argv[1], atoi(argv[2]), argv[i]);
	printf("1..%d\n", n_tests);
	return failed;
}
