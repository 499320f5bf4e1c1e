# src/ccid: the pure CCID protocol core (no I/O, no threads, no globals).
# It links against nothing but libc, so fuzzers and unit tests can take it
# alone.  Each area keeps its sources in its own fragment below.
noinst_LTLIBRARIES += src/ccid/libccidcore.la
src_ccid_libccidcore_la_SOURCES = \
	src/ccid/ccid.h \
	src/ccid/result.h src/ccid/result.c \
	src/ccid/bytes.h src/ccid/xfer.h
src_ccid_libccidcore_la_CFLAGS = $(AM_CFLAGS)

include src/ccid/descriptor.mk
include src/ccid/message.mk
include src/ccid/atr.mk
include src/ccid/t1.mk
