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
"$CCIDLAB" usbip --listen 127.0.0.1:0 --socket "$WORK/ctl.sock" \
	generic-apdu-irq:card=readertest,t1 \
	ACR38U-CCID.txt \
	generic-short-poll:composite=hid \
	generic-apdu-irq:card=none \
	generic-apdu-irq:card=readertest,t1 \
	> "$WORK/server.out" 2> "$WORK/server.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
wait_for grep -qs "listening on" "$WORK/server.out" || {
	echo "1..0 # SKIP the server did not start"; cat "$WORK/server.err"; exit 1; }
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$WORK/server.out")
diag "$(cat "$WORK/server.out")"
cd "$top_srcdir/tests/integration/clients" &&
	"${PYTHON3:-python3}" usbip_urbs.py 127.0.0.1 "$PORT" "$WORK/ctl.sock" "$CCIDLAB"
rc=$?
kill $SERVER
wait $SERVER
src=$?
diag "$(cat "$WORK/server.err")"
[ $src -eq 0 ] || { echo "# the server exited $src on SIGTERM"; exit 1; }
exit $rc
