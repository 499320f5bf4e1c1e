/* ccidlab — the CCID message codec: round trips in both roles, and every
 * malformed header refused (CCID 1.1 §6). */
#include <glib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/message.h"
#include "wiredata.h"

static const uint8_t command_types[] = {
	0x61, 0x62, 0x63, 0x65, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x71, 0x72, 0x73,
};
static const uint8_t response_types[] = { 0x80, 0x81, 0x82, 0x83, 0x84 };

static const ccid_msg_limits lim_one_slot = { .dwMaxCCIDMessageLength = 271, .bMaxSlotIndex = 0 };

static void decode_ok(const uint8_t *buf, size_t len, ccid_msg *m)
{
	ccid_msg_mismatch mm = { 0 };
	g_assert_cmpint(ccid_message_decode(buf, len, &lim_one_slot, m, &mm), ==, CCID_OK);
	g_assert_null(mm.field);
}

static void assert_reencodes(const ccid_msg *m, const uint8_t *buf, size_t len)
{
	uint8_t out[512];
	size_t out_len = 0;
	g_assert_cmpint(ccid_message_encode(m, out, sizeof out, &out_len), ==, CCID_OK);
	g_assert_cmpmem(out, out_len, buf, len);
}

/* Every canned frame, either direction, decodes and encodes back to the
 * same bytes: the device decodes what the host encodes and vice versa. */
static void test_canned_frames_round_trip(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(wire_bulk_frames); i++) {
		const struct wire_frame *f = &wire_bulk_frames[i];
		ccid_msg m;
		g_test_message("%s", f->name);
		decode_ok(f->bytes, f->len, &m);
		g_assert_cmpuint(m.dwLength, ==, f->len - CCID_HEADER_SIZE);
		if (m.dwLength > 0)
			g_assert_true(m.abData == f->bytes + CCID_HEADER_SIZE);
		assert_reencodes(&m, f->bytes, f->len);
	}
}

/* Built from named fields by one role, decoded by the other: every type. */
static void test_every_type_round_trips_from_named_fields(void)
{
	uint8_t payload[300];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	uint8_t all[sizeof command_types + sizeof response_types];
	memcpy(all, command_types, sizeof command_types);
	memcpy(all + sizeof command_types, response_types, sizeof response_types);
	for (size_t i = 0; i < sizeof all; i++) {
		ccid_msg m, d;
		uint8_t buf[512];
		size_t len;
		ccid_message_init(&m, all[i], 3, (uint8_t)(0xF0 + i));
		switch (all[i]) {
		case 0x61:
			m.p.set_params.bProtocolNum = 1;
			m.dwLength = 7;
			break;
		case 0x73:
		case 0x84:
			m.dwLength = 8;
			break;
		case 0x69:
		case 0x6F:
			m.p.xfr.bBWI = 4;
			m.p.xfr.wLevelParameter = 0x1234;
			m.dwLength = 261;
			break;
		case 0x6B:
		case 0x80:
		case 0x82:
		case 0x83:
			m.dwLength = 33;
			break;
		default:
			break;
		}
		if (ccid_message_is_response(all[i])) {
			m.p.rdr.bStatus = 0x41;
			m.p.rdr.bError = 0xFE;
			m.p.rdr.bChainParameter = 0x03;
		} else if (all[i] == 0x62) {
			m.p.power_on.bPowerSelect = 2;
		} else if (all[i] == 0x6A) {
			m.p.t0apdu.bmChanges = 3;
			m.p.t0apdu.bClassGetResponse = 0xA0;
			m.p.t0apdu.bClassEnvelope = 0x80;
		}
		m.abData = m.dwLength ? payload : NULL;
		g_assert_cmpint(ccid_message_encode(&m, buf, sizeof buf, &len), ==, CCID_OK);
		g_assert_cmpuint(len, ==, CCID_HEADER_SIZE + m.dwLength);
		ccid_msg_limits lim = { 271, 3 };
		g_assert_cmpint(ccid_message_decode(buf, len, &lim, &d, NULL), ==, CCID_OK);
		g_assert_cmphex(d.bMessageType, ==, all[i]);
		g_assert_cmpuint(d.bSlot, ==, 3);
		g_assert_cmpuint(d.bSeq, ==, m.bSeq);
		g_assert_cmpuint(d.dwLength, ==, m.dwLength);
		if (all[i] == 0x69 || all[i] == 0x6F) {
			g_assert_cmphex(d.p.xfr.wLevelParameter, ==, 0x1234);
			g_assert_cmphex(buf[8], ==, 0x34); /* little-endian on the wire */
			g_assert_cmpuint(d.p.xfr.bBWI, ==, 4);
		} else {
			g_assert_cmpmem(d.p.raw, 3, m.p.raw, 3);
		}
		if (m.dwLength)
			g_assert_cmpmem(d.abData, d.dwLength, payload, m.dwLength);
	}
}

