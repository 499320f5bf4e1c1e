/* ccidlab — APDUs at the reader's exchange level: the pure engines of
 * src/ccid/ run over XfrBlock exchanges bound here. */
#include "config.h"

#include <string.h>

#include "ccid/exchange.h"
#include "ccid/t0.h"
#include "host/reader_priv.h"

typedef struct xfr_ctx {
	host_reader *r;
	host_gate *g;		/* the slot's, held for the whole APDU */
	unsigned slot;
	uint8_t *buf;		/* one whole answer message */
	size_t cap;
	bool whole;		/* give the engine the header too (exchange.c) */
	unsigned timeouts;	/* commands of this APDU that ran out of time */
	bool timed_out;		/* ... and the APDU was ended for it */
} xfr_ctx;

/* One XfrBlock; the slot's gate is held by the caller for the whole APDU. */
static int xfr_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint, uint8_t *rx,
			size_t rx_cap, size_t *rx_len)
{
	xfr_ctx *x = ctx;
	ccid_msg cmd, rsp;

	/* Past the APDU's cap, an exchange is not a lost block to recover
	 * from (the T=1 engine would spend its R-blocks and S(RESYNCH)s on
	 * nothing, then declare the link dead): a transport failure, after
	 * which the T=1 engine resynchronises on the next APDU instead. */
	if (x->g->op_end != 0 && g_get_monotonic_time() >= x->g->op_end)
		return CCID_E_TRANSPORT;
	/* A message the reader cannot take is not sent: the engines above
	 * keep under the bound (xfer max_payload); this is the last guard,
	 * and what it refuses is no lost block to recover. */
	if (tx_len > host_payload_max(x->r))
		return CCID_E_READER_LIMIT;
	ccid_message_init(&cmd, CCID_PC_TO_RDR_XFR_BLOCK, (uint8_t)x->slot, 0);
	cmd.dwLength = (uint32_t)tx_len;
	cmd.abData = tx;
	cmd.p.xfr.wLevelParameter = (uint16_t)hint;
	int rc = host_command_gated(x->r, &cmd, x->buf, x->cap, &rsp);
	if (rc == CCID_E_TIMEOUT && ++x->timeouts > 1) {
		/* The reader itself said nothing within its timeout, twice (a
		 * card that is slow answers with time extensions, a mute one
		 * with ICC_MUTE).  The first time the T=1 engine retries (an
		 * answer lost on the bus comes back on an R-block); after that
		 * more retries would only wait as long again, up to seven
		 * times: a transport failure ends the APDU, and the link
		 * resynchronises on the next one. */
		x->timed_out = true;
		return CCID_E_TRANSPORT;
	}
	if (rc != CCID_OK)
		return rc;
	size_t n = x->whole ? CCID_HEADER_SIZE + rsp.dwLength : rsp.dwLength;
	const uint8_t *src = x->whole ? x->buf : rsp.abData;
	if (n > rx_cap)
		return CCID_E_BUFFER;
	if (n > 0)	/* an empty DataBlock has no abData at all */
		memmove(rx, src, n);
	*rx_len = n;
	return CCID_OK;
}

/* A card's time request (T=1 S(WTX), T=0 NULL): the next read waits longer. */
static void xfr_extend(void *ctx, unsigned multiplier)
{
	xfr_ctx *x = ctx;
	g_mutex_lock(&x->r->lock);
	x->r->stats.wtx++;
	g_mutex_unlock(&x->r->lock);
	x->g->pending_mult = multiplier ? multiplier : 1;
}

/* The engines' view of one XfrBlock: its abData is at most one message's
 * (CCID 1.1 §6.1.4), which they split under where they can. */
static ccid_xfer make_xfer(xfr_ctx *x)
{
	ccid_xfer xf = { .exchange = xfr_exchange, .extend_time = xfr_extend, .ctx = x,
			 .max_payload = host_payload_max(x->r) };
	return xf;
}

/* The xfer the T=1 engine takes: XfrBlocks themselves at TPDU level
 * (CCID 1.1 §6.1.4: one block each way), blocks as characters at the
 * character level (ccid/t1.h, t1_char.c). */
static ccid_xfer t1_blocks(const host_reader *r, const ccid_xfer *xf, ccid_t1_char *tc,
			   const ccid_t1_host *t1)
{
	if (r->iface.facts.level == CCID_LEVEL_CHARACTER)
		return ccid_t1_char_xfer(tc, xf, t1->edc);
	return *xf;
}

