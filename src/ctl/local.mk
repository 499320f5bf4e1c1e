# src/ctl: the control plane (issue 6): the protocol codec shared by the
# server (inside the driver) and the ccidlab command, the server, and the
# client.  Needs json-glib and GIO.
noinst_LTLIBRARIES += src/ctl/libctl.la
src_ctl_libctl_la_SOURCES = \
	src/ctl/directory.h \
	src/ctl/protocol.h src/ctl/error.c src/ctl/request.c src/ctl/reply.c \
	src/ctl/server.h src/ctl/server_priv.h src/ctl/server.c src/ctl/handlers.c \
	src/ctl/client.h src/ctl/client.c
src_ctl_libctl_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
# Convenience libraries are linked together only into programs and the
# driver (see src/emu/local.mk): system libraries only here.
src_ctl_libctl_la_LIBADD =
CTL_LIBS = src/ctl/libctl.la $(EMU_LIBS) src/ccid/libccidcore.la
CTL_UNIT_LDADD = $(CTL_LIBS) $(JSON_LIBS) $(GLIB_LIBS)

check_PROGRAMS += tests/unit/test_ctl_request
tests_unit_test_ctl_request_SOURCES = tests/unit/test_ctl_request.c
tests_unit_test_ctl_request_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_ctl_request_LDADD = $(CTL_UNIT_LDADD)
TESTS += tests/unit/test_ctl_request

check_PROGRAMS += tests/unit/test_ctl_server
tests_unit_test_ctl_server_SOURCES = tests/unit/test_ctl_server.c
tests_unit_test_ctl_server_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_ctl_server_LDADD = $(CTL_UNIT_LDADD)
TESTS += tests/unit/test_ctl_server

check_PROGRAMS += tests/fuzz/fuzz_ctl_request
tests_fuzz_fuzz_ctl_request_SOURCES = tests/fuzz/fuzz_ctl_request.c $(FUZZ_MAIN)
tests_fuzz_fuzz_ctl_request_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
tests_fuzz_fuzz_ctl_request_LDADD = $(CTL_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
tests_fuzz_fuzz_ctl_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_ctl_request

