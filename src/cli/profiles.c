/* ccidlab — `ccidlab profiles [SEARCH]`: the reader catalogue, local (no
 * server needed). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "emu/profile.h"
#include "cli/kit/ctl_cli.h"
#include "cli/ctl_cmds.h"

static bool matches(const emu_profile *p, const char *needle)
{
	if (needle == NULL)
		return true;
	char ids[16];
	g_snprintf(ids, sizeof ids, "%04x:%04x", p->idVendor, p->idProduct);
	const char *fields[] = { p->name, p->description, p->manufacturer, p->product, ids };
	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (fields[i] == NULL)
			continue;
		g_autofree char *hay = g_utf8_casefold(fields[i], -1);
		if (strstr(hay, needle) != NULL)
			return true;
	}
	return false;
}

static void show(const emu_profile *p, bool json)
{
	if (json) {
		g_autoptr(JsonObject) o = json_object_new();
		json_object_set_string_member(o, "name", p->name);
		json_object_set_string_member(o, "description", p->description ? p->description : "");
		json_object_set_string_member(o, "manufacturer", p->manufacturer ? p->manufacturer : "");
		json_object_set_string_member(o, "product", p->product ? p->product : "");
		char ids[16];
		g_snprintf(ids, sizeof ids, "%04X:%04X", p->idVendor, p->idProduct);
		json_object_set_string_member(o, "usb_id", ids);
		json_object_set_boolean_member(o, "interrupt", p->has_interrupt_in);
		json_object_set_boolean_member(o, "emulatable", p->emulatable);
		if (!p->emulatable && p->unsupported_reason != NULL)
			json_object_set_string_member(o, "unsupported", p->unsupported_reason);
		cli_print_json(o);
		return;
	}
	printf("%-28s %04X:%04X %s%s  %s\n", p->name, p->idVendor, p->idProduct,
	       p->has_interrupt_in ? "irq " : "poll", p->emulatable ? "" : " (not emulatable)",
	       p->description ? p->description : "");
}

int cli_profiles_main(int argc, char **argv)
{
	cli_common common = { 0 };
	char *tsv = NULL;
	const GOptionEntry entries[] = {
		{ "catalogue", 0, 0, G_OPTION_ARG_FILENAME, &tsv,
		  "readers.tsv to read (default: the installed one, or $CCIDLAB_READERS_TSV)",
		  "FILE" },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "[SEARCH]",
			   "List the reader profiles an emulated reader can take: the built-in "
			   "ones and the catalogue of real CCID readers, searched by name, vendor, "
			   "product or VID:PID (case-insensitive).",
			   entries, &common);
	if (rc >= 0) {
		g_free(tsv);
		return rc;
	}
	rc = CLI_EXIT_OK;
	if (argc > 2) {
		cli_error("profiles", "give at most one SEARCH word");
		g_free(tsv);
		cli_common_clear(&common);
		return CLI_EXIT_USAGE;
	}
	g_autofree char *needle = argc == 2 ? g_utf8_casefold(argv[1], -1) : NULL;
	unsigned shown = 0;
	for (const char *const *n = emu_profile_builtin_names(); *n != NULL; n++) {
		g_autoptr(emu_profile) p = emu_profile_builtin(*n);
		if (p != NULL && matches(p, needle)) {
			show(p, common.json);
			shown++;
		}
	}
	g_autoptr(GError) err = NULL;
	g_autoptr(emu_catalogue) cat = emu_catalogue_load(tsv, &err);
	if (cat == NULL)
		fprintf(stderr, "ccidlab profiles: no catalogue (%s): built-in profiles only\n",
			err->message);
	for (size_t i = 0; cat != NULL && i < emu_catalogue_size(cat); i++) {
		const emu_profile *p = emu_catalogue_get(cat, i);
		if (matches(p, needle)) {
			show(p, common.json);
			shown++;
		}
	}
	if (shown == 0 && needle != NULL) {
		cli_error("profiles", "no profile matches \"%s\"", argv[1]);
		rc = CLI_EXIT_NOT_FOUND;
	}
	g_free(tsv);
	cli_common_clear(&common);
	return rc;
}
