/* ccidlab — the bStatus/bError mapping, over every value (CCID 1.1 §6.2.6). */
#include <glib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/errmap.h"
#include "ccid/message.h"

static const uint8_t commands[] = {
	0x61, 0x62, 0x63, 0x65, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x71, 0x72, 0x73,
};

/* The specification of the mapping, written out independently of the
 * table in errmap.c. */
static int expected(uint8_t command, unsigned cmd_status, unsigned icc, unsigned bError)
{
	if (cmd_status == 0)
		return CCID_OK;
	if (cmd_status == 2)
		return CCID_R_TIME_EXTENSION;
	if (cmd_status == 3)
		return CCID_E_PROTOCOL;
	if (bError == 0xFE && command == CCID_PC_TO_RDR_GET_SLOT_STATUS)
		return CCID_OK;
	if (bError == 0xFE)
		return icc == 2 ? CCID_R_ICC_ABSENT : CCID_R_ICC_MUTE;
	if (bError == 0xFD)
		return CCID_R_PARITY;
	if (bError == 0xFC)
		return CCID_R_OVERRUN;
	if (bError == 0xFB)
		return CCID_R_HW_ERROR;
	if (bError == 0xE0)
		return CCID_R_SLOT_BUSY;
	if (bError == 0x00)
		return CCID_R_CMD_NOT_SUPPORTED;
	if (bError >= 1 && bError <= 127)
		return CCID_R_BAD_PARAMETER;
	if (bError == 0xEF)
		return CCID_R_PIN_CANCELLED;
	if (bError == 0xF0)
		return CCID_R_PIN_TIMEOUT;
	if (bError == 0xFF)
		return CCID_R_ABORTED;
	if ((bError >= 0xF3 && bError <= 0xF8) || bError == 0xBB || bError == 0xBD)
		return CCID_R_ICC_PROTOCOL;
	return CCID_R_CMD_FAILED;
}

/* Every bError 0..255 × every bmCommandStatus × every bmICCStatus × every
 * command, with the RFU status bits 5..2 both clear and set. */
static void test_every_status_and_error_maps_as_specified(void)
{
	unsigned checked = 0;
	for (size_t c = 0; c < sizeof commands; c++)
		for (unsigned cs = 0; cs < 4; cs++)
			for (unsigned icc = 0; icc < 4; icc++)
				for (unsigned e = 0; e < 256; e++)
					for (unsigned rfu = 0; rfu < 2; rfu++) {
						uint8_t bStatus = (uint8_t)((cs << 6) | icc |
									    (rfu ? 0x3C : 0));
						int want = expected(commands[c], cs, icc, e);
						int got = ccid_errmap_result(commands[c], CCID_OK,
									     bStatus, (uint8_t)e);
						if (got != want)
							g_error("cmd %02x bStatus %02x bError %02x: "
								"%s, want %s",
								commands[c], bStatus, e,
								ccid_result_name(got),
								ccid_result_name(want));
						checked++;
					}
	g_assert_cmpuint(checked, ==, sizeof commands * 4 * 4 * 256 * 2);
}

static void test_transport_error_passes_through(void)
{
	const int transport[] = { CCID_E_TRANSPORT, CCID_E_TIMEOUT, CCID_E_NO_DEVICE };
	for (size_t i = 0; i < G_N_ELEMENTS(transport); i++)
		g_assert_cmpint(ccid_errmap_result(0x6F, transport[i], 0x00, 0x00), ==,
				transport[i]);
}

static void test_get_slot_status_mute_is_not_an_error(void)
{
	/* bStatus 0x42 bError 0xFE: "no card", a plain slot report */
	g_assert_cmpint(ccid_errmap_result(CCID_PC_TO_RDR_GET_SLOT_STATUS, CCID_OK, 0x42, 0xFE), ==,
			CCID_OK);
	g_assert_cmpint(ccid_errmap_icc(0x42), ==, CCID_R_ICC_ABSENT);
	/* the same answer to a PowerOn is "no card" */
	g_assert_cmpint(ccid_errmap_result(CCID_PC_TO_RDR_ICC_POWER_ON, CCID_OK, 0x42, 0xFE), ==,
			CCID_R_ICC_ABSENT);
	g_assert_cmpint(ccid_errmap_result(CCID_PC_TO_RDR_ICC_POWER_ON, CCID_OK, 0x41, 0xFE), ==,
			CCID_R_ICC_MUTE);
	/* other failures of GetSlotStatus are failures */
	g_assert_cmpint(ccid_errmap_result(CCID_PC_TO_RDR_GET_SLOT_STATUS, CCID_OK, 0x40, 0xFB), ==,
			CCID_R_HW_ERROR);
}

static void test_icc_status_maps_each_state(void)
{
	for (unsigned hi = 0; hi < 64; hi++) {
		uint8_t base = (uint8_t)(hi << 2);
		g_assert_cmpint(ccid_errmap_icc(base | 0), ==, CCID_OK);
		g_assert_cmpint(ccid_errmap_icc(base | 1), ==, CCID_R_ICC_INACTIVE);
		g_assert_cmpint(ccid_errmap_icc(base | 2), ==, CCID_R_ICC_ABSENT);
		g_assert_cmpint(ccid_errmap_icc(base | 3), ==, CCID_E_PROTOCOL);
	}
}

