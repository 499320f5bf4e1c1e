# src/ctl: the control plane (issue 6), in two libraries.
#
# libctlproto, the protocol: the request codec, the replies, the stream
# records (stream.h) and the client.  What every client of the socket
# links (the ccidlab command, the checker, bench, the tests): json-glib,
# GIO and the emulator's device-free vocabulary (fault kinds and their
# string forms, libemuvocab), never the device model or the CCID core.
noinst_LTLIBRARIES += src/ctl/libctlproto.la
src_ctl_libctlproto_la_SOURCES = \
	src/ctl/protocol.h src/ctl/error.c src/ctl/request.c src/ctl/reply.c \
	src/ctl/stream.h src/ctl/stream.c \
	src/ctl/client.h src/ctl/client.c
src_ctl_libctlproto_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
# GLib log domain (src/ifd/log.c routes it inside pcscd).
src_ctl_libctlproto_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-ctl"'
# Convenience libraries are linked together only into programs and the
# driver (see src/emu/local.mk): system libraries only here.
src_ctl_libctlproto_la_LIBADD =
CTL_PROTO_LIBS = src/ctl/libctlproto.la src/emu/libemuvocab.la

# libctlserver, the server inside the driver (and the usbsim shim): the
# socket, its clients and streams (server.c), and what each request does
# (handlers.c and the handle_*.c files), over the emulator.
noinst_LTLIBRARIES += src/ctl/libctlserver.la
src_ctl_libctlserver_la_SOURCES = \
	src/ctl/directory.h \
	src/ctl/server.h src/ctl/server_priv.h src/ctl/server.c src/ctl/server_stream.c \
	src/ctl/handlers.c \
	src/ctl/handle_readers.c src/ctl/handle_faults.c src/ctl/handle_jobs.c \
	src/ctl/handle_stream.c
src_ctl_libctlserver_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
src_ctl_libctlserver_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-ctl"'
src_ctl_libctlserver_la_LIBADD =
# The server and everything below it.
CTL_LIBS = src/ctl/libctlserver.la src/ctl/libctlproto.la $(EMU_LIBS) src/ccid/libccidcore.la
CTL_UNIT_LDADD = $(CTL_LIBS) $(JSON_LIBS) $(GLIB_LIBS)

# The protocol's tests link the protocol library alone: they would not
# link if it needed the emulator's device model or the CCID core.
check_PROGRAMS += tests/unit/test_ctl_request
tests_unit_test_ctl_request_SOURCES = tests/unit/test_ctl_request.c
tests_unit_test_ctl_request_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_ctl_request_LDADD = $(CTL_PROTO_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
TESTS += tests/unit/test_ctl_request

check_PROGRAMS += tests/unit/test_ctl_server
tests_unit_test_ctl_server_SOURCES = tests/unit/test_ctl_server.c
tests_unit_test_ctl_server_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_ctl_server_LDADD = $(CTL_UNIT_LDADD)
TESTS += tests/unit/test_ctl_server

check_PROGRAMS += tests/fuzz/fuzz_ctl_request
tests_fuzz_fuzz_ctl_request_SOURCES = tests/fuzz/fuzz_ctl_request.c $(FUZZ_MAIN)
tests_fuzz_fuzz_ctl_request_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
tests_fuzz_fuzz_ctl_request_LDADD = $(CTL_PROTO_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
tests_fuzz_fuzz_ctl_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_ctl_request


check_PROGRAMS += tests/fuzz/fuzz_ctl_stream
tests_fuzz_fuzz_ctl_stream_SOURCES = tests/fuzz/fuzz_ctl_stream.c $(FUZZ_MAIN)
tests_fuzz_fuzz_ctl_stream_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
tests_fuzz_fuzz_ctl_stream_LDADD = $(CTL_PROTO_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
tests_fuzz_fuzz_ctl_stream_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_ctl_stream
