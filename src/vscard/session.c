/* ccidlab — one VSCard connection, card side (see session.h). */
#include "config.h"

#include <string.h>

#include "emu/card.h"
#include "emu/fault.h"
#include "emu/profile.h"
#include "vscard/session.h"
#include "vscard/wire.h"

#define MAX_FAULTS 8
/* A T=0 TPDU answer is at most 256 data bytes and SW1 SW2; a T=1 block
 * at most 3 + 254 + 2.  Room to spare for a garbage fault. */
#define ANSWER_CAP 1024u
#define OUT_CAP (VSCARD_HEADER_SIZE + ANSWER_CAP)
/* Input kept between reads: one whole message at most. */
#define IN_CAP (VSCARD_MAX_MESSAGE)

struct vscard_session {
	char *spec;
	emu_card *card;
	emu_fault faults[MAX_FAULTS];
	unsigned n_faults;
	const vscard_session_ops *ops;
	void *data;
	bool present;		/* the card is in (for QEMU once attached) */
	bool attached;		/* ReaderAdd sent after QEMU's Init */
	unsigned protocol;	/* chosen at reset: 0 T=0 TPDUs, 1 T=1 blocks */
	uint8_t *in;
	size_t in_len;
	/* An answer held back (slow card, or the card's own work time). */
	GSource *delay;
	uint8_t held[OUT_CAP];
	size_t held_len;
	vscard_session_stats stats;
	guint32 rng;		/* garbage bytes: reproducible per session */
};

static void say(vscard_session *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void say(vscard_session *s, const char *fmt, ...)
{
	if (s->ops->log == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	s->ops->log(s->data, line);
}

static void send_msg(vscard_session *s, uint32_t type, uint32_t reader, const uint8_t *p,
		     size_t n)
{
	uint8_t out[OUT_CAP];
	size_t len = vscard_wire_encode(type, reader, p, n, out, sizeof out);
	if (len > 0)
		s->ops->send(s->data, out, len);
}

/* ---- the spec ---- */

/* Over VSCard QEMU's usb-ccid is the reader: only what a card can do. */
static bool card_level(emu_fault_kind k)
{
	switch (k) {
	case EMU_FAULT_SLOW:
	case EMU_FAULT_TIMEOUT:
	case EMU_FAULT_FAIL:
	case EMU_FAULT_REMOVE_IN_XFR:
	case EMU_FAULT_GARBAGE:
	case EMU_FAULT_TRUNCATE:
	case EMU_FAULT_BAD_ATR:
		return true;
	default:
		return false;
	}
}

static bool parse_spec(const char *spec, emu_card **card, emu_fault *faults, unsigned *n,
		       GError **error)
{
	g_auto(GStrv) parts = g_strsplit(spec, "|", -1);
	guint count = g_strv_length(parts);
	if (count == 0 || parts[0][0] == '\0') {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "'%s': no card", spec);
		return false;
	}
	if (count - 1 > MAX_FAULTS) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "'%s': more than %d faults", spec,
			    MAX_FAULTS);
		return false;
	}
	for (guint i = 1; i < count; i++) {
		if (!emu_fault_parse(parts[i], &faults[i - 1], error))
			return false;
		if (!card_level(faults[i - 1].kind)) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "'%s' is a reader-level fault: over VSCard QEMU's usb-ccid is "
				    "the reader (card-level: slow, timeout, fail, remove-in-xfr, "
				    "garbage, truncate, bad-atr)", parts[i]);
			return false;
		}
	}
	*n = count - 1;
	if (card != NULL) {
		*card = emu_card_new_from_spec(parts[0], error);
		if (*card == NULL)
			return false;
	}
	return true;
}

bool vscard_spec_check(const char *spec, GError **error)
{
	emu_fault f[MAX_FAULTS];
	unsigned n = 0;
	g_autoptr(emu_card) card = NULL;
	return parse_spec(spec, &card, f, &n, error);
}

/* The fault of `kind` in force for this APDU, used up by one; NULL when
 * none. */
static const emu_fault *take_fault(vscard_session *s, emu_fault_kind kind, emu_fault *copy)
{
	for (unsigned i = 0; i < s->n_faults; i++) {
		emu_fault *f = &s->faults[i];
		if (f->kind != kind || f->count == (unsigned)-1)
			continue;
		*copy = *f;
		if (f->count != EMU_FAULT_FOREVER && --f->count == 0)
			f->count = (unsigned)-1;	/* spent */
		return copy;
	}
	return NULL;
}

/* ---- card presence ---- */

