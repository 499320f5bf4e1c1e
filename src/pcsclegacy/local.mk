# src/pcsclegacy: pcscd's client protocol 4:4 and SCardGetStatusChange the
# way libpcsclite did it before 1.8.24 (check-events' positive control and
# `ccidlab legacy-wait`).
noinst_LTLIBRARIES += src/pcsclegacy/libpcsclegacy.la
src_pcsclegacy_libpcsclegacy_la_SOURCES = \
	src/pcsclegacy/legacy_wire.h src/pcsclegacy/legacy_wire.c \
	src/pcsclegacy/legacy_client.h src/pcsclegacy/legacy_client.c
src_pcsclegacy_libpcsclegacy_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(PCSC_CFLAGS)
