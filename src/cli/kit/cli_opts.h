/* ccidlab — one option grammar for every subcommand (cli_opts.c): GLib's
 * parser and --help under "ccidlab SUBCOMMAND", usage errors as
 * "ccidlab SUBCOMMAND: message" on stderr with status 2 (ccidlab(1),
 * "One grammar"; usage errors stay text, --json or not).
 *
 * GLib only: a program that parses its options here links nothing of the
 * control plane or of libpcsclite for it.
 */
#ifndef CCIDLAB_CLI_KIT_CLI_OPTS_H
#define CCIDLAB_CLI_KIT_CLI_OPTS_H

#include <glib.h>

/* Exit codes (ccidlab(1), EXIT STATUS). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_REFUSED = 1,	/* the server refused the request */
	CLI_EXIT_USAGE = 2,	/* bad arguments */
	CLI_EXIT_CONNECT = 3,	/* no server, or not allowed to use it */
	CLI_EXIT_NOT_FOUND = 4,	/* a reader name matched none, or several */
	CLI_EXIT_IO = 5,	/* the connection failed or timed out mid-way */
};

/* What --help says of a subcommand besides its options. */
typedef struct cli_grammar {
	const char *cmd;	 /* "bisect", "usbip add": the name in messages */
	const char *params;	 /* the arguments after [OPTION...] */
	const char *summary;	 /* the paragraph above the options */
	const char *description; /* the paragraph below them, or NULL */
} cli_grammar;

/* Parses argv with entries and then more (either may be NULL), each a
 * table ended by { NULL }.  Returns -1 when the command should go on
 * (argv keeps the positional arguments, argv[0] the subcommand's), else
 * the exit code: --help prints and exits 0 inside GLib, a bad option
 * prints "ccidlab CMD: message (try --help)" and gives CLI_EXIT_USAGE. */
int cli_options_parse(const cli_grammar *g, const GOptionEntry *entries,
		      const GOptionEntry *more, int *argc, char ***argv);

/* Prints "ccidlab CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* What cli_error or cli_usage printed last, or NULL. */
const char *cli_last_error(void);

/* The same, for arguments the options allow but the command does not;
 * returns CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
