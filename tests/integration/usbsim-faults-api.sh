#!/bin/sh
# libccidlab-usbsim.so's USB transfer faults through the libusb-1.0 API:
# a halt from CCIDLAB_USBSIM and clear_halt; short, zero-length, babble,
# NAK and stall on the bulk, control and interrupt pipes (sync and
# async, actual_length and transfer status), reset_device, a disconnect
# while an interrupt transfer waits, refused fault requests on the
# control socket, and a composite device (tests/unit/test_usbsim_faults.c,
# linked with the real libusb and run with the shim preloaded).
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so"
LD_PRELOAD="${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$SHIM" \
CCIDLAB_USBSIM_CTL="$WORK/ctl.sock" USBSIM_TEST_CCIDLAB="$CCIDLAB" \
CCIDLAB_USBSIM="generic-apdu-irq:card=readertest,t1:fault=stall/bulk-in;generic-short-poll:composite=hid;generic-apdu-irq:card=readertest,t1;generic-apdu-irq:fault=melt@1" \
	"$top_builddir/tests/unit/test_usbsim_faults" 2> "$WORK/stderr"
rc=$?
sed 's/^/# /' "$WORK/stderr"
grep -q "usbsim: CCIDLAB_USBSIM device 3 .*unknown kind \"melt\"" "$WORK/stderr" ||
	{ echo "# no stderr message naming the malformed fault= of device 3"; exit 1; }
exit $rc
