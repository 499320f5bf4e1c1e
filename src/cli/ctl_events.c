/* ccidlab — `ccidlab events` (the edge stream) and `ccidlab trace`
 * (CCID frames). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/kit/ctl_cli.h"
#include "cli/ctl_cmds.h"

static void print_edge(JsonObject *ev)
{
	JsonNode *rn = json_object_get_member(ev, "reader");
	char reader[32];
	if (rn != NULL && !JSON_NODE_HOLDS_NULL(rn))
		g_snprintf(reader, sizeof reader, "%" G_GINT64_FORMAT, json_node_get_int(rn));
	else
		g_strlcpy(reader, "-", sizeof reader);
	printf("%8" G_GINT64_FORMAT " %16.6f  reader %s/%" G_GINT64_FORMAT " %-8s %-9s %s\n",
	       json_object_get_int_member_with_default(ev, "seq", 0),
	       json_object_get_int_member_with_default(ev, "ts_ns", 0) / 1e9, reader,
	       json_object_get_int_member_with_default(ev, "slot", 0),
	       json_object_get_string_member_with_default(ev, "state", "?"),
	       json_object_get_string_member_with_default(ev, "source", "?"),
	       json_object_get_string_member_with_default(ev, "device", ""));
}

static void print_frame(JsonObject *ev)
{
	printf("%16.6f  reader %" G_GINT64_FORMAT " %s %s\n",
	       json_object_get_int_member_with_default(ev, "ts_us", 0) / 1e6,
	       json_object_get_int_member_with_default(ev, "reader", 0),
	       strcmp(json_object_get_string_member_with_default(ev, "dir", ""), "out") == 0 ? ">>"
											       : "<<",
	       json_object_get_string_member_with_default(ev, "hex", ""));
}

/* Reads stream lines until count lines of `kind` (0: no limit) or the
 * timeout (0: none).  Exit 5 when a count was asked and time ran out. */
static int stream(ctl_client *c, const cli_common *common, const char *kind, gint64 count,
		  double timeout_s)
{
	gint64 seen = 0;
	gint64 deadline = timeout_s > 0 ? g_get_monotonic_time() + (gint64)(timeout_s * 1e6) : 0;
	while (count <= 0 || seen < count) {
		g_autoptr(GError) err = NULL;
		unsigned wait_ms = 1000;
		if (deadline != 0) {
			gint64 left = deadline - g_get_monotonic_time();
			if (left <= 0)
				return count > 0 ? CLI_EXIT_IO : CLI_EXIT_OK;
			wait_ms = (unsigned)MIN(left / 1000 + 1, 1000);
		}
		g_autoptr(JsonObject) ev = ctl_client_next_event(c, wait_ms, &err);
		if (ev == NULL) {
			if (g_error_matches(err, CTL_ERROR, CTL_ERROR_TIMEOUT))
				continue;
			fprintf(stderr, "ccidlab: %s\n", err->message);
			return cli_exit_for(err);
		}
		const char *what = json_object_get_string_member_with_default(ev, "event", "");
		if (common->json)
			cli_print_json(ev);
		else if (strcmp(what, "edge") == 0)
			print_edge(ev);
		else if (strcmp(what, "frame") == 0)
			print_frame(ev);
		else if (strcmp(what, "lost") == 0)
			printf("-- %" G_GINT64_FORMAT " %s lost (this client fell behind)\n",
			       json_object_get_int_member_with_default(ev, "count", 0),
			       json_object_get_string_member_with_default(ev, "what", ""));
		if (strcmp(what, kind) == 0)
			seen++;
		fflush(stdout);
	}
	return CLI_EXIT_OK;
}

int cli_events_main(int argc, char **argv)
{
	cli_common common = { 0 };
	gint64 count = 0, since = -1;
	const GOptionEntry entries[] = {
		{ "count", 'n', 0, G_OPTION_ARG_INT64, &count, "stop after N edges", "N" },
		{ "since", 0, 0, G_OPTION_ARG_INT64, &since,
		  "start after this seq (replays from the driver's ring)", "SEQ" },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "",
			   "Follow the edge stream: every insert, remove, mute and unmute of every "
			   "emulated reader, and each time the host observed one, with its "
			   "CLOCK_MONOTONIC time and sequence number.  Human columns: seq, time "
			   "(s), reader/slot, state, source, device.  --timeout S stops after S "
			   "seconds (exit 5 if --count N was not reached by then).",
			   entries, &common);
	if (rc >= 0)
		return rc;
	rc = CLI_EXIT_OK;
	g_autoptr(ctl_client) c = cli_connect(&common, &rc);
	if (c != NULL) {
		JsonObject *q = ctl_client_request_new("subscribe");
		if (since >= 0)
			json_object_set_int_member(q, "since", since);
		g_autoptr(JsonObject) o = cli_call(c, &common, q, &rc);
		if (o != NULL)
			rc = stream(c, &common, "edge", count, common.timeout_s);
	}
	cli_common_clear(&common);
	return rc;
}

int cli_trace_main(int argc, char **argv)
{
	cli_common common = { 0 };
	gint64 count = 0;
	char *file = NULL;
	const GOptionEntry entries[] = {
		{ "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
		  "the driver appends the frames to FILE (JSON lines) until \"trace off\"", "FILE" },
		{ "count", 'n', 0, G_OPTION_ARG_INT64, &count, "stop after N frames", "N" },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "READER | off [READER]",
			   "Trace the CCID frames of a reader: >> host to reader, << reader to "
			   "host, in hex with a CLOCK_MONOTONIC time.",
			   entries, &common);
	if (rc >= 0) {
		g_free(file);
		return rc;
	}
	rc = CLI_EXIT_OK;
	bool off = argc >= 2 && strcmp(argv[1], "off") == 0;
	const char *reader_arg = off ? (argc == 3 ? argv[2] : NULL) : (argc == 2 ? argv[1] : NULL);
	if ((off && argc > 3) || (!off && argc != 2)) {
		cli_error("trace", "give READER, or \"off [READER]\"");
		g_free(file);
		cli_common_clear(&common);
		return CLI_EXIT_USAGE;
	}
	g_autoptr(ctl_client) c = cli_connect(&common, &rc);
	cli_readers rs = { 0 };
	const cli_reader *r = NULL;
	int slot = -1;
	if (c != NULL && reader_arg != NULL && cli_readers_load(c, &common, &rs, &rc))
		r = cli_resolve(&rs, "trace", reader_arg, &slot, &rc);
	if (c != NULL && (reader_arg == NULL || r != NULL)) {
		JsonObject *q = ctl_client_request_new(off ? "trace-off" : "trace-on");
		if (r != NULL)
			json_object_set_int_member(q, "reader", r->number);
		if (file != NULL && !off) {
			g_autofree char *abs = g_canonicalize_filename(file, NULL);
			json_object_set_string_member(q, "file", abs);
		}
		g_autoptr(JsonObject) o = cli_call(c, &common, q, &rc);
		if (o != NULL && (off || file != NULL)) {
			if (common.json)
				cli_print_json(o);
			else if (off)
				printf("stopped %" G_GINT64_FORMAT " trace(s)\n",
				       json_object_get_int_member_with_default(o, "stopped", 0));
			else
				printf("tracing reader %u to %s; \"ccidlab trace off\" stops it\n",
				       r->number, json_object_get_string_member(o, "file"));
		} else if (o != NULL) {
			rc = stream(c, &common, "frame", count, common.timeout_s);
		}
	}
	cli_readers_clear(&rs);
	g_free(file);
	cli_common_clear(&common);
	return rc;
}
