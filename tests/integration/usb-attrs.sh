#!/bin/sh
# SCardGetAttrib through pcscd: ccidlab's driver against Debian's libccid
# on the same usbsim devices (two labs, the same spec: same profiles,
# addresses and serials).  Profiles: TPDU with a T=0 card and with a T=1
# card (generic-t1-irq), short APDU (generic-apdu-irq), extended APDU
# with 4 slots (generic-ext-multi: cards in slots 0 and 2, slot 1
# empty), and a catalogue reader with its own strings (ACR38U, TPDU T=0).
# Every attribute either driver answers is printed; ccidlab must answer
# each one libccid answers, with the same value, but for the differences
# listed with their reasons in tests/integration/clients/usb_attrs.py.
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"
# NAME PROFILE VID/PID; bus 1, addresses 2.. in this order.
cat > "$WORK/list" <<'EOL'
TpduT0 generic-t1-irq:card=readertest,t0 1209/0002
TpduT1 generic-t1-irq:card=readertest,t1 1209/0002
ApduT1 generic-apdu-irq:card=readertest,t1 1209/0002
Multi generic-ext-multi:card=none:card0=readertest,t1:card2=readertest,t0 1209/0002
Acr38u ACR38U-CCID.txt:card=readertest,t0 072f/90cc
EOL
mkdir -p "$WORK/ccidlab" "$WORK/libccid"
usbsim_begin
while read -r name profile id; do
	usbsim_reader "$WORK/ccidlab/$name" "$name" "$profile:name=$name" "$id"
	reader_conf "$WORK/libccid/$name" "$name" "usb:$id:libusb-1.0:1:$usbsim_at:0" "$CCID_LIB"
done < "$WORK/list"
readers="TpduT0 TpduT1 ApduT1 Multi/0 Multi/1 Multi/2 Acr38u"
cd "$top_srcdir/tests/integration/clients" || exit 1
# shellcheck disable=SC2086
lab ccidlab --conf "$WORK/ccidlab" --usbsim "$USBSIM" -- \
	"$PYTHON3" usb_attrs.py dump "$WORK/ccidlab.json" $readers || {
	echo "Bail out! the ccidlab lab failed; pcscd log: $(lab_log ccidlab)"; exit 0; }
# shellcheck disable=SC2086
lab libccid --conf "$WORK/libccid" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	"$PYTHON3" usb_attrs.py dump "$WORK/libccid.json" $readers || {
	echo "Bail out! the libccid lab failed; pcscd log: $(lab_log libccid)"; exit 0; }
"$PYTHON3" usb_attrs.py compare "$WORK/ccidlab.json" "$WORK/libccid.json"
exit 0