static void test_named_fields_sit_at_spec_offsets(void)
{
	ccid_msg m;
	decode_ok(wire_power_on, sizeof wire_power_on, &m);
	g_assert_cmpuint(m.p.power_on.bPowerSelect, ==, 1);
	decode_ok(wire_t0apdu, sizeof wire_t0apdu, &m);
	g_assert_cmphex(m.p.t0apdu.bmChanges, ==, 3);
	g_assert_cmphex(m.p.t0apdu.bClassEnvelope, ==, 0xA0);
	decode_ok(wire_xfr_chain_next, sizeof wire_xfr_chain_next, &m);
	g_assert_cmphex(m.p.xfr.wLevelParameter, ==, 0x0010);
	decode_ok(wire_parameters_t1, sizeof wire_parameters_t1, &m);
	g_assert_cmpuint(m.p.rdr.bProtocolNum, ==, 1);
	decode_ok(wire_slot_status_absent, sizeof wire_slot_status_absent, &m);
	g_assert_cmphex(m.p.rdr.bStatus, ==, 0x42);
	g_assert_cmphex(m.p.rdr.bError, ==, 0xFE);
	decode_ok(wire_datablock_chain_ack, sizeof wire_datablock_chain_ack, &m);
	g_assert_cmphex(m.p.rdr.bChainParameter, ==, 0x10);
	decode_ok(wire_icc_clock, sizeof wire_icc_clock, &m);
	g_assert_cmpuint(m.p.clock.bClockCommand, ==, 1);
	decode_ok(wire_mechanical, sizeof wire_mechanical, &m);
	g_assert_cmpuint(m.p.mechanical.bFunction, ==, 1);
}

static void test_short_header_is_refused(void)
{
	for (size_t n = 0; n < CCID_HEADER_SIZE; n++) {
		ccid_msg m;
		ccid_msg_mismatch mm = { 0 };
		g_assert_cmpint(ccid_message_decode(wire_slot_status_active, n, NULL, &m, &mm), ==,
				CCID_E_SHORT);
		g_assert_cmpstr(mm.field, ==, "header");
		g_assert_cmpuint(mm.got, ==, n);
		g_assert_cmpint(ccid_message_decode_header(wire_slot_status_active, n, &m), ==,
				CCID_E_SHORT);
	}
}

static void test_dwLength_over_received_is_refused(void)
{
	ccid_msg m;
	ccid_msg_mismatch mm;
	/* The ATR frame cut one byte short. */
	g_assert_cmpint(ccid_message_decode(wire_datablock_atr, sizeof wire_datablock_atr - 1,
					    &lim_one_slot, &m, &mm), ==, CCID_E_LENGTH);
	g_assert_cmpstr(mm.field, ==, "dwLength");
	g_assert_cmpuint(mm.got, ==, 18);
	g_assert_cmpuint(mm.expected, ==, 17);
}

