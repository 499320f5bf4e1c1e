/* ccidlab — the bounds of a storm (device.h, emu_storm_start), apart
 * from the device model so that a client can check a request against them
 * before sending it (the control protocol does, ctl/request.c).
 */
#ifndef CCIDLAB_EMU_STORM_LIMITS_H
#define CCIDLAB_EMU_STORM_LIMITS_H

#define EMU_STORM_MAX_RATE 100000.0
#define EMU_STORM_MAX_DURATION_MS (24u * 3600u * 1000u)
#define EMU_STORM_MAX_TARGETS 4096u
#define EMU_STORM_MAX_STEPS 10000000u

#endif
