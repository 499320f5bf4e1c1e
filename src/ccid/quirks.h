/* ccidlab — known reader quirks, as data.
 *
 * One table keyed by idVendor, idProduct and a bcdDevice range.  An entry
 * can force the exchange level (readers whose dwFeatures understate or
 * misstate what they do) and carries flags for known misbehaviour that
 * other layers act on.  Facts come from the reader collection of the free
 * CCID driver (see ../shared/docs/libccid-reference.md §2); the table is
 * ours, and a unit test checks every entry.
 */
#ifndef CCIDLAB_CCID_QUIRKS_H
#define CCIDLAB_CCID_QUIRKS_H

#include <stdbool.h>
#include <stdint.h>

#include "ccid/descriptor.h"

enum {
	/* The CCID class descriptor follows the endpoint descriptors; the
	 * walker accepts that anyway (ccid_interface.desc_after_endpoints). */
	CCID_QUIRK_DESC_AFTER_ENDPOINTS = 1u << 0,
	/* Never send a PPS; keep the default rate (O2Micro OZ776). */
	CCID_QUIRK_NO_PPS = 1u << 1,
	/* No character-level response may be a multiple of 64 bytes: split
	 * reads (O2Micro OZ776). */
	CCID_QUIRK_SPLIT_64 = 1u << 2,
};

/* No level override: keep what dwFeatures says. */
#define CCID_QUIRK_LEVEL_KEEP (-1)

typedef struct ccid_quirk {
	uint16_t idVendor;
	uint16_t idProduct;
	uint16_t bcdDevice_min; /* inclusive range */
	uint16_t bcdDevice_max;
	int level;              /* a ccid_exchange_level or CCID_QUIRK_LEVEL_KEEP */
	uint32_t flags;         /* CCID_QUIRK_* */
	const char *name;       /* reader, for logs */
	/* The message size the firmware really takes and sends, when its
	 * descriptor's dwMaxCCIDMessageLength says less (0: trust the
	 * descriptor). */
	uint32_t message_length;
} ccid_quirk;

/* The first table entry matching the device, or NULL. */
const ccid_quirk *ccid_quirks_find(uint16_t idVendor, uint16_t idProduct, uint16_t bcdDevice);

/* The exchange level to use: the quirk's override if any, else `level`. */
ccid_exchange_level ccid_quirks_level(const ccid_quirk *q, ccid_exchange_level level);

/* The dwMaxCCIDMessageLength to use: the quirk's when it has one, else
 * `declared` (the descriptor's). */
uint32_t ccid_quirks_message_length(const ccid_quirk *q, uint32_t declared);

/* The whole table, for tests and for listing (`ccidlab` shows it). */
const ccid_quirk *ccid_quirks_table(unsigned *count);

#endif
