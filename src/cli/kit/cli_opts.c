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

static void verror(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "ccidlab %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
