/* ccidlab — `ccidlab storm`, `storm stop`, `storm status`. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/kit/ctl_cli.h"
#include "cli/ctl_cmds.h"

static void print_storm(JsonObject *one, bool tty_line)
{
	printf("%sstorm %" G_GINT64_FORMAT ": %s, %" G_GINT64_FORMAT " edges, %.1f/%.1f s, "
	       "seed %" G_GINT64_FORMAT "%s",
	       tty_line ? "\r" : "", json_object_get_int_member_with_default(one, "storm", 0),
	       json_object_get_string_member_with_default(one, "state", "?"),
	       json_object_get_int_member_with_default(one, "applied", 0),
	       json_object_get_int_member_with_default(one, "elapsed_ms", 0) / 1000.0,
	       json_object_get_int_member_with_default(one, "duration_ms", 0) / 1000.0,
	       json_object_get_int_member_with_default(one, "seed", 0), tty_line ? "   " : "\n");
	fflush(stdout);
}

/* --readers a,b,c → targets. */
static JsonArray *targets_from(ctl_client *c, const cli_common *common, const char *list, int *rc)
{
	cli_readers rs = { 0 };
	if (!cli_readers_load(c, common, &rs, rc))
		return NULL;
	JsonArray *a = json_array_new();
	g_auto(GStrv) names = g_strsplit(list, ",", -1);
	for (char **n = names; *n != NULL; n++) {
		int slot = -1;
		if (**n == '\0')
			continue;
		const cli_reader *r = cli_resolve(&rs, "storm", *n, &slot, rc);
		if (r == NULL) {
			json_array_unref(a);
			cli_readers_clear(&rs);
			return NULL;
		}
		JsonObject *t = json_object_new();
		json_object_set_int_member(t, "reader", r->number);
		if (slot >= 0)
			json_object_set_int_member(t, "slot", slot);
		json_array_add_object_element(a, t);
	}
	cli_readers_clear(&rs);
	return a;
}

static int follow(ctl_client *c, const cli_common *common, gint64 id)
{
	int rc = CLI_EXIT_OK;
	bool tty = isatty(STDOUT_FILENO) && !common->json;
	for (;;) {
		JsonObject *q = ctl_client_request_new("storm-status");
		json_object_set_int_member(q, "storm", id);
		g_autoptr(JsonObject) o = cli_call(c, common, q, &rc);
		if (o == NULL)
			return rc;
		JsonObject *one = json_array_get_object_element(json_object_get_array_member(o, "storms"), 0);
		bool running = strcmp(json_object_get_string_member_with_default(one, "state", ""),
				      "running") == 0;
		if (!running) {
			if (common->json)
				cli_print_json(one);
			else {
				print_storm(one, false);
			}
			return CLI_EXIT_OK;
		}
		if (tty)
			print_storm(one, true);
		g_usleep(200 * 1000);
	}
}

