#!/bin/sh
# libccidlab-usbsim.so under its libusb-1.0 API: descriptors, handles,
# bulk/control/interrupt transfers, the async API, error names, an
# unemulated call, hotplug enumeration, and unplug/replug through the
# shim's control socket (tests/unit/test_usbsim_api.c, linked with the
# real libusb and run with the shim preloaded).
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so"
LD_PRELOAD="${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$SHIM" \
CCIDLAB_USBSIM_CTL="$WORK/ctl.sock" USBSIM_TEST_CCIDLAB="$CCIDLAB" \
CCIDLAB_USBSIM="generic-apdu-irq:card=readertest,t1;generic-short-poll:card=none:bus=3:address=9" \
	"$top_builddir/tests/unit/test_usbsim_api" 2> "$WORK/stderr"
rc=$?
sed 's/^/# /' "$WORK/stderr"
grep -q 'libusb_set_interface_alt_setting is not emulated' "$WORK/stderr" &&
	echo "# (the unemulated call named itself on stderr)" || { echo "# no stderr message for libusb_set_interface_alt_setting"; exit 1; }
exit $rc
