# src/emu: the CCID reader emulator (a CCID device model behind the
# transport interface of src/host/transport.h).  GLib is allowed here.
noinst_LTLIBRARIES += src/emu/libemu.la
src_emu_libemu_la_SOURCES = src/emu/profile.h src/emu/card.h
src_emu_libemu_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
src_emu_libemu_la_CPPFLAGS = $(AM_CPPFLAGS) -DPKGDATADIR='"$(pkgdatadir)"'
# Convenience libraries are linked together only into programs and the
# driver: nesting them would copy the core twice.  System libraries only.
src_emu_libemu_la_LIBADD =
EMU_UNIT_LDADD = src/emu/libemu.la src/ccid/libccidcore.la $(GLIB_LIBS)

include src/emu/profile.mk
include src/emu/card.mk
include src/emu/device.mk