/* Strict: bytes after dwLength are a framing error, not padding. */
static void test_trailing_bytes_are_refused(void)
{
	uint8_t buf[64];
	memcpy(buf, wire_datablock_9000, sizeof wire_datablock_9000);
	buf[sizeof wire_datablock_9000] = 0x00;
	ccid_msg m;
	g_assert_cmpint(ccid_message_decode(buf, sizeof wire_datablock_9000 + 1, &lim_one_slot,
					    &m, NULL), ==, CCID_E_LENGTH);
}

static void test_dwLength_over_max_is_refused(void)
{
	uint8_t buf[300] = { 0x80 };
	ccid_put_le32(buf + 1, 262);
	ccid_msg m;
	ccid_msg_mismatch mm;
	/* 271 - 10 = 261 bytes of abData at most. */
	g_assert_cmpint(ccid_message_decode(buf, 272, &lim_one_slot, &m, &mm), ==,
			CCID_E_TOO_LONG);
	g_assert_cmpuint(mm.expected, ==, 261);
	ccid_put_le32(buf + 1, 261);
	g_assert_cmpint(ccid_message_decode(buf, 271, &lim_one_slot, &m, &mm), ==, CCID_OK);
	/* A declared length near 4 GiB with ten bytes in hand. */
	ccid_put_le32(buf + 1, 0xFFFFFFFFu);
	g_assert_cmpint(ccid_message_decode(buf, 10, &lim_one_slot, &m, NULL), ==,
			CCID_E_TOO_LONG);
	g_assert_cmpint(ccid_message_decode(buf, 10, NULL, &m, NULL), ==, CCID_E_LENGTH);
	ccid_msg_limits tiny = { 5, 0 };
	g_assert_cmpint(ccid_message_decode(buf, 10, &tiny, &m, NULL), ==, CCID_E_INVALID_ARG);
}

static void test_slot_over_max_index_is_refused(void)
{
	uint8_t buf[16];
	memcpy(buf, wire_slot_status_active, 10);
	buf[5] = 1;
	ccid_msg m;
	ccid_msg_mismatch mm;
	g_assert_cmpint(ccid_message_decode(buf, 10, &lim_one_slot, &m, &mm), ==, CCID_E_BAD_SLOT);
	g_assert_cmpuint(mm.got, ==, 1);
	g_assert_cmpuint(mm.expected, ==, 0);
	ccid_msg_limits two = { 271, 1 };
	g_assert_cmpint(ccid_message_decode(buf, 10, &two, &m, &mm), ==, CCID_OK);
	/* decode_header still reads it: the device answers with bError 5. */
	g_assert_cmpint(ccid_message_decode_header(buf, 10, &m), ==, CCID_OK);
	g_assert_cmpuint(m.bSlot, ==, 1);
}

static void test_unknown_type_is_refused(void)
{
	for (unsigned t = 0; t < 256; t++) {
		uint8_t buf[10] = { (uint8_t)t };
		ccid_msg m;
		bool known = memchr(command_types, (int)t, sizeof command_types) != NULL ||
			     memchr(response_types, (int)t, sizeof response_types) != NULL;
		int r = ccid_message_decode(buf, sizeof buf, NULL, &m, NULL);
		if (!known) {
			g_assert_cmpint(r, ==, CCID_E_BAD_TYPE);
			g_assert_cmpstr(ccid_message_type_name((uint8_t)t), ==,
					(t == 0x50 || t == 0x51) ? ccid_message_type_name((uint8_t)t)
								: "unknown");
		} else if (t != 0x61 && t != 0x73) {
			/* 0x61 and 0x73 need a payload */
			g_assert_cmpint(r, ==, CCID_OK);
		}
	}
}

