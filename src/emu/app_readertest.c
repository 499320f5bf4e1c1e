/* ccidlab — the reader test applet.
 *
 * The applet PC/SC reader test tools select (AID A0 00 00 00 18 FF) to
 * walk a reader through every APDU case and length: the public
 * "readertest" Java Card applet of pcsc-lite's HandlerTest, whose
 * instructions answer here as they do on a card.  Every contract is in
 * ccidlab-cards(7); in short, class 80 (or 00):
 *
 *   30        9000; 6700 when the fifth byte (P3: Lc or a short Le) is
 *             not 00
 *   32 21 3A  command data: byte i must be i mod 256, else 6A00 + (i mod
 *             256); no data: 6700.  No Le check: an Le is ignored
 *   34 22     response data: P1P2 bytes 00 01 02 ...; Ne must be P1P2,
 *             else 6700.  Ne as the applet's runtime gives it
 *             (APDU.setOutgoing): the Le (00 is 256, extended 0000 is
 *             65,536); 256 without an Le, and on T=0 for a case 4 (the
 *             card never sees an Le there, ISO 7816-3 §12.2.5)
 *   3C        34 without the Ne check
 *   36 23     the data check of 32, then P1P2 response bytes whatever
 *             the Le (none, shorter, longer): the applet reads its length
 *             from P1P2 alone.  Over 256 in a short APDU: 6F00 (the
 *             runtime refuses the length, APDUException BAD_LENGTH)
 *   3E        36 without the 6700 for no data
 *   38        asks for P2 x EMU_READERTEST_MS_PER_P2 ms of time, then 9000
 *   20        VERIFY: the data must be "1234..." (byte i = 0x31 + i), else
 *             6A00 + i; no data: 6700
 *   40        the last VERIFY (or MODIFY) as received, its Le left out
 *             (6A88: none yet)
 * On T=0 the card's runtime (card_t0.c) answers 61xx for response data
 * behind a case 4 and serves it to GET RESPONSE.
 *
 * ccidlab's additions, beyond the public applet:
 * - extended lengths (Nc up to 65,535, Ne = P1P2 up to 65,535), which
 *   the public applet (no javacardx.apdu.ExtendedLength) refuses;
 * - with ",pin=DIGITS" a card PIN with an ISO 7816-4 retry counter:
 *   VERIFY without data answers 63Cx (x tries left), three misses block
 *   it (6983, persistent across resets, as on a real card), a correct
 *   PIN restores it; and 24 MODIFY (old PIN then new PIN) for PIN pad
 *   tests (the public applet has no 24: with the default card it takes
 *   any data that follows the "1234..." pattern).
 *
 * Decisions:
 * - SELECT first: before the applet is selected (and after every reset)
 *   the card's default application answers class 80 commands with 6D00,
 *   as a card manager that does not know them does; real test tools
 *   select first.
 * - CLA 00 works as well as 80 (a pinpad reader's Secure command builds
 *   VERIFY with whatever class the host gave); the logical channel bits
 *   are ignored; other classes get 6E00.
 * - 32 with no data: the public applet loops reading data that never
 *   comes (a card that falls silent); here 6700, what its first check
 *   says for a zero Lc.
 * - 3C and 3E are the public applet's "unbound" variants; its code for
 *   them leaves checks to the Java Card runtime, which differ between
 *   runtimes: here 3C sends P1P2 bytes whatever Ne, 3E is 36 without the
 *   empty-data check.
 */
#include "emu/app.h"

#include <string.h>

const uint8_t emu_app_readertest_aid[6] = { 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };

#define PIN_TRIES 3

typedef struct readertest {
	emu_app base;
	bool selected;
	unsigned tries;
	char *pin;              /* NULL: "1234...", any length */
	uint8_t *last_pin_cmd;  /* the last VERIFY/MODIFY APDU */
	size_t last_pin_cmd_len;
} readertest;

static emu_app_data rt_ins_data(emu_app *app, uint8_t cla, uint8_t ins)
{
	(void)app;
	(void)cla;
	switch (ins) {
	case 0x30:
	case 0x38:
		return EMU_APP_DATA_NONE;
	case 0x32: case 0x21: case 0x3A:
	case 0x36: case 0x23: case 0x3E:
	case 0x20: case 0x24:
	case 0xA4:
		return EMU_APP_DATA_CMD;
	case 0x34: case 0x22: case 0x3C:
	case 0x40:
		return EMU_APP_DATA_RSP;
	default:
		return emu_app_default_ins_data(ins);
	}
}

static size_t p1p2(const emu_apdu *a)
{
	return ((size_t)a->p1 << 8) | a->p2;
}

