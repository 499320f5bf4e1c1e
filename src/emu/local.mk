# src/emu: the CCID reader emulator (a CCID device model behind the
# transport interface of src/host/transport.h).  GLib is allowed here.
#
# Its vocabulary is a library of its own, device-free: the error domain,
# the fault kinds and their string forms (CCID-level and USB-level), and
# the storm bounds (a header).  The control protocol parses and formats
# faults with it and links nothing else of the emulator.
noinst_LTLIBRARIES += src/emu/libemuvocab.la
src_emu_libemuvocab_la_SOURCES = src/emu/error.h src/emu/error.c \
	src/emu/fault.h src/emu/fault.c src/emu/usbfault.h src/emu/usbfault.c \
	src/emu/storm_limits.h
src_emu_libemuvocab_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
# GLib log domain (src/ifd/log.c routes it inside pcscd).
src_emu_libemuvocab_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-emu"'

noinst_LTLIBRARIES += src/emu/libemu.la
src_emu_libemu_la_SOURCES = src/emu/profile.h src/emu/card.h
src_emu_libemu_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
src_emu_libemu_la_CPPFLAGS = $(AM_CPPFLAGS) -DPKGDATADIR='"$(pkgdatadir)"' \
	-DG_LOG_DOMAIN='"ccidlab-emu"'
# Convenience libraries are linked together only into programs and the
# driver: nesting them would copy the core twice.  System libraries only.
src_emu_libemu_la_LIBADD =
# Every program that links the device model links its vocabulary too.
EMU_LIBS = src/emu/libemu.la src/emu/libemuvocab.la
EMU_UNIT_LDADD = $(EMU_LIBS) src/ccid/libccidcore.la $(GLIB_LIBS)

include src/emu/profile.mk
include src/emu/card.mk
include src/emu/device.mk