/* The emulator's bStatus decodes back to what it meant. */
static void test_bStatus_builder_round_trips(void)
{
	static const int icc_result[] = { CCID_OK, CCID_R_ICC_INACTIVE, CCID_R_ICC_ABSENT };
	for (unsigned icc = 0; icc < 3; icc++)
		for (unsigned cs = 0; cs < 3; cs++) {
			uint8_t b = ccid_errmap_bStatus((ccid_icc_status)icc, (ccid_cmd_status)cs);
			g_assert_cmphex(b, ==, (cs << 6) | icc);
			g_assert_cmpint(ccid_errmap_icc(b), ==, icc_result[icc]);
		}
	g_assert_cmphex(ccid_errmap_bStatus(CCID_ICC_ABSENT, CCID_CMD_FAILED), ==, 0x42);
	g_assert_cmphex(ccid_errmap_bStatus(CCID_ICC_ACTIVE, CCID_CMD_TIME_EXTENSION), ==, 0x80);
}

/* Every device-reported result the emulator can send comes back the same
 * through the host mapping. */
static void test_bError_builder_is_the_reverse(void)
{
	static const int results[] = {
		CCID_R_ICC_MUTE, CCID_R_PARITY, CCID_R_OVERRUN, CCID_R_HW_ERROR,
		CCID_R_SLOT_BUSY, CCID_R_CMD_NOT_SUPPORTED, CCID_R_BAD_PARAMETER,
		CCID_R_PIN_CANCELLED, CCID_R_PIN_TIMEOUT, CCID_R_ABORTED, CCID_R_ICC_PROTOCOL,
	};
	for (size_t i = 0; i < G_N_ELEMENTS(results); i++) {
		uint8_t e = ccid_errmap_bError(results[i]);
		g_assert_cmpint(ccid_errmap_result(0x6F, CCID_OK, 0x41, e), ==, results[i]);
	}
	g_assert_cmpint(ccid_errmap_result(0x62, CCID_OK, 0x42,
					   ccid_errmap_bError(CCID_R_ICC_ABSENT)), ==,
			CCID_R_ICC_ABSENT);
	/* decode failures name the offending field's offset (CCID 1.1 §6.2.6) */
	g_assert_cmphex(ccid_errmap_bError(CCID_E_LENGTH), ==, 0x01);
	g_assert_cmphex(ccid_errmap_bError(CCID_E_TOO_LONG), ==, 0x01);
	g_assert_cmphex(ccid_errmap_bError(CCID_E_SHORT), ==, 0x01);
	g_assert_cmphex(ccid_errmap_bError(CCID_E_BAD_SLOT), ==, 0x05);
	g_assert_cmphex(ccid_errmap_bError(CCID_E_BAD_TYPE), ==, 0x00);
	g_assert_cmphex(ccid_errmap_bError(CCID_E_UNSUPPORTED), ==, 0x00);
	g_assert_cmphex(ccid_errmap_bError(CCID_E_PROTOCOL), ==, 0xFB);
}

static void test_every_bError_has_a_name(void)
{
	for (unsigned e = 0; e < 256; e++) {
		const char *name = ccid_errmap_bError_name((uint8_t)e);
		g_assert_nonnull(name);
		g_assert_cmpuint(strlen(name), >, 0);
	}
	g_assert_cmpstr(ccid_errmap_bError_name(0xFE), ==, "ICC mute");
	g_assert_cmpstr(ccid_errmap_bError_name(0x00), ==, "command not supported");
	g_assert_cmpstr(ccid_errmap_bError_name(0x33), ==, "bad parameter");
	g_assert_cmpstr(ccid_errmap_bError_name(0x90), ==, "user-defined error");
	g_assert_cmpstr(ccid_errmap_bError_name(0xE5), ==, "reserved error");
	g_assert_cmpstr(ccid_errmap_bError_name(0xEF), ==, "PIN cancelled");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ccid/errmap/every-status-and-error-maps-as-specified",
			test_every_status_and_error_maps_as_specified);
	g_test_add_func("/ccid/errmap/transport-error-passes-through",
			test_transport_error_passes_through);
	g_test_add_func("/ccid/errmap/get-slot-status-mute-is-not-an-error",
			test_get_slot_status_mute_is_not_an_error);
	g_test_add_func("/ccid/errmap/icc-status-maps-each-state", test_icc_status_maps_each_state);
	g_test_add_func("/ccid/errmap/bStatus-builder-round-trips",
			test_bStatus_builder_round_trips);
	g_test_add_func("/ccid/errmap/bError-builder-is-the-reverse",
			test_bError_builder_is_the_reverse);
	g_test_add_func("/ccid/errmap/every-bError-has-a-name", test_every_bError_has_a_name);
	return g_test_run();
}
