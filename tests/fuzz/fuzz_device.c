/* ccidlab — the malicious device of the stateful fuzz targets
 * (fuzz_device.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ccid/bytes.h"
#include "ccid/descriptor.h"
#include "ccid/message.h"
#include "ccid/quirks.h"
#include "ccid/result.h"
#include "fuzz_device.h"
#include "vclock.h"

#define MAX_QUEUE 256u		/* device records waiting, each queue */
#define MAX_ANSWER 70000u	/* one bulk-IN answer: past any dwMax */

/* dwMaxCCIDMessageLength: the edges (none, less than a header, a header,
 * the short APDU sizes, the extended ones, past CCID's maximum). */
static const uint32_t dwmax_values[] = {
	0,	  9,	    10,	      11,	  12,	      64,	  261,	    263,
	270,	  271,	    272,      1034,	  4096,	      65543,	  65544,    65553,
	65554,	  65555,    524288,   0x7FFFFFFFu, 0xFFFFFFF0u, 0xFFFFFFFFu, 300, 2058,
};

typedef struct item {
	uint8_t kind;		/* record kind */
	uint8_t flags;
	uint8_t arg;
	const uint8_t *data;
	size_t len;
} item;

struct fdev {
	const uint8_t *in;
	size_t size, pos;
	uint8_t hdr[FDEV_HEADER];
	uint8_t config[512];
	size_t config_len;
	transport_info info;

	GMutex lock;		/* everything below */
	GQueue bulk;		/* item *: answers, silences, time extensions */
	GQueue irq;		/* item *: interrupt messages */
	GQueue ctrl;		/* item *: control replies */
	GQueue out_fail;	/* item *: bulk-OUT failures */
	bool gone;
	bool irq_stop;
	uint8_t last_cmd[CCID_HEADER_SIZE];	/* the last PC_to_RDR header */
	bool have_cmd;
	uint8_t *answer;	/* MAX_ANSWER, the answer being built */
};

static unsigned take(fdev *d, size_t n, const uint8_t **p)
{
	static const uint8_t zeros[4];
	if (d->pos + n <= d->size) {
		*p = d->in + d->pos;
		d->pos += n;
		return (unsigned)n;
	}
	*p = zeros;
	d->pos = d->size;
	return 0;
}

static unsigned take_u8(fdev *d)
{
	const uint8_t *p;
	take(d, 1, &p);
	return p[0];
}

static unsigned take_u16(fdev *d)
{
	const uint8_t *p;
	take(d, 2, &p);
	return ccid_get_le16(p);
}

/* len bytes of the input (fewer at its end). */
static const uint8_t *take_bytes(fdev *d, size_t want, size_t *got)
{
	size_t n = MIN(want, d->size - d->pos);
	const uint8_t *p = d->in + d->pos;
	d->pos += n;
	*got = n;
	return p;
}

/* ---- the descriptor ---- */

static uint8_t *put_ep(uint8_t *o, uint8_t addr, uint8_t attr, uint16_t packet)
{
	o[0] = 7;
	o[1] = 5;
	o[2] = addr;
	o[3] = attr;
	ccid_put_le16(o + 4, packet);
	o[6] = attr == 3 ? 1 : 0;
	return o + 7;
}

static uint8_t *put_class(const fdev *d, uint8_t *o)
{
	static const uint32_t levels[4] = { 0, 0x00010000u, 0x00020000u, 0x00040000u };
	const uint8_t *h = d->hdr;
	uint32_t features = levels[h[1] & 3u] | ((h[1] & 0x08u) ? CCID_FEAT_AUTO_VOLTAGE : 0) |
			    ((h[1] & 0x10u) ? CCID_FEAT_AUTO_PPS_PROP : 0);

	memset(o, 0, CCID_CLASS_DESC_LEN);
	o[0] = CCID_CLASS_DESC_LEN;
	o[1] = CCID_DESC_TYPE_CCID;
	ccid_put_le16(o + 2, 0x0110);
	o[4] = h[0];
	o[5] = (uint8_t)((h[3] >> 4) & 7u);
	ccid_put_le32(o + 6, h[3] & 3u);
	ccid_put_le32(o + 10, 4000);
	ccid_put_le32(o + 14, 4000);
	ccid_put_le32(o + 19, 10752);
	ccid_put_le32(o + 23, 344086);
	ccid_put_le32(o + 28, 254);
	ccid_put_le32(o + 40, features);
	ccid_put_le32(o + 44, dwmax_values[h[2] % G_N_ELEMENTS(dwmax_values)]);
	o[48] = 0xFF;
	o[49] = 0xFF;
	o[52] = h[4];
	o[53] = h[5];
	return o + CCID_CLASS_DESC_LEN;
}

/* USB 2.0 §9.6.3: configuration, the CCID interface, its class
 * descriptor (CCID 1.1 §5.1) and endpoints. */
