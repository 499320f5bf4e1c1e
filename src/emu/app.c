/* ccidlab — the generic side of the card applications (emu/app.h). */
#include "emu/app.h"

void emu_app_process(emu_app *app, const emu_apdu *apdu, emu_app_rsp *rsp)
{
	rsp->len = 0;
	rsp->work_ms = 0;
	rsp->sw = EMU_SW_UNKNOWN;
	if (app == NULL || app->ops == NULL || app->ops->process == NULL) {
		rsp->sw = EMU_SW_INS_NOT_SUPPORTED;
		return;
	}
	app->ops->process(app, apdu, rsp);
}

emu_app_data emu_app_ins_data(emu_app *app, uint8_t cla, uint8_t ins)
{
	if (app != NULL && app->ops != NULL && app->ops->ins_data != NULL)
		return app->ops->ins_data(app, cla, ins);
	return emu_app_default_ins_data(ins);
}

void emu_app_reset(emu_app *app)
{
	if (app != NULL && app->ops != NULL && app->ops->reset != NULL)
		app->ops->reset(app);
}

void emu_app_free(emu_app *app)
{
	if (app != NULL && app->ops != NULL && app->ops->free != NULL)
		app->ops->free(app);
}

/* 7816-4 §11 (and §7, §8, §9): the cases of the basic instructions.
 * Case 4 instructions carry command data, so they count as CMD. */
emu_app_data emu_app_default_ins_data(uint8_t ins)
{
	switch (ins) {
	case 0xA4: /* SELECT: 3 or 4 */
	case 0xD6: /* UPDATE BINARY */
	case 0xD0: /* WRITE BINARY */
	case 0xDC: /* UPDATE RECORD */
	case 0xD2: /* WRITE RECORD */
	case 0xE2: /* APPEND RECORD */
	case 0xDA: /* PUT DATA */
	case 0x20: /* VERIFY */
	case 0x24: /* CHANGE REFERENCE DATA */
	case 0x2C: /* RESET RETRY COUNTER */
	case 0x22: /* MANAGE SECURITY ENVIRONMENT */
	case 0x2A: /* PERFORM SECURITY OPERATION */
	case 0x88: /* INTERNAL AUTHENTICATE */
	case 0x82: /* EXTERNAL AUTHENTICATE */
	case 0x86: /* GENERAL AUTHENTICATE */
	case 0xCB: /* GET DATA, odd INS: data field */
		return EMU_APP_DATA_CMD;
	case 0xB0: /* READ BINARY */
	case 0xB2: /* READ RECORD */
	case 0xCA: /* GET DATA */
	case 0xC0: /* GET RESPONSE */
	case 0x84: /* GET CHALLENGE */
		return EMU_APP_DATA_RSP;
	default:
		return EMU_APP_DATA_NONE;
	}
}

bool emu_app_rsp_pattern(emu_app_rsp *rsp, size_t n)
{
	if (n > rsp->cap - rsp->len) {
		rsp->len = 0;
		rsp->sw = EMU_SW_UNKNOWN;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		rsp->data[rsp->len + i] = (uint8_t)i;
	rsp->len += n;
	return true;
}
