#!/bin/sh
# Composite usbsim devices (composite=hid: a HID interface 0 before the
# CCID interface, which becomes interface 1) under ccidlab's own driver in
# Debian's pcscd (usbsim-libccid-composite.sh is the same under libccid):
#  - a DEVICENAME naming interface 1, in the libusb hotplug form and in
#    the libudev form, opens the CCID interface: readertest cases 1-4
#    byte-exact;
#  - a plain name (no interface) picks the CCID interface by itself, on
#    the catalogue ACR1251's second interface (which already is 1, the
#    HID interface 0 beside it) and on a generic device named by serial;
#  - a name pointing at interface 0 (the HID) is refused with a log line
#    saying it is not a CCID interface, without claiming it (the shim's
#    CCIDLAB_USBSIM_DEBUG trace of every claim, in pcscd's log, and its
#    control socket's list), and pcscd goes on serving the other readers;
#  - pcscd sees no card edge at startup.
. "$top_srcdir/tests/integration/lib.sh"

# Devices: bus 1, addresses 2, 3... and serials emu-1, emu-2... in order.
USBSIM="generic-apdu-irq:name=ComboUsb:composite=hid:card=readertest,t1"
USBSIM="$USBSIM;generic-apdu-irq:name=ComboUdev:composite=hid:card=readertest,t1"
USBSIM="$USBSIM;ACS_ACR1251_Dual_Reader.txt@2:name=ComboAcs:composite=hid:card=readertest,t1"
USBSIM="$USBSIM;generic-t1-irq:name=ComboSerial:composite=hid:card=readertest,t1"
USBSIM="$USBSIM;generic-apdu-irq:name=Hid:composite=hid:card=readertest,t1"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/combo" ComboUsb "usb:1209/0002:libusb-1.0:1:2:1"
reader_conf "$conf/udev" ComboUdev "usb:1209/0002:libudev:1:/dev/bus/usb/001/003"
reader_conf "$conf/acs" ComboAcs "usb:072f/221a"
reader_conf "$conf/serial" ComboSerial "usb:1209/0002:serial=emu-4"
reader_conf "$conf/hid" Hid "usb:1209/0002:libusb-1.0:1:6:0"
cat > "$WORK/run.sh" <<EOS
"\$PYTHON3" readertest_sweep.py ComboUsb:T1 ComboUdev:T1 ComboAcs:any ComboSerial:T1 \
	| sed '/^1\.\.[0-9]*\$/d'
"$PYTHON3" list_readers.py > "$WORK/readers" 2>&1
"$CCIDLAB" list --json > "$WORK/list.json"
kill -0 "\$CCIDLAB_PCSCD_PID" && echo alive > "$WORK/alive"
EOS
cd "$top_srcdir/tests/integration/clients" || exit 1
CCIDLAB_USBSIM_DEBUG=1 lab main --allow-refused --conf "$conf" --usbsim "$USBSIM" -- \
	sh "$WORK/run.sh" > "$WORK/tap" 2>&1
rc=$?
log=$(lab_log main)
# Renumbered into one stream with the checks below.
awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print n > "/dev/stderr" }' \
	"$WORK/tap" 2> "$WORK/n"
tap_n=$(cat "$WORK/n")
[ "$rc" -eq 0 ] || diag "the lab ended with status $rc; pcscd log: $log"
# The sweep's 4 results (SELECT, cases 3, 2, 4) on each reader.
for r in ComboUsb ComboUdev ComboAcs ComboSerial; do
	check "$r: the readertest sweep ran there (4 results)" \
		test "$(grep -c "^ok [0-9]* - $r [0-9A-F][0-9A-F] 00: " "$WORK/tap")" -eq 4
done
for r in 'ComboUsb 2 1' 'ComboUdev 3 1' 'ComboAcs 4 1' 'ComboSerial 5 1'; do
	# shellcheck disable=SC2086
	set -- $r
	check "$1: the driver claimed interface $3 of address $2 (the CCID one), and only it" \
		sh -c "grep -q 'usbsim: $1: claim interface $3: claimed' '$log' &&
			! grep -q 'usbsim: $1: claim interface [^$3]' '$log'"
done
check "Hid: the DEVICENAME naming interface 0 is refused: not a CCID interface" \
	grep -q "'usb:1209/0002:libusb-1.0:1:6:0': interface 0 of 1209/0002 is not a CCID interface" \
	"$log"
check "Hid: interface 0 (the HID) was never claimed, nor any other" \
	sh -c "grep -q 'usbsim: device Hid:' '$log' && ! grep -q 'usbsim: Hid: claim' '$log'"
# The control socket numbers a device by its first CCID claim; never
# claimed: 64 + its index (doc/usbsim.md "Live control").
check "Hid: the control socket lists it as never claimed (number 68)" \
	grep -q '"reader":68,"name":"Hid"' "$WORK/list.json"
check "pcscd lists the 4 CCID readers and not the refused one" \
	sh -c "grep -q '^ComboUsb ' '$WORK/readers' && grep -q '^ComboUdev ' '$WORK/readers' &&
		grep -q '^ComboAcs ' '$WORK/readers' && grep -q '^ComboSerial ' '$WORK/readers' &&
		! grep -q '^Hid ' '$WORK/readers'"
check "pcscd stayed up after the refusal, serving the other readers" test -f "$WORK/alive"
# Nothing here moves a card: a removal in pcscd's log would be a reader's
# announcement of its card (its first NotifySlotChange, which comes after
# the open's first look) taken for an edge (src/ifd/events.c).
check "pcscd saw no card removal (the readers' first NotifySlotChange is no edge)" \
	sh -c "! grep -q 'Card Removed' '$log'"
plan "$tap_n"
finish