static void build_config(fdev *d)
{
	bool irq = d->hdr[1] & 0x04u, after = d->hdr[1] & 0x20u;
	uint8_t *c = d->config, *o = c + 9;

	memset(c, 0, sizeof d->config);
	c[0] = 9;
	c[1] = 2;
	c[4] = 1;
	c[5] = 1;
	c[7] = 0x80;
	const uint8_t iface[9] = { 9, 4, 0, 0, (uint8_t)(irq ? 3 : 2), 0x0B, 0, 0, 0 };
	memcpy(o, iface, sizeof iface);
	o += sizeof iface;
	if (!after)
		o = put_class(d, o);
	o = put_ep(o, 0x01, 2, 64);
	o = put_ep(o, 0x82, 2, 64);
	if (irq)
		o = put_ep(o, 0x83, 3, 16);
	if (after)
		o = put_class(d, o);
	d->config_len = (size_t)(o - c);
	ccid_put_le16(c + 2, (uint16_t)d->config_len);
}

static void build_info(fdev *d)
{
	memset(&d->info, 0, sizeof d->info);
	d->info.idVendor = 0x1209;
	d->info.idProduct = 0x0002;
	d->info.bcdDevice = (uint16_t)(d->hdr[7] << 8);
	if (d->hdr[1] & 0x80u) {
		unsigned n = 0;
		const ccid_quirk *q = ccid_quirks_table(&n);
		if (n > 0) {
			q += d->hdr[7] % n;
			d->info.idVendor = q->idVendor;
			d->info.idProduct = q->idProduct;
			d->info.bcdDevice = q->bcdDevice_min;
		}
	}
	g_strlcpy(d->info.product, "fuzz device", sizeof d->info.product);
}

fdev *fdev_new(const uint8_t *data, size_t size)
{
	if (size < FDEV_HEADER)
		return NULL;
	fdev *d = g_new0(fdev, 1);
	d->in = data;
	d->size = size;
	d->pos = FDEV_HEADER;
	memcpy(d->hdr, data, FDEV_HEADER);
	g_mutex_init(&d->lock);
	g_queue_init(&d->bulk);
	g_queue_init(&d->irq);
	g_queue_init(&d->ctrl);
	g_queue_init(&d->out_fail);
	d->answer = g_malloc(MAX_ANSWER);
	build_config(d);
	build_info(d);
	return d;
}

void fdev_free(fdev *d)
{
	if (d == NULL)
		return;
	g_queue_clear_full(&d->bulk, g_free);
	g_queue_clear_full(&d->irq, g_free);
	g_queue_clear_full(&d->ctrl, g_free);
	g_queue_clear_full(&d->out_fail, g_free);
	g_mutex_clear(&d->lock);
	g_free(d->answer);
	g_free(d);
}

unsigned fdev_timeout_ms(const fdev *d)
{
	return (d->hdr[6] & 0x0Fu) * 100u;
}

unsigned fdev_cap_ms(const fdev *d)
{
	return (d->hdr[6] >> 4) * 1000u;
}

uint32_t fdev_dwmax(const fdev *d)
{
	return dwmax_values[d->hdr[2] % G_N_ELEMENTS(dwmax_values)];
}

bool fdev_has_interrupt(const fdev *d)
{
	return (d->hdr[1] & 0x04u) != 0;
}

/* ---- the record stream ---- */

static void queue(GQueue *q, item *it)
{
	if (g_queue_get_length(q) >= MAX_QUEUE)
		g_free(g_queue_pop_head(q));
	g_queue_push_tail(q, it);
}

/* One device record into its queue; lock held. */
static void device_record(fdev *d, uint8_t kind, uint8_t flags)
{
	item *it = g_new0(item, 1);
	it->kind = kind;
	it->flags = flags;
	switch (kind) {
	case 0:
		it->data = take_bytes(d, take_u16(d), &it->len);
		queue(&d->bulk, it);
		return;
	case 1:
		queue(&d->bulk, it);
		return;
	case 2:
		it->arg = (uint8_t)take_u8(d);
		queue(&d->bulk, it);
		return;
	case 3:
		d->gone = true;
		break;
	case 4:
		it->data = take_bytes(d, take_u8(d), &it->len);
		queue(&d->irq, it);
		return;
	case 5:
		it->data = take_bytes(d, take_u8(d), &it->len);
		queue(&d->ctrl, it);
		return;
	case 6:
		queue(&d->out_fail, it);
		return;
	default:
		break;
	}
	g_free(it);
}