static int storm_start(int argc, char **argv)
{
	cli_common common = { 0 };
	double rate = 0, duration = 0;
	char *readers = NULL, *card = NULL;
	gint64 seed = -1;
	int min_hold = 0, burst = 0, gap = 0;
	gboolean detach = FALSE;
	/* Declared before the first goto (cleanup attributes). */
	g_autoptr(ctl_client) c = NULL;
	g_autoptr(JsonObject) o = NULL;
	const GOptionEntry entries[] = {
		{ "rate", 0, 0, G_OPTION_ARG_DOUBLE, &rate, "events per second (required)", "R" },
		{ "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "seconds (required)", "S" },
		{ "readers", 0, 0, G_OPTION_ARG_STRING, &readers,
		  "READER[/SLOT],... (default: every slot of every emulated reader)", "LIST" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "PRNG seed: same seed, same edges", "N" },
		{ "min-hold-ms", 0, 0, G_OPTION_ARG_INT, &min_hold,
		  "a slot keeps its state at least this long", "M" },
		{ "burst", 0, 0, G_OPTION_ARG_INT, &burst, "each event hits K distinct slots", "K" },
		{ "burst-gap-us", 0, 0, G_OPTION_ARG_INT, &gap, "microseconds between the edges of a burst",
		  "G" },
		{ "card", 0, 0, G_OPTION_ARG_STRING, &card, "card spec inserted (default readertest)",
		  "SPEC" },
		{ "detach", 0, 0, G_OPTION_ARG_NONE, &detach,
		  "return once started (the storm runs on in the driver)", NULL },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "--rate R --duration S [OPTIONS]",
			   "Toggle cards in random slots at a Poisson rate.  Without --detach, "
			   "waits for the end (a progress line on a terminal); the storm keeps "
			   "going if ccidlab is interrupted: \"ccidlab storm stop\" ends it.",
			   entries, &common);
	if (rc >= 0)
		goto out;
	rc = CLI_EXIT_OK;
	if (argc != 1 || !(rate > 0) || !(duration > 0) || seed > (gint64)G_MAXUINT32 ||
	    min_hold < 0 || burst < 0 || gap < 0) {
		cli_error("storm", "give --rate R > 0 and --duration S > 0 (and a --seed from 0 to "
				   "4294967295, non-negative counts)");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	c = cli_connect(&common, &rc);
	if (c == NULL)
		goto out;
	JsonObject *q = ctl_client_request_new("storm");
	json_object_set_double_member(q, "rate", rate);
	json_object_set_int_member(q, "duration_ms", (gint64)(duration * 1000.0 + 0.5));
	if (seed >= 0)
		json_object_set_int_member(q, "seed", seed);
	if (min_hold > 0)
		json_object_set_int_member(q, "min_hold_ms", min_hold);
	if (burst > 0)
		json_object_set_int_member(q, "burst", burst);
	if (gap > 0)
		json_object_set_int_member(q, "burst_gap_us", gap);
	if (card != NULL)
		json_object_set_string_member(q, "card", card);
	if (readers != NULL) {
		JsonArray *t = targets_from(c, &common, readers, &rc);
		if (t == NULL) {
			json_object_unref(q);
			goto out;
		}
		json_object_set_array_member(q, "targets", t);
	}
	o = cli_call(c, &common, q, &rc);
	if (o == NULL)
		goto out;
	gint64 id = json_object_get_int_member(o, "storm");
	if (detach) {
		if (common.json)
			cli_print_json(o);
		else
			printf("storm %" G_GINT64_FORMAT " started on %" G_GINT64_FORMAT
			       " slots, seed %" G_GINT64_FORMAT "\n",
			       id, json_object_get_int_member(o, "targets"),
			       json_object_get_int_member(o, "seed"));
		goto out;
	}
	rc = follow(c, &common, id);
out:
	g_free(readers);
	g_free(card);
	cli_common_clear(&common);
	return rc;
}

int cli_storm_main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "stop") != 0 && strcmp(argv[1], "status") != 0))
		return storm_start(argc, argv);
	cli_common common = { 0 };
	bool stop = strcmp(argv[1], "stop") == 0;
	int rc = cli_parse(&argc, &argv, stop ? "stop [ID]" : "status [ID]",
			   stop ? "Stop one storm, or every running storm."
				: "Show the storms the driver keeps.",
			   NULL, &common);
	if (rc >= 0)
		return rc;
	rc = CLI_EXIT_OK;
	if (argc > 3) {
		cli_error("storm", "give at most one storm ID");
		cli_common_clear(&common);
		return CLI_EXIT_USAGE;
	}
	g_autoptr(ctl_client) c = cli_connect(&common, &rc);
	if (c != NULL) {
		JsonObject *q = ctl_client_request_new(stop ? "storm-stop" : "storm-status");
		if (argc == 3)
			json_object_set_int_member(q, "storm", g_ascii_strtoll(argv[2], NULL, 10));
		g_autoptr(JsonObject) o = cli_call(c, &common, q, &rc);
		if (o != NULL && common.json)
			cli_print_json(o);
		else if (o != NULL && stop)
			printf("stopped %" G_GINT64_FORMAT " storm(s)\n",
			       json_object_get_int_member_with_default(o, "stopped", 0));
		else if (o != NULL) {
			JsonArray *a = json_object_get_array_member(o, "storms");
			for (guint i = 0; i < json_array_get_length(a); i++)
				print_storm(json_array_get_object_element(a, i), false);
			if (json_array_get_length(a) == 0)
				printf("no storms\n");
		}
	}
	cli_common_clear(&common);
	return rc;
}
