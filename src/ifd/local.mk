# src/ifd: the IFD handler pcscd loads.  Installed as the one real file of
# the bundle; reader.conf.d entries name this same path (pcscd tells
# drivers apart by the LIBPATH string).
bundledir = $(usbdropdir)/$(bundle)/Contents
drvdir = $(bundledir)/Linux
drv_LTLIBRARIES = src/ifd/libccidlab.la

# Everything but the entry points, so unit tests can link it.
noinst_LTLIBRARIES += src/ifd/libifd.la
src_ifd_libifd_la_SOURCES = \
	src/ifd/log.h src/ifd/log.c \
	src/ifd/devname.h src/ifd/devname.c \
	src/ifd/result.h src/ifd/result.c \
	src/ifd/reader.h src/ifd/reader.c \
	src/ifd/emuspec.h src/ifd/emuspec.c \
	src/ifd/events.h src/ifd/events.c \
	src/ifd/caps.h src/ifd/caps.c \
	src/ifd/control.h src/ifd/control.c \
	src/ifd/ctl_glue.h src/ifd/ctl_glue.c \
	src/ifd/null_reader.h src/ifd/null_reader.c \
	src/ifd/usbconf.h src/ifd/usbconf.c \
	src/ifd/usbopen.h src/ifd/usbopen.c
src_ifd_libifd_la_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) \
	$(LIBUSB_CFLAGS) -DSYSCONFDIR='"$(sysconfdir)"'

src_ifd_libccidlab_la_SOURCES = src/ifd/entry.c
src_ifd_libccidlab_la_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS) $(GLIB_CFLAGS)
IFD_LIBS = src/ifd/libifd.la src/ctl/libctlserver.la src/ctl/libctlproto.la src/host/libhost.la src/usb/libusbtransport.la \
	$(EMU_LIBS) src/ccid/libccidcore.la
src_ifd_libccidlab_la_LIBADD = $(IFD_LIBS) $(JSON_LIBS) $(LIBUSB_LIBS) $(GLIB_LIBS)
# -z nodelete: pcscd dlcloses the driver when the first reader it opened
# is refused, then dlopens it again for the next entry; GLib (never
# unloaded) would keep the driver's quark strings and registered types
# at their old, unmapped addresses, and the next error crashed pcscd.
src_ifd_libccidlab_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/src/ifd/exports.map -Wl,-z,defs -Wl,-z,nodelete
EXTRA_src_ifd_libccidlab_la_DEPENDENCIES = $(srcdir)/src/ifd/exports.map
EXTRA_DIST += src/ifd/exports.map src/ifd/exports.txt

# The bundle holds the one real .so; libtool's .la has no place in it
# (drvdir has no "exec" in its name, so libtool installs it with the data).
install-data-hook: install-drop-la
install-drop-la:
	rm -f $(DESTDIR)$(drvdir)/libccidlab.la
# Without the .la, libtool's uninstall cannot name the .so: remove it here.
uninstall-hook: uninstall-drop-so
uninstall-drop-so:
	rm -f $(DESTDIR)$(drvdir)/libccidlab.so
.PHONY: install-drop-la uninstall-drop-so

# Info.plist, pcscd's USB match list for the bundle, is written by
# src/cli/usb-ids.mk (from the reader catalogue).

# A bundle staged in the build tree, the way it is installed, for labs and
# tests: build/bundle/ifd-ccidlab.bundle/Contents/{Info.plist,Linux/libccidlab.so}.
all-local: stage-bundle
stage-bundle: src/ifd/libccidlab.la Info.plist
	@mkdir -p bundle/$(bundle)/Contents/Linux
	@cp -f Info.plist bundle/$(bundle)/Contents/Info.plist
	@cp -f src/ifd/.libs/libccidlab.so bundle/$(bundle)/Contents/Linux/libccidlab.so
	@cp -f $(srcdir)/tests/data/readers.tsv bundle/readers.tsv
.PHONY: stage-bundle
clean-local: clean-bundle
clean-bundle:
	rm -rf bundle
.PHONY: clean-bundle

# The export list is a contract: exactly the ten IFDH functions.
TESTS += tests/integration/exports.sh
EXTRA_DIST += tests/integration/exports.sh

# The sample reader.conf.d file: every entry commented out.
readerconf_DATA = reader.conf.d/ccidlab
reader.conf.d/ccidlab: $(srcdir)/reader.conf.d/ccidlab.in Makefile
	$(AM_V_GEN)mkdir -p reader.conf.d && \
	$(SED) -e 's|@drvdir[@]|$(drvdir)|g' $(srcdir)/reader.conf.d/ccidlab.in > $@.tmp && mv $@.tmp $@
CLEANFILES += reader.conf.d/ccidlab
EXTRA_DIST += reader.conf.d/ccidlab.in

check_PROGRAMS += tests/unit/test_devname
tests_unit_test_devname_SOURCES = tests/unit/test_devname.c
tests_unit_test_devname_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_devname_LDADD = $(IFD_LIBS) $(JSON_LIBS) $(LIBUSB_LIBS) $(GLIB_LIBS)
tests_unit_test_devname_CPPFLAGS = $(AM_CPPFLAGS) $(PCSC_CFLAGS)
TESTS += tests/unit/test_devname

check_PROGRAMS += tests/unit/test_ifd_events
tests_unit_test_ifd_events_SOURCES = tests/unit/test_ifd_events.c
tests_unit_test_ifd_events_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ifd_events_LDADD = $(IFD_LIBS) $(JSON_LIBS) $(LIBUSB_LIBS) $(GLIB_LIBS)
tests_unit_test_ifd_events_CPPFLAGS = $(AM_CPPFLAGS) $(PCSC_CFLAGS)
TESTS += tests/unit/test_ifd_events

check_PROGRAMS += tests/unit/test_usbconf
tests_unit_test_usbconf_SOURCES = tests/unit/test_usbconf.c
tests_unit_test_usbconf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_usbconf_LDADD = $(IFD_LIBS) $(JSON_LIBS) $(LIBUSB_LIBS) $(GLIB_LIBS)
tests_unit_test_usbconf_CPPFLAGS = $(AM_CPPFLAGS) $(PCSC_CFLAGS)
TESTS += tests/unit/test_usbconf
