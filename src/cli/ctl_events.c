/* ccidlab — `ccidlab events` (the edge stream) and `ccidlab trace`
 * (CCID frames). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl_cmds.h"
#include "cli/kit/ctl_cli.h"
#include "cli/trace_pcap.h"
#include "ctl/stream.h"

static void print_edge(const ctl_edge *e)
{
	char reader[32];
	if (e->has_reader)
		g_snprintf(reader, sizeof reader, "%u", e->reader);
	else
		g_strlcpy(reader, "-", sizeof reader);
	printf("%8" G_GUINT64_FORMAT " %16.6f  reader %s/%u %-8s %-9s %s\n", e->seq,
	       (double)e->ts_ns / 1e9, reader, e->slot, ctl_edge_state_name(e->state),
	       ctl_edge_source_name(e->source), e->device);
}

static void print_frame(const ctl_frame_rec *f)
{
	printf("%16.6f  reader %u %s %s\n", (double)f->ts_us / 1e6, f->reader,
	       f->dir == CTL_TRACE_OUT ? ">>" : "<<", f->hex);
}

/* A frame into the capture; frames the stream lost are named on stderr
 * (a capture has no record for them). */
static bool to_pcap(trace_pcap *pcap, const ctl_stream_rec *rec)
{
	g_autoptr(GError) err = NULL;
	if (rec->kind == CTL_STREAM_LOST)
		fprintf(stderr, "ccidlab: trace: %" G_GUINT64_FORMAT " %s lost (this client fell "
			"behind), missing from the capture\n", rec->lost.count, rec->lost.what);
	if (rec->kind != CTL_STREAM_FRAME || trace_pcap_frame(pcap, &rec->frame, &err))
		return true;
	fprintf(stderr, "ccidlab: trace: %s\n", err->message);
	return false;
}

/* Reads stream lines until count lines of `kind` (0: no limit) or the
 * timeout (0: none).  Exit 5 when a count was asked and time ran out.
 * With `pcap`, frames also go there; with a pcap on stdout, they go only
 * there. */
static int stream(ctl_client *c, const cli_common *common, ctl_stream_kind kind, gint64 count,
		  double timeout_s, trace_pcap *pcap, bool quiet)
{
	gint64 seen = 0;
	gint64 deadline = timeout_s > 0 ? g_get_monotonic_time() + (gint64)(timeout_s * 1e6) : 0;
	while (count <= 0 || seen < count) {
		g_autoptr(GError) err = NULL;
		unsigned wait_ms = 1000;
		if (deadline != 0) {
			gint64 left = deadline - g_get_monotonic_time();
			if (left <= 0 && count > 0) {
				fprintf(stderr, "ccidlab: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
					" %s within --timeout %g s\n", seen, count,
					kind == CTL_STREAM_EDGE ? "edges" : "frames", timeout_s);
				return CLI_EXIT_IO;
			}
			if (left <= 0)
				return CLI_EXIT_OK;
			wait_ms = (unsigned)MIN(left / 1000 + 1, 1000);
		}
		g_autoptr(JsonObject) ev = ctl_client_next_event(c, wait_ms, &err);
		if (ev == NULL) {
			if (g_error_matches(err, CTL_ERROR, CTL_ERROR_TIMEOUT))
				continue;
			fprintf(stderr, "ccidlab: %s\n", err->message);
			return cli_exit_for(err);
		}
		ctl_stream_rec rec;
		if (!ctl_stream_decode(ev, &rec, &err)) {
			fprintf(stderr, "ccidlab: %s\n", err->message);
			return cli_exit_for(err);
		}
		if (pcap != NULL && !to_pcap(pcap, &rec))
			return CLI_EXIT_IO;
		if (quiet)
			;
		else if (common->json)
			cli_print_json(ev);
		else if (rec.kind == CTL_STREAM_EDGE)
			print_edge(&rec.edge);
		else if (rec.kind == CTL_STREAM_FRAME)
			print_frame(&rec.frame);
		else if (rec.kind == CTL_STREAM_LOST)
			printf("-- %" G_GUINT64_FORMAT " %s lost (this client fell behind)\n",
			       rec.lost.count, rec.lost.what);
		if (rec.kind == kind)
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
			rc = stream(c, &common, CTL_STREAM_EDGE, count, common.timeout_s, NULL, false);
	}
	cli_common_clear(&common);
	return rc;
}

