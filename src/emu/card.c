/* ccidlab — a virtual card: the object, its spec, its ATR, PPS and the
 * APDU level.  T=0 lives in card_t0.c, T=1 in card_t1.c.
 *
 * Decisions:
 * - Without ",t0", ",t1" or ",dual" a card is T=1 only: it carries
 *   extended APDUs at every exchange level, as most cards today do.
 * - The default ATRs (built below, checked by the unit tests with
 *   ccid_atr_parse) offer TA1 = 96 (Fi 512, Di 32: a card that can run
 *   fast, so that readers negotiate), T=1 with IFSC 254, BWI 4, CWI 5 and
 *   LRC; historical bytes 80 57 "ccidlab" (category 80, compact-TLV card
 *   issuer's data, 7816-4 §12.1.1).
 * - ",atr=HEX" replaces the ATR; it must parse unless ",badatr" is given
 *   too (fault tests).  ",badatr" alone sends the default ATR cut by its
 *   last byte.
 * - PPS (§9): PPS1 is accepted when it is Fd/Dd (11), or has TA1's Fi and
 *   a Di no faster than TA1's; otherwise the answer leaves PPS1 out (the
 *   card keeps Fd/Dd).  PPS2/PPS3 are never echoed.  A malformed request,
 *   or one for a protocol the ATR does not offer, gets no answer.
 */
#include "emu/card_private.h"

#include <string.h>

#include "ccid/pps.h"
#include "ccid/result.h"
#include "ccid/t0.h"
#include "emu/profile.h"

#define SPEC_MAX 4096

/* ---- default ATRs -------------------------------------------------------- */

#define HIST 0x80, 0x57, 'c', 'c', 'i', 'd', 'l', 'a', 'b'

/* T0 = 19: TA1, K = 9.  T=0 only: no TD1, no TCK (§8.2.5). */
static const uint8_t atr_t0[] = { 0x3B, 0x19, 0x96, HIST };
/* T0 = 99: TA1 TD1, K = 9.  TD1 = 81: TD2, T=1.  TD2 = 31: TA3 TB3, T=1.
 * TA3 = FE: IFSC 254.  TB3 = 45: BWI 4, CWI 5.  TCK appended. */
static const uint8_t atr_t1[] = { 0x3B, 0x99, 0x96, 0x81, 0x31, 0xFE, 0x45, HIST };
/* The same with TD1 = 80: T=0 first (the default), T=1 offered by TD2. */
static const uint8_t atr_dual[] = { 0x3B, 0x99, 0x96, 0x80, 0x31, 0xFE, 0x45, HIST };

/* Writes the default ATR for `p` to out (>= CCID_ATR_MAX): §8.2.5, TCK
 * (XOR of T0..TCK = 0) whenever a protocol other than T=0 is offered. */
static size_t default_atr(emu_card_protocols p, uint8_t *out)
{
	const uint8_t *src = p == EMU_CARD_T0 ? atr_t0 : p == EMU_CARD_T1 ? atr_t1 : atr_dual;
	size_t n = p == EMU_CARD_T0 ? sizeof atr_t0 : p == EMU_CARD_T1 ? sizeof atr_t1
									: sizeof atr_dual;
	memcpy(out, src, n);
	if (p == EMU_CARD_T0)
		return n;
	uint8_t tck = 0;
	for (size_t i = 1; i < n; i++)
		tck ^= out[i];
	out[n] = tck;
	return n + 1;
}

size_t emu_card_default_atr(emu_card_protocols p, uint8_t *out, size_t cap)
{
	uint8_t buf[CCID_ATR_MAX];
	if (p < EMU_CARD_T0 || p > EMU_CARD_T0_T1)
		return 0;
	size_t n = default_atr(p, buf);
	if (out == NULL || cap < n)
		return 0;
	memcpy(out, buf, n);
	return n;
}

/* ---- spec ------------------------------------------------------------------ */

typedef struct spec_opts {
	bool t0, t1, dual, mute, badatr;
	char *atr_hex;
	char *pin;
	GPtrArray *app_opts;    /* char *, NULL-terminated at the end */
	/* A control client's card: script: and files: take this text, the
	 * client's own reading of its file; nothing names a file (issue 20). */
	bool peer;
	const char *text;
	size_t text_len;
} spec_opts;

