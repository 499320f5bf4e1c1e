/* ccidlab — which reader.conf.d entries the lab's pcscd refused, and why
 * (lab_refused.c), read from pcscd's log. */
#ifndef CCIDLAB_LAB_LAB_REFUSED_H
#define CCIDLAB_LAB_LAB_REFUSED_H

#include <glib.h>

/* One line per refused reader.conf.d entry of `log` (pcscd -d's log):
 * "NAME" (DEVICENAME D): REASON, the reason being the driver's own
 * ("... refused: REASON") when it logged one, else pcscd's.  Hotplug
 * readers are not reader.conf.d entries and are left out.  Returns an
 * empty array when pcscd took every entry. */
GPtrArray *lab_refused_entries(const char *log);

#endif
