/* ccidlab — fuzz target: IFDHControl (src/ifd/control.c; issue 20): the
 * part 10 PIN structures a PC/SC client passes (FEATURE_VERIFY_PIN_DIRECT,
 * FEATURE_MODIFY_PIN_DIRECT) turned into PC_to_RDR_Secure, and the
 * feature, property and escape requests, on an emulated PIN-pad reader
 * the driver opens as pcscd would (its keypad types 1234, its card is the
 * readertest applet).
 *
 * Input: one byte picks the control code (the seven features, or the
 * next 4 bytes as a code), two bytes the caller's receive length, the
 * rest is what the client sends.  The answer must fit the receive buffer
 * (an exact-size heap buffer) and the returned length must say so.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <ifdhandler.h>
#include <reader.h>

#include "ifd/control.h"
#include "ifd/reader.h"

#define LUN 0ul

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_autofree char *dir = g_dir_make_tmp("ccidlab-fuzz-ctl-XXXXXX", NULL);
	g_autofree char *sock = g_build_filename(dir, "ctl.sock", NULL);
	g_setenv("CCIDLAB_CTL_LISTEN", sock, TRUE);
	g_setenv("CCIDLAB_LOG_LEVEL", "0", TRUE);
	if (ifd_reader_open(LUN, "emu:generic-pinpad:card=readertest@t1:escape=1:keypad=1234") !=
	    IFD_SUCCESS)
		abort();
	ifd_reader *r = ifd_reader_get(LUN);
	uint8_t atr[64];
	size_t n = 0;
	host_reader_set_timeout(r->host, 200);
	host_reader_set_timeout_cap(r->host, 1000);
	host_reader_set_pin_timeout_cap(r->host, 2000);
	if (host_slot_power_on(r->host, 0, atr, sizeof atr, &n) != CCID_OK)
		abort();
	return 0;
}

static DWORD code_of(const uint8_t *data, size_t size, size_t *at)
{
	static const DWORD codes[] = {
		CM_IOCTL_GET_FEATURE_REQUEST,
		SCARD_CTL_CODE(0x330000 + FEATURE_GET_TLV_PROPERTIES),
		SCARD_CTL_CODE(0x330000 + FEATURE_IFD_PIN_PROPERTIES),
		SCARD_CTL_CODE(0x330000 + FEATURE_VERIFY_PIN_DIRECT),
		SCARD_CTL_CODE(0x330000 + FEATURE_MODIFY_PIN_DIRECT),
		SCARD_CTL_CODE(0x330000 + FEATURE_CCID_ESC_COMMAND),
		SCARD_CTL_CODE(1),
	};
	unsigned k = data[0] % (G_N_ELEMENTS(codes) + 1);
	*at = 1;
	if (k < G_N_ELEMENTS(codes))
		return codes[k];
	DWORD c = 0;
	for (unsigned i = 0; i < 4 && *at < size; i++)
		c = c << 8 | data[(*at)++];
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t at;
	DWORD code = code_of(data, size, &at);
	if (at + 2 > size)
		return 0;
	DWORD rx_len = (DWORD)data[at] | (DWORD)data[at + 1] << 8;
	at += 2;
	uint8_t *rx = malloc(rx_len ? rx_len : 1);	/* exact size */
	size_t tx_len = size - at;
	uint8_t *tx = malloc(tx_len ? tx_len : 1);	/* exact size too */
	if (tx_len > 0)
		memcpy(tx, data + at, tx_len);
	DWORD returned = 0xDEADBEEF;
	ifd_control(LUN, code, tx, (DWORD)tx_len, rx, rx_len, &returned);
	if (returned > rx_len)
		abort();
	free(rx);
	free(tx);
	return 0;
}