static void spec_opts_clear(spec_opts *o)
{
	g_free(o->atr_hex);
	g_free(o->pin);
	if (o->app_opts)
		g_ptr_array_unref(o->app_opts);
}

static bool parse_hex_atr(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	for (const char *p = hex; *p != '\0';) {
		if (*p == ' ' || *p == ':') {
			p++;
			continue;
		}
		int hi = g_ascii_xdigit_value(p[0]);
		int lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[1]);
		if (lo < 0 || n == cap)
			return false;
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*len = n;
	return n > 0;
}

static bool parse_options(char **tok, spec_opts *o, GError **error)
{
	o->app_opts = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; tok[i] != NULL; i++) {
		const char *t = tok[i];
		if (strcmp(t, "t0") == 0)
			o->t0 = true;
		else if (strcmp(t, "t1") == 0)
			o->t1 = true;
		else if (strcmp(t, "dual") == 0)
			o->dual = true;
		else if (strcmp(t, "mute") == 0)
			o->mute = true;
		else if (strcmp(t, "badatr") == 0)
			o->badatr = true;
		else if (g_str_has_prefix(t, "atr=") && o->atr_hex == NULL)
			o->atr_hex = g_strdup(t + 4);
		else if (g_str_has_prefix(t, "pin=") && o->pin == NULL)
			o->pin = g_strdup(t + 4);
		else if (*t != '\0')
			g_ptr_array_add(o->app_opts, g_strdup(t));
		else {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "card: empty option");
			return false;
		}
	}
	if ((int)o->t0 + (int)o->t1 + (int)o->dual > 1) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "card: choose one of t0, t1, dual");
		return false;
	}
	return true;
}

/* script: or files: for a control client: from the text it sent, the
 * argument only a name for messages.  pcscd runs as root: opening the
 * path a client names would serve root's files to it (issue 20). */
static emu_app *peer_app(const char *name, const char *arg, bool is_script, const spec_opts *o,
			 GError **error)
{
	if (o->text == NULL) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_UNSUPPORTED,
			    "card: %s: the server opens no file for a control client: send the "
			    "%s's text (ccidlab insert --app %s:FILE reads the file and sends it)",
			    name, is_script ? "script" : "description", name);
		return NULL;
	}
	const char *label = arg != NULL && *arg != '\0' ? arg : name;
	return is_script ? emu_app_script_new_from_text(o->text, o->text_len, label, error)
			 : emu_app_files_new_from_text(o->text, o->text_len, label, error);
}

static emu_app *new_app(const char *name, const char *arg, spec_opts *o, GError **error)
{
	if (strcmp(name, "echo") == 0) {
		if (arg != NULL)
			g_ptr_array_insert(o->app_opts, 0, g_strdup(arg));
		g_ptr_array_add(o->app_opts, NULL);
		return emu_app_echo_new((const char *const *)o->app_opts->pdata, error);
	}
	if (o->app_opts->len > 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "card: %s: unknown option \"%s\"",
			    name, (const char *)g_ptr_array_index(o->app_opts, 0));
		return NULL;
	}
	if (strcmp(name, "readertest") == 0) {
		if (arg != NULL) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "card: readertest takes no argument");
			return NULL;
		}
		return emu_app_readertest_new(o->pin);
	}
	bool is_script = strcmp(name, "script") == 0;
	if (is_script || strcmp(name, "files") == 0) {
		if (o->peer)
			return peer_app(name, arg, is_script, o, error);
		if (arg == NULL || *arg == '\0') {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "card: %s:FILE expected",
				    name);
			return NULL;
		}
		return is_script ? emu_app_script_new(arg, error) : emu_app_files_new(arg, error);
	}
	g_set_error(error, EMU_ERROR, EMU_ERROR_NOT_FOUND,
		    "card: unknown application \"%s\" (readertest, echo, script, files)", name);
	return NULL;
}

