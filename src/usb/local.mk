# src/usb: real USB CCID readers through libusb-1.0 (the only layer that
# uses libusb; src/usbsim is the other side of that API).
noinst_LTLIBRARIES += src/usb/libusbtransport.la
src_usb_libusbtransport_la_SOURCES = \
	src/usb/usb.h src/usb/usb_priv.h \
	src/usb/name.c src/usb/device.c src/usb/rawconfig.c src/usb/find.c \
	src/usb/transport_usb.c src/usb/irq.c
src_usb_libusbtransport_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBUSB_CFLAGS)
src_usb_libusbtransport_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-usb"'

check_PROGRAMS += tests/unit/test_usb_name
tests_unit_test_usb_name_SOURCES = tests/unit/test_usb_name.c
tests_unit_test_usb_name_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_usb_name_LDADD = src/usb/libusbtransport.la src/ccid/libccidcore.la \
	$(LIBUSB_LIBS) $(GLIB_LIBS)
TESTS += tests/unit/test_usb_name
