#!/bin/sh
# What pcscd's threads share inside the driver (issue 20), for
# ThreadSanitizer: tests/direct/races.c on a usbsim reader that floods its
# interrupt pipe while the open sets the trace hook, while pcscd's
# polling thread asks for presence, the hotplug thread says the device is
# removed and the device vanishes.  In a --enable-tsan build a data race
# (the trace hook read without the reader's lock, `removed` and `gone`
# without atomics, before) is a report that fails the run; in the other
# builds the same calls must simply work.
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so"
shim="${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$SHIM"
USBSIM="generic-apdu-irq:name=Flood:card=readertest,t1:fault=notify/interrupt@5000"
LD_PRELOAD="$shim" CCIDLAB_USBSIM="$USBSIM" CCIDLAB_USBSIM_CTL="$WORK/usbsim.sock" \
	CCIDLAB_CTL_LISTEN="$WORK/driver.sock" CCIDLAB_LOG_LEVEL=1 \
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1:exitcode=66" \
	"$top_builddir/tests/direct/races" "$DRIVER" usb:1209/0002:libusb-1.0:1:2:0 \
	"$WORK/usbsim.sock" Flood > "$WORK/out" 2> "$WORK/err"
tap_finish "$WORK/out" $? "$WORK/err" 'WARNING: ThreadSanitizer\|ERROR: AddressSanitizer'
finish