/* The fifth byte of the APDU as the applet's runtime buffers it
 * (ISO7816.OFFSET_LC): Lc, or a short Le; 00 in an extended APDU and when
 * there is no body at all. */
static uint8_t p3_byte(const emu_apdu *a)
{
	return a->raw_len > 4 ? a->raw[4] : 0;
}

/* INS 32 and friends: byte i is i mod 256.  0: good. */
static uint16_t check_pattern(const emu_apdu *a, bool empty_ok)
{
	if (a->nc == 0)
		return empty_ok ? 0 : EMU_SW_WRONG_LENGTH;
	for (size_t i = 0; i < a->nc; i++)
		if (a->data[i] != (uint8_t)i)
			return (uint16_t)(0x6A00 | (i & 0xFF));
	return 0;
}

/* Ne as the public applet's runtime reports it (APDU.setOutgoing): the
 * Le; without one, or on T=0 behind a case 4 whose Le the card never
 * sees, 256 (the applet maps 0 to 256 too). */
static size_t runtime_ne(const emu_apdu *a)
{
	return a->has_le && !a->le_open ? a->ne : 256;
}

static void data_in(const emu_apdu *a, emu_app_rsp *rsp)
{
	uint16_t sw = check_pattern(a, false);
	rsp->sw = sw ? sw : EMU_SW_OK;
}

/* INS 34 (and 3C with ne_check false): P1P2 bytes. */
static void data_out(const emu_apdu *a, bool ne_check, emu_app_rsp *rsp)
{
	size_t n = p1p2(a);
	if (ne_check && runtime_ne(a) != n) {
		rsp->sw = EMU_SW_WRONG_LENGTH;
		return;
	}
	if (emu_app_rsp_pattern(rsp, n))
		rsp->sw = EMU_SW_OK;
}

/* INS 36 (and 3E with empty_ok): the data check, then P1P2 bytes with no
 * look at the Le; a short APDU gets at most 256 (the runtime's limit for
 * an applet without extended length: 6F00). */
static void data_both(const emu_apdu *a, bool empty_ok, emu_app_rsp *rsp)
{
	uint16_t sw = check_pattern(a, empty_ok);
	if (sw != 0) {
		rsp->sw = sw;
		return;
	}
	size_t n = p1p2(a);
	if (n > 256 && !a->extended) {
		rsp->sw = EMU_SW_UNKNOWN;
		return;
	}
	if (emu_app_rsp_pattern(rsp, n))
		rsp->sw = EMU_SW_OK;
}

/* The index of the first byte of `got` that is not the PIN's, or -1 when
 * got is the whole PIN.  Without a configured PIN every length of
 * "1234..." is right. */
static long pin_mismatch(const readertest *rt, const uint8_t *got, size_t n)
{
	if (rt->pin == NULL) {
		for (size_t i = 0; i < n; i++)
			if (got[i] != (uint8_t)(0x31 + i))
				return (long)i;
		return -1;
	}
	size_t plen = strlen(rt->pin);
	for (size_t i = 0; i < n && i < plen; i++)
		if (got[i] != (uint8_t)rt->pin[i])
			return (long)i;
	if (n != plen)
		return (long)(n < plen ? n : plen);
	return -1;
}

/* The bytes of an Le field at the end of the APDU (7816-4 §5.1). */
static size_t le_bytes(const emu_apdu *a)
{
	if (!a->has_le || a->le_open)
		return 0;
	if (!a->extended)
		return 1;
	return a->nc ? 2 : 3;
}

/* What INS 40 gives back: the command as the applet kept it, header,
 * Lc and data (the public applet copies the buffer up to the data). */
static void remember(readertest *rt, const emu_apdu *a)
{
	size_t n = a->raw_len - MIN(a->raw_len, le_bytes(a));

	g_free(rt->last_pin_cmd);
	/* configure.ac asks for GLib 2.66: no g_memdup2(). */
	rt->last_pin_cmd = g_malloc(n ? n : 1);
	if (n)
		memcpy(rt->last_pin_cmd, a->raw, n);
	rt->last_pin_cmd_len = n;
}

/* VERIFY (20) and MODIFY PIN (24).  Without a configured PIN the public
 * applet's rule: the data follows the "1234..." pattern (MODIFY alike).
 * With one, an ISO 7816-4 PIN: a retry counter, and MODIFY takes the old
 * PIN then the new one, which replaces it. */
