# src/cli/kit: what the control subcommands share (options, connection,
# exit codes, reader naming), below every product that drives the socket;
# cli_opts.c, GLib only, is the option grammar of every subcommand.
noinst_LTLIBRARIES += src/cli/kit/libclikit.la
src_cli_kit_libclikit_la_SOURCES = src/cli/kit/cli_opts.h src/cli/kit/cli_opts.c \
	src/cli/kit/ctl_cli.h src/cli/kit/ctl_cli.c \
	src/cli/kit/progress.h src/cli/kit/progress.c
src_cli_kit_libclikit_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
