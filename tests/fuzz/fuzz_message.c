/* ccidlab — fuzz target: the CCID message codec (CCID 1.1 §6).
 *
 * The input is one message as it would arrive on a pipe.  It is decoded as
 * a bulk message (either direction) under several limits, and as an
 * interrupt message for several slot counts.  Whatever decodes must encode
 * back to the same bytes: encode(decode(x)) == x.  Decoded responses are
 * then checked against every command, and mapped through errmap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/errmap.h"
#include "ccid/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t commands[] = {
	0x61, 0x62, 0x63, 0x65, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x71, 0x72, 0x73,
};

static void bulk(const uint8_t *data, size_t size, const ccid_msg_limits *lim)
{
	ccid_msg m;
	ccid_msg_mismatch mm = { 0 };
	char text[96];
	int r = ccid_message_decode(data, size, lim, &m, &mm);
	ccid_message_format_mismatch(&mm, text, sizeof text);
	if (r != CCID_OK)
		return;
	uint8_t *out = malloc(size);
	size_t out_len = 0;
	if (out == NULL)
		return;
	if (ccid_message_encode(&m, out, size, &out_len) != CCID_OK || out_len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
	if (!ccid_message_is_response(m.bMessageType))
		return;
	for (size_t i = 0; i < sizeof commands; i++) {
		ccid_msg cmd;
		ccid_message_init(&cmd, commands[i], m.bSlot, (uint8_t)(m.bSeq + i));
		r = ccid_message_check_response(&cmd, &m, &mm);
		ccid_message_format_mismatch(&mm, text, sizeof text);
		if (r == CCID_R_TIME_EXTENSION && ccid_message_time_extension(&m) != m.p.rdr.bError)
			abort();
		(void)ccid_errmap_result(commands[i], CCID_OK, m.p.rdr.bStatus, m.p.rdr.bError);
	}
	(void)ccid_errmap_bError_name(m.p.rdr.bError);
	(void)ccid_errmap_icc(m.p.rdr.bStatus);
}

static void interrupt(const uint8_t *data, size_t size, unsigned nslots)
{
	ccid_interrupt in;
	if (ccid_message_interrupt_decode(data, size, nslots, &in) != CCID_OK)
		return;
	uint8_t out[80];
	size_t out_len = 0;
	if (in.len > size || ccid_message_interrupt_encode(&in, out, sizeof out, &out_len) != CCID_OK ||
	    out_len != in.len || memcmp(out, data, out_len) != 0)
		abort();
	if (in.bMessageType == CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE)
		for (unsigned s = 0; s <= nslots; s++) {
			(void)ccid_message_notify_present(&in.u.notify, s);
			(void)ccid_message_notify_changed(&in.u.notify, s);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ccid_msg_limits limits[] = {
		{ 0, 0xFF }, { 271, 0 }, { 263, 1 }, { 65546, 7 },
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
		bulk(data, size, &limits[i]);
	bulk(data, size, NULL);
	ccid_msg h;
	(void)ccid_message_decode_header(data, size, &h);

	const unsigned slot_counts[] = { 1, 2, 4, 5, 17, 255, 256 };
	for (size_t i = 0; i < sizeof slot_counts / sizeof slot_counts[0]; i++)
		interrupt(data, size, slot_counts[i]);
	if (size > 1)
		interrupt(data, size, 1u + data[size - 1]);
	return 0;
}
