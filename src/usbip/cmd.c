/* ccidlab — `ccidlab usbip`: the USB/IP server over emulated readers, and
 * its live commands (ccidlab-usbip(1)).
 *
 *   ccidlab usbip [--listen ADDR[:PORT]] [--socket PATH] [--group G] [--quiet]
 *                 [--profile SPEC]... [SPEC...]
 *   ccidlab usbip add [--socket PATH] [--json] SPEC...
 *   ccidlab usbip remove [--socket PATH] BUSID|NAME...
 *
 * SPEC is a usbdev spec (src/usbdev/usbdev.h): PROFILE[:KEY=VALUE...].
 * The server runs until SIGINT or SIGTERM; its control socket takes every
 * ccidlab-ctl(7) request (insert, remove, fault, storm, events, trace,
 * list) plus device-add and device-remove, which add and remove use.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/kit/cli_opts.h"
#include "ctl/client.h"
#include "ctl/server.h"
#include "usbip/usbip.h"
#include "usbip/usbip_priv.h"

/* Exit codes as the control subcommands' (ccidlab(1)). */
enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

#define CALL_TIMEOUT_MS 10000u

char *usbip_default_socket(void)
{
	const char *env = g_getenv("CCIDLAB_CTL_SOCKET");

	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	return g_build_filename(g_get_user_runtime_dir(), "ccidlab-usbip.sock", NULL);
}

/* ---- the live commands ---- */

/* The reader number of a bus id (its DEVICENAME is usbip:BUSID), -1
 * when none has it: then the argument goes as a name. */
static gint64 reader_of(ctl_client *c, const char *busid)
{
	g_autofree char *devname = g_strdup_printf("usbip:%s", busid);
	g_autoptr(JsonObject) q = ctl_client_request_new("list");
	g_autoptr(JsonObject) o = ctl_client_call(c, q, CALL_TIMEOUT_MS, NULL);
	JsonArray *a = o != NULL ? json_object_get_array_member(o, "readers") : NULL;

	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		JsonObject *r = json_array_get_object_element(a, i);
		if (g_strcmp0(json_object_get_string_member_with_default(r, "devname", ""),
			      devname) == 0)
			return json_object_get_int_member(r, "reader");
	}
	return -1;
}

/* --json: an error as ccidlab(1)'s error object on stdout, with the
 * server's code (ccidlab-ctl(7)) or "connect". */
static void json_error(bool json, const char *code, const GError *e, int exit_code)
{
	if (!json)
		return;
	if (e->domain == CTL_ERROR && ctl_error_name((ctl_error)e->code) != NULL)
		code = ctl_error_name((ctl_error)e->code);
	g_autoptr(JsonObject) o = json_object_new();
	json_object_set_string_member(o, "error", code);
	json_object_set_string_member(o, "message", e->message);
	json_object_set_int_member(o, "exit", exit_code);
	g_autofree char *line = ctl_object_to_line(o, NULL);
	fputs(line, stdout);
}

static int client_main(int argc, char **argv, bool add)
{
	g_autofree char *socket = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket,
		  "the server's control socket (default: $CCIDLAB_CTL_SOCKET, else "
		  "$XDG_RUNTIME_DIR/ccidlab-usbip.sock)", "PATH" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print the replies as JSON lines", NULL },
		{ NULL },
	};
	g_autofree char *cmd = g_strdup_printf("usbip %s", argv[0]);
	const cli_grammar g = {
		cmd, add ? "SPEC..." : "BUSID|NAME...",
		add ? "Export more emulated readers on a running ccidlab usbip server (each SPEC is "
		      "PROFILE[:KEY=VALUE...])."
		    : "Unplug and remove exported readers.",
		NULL,
	};
	int rc = cli_options_parse(&g, entries, NULL, &argc, &argv);
	if (rc >= 0)
		return rc;
	if (argc < 2)
		return cli_usage(cmd, "give at least one %s", add ? "SPEC" : "BUSID or NAME");
	g_autoptr(GError) err = NULL;
	if (socket == NULL)
		socket = usbip_default_socket();
	g_autoptr(ctl_client) c = ctl_client_connect(socket, CALL_TIMEOUT_MS, &err);
	if (c == NULL) {
		fprintf(stderr, "ccidlab usbip %s: %s\n", argv[0], err->message);
		json_error(json, "connect", err, EXIT_CONNECT);
		return EXIT_CONNECT;
	}
	rc = EXIT_OK;
	for (int i = 1; i < argc; i++) {
		JsonObject *q = ctl_client_request_new(add ? "device-add" : "device-remove");
		gint64 number = add ? -1 : reader_of(c, argv[i]);
		if (add)
			json_object_set_string_member(q, "spec", argv[i]);
		else if (number >= 0)
			json_object_set_int_member(q, "reader", number);
		else
			json_object_set_string_member(q, "reader", argv[i]);
		g_autoptr(GError) e = NULL;
		g_autoptr(JsonObject) o = ctl_client_call(c, q, CALL_TIMEOUT_MS, &e);
		json_object_unref(q);
		if (o == NULL) {
			fprintf(stderr, "ccidlab usbip %s %s: %s\n", argv[0], argv[i], e->message);
			rc = EXIT_REFUSED;
			json_error(json, "refused", e, rc);
			continue;
		}
		if (json) {
			g_autofree char *line = ctl_object_to_line(o, NULL);
			fputs(line, stdout);
		} else if (add) {
			JsonObject *d = json_object_get_object_member(o, "device");
			const char *devname = d ? json_object_get_string_member_with_default(
							  d, "devname", "") : "";
			printf("%s %s\n", g_str_has_prefix(devname, "usbip:") ? devname + 6 : devname,
			       d ? json_object_get_string_member_with_default(d, "name", "") : "");
		} else {
			printf("removed %s\n", argv[i]);
		}
	}
	return rc;
}

