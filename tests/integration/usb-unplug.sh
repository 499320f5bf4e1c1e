#!/bin/sh
# USB unplug (usbsim's device-gone) under ccidlab's driver and Debian's
# pcscd: during transmits in flight on two slots of a 4-slot reader (every
# slot fails at once), during a transmit on a forced polling-only reader,
# and while pcscd waits: in the driver's interrupt wait (event mode) and
# in its own 400 ms polling (no interrupt pipe).  Each bounded, pcscd
# alive, another reader still working; then what pcscd's log says, and
# the replug (tests/integration/clients/usb_unplug.py).
. "$top_srcdir/tests/integration/lib.sh"
export CCIDLAB
# Bus 1, addresses 2.. and serials emu-1.. in this order.
USBSIM="generic-ext-multi:name=Multi:card=none:card0=readertest,t1:card2=readertest,t1"
USBSIM="$USBSIM;generic-apdu-irq:name=Other:card=readertest,t1"
USBSIM="$USBSIM;generic-apdu-irq:name=Idle:card=readertest,t1"
USBSIM="$USBSIM;generic-apdu-irq:name=Forced:card=readertest,t1"
USBSIM="$USBSIM;generic-short-poll:name=Poll:card=readertest,t1"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/Multi" Multi "usb:1209/0002:libusb-1.0:1:2:0"
reader_conf "$conf/Other" Other "usb:1209/0002:libusb-1.0:1:3:0"
reader_conf "$conf/Idle" Idle "usb:1209/0002:libusb-1.0:1:4:0"
reader_conf "$conf/Forced" Forced "usb:1209/0002:serial=emu-4:mode=poll"
reader_conf "$conf/Poll" Poll "usb:1209/0002:libusb-1.0:1:6:0"
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" --usbsim "$USBSIM" -- "$PYTHON3" usb_unplug.py
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
