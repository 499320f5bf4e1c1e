/* ccidlab — the emulator's error domain (error.h). */
#include "config.h"

#include "emu/error.h"

G_DEFINE_QUARK(emu-error-quark, emu_error)