static int transmit_level(host_reader *r, xfr_ctx *xp, unsigned slot, const uint8_t *apdu,
			  size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	host_slot *s = &r->slots[slot];
	ccid_xfer xf = make_xfer(xp);
	uint32_t max_msg = r->msg_max;

	switch (r->iface.facts.level) {
	case CCID_LEVEL_SHORT_APDU:
	case CCID_LEVEL_EXTENDED_APDU: {
		/* The engine needs a header's room past the response. */
		xp->whole = true;
		g_autofree uint8_t *tmp = g_malloc(cap + CCID_HEADER_SIZE);
		int rc = ccid_exchange_transmit(&xf, r->iface.facts.level, max_msg, apdu, len, tmp,
						cap + CCID_HEADER_SIZE, rsp_len);
		if (rc == CCID_OK)
			memcpy(rsp, tmp, *rsp_len);
		return rc;
	}
	case CCID_LEVEL_TPDU:
		if (s->protocol == 1)
			return ccid_t1_host_transceive(&s->t1, &xf, apdu, len, rsp, cap, rsp_len);
		return ccid_t0_transceive(&xf, CCID_T0_LEVEL_TPDU, apdu, len, rsp, cap, rsp_len);
	case CCID_LEVEL_CHARACTER:
		if (s->protocol == 1) {
			ccid_t1_char tc;
			ccid_xfer blocks = t1_blocks(r, &xf, &tc, &s->t1);
			return ccid_t1_host_transceive(&s->t1, &blocks, apdu, len, rsp, cap, rsp_len);
		}
		return ccid_t0_transceive(&xf, CCID_T0_LEVEL_CHAR, apdu, len, rsp, cap, rsp_len);
	}
	return CCID_E_UNSUPPORTED;
}

/* The log line's words for CCID_E_READER_LIMIT: what could not be carried
 * and what the reader carries. */
static void explain_limit(host_reader *r, unsigned slot, const uint8_t *apdu, size_t len)
{
	ccid_t0_apdu a;
	const char *what = "APDU";
	char detail[64] = "";
	ccid_exchange_level level = r->iface.facts.level;

	if (r->slots[slot].protocol == 0 && level == CCID_LEVEL_TPDU &&
	    ccid_t0_classify(apdu, len, &a) == CCID_OK) {
		what = ccid_t0_case_name(a.kase);
		if (a.kase == CCID_T0_CASE_2S)
			g_snprintf(detail, sizeof detail, ", its answer %zu bytes", a.ne + 2);
		else
			g_snprintf(detail, sizeof detail, ", TPDU %zu bytes", 5 + a.lc);
	}
	host_slot_set_why(r, slot,
			  "%s of %zu bytes%s: one message of this reader carries %zu bytes "
			  "(dwMaxCCIDMessageLength %u, %s level, T=%d), which cannot split it",
			  what, len, detail, host_payload_max(r), r->msg_max, ccid_descriptor_level_name(level),
			  r->slots[slot].protocol);
}

/* An overrun the reader reported: when the answer asked for is longer
 * than one of its messages, that is the likely why. */
static void explain_overrun(host_reader *r, unsigned slot, const uint8_t *apdu, size_t len)
{
	ccid_t0_apdu a;

	if (ccid_t0_classify(apdu, len, &a) != CCID_OK || a.ne + 2 <= host_payload_max(r))
		return;
	host_slot_set_why(r, slot,
			  "the reader reported an overrun: the answer asked for (Ne %zu, %zu "
			  "bytes with SW1 SW2) is longer than one message of this reader carries "
			  "(%zu bytes, dwMaxCCIDMessageLength %u, %s level)",
			  a.ne, a.ne + 2, host_payload_max(r), r->msg_max,
			  ccid_descriptor_level_name(r->iface.facts.level));
}

static int transmit_gated(host_reader *r, host_gate *g, unsigned slot, const uint8_t *apdu,
			  size_t len, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	xfr_ctx x = { .r = r, .g = g, .slot = slot, .buf = g->answer, .cap = r->scratch_cap };
	unsigned removals = host_removals(r, slot);
	int rc = transmit_level(r, &x, slot, apdu, len, rsp, cap, rsp_len);
	/* CCID 1.1 §6.3.1: a NotifySlotChange emptied the slot while the
	 * APDU ran; whatever came back was not the card's answer to it. */
	if (host_removals(r, slot) != removals) {
		host_slot_set_why(r, slot, "the card left during the command");
		return CCID_R_ICC_ABSENT;
	}
	if (rc == CCID_E_READER_LIMIT)
		explain_limit(r, slot, apdu, len);
	else if (rc == CCID_R_OVERRUN)
		explain_overrun(r, slot, apdu, len);
	/* Commands that ran out of time were reported to the engines as a
	 * transport failure (xfr_exchange): to pcscd it is a timeout. */
	return rc != CCID_OK && (x.timed_out || x.timeouts > 0) ? CCID_E_TIMEOUT : rc;
}