static void test_fixed_payload_sizes_are_enforced(void)
{
	uint8_t buf[32];
	ccid_msg m;
	/* SlotStatus carries no abData (CCID 1.1 §6.2.2). */
	memcpy(buf, wire_slot_status_active, 10);
	buf[1] = 1;
	buf[10] = 0;
	g_assert_cmpint(ccid_message_decode(buf, 11, NULL, &m, NULL), ==, CCID_E_LENGTH);
	/* SetParameters T=1 with a T=0 sized structure. */
	memcpy(buf, wire_set_parameters_t1, sizeof wire_set_parameters_t1);
	buf[1] = 5;
	g_assert_cmpint(ccid_message_decode(buf, 15, NULL, &m, NULL), ==, CCID_E_LENGTH);
	memcpy(buf, wire_set_parameters_t0, sizeof wire_set_parameters_t0);
	buf[1] = 7;
	g_assert_cmpint(ccid_message_decode(buf, 17, NULL, &m, NULL), ==, CCID_E_LENGTH);
	/* SetDataRateAndClockFrequency carries exactly 8. */
	memcpy(buf, wire_set_data_rate, sizeof wire_set_data_rate);
	buf[1] = 4;
	g_assert_cmpint(ccid_message_decode(buf, 14, NULL, &m, NULL), ==, CCID_E_LENGTH);
	/* Its answer: 8, or nothing when it failed. */
	memcpy(buf, wire_data_rate, sizeof wire_data_rate);
	buf[1] = 0;
	buf[7] = 0x40;
	g_assert_cmpint(ccid_message_decode(buf, 10, NULL, &m, NULL), ==, CCID_OK);
	buf[1] = 4;
	g_assert_cmpint(ccid_message_decode(buf, 14, NULL, &m, NULL), ==, CCID_E_LENGTH);
}

static void check_pair(const struct wire_pair *p, ccid_msg *cmd, ccid_msg *rsp)
{
	g_assert_cmpint(ccid_message_decode(p->cmd, p->cmd_len, &lim_one_slot, cmd, NULL), ==,
			CCID_OK);
	g_assert_cmpint(ccid_message_decode(p->rsp, p->rsp_len, &lim_one_slot, rsp, NULL), ==,
			CCID_OK);
}

static void test_every_command_accepts_its_answer(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(wire_pairs); i++) {
		ccid_msg cmd, rsp, got;
		check_pair(&wire_pairs[i], &cmd, &rsp);
		g_assert_cmpint(ccid_message_check_response(&cmd, &rsp, NULL), ==, CCID_OK);
		g_assert_cmpint(ccid_message_check(&cmd, wire_pairs[i].rsp, wire_pairs[i].rsp_len,
						   &lim_one_slot, &got, NULL), ==, CCID_OK);
		g_assert_cmphex(got.bMessageType, ==, rsp.bMessageType);
	}
}

/* CCID 1.1 table 6.1-1: every (command, response type) pair but the one
 * that answers it is CCID_E_BAD_TYPE. */
static void test_wrong_type_for_command_is_refused(void)
{
	static const uint8_t answer[] = {
		0x82, 0x80, 0x81, 0x81, 0x80, 0x81, 0x83, 0x82, 0x82, 0x81, 0x80, 0x81, 0x81, 0x84,
	};
	for (size_t c = 0; c < sizeof command_types; c++) {
		g_assert_cmphex(ccid_message_response_type(command_types[c]), ==, answer[c]);
		g_assert_true(ccid_message_is_command(command_types[c]));
		for (size_t r = 0; r < sizeof response_types; r++) {
			ccid_msg cmd, rsp;
			ccid_msg_mismatch mm;
			ccid_message_init(&cmd, command_types[c], 0, 9);
			ccid_message_init(&rsp, response_types[r], 0, 9);
			int want = response_types[r] == answer[c] ? CCID_OK : CCID_E_BAD_TYPE;
			g_assert_cmpint(ccid_message_check_response(&cmd, &rsp, &mm), ==, want);
		}
	}
	g_assert_cmphex(ccid_message_response_type(0x80), ==, 0);
	ccid_msg not_a_command, rsp;
	ccid_message_init(&not_a_command, 0x80, 0, 0);
	ccid_message_init(&rsp, 0x80, 0, 0);
	g_assert_cmpint(ccid_message_check_response(&not_a_command, &rsp, NULL), ==,
			CCID_E_INVALID_ARG);
}