bool fdev_next_op(fdev *d, fdev_op *op)
{
	g_mutex_lock(&d->lock);
	while (d->pos < d->size) {
		uint8_t b = (uint8_t)take_u8(d);
		uint8_t kind = b & 0x0Fu, flags = b & 0xF0u;
		if (kind < FDEV_OP_POWER) {
			device_record(d, kind, flags);
			continue;
		}
		memset(op, 0, sizeof *op);
		op->kind = (fdev_op_kind)kind;
		op->flags = flags;
		op->slot = take_u8(d);
		switch (op->kind) {
		case FDEV_OP_SET_PROTOCOL:
		case FDEV_OP_INTERRUPT_WAIT:
			op->arg = take_u8(d);
			break;
		case FDEV_OP_TRANSMIT:
		case FDEV_OP_ESCAPE:
		case FDEV_OP_SECURE:
			op->arg = take_u16(d);
			op->data = take_bytes(d, take_u16(d), &op->len);
			break;
		default:
			break;
		}
		g_mutex_unlock(&d->lock);
		return true;
	}
	g_mutex_unlock(&d->lock);
	return false;
}

/* ---- the transport's side ---- */

bool fdev_gone(fdev *d)
{
	g_mutex_lock(&d->lock);
	bool g = d->gone;
	g_mutex_unlock(&d->lock);
	return g;
}

/* What the host sends must be one PC_to_RDR message the device can take. */
static void check_sent(fdev *d, const uint8_t *buf, size_t len)
{
	ccid_class_desc desc;
	ccid_class_facts facts;
	const uint8_t *cls = NULL;

	for (size_t off = 0; off + 2 <= d->config_len; off += d->config[off])
		if (d->config[off + 1] == CCID_DESC_TYPE_CCID)
			cls = d->config + off;
	if (cls == NULL || ccid_descriptor_decode_class(cls, CCID_CLASS_DESC_LEN, &desc, &facts) != 0)
		abort();
	/* The length the host uses: the clamped declaration, or the quirk
	 * table's own for a reader known to misstate it. */
	uint32_t max = ccid_quirks_message_length(
		ccid_quirks_find(d->info.idVendor, d->info.idProduct, d->info.bcdDevice),
		facts.message_length);
	ccid_msg_limits lim = { max, desc.bMaxSlotIndex };
	ccid_msg m;
	if (len > max && max >= CCID_HEADER_SIZE) {
		fprintf(stderr, "fdev: the host sent %zu bytes, over %u\n", len, max);
		abort();
	}
	int rc = ccid_message_decode(buf, len, &lim, &m, NULL);
	if (rc != CCID_OK || m.bMessageType >= 0x80) {
		fprintf(stderr, "fdev: the host sent a message no reader decodes: %s\n",
			ccid_result_name(rc));
		abort();
	}
}

int fdev_bulk_out(fdev *d, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	if (len >= CCID_HEADER_SIZE)
		check_sent(d, buf, len);
	g_mutex_lock(&d->lock);
	if (d->gone) {
		g_mutex_unlock(&d->lock);
		return CCID_E_NO_DEVICE;
	}
	item *f = g_queue_pop_head(&d->out_fail);
	if (f == NULL && len >= CCID_HEADER_SIZE) {
		memcpy(d->last_cmd, buf, CCID_HEADER_SIZE);
		d->have_cmd = true;
	}
	g_mutex_unlock(&d->lock);
	if (f == NULL)
		return CCID_OK;
	bool timeout = f->flags & 0x10u;
	g_free(f);
	if (timeout)
		vclock_advance_ms(timeout_ms);
	return timeout ? CCID_E_TIMEOUT : CCID_E_TRANSPORT;
}

/* An answer shaped on the last command sent, as the flags ask; lock held. */
static size_t shape(fdev *d, const item *it, uint8_t *out)
{
	size_t n = MIN(it->len, (size_t)MAX_ANSWER);
	if (n > 0)
		memcpy(out, it->data, n);
	if (it->kind == 2) {
		/* A time extension: the command's header, bStatus 0x80. */
		memset(out, 0, CCID_HEADER_SIZE);
		out[0] = ccid_message_response_type(d->last_cmd[0]);
		out[5] = d->last_cmd[5];
		out[6] = d->last_cmd[6];
		out[7] = CCID_BSTATUS_CMD_TIME_EXTENSION;
		out[8] = it->arg;
		return CCID_HEADER_SIZE;
	}
	if (n < CCID_HEADER_SIZE || !d->have_cmd)
		return n;
	if (it->flags & 0x10u)
		out[6] = d->last_cmd[6];
	if (it->flags & 0x20u)
		out[5] = d->last_cmd[5];
	if (it->flags & 0x40u)
		ccid_put_le32(out + 1, (uint32_t)(n - CCID_HEADER_SIZE));
	if (it->flags & 0x80u)
		out[0] = ccid_message_response_type(d->last_cmd[0]);
	return n;
}

