# src/usbip: `ccidlab usbip`, a USB/IP server (protocol 0x0111) over the
# emulated readers (issue 15): the wire codec, the per-connection state
# machine, the URB executor, the exported devices, the sockets and the
# command.  A convenience library linked into the ccidlab command.
noinst_LTLIBRARIES += src/usbip/libusbip.la
src_usbip_libusbip_la_SOURCES = \
	src/usbip/usbip.h src/usbip/usbip_priv.h \
	src/usbip/wire.h src/usbip/wire.c \
	src/usbip/conn.h src/usbip/conn.c \
	src/usbip/urb.c src/usbip/devinfo.c \
	src/usbip/exporter.c src/usbip/exporter_ctl.c \
	src/usbip/server.c src/usbip/cmd.c
src_usbip_libusbip_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
src_usbip_libusbip_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-usbip"'
src_usbip_libusbip_la_LIBADD =
USBIP_LIBS = src/usbip/libusbip.la src/usbdev/libusbdev.la src/cli/kit/libclikit.la
# Into the ccidlab command (after src/cli/local.mk), before the libraries
# it uses.
src_cli_ccidlab_LDADD += $(USBIP_LIBS) $(CTL_LIBS) $(JSON_LIBS) $(GLIB_LIBS)

# Debian's usbip tools against the server (OP_REQ_DEVLIST, OP_REQ_IMPORT;
# no kernel module), and our own USB/IP client URB by URB.
USBIP_TESTS = tests/integration/usbip-list.sh tests/integration/usbip-urbs.sh
TESTS += $(USBIP_TESTS)
EXTRA_DIST += $(USBIP_TESTS) tests/integration/usbip_lib.sh

# The packet parser and the per-connection state machine, with the URBs
# run on emulated devices (tests/fuzz/fuzz_usbip.c).
check_PROGRAMS += tests/fuzz/fuzz_usbip
tests_fuzz_fuzz_usbip_SOURCES = tests/fuzz/fuzz_usbip.c $(FUZZ_MAIN)
tests_fuzz_fuzz_usbip_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
tests_fuzz_fuzz_usbip_LDADD = $(USBIP_LIBS) $(CTL_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
tests_fuzz_fuzz_usbip_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_usbip

# ccidlab's host engine over USB/IP (tests/integration/usbip-host.sh):
# readertest at every exchange level, URBs per APDU.
check_PROGRAMS += tests/unit/usbip_host
tests_unit_usbip_host_SOURCES = tests/unit/usbip_host.c
tests_unit_usbip_host_CFLAGS = $(UNIT_CFLAGS)
tests_unit_usbip_host_LDADD = src/host/libhost.la src/ccid/libccidcore.la $(GLIB_LIBS)
TESTS += tests/integration/usbip-host.sh
EXTRA_DIST += tests/integration/usbip-host.sh

# A connection whose device leaves while URBs run: the statuses told
# (tests/unit/test_usbip_unplug.c), the drain's race made deterministic.
check_PROGRAMS += tests/unit/test_usbip_unplug
tests_unit_test_usbip_unplug_SOURCES = tests/unit/test_usbip_unplug.c
tests_unit_test_usbip_unplug_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_usbip_unplug_LDADD = $(USBIP_LIBS) $(CTL_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
TESTS += tests/unit/test_usbip_unplug