static void test_bad_slot_is_refused(void)
{
	ccid_msg cmd, rsp;
	ccid_msg_mismatch mm;
	char text[64];
	ccid_message_init(&cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 1, 4);
	ccid_message_init(&rsp, CCID_RDR_TO_PC_SLOT_STATUS, 0, 4);
	g_assert_cmpint(ccid_message_check_response(&cmd, &rsp, &mm), ==, CCID_E_BAD_SLOT);
	ccid_message_format_mismatch(&mm, text, sizeof text);
	g_assert_cmpstr(text, ==, "bSlot 0/1");
}

/* The window: the 16 bSeq values issued before the command's are stale,
 * across the 255 → 0 wrap too; the other 239 are bad. */
static void test_stale_window_and_bad_seq(void)
{
	for (unsigned cmd_seq = 0; cmd_seq < 256; cmd_seq += 5) {
		for (unsigned back = 0; back < 256; back++) {
			ccid_msg cmd, rsp;
			ccid_message_init(&cmd, CCID_PC_TO_RDR_XFR_BLOCK, 0, (uint8_t)cmd_seq);
			ccid_message_init(&rsp, CCID_RDR_TO_PC_DATA_BLOCK, 0,
					  (uint8_t)(cmd_seq - back));
			int want = back == 0 ? CCID_OK
				   : back <= CCID_MESSAGE_STALE_WINDOW ? CCID_E_STALE
								       : CCID_E_BAD_SEQ;
			g_assert_cmpint(ccid_message_check_response(&cmd, &rsp, NULL), ==, want);
		}
	}
}

/* A stale answer is reported as stale even when its type or slot is not
 * the current command's: it belongs to another command. */
static void test_stale_wins_over_type_and_slot(void)
{
	ccid_msg cmd, rsp;
	ccid_msg_mismatch mm;
	char text[64];
	ccid_message_init(&cmd, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, 7);
	/* the ATR of a PowerOn that timed out, bSeq 5 */
	ccid_message_init(&rsp, CCID_RDR_TO_PC_DATA_BLOCK, 1, 5);
	g_assert_cmpint(ccid_message_check_response(&cmd, &rsp, &mm), ==, CCID_E_STALE);
	ccid_message_format_mismatch(&mm, text, sizeof text);
	g_assert_cmpstr(text, ==, "bSeq 5/7");
}

static void test_time_extension_is_reported_with_multiplier(void)
{
	ccid_msg cmd, rsp;
	g_assert_cmpint(ccid_message_decode(wire_xfr_select, sizeof wire_xfr_select, NULL, &cmd,
					    NULL), ==, CCID_OK);
	g_assert_cmpint(ccid_message_check(&cmd, wire_datablock_time_ext,
					   sizeof wire_datablock_time_ext, &lim_one_slot, &rsp,
					   NULL), ==, CCID_R_TIME_EXTENSION);
	g_assert_cmpuint(ccid_message_time_extension(&rsp), ==, 2);
	g_assert_cmpint(ccid_message_decode(wire_datablock_9000, sizeof wire_datablock_9000, NULL,
					    &rsp, NULL), ==, CCID_OK);
	g_assert_cmpuint(ccid_message_time_extension(&rsp), ==, 0);
	g_assert_cmpuint(ccid_message_time_extension(&cmd), ==, 0);
	/* A failed status is not judged by the check: errmap's job. */
	g_assert_cmpint(ccid_message_check(&cmd, wire_datablock_mute, sizeof wire_datablock_mute,
					   &lim_one_slot, &rsp, NULL), ==, CCID_OK);
}

