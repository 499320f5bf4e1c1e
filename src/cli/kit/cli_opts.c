/* ccidlab — one option grammar for every subcommand (cli_opts.h). */
#include "config.h"

#include "cli/kit/cli_opts.h"

#include <stdarg.h>
#include <stdio.h>

int cli_options_parse(const cli_grammar *g, const GOptionEntry *entries,
		      const GOptionEntry *more, int *argc, char ***argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(g->params);
	g_option_context_set_summary(ctx, g->summary);
	if (g->description != NULL)
		g_option_context_set_description(ctx, g->description);
	if (entries != NULL)
		g_option_context_add_main_entries(ctx, entries, NULL);
	if (more != NULL)
		g_option_context_add_main_entries(ctx, more, NULL);
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		cli_error(g->cmd, "%s (try --help)", err->message);
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* The last message printed, for cli_json_error_last (ctl_cli.h). */
static char *last_error;

static void verror(const char *cmd, const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	fprintf(stderr, "ccidlab %s: %s\n", cmd, msg);
	g_free(last_error);
	last_error = g_steal_pointer(&msg);
}

const char *cli_last_error(void)
{
	return last_error;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}
