#!/bin/sh
# `ccidlab usbip` URB by URB: a USB/IP client of ours (clients/
# usbip_client.py) imports exported readers and checks enumeration, the
# CCID class requests, readertest byte-exact over the bulk pipes with
# its URB count, NotifySlotChange on the interrupt pipe, UNLINK, every
# USB fault kind as its URB status, disconnect and device-gone as an
# unplug, peers that vanish mid-URB, hostile packets and live add and
# remove (clients/usbip_urbs.py).  Our client against our server: the
# kernel's vhci-hcd is the interoperability test (the VM lab).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/usbip_lib.sh"
usbip_start \
	generic-apdu-irq:card=readertest,t1 \
	ACR38U-CCID.txt \
	generic-short-poll:composite=hid \
	generic-apdu-irq:card=none \
	generic-apdu-irq:card=readertest,t1
diag "$(cat "$WORK/server.out")"
cd "$top_srcdir/tests/integration/clients" &&
	"${PYTHON3:-python3}" usbip_urbs.py 127.0.0.1 "$PORT" "$CTL" "$CCIDLAB"
rc=$?
kill $SERVER
wait $SERVER
src=$?
diag "$(cat "$WORK/server.err")"
[ $src -eq 0 ] || { echo "# the server exited $src on SIGTERM"; exit 1; }
exit $rc