static void test_check_reports_decode_failures(void)
{
	ccid_msg cmd, rsp;
	ccid_msg_mismatch mm;
	char text[64];
	ccid_message_init(&cmd, CCID_PC_TO_RDR_ICC_POWER_ON, 0, 7);
	memset(&rsp, 0xAA, sizeof rsp);
	g_assert_cmpint(ccid_message_check(&cmd, wire_datablock_atr, 12, &lim_one_slot, &rsp, &mm),
			==, CCID_E_LENGTH);
	g_assert_cmphex(rsp.bMessageType, ==, 0xAA); /* untouched on failure */
	ccid_message_format_mismatch(&mm, text, sizeof text);
	g_assert_cmpstr(text, ==, "dwLength 18/2");
	mm.field = NULL;
	ccid_message_format_mismatch(&mm, text, sizeof text);
	g_assert_cmpstr(text, ==, "no mismatch");
	g_assert_cmpint(ccid_message_check(&cmd, wire_datablock_atr, 4, NULL, NULL, &mm), ==,
			CCID_E_SHORT);
	ccid_message_format_mismatch(&mm, text, sizeof text);
	g_assert_cmpstr(text, ==, "header 4/10");
}

/* The emulator builds an answer in place: abData already at out + 10. */
static void test_encode_in_place_and_buffer_limits(void)
{
	uint8_t buf[64];
	memset(buf, 0, sizeof buf);
	memcpy(buf + CCID_HEADER_SIZE, "\x90\x00", 2);
	ccid_msg m;
	size_t len;
	ccid_message_init(&m, CCID_RDR_TO_PC_DATA_BLOCK, 0, 7);
	m.dwLength = 2;
	m.abData = buf + CCID_HEADER_SIZE;
	g_assert_cmpint(ccid_message_encode(&m, buf, sizeof buf, &len), ==, CCID_OK);
	g_assert_cmpmem(buf, len, wire_datablock_9000, sizeof wire_datablock_9000);
	/* Payload overlapping the header area moves safely. */
	memcpy(buf, "\x90\x00", 2);
	m.abData = buf;
	g_assert_cmpint(ccid_message_encode(&m, buf, sizeof buf, &len), ==, CCID_OK);
	g_assert_cmpmem(buf, len, wire_datablock_9000, sizeof wire_datablock_9000);
	g_assert_cmpint(ccid_message_encode(&m, buf, 11, &len), ==, CCID_E_BUFFER);
	g_assert_cmpint(ccid_message_encode(&m, buf, 9, &len), ==, CCID_E_BUFFER);
	m.abData = NULL;
	g_assert_cmpint(ccid_message_encode(&m, buf, sizeof buf, &len), ==, CCID_E_INVALID_ARG);
	ccid_message_init(&m, 0x50, 0, 0);
	g_assert_cmpint(ccid_message_encode(&m, buf, sizeof buf, &len), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_message_decode(NULL, 10, NULL, &m, NULL), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_message_decode(buf, 10, NULL, NULL, NULL), ==, CCID_E_INVALID_ARG);
}

static void test_type_names_are_distinct(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	const uint8_t extra[] = { 0x50, 0x51 };
	for (size_t i = 0; i < sizeof command_types + sizeof response_types + 2; i++) {
		uint8_t t = i < sizeof command_types ? command_types[i]
			    : i < sizeof command_types + sizeof response_types
				? response_types[i - sizeof command_types]
				: extra[i - sizeof command_types - sizeof response_types];
		const char *name = ccid_message_type_name(t);
		g_assert_cmpstr(name, !=, "unknown");
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
	}
	g_hash_table_unref(seen);
	g_assert_cmpstr(ccid_message_type_name(0x6F), ==, "PC_to_RDR_XfrBlock");
}

