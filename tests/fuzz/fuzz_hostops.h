/* ccidlab — one host operation of the stateful fuzz targets against the
 * host engine, with the invariants every answer must keep (issue 20):
 * a response fits its buffer (exact-size heap buffers: ASan sees any byte
 * past them), an ATR is at most 33 bytes, an interrupt message names no
 * slot the reader lacks, and every call returns within its cap on the
 * virtual clock (vclock.h): a command within the cap, its abort and a
 * read's rounding, an APDU within the APDU cap, PIN entry within the PIN
 * cap.  A broken invariant is an abort(). */
#ifndef CCIDLAB_FUZZ_HOSTOPS_H
#define CCIDLAB_FUZZ_HOSTOPS_H

#include "fuzz_device.h"
#include "host/host.h"

/* Whether the caps are checked (true).  fuzz_host_mt turns them off: its
 * virtual time moves with either thread's device waits, so a thread
 * would count the other's waits as its own (in real time they overlap). */
extern bool hostops_check_caps;

/* Applies the header's timeouts to a reader the target opened. */
void hostops_setup(host_reader *r, const fdev *d);
void hostops_run(host_reader *r, const fdev_op *op);
/* Every operation of the input, in order, on this thread. */
void hostops_run_all(host_reader *r, fdev *d);

#endif
