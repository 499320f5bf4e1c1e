/* ccidlab — helpers shared by the control subcommands (ctl_cli.h). */
#include "config.h"

#include "cli/kit/ctl_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <PCSC/winscard.h>


int cli_parse(int *argc, char ***argv, const char *params, const char *summary,
	      const GOptionEntry *extra, cli_common *common)
{
	common->timeout_s = 0;	/* not given: 10 s per reply, streams run on */
	const GOptionEntry entries[] = {
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &common->socket,
		  "control socket (default: $CCIDLAB_CTL_SOCKET, else " CLI_DEFAULT_SOCKET ")",
		  "PATH" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &common->json, "print JSON lines for scripts",
		  NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &common->timeout_s,
		  "seconds to wait for each reply (default 10); events and trace: how long to follow",
		  "S" },
		{ NULL },
	};
	const cli_grammar g = { (*argv)[0], params, summary, "See ccidlab(1) and ccidlab-ctl(7)." };
	int rc = cli_options_parse(&g, entries, extra, argc, argv);
	if (rc >= 0)
		return rc;
	if (!(common->timeout_s >= 0 && common->timeout_s <= 86400))
		return cli_usage((*argv)[0], "--timeout %g: give 0 < S <= 86400 seconds",
				 common->timeout_s);
	return -1;
}

void cli_common_clear(cli_common *common)
{
	g_clear_pointer(&common->socket, g_free);
}

const char *cli_socket_path(const cli_common *common)
{
	if (common->socket != NULL)
		return common->socket;
	const char *env = g_getenv("CCIDLAB_CTL_SOCKET");
	if (env != NULL && env[0] != '\0')
		return env;
	return CLI_DEFAULT_SOCKET;
}

unsigned cli_timeout_ms(const cli_common *common)
{
	if (common->timeout_s <= 0)
		return 10000;
	return (unsigned)MIN(common->timeout_s * 1000.0, 10000.0 * 6);
}

/* Whether a JSON error line went out already (one per run). */
static bool json_error_sent;

void cli_json_error(const char *code, const char *message, int exit_code)
{
	g_autoptr(JsonObject) o = json_object_new();
	json_object_set_string_member(o, "error", code);
	json_object_set_string_member(o, "message", message);
	json_object_set_int_member(o, "exit", exit_code);
	cli_print_json(o);
	json_error_sent = true;
}

const char *cli_exit_code_name(int exit_code)
{
	switch (exit_code) {
	case CLI_EXIT_REFUSED:
		return "refused";
	case CLI_EXIT_USAGE:
		return "usage";
	case CLI_EXIT_CONNECT:
		return "connect";
	case CLI_EXIT_NOT_FOUND:
		return "not-found";
	case CLI_EXIT_IO:
		return "io";
	default:
		return "failed";
	}
}

void cli_json_error_last(int exit_code)
{
	if (json_error_sent)
		return;
	cli_json_error(cli_exit_code_name(exit_code), cli_last_error() ? cli_last_error() : "failed",
		       exit_code);
}

int cli_exit_for(const GError *err)
{
	if (err == NULL || err->domain != CTL_ERROR)
		return CLI_EXIT_IO;
	switch ((ctl_error)err->code) {
	case CTL_ERROR_PERMISSION:
		return CLI_EXIT_CONNECT;
	case CTL_ERROR_IO:
	case CTL_ERROR_TIMEOUT:
	case CTL_ERROR_PROTOCOL:
	case CTL_ERROR_LINE_TOO_LONG:
		return CLI_EXIT_IO;
	case CTL_ERROR_NOT_FOUND:
		return CLI_EXIT_NOT_FOUND;
	default:
		return CLI_EXIT_REFUSED;
	}
}

/* With --json an error is a JSON line on stdout too, carrying the
 * server's code (ccidlab-ctl(7)) or ccidlab's own ("connect", "io"), so
 * that a script reads one stream of objects. */
static void json_error(const cli_common *common, const char *code, const char *message,
		       int exit_code)
{
	if (common->json)
		cli_json_error(code, message, exit_code);
}

static const char *code_of(const GError *err)
{
	if (err->domain != CTL_ERROR)
		return "io";
	const char *name = ctl_error_name((ctl_error)err->code);
	return name != NULL ? name : "failed";
}

ctl_client *cli_connect(const cli_common *common, int *exit_code)
{
	g_autoptr(GError) err = NULL;
	ctl_client *c = ctl_client_connect(cli_socket_path(common), cli_timeout_ms(common), &err);
	if (c == NULL) {
		fprintf(stderr, "ccidlab: %s\n", err->message);
		*exit_code = CLI_EXIT_CONNECT;
		json_error(common, "connect", err->message, *exit_code);
	}
	return c;
}

JsonObject *cli_call(ctl_client *c, const cli_common *common, JsonObject *req, int *exit_code)
{
	return cli_call_fd(c, common, req, -1, exit_code);
}