/* NotifySlotChange for every slot count 1..256, with random states. */
static void test_notify_round_trips_for_1_to_256_slots(void)
{
	GRand *rng = g_rand_new_with_seed(3);
	for (unsigned n = 1; n <= 256; n++) {
		ccid_interrupt in = { .bMessageType = CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE }, out;
		ccid_message_notify_init(&in.u.notify, n);
		bool present[256], changed[256];
		for (unsigned s = 0; s < n; s++) {
			present[s] = g_rand_boolean(rng);
			changed[s] = g_rand_boolean(rng);
			ccid_message_notify_set(&in.u.notify, s, present[s], changed[s]);
		}
		uint8_t buf[80];
		size_t len;
		g_assert_cmpint(ccid_message_interrupt_encode(&in, buf, sizeof buf, &len), ==,
				CCID_OK);
		g_assert_cmpuint(len, ==, 1 + (n + 3) / 4);
		g_assert_cmpuint(len, ==, ccid_message_notify_size(n));
		g_assert_cmpint(ccid_message_interrupt_decode(buf, len, n, &out), ==, CCID_OK);
		g_assert_cmpuint(out.len, ==, len);
		for (unsigned s = 0; s < n; s++) {
			g_assert_cmpint(ccid_message_notify_present(&out.u.notify, s), ==,
					present[s]);
			g_assert_cmpint(ccid_message_notify_changed(&out.u.notify, s), ==,
					changed[s]);
		}
		g_assert_false(ccid_message_notify_present(&out.u.notify, n));
		/* one byte short is refused */
		g_assert_cmpint(ccid_message_interrupt_decode(buf, len - 1, n, &out), ==,
				CCID_E_SHORT);
	}
	g_assert_cmpuint(ccid_message_notify_size(256), ==, 65);
	g_rand_free(rng);
}

static void test_notify_canned_frames(void)
{
	ccid_interrupt in;
	g_assert_cmpint(ccid_message_interrupt_decode(wire_notify_4slots,
						      sizeof wire_notify_4slots, 4, &in), ==,
			CCID_OK);
	g_assert_true(ccid_message_notify_present(&in.u.notify, 0));
	g_assert_false(ccid_message_notify_changed(&in.u.notify, 0));
	g_assert_false(ccid_message_notify_present(&in.u.notify, 1));
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 1));
	g_assert_false(ccid_message_notify_present(&in.u.notify, 2));
	g_assert_true(ccid_message_notify_present(&in.u.notify, 3));
	g_assert_true(ccid_message_notify_changed(&in.u.notify, 3));
	/* bytes after the message are not its own: ignored */
	uint8_t padded[8] = { 0x50, 0x03, 0xEE, 0xEE };
	g_assert_cmpint(ccid_message_interrupt_decode(padded, sizeof padded, 1, &in), ==, CCID_OK);
	g_assert_cmpuint(in.len, ==, 2);
	g_assert_cmpint(ccid_message_interrupt_decode(padded, 1, 1, &in), ==, CCID_E_SHORT);
	g_assert_cmpint(ccid_message_interrupt_decode(padded, 0, 1, &in), ==, CCID_E_SHORT);
	g_assert_cmpint(ccid_message_interrupt_decode(padded, 2, 0, &in), ==, CCID_E_INVALID_ARG);
	g_assert_cmpint(ccid_message_interrupt_decode(padded, 2, 257, &in), ==, CCID_E_INVALID_ARG);
	padded[0] = 0x80;
	g_assert_cmpint(ccid_message_interrupt_decode(padded, 8, 1, &in), ==, CCID_E_BAD_TYPE);
}

