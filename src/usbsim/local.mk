# src/usbsim: libccidlab-usbsim.so, emulated CCID readers behind the
# libusb-1.0 API for LD_PRELOAD into an unmodified driver (issue 8).
# A module, like the driver: the emulator's convenience libraries are
# linked into it here, never into each other.
pkglib_LTLIBRARIES = src/usbsim/libccidlab-usbsim.la
src_usbsim_libccidlab_usbsim_la_SOURCES = \
	src/usbsim/usbsim.h src/usbsim/libusb_result.h \
	src/usbsim/config.c \
	src/usbsim/core.c \
	src/usbsim/config_parse.h src/usbsim/config_parse.c \
	src/usbsim/desc.c \
	src/usbsim/xfer.c \
	src/usbsim/async.c \
	src/usbsim/ctl.c \
	src/usbsim/plug.c \
	src/usbsim/stubs.c \
	src/usbsim/log.c
src_usbsim_libccidlab_usbsim_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(LIBUSB_CFLAGS)
# Its lines are GLib messages in this domain: on stderr as "usbsim: ..."
# (log.c), in pcscd's log when ccidlab's driver is loaded (src/ifd/log.c).
src_usbsim_libccidlab_usbsim_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-usbsim"'
USBSIM_LIBS = src/usbdev/libusbdev.la src/ctl/libctlserver.la src/ctl/libctlproto.la src/host/libhost.la $(EMU_LIBS) src/ccid/libccidcore.la
src_usbsim_libccidlab_usbsim_la_LIBADD = $(USBSIM_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
src_usbsim_libccidlab_usbsim_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/src/usbsim/exports.map -Wl,-z,defs
EXTRA_src_usbsim_libccidlab_usbsim_la_DEPENDENCIES = $(srcdir)/src/usbsim/exports.map
EXTRA_DIST += src/usbsim/exports.map doc/usbsim.md

# The shim through the libusb API (the program links the real libusb; the
# test preloads the shim over it).
check_PROGRAMS += tests/unit/test_usbsim_api
tests_unit_test_usbsim_api_SOURCES = tests/unit/test_usbsim_api.c
tests_unit_test_usbsim_api_CFLAGS = $(AM_CFLAGS) $(LIBUSB_CFLAGS)
tests_unit_test_usbsim_api_LDADD = $(LIBUSB_LIBS)

# Its USB transfer faults, composite devices and transport calls, the same
# way (tests/integration/usbsim-faults-api.sh).
check_PROGRAMS += tests/unit/test_usbsim_faults
tests_unit_test_usbsim_faults_SOURCES = tests/unit/test_usbsim_faults.c
tests_unit_test_usbsim_faults_CFLAGS = $(AM_CFLAGS) $(LIBUSB_CFLAGS)
tests_unit_test_usbsim_faults_LDADD = $(LIBUSB_LIBS)