JsonObject *cli_call_fd(ctl_client *c, const cli_common *common, JsonObject *req, int fd,
			int *exit_code)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *what = g_strdup(json_object_get_string_member(req, "req"));
	JsonObject *o = fd >= 0 ? ctl_client_call_with_fd(c, req, fd, cli_timeout_ms(common), &err)
				: ctl_client_call(c, req, cli_timeout_ms(common), &err);
	json_object_unref(req);
	if (o == NULL) {
		fprintf(stderr, "ccidlab: %s: %s\n", what, err->message);
		*exit_code = cli_exit_for(err);
		/* A refusal at connect time reads as a refused request. */
		if (g_error_matches(err, CTL_ERROR, CTL_ERROR_PERMISSION))
			*exit_code = CLI_EXIT_CONNECT;
		json_error(common, code_of(err), err->message, *exit_code);
	}
	return o;
}

void cli_print_json(JsonObject *o)
{
	size_t len = 0;
	g_autofree char *line = ctl_object_to_line(o, &len);
	fwrite(line, 1, len, stdout);
	fflush(stdout);
}

/* ---- readers ---- */

static void reader_free(gpointer data)
{
	cli_reader *r = data;
	if (r->pcsc != NULL)
		for (unsigned i = 0; i < r->n_slots; i++)
			g_free(r->pcsc[i]);
	g_free(r->pcsc);
	g_free(r->name);
	g_free(r);
}

void cli_readers_clear(cli_readers *rs)
{
	g_clear_pointer(&rs->v, g_ptr_array_unref);
	g_clear_pointer(&rs->list, json_object_unref);
	g_clear_pointer(&rs->pcsc_why, g_free);
}

char **cli_pcsc_names(char **why)
{
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		/* A client library of another pcsc-lite than the daemon's is
		 * refused here (a protocol version it does not speak). */
		if (why != NULL)
			*why = g_strdup_printf("SCardEstablishContext: %s (0x%08lX); is the client "
					       "library the daemon's pcsc-lite?",
					       pcsc_stringify_error(rv), (unsigned long)rv);
		return NULL;
	}
	DWORD len = 0;
	GPtrArray *out = g_ptr_array_new();
	if (SCardListReaders(ctx, NULL, NULL, &len) == SCARD_S_SUCCESS && len > 0 &&
	    len < 1024 * 1024) {
		char *buf = g_malloc0(len + 1);
		if (SCardListReaders(ctx, NULL, buf, &len) == SCARD_S_SUCCESS)
			for (char *p = buf; *p != '\0' && p < buf + len; p += strlen(p) + 1)
				g_ptr_array_add(out, g_strdup(p));
		g_free(buf);
	}
	SCardReleaseContext(ctx);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

bool cli_readers_load(ctl_client *c, const cli_common *common, cli_readers *out, int *exit_code)
{
	JsonObject *list = cli_call(c, common, ctl_client_request_new("list"), exit_code);
	if (list == NULL)
		return false;
	g_auto(GStrv) names = cli_pcsc_names(&out->pcsc_why);
	out->list = list;
	out->v = g_ptr_array_new_with_free_func(reader_free);
	JsonArray *a = json_object_get_array_member(list, "readers");
	for (guint i = 0; a != NULL && i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		cli_reader *r = g_new0(cli_reader, 1);
		r->index = i;
		r->obj = o;
		r->number = (unsigned)json_object_get_int_member_with_default(o, "reader", 0);
		r->name = g_strdup(json_object_get_string_member_with_default(o, "name", ""));
		JsonArray *slots = json_object_get_array_member(o, "slots");
		r->n_slots = slots != NULL ? json_array_get_length(slots) : 0;
		r->pcsc = g_new0(char *, r->n_slots + 1);
		for (unsigned k = 0; names != NULL && k < r->n_slots; k++) {
			g_autofree char *tail = g_strdup_printf(" %02X %02X", r->number & 0xFF, k);
			for (char **n = names; *n != NULL; n++)
				if (g_str_has_suffix(*n, tail)) {
					r->pcsc[k] = g_strdup(*n);
					break;
				}
		}
		g_ptr_array_add(out->v, r);
	}
	return true;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isdigit(*s))
			return false;
	return true;
}

