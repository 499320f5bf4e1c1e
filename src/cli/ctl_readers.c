/* ccidlab — `ccidlab list`, `insert`, `swap`, `remove`, `mute`, `unmute`. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/kit/ctl_cli.h"
#include "cli/ctl_cmds.h"
#include "emu/card.h"

/* The host engine's counters, when the driver runs the reader itself. */
static void print_stats(JsonObject *o)
{
	if (!json_object_has_member(o, "stats"))
		return;
	JsonObject *st = json_object_get_object_member(o, "stats");
	if (st == NULL)
		return;
#define STAT(name) json_object_get_int_member_with_default(st, name, 0)
	printf("   %" G_GINT64_FORMAT " commands, %" G_GINT64_FORMAT " time extensions, %"
	       G_GINT64_FORMAT " WTX, %" G_GINT64_FORMAT " stale dropped, %" G_GINT64_FORMAT
	       " timeouts, %" G_GINT64_FORMAT " aborts, %" G_GINT64_FORMAT " handed over, at most %"
	       G_GINT64_FORMAT " in flight\n", STAT("commands"), STAT("time_extensions"), STAT("wtx"),
	       STAT("stale_dropped"), STAT("timeouts"), STAT("aborts"), STAT("handed_over"),
	       STAT("max_in_flight"));
#undef STAT
}

/* The counters the server keeps for the reader (ccidlab usbip: URBs). */
static void print_counters(JsonObject *o)
{
	JsonNode *n = json_object_get_member(o, "counters");
	JsonObject *c = n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
	if (c == NULL)
		return;
	g_autoptr(GList) names = json_object_get_members(c);
	printf("  ");
	for (GList *l = names; l != NULL; l = l->next)
		printf(" %s %" G_GINT64_FORMAT, (const char *)l->data,
		       json_object_get_int_member(c, l->data));
	printf("\n");
}

static void print_faults(JsonObject *o, const char *indent)
{
	JsonNode *n = json_object_get_member(o, "faults");
	JsonArray *f = n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
	if (f == NULL || json_array_get_length(f) == 0)
		return;
	printf("%sfaults:", indent);
	for (guint i = 0; i < json_array_get_length(f); i++)
		printf(" %s", json_array_get_string_element(f, i));
	printf("\n");
}

int cli_list_main(int argc, char **argv)
{
	cli_common common = { 0 };
	int rc = cli_parse(&argc, &argv, "",
			   "List the driver's readers and slots: pcscd name, Lun, profile, mode, "
			   "card state, edge counters and active faults.",
			   NULL, &common);
	if (rc >= 0)
		return rc;
	rc = CLI_EXIT_OK;
	g_autoptr(ctl_client) c = cli_connect(&common, &rc);
	cli_readers rs = { 0 };
	if (c == NULL || !cli_readers_load(c, &common, &rs, &rc))
		goto out;
	if (common.json) {
		/* The server's list, plus the pcscd names joined in. */
		for (guint i = 0; i < rs.v->len; i++) {
			cli_reader *r = g_ptr_array_index(rs.v, i);
			JsonArray *slots = json_object_get_array_member(r->obj, "slots");
			for (unsigned k = 0; k < r->n_slots; k++) {
				JsonObject *s = json_array_get_object_element(slots, k);
				if (r->pcsc[k] != NULL)
					json_object_set_string_member(s, "pcsc_name", r->pcsc[k]);
				else
					json_object_set_null_member(s, "pcsc_name");
			}
		}
		if (rs.pcsc_why != NULL)
			json_object_set_string_member(rs.list, "pcsc_names_error", rs.pcsc_why);
		cli_print_json(rs.list);
		goto out;
	}
	if (rs.v->len == 0)
		printf("no readers (declare emulated readers in reader.conf.d)\n");
	for (guint i = 0; i < rs.v->len; i++) {
		cli_reader *r = g_ptr_array_index(rs.v, i);
		JsonObject *o = r->obj;
		const char *profile = json_object_get_string_member_with_default(o, "profile", "");
		printf("%u: %s  reader %u, %s, %s mode, %s\n", r->index, r->name, r->number,
		       profile[0] ? profile : "no profile",
		       json_object_get_string_member_with_default(o, "mode", "?"),
		       json_object_get_boolean_member_with_default(o, "emulated", FALSE)
			       ? "emulated"
			       : "real");
		printf("   DEVICENAME %s\n", json_object_get_string_member_with_default(o, "devname", ""));
		print_stats(o);
		print_counters(o);
		print_faults(o, "   reader ");
		JsonArray *slots = json_object_get_array_member(o, "slots");
		for (unsigned k = 0; k < r->n_slots; k++) {
			JsonObject *s = json_array_get_object_element(slots, k);
			const char *card = json_object_get_string_member_with_default(s, "card", "");
			printf("   slot %u  Lun 0x%05" G_GINT64_MODIFIER "X  %-7s  edges %" G_GINT64_FORMAT
			       ", observed %" G_GINT64_FORMAT "%s%s\n",
			       k, json_object_get_int_member_with_default(s, "lun", 0),
			       json_object_get_string_member_with_default(s, "state", "?"),
			       json_object_get_int_member_with_default(s, "edges", 0),
			       json_object_get_int_member_with_default(s, "observed", 0),
			       card[0] ? ", card " : "", card);
			if (r->pcsc[k] != NULL)
				printf("           pcscd: \"%s\"\n", r->pcsc[k]);
			else if (rs.pcsc_why == NULL)
				printf("           pcscd: none (pcscd does not serve it)\n");
			print_faults(s, "           ");
		}
	}
	if (rs.pcsc_why != NULL)
		printf("pcscd's reader names are unknown: %s\n", rs.pcsc_why);
out:
	cli_readers_clear(&rs);
	cli_common_clear(&common);
	return rc;
}