static void check_pin(readertest *rt, const emu_apdu *a, emu_app_rsp *rsp)
{
	remember(rt, a);
	if (rt->pin == NULL) {
		/* The public applet: the pattern, no retry counter. */
		long bad = pin_mismatch(rt, a->data, a->nc);
		rsp->sw = a->nc == 0 ? EMU_SW_WRONG_LENGTH
			: bad >= 0 ? (uint16_t)(0x6A00 | ((unsigned long)bad & 0xFF)) : EMU_SW_OK;
		return;
	}
	if (a->nc == 0) {
		rsp->sw = (uint16_t)(0x63C0 | rt->tries);
		return;
	}
	if (rt->tries == 0) {
		rsp->sw = EMU_SW_AUTH_BLOCKED;
		return;
	}
	size_t n = a->nc;
	bool modify = a->ins == 0x24 && rt->pin != NULL;
	if (modify) {
		size_t plen = strlen(rt->pin);
		if (n <= plen) {
			rsp->sw = EMU_SW_WRONG_LENGTH;
			return;
		}
		n = plen;
	}
	long bad = pin_mismatch(rt, a->data, n);
	if (bad >= 0) {
		rt->tries--;
		rsp->sw = (uint16_t)(0x6A00 | ((unsigned long)bad & 0xFF));
		return;
	}
	rt->tries = PIN_TRIES;
	if (modify) {
		g_free(rt->pin);
		rt->pin = g_strndup((const char *)a->data + n, a->nc - n);
	}
	rsp->sw = EMU_SW_OK;
}

static void dump_pin_cmd(readertest *rt, emu_app_rsp *rsp)
{
	if (rt->last_pin_cmd == NULL) {
		rsp->sw = EMU_SW_DATA_NOT_FOUND;
		return;
	}
	if (emu_app_rsp_put(rsp, rt->last_pin_cmd, rt->last_pin_cmd_len))
		rsp->sw = EMU_SW_OK;
}

static void select_applet(readertest *rt, const emu_apdu *a, emu_app_rsp *rsp)
{
	/* 7816-4 §11.2.2: P1 04 selects by DF name (the AID). */
	if (a->p1 == 0x04 && a->nc == sizeof emu_app_readertest_aid &&
	    memcmp(a->data, emu_app_readertest_aid, a->nc) == 0) {
		rt->selected = true;
		rsp->sw = EMU_SW_OK;
		return;
	}
	rsp->sw = EMU_SW_FILE_NOT_FOUND;
}

static void rt_process(emu_app *app, const emu_apdu *a, emu_app_rsp *rsp)
{
	readertest *rt = (readertest *)app;
	uint8_t cls = a->cla & 0xFC;
	if (cls != 0x00 && cls != 0x80) {
		rsp->sw = EMU_SW_CLA_NOT_SUPPORTED;
		return;
	}
	if (a->ins == 0xA4 && cls == 0x00) {
		select_applet(rt, a, rsp);
		return;
	}
	if (!rt->selected) {
		rsp->sw = EMU_SW_INS_NOT_SUPPORTED;
		return;
	}
	switch (a->ins) {
	case 0x30:
		rsp->sw = p3_byte(a) != 0 ? EMU_SW_WRONG_LENGTH : EMU_SW_OK;
		break;
	case 0x32: case 0x21: case 0x3A: data_in(a, rsp); break;
	case 0x34: case 0x22: data_out(a, true, rsp); break;
	case 0x3C: data_out(a, false, rsp); break;
	case 0x36: case 0x23: data_both(a, false, rsp); break;
	case 0x3E: data_both(a, true, rsp); break;
	case 0x38:
		rsp->work_ms = a->p2 * EMU_READERTEST_MS_PER_P2;
		rsp->sw = EMU_SW_OK;
		break;
	case 0x20: case 0x24: check_pin(rt, a, rsp); break;
	case 0x40: dump_pin_cmd(rt, rsp); break;
	default:
		rsp->sw = EMU_SW_INS_NOT_SUPPORTED;
		break;
	}
}

static void rt_reset(emu_app *app)
{
	((readertest *)app)->selected = false;
}

static void rt_free(emu_app *app)
{
	readertest *rt = (readertest *)app;
	g_free(rt->pin);
	g_free(rt->last_pin_cmd);
	g_free(rt);
}

static const emu_app_ops readertest_ops = {
	.name = "readertest",
	.process = rt_process,
	.ins_data = rt_ins_data,
	.reset = rt_reset,
	.free = rt_free,
};

emu_app *emu_app_readertest_new(const char *pin)
{
	readertest *rt = g_new0(readertest, 1);
	rt->base.ops = &readertest_ops;
	rt->tries = PIN_TRIES;
	rt->pin = pin != NULL && pin[0] != '\0' ? g_strdup(pin) : NULL;
	return &rt->base;
}