int host_slot_transmit(host_reader *r, unsigned slot, const uint8_t *apdu, size_t len,
		       uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	if (slot >= r->iface.facts.slot_count)
		return CCID_E_BAD_SLOT;
	host_slot *s = &r->slots[slot];
	s->why[0] = '\0';
	if (s->atr_len == 0)
		return CCID_R_ICC_INACTIVE;
	/* Nobody chose: the card's default protocol (ISO 7816-3 §6.3.1). */
	if (s->protocol < 0) {
		int rc = host_slot_set_protocol(r, slot, s->atr_ok ? s->parsed.default_protocol : 0);
		if (rc != CCID_OK)
			return rc;
	}
	host_gate *g = host_gate_of(r, slot);
	g_mutex_lock(&g->lock);
	/* The cap holds for the APDU as a whole: a card that keeps asking
	 * for time block after block (T=1 S(WTX), T=0 NULL) is cut off too. */
	g->op_end = g_get_monotonic_time() + (gint64)host_reader_timeout_cap(r) * 1000;
	int rc = transmit_gated(r, g, slot, apdu, len, rsp, cap, rsp_len);
	if (rc != CCID_OK && g_get_monotonic_time() >= g->op_end)
		rc = CCID_E_TIMEOUT;	/* the cap ended it, whatever failed last */
	g->op_end = 0;
	g_mutex_unlock(&g->lock);
	return rc;
}

int host_t1_negotiate(host_reader *r, unsigned slot, unsigned ifsd)
{
	host_gate *g = host_gate_of(r, slot);
	xfr_ctx x = { .r = r, .g = g, .slot = slot, .buf = g->answer, .cap = r->scratch_cap };
	ccid_xfer xf = make_xfer(&x);
	ccid_t1_char tc;
	ccid_xfer blocks = t1_blocks(r, &xf, &tc, &r->slots[slot].t1);

	g_mutex_lock(&g->lock);
	int rc = ccid_t1_host_negotiate_ifsd(&r->slots[slot].t1, &blocks, ifsd);
	g_mutex_unlock(&g->lock);
	/* A card that ignores S(IFS) keeps IFSD 32: the link still works. */
	return rc == CCID_E_RETRIES ? CCID_OK : rc;
}

static int data_command(host_reader *r, uint8_t type, unsigned slot, const uint8_t *in,
			size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	ccid_msg cmd, rsp;

	if (slot >= r->iface.facts.slot_count)
		return CCID_E_BAD_SLOT;
	ccid_message_init(&cmd, type, (uint8_t)slot, 0);
	cmd.dwLength = (uint32_t)len;
	cmd.abData = in;
	host_gate *g = host_gate_of(r, slot);
	g_mutex_lock(&g->lock);
	int rc = host_command_gated(r, &cmd, g->answer, r->scratch_cap, &rsp);
	if (rc == CCID_OK) {
		if (rsp.dwLength > cap)
			rc = CCID_E_BUFFER;
		else {
			if (rsp.dwLength > 0)
				memcpy(out, rsp.abData, rsp.dwLength);
			*out_len = rsp.dwLength;
		}
	}
	g_mutex_unlock(&g->lock);
	return rc;
}

int host_escape(host_reader *r, unsigned slot, const uint8_t *in, size_t len, uint8_t *out,
		size_t cap, size_t *out_len)
{
	return data_command(r, CCID_PC_TO_RDR_ESCAPE, slot, in, len, out, cap, out_len);
}

int host_secure(host_reader *r, unsigned slot, const uint8_t *in, size_t len, uint8_t *out,
		size_t cap, size_t *out_len)
{
	return data_command(r, CCID_PC_TO_RDR_SECURE, slot, in, len, out, cap, out_len);
}

/* CCID 1.1 §6.3.1: a slot whose changed bit is set and present bit clear
 * lost its card; a command in flight on it must not take an answer
 * (command.c judge, transmit_gated). */
static void count_removals(host_reader *r, const ccid_notify *n)
{
	g_mutex_lock(&r->lock);
	for (unsigned i = 0; i < r->iface.facts.slot_count; i++)
		if (ccid_message_notify_changed(n, i) && !ccid_message_notify_present(n, i))
			r->removals[i]++;
	g_mutex_unlock(&r->lock);
}

int host_interrupt_wait(host_reader *r, unsigned timeout_ms, ccid_interrupt *out)
{
	uint8_t buf[1 + (CCID_MAX_SLOTS + 3) / 4];
	size_t len = 0;

	if (!host_reader_has_interrupt(r))
		return CCID_E_UNSUPPORTED;
	int rc = r->t.ops->interrupt_in(r->t.dev, buf, sizeof buf, &len, timeout_ms);
	if (rc != CCID_OK)
		return rc;
	if (len == 0) {
		memset(out, 0, sizeof *out);
		return CCID_OK;
	}
	/* Read without the reader's lock: the hook is set before the
	 * interrupt thread starts and cleared after it stops. */
	host_trace_fn trace = r->trace;
	if (trace != NULL)
		trace(r->trace_data, HOST_TRACE_IRQ, buf, len);
	rc = ccid_message_interrupt_decode(buf, len, r->iface.facts.slot_count, out);
	if (rc == CCID_OK && out->bMessageType == CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE)
		count_removals(r, &out->u.notify);
	return rc;
}

void host_interrupt_stop(host_reader *r)
{
	if (host_reader_has_interrupt(r))
		r->t.ops->interrupt_stop(r->t.dev);
}
