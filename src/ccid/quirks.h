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
#include <stddef.h>
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
	/* RDR_to_PC_Parameters comes with dwLength 0 while the 7 bytes of
	 * an abProtocolDataStructure follow (QEMU's usb-ccid up to at least
	 * 7.2): the trailer is dropped before the frame is judged
	 * (ccid_quirks_response_len). */
	CCID_QUIRK_PARAMS_LENGTH_ZERO = 1u << 3,
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

/* The length of a bulk-IN frame to judge, after the device's known
 * framing quirks (`flags`): `len` itself for every frame a quirk does not
 * name.  Pure: looks at the frame, never writes it. */
size_t ccid_quirks_response_len(uint32_t flags, const uint8_t *buf, size_t len);

/* The dwMaxCCIDMessageLength to use: the quirk's when it has one, else
 * `declared` (the descriptor's). */
uint32_t ccid_quirks_message_length(const ccid_quirk *q, uint32_t declared);

/* The whole table, for tests and for listing (`ccidlab` shows it). */
const ccid_quirk *ccid_quirks_table(unsigned *count);

#endif