const cli_reader *cli_resolve(const cli_readers *rs, const char *cmd, const char *arg, int *slot,
			      int *exit_code)
{
	g_autofree char *name = g_strdup(arg);
	*slot = -1;
	char *cut = strrchr(name, '/');
	if (cut != NULL && all_digits(cut + 1) && strlen(cut + 1) <= 3) {
		*slot = atoi(cut + 1);
		*cut = '\0';
	}
	const cli_reader *hit = NULL;
	int hit_slot = -1;
	/* An index in the list. */
	if (all_digits(name) && strlen(name) <= 6) {
		unsigned idx = (unsigned)atoi(name);
		if (idx < rs->v->len)
			hit = g_ptr_array_index(rs->v, idx);
	}
	/* pcscd's name, exactly; then the driver's. */
	for (guint i = 0; hit == NULL && i < rs->v->len; i++) {
		cli_reader *r = g_ptr_array_index(rs->v, i);
		for (unsigned k = 0; k < r->n_slots; k++)
			if (r->pcsc[k] != NULL && strcmp(r->pcsc[k], name) == 0) {
				hit = r;
				hit_slot = (int)k;
			}
	}
	for (guint i = 0; hit == NULL && i < rs->v->len; i++) {
		cli_reader *r = g_ptr_array_index(rs->v, i);
		if (strcmp(r->name, name) == 0)
			hit = r;
	}
	/* A substring of one reader's names. */
	if (hit == NULL) {
		GString *cands = g_string_new(NULL);
		unsigned n = 0;
		for (guint i = 0; i < rs->v->len; i++) {
			cli_reader *r = g_ptr_array_index(rs->v, i);
			int matched_slot = -1;
			unsigned slot_hits = 0;
			bool match = strstr(r->name, name) != NULL;
			for (unsigned k = 0; k < r->n_slots; k++)
				if (r->pcsc[k] != NULL && strstr(r->pcsc[k], name) != NULL) {
					match = true;
					matched_slot = (int)k;
					slot_hits++;
				}
			if (!match)
				continue;
			n++;
			g_string_append_printf(cands, "\n  %u: %s%s%s%s", r->index, r->name,
					       r->pcsc[0] ? " (\"" : "", r->pcsc[0] ? r->pcsc[0] : "",
					       r->pcsc[0] ? "\")" : "");
			hit = r;
			hit_slot = slot_hits == 1 ? matched_slot : -1;
		}
		if (n > 1) {
			cli_error(cmd,
				  "\"%s\" matches %u readers: give more of the name, or an index:%s",
				  name, n, cands->str);
			g_string_free(cands, TRUE);
			*exit_code = CLI_EXIT_NOT_FOUND;
			return NULL;
		}
		g_string_free(cands, TRUE);
	}
	if (hit == NULL) {
		GString *all = g_string_new(NULL);
		for (guint i = 0; i < rs->v->len; i++) {
			cli_reader *r = g_ptr_array_index(rs->v, i);
			g_string_append_printf(all, "\n  %u: %s%s%s%s", r->index, r->name,
					       r->pcsc[0] ? " (\"" : "", r->pcsc[0] ? r->pcsc[0] : "",
					       r->pcsc[0] ? "\")" : "");
		}
		cli_error(cmd, "no reader matches \"%s\": name one by index, pcscd name or part of it:%s",
			  name, all->len ? all->str : " (the driver has no reader)");
		g_string_free(all, TRUE);
		*exit_code = CLI_EXIT_NOT_FOUND;
		return NULL;
	}
	if (*slot < 0)
		*slot = hit_slot;
	if (*slot >= 0 && (unsigned)*slot >= hit->n_slots) {
		cli_error(cmd, "reader %u (%s) has no slot %d: its slots are 0 to %u", hit->index,
			  hit->name, *slot, hit->n_slots ? hit->n_slots - 1 : 0);
		*exit_code = CLI_EXIT_NOT_FOUND;
		return NULL;
	}
	return hit;
}

/* The whole of a regular file within max bytes, checked before the
 * read; NULL with errno-style text in *why. */
static GBytes *read_regular(const char *path, size_t max, const char **why)
{
	/* O_NONBLOCK: a FIFO fails the check instead of blocking the open. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		*why = g_strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		*why = fstat(fd, &st) != 0	   ? g_strerror(errno)
		       : !S_ISREG(st.st_mode) ? "not a regular file"
					      : "too large";
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)st.st_size, n = 0;
	guint8 *buf = g_malloc(cap + 1);
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return g_bytes_new_take(buf, n);
}

char *cli_read_text(const char *cmd, const char *path, size_t max, int *exit_code)
{
	const char *why = NULL;
	g_autoptr(GBytes) b = read_regular(path, max, &why);
	if (b == NULL) {
		cli_error(cmd, "%s: %s (at most %zu bytes of text)", path, why, max);
		*exit_code = CLI_EXIT_USAGE;
		return NULL;
	}
	gsize len = 0;
	const char *data = g_bytes_get_data(b, &len);
	if (len == 0 || memchr(data, '\0', len) != NULL || !g_utf8_validate(data, (gssize)len, NULL)) {
		cli_error(cmd, "%s: not text (empty, a NUL byte or not UTF-8)", path);
		*exit_code = CLI_EXIT_USAGE;
		return NULL;
	}
	return g_strndup(data, len);
}
