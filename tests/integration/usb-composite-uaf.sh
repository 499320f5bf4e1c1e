#!/bin/sh
# A composite USB device's readers closed one at a time (issue 20): the
# driver abandoned a closed reader's interrupt transfer when the device
# was marked gone, and freed the reader that held its buffer and its
# "completed" flag; while another interface kept the libusb handle open,
# any thread running libusb's events could complete that transfer into
# freed memory.  tests/direct/composite_unplug.c runs the sequence (two
# CCID interfaces in event mode, bulk NO_DEVICE, one reader closed while
# the other works) $COMPOSITE_CYCLES times (1000) with the usbsim shim
# preloaded; under ASan any use after free ends it with a report.
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so"
shim="${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$SHIM"
USBSIM="generic-apdu-irq:name=dual:composite=ccid:card=readertest,t1;generic-apdu-irq:name=other"
LD_PRELOAD="$shim" CCIDLAB_USBSIM="$USBSIM" CCIDLAB_USBSIM_CTL="$WORK/usbsim.sock" \
	CCIDLAB_CTL_LISTEN="$WORK/driver.sock" CCIDLAB_LOG_LEVEL=1 \
	"$top_builddir/tests/direct/composite_unplug" "$DRIVER" "$WORK/usbsim.sock" \
	"${COMPOSITE_CYCLES:-1000}" > "$WORK/out" 2> "$WORK/err"
tap_finish "$WORK/out" $? "$WORK/err" 'ERROR: AddressSanitizer'
finish
