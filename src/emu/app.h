/* ccidlab — APDU applications of the virtual cards.
 *
 * An application sees whole command APDUs (already decoded, emu/apdu.h)
 * and writes the response data and a status word.  The card (card.c,
 * card_t0.c, card_t1.c) owns the transport: T=0 procedure bytes, 61xx and
 * 6Cxx, T=1 blocks and WTX.  An application asks for time by setting
 * work_ms; the card turns it into NULL procedure bytes or S(WTX), and the
 * reader into time extensions.
 *
 * Applications are objects with a const table of operations (STYLE.md
 * rule 14): `struct emu_app` is the first member of each one's own
 * struct.  Not thread-safe: the card calls them with its slot lock held.
 */
#ifndef CCIDLAB_EMU_APP_H
#define CCIDLAB_EMU_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "emu/apdu.h"

/* Which way an instruction moves data, for T=0, where a TPDU header
 * alone does not tell a case 2 (P3 = Le) from a case 3 (P3 = Lc)
 * (7816-3 §12.2: the card knows its INS). */
typedef enum emu_app_data {
	EMU_APP_DATA_NONE,      /* case 1 */
	EMU_APP_DATA_CMD,       /* command data: cases 3 and 4 */
	EMU_APP_DATA_RSP,       /* response data only: case 2 */
} emu_app_data;

/* Where an application writes its answer.  `data` has room for `cap`
 * bytes (65,536: Ne at most); the SW goes apart. */
typedef struct emu_app_rsp {
	uint8_t *data;
	size_t cap;
	size_t len;
	uint16_t sw;
	unsigned work_ms;       /* time the application works (0: none) */
} emu_app_rsp;

typedef struct emu_app emu_app;

typedef struct emu_app_ops {
	const char *name;
	/* Mandatory: one command.  Always sets rsp->sw; never fails. */
	void (*process)(emu_app *app, const emu_apdu *apdu, emu_app_rsp *rsp);
	/* Optional (NULL: emu_app_default_ins_data()). */
	emu_app_data (*ins_data)(emu_app *app, uint8_t cla, uint8_t ins);
	/* Optional: the card was reset (volatile state back to its start:
	 * nothing selected; persistent state such as PIN counters stays). */
	void (*reset)(emu_app *app);
	/* Mandatory: frees the whole object. */
	void (*free)(emu_app *app);
} emu_app_ops;

struct emu_app {
	const emu_app_ops *ops;
};

/* The generic side of every application. */
void emu_app_process(emu_app *app, const emu_apdu *apdu, emu_app_rsp *rsp);
emu_app_data emu_app_ins_data(emu_app *app, uint8_t cla, uint8_t ins);
void emu_app_reset(emu_app *app);
void emu_app_free(emu_app *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_app, emu_app_free)

/* The ISO/IEC 7816-4 instructions whose case is fixed (SELECT, READ
 * BINARY, VERIFY...); anything else: EMU_APP_DATA_NONE, which makes a
 * T=0 header with P3 != 0 a case 2. */
emu_app_data emu_app_default_ins_data(uint8_t ins);

/* Response helpers: they never write past cap (a too long answer becomes
 * 6F00, "no precise diagnosis"). */
static inline bool emu_app_rsp_put(emu_app_rsp *rsp, const uint8_t *p, size_t n)
{
	if (n > rsp->cap - rsp->len) {
		rsp->len = 0;
		rsp->sw = EMU_SW_UNKNOWN;
		return false;
	}
	if (n > 0)
		memcpy(rsp->data + rsp->len, p, n);
	rsp->len += n;
	return true;
}

/* Appends n bytes 00 01 02 ... (i mod 256), the readertest pattern. */
bool emu_app_rsp_pattern(emu_app_rsp *rsp, size_t n);

/* ---- the applications --------------------------------------------------- */

/* The reader test applet (AID A0 00 00 00 18 FF), see app_readertest.c.
 * `pin`: the PIN VERIFY expects; NULL for the test tools' "1234..."
 * (byte i = 0x31 + i, any length). */
emu_app *emu_app_readertest_new(const char *pin);
/* The AID, for tests and SELECT builders. */
extern const uint8_t emu_app_readertest_aid[6];
/* INS 38: the time asked for, per unit of P2. */
#define EMU_READERTEST_MS_PER_P2 10u

/* Echo: options "sw=XXXX" (the status word, default 9000) and "n=N"
 * (answer N bytes 00 01 02 ... instead of the command data). */
emu_app *emu_app_echo_new(const char *const *options, GError **error);

/* Script: a file of "pattern => response [delay=ms]" lines (app_script.c). */
emu_app *emu_app_script_new(const char *path, GError **error);
emu_app *emu_app_script_new_from_text(const char *text, size_t len, const char *name,
				      GError **error);
#define EMU_SCRIPT_MAX_BYTES (1u << 20)
#define EMU_SCRIPT_MAX_RULES 4096u
#define EMU_SCRIPT_MAX_DELAY_MS 60000u

/* Files: an ISO 7816-4 file system from a GKeyFile description
 * (app_files.c). */
emu_app *emu_app_files_new(const char *path, GError **error);
#define EMU_FILES_MAX_FILES 256u
#define EMU_FILES_MAX_SIZE 65535u
#define EMU_FILES_MAX_RECORDS 254u

#endif
