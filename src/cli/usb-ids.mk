# The driver bundle's USB match list (Info.plist): which VID:PID pairs
# pcscd's USB hotplug gives to ccidlab.  ccidlab-usb-ids writes it from
# the reader catalogue, at build time (the selection chosen with
# configure --with-usb-ids, default all) and for users who change an
# installed bundle (`ccidlab usb-ids`, ccidlab(1) USB IDS).
bin_SCRIPTS = src/cli/ccidlab-usb-ids
src/cli/ccidlab-usb-ids: $(srcdir)/src/cli/usb-ids.sh.in Makefile
	$(AM_V_GEN)mkdir -p src/cli && $(SED) \
		-e 's|@VERSION[@]|$(VERSION)|g' \
		-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
		-e 's|@usbdropdir[@]|$(usbdropdir)|g' \
		-e 's|@bundle[@]|$(bundle)|g' \
		$(srcdir)/src/cli/usb-ids.sh.in > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
CLEANFILES += src/cli/ccidlab-usb-ids
EXTRA_DIST += src/cli/usb-ids.sh.in

bundle_DATA = Info.plist
Info.plist: src/cli/ccidlab-usb-ids $(srcdir)/tests/data/readers.tsv $(USB_IDS_FILE)
	$(AM_V_GEN)$(SHELL) src/cli/ccidlab-usb-ids -q --catalogue $(srcdir)/tests/data/readers.tsv \
		-o $@ $(USB_IDS)
CLEANFILES += Info.plist

# The generated list, parsed by an independent reader (python's plistlib).
TESTS += tests/integration/bundle-plist.sh
EXTRA_DIST += tests/integration/bundle-plist.sh tests/check-plist.py

# pcscd's driver choice between ccidlab and libccid, observed through a
# stand-in for libudev (no USB bus in CI).
check_LTLIBRARIES += tests/lab/libudevsim.la
tests_lab_libudevsim_la_SOURCES = tests/lab/udevsim.c
tests_lab_libudevsim_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_lab_libudevsim_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
TESTS += tests/integration/usb-driver-choice.sh
EXTRA_DIST += tests/integration/usb-driver-choice.sh