int cli_trace_main(int argc, char **argv)
{
	cli_common common = { 0 };
	gint64 count = 0;
	char *file = NULL, *pcap_path = NULL;
	const GOptionEntry entries[] = {
		{ "file", 'f', 0, G_OPTION_ARG_FILENAME, &file,
		  "the driver appends the frames to FILE (JSON lines) until \"trace off\"", "FILE" },
		{ "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap_path,
		  "write the frames to FILE as a USB capture (pcap, Linux usbmon) that Wireshark "
		  "decodes; - is stdout", "FILE" },
		{ "count", 'n', 0, G_OPTION_ARG_INT64, &count, "stop after N frames", "N" },
		{ NULL },
	};
	int rc = cli_parse(&argc, &argv, "READER | off [READER]",
			   "Trace the CCID frames of a reader: >> host to reader, << reader to "
			   "host, in hex with a CLOCK_MONOTONIC time.",
			   entries, &common);
	if (rc >= 0) {
		g_free(file);
		g_free(pcap_path);
		return rc;
	}
	rc = CLI_EXIT_OK;
	bool off = argc >= 2 && strcmp(argv[1], "off") == 0;
	const char *reader_arg = off ? (argc == 3 ? argv[2] : NULL) : (argc == 2 ? argv[1] : NULL);
	const char *bad = (off && argc > 3) || (!off && argc != 2) ? "give READER, or \"off [READER]\""
			  : pcap_path != NULL && (off || file != NULL) ? "--pcap goes with READER alone (not with off or --file)"
			  : NULL;
	g_autoptr(GError) err = NULL;
	trace_pcap *pcap = NULL;
	if (bad == NULL && pcap_path != NULL && (pcap = trace_pcap_open(pcap_path, &err)) == NULL) {
		cli_error("trace", "%s", err->message);
		rc = CLI_EXIT_IO;
	} else if (bad != NULL) {
		cli_error("trace", "%s", bad);
		rc = CLI_EXIT_USAGE;
	}
	if (rc != CLI_EXIT_OK) {
		g_free(file);
		g_free(pcap_path);
		cli_common_clear(&common);
		return rc;
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
		/* The file is opened here, as the user, and passed to the
		 * server: it opens no path for a client (pcscd runs as root;
		 * issue 20). */
		int fd = -1;
		if (file != NULL && !off &&
		    (fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			       0600)) < 0) {
			cli_error("trace", "%s: %s", file, g_strerror(errno));
			json_object_unref(q);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		g_autoptr(JsonObject) o = cli_call_fd(c, &common, q, fd, &rc);
		if (fd >= 0)
			close(fd);
		if (o != NULL && (off || file != NULL)) {
			if (common.json)
				cli_print_json(o);
			else if (off)
				printf("stopped %" G_GINT64_FORMAT " trace(s)\n",
				       json_object_get_int_member_with_default(o, "stopped", 0));
			else
				printf("tracing %s to %s; \"ccidlab trace off\" stops it\n",
				       r != NULL ? r->name : "every reader", file);
		} else if (o != NULL) {
			rc = stream(c, &common, CTL_STREAM_FRAME, count, common.timeout_s, pcap,
				    pcap != NULL && strcmp(pcap_path, "-") == 0);
		}
	}
	if (pcap != NULL) {
		uint64_t n = trace_pcap_count(pcap);
		if (!trace_pcap_close(pcap, &err)) {
			cli_error("trace", "%s", err->message);
			rc = CLI_EXIT_IO;
		} else {
			fprintf(stderr, "ccidlab: trace: %" G_GUINT64_FORMAT " frames in %s\n", n,
				pcap_path);
		}
	}
out:
	cli_readers_clear(&rs);
	g_free(pcap_path);
	g_free(file);
	cli_common_clear(&common);
	return rc;
}