/* The card spec of insert/swap: --card, else --app with --atr. */
static char *card_spec(const char *cmd, const char *card, const char *atr, const char *app,
		       int *rc)
{
	if (card != NULL && (atr != NULL || app != NULL)) {
		cli_error(cmd, "--card is a whole card spec: give it alone, or --app/--atr instead");
		*rc = CLI_EXIT_USAGE;
		return NULL;
	}
	if (card != NULL && strchr(card, ',') != NULL) {
		g_autofree char *at = g_strdelimit(g_strdup(card), ",", '@');
		fprintf(stderr, "ccidlab %s: --card %s: ',' in a card spec is deprecated, say %s\n",
			cmd, card, at);
		return g_steal_pointer(&at);
	}
	if (card != NULL)
		return g_strdup(card);
	GString *s = g_string_new(app != NULL ? app : "readertest");
	if (atr != NULL)
		g_string_append_printf(s, "@atr=%s", atr);
	return g_string_free(s, FALSE);
}

/* The request's card.  A script: or files: card's file is read here and
 * its text sent ("app-text"), the spec keeping only its name: the server
 * (pcscd, as root) opens no path for a client (issue 20). */
static bool set_card(JsonObject *q, const char *cmd, char **spec, int *rc)
{
	if (emu_card_spec_reads_file(*spec)) {
		char *colon = strchr(*spec, ':');
		size_t end = colon != NULL ? strcspn(colon + 1, ",") : 0;
		g_autofree char *file = colon != NULL ? g_strndup(colon + 1, end) : NULL;
		if (file == NULL || *file == '\0') {
			cli_error(cmd, "%s: give the file, e.g. script:FILE", *spec);
			*rc = CLI_EXIT_USAGE;
			return false;
		}
		char *text = cli_read_text(cmd, file, CTL_MAX_SCENARIO_DATA, rc);
		if (text == NULL)
			return false;
		json_object_set_string_member(q, "app-text", text);
		g_free(text);
		g_autofree char *base = g_path_get_basename(file);
		char *named = g_strdup_printf("%.*s:%s%s", (int)(colon - *spec), *spec, base,
					      colon + 1 + end);
		g_free(*spec);
		*spec = named;
	}
	json_object_set_string_member(q, "card", *spec);
	return true;
}

static int slot_cmd(int argc, char **argv, const char *req, bool takes_card, const char *summary)
{
	cli_common common = { 0 };
	char *card = NULL, *atr = NULL, *app = NULL;
	/* Declared before the first goto (cleanup attributes). */
	g_autofree char *spec = NULL;
	g_autoptr(ctl_client) c = NULL;
	cli_readers rs = { 0 };
	const GOptionEntry card_entries[] = {
		{ "card", 'c', 0, G_OPTION_ARG_STRING, &card,
		  "card spec, e.g. readertest@t1 or echo:sw=9000 (see ccidlab-devicename(5))",
		  "SPEC" },
		{ "atr", 0, 0, G_OPTION_ARG_STRING, &atr, "the card's ATR in hex", "HEX" },
		{ "app", 0, 0, G_OPTION_ARG_STRING, &app,
		  "readertest (default), echo, script:FILE or files:FILE", "NAME" },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "READER[/SLOT]", summary, takes_card ? card_entries : NULL,
			   &common);
	if (rc >= 0)
		goto done;
	rc = CLI_EXIT_OK;
	if (argc != 2) {
		cli_error(argv[0], "give one READER[/SLOT] (an index, pcscd's name or part of it)");
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	if (takes_card && (spec = card_spec(argv[0], card, atr, app, &rc)) == NULL)
		goto done;
	c = cli_connect(&common, &rc);
	int slot = -1;
	const cli_reader *r = NULL;
	if (c != NULL && cli_readers_load(c, &common, &rs, &rc))
		r = cli_resolve(&rs, argv[0], argv[1], &slot, &rc);
	if (r != NULL) {
		JsonObject *q = ctl_client_request_new(req);
		json_object_set_int_member(q, "reader", r->number);
		json_object_set_int_member(q, "slot", slot < 0 ? 0 : slot);
		if (spec != NULL && !set_card(q, argv[0], &spec, &rc)) {
			json_object_unref(q);
			goto done;
		}
		g_autoptr(JsonObject) o = cli_call(c, &common, q, &rc);
		if (o != NULL && common.json)
			cli_print_json(o);
		else if (o != NULL)
			printf("%s: reader %u (%s) slot %d%s%s\n", req, r->number, r->name,
			       slot < 0 ? 0 : slot, spec ? ": " : "", spec ? spec : "");
	}
done:
	cli_readers_clear(&rs);
	g_free(card);
	g_free(atr);
	g_free(app);
	cli_common_clear(&common);
	return rc;
}

int cli_insert_main(int argc, char **argv)
{
	return slot_cmd(argc, argv, "insert", true,
			"Insert a card into an emulated slot (slot 0 unless /SLOT).");
}

int cli_swap_main(int argc, char **argv)
{
	return slot_cmd(argc, argv, "swap", true,
			"Remove the slot's card (if any) and insert another: two edges.");
}

int cli_remove_main(int argc, char **argv)
{
	return slot_cmd(argc, argv, "remove", false, "Remove the card of an emulated slot.");
}

int cli_mute_main(int argc, char **argv)
{
	return slot_cmd(argc, argv, "mute", false,
			"Make the slot's card mute: present, but it gives no ATR.");
}

int cli_unmute_main(int argc, char **argv)
{
	return slot_cmd(argc, argv, "unmute", false, "Make a mute card answer again.");
}