static void send_atr(vscard_session *s)
{
	uint8_t atr[VSCARD_MAX_ATR];
	size_t len = 0;
	emu_fault f;

	if (emu_card_reset(s->card, 1, atr, sizeof atr, &len) != 0 || len == 0) {
		/* A mute card gives no ATR: QEMU has no way to show a card
		 * that does not answer, the reader stays empty. */
		say(s, "the card gives no ATR (mute): QEMU's reader stays empty");
		return;
	}
	s->protocol = emu_card_protocol(s->card);
	if (take_fault(s, EMU_FAULT_BAD_ATR, &f) != NULL) {
		atr[len - 1] ^= 0xFF;	/* TCK: ISO 7816-3 §8.2.5 */
		s->stats.faults++;
	}
	send_msg(s, VSCARD_ATR, VSCARD_READER_FIRST, atr, len);
	s->stats.atrs++;
}

static void cancel_delay(vscard_session *s)
{
	if (s->delay != NULL) {
		g_source_destroy(s->delay);
		g_source_unref(s->delay);
		s->delay = NULL;
	}
}

void vscard_session_set_present(vscard_session *s, bool present)
{
	if (present == s->present)
		return;
	s->present = present;
	if (!s->attached)
		return;
	if (present) {
		send_atr(s);
	} else {
		cancel_delay(s);
		send_msg(s, VSCARD_CARD_REMOVE, VSCARD_READER_FIRST, NULL, 0);
		s->stats.removals++;
	}
}

bool vscard_session_present(const vscard_session *s)
{
	return s->present;
}

/* ---- APDUs ---- */

static gboolean send_held(gpointer data)
{
	vscard_session *s = data;
	s->ops->send(s->data, s->held, s->held_len);
	g_source_unref(s->delay);
	s->delay = NULL;
	return G_SOURCE_REMOVE;
}

static void answer_after(vscard_session *s, const uint8_t *rsp, size_t n, unsigned ms)
{
	if (ms == 0) {
		send_msg(s, VSCARD_APDU, VSCARD_READER_FIRST, rsp, n);
		s->stats.answered++;
		return;
	}
	s->held_len = vscard_wire_encode(VSCARD_APDU, VSCARD_READER_FIRST, rsp, n, s->held,
					 sizeof s->held);
	s->stats.answered++;
	s->delay = g_timeout_source_new(ms);
	g_source_set_callback(s->delay, send_held, s, NULL);
	g_source_attach(s->delay, g_main_context_get_thread_default());
}

/* The card's own answer at the level QEMU's reader passes on. */
static size_t card_answer(vscard_session *s, const uint8_t *apdu, size_t len, uint8_t *rsp,
			  unsigned *work_ms)
{
	size_t n = 0;
	int rc = s->protocol == 1
			 ? emu_card_t1_block(s->card, apdu, len, rsp, ANSWER_CAP, &n, work_ms)
			 : emu_card_t0_tpdu(s->card, apdu, len, rsp, ANSWER_CAP, &n, work_ms);
	return rc == 0 ? n : 0;
}

static void on_apdu(vscard_session *s, const vscard_msg *m)
{
	uint8_t rsp[ANSWER_CAP];
	unsigned work_ms = 0;
	emu_fault f;

	s->stats.apdus++;
	if (s->delay != NULL) {
		/* QEMU keeps one APDU in flight per reader. */
		say(s, "an APDU while one is still being answered: Error");
		uint8_t out[VSCARD_HEADER_SIZE + 4];
		size_t len = vscard_wire_encode_error(VSCARD_READER_FIRST, VSCARD_GENERAL_ERROR, out,
						      sizeof out);
		s->ops->send(s->data, out, len);
		return;
	}
	if (take_fault(s, EMU_FAULT_REMOVE_IN_XFR, &f) != NULL) {
		s->stats.faults++;
		say(s, "fault remove-in-xfr: the card goes during the APDU");
		vscard_session_set_present(s, false);
		return;
	}
	if (take_fault(s, EMU_FAULT_TIMEOUT, &f) != NULL) {
		s->stats.faults++;
		say(s, "fault timeout: the APDU is never answered");
		return;
	}
	if (take_fault(s, EMU_FAULT_FAIL, &f) != NULL) {
		s->stats.faults++;
		uint8_t out[VSCARD_HEADER_SIZE + 4];
		size_t len = vscard_wire_encode_error(VSCARD_READER_FIRST, emu_fault_arg(&f), out,
						      sizeof out);
		s->ops->send(s->data, out, len);
		return;
	}
	size_t n = card_answer(s, m->payload, m->length, rsp, &work_ms);
	if (n == 0) {
		/* A T=1 card that keeps silent: the host's own timeout. */
		say(s, "the card does not answer this %u-byte command", m->length);
		return;
	}
	if (take_fault(s, EMU_FAULT_GARBAGE, &f) != NULL) {
		s->stats.faults++;
		n = MIN((size_t)emu_fault_arg(&f), sizeof rsp);
		for (size_t i = 0; i < n; i++) {
			s->rng = s->rng * 1103515245u + 12345u;
			rsp[i] = (uint8_t)(s->rng >> 16);
		}
	}
	if (take_fault(s, EMU_FAULT_TRUNCATE, &f) != NULL) {
		s->stats.faults++;
		size_t cut = emu_fault_arg(&f);
		n = cut >= n ? 0 : n - cut;
	}
	if (take_fault(s, EMU_FAULT_SLOW, &f) != NULL) {
		s->stats.faults++;
		work_ms += emu_fault_arg(&f);
	}
	answer_after(s, rsp, n, work_ms);
}

