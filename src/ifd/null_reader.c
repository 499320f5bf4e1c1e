/* ccidlab — the null reader (DEVICENAME emu:null): a card that answers
 * straight from the IFD layer, with no CCID message, no device model and
 * no host engine behind it.  It measures pcscd's own cost: the floor the
 * benchmarks divide every other reader's figures by.
 *
 * Its card answers as readertest does (SELECT, INS 30/32/34/36: P1P2
 * bytes 00 01 02... then 90 00), so the same client loop runs on both.
 */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>

#include "ifd/log.h"
#include "ifd/null_reader.h"
#include "ifd/reader.h"

/* T=1 only, IFSC 254: a made-up ATR that names no real card. */
static const uint8_t null_atr[] = { 0x3B, 0x88, 0x80, 0x01, 'c', 'c', 'i', 'd',
				    'n', 'u', 'l', 'l', 0x00 };

static size_t atr_len(void)
{
	return sizeof null_atr;
}

long ifd_null_open(ifd_reader *r, bool poll)
{
	r->null_reader = true;
	r->mode = poll ? IFD_MODE_POLL : IFD_MODE_EVENT;
	r->n_slots_null = 1;
	if (r->name == NULL)
		r->name = g_strdup_printf("null#%u", r->number);
	return IFD_SUCCESS;
}

/* The TCK makes the ATR valid (ISO 7816-3 §8.2.5: XOR of T0..TCK is 0). */
static void fill_atr(uint8_t *atr)
{
	uint8_t x = 0;
	memcpy(atr, null_atr, sizeof null_atr);
	for (size_t i = 1; i + 1 < sizeof null_atr; i++)
		x ^= atr[i];
	atr[sizeof null_atr - 1] = x;
}

long ifd_null_power(ifd_reader *r, DWORD action, PUCHAR atr, PDWORD len)
{
	if (action == IFD_POWER_DOWN)
		return IFD_SUCCESS;
	if (atr == NULL || len == NULL)
		return IFD_ERROR_POWER_ACTION;
	fill_atr(atr);
	*len = (DWORD)atr_len();
	r->null_powered = true;
	return IFD_SUCCESS;
}

long ifd_null_atr(ifd_reader *r, PDWORD len, PUCHAR value)
{
	if (!r->null_powered) {
		*len = 0;
		return IFD_SUCCESS;
	}
	if (*len < atr_len())
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	fill_atr(value);
	*len = (DWORD)atr_len();
	return IFD_SUCCESS;
}

long ifd_null_transmit(const uint8_t *tx, DWORD tx_len, uint8_t *rx, PDWORD rx_len)
{
	size_t n = 0;
	DWORD cap = *rx_len;

	*rx_len = 0;
	if (tx_len >= 4 && (tx[1] == 0x34 || tx[1] == 0x36)) {
		n = (size_t)tx[2] << 8 | tx[3];
		if (n == 0)
			n = 256;
	}
	if (cap < n + 2)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	for (size_t i = 0; i < n; i++)
		rx[i] = (uint8_t)i;
	rx[n] = 0x90;
	rx[n + 1] = 0x00;
	*rx_len = (DWORD)(n + 2);
	return IFD_SUCCESS;
}
