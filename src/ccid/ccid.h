/* ccidlab — the CCID protocol core, public header.
 *
 * src/ccid/ is pure: bytes in, bytes out.  It does no I/O, starts no
 * threads, keeps no globals, allocates only where a function says so, and
 * includes nothing but libc.  Both faces of ccidlab (the USB driver and the
 * emulated readers) run this same code, and so do the fuzzers.
 */
#ifndef CCIDLAB_CCID_H
#define CCIDLAB_CCID_H

#include "ccid/result.h"
#include "ccid/bytes.h"
#include "ccid/xfer.h"
#include "ccid/descriptor.h"
#include "ccid/rates.h"
#include "ccid/quirks.h"
#include "ccid/message.h"
#include "ccid/errmap.h"
#include "ccid/exchange.h"
#include "ccid/atr.h"
#include "ccid/pps.h"
#include "ccid/t0.h"
#include "ccid/t1.h"

#endif
