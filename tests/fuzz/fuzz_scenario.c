/* ccidlab — fuzz target: scenario files (emu timelines, src/emu/timeline.c;
 * issue 20).  The input is the file's text; what loads must hold at most
 * EMU_TIMELINE_MAX_STEPS steps in time order, within the time bound. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "emu/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	emu_timeline *t = emu_timeline_load_data((const char *)data, size, &err);
	if (t == NULL) {
		if (err == NULL || err->message == NULL)
			abort();
		g_error_free(err);
		return 0;
	}
	size_t n = emu_timeline_size(t);
	if (n > EMU_TIMELINE_MAX_STEPS)
		abort();
	for (size_t i = 0; i < n; i++) {
		const emu_timeline_step *s = emu_timeline_get(t, i);
		if (s->at_ms > EMU_TIMELINE_MAX_AT_MS || s->reader == NULL ||
		    (i > 0 && s->at_ms < emu_timeline_get(t, i - 1)->at_ms))
			abort();
	}
	emu_timeline_free(t);
	return 0;
}
