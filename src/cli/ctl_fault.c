/* ccidlab — `ccidlab fault set|clear`. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/kit/ctl_cli.h"
#include "cli/ctl_cmds.h"

static int fault_run(const cli_common *common, const char *cmd, const char *reader_arg,
		     const char *what, bool set)
{
	int rc = CLI_EXIT_OK;
	g_autoptr(ctl_client) c = cli_connect(common, &rc);
	cli_readers rs = { 0 };
	int slot = -1;
	const cli_reader *r = NULL;
	if (c != NULL && cli_readers_load(c, common, &rs, &rc))
		r = cli_resolve(&rs, cmd, reader_arg, &slot, &rc);
	if (r != NULL) {
		JsonObject *q = ctl_client_request_new(set ? "fault-set" : "fault-clear");
		json_object_set_int_member(q, "reader", r->number);
		/* fault set: no slot is the reader itself (-1); fault clear: no
		 * slot is everything. */
		if (slot >= 0 || set)
			json_object_set_int_member(q, "slot", slot);
		if (what != NULL)
			json_object_set_string_member(q, set ? "fault" : "kind", what);
		g_autoptr(JsonObject) o = cli_call(c, common, q, &rc);
		if (o != NULL && common->json)
			cli_print_json(o);
		else if (o != NULL && set) {
			char where[32] = "every slot";
			const char *f = json_object_get_string_member_with_default(o, "fault", what);
			if (strchr(f, '/') != NULL)	/* kind/pipe: a USB transfer fault */
				g_strlcpy(where, "its USB pipe", sizeof where);
			else if (slot >= 0)
				g_snprintf(where, sizeof where, "slot %d", slot);
			printf("fault %s on reader %u (%s), %s\n",
			       json_object_get_string_member_with_default(o, "fault", what), r->number,
			       r->name, where);
		}
		else if (o != NULL)
			printf("cleared %" G_GINT64_FORMAT " fault(s) on reader %u (%s)\n",
			       json_object_get_int_member_with_default(o, "cleared", 0), r->number,
			       r->name);
	}
	cli_readers_clear(&rs);
	return rc;
}

int cli_fault_main(int argc, char **argv)
{
	cli_common common = { 0 };
	int rc = cli_parse(&argc, &argv, "set READER[/SLOT] KIND[:ARG][@COUNT] | clear READER[/SLOT] [KIND]",
			   "Set or clear an emulated reader's faults.  Without /SLOT, set acts on "
			   "the reader (every slot) and clear clears everything.  Kinds: "
			   "mute-power-on, bad-atr, slow:MS, fail:bError, wrong-seq, wrong-slot, "
			   "truncate, long-length, garbage, timeout, device-gone, remove-in-xfr, "
			   "spurious-notify, drop-notify, hw-error, ghost-answer.  @COUNT: for the next COUNT "
			   "commands only.  usbsim devices also take USB transfer faults, "
			   "KIND[/PIPE][:ARG][@COUNT]: stall, nak, short:BYTES, zlp, babble, "
			   "disconnect:MS on bulk-in (default), bulk-out, interrupt or control "
			   "(@COUNT: transfers); see doc/usbsim.md.",
			   NULL, &common);
	if (rc >= 0)
		return rc;
	if (argc >= 4 && argc <= 4 && strcmp(argv[1], "set") == 0)
		rc = fault_run(&common, "fault set", argv[2], argv[3], true);
	else if ((argc == 3 || argc == 4) && strcmp(argv[1], "clear") == 0)
		rc = fault_run(&common, "fault clear", argv[2], argc == 4 ? argv[3] : NULL, false);
	else {
		cli_error("fault", "give \"set READER[/SLOT] KIND[:ARG][@COUNT]\" or \"clear "
				   "READER[/SLOT] [KIND]\" (see --help)");
		rc = CLI_EXIT_USAGE;
	}
	cli_common_clear(&common);
	return rc;
}