/* ---- the server ---- */

typedef struct server_opts {
	char *listen, *socket, *group;
	char **profiles;
	gboolean quiet;
} server_opts;

static bool parse_server(int *argc, char ***argv, server_opts *o)
{
	const GOptionEntry entries[] = {
		{ "listen", 0, 0, G_OPTION_ARG_STRING, &o->listen,
		  "where to listen: ADDR[:PORT] or [IPV6]:PORT, numeric (default 127.0.0.1:3240; "
		  "port 0: any free one)", "ADDR[:PORT]" },
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &o->socket,
		  "the control socket (default: $CCIDLAB_CTL_SOCKET, else "
		  "$XDG_RUNTIME_DIR/ccidlab-usbip.sock)", "PATH" },
		{ "group", 0, 0, G_OPTION_ARG_STRING, &o->group,
		  "open the control socket to this group too (default: $CCIDLAB_CTL_GROUP)", "G" },
		{ "profile", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->profiles,
		  "a device to export (repeatable): PROFILE[:KEY=VALUE...]", "SPEC" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
		  "no log line per import and release", NULL },
		{ NULL },
	};
	const cli_grammar g = {
		"usbip", "[SPEC...] | add SPEC... | remove BUSID...",
		"Export emulated CCID readers as USB devices over USB/IP (protocol 0x0111): "
		"on a Linux host with vhci-hcd, `usbip attach -r ADDR -b 1-1` makes one a USB "
		"device of that host.  SPEC is PROFILE[:KEY=VALUE...] (ccidlab-usbip(1)).",
		NULL,
	};
	return cli_options_parse(&g, entries, NULL, argc, argv) < 0;
}

static void server_opts_clear(server_opts *o)
{
	g_free(o->listen);
	g_free(o->socket);
	g_free(o->group);
	g_strfreev(o->profiles);
}

/* Every device of the command line; false after the first refused. */
static bool add_all(usbip_exporter *ex, int argc, char **argv, char **profiles)
{
	g_autoptr(GPtrArray) specs = g_ptr_array_new();

	for (size_t i = 0; profiles != NULL && profiles[i] != NULL; i++)
		g_ptr_array_add(specs, profiles[i]);
	for (int i = 1; i < argc; i++)
		g_ptr_array_add(specs, argv[i]);
	for (guint i = 0; i < specs->len; i++) {
		g_autoptr(GError) err = NULL;
		unsigned number;
		if (!usbip_exporter_add(ex, specs->pdata[i], &number, &err)) {
			fprintf(stderr, "ccidlab usbip: %s: %s\n", (char *)specs->pdata[i],
				err->message);
			return false;
		}
	}
	return true;
}

/* Runs the server over ex's devices until SIGINT or SIGTERM (blocked in
 * every thread, taken here). */
static int serve(usbip_exporter *ex, const server_opts *o, sigset_t *stop)
{
	ctl_directory dir;
	usbip_exporter_directory(ex, &dir);
	g_autofree char *sock = o->socket != NULL ? g_strdup(o->socket) : usbip_default_socket();
	ctl_server_opts copts = { .group = o->group != NULL ? o->group
							    : g_getenv("CCIDLAB_CTL_GROUP") };
	g_autoptr(GError) err = NULL;
	ctl_server *ctl = ctl_server_start(sock, &dir, &copts, &err);
	usbip_server *srv = ctl == NULL ? NULL
					: usbip_server_start(ex, o->listen ? o->listen : "127.0.0.1",
							     o->quiet, &err);
	if (srv == NULL) {
		fprintf(stderr, "ccidlab usbip: %s\n", err->message);
		ctl_server_stop(ctl);
		return EXIT_CONNECT;
	}
	usbip_exporter_set_ctl(ex, ctl);
	g_autofree char *devs = usbip_exporter_describe(ex);
	printf("ccidlab usbip: listening on %s, control socket %s\n%s",
	       usbip_server_address(srv), sock, devs);
	fflush(stdout);
	int sig = 0;
	sigwait(stop, &sig);
	usbip_server_stop(srv);
	usbip_exporter_set_ctl(ex, NULL);
	ctl_server_stop(ctl);
	return EXIT_OK;
}

static int server_main(int argc, char **argv)
{
	server_opts o = { 0 };
	sigset_t stop;
	int rc = EXIT_USAGE;

	if (parse_server(&argc, &argv, &o)) {
		/* Blocked before any thread starts. */
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &stop, NULL);
		usbip_exporter *ex = usbip_exporter_new();
		if (add_all(ex, argc, argv, o.profiles))
			rc = serve(ex, &o, &stop);
		usbip_exporter_free(ex);
	}
	server_opts_clear(&o);
	return rc;
}

int usbip_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return client_main(argc - 1, argv + 1, true);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return client_main(argc - 1, argv + 1, false);
	return server_main(argc, argv);
}