int fdev_bulk_in(fdev *d, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	*len = 0;
	g_mutex_lock(&d->lock);
	if (d->gone) {
		g_mutex_unlock(&d->lock);
		return CCID_E_NO_DEVICE;
	}
	item *it = g_queue_pop_head(&d->bulk);
	if (it == NULL || it->kind == 1) {
		g_mutex_unlock(&d->lock);
		g_free(it);
		vclock_advance_ms(timeout_ms);	/* a device that says nothing */
		return CCID_E_TIMEOUT;
	}
	size_t n = shape(d, it, d->answer);
	g_free(it);
	int rc = CCID_OK;
	if (n > cap)
		rc = CCID_E_BUFFER;	/* transport.h: dropped */
	else {
		memcpy(buf, d->answer, n);
		*len = n;
	}
	g_mutex_unlock(&d->lock);
	return rc;
}

int fdev_interrupt_in(fdev *d, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	*len = 0;
	g_mutex_lock(&d->lock);
	if (d->gone) {
		g_mutex_unlock(&d->lock);
		return CCID_E_NO_DEVICE;
	}
	if (d->irq_stop) {
		d->irq_stop = false;
		g_mutex_unlock(&d->lock);
		return CCID_OK;
	}
	item *it = g_queue_pop_head(&d->irq);
	g_mutex_unlock(&d->lock);
	if (it == NULL) {
		vclock_advance_ms(timeout_ms);
		return CCID_E_TIMEOUT;
	}
	int rc = CCID_OK;
	if (it->flags & 0x10u)
		rc = CCID_E_TRANSPORT;	/* a stall */
	else if (it->len > cap || (it->flags & 0x20u))
		rc = CCID_E_BUFFER;	/* babble */
	else if (it->len == 0)
		rc = CCID_E_TIMEOUT;	/* a zero-length packet: nothing came */
	else {
		memcpy(buf, it->data, it->len);
		*len = it->len;
	}
	g_free(it);
	return rc;
}

void fdev_interrupt_stop(fdev *d)
{
	g_mutex_lock(&d->lock);
	d->irq_stop = true;
	g_mutex_unlock(&d->lock);
}

int fdev_control(fdev *d, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		 size_t *len, unsigned timeout_ms)
{
	if (len != NULL)
		*len = 0;
	g_mutex_lock(&d->lock);
	if (d->gone) {
		g_mutex_unlock(&d->lock);
		return CCID_E_NO_DEVICE;
	}
	bool stall = d->hdr[1] & 0x40u;
	item *it = data != NULL ? g_queue_pop_head(&d->ctrl) : NULL;
	g_mutex_unlock(&d->lock);
	(void)bRequest;
	(void)wValue;
	int rc = CCID_OK;
	if (it != NULL && (it->flags & 0x20u)) {
		vclock_advance_ms(timeout_ms);
		rc = CCID_E_TIMEOUT;
	} else if ((it != NULL && (it->flags & 0x10u)) || (it == NULL && data != NULL && stall)) {
		rc = CCID_E_UNSUPPORTED;
	} else if (it != NULL) {
		size_t n = MIN(it->len, cap);
		memcpy(data, it->data, n);
		*len = n;
	}
	g_free(it);
	return rc;
}

int fdev_config_descriptor(fdev *d, uint8_t *buf, size_t cap, size_t *len)
{
	if (d->config_len > cap)
		return CCID_E_BUFFER;
	memcpy(buf, d->config, d->config_len);
	*len = d->config_len;
	return CCID_OK;
}

int fdev_info(fdev *d, transport_info *out)
{
	*out = d->info;
	return CCID_OK;
}

static int op_bulk_out(void *p, const uint8_t *buf, size_t len, unsigned timeout_ms)
{
	return fdev_bulk_out(p, buf, len, timeout_ms);
}

static int op_bulk_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	return fdev_bulk_in(p, buf, cap, len, timeout_ms);
}

static int op_interrupt_in(void *p, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	return fdev_interrupt_in(p, buf, cap, len, timeout_ms);
}

static void op_interrupt_stop(void *p)
{
	fdev_interrupt_stop(p);
}

static int op_control(void *p, uint8_t bRequest, uint16_t wValue, uint8_t *data, size_t cap,
		      size_t *len, unsigned timeout_ms)
{
	return fdev_control(p, bRequest, wValue, data, cap, len, timeout_ms);
}

static int op_config_descriptor(void *p, uint8_t *buf, size_t cap, size_t *len)
{
	return fdev_config_descriptor(p, buf, cap, len);
}

static int op_info(void *p, transport_info *out)
{
	return fdev_info(p, out);
}

static void op_close(void *p)
{
	(void)p;
}

static const transport_ops ops = { TRANSPORT_OPS("fuzz", op_) };

transport fdev_transport(fdev *d)
{
	transport t = { .ops = &ops, .dev = d };
	return t;
}
