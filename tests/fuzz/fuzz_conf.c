/* ccidlab — fuzz target: ccidlab.conf (src/ifd/usbconf.c; issue 20).
 * The input is the file's text; it is resolved for two readers (one
 * whose serial has a group of its own).  Settings must stay within their
 * documented ranges; a refusal must say why. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ifd/usbconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const serials[] = { "S1", "" };
	static const char *const keys[] = { "mode" };
	static const char *const values[] = { "auto" };

	for (unsigned i = 0; i < 2; i++) {
		usbconf c;
		char why[512] = "";
		if (!usbconf_resolve_data((const char *)data, size, "ccidlab.conf", 0x072F, 0x90CC,
					  serials[i], keys, values, 1, &c, why, sizeof why)) {
			if (why[0] == '\0' || memchr(why, '\0', sizeof why) == NULL)
				abort();
			continue;
		}
		if (c.timeout_cap_s < 1 || c.timeout_cap_s > 3600 || c.log < -1 || c.log > 15 ||
		    c.mode > USBCONF_MODE_POLL || memchr(c.name, '\0', sizeof c.name) == NULL ||
		    memchr(c.origin, '\0', sizeof c.origin) == NULL)
			abort();
	}
	return 0;
}
