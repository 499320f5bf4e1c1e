# src/usbip: `ccidlab usbip`, a USB/IP server (protocol 0x0111) over the
# emulated readers (issue 15): the wire codec, the per-connection state
# machine, the URB executor, the exported devices, the sockets and the
# command.  A convenience library linked into the ccidlab command.
noinst_LTLIBRARIES += src/usbip/libusbip.la
src_usbip_libusbip_la_SOURCES = \
	src/usbip/usbip.h src/usbip/usbip_priv.h \
	src/usbip/wire.h src/usbip/wire.c \
	src/usbip/conn.h src/usbip/conn.c \
	src/usbip/urb.c \
	src/usbip/exporter.c src/usbip/exporter_ctl.c \
	src/usbip/server.c src/usbip/cmd.c
src_usbip_libusbip_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
src_usbip_libusbip_la_LIBADD =
USBIP_LIBS = src/usbip/libusbip.la src/usbdev/libusbdev.la