static bool setup_atr(emu_card *c, const spec_opts *o, GError **error)
{
	c->protocols = o->t0 ? EMU_CARD_T0 : o->dual ? EMU_CARD_T0_T1 : EMU_CARD_T1;
	if (o->atr_hex == NULL) {
		c->atr_len = default_atr(c->protocols, c->atr);
		if (o->badatr)
			c->atr_len--;  /* a missing last byte: TCK or historical */
	} else if (!parse_hex_atr(o->atr_hex, c->atr, sizeof c->atr, &c->atr_len)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "card: atr=\"%s\": hex bytes, at most %zu", o->atr_hex, sizeof c->atr);
		return false;
	}
	int r = ccid_atr_parse(c->atr, c->atr_len, &c->parsed);
	c->atr_valid = r == CCID_OK;
	if (!c->atr_valid && !o->badatr) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "card: atr=\"%s\": %s (add \"badatr\" to send it anyway)", o->atr_hex,
			    ccid_atr_error_name(c->parsed.error));
		return false;
	}
	if (c->atr_valid && o->atr_hex != NULL) {
		bool t0 = ccid_atr_offers(&c->parsed, 0), t1 = ccid_atr_offers(&c->parsed, 1);
		if (!t0 && !t1) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_UNSUPPORTED,
				    "card: atr=\"%s\" offers neither T=0 nor T=1", o->atr_hex);
			return false;
		}
		emu_card_protocols p = t0 && t1 ? EMU_CARD_T0_T1 : t0 ? EMU_CARD_T0 : EMU_CARD_T1;
		if ((o->t0 || o->t1 || o->dual) && p != c->protocols) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "card: the protocol option disagrees with atr=");
			return false;
		}
		c->protocols = p;
	}
	return true;
}

static emu_card *card_alloc(const char *spec)
{
	emu_card *c = g_new0(emu_card, 1);
	c->spec = g_strdup(spec);
	c->rsp = g_malloc(EMU_CARD_RSP_CAP);
	c->t1.apdu = g_malloc(CCID_T1_MAX_APDU);
	c->fidi = CCID_ATR_DEFAULT_FIDI;
	return c;
}

static emu_card *card_new(const char *spec, spec_opts *o, GError **error);

emu_card *emu_card_new_from_spec(const char *spec, GError **error)
{
	spec_opts o = { 0 };
	return card_new(spec, &o, error);
}

emu_card *emu_card_new_from_peer(const char *spec, const char *app_text, size_t app_len,
				 GError **error)
{
	if (app_text != NULL && !emu_card_spec_reads_file(spec)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "card: an application's text is for script: and files: only");
		return NULL;
	}
	spec_opts o = { .peer = true, .text = app_text, .text_len = app_len };
	return card_new(spec, &o, error);
}

bool emu_card_spec_reads_file(const char *spec)
{
	if (spec == NULL)
		return false;
	size_t n = strcspn(spec, ",:");
	return (n == 6 && strncmp(spec, "script", 6) == 0) ||
	       (n == 5 && strncmp(spec, "files", 5) == 0);
}

static emu_card *card_new(const char *spec, spec_opts *o, GError **error)
{
	if (spec == NULL || *spec == '\0' || strlen(spec) > SPEC_MAX) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "card: empty or over-long spec");
		return NULL;
	}
	/* One card-spec syntax everywhere (ccidlab-devicename(5)): '@'
	 * separates the options, as pcscd's DEVICENAME tokens need; ',' is
	 * the older form, still read. */
	g_autofree char *commas = g_strdup(spec);
	g_strdelimit(commas, "@", ',');
	g_auto(GStrv) tok = g_strsplit(commas, ",", -1);
	char *head = tok[0];
	char *colon = strchr(head, ':');
	const char *arg = NULL;
	if (colon != NULL) {
		*colon = '\0';
		arg = colon + 1;
	}
	g_autoptr(emu_card) c = card_alloc(spec);
	bool ok = parse_options(tok + 1, o, error) && setup_atr(c, o, error);
	if (ok) {
		c->app = new_app(head, arg, o, error);
		ok = c->app != NULL;
	}
	c->mute = o->mute;
	spec_opts_clear(o);
	if (!ok)
		return NULL;
	emu_card_t0_reset(c);
	return g_steal_pointer(&c);
}

void emu_card_free(emu_card *c)
{
	if (c == NULL)
		return;
	emu_app_free(c->app);
	g_free(c->t1.apdu);
	g_free(c->rsp);
	g_free(c->spec);
	g_free(c);
}

const char *emu_card_spec(const emu_card *c)
{
	return c ? c->spec : NULL;
}

