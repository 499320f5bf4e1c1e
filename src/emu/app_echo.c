/* ccidlab — the echo application: every command answers with its own
 * data (or with N bytes 00 01 02 ... when "n=N" is set) and a configured
 * status word ("sw=XXXX", default 9000).  SELECT is no exception: echo
 * has no file system and no AID. */
#include "emu/app.h"

#include <errno.h>
#include <stdlib.h>

#include "emu/profile.h"

typedef struct echo {
	emu_app base;
	uint16_t sw;
	bool fixed;             /* n= given */
	size_t n;
} echo;

static void echo_process(emu_app *app, const emu_apdu *a, emu_app_rsp *rsp)
{
	echo *e = (echo *)app;
	bool ok = e->fixed ? emu_app_rsp_pattern(rsp, e->n) : emu_app_rsp_put(rsp, a->data, a->nc);
	if (ok)
		rsp->sw = e->sw;
}

/* T=0 (7816-3 §12.2): echo answers its command data, so every P3 is
 * Lc; with n= set the data is ignored, so P3 is Le. */
static emu_app_data echo_ins_data(emu_app *app, uint8_t cla, uint8_t ins)
{
	(void)cla;
	if (ins == 0xC0)
		return EMU_APP_DATA_RSP;
	return ((echo *)app)->fixed ? EMU_APP_DATA_RSP : EMU_APP_DATA_CMD;
}

static void echo_free(emu_app *app)
{
	g_free(app);
}

static const emu_app_ops echo_ops = {
	.name = "echo",
	.process = echo_process,
	.ins_data = echo_ins_data,
	.free = echo_free,
};

static bool parse_number(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

emu_app *emu_app_echo_new(const char *const *options, GError **error)
{
	g_autofree echo *e = g_new0(echo, 1);
	e->base.ops = &echo_ops;
	e->sw = EMU_SW_OK;
	for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
		const char *o = options[i];
		unsigned long v = 0;
		if (g_str_has_prefix(o, "sw=")) {
			/* A status word is 2 bytes; SW1 is 6x or 9x (7816-4 §5.6),
			 * 60 (the NULL byte) excepted. */
			if (strlen(o + 3) != 4 || !parse_number(o + 3, 16, 0xFFFF, &v) ||
			    ((v >> 12) != 6 && (v >> 12) != 9) || (v >> 8) == 0x60) {
				g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
					    "echo: \"%s\": sw= takes 4 hex digits, SW1 6x or 9x (not 60)",
					    o);
				return NULL;
			}
			e->sw = (uint16_t)v;
		} else if (g_str_has_prefix(o, "n=")) {
			if (!parse_number(o + 2, 10, EMU_APDU_MAX_NE, &v)) {
				g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
					    "echo: \"%s\": n= takes 0..%u", o, EMU_APDU_MAX_NE);
				return NULL;
			}
			e->fixed = true;
			e->n = v;
		} else {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "echo: unknown option \"%s\" (sw=XXXX, n=N)", o);
			return NULL;
		}
	}
	return &((echo *)g_steal_pointer(&e))->base;
}
