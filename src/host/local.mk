# src/host: the CCID host engine (one reader over one transport), shared by
# the driver (src/ifd/) and the emulator's in-process tests.
noinst_LTLIBRARIES += src/host/libhost.la
src_host_libhost_la_SOURCES = \
	src/host/transport.h src/host/transport.c \
	src/host/host.h src/host/reader_priv.h \
	src/host/reader.c src/host/slot.c src/host/xfr.c
src_host_libhost_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)

