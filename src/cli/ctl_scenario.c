/* ccidlab — `ccidlab scenario run|stop|status`. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/kit/ctl_cli.h"
#include "cli/ctl_cmds.h"

/* The server's reason for each failed step it kept ("failures"), and how
 * many more failed than it kept. */
static void print_failures(JsonObject *one)
{
	JsonNode *n = json_object_get_member(one, "failures");
	JsonArray *a = n != NULL && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
	guint len = a != NULL ? json_array_get_length(a) : 0;
	for (guint i = 0; i < len; i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_OBJECT(e))
			continue;
		JsonObject *f = json_node_get_object(e);
		const char *why = json_object_get_string_member_with_default(f, "reason", NULL);
		printf("  step %" G_GINT64_FORMAT " failed: %s\n",
		       json_object_get_int_member_with_default(f, "step", 0), why ? why : "?");
	}
	gint64 failed = json_object_get_int_member_with_default(one, "failed", 0);
	if (a != NULL && failed > (gint64)len)
		printf("  (%" G_GINT64_FORMAT " more failed; the server keeps the first %u reasons)\n",
		       failed - (gint64)len, len);
}

static void print_status(JsonObject *one)
{
	printf("scenario %" G_GINT64_FORMAT ": %s, %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
	       " steps applied, %" G_GINT64_FORMAT " failed\n",
	       json_object_get_int_member_with_default(one, "scenario", 0),
	       json_object_get_string_member_with_default(one, "state", "?"),
	       json_object_get_int_member_with_default(one, "applied", 0),
	       json_object_get_int_member_with_default(one, "steps", 0),
	       json_object_get_int_member_with_default(one, "failed", 0));
	print_failures(one);
}

static int run(ctl_client *c, const cli_common *common, const char *file, gboolean wait)
{
	int rc = CLI_EXIT_OK;
	/* The scenario's text travels in the request: the server (pcscd, as
	 * root) opens no path for a client (issue 20). */
	g_autofree char *text = cli_read_text("scenario run", file, CTL_MAX_SCENARIO_DATA, &rc);
	if (text == NULL)
		return rc;
	JsonObject *q = ctl_client_request_new("scenario-load");
	json_object_set_string_member(q, "data", text);
	g_autoptr(JsonObject) ld = cli_call(c, common, q, &rc);
	if (ld == NULL)
		return rc;
	gint64 id = json_object_get_int_member(ld, "scenario");
	JsonObject *s = ctl_client_request_new("scenario-start");
	json_object_set_int_member(s, "scenario", id);
	g_autoptr(JsonObject) go = cli_call(c, common, s, &rc);
	if (go == NULL)
		return rc;
	if (!wait) {
		if (common->json)
			cli_print_json(go);
		else
			printf("scenario %" G_GINT64_FORMAT " started (%" G_GINT64_FORMAT
			       " steps); \"ccidlab scenario status %" G_GINT64_FORMAT "\" follows it\n",
			       id, json_object_get_int_member(ld, "steps"), id);
		return CLI_EXIT_OK;
	}
	for (;;) {
		JsonObject *st = ctl_client_request_new("scenario-status");
		json_object_set_int_member(st, "scenario", id);
		g_autoptr(JsonObject) o = cli_call(c, common, st, &rc);
		if (o == NULL)
			return rc;
		JsonObject *one = json_array_get_object_element(
			json_object_get_array_member(o, "scenarios"), 0);
		const char *state = json_object_get_string_member_with_default(one, "state", "?");
		if (strcmp(state, "running") != 0) {
			if (common->json)
				cli_print_json(one);
			else
				print_status(one);
			return json_object_get_int_member_with_default(one, "failed", 0) > 0
				       ? CLI_EXIT_REFUSED
				       : CLI_EXIT_OK;
		}
		g_usleep(100 * 1000);
	}
}

int cli_scenario_main(int argc, char **argv)
{
	cli_common common = { 0 };
	gboolean wait = FALSE;
	const GOptionEntry entries[] = {
		{ "wait", 'w', 0, G_OPTION_ARG_NONE, &wait,
		  "run: wait until the last step; exit 1 if a step failed", NULL },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "run FILE | stop [ID] | status [ID]",
			   "Run a timeline file (ccidlab-ctl(7), \"Scenarios\") in the driver.  "
			   "A scenario keeps running after ccidlab exits, until its last step or "
			   "\"scenario stop\".",
			   entries, &common);
	if (rc >= 0)
		return rc;
	rc = CLI_EXIT_OK;
	const char *verb = argc >= 2 ? argv[1] : "";
	bool ok_args = (strcmp(verb, "run") == 0 && argc == 3) ||
		       ((strcmp(verb, "stop") == 0 || strcmp(verb, "status") == 0) && argc <= 3);
	if (!ok_args) {
		cli_error("scenario", "give \"run FILE\", \"stop [ID]\" or \"status [ID]\"");
		cli_common_clear(&common);
		return CLI_EXIT_USAGE;
	}
	g_autoptr(ctl_client) c = cli_connect(&common, &rc);
	if (c != NULL && strcmp(verb, "run") == 0) {
		rc = run(c, &common, argv[2], wait);
	} else if (c != NULL) {
		bool stop = strcmp(verb, "stop") == 0;
		JsonObject *q = ctl_client_request_new(stop ? "scenario-stop" : "scenario-status");
		if (argc == 3)
			json_object_set_int_member(q, "scenario", g_ascii_strtoll(argv[2], NULL, 10));
		g_autoptr(JsonObject) o = cli_call(c, &common, q, &rc);
		if (o != NULL && common.json)
			cli_print_json(o);
		else if (o != NULL && stop)
			printf("stopped %" G_GINT64_FORMAT " scenario(s)\n",
			       json_object_get_int_member_with_default(o, "stopped", 0));
		else if (o != NULL) {
			JsonArray *a = json_object_get_array_member(o, "scenarios");
			for (guint i = 0; i < json_array_get_length(a); i++)
				print_status(json_array_get_object_element(a, i));
			if (json_array_get_length(a) == 0)
				printf("no scenarios\n");
		}
	}
	cli_common_clear(&common);
	return rc;
}