static void test_hardware_error_round_trips(void)
{
	ccid_interrupt in;
	uint8_t buf[8];
	size_t len;
	g_assert_cmpint(ccid_message_interrupt_decode(wire_hw_error, sizeof wire_hw_error, 1, &in),
			==, CCID_OK);
	g_assert_cmpuint(in.u.hw.bSeq, ==, 5);
	g_assert_cmphex(in.u.hw.bHardwareErrorCode, ==, 1);
	g_assert_cmpint(ccid_message_interrupt_encode(&in, buf, sizeof buf, &len), ==, CCID_OK);
	g_assert_cmpmem(buf, len, wire_hw_error, sizeof wire_hw_error);
	g_assert_cmpint(ccid_message_interrupt_decode(wire_hw_error, 3, 1, &in), ==, CCID_E_SHORT);
	g_assert_cmpint(ccid_message_interrupt_encode(&in, buf, 3, &len), ==, CCID_E_BUFFER);
	in.bMessageType = CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE;
	in.u.notify.nslots = 8;
	g_assert_cmpint(ccid_message_interrupt_encode(&in, buf, 2, &len), ==, CCID_E_BUFFER);
	in.u.notify.nslots = 0;
	g_assert_cmpint(ccid_message_interrupt_encode(&in, buf, 8, &len), ==, CCID_E_INVALID_ARG);
	in.bMessageType = 0x80;
	g_assert_cmpint(ccid_message_interrupt_encode(&in, buf, 8, &len), ==, CCID_E_INVALID_ARG);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/message/canned-frames-round-trip", test_canned_frames_round_trip);
	g_test_add_func("/ccid/message/every-type-round-trips-from-named-fields",
			test_every_type_round_trips_from_named_fields);
	g_test_add_func("/ccid/message/named-fields-sit-at-spec-offsets",
			test_named_fields_sit_at_spec_offsets);
	g_test_add_func("/ccid/message/short-header-is-refused", test_short_header_is_refused);
	g_test_add_func("/ccid/message/dwLength-over-received-is-refused",
			test_dwLength_over_received_is_refused);
	g_test_add_func("/ccid/message/trailing-bytes-are-refused", test_trailing_bytes_are_refused);
	g_test_add_func("/ccid/message/dwLength-over-max-is-refused",
			test_dwLength_over_max_is_refused);
	g_test_add_func("/ccid/message/slot-over-max-index-is-refused",
			test_slot_over_max_index_is_refused);
	g_test_add_func("/ccid/message/unknown-type-is-refused", test_unknown_type_is_refused);
	g_test_add_func("/ccid/message/fixed-payload-sizes-are-enforced",
			test_fixed_payload_sizes_are_enforced);
	g_test_add_func("/ccid/message/every-command-accepts-its-answer",
			test_every_command_accepts_its_answer);
	g_test_add_func("/ccid/message/wrong-type-for-command-is-refused",
			test_wrong_type_for_command_is_refused);
	g_test_add_func("/ccid/message/bad-slot-is-refused", test_bad_slot_is_refused);
	g_test_add_func("/ccid/message/stale-window-and-bad-seq", test_stale_window_and_bad_seq);
	g_test_add_func("/ccid/message/stale-wins-over-type-and-slot",
			test_stale_wins_over_type_and_slot);
	g_test_add_func("/ccid/message/time-extension-is-reported-with-multiplier",
			test_time_extension_is_reported_with_multiplier);
	g_test_add_func("/ccid/message/check-reports-decode-failures",
			test_check_reports_decode_failures);
	g_test_add_func("/ccid/message/encode-in-place-and-buffer-limits",
			test_encode_in_place_and_buffer_limits);
	g_test_add_func("/ccid/message/type-names-are-distinct", test_type_names_are_distinct);
	g_test_add_func("/ccid/message/notify-round-trips-for-1-to-256-slots",
			test_notify_round_trips_for_1_to_256_slots);
	g_test_add_func("/ccid/message/notify-canned-frames", test_notify_canned_frames);
	g_test_add_func("/ccid/message/hardware-error-round-trips",
			test_hardware_error_round_trips);
	return g_test_run();
}
