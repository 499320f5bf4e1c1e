#!/bin/sh
# Card events from usbsim readers through Debian's libccid and pcscd:
# emulator timelines (scenario=FILE in CCIDLAB_USBSIM) insert and remove
# cards; pcscd's event counter must move by exactly the number of edges.
# Interrupt pipe (libccid's event path, NotifySlotChange read with the
# async libusb API): 50 edges 5..20 ms apart, latched by the emulator
# until the host reads them.  No interrupt pipe (libccid polled by pcscd):
# 6 edges held 600 ms.
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"

gaps=$(awk 'BEGIN { srand(7); for (i = 0; i < 50; i++) printf "%d ", 5 + int(rand() * 16) }')
toggle_scenario "$WORK/ev.scn" evA insert 4000 $gaps
toggle_scenario "$WORK/evp.scn" evB remove 4000 $gaps
toggle_scenario "$WORK/po.scn" poC insert 4000 600 600 600 600 600 600

USBSIM="generic-apdu-irq:name=evA:card=none:latch=1:scenario=$WORK/ev.scn"
USBSIM="$USBSIM;generic-t1-irq:name=evB:latch=1:scenario=$WORK/evp.scn"
USBSIM="$USBSIM;generic-short-poll:name=poC:card=none:scenario=$WORK/po.scn"
conf="$WORK/conf"
mkdir -p "$conf"
ccid_conf 1 EvEmpty 1209/0002 2
ccid_conf 2 EvFull 1209/0002 3
ccid_conf 3 PoEmpty 1209/0002 4
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	"$PYTHON3" events.py EvEmpty:empty:50:empty EvFull:present:50:present PoEmpty:empty:6:empty
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
