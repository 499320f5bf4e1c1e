/* ccidlab — fuzz target: readers.tsv, the reader catalogue
 * (src/emu/catalogue.c; issue 20).  The input is the file: a header row
 * then rows.  What loads is listed, and every emulatable profile must
 * build a configuration descriptor and a device. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "emu/device.h"
#include "emu/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *err = NULL;
	emu_catalogue *c = emu_catalogue_load_data((const char *)data, size, "readers.tsv", &err);
	if (c == NULL) {
		if (err == NULL || err->message == NULL)
			abort();
		g_error_free(err);
		return 0;
	}
	for (size_t i = 0; i < emu_catalogue_size(c) && i < 64; i++) {
		const emu_profile *p = emu_catalogue_get(c, i);
		uint8_t cfg[EMU_PROFILE_CONFIG_DESC_MAX];
		if (p == NULL || p->name == NULL)
			abort();
		if (!p->emulatable)
			continue;
		if (emu_profile_config_descriptor(p, cfg, sizeof cfg) == 0)
			abort();
		emu_device *dev = emu_device_new(p, NULL);
		emu_device_unref(dev);
	}
	emu_catalogue_free(c);
	return 0;
}
