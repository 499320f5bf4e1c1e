#!/bin/sh
# ccidlab's USB driver never holds pcscd beyond its timeout cap
# (ccidlab.conf(5) timeout-cap; libccid #155 blocked pcscd for 13 minutes
# inside one transmit).  A usbsim reader whose card works 20 s on one
# command (time extensions all along) under a 2 s cap: the transmit fails
# after about 2 s, the driver aborts the command, and the next APDUs get
# their own answers without a reconnect.  Both the APDU level and T=1
# TPDU (where the card's S(WTX) requests are capped too).
. "$top_srcdir/tests/integration/lib.sh"

conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/apdu" "CapApdu" "usb:1209/0002:libusb-1.0:1:2:0"
reader_conf "$conf/tpdu" "CapTpdu" "usb:1209/0002:libusb-1.0:1:3:0"
# The TPDU reader gets its cap from the file, by serial (usbsim: emu-2).
cat > "$WORK/ccidlab.conf" <<EOC
[usb serial=emu-2]
timeout-cap=2
EOC
# The APDU reader's cap comes from the [usb] group, for every reader.
cat >> "$WORK/ccidlab.conf" <<EOC
[usb]
timeout-cap=2
EOC
USBSIM="generic-apdu-irq:name=CapApdu:card=readertest,t1;generic-t1-irq:name=CapTpdu:card=readertest,t1"
cd "$top_srcdir/tests/integration/clients" || exit 1
: > "$WORK/tap"
for r in CapApdu CapTpdu; do
	CCIDLAB_CONF="$WORK/ccidlab.conf" lab "$r" --conf "$conf" --usbsim "$USBSIM" -- \
		sh -c '"$1" timeout_cap.py "$2" 2 20000 && grep -q "timeout cap 2 s" "$CCIDLAB_PCSCD_LOG" &&
		       echo "ok 6 - the driver logged its 2 s cap" || echo "not ok 6 - the driver logged its 2 s cap"' \
		sh "$PYTHON3" "$r" | sed '/^1\.\./d' >> "$WORK/tap"
done
awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print "1.." n }' "$WORK/tap"
exit 0