bool emu_card_is_mute(const emu_card *c)
{
	return c == NULL || c->mute;
}

void emu_card_set_mute(emu_card *c, bool mute)
{
	if (c)
		c->mute = mute;
}

emu_card_protocols emu_card_offered(const emu_card *c)
{
	return c ? c->protocols : EMU_CARD_T1;
}

/* ---- reset, protocol -------------------------------------------------------- */

static unsigned default_protocol(const emu_card *c)
{
	if (c->atr_valid && c->parsed.default_protocol <= 1 &&
	    ccid_atr_offers(&c->parsed, c->parsed.default_protocol))
		return c->parsed.default_protocol;
	return c->protocols == EMU_CARD_T1 ? 1 : 0;
}

int emu_card_reset(emu_card *c, unsigned voltage, uint8_t *atr, size_t cap, size_t *len)
{
	(void)voltage;  /* a card answers at every class (card.h) */
	if (c == NULL || len == NULL || (atr == NULL && cap > 0))
		return CCID_E_INVALID_ARG;
	*len = 0;
	c->protocol = default_protocol(c);
	c->fidi = CCID_ATR_DEFAULT_FIDI;
	emu_card_t0_reset(c);
	emu_card_t1_reset(c);
	emu_app_reset(c->app);
	if (c->mute)
		return CCID_OK;
	if (cap < c->atr_len)
		return CCID_E_BUFFER;
	memcpy(atr, c->atr, c->atr_len);
	*len = c->atr_len;
	return CCID_OK;
}

void emu_card_set_protocol(emu_card *c, unsigned protocol)
{
	if (c == NULL || protocol > 1)
		return;
	c->protocol = protocol;
	emu_card_t0_reset(c);
	emu_card_t1_reset(c);
}

unsigned emu_card_protocol(const emu_card *c)
{
	return c ? c->protocol : 0;
}

uint8_t emu_card_fidi(const emu_card *c)
{
	return c ? c->fidi : CCID_ATR_DEFAULT_FIDI;
}

/* ---- PPS (ISO 7816-3 §9) ------------------------------------------------------ */

static bool offers(const emu_card *c, unsigned t)
{
	if (c->atr_valid)
		return ccid_atr_offers(&c->parsed, t);
	return t == 0 ? c->protocols != EMU_CARD_T1 : t == 1 && c->protocols != EMU_CARD_T0;
}

/* §9.3: a card accepts a PPS1 it can run: Fd/Dd always; else TA1's Fi
 * with a Di of at most TA1's (a slower rate at the same clock divider). */
static bool fidi_acceptable(const emu_card *c, uint8_t pps1)
{
	if (pps1 == CCID_ATR_DEFAULT_FIDI)
		return true;
	if (!c->atr_valid || !c->parsed.has_ta1 || !ccid_atr_fidi_valid(pps1) ||
	    !ccid_atr_fidi_valid(c->parsed.ta1))
		return false;
	return (pps1 >> 4) == (c->parsed.ta1 >> 4) &&
	       ccid_atr_di(pps1) <= ccid_atr_di(c->parsed.ta1);
}

int emu_card_pps(emu_card *c, const uint8_t *req, size_t len, uint8_t *rsp, size_t cap,
		 size_t *rsp_len)
{
	if (c == NULL || rsp_len == NULL || (req == NULL && len > 0) || (rsp == NULL && cap > 0))
		return CCID_E_INVALID_ARG;
	*rsp_len = 0;
	/* §9.2: PPSS = FF, PPS0 (b8 reserved, 0), PPS1..3 as b5..b7 say, PCK
	 * making the XOR of all bytes 00.  Anything else: silence. */
	if (c->mute || len < 3 || req[0] != 0xFF || (req[1] & 0x80))
		return CCID_OK;
	uint8_t pps0 = req[1];
	size_t want = 3 + !!(pps0 & 0x10) + !!(pps0 & 0x20) + !!(pps0 & 0x40);
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= req[i];
	unsigned t = pps0 & 0x0F;
	if (len != want || x != 0 || !offers(c, t) || t > 1)
		return CCID_OK;
	uint8_t out[CCID_PPS_MAX];
	size_t n = 0;
	out[n++] = 0xFF;
	out[n++] = (uint8_t)t;
	uint8_t fidi = CCID_ATR_DEFAULT_FIDI;
	if ((pps0 & 0x10) && fidi_acceptable(c, req[2])) {
		out[1] |= 0x10;
		fidi = req[2];
		out[n++] = fidi;
	}
	uint8_t pck = 0;
	for (size_t i = 0; i < n; i++)
		pck ^= out[i];
	out[n++] = pck;
	if (cap < n)
		return CCID_E_BUFFER;
	memcpy(rsp, out, n);
	*rsp_len = n;
	c->fidi = fidi;
	emu_card_set_protocol(c, t);
	return CCID_OK;
}

