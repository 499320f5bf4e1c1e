/* ccidlab — the reader test applet.
 *
 * The applet PC/SC reader test tools select (AID A0 00 00 00 18 FF) to
 * walk a reader through every APDU case and length.  Class 80:
 *
 *   30        case 1: no command data, else 6700
 *   32 21     command data: byte i must be i mod 256, else 6A00 + (i mod
 *             256); no data: 6700; an Le: 6700
 *   34 22     response data: P1P2 bytes 00 01 02 ...; Ne must be P1P2
 *             (short Le 00 is 256, extended 0000 is 65,536), else 6700
 *             (on T=0, 6Cxx when P1P2 is 1..256, as a T=0 card says the
 *             length it has: 7816-3 §12.2.3)
 *   36 23     both: the data check of 32, then the answer of 34
 *   3A 3C 3E  32/34/36 without the Le check
 *   38        asks for P2 x EMU_READERTEST_MS_PER_P2 ms of time, then 9000
 *   20        VERIFY: see check_pin(); 63Cx for no data (x = tries left)
 *   24        MODIFY PIN: the same rules
 *   40        the last VERIFY or MODIFY command, as received (6A88: none)
 *
 * Decisions:
 * - SELECT first: before the applet is selected (and after every reset)
 *   the card's default application answers class 80 commands with 6D00,
 *   as a card manager that does not know them does; real test tools
 *   select first.
 * - CLA 00 works as well as 80 (a pinpad reader's Secure command builds
 *   VERIFY with whatever class the host gave); the logical channel bits
 *   are ignored.
 * - The PIN retry counter is persistent, as on a real card: a reset does
 *   not restore it; a correct PIN does.  Blocked (0 tries): 6983.
 * - Odd INS 21/22/23 get the same data as 32/34/36 (no BER-TLV wrapping).
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

/* INS 32 and friends: byte i is i mod 256.  0: good. */
static uint16_t check_pattern(const emu_apdu *a)
{
	if (a->nc == 0)
		return EMU_SW_WRONG_LENGTH;
	for (size_t i = 0; i < a->nc; i++)
		if (a->data[i] != (uint8_t)i)
			return (uint16_t)(0x6A00 | (i & 0xFF));
	return 0;
}

/* INS 34 and friends: Ne must be P1P2, unless Le could not travel (T=0
 * case 4) or the variant skips the check. */
static uint16_t check_le(const emu_apdu *a, size_t n)
{
	if (a->le_open || (a->has_le && a->ne == n))
		return 0;
	if (a->t0 && a->has_le && n >= 1 && n <= 256)
		return (uint16_t)(0x6C00 | (n & 0xFF));
	return EMU_SW_WRONG_LENGTH;
}

static void data_in(const emu_apdu *a, bool le_check, emu_app_rsp *rsp)
{
	uint16_t sw = check_pattern(a);
	if (sw == 0 && le_check && a->has_le)
		sw = EMU_SW_WRONG_LENGTH;
	rsp->sw = sw ? sw : EMU_SW_OK;
}

static void data_out(const emu_apdu *a, bool le_check, emu_app_rsp *rsp)
{
	size_t n = p1p2(a);
	uint16_t sw = le_check ? check_le(a, n) : 0;
	if (sw != 0) {
		rsp->sw = sw;
		return;
	}
	if (emu_app_rsp_pattern(rsp, n))
		rsp->sw = EMU_SW_OK;
}

static void data_both(const emu_apdu *a, bool le_check, emu_app_rsp *rsp)
{
	uint16_t sw = check_pattern(a);
	if (sw != 0) {
		rsp->sw = sw;
		return;
	}
	data_out(a, le_check, rsp);
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

static void remember(readertest *rt, const emu_apdu *a)
{
	g_free(rt->last_pin_cmd);
	/* configure.ac asks for GLib 2.66: no g_memdup2(). */
	rt->last_pin_cmd = g_malloc(a->raw_len ? a->raw_len : 1);
	if (a->raw_len)
		memcpy(rt->last_pin_cmd, a->raw, a->raw_len);
	rt->last_pin_cmd_len = a->raw_len;
}

/* VERIFY (20) and MODIFY PIN (24).  With a configured PIN, MODIFY takes
 * the old PIN then the new one, and the new one replaces it; with the
 * default pattern, the whole data must follow the pattern. */
static void check_pin(readertest *rt, const emu_apdu *a, emu_app_rsp *rsp)
{
	remember(rt, a);
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
		rsp->sw = a->nc ? EMU_SW_WRONG_LENGTH : EMU_SW_OK;
		break;
	case 0x32: case 0x21: data_in(a, true, rsp); break;
	case 0x3A: data_in(a, false, rsp); break;
	case 0x34: case 0x22: data_out(a, true, rsp); break;
	case 0x3C: data_out(a, false, rsp); break;
	case 0x36: case 0x23: data_both(a, true, rsp); break;
	case 0x3E: data_both(a, false, rsp); break;
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
