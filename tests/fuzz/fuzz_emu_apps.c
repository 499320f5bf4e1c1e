/* ccidlab — fuzz target: the APDUs any PC/SC client sends into the
 * emulated card applications (src/emu/app_*.c; issue 20): readertest,
 * echo, script and files, the last two from a description in the input.
 *
 * Input: one byte (bits 0-1 the application, bit 2 a reset between
 * APDUs, bit 3 T=0), for echo/script/files a 2-byte length and that
 * text, then APDUs, each a 2-byte length and its bytes.  Every response
 * must fit its buffer (an exact 65,536-byte heap buffer) and leave the
 * application usable for the next.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/apdu.h"
#include "emu/app.h"

#define RSP_CAP 65536u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t take_len(const uint8_t *data, size_t size, size_t *at)
{
	if (*at + 2 > size) {
		*at = size;
		return 0;
	}
	size_t n = (size_t)data[*at] | (size_t)data[*at + 1] << 8;
	*at += 2;
	return MIN(n, size - *at);
}

static emu_app *make(unsigned kind, const char *text, size_t len)
{
	switch (kind) {
	case 0:
		return emu_app_readertest_new(NULL);
	case 1: {
		g_auto(GStrv) opts = g_strsplit(text, ",", 8);
		return emu_app_echo_new((const char *const *)opts, NULL);
	}
	case 2:
		return emu_app_script_new_from_text(text, len, "fuzz", NULL);
	default:
		return emu_app_files_new_from_text(text, len, "fuzz", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned kind = data[0] & 3u;
	bool reset = data[0] & 4u, t0 = data[0] & 8u;
	size_t at = 1, tlen = kind == 0 ? 0 : take_len(data, size, &at);
	g_autofree char *text = g_strndup((const char *)data + at, tlen);
	at += tlen;
	g_autoptr(emu_app) app = make(kind, text, strlen(text));
	if (app == NULL)
		return 0;
	uint8_t *rbuf = malloc(RSP_CAP);
	while (at < size) {
		size_t n = take_len(data, size, &at);
		uint8_t *apdu = malloc(n ? n : 1);	/* exact size */
		if (n > 0)
			memcpy(apdu, data + at, n);
		at += n;
		emu_apdu a;
		if (emu_apdu_parse(apdu, n, &a) == 0) {
			a.t0 = t0;
			emu_app_rsp rsp = { .data = rbuf, .cap = RSP_CAP };
			emu_app_ins_data(app, a.cla, a.ins);
			emu_app_process(app, &a, &rsp);
			if (rsp.len > rsp.cap)
				abort();
		}
		free(apdu);
		if (reset)
			emu_app_reset(app);
	}
	free(rbuf);
	return 0;
}