/* ---- APDU level ----------------------------------------------------------------- */

void emu_card_run_app(emu_card *c, const emu_apdu *a, emu_app_rsp *r)
{
	r->data = c->rsp;
	r->cap = EMU_APDU_MAX_NE;
	r->len = 0;
	r->sw = EMU_SW_UNKNOWN;
	r->work_ms = 0;
	emu_app_process(c->app, a, r);
}

/* The reader's side of the T=0 transport (ISO 7816-3 §12.2): one TPDU to
 * the card's T=0 engine, its work added up. */
typedef struct ttl_ctx {
	emu_card *c;
	unsigned work_ms;
} ttl_ctx;

static int ttl_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint, uint8_t *rx,
			size_t rx_cap, size_t *rx_len)
{
	ttl_ctx *t = ctx;
	unsigned w = 0;

	(void)hint;
	int rc = emu_card_t0_tpdu(t->c, tx, tx_len, rx, rx_cap, rx_len, &w);
	t->work_ms += w;
	return rc;
}

/* An APDU-level reader in front of a T=0 card maps the short APDU onto
 * TPDUs itself, with the core's TTL (ccid/t0.h: 6Cxx sends the header
 * again, 61xx after a case 2 or 4 fetches the data with GET RESPONSE,
 * 61xx after a case 1 or 3 goes back as it is), so the host sees what a
 * real reader in front of a real T=0 card gives.  (bClassGetResponse is
 * the descriptor's class for that GET RESPONSE; the emulated cards' T=0
 * runtimes answer it whatever its class.) */
static int apdu_over_t0(emu_card *c, const uint8_t *apdu, size_t len, uint8_t *rsp, size_t cap,
			size_t *rsp_len, unsigned *work_ms)
{
	ttl_ctx t = { .c = c };
	ccid_xfer x = { .exchange = ttl_exchange, .ctx = &t };

	int rc = ccid_t0_transceive(&x, CCID_T0_LEVEL_TPDU, apdu, len, rsp, cap, rsp_len);
	*work_ms = t.work_ms;
	return rc;
}

int emu_card_apdu(emu_card *c, const uint8_t *apdu, size_t len, uint8_t *rsp, size_t cap,
		  size_t *rsp_len, unsigned *work_ms)
{
	if (c == NULL || rsp == NULL || rsp_len == NULL || work_ms == NULL ||
	    (apdu == NULL && len > 0))
		return CCID_E_INVALID_ARG;
	*rsp_len = 0;
	*work_ms = 0;
	if (c->mute)
		return CCID_R_ICC_MUTE;
	emu_apdu a;
	emu_app_rsp r = { .data = c->rsp, .cap = EMU_APDU_MAX_NE };
	uint16_t sw = emu_apdu_parse(apdu, len, &a);
	/* Extended APDUs reach a T=0 card through ENVELOPE and GET RESPONSE
	 * (7816-3 §12.2.6, §12.2.7), whose outcome for a card runtime that
	 * reassembles them is the whole APDU: passed as it is, below. */
	if (sw == 0 && c->protocol == 0 && !a.extended)
		return apdu_over_t0(c, apdu, len, rsp, cap, rsp_len, work_ms);
	c->t0.has_pending = false;
	if (sw != 0) {
		r.sw = sw;
	} else {
		a.t0 = false;
		emu_card_run_app(c, &a, &r);
	}
	if (cap < r.len + 2)
		return CCID_E_BUFFER;
	memcpy(rsp, r.data, r.len);
	rsp[r.len] = (uint8_t)(r.sw >> 8);
	rsp[r.len + 1] = (uint8_t)r.sw;
	*rsp_len = r.len + 2;
	*work_ms = r.work_ms;
	return CCID_OK;
}
