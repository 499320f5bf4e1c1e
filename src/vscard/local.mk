# src/vscard: `ccidlab vscard`, ccidlab's virtual cards (src/emu) in QEMU's
# ccid-card-passthru readers over the VSCard protocol.  wire.c is pure
# (fuzzed: tests/fuzz/fuzz_vscard.c); the rest uses GLib.
noinst_LTLIBRARIES += src/vscard/libvscard.la
src_vscard_libvscard_la_SOURCES = \
	src/vscard/wire.h src/vscard/wire.c \
	src/vscard/session.h src/vscard/session.c \
	src/vscard/server.h src/vscard/server.c \
	src/vscard/vscard.h src/vscard/main.c
src_vscard_libvscard_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
src_vscard_libvscard_la_LIBADD =
VSCARD_LIBS = src/vscard/libvscard.la

check_PROGRAMS += tests/fuzz/fuzz_vscard
tests_fuzz_fuzz_vscard_SOURCES = tests/fuzz/fuzz_vscard.c $(FUZZ_MAIN)
tests_fuzz_fuzz_vscard_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_vscard_LDADD = $(VSCARD_LIBS) $(EMU_LIBS) src/ccid/libccidcore.la $(GLIB_LIBS)
tests_fuzz_fuzz_vscard_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_vscard

check_PROGRAMS += tests/unit/test_vscard
tests_unit_test_vscard_SOURCES = tests/unit/test_vscard.c
tests_unit_test_vscard_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vscard_LDADD = $(VSCARD_LIBS) $(EMU_LIBS) src/ccid/libccidcore.la $(GLIB_LIBS)
TESTS += tests/unit/test_vscard
