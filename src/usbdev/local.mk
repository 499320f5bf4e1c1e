# src/usbdev: an emulated reader as a USB device (descriptors, endpoints,
# USB transfer faults, transfers, endpoint 0), shared by the usbsim shim
# and the USB/IP server (issue 15).  A convenience library: system
# libraries only here (see src/emu/local.mk).
noinst_LTLIBRARIES += src/usbdev/libusbdev.la
src_usbdev_libusbdev_la_SOURCES = \
	src/usbdev/usbdev.h src/usbdev/status.h src/usbdev/usbdev.c \
	src/usbdev/desc.c src/usbdev/fault.c src/usbdev/pipe.c src/usbdev/control.c \
	src/usbdev/usbdev_ctl.h src/usbdev/ctl.c
src_usbdev_libusbdev_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
src_usbdev_libusbdev_la_LIBADD =
