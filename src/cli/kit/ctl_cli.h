/* ccidlab — what the control subcommands share (ctl_cli.c): common
 * options, the connection, error reporting with documented exit codes,
 * and reader naming (pcscd's names joined with the server's list).
 *
 * Each subcommand file uses only the control API (src/ctl/client.h,
 * protocol.h) and these helpers.
 */
#ifndef CCIDLAB_CLI_KIT_CTL_CLI_H
#define CCIDLAB_CLI_KIT_CTL_CLI_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "cli/kit/cli_opts.h"
#include "ctl/client.h"

#define CLI_DEFAULT_SOCKET "/run/pcscd/ccidlab.sock"

typedef struct cli_common {
	char *socket;
	gboolean json;
	double timeout_s;	/* --timeout; 0 when not given */
} cli_common;

/* Parses argv with the common options plus `extra` (may be NULL), as
 * cli_options_parse (cli_opts.h) does for every subcommand.
 * params/summary go to --help.  Returns -1 when the command should go
 * on, else the exit code (--help: 0; bad option: 2).  On -1, argv keeps
 * the positional arguments (argv[0] is the subcommand). */
int cli_parse(int *argc, char ***argv, const char *params, const char *summary,
	      const GOptionEntry *extra, cli_common *common);
void cli_common_clear(cli_common *common);

/* --socket, else $CCIDLAB_CTL_SOCKET, else CLI_DEFAULT_SOCKET. */
const char *cli_socket_path(const cli_common *common);
unsigned cli_timeout_ms(const cli_common *common);

/* Connects; on failure prints why and sets *exit_code. */
ctl_client *cli_connect(const cli_common *common, int *exit_code);
/* Calls req (consumed); on failure prints the server's message and sets
 * *exit_code. */
JsonObject *cli_call(ctl_client *c, const cli_common *common, JsonObject *req, int *exit_code);
/* The same with a descriptor passed along (fd >= 0; it stays ours). */
JsonObject *cli_call_fd(ctl_client *c, const cli_common *common, JsonObject *req, int fd,
			int *exit_code);
/* Maps a CTL_ERROR to an exit code. */
int cli_exit_for(const GError *err);
/* Prints an object as one JSON line to stdout. */
void cli_print_json(JsonObject *o);
/* With --json, an error is one line on stdout (ccidlab(1), OUTPUT):
 * {"error": CODE, "message": TEXT, "exit": STATUS}, CODE the control
 * server's (ccidlab-ctl(7)) or cli_exit_code_name's. */
void cli_json_error(const char *code, const char *message, int exit_code);
/* "usage", "connect", "not-found", "io", "refused"; "failed" for others. */
const char *cli_exit_code_name(int exit_code);
/* The error cli_error printed last, as cli_json_error, unless a JSON
 * error line went out already: for a subcommand's exit path. */
void cli_json_error_last(int exit_code);

/* A file of the client's (the server opens none for it: pcscd runs as
 * root), read whole: a regular file of at most max bytes, as text
 * (UTF-8, no NUL byte), for a request member.  NULL after printing why
 * as CMD, with *exit_code set. */
char *cli_read_text(const char *cmd, const char *path, size_t max, int *exit_code);

/* ---- readers ---- */

typedef struct cli_reader {
	unsigned index;		/* position in the list */
	unsigned number;	/* Lun >> 16 */
	char *name;		/* the driver's name */
	unsigned n_slots;
	char **pcsc;		/* n_slots pcscd names; NULL entries when pcscd has none */
	JsonObject *obj;	/* the list entry */
} cli_reader;

typedef struct cli_readers {
	GPtrArray *v;		/* cli_reader */
	JsonObject *list;	/* the whole list reply */
	char *pcsc_why;		/* why pcscd's names are missing, or NULL */
} cli_readers;

/* pcscd's reader names (SCardListReaders), or NULL when pcscd does not
 * answer; then *why (when why is not NULL) says what failed. */
char **cli_pcsc_names(char **why);

/* Asks the server for its list and pcscd (libpcsclite) for its reader
 * names, and joins them on "NAME XX YY" (XX the reader number, YY the
 * slot, in hex).  pcscd missing only leaves the names out. */
bool cli_readers_load(ctl_client *c, const cli_common *common, cli_readers *out, int *exit_code);
void cli_readers_clear(cli_readers *rs);

/* READER[/SLOT]: an index in the list, pcscd's name, the driver's name,
 * or a substring of exactly one reader's names.  *slot gets -1 when the
 * argument names no slot.  Prints why and sets *exit_code on failure. */
const cli_reader *cli_resolve(const cli_readers *rs, const char *cmd, const char *arg, int *slot,
			      int *exit_code);

#endif
