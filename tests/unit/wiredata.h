/* ccidlab — canned CCID frames shared by the unit tests, the mock
 * transports and the fuzz seeds (STYLE.md rule 20).
 *
 * Every frame is a whole message as it crosses the wire.  Command frames
 * use bSlot 0 and bSeq 0x07, their answers the same, so that each pair
 * checks clean with ccid_message_check().  Values follow CCID 1.1 §6;
 * the ATR is a T=1 ATR of the kind contact readers answer IccPowerOn with.
 */
#ifndef CCIDLAB_TESTS_WIREDATA_H
#define CCIDLAB_TESTS_WIREDATA_H

#include <stddef.h>
#include <stdint.h>

#define WIRE(name) static const uint8_t name[] __attribute__((unused))

/* ---- PC_to_RDR (bulk-OUT) ---- */
WIRE(wire_power_on) = { 0x62, 0, 0, 0, 0, 0x00, 0x07, 0x01, 0x00, 0x00 };
WIRE(wire_power_off) = { 0x63, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00 };
WIRE(wire_get_slot_status) = { 0x65, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00 };
/* SELECT by AID A0 00 00 00 18 FF, Le 00; bBWI 0, wLevelParameter 0 */
WIRE(wire_xfr_select) = { 0x6F, 0x0C, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
			  0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF, 0x00 };
/* extended APDU level, first of several parts: wLevelParameter 0x0001 */
WIRE(wire_xfr_chain_begin) = { 0x6F, 0x04, 0, 0, 0, 0x00, 0x07, 0x00, 0x01, 0x00,
			       0x80, 0x32, 0x00, 0x00 };
/* extended APDU level, "send the next response part": 0x0010, no data */
WIRE(wire_xfr_chain_next) = { 0x6F, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x10, 0x00 };
WIRE(wire_get_parameters) = { 0x6C, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00 };
WIRE(wire_reset_parameters) = { 0x6D, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00 };
/* T=1: bmFindexDindex 0x13, bmTCCKST1 0x10, bGuardTimeT1 0, bmWaitingIntegersT1
 * 0x45, bClockStop 0, bIFSC 0xFE, bNadValue 0 (CCID 1.1 §6.1.7) */
WIRE(wire_set_parameters_t1) = { 0x61, 0x07, 0, 0, 0, 0x00, 0x07, 0x01, 0x00, 0x00,
				 0x13, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00 };
/* T=0: bmFindexDindex 0x11, bmTCCKST0 0, bGuardTimeT0 0, bWaitingIntegerT0 0x0A, bClockStop 0 */
WIRE(wire_set_parameters_t0) = { 0x61, 0x05, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
				 0x11, 0x00, 0x00, 0x0A, 0x00 };
WIRE(wire_escape) = { 0x6B, 0x02, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x03 };
WIRE(wire_icc_clock) = { 0x6E, 0, 0, 0, 0, 0x00, 0x07, 0x01, 0x00, 0x00 };
WIRE(wire_t0apdu) = { 0x6A, 0, 0, 0, 0, 0x00, 0x07, 0x03, 0x00, 0xA0 };
/* PIN verify (CCID 1.1 §6.1.11.4): bPINOperation 0, the PIN verification
 * data structure, then VERIFY 00 20 00 01 08 and an 8-byte PIN block */
