/* ccidlab — `ccidlab bench driver`'s floor (bench_floor.c): one APDU on a
 * usbsim device's bulk pipes, no driver. */
#ifndef CCIDLAB_BENCH_BENCH_FLOOR_H
#define CCIDLAB_BENCH_BENCH_FLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_floor bench_floor;

/* Opens the usbsim device at bus:address, powers its card up (T=1 TPDU
 * parameters when t1), selects readertest.  NULL with the reason in why. */
bench_floor *bench_floor_open(unsigned bus, unsigned address, bool t1, char *why, size_t why_len);
/* The APDU that bench_floor_apdu sends (at most 254 bytes on T=1). */
bool bench_floor_set(bench_floor *f, const uint8_t *apdu, size_t len);
/* Sends it once; true when the answer ends 90 00. */
bool bench_floor_apdu(bench_floor *f);
void bench_floor_close(bench_floor *f);

#endif
