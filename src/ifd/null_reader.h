/* ccidlab — the null reader, "emu:null" (null_reader.c). */
#ifndef CCIDLAB_IFD_NULL_READER_H
#define CCIDLAB_IFD_NULL_READER_H

#include <stdbool.h>
#include <stdint.h>

#include <ifdhandler.h>

#include "ifd/reader.h"

/* The null reader (null_reader.c): pcscd's own cost, for benchmarks. */
long ifd_null_open(ifd_reader *r, bool poll);
long ifd_null_power(ifd_reader *r, DWORD action, PUCHAR atr, PDWORD len);
long ifd_null_atr(ifd_reader *r, PDWORD len, PUCHAR value);
long ifd_null_transmit(const uint8_t *tx, DWORD tx_len, uint8_t *rx, PDWORD rx_len);

#endif