WIRE(wire_secure_verify) = { 0x69, 0x1C, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
			     /* bPINOperation, bTimeOut, bmFormatString,
			      * bmPINBlockString, bmPINLengthFormat */
			     0x00, 0x1E, 0x82, 0x08, 0x00,
			     /* wPINMaxExtraDigit, bEntryValidationCondition,
			      * bNumberMessage, wLangId, bMsgIndex, bTeoPrologue */
			     0x08, 0x04, 0x02, 0x01, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00,
			     0x00, 0x20, 0x00, 0x01, 0x08,
			     0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
WIRE(wire_mechanical) = { 0x71, 0, 0, 0, 0, 0x00, 0x07, 0x01, 0x00, 0x00 };
WIRE(wire_abort) = { 0x72, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00 };
/* dwClockFrequency 4000 kHz, dwDataRate 10752 bps */
WIRE(wire_set_data_rate) = { 0x73, 0x08, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
			     0xA0, 0x0F, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x00 };

/* ---- RDR_to_PC (bulk-IN) ---- */
/* IccPowerOn answer: ATR 3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4 */
WIRE(wire_datablock_atr) = { 0x80, 0x12, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
			     0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15,
			     0x59, 0x75, 0x62, 0x69, 0x6B, 0x65, 0x79, 0x34, 0xD4 };
WIRE(wire_datablock_9000) = { 0x80, 0x02, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00, 0x90, 0x00 };
/* time extension, BWT multiplier 2 */
WIRE(wire_datablock_time_ext) = { 0x80, 0, 0, 0, 0, 0x00, 0x07, 0x80, 0x02, 0x00 };
/* IccPowerOn failed: no card (bStatus 0x42, bError 0xFE) */
WIRE(wire_datablock_absent) = { 0x80, 0, 0, 0, 0, 0x00, 0x07, 0x42, 0xFE, 0x00 };
/* IccPowerOn failed: card present but mute (bStatus 0x41, bError 0xFE) */
WIRE(wire_datablock_mute) = { 0x80, 0, 0, 0, 0, 0x00, 0x07, 0x41, 0xFE, 0x00 };
/* extended level: "took that command part, send the next" (0x10) */
WIRE(wire_datablock_chain_ack) = { 0x80, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x10 };
WIRE(wire_slot_status_active) = { 0x81, 0, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00 };
WIRE(wire_slot_status_absent) = { 0x81, 0, 0, 0, 0, 0x00, 0x07, 0x42, 0xFE, 0x00 };
WIRE(wire_parameters_t1) = { 0x82, 0x07, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x01,
			     0x13, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00 };
WIRE(wire_escape_response) = { 0x83, 0x03, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
			       0x01, 0x02, 0x03 };
WIRE(wire_data_rate) = { 0x84, 0x08, 0, 0, 0, 0x00, 0x07, 0x00, 0x00, 0x00,
			 0xA0, 0x0F, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x00 };

/* ---- interrupt-IN ---- */
/* one slot: card present, changed */
WIRE(wire_notify_1slot) = { 0x50, 0x03 };
/* four slots: 0 present, 1 removed (changed, absent), 2 absent, 3 inserted */
WIRE(wire_notify_4slots) = { 0x50, 0xC9 };
/* overcurrent on slot 0 during bSeq 5 */
WIRE(wire_hw_error) = { 0x51, 0x00, 0x05, 0x01 };

struct wire_frame {
	const char *name;
	const uint8_t *bytes;
	size_t len;
};

#define WIRE_ENTRY(n) { #n, n, sizeof n }

/* Every bulk frame above, commands first. */
static const struct wire_frame wire_bulk_frames[] __attribute__((unused)) = {
	WIRE_ENTRY(wire_power_on), WIRE_ENTRY(wire_power_off),
	WIRE_ENTRY(wire_get_slot_status), WIRE_ENTRY(wire_xfr_select),
	WIRE_ENTRY(wire_xfr_chain_begin), WIRE_ENTRY(wire_xfr_chain_next),
	WIRE_ENTRY(wire_get_parameters), WIRE_ENTRY(wire_reset_parameters),
	WIRE_ENTRY(wire_set_parameters_t1), WIRE_ENTRY(wire_set_parameters_t0),
	WIRE_ENTRY(wire_escape), WIRE_ENTRY(wire_icc_clock), WIRE_ENTRY(wire_t0apdu),
	WIRE_ENTRY(wire_secure_verify), WIRE_ENTRY(wire_mechanical), WIRE_ENTRY(wire_abort),
	WIRE_ENTRY(wire_set_data_rate),
	WIRE_ENTRY(wire_datablock_atr), WIRE_ENTRY(wire_datablock_9000),
	WIRE_ENTRY(wire_datablock_time_ext), WIRE_ENTRY(wire_datablock_absent),
	WIRE_ENTRY(wire_datablock_mute), WIRE_ENTRY(wire_datablock_chain_ack),
	WIRE_ENTRY(wire_slot_status_active), WIRE_ENTRY(wire_slot_status_absent),
	WIRE_ENTRY(wire_parameters_t1), WIRE_ENTRY(wire_escape_response),
	WIRE_ENTRY(wire_data_rate),
};

static const struct wire_frame wire_interrupt_frames[] __attribute__((unused)) = {
	WIRE_ENTRY(wire_notify_1slot), WIRE_ENTRY(wire_notify_4slots), WIRE_ENTRY(wire_hw_error),
};

/* Command → the canned answer it gets, for check_response tests. */
struct wire_pair {
	const uint8_t *cmd;
	size_t cmd_len;
	const uint8_t *rsp;
	size_t rsp_len;
};

#define WIRE_PAIR(c, r) { c, sizeof c, r, sizeof r }

static const struct wire_pair wire_pairs[] __attribute__((unused)) = {
	WIRE_PAIR(wire_power_on, wire_datablock_atr),
	WIRE_PAIR(wire_power_off, wire_slot_status_active),
	WIRE_PAIR(wire_get_slot_status, wire_slot_status_absent),
	WIRE_PAIR(wire_xfr_select, wire_datablock_9000),
	WIRE_PAIR(wire_xfr_chain_begin, wire_datablock_chain_ack),
	WIRE_PAIR(wire_get_parameters, wire_parameters_t1),
	WIRE_PAIR(wire_reset_parameters, wire_parameters_t1),
	WIRE_PAIR(wire_set_parameters_t1, wire_parameters_t1),
	WIRE_PAIR(wire_escape, wire_escape_response),
	WIRE_PAIR(wire_icc_clock, wire_slot_status_active),
	WIRE_PAIR(wire_t0apdu, wire_slot_status_active),
	WIRE_PAIR(wire_secure_verify, wire_datablock_9000),
	WIRE_PAIR(wire_mechanical, wire_slot_status_active),
	WIRE_PAIR(wire_abort, wire_slot_status_active),
	WIRE_PAIR(wire_set_data_rate, wire_data_rate),
};

/* ---- QEMU 7.2's usb-ccid, as captured (usb-ccid pcap=, doc/vm.md) ----
 * bSeq 0x02.  ccidlab's SetParameters for T=0 (Fi/Di 0x98, WI 0x0A), and
 * QEMU's answer: dwLength 0, then the 7 bytes of its protocol structure
 * union (the 5 it was given and 2 zero bytes). */
WIRE(wire_qemu_set_parameters_t0) = { 0x61, 0x05, 0, 0, 0, 0x00, 0x02, 0x00, 0x00, 0x00,
				      0x98, 0x00, 0x00, 0x0A, 0x00 };
WIRE(wire_qemu_parameters_length_zero) = { 0x82, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
					   0x00, 0x00, 0x98, 0x00, 0x00, 0x0A, 0x00, 0x00,
					   0x00 };

#endif
