# src/tools: the ccidlab command.
bin_PROGRAMS += src/tools/ccidlab
src_tools_ccidlab_SOURCES = \
	src/tools/ccidlab.c \
	src/tools/lab.h src/tools/lab.c \
	src/tools/lab_ns.c src/tools/lab_root.h src/tools/lab_root.c src/tools/lab_root_exec.c \
	src/tools/mkroot.h src/tools/mkroot.c \
	src/tools/labfiles.h src/tools/labfiles.c \
	src/tools/ctl_cmds.h src/tools/ctl_cli.h src/tools/ctl_cli.c \
	src/tools/ctl_readers.c src/tools/ctl_fault.c src/tools/ctl_scenario.c \
	src/tools/ctl_storm.c src/tools/ctl_events.c src/tools/profiles.c \
	src/tools/legacy_client.h src/tools/legacy_client.c src/tools/legacy_wire.h \
	src/tools/legacy_wire.c src/tools/legacy_cmd.c \
	src/tools/bench.h src/tools/bench_main.c src/tools/bench_stats.c src/tools/bench_apdu.c \
	src/tools/bench_wakeup.c src/tools/bench_open.c src/tools/bench_driver.c \
	src/tools/bench_log.c src/tools/bench_floor.h src/tools/bench_floor.c \
	src/tools/check_events.h src/tools/check_events.c src/tools/check_truth.c \
	src/tools/check_monitor.c src/tools/check_legacy.c src/tools/check_agent.c \
	src/tools/check_sampler.c src/tools/check_attrib.c src/tools/check_figure.c \
	src/tools/check_html.c \
	src/tools/check_stimuli.c \
	src/tools/check_oracle.c src/tools/check_report.c \
	src/tools/usb_ids.h src/tools/usb_ids.c \
	src/tools/check_classes.c src/tools/check_classes_report.c src/tools/check_timeline.c \
	src/tools/matrix.h src/tools/matrix.c src/tools/matrix_cell.c src/tools/matrix_report.c \
	src/tools/matrix_html.c
# LIBUSB_CFLAGS: bench_floor.c calls the preloaded shim's libusb API
# (resolved at run time: the command does not link libusb).
src_tools_ccidlab_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS) $(LIBUSB_CFLAGS)
src_tools_ccidlab_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"' -DPKGLIBDIR='"$(pkglibdir)"' \
	-DPKGLIBEXECDIR='"$(pkglibexecdir)"' -DBINDIR='"$(bindir)"'
src_tools_ccidlab_LDADD = $(CTL_LIBS) $(JSON_LIBS) $(PCSC_LIBS) $(GLIB_LIBS) -ldl
# pcscd's log_msg and log_xxd, for the drivers `ccidlab bench` loads.
src_tools_ccidlab_LDFLAGS = $(AM_LDFLAGS) -Wl,--dynamic-list=$(srcdir)/src/tools/bench.sym
EXTRA_src_tools_ccidlab_DEPENDENCIES = $(srcdir)/src/tools/bench.sym
EXTRA_DIST += src/tools/bench.sym

# `ccidlab mkroot` runs this script (debootstrap and apt-get are commands,
# not libraries): the build tree keeps a copy beside ccidlab, where a
# build-tree ccidlab finds it.
pkglibexec_SCRIPTS = src/tools/ccidlab-mkroot
src/tools/ccidlab-mkroot: src/tools/mkroot.sh
	$(AM_V_GEN)$(MKDIR_P) src/tools && cp $(srcdir)/src/tools/mkroot.sh $@ && chmod +x $@
CLEANFILES += src/tools/ccidlab-mkroot
EXTRA_DIST += src/tools/mkroot.sh

# `make mkroot`: the Debian sid root of `ccidlab lab --root` (and of
# tests/integration/lab-root.sh), made once then reused.
ROOT_CACHE = $${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}
mkroot: all
	$(abs_top_builddir)/src/tools/ccidlab mkroot $(ROOT_CACHE)/sid $(MKROOT_FLAGS)
.PHONY: mkroot
