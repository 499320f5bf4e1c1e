#!/bin/sh
# A composite usbsim device (composite=hid: a HID interface 0 before the
# CCID interface, which becomes interface 1) under Debian's unmodified
# libccid and pcscd: libccid opens the CCID interface named in the
# reader.conf.d DEVICENAME (usb:VVVV/PPPP:libusb-1.0:BUS:ADDRESS:1) and
# the readertest cases 1-4 run byte-exact; the shim's control socket
# names that interface in the reader's devname.  A catalogue profile
# whose CCID interface already is 1 (ACR1251, second interface) gets
# the HID interface 0 beside it.
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"

USBSIM="generic-apdu-irq:name=Combo:composite=hid:card=readertest,t1"
USBSIM="$USBSIM;ACS_ACR1251_Dual_Reader.txt@2:name=ComboAcs:composite=hid:card=readertest,t1"
conf="$WORK/conf"
mkdir -p "$conf"
cat > "$conf/combo" <<EOC
FRIENDLYNAME "Combo"
DEVICENAME   usb:1209/0002:libusb-1.0:1:2:1
LIBPATH      $CCID_LIB
EOC
cat > "$conf/acs" <<EOC
FRIENDLYNAME "ComboAcs"
DEVICENAME   usb:072f/221a:libusb-1.0:1:3:1
LIBPATH      $CCID_LIB
EOC
cat > "$WORK/run.sh" <<EOS
"\$PYTHON3" readertest_sweep.py Combo:T1 ComboAcs:any | sed '/^1\.\.[0-9]*\$/d'
"$CCIDLAB" list --json > "$WORK/list.json"
EOS
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	sh "$WORK/run.sh" > "$WORK/tap" 2>&1
rc=$?
# Renumbered into one stream with the devname checks.
awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print n > "/dev/stderr" }' \
	"$WORK/tap" 2> "$WORK/n"
tap_n=$(cat "$WORK/n")
[ "$rc" -eq 0 ] || diag "the lab ended with status $rc; pcscd log: $(lab_log main)"
for dev in 'Combo usb:1209/0002:libusb-1.0:1:2:1' 'ComboAcs usb:072f/221a:libusb-1.0:1:3:1'; do
	name=${dev%% *} devname=${dev#* }
	check "the control socket names $name's CCID interface: $devname" \
		grep -q "\"name\":\"$name\",\"devname\":\"$devname\"" "$WORK/list.json"
done
plan "$tap_n"
finish
