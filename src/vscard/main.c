/* ccidlab — `ccidlab vscard [--connect] [--card SPEC] ADDR...`: serves one
 * card spec on each address until SIGINT or SIGTERM (or --timeout), then
 * prints what each endpoint saw. */
#include "config.h"

#include <stdio.h>

#include <glib-unix.h>
#include <glib.h>

#include "vscard/server.h"
#include "vscard/vscard.h"

#define VSCARD_EXIT_FAILED 125

typedef struct vscard_opts {
	char *card;
	gboolean connect;
	gboolean quiet;
	int timeout_s;
	char **addrs;
} vscard_opts;

static void log_line(void *data, const char *line)
{
	const vscard_opts *o = data;
	if (!o->quiet)
		fprintf(stderr, "ccidlab vscard: %s\n", line);
}

static gboolean on_stop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_CONTINUE;
}

static gboolean parse(vscard_opts *o, int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "card", 'c', 0, G_OPTION_ARG_STRING, &o->card,
		  "the card on every address: CARD[|FAULT]... (default readertest@t0)", "SPEC" },
		{ "connect", 0, 0, G_OPTION_ARG_NONE, &o->connect,
		  "connect to QEMU's server sockets instead of listening", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &o->timeout_s,
		  "stop after this many seconds (default: on SIGINT or SIGTERM)", "S" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "log nothing but errors", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->addrs, NULL,
		  "ADDR..." },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	g_autoptr(GError) err = NULL;
	g_option_context_set_summary(ctx,
		"Puts a ccidlab virtual card into each of QEMU's ccid-card-passthru\n"
		"readers, over QEMU's VSCard protocol: QEMU connects to ADDR\n"
		"(-chardev socket,id=vsc0,path=PATH; -device ccid-card-passthru,chardev=vsc0),\n"
		"or with --connect ccidlab connects to QEMU's server socket.  See ccidlab(1).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "ccidlab vscard: %s\n", err->message);
		return FALSE;
	}
	if (o->addrs == NULL || o->addrs[0] == NULL) {
		fprintf(stderr, "ccidlab vscard: no address (try ccidlab vscard --help)\n");
		return FALSE;
	}
	if (o->timeout_s < 0) {
		fprintf(stderr, "ccidlab vscard: --timeout %d: a number of seconds\n", o->timeout_s);
		return FALSE;
	}
	return TRUE;
}

int vscard_main(int argc, char **argv)
{
	vscard_opts o = { 0 };
	if (!parse(&o, argc, argv))
		return 2;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(vscard_server) srv = vscard_server_new(log_line, &o);
	const char *card = o.card != NULL ? o.card : "readertest@t0";
	int rc = 0;

	for (guint i = 0; o.addrs[i] != NULL; i++) {
		g_autoptr(GError) err = NULL;
		g_autofree char *name = g_strdup_printf("vsc%u", i);
		if (!vscard_server_add(srv, name, o.addrs[i], card, o.connect, &err)) {
			fprintf(stderr, "ccidlab vscard: %s\n", err->message);
			rc = VSCARD_EXIT_FAILED;
			goto out;
		}
	}
	guint s1 = g_unix_signal_add(SIGINT, on_stop, loop);
	guint s2 = g_unix_signal_add(SIGTERM, on_stop, loop);
	guint t = o.timeout_s > 0 ? g_timeout_add_seconds((guint)o.timeout_s, on_stop, loop) : 0;
	g_main_loop_run(loop);
	g_source_remove(s1);
	g_source_remove(s2);
	if (t != 0)
		g_source_remove(t);
	{
		g_autofree char *report = vscard_server_describe(srv);
		printf("%s", report);
	}
out:
	g_free(o.card);
	g_strfreev(o.addrs);
	return rc;
}
