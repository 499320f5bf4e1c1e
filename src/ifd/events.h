/* ccidlab — card events: what pcscd's event and polling threads see, and
 * the edges the driver observes on real readers (events.c). */
#ifndef CCIDLAB_IFD_EVENTS_H
#define CCIDLAB_IFD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "ifd/reader.h"

/* Event mode (events.c).  The first look at the slots ends by `end`
 * (monotonic µs). */
void ifd_events_start(ifd_reader *r, gint64 end);
void ifd_events_stop(ifd_reader *r);
/* The functions pcscd gets for TAG_IFD_POLLING_THREAD_WITH_TIMEOUT and
 * TAG_IFD_STOP_POLLING_THREAD. */
long ifd_events_wait(unsigned long lun, int timeout_ms);
long ifd_events_stop_wait(unsigned long lun);
/* IFDHICCPresence in event mode: from the reports, no round trip. */
bool ifd_events_present(ifd_reader *r, unsigned slot);
/* The same, consuming nothing (attributes). */
bool ifd_events_present_peek(ifd_reader *r, unsigned slot);
/* The slot's edges folded away before pcscd looked (ifd_slot.folded). */
uint64_t ifd_events_folded(ifd_reader *r, unsigned slot);

/* Real readers have no emulator to log their edges: the driver records
 * what it observes (a NotifySlotChange, a polled change) in the edge log,
 * source "observed", so the control socket's subscribers see them. */
void ifd_observed_edge(ifd_reader *r, unsigned slot, bool present);
/* The reader's id in the edge log: its emulated device's, or the one its
 * observed edges carry (0 for the null reader). */
unsigned ifd_edge_id(const ifd_reader *r);

#endif
