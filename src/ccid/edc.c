/* ccidlab — T=1 error detection codes (ISO/IEC 7816-3:2006 §11.4.4).
 *
 * LRC: the XOR of every byte of the prologue and INF.
 *
 * CRC: §11.4.4 refers to ISO/IEC 13239 (formerly ISO 3309), the HDLC
 * frame check sequence, but it does not pin down the register's initial
 * value, the final complement or the byte order in the epilogue, and
 * cards and readers follow the host stacks rather than that text.  We
 * use what pcsc-lite's CCID driver (its T=1 stack, from OpenCT) and
 * therefore the cards that work with it use:
 *   polynomial x^16 + x^12 + x^5 + 1 processed LSB first (0x8408, the
 *   reflected form of 0x1021), initial value 0xFFFF, no final XOR
 *   ("CRC-16/MCRF4XX" in the catalogues; check value 0x6F91 for the
 *   ASCII string "123456789"),
 *   sent high byte first (big-endian) in the two-byte epilogue.
 * CRC is rare in practice (almost every T=1 card announces LRC in its
 * first TC for T=1), so matching the deployed host matters more than the
 * letter of ISO/IEC 13239, which would add a final complement.
 *
 * Blocks are at most 259 bytes, so a bitwise CRC is fast enough and
 * keeps a 512-byte table out of the code.
 */
#include "ccid/t1.h"

uint8_t ccid_edc_lrc(const uint8_t *p, size_t n)
{
	uint8_t lrc = 0;
	for (size_t i = 0; i < n; i++)
		lrc ^= p[i];
	return lrc;
}

uint16_t ccid_edc_crc(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	return crc;
}

size_t ccid_edc_size(ccid_t1_edc edc)
{
	return edc == CCID_T1_EDC_CRC ? 2 : 1;
}

void ccid_edc_put(ccid_t1_edc edc, const uint8_t *p, size_t n, uint8_t *out)
{
	if (edc == CCID_T1_EDC_CRC) {
		uint16_t crc = ccid_edc_crc(p, n);
		out[0] = (uint8_t)(crc >> 8);
		out[1] = (uint8_t)crc;
	} else {
		out[0] = ccid_edc_lrc(p, n);
	}
}

bool ccid_edc_check(ccid_t1_edc edc, const uint8_t *p, size_t n)
{
	size_t k = ccid_edc_size(edc);
	if (n < k)
		return false;
	uint8_t want[2];
	ccid_edc_put(edc, p, n - k, want);
	for (size_t i = 0; i < k; i++)
		if (p[n - k + i] != want[i])
			return false;
	return true;
}
