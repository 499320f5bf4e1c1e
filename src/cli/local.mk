# src/cli: the ccidlab command: the dispatcher, the control subcommands,
# profiles, usb-ids and legacy-wait.  Each product it runs is a library
# of its own folder.
bin_PROGRAMS += src/cli/ccidlab
src_cli_ccidlab_SOURCES = \
	src/cli/ccidlab.c \
	src/cli/ctl_cmds.h src/cli/ctl_readers.c src/cli/ctl_fault.c src/cli/ctl_scenario.c \
	src/cli/ctl_storm.c src/cli/ctl_events.c src/cli/profiles.c \
	src/cli/legacy_cmd.c \
	src/cli/usb_ids.h src/cli/usb_ids.c \
	src/cli/helper.h src/cli/helper.c
src_cli_ccidlab_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
src_cli_ccidlab_CPPFLAGS = $(AM_CPPFLAGS) -DBINDIR='"$(bindir)"' -DPKGLIBEXECDIR='"$(pkglibexecdir)"' \
	-DSYSCONFDIR='"$(sysconfdir)"' -DPKGDATADIR='"$(pkgdatadir)"' -DUSBDROPDIR='"$(usbdropdir)"'
# libbisect and librepro: `ccidlab bisect` and `ccidlab repro`.  libemu:
# `ccidlab profiles` searches the emulator's profiles and catalogue.
# `ccidlab bench` is a program of its own (src/bench).
src_cli_ccidlab_LDADD = src/bisect/libbisect.la src/repro/librepro.la src/lab/liblab.la \
	$(CHECK_LIBS) $(EMU_LIBS) src/ccid/libccidcore.la \
	$(JSON_LIBS) $(PCSC_LIBS) $(GLIB_LIBS)