static void on_message(vscard_session *s, const vscard_msg *m)
{
	uint32_t v = 0;

	switch (m->type) {
	case VSCARD_INIT:
		if (vscard_wire_parse_init(m, &v) != VSCARD_OK) {
			say(s, "QEMU's Init has a bad magic or is short (%u bytes)", m->length);
			return;
		}
		/* A (re)realized passthru device: attach, and insert. */
		s->stats.inits++;
		cancel_delay(s);
		s->attached = true;
		{
			const char *name = "ccidlab vscard";
			send_msg(s, VSCARD_READER_ADD, VSCARD_READER_UNDEFINED, (const uint8_t *)name,
				 strlen(name));
		}
		if (s->present)
			send_atr(s);
		break;
	case VSCARD_APDU:
		on_apdu(s, m);
		break;
	case VSCARD_ERROR:
		if (vscard_wire_parse_error(m, &v) == VSCARD_OK && v != VSCARD_SUCCESS) {
			s->stats.errors++;
			say(s, "QEMU answers Error code %u (reader %u)", v, m->reader_id);
		}
		break;
	case VSCARD_FLUSH:
		/* Every APDU is answered in order: nothing outstanding but a
		 * delayed answer, which goes first. */
		if (s->delay != NULL) {
			cancel_delay(s);
			s->ops->send(s->data, s->held, s->held_len);
		}
		send_msg(s, VSCARD_FLUSH_COMPLETE, m->reader_id, NULL, 0);
		break;
	default:
		say(s, "ignored: %s (type %u, %u bytes)", vscard_type_name(m->type), m->type,
		    m->length);
		break;
	}
}

bool vscard_session_feed(vscard_session *s, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		size_t take = MIN(len, IN_CAP - s->in_len);
		memcpy(s->in + s->in_len, buf, take);
		s->in_len += take;
		buf += take;
		len -= take;
		size_t at = 0;
		for (;;) {
			vscard_msg m;
			size_t used = 0;
			int r = vscard_wire_next(s->in + at, s->in_len - at, &m, &used);
			if (r == VSCARD_E_SHORT)
				break;
			if (r != VSCARD_OK) {
				say(s, "stream lost: %s", vscard_wire_result_name(r));
				return false;
			}
			on_message(s, &m);
			at += used;
		}
		memmove(s->in, s->in + at, s->in_len - at);
		s->in_len -= at;
	}
	return true;
}

/* ---- object ---- */

vscard_session *vscard_session_new(const char *spec, const vscard_session_ops *ops, void *data,
				   GError **error)
{
	g_return_val_if_fail(spec != NULL && ops != NULL && ops->send != NULL, NULL);
	g_autofree vscard_session *s = g_new0(vscard_session, 1);
	if (!parse_spec(spec, &s->card, s->faults, &s->n_faults, error))
		return NULL;
	s->spec = g_strdup(spec);
	s->ops = ops;
	s->data = data;
	s->present = true;
	s->in = g_malloc(IN_CAP);
	s->rng = g_str_hash(spec);
	return g_steal_pointer(&s);
}

void vscard_session_start(vscard_session *s)
{
	uint8_t out[VSCARD_HEADER_SIZE + VSCARD_INIT_SIZE];
	size_t len = vscard_wire_encode_init(out, sizeof out);
	s->ops->send(s->data, out, len);
}

const vscard_session_stats *vscard_session_stats_get(const vscard_session *s)
{
	return &s->stats;
}

void vscard_session_free(vscard_session *s)
{
	if (s == NULL)
		return;
	cancel_delay(s);
	emu_card_free(s->card);
	g_free(s->in);
	g_free(s->spec);
	g_free(s);
}
