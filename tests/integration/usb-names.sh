#!/bin/sh
# Device names of real USB readers (ccidlab-devicename(5)) through
# Debian's pcscd and ccidlab's USB path, on usbsim devices: each form
# opens the device it names (the reader's SCARD_ATTR_VENDOR_IFD_SERIAL_NO
# is that device's serial), and a name that matches nothing, or that is
# malformed, is refused: the reader is not listed, pcscd stays up, and
# pcscd's log says what was looked for and what was found, or what is
# wrong with the name.
. "$top_srcdir/tests/integration/lib.sh"

# usbsim devices, bus 1, in this order: address N+1, serial emu-N.
USBSIM="generic-apdu-irq"			# 2 emu-1
USBSIM="$USBSIM;generic-apdu-irq"		# 3 emu-2
USBSIM="$USBSIM;generic-apdu-irq"		# 4 emu-3
USBSIM="$USBSIM;generic-apdu-irq"		# 5 emu-4
USBSIM="$USBSIM;ACS_ACR1251_Dual_Reader.txt@1"	# 6 emu-5, CCID interface 0
USBSIM="$USBSIM;ACS_ACR1251_Dual_Reader.txt@2"	# 7 emu-6, CCID interface 1
USBSIM="$USBSIM;ACR38U-CCID.txt"		# 8 emu-7
USBSIM="$USBSIM;ACR38U-CCID.txt"		# 9 emu-8
USBSIM="$USBSIM;generic-apdu-irq"		# 10 emu-9

conf="$WORK/conf"
mkdir -p "$conf"
# NAME DEVICENAME EXPECTED (a serial, or refused)
cat > "$WORK/names" <<'EOL'
Libusb usb:1209/0002:libusb-1.0:1:3:0 emu-2
Libudev usb:1209/0002:libudev:0:/dev/bus/usb/001/004 emu-3
Serial usb:1209/0002:serial=emu-4 emu-4
Named usb:1209/0002:serial=emu-9:name=LabReader emu-9
First usb:1209/0002 emu-1
If0 usb:072f/221a:interface=0 emu-5
If1 usb:072f/221a:interface=1 emu-6
PlainA usb:072f/90cc any
PlainB usb:072f/90cc any
WrongPid usb:1209/0003 refused
WrongSerial usb:1209/0002:serial=emu-99 refused
NoAddr usb:1209/0002:libusb-1.0:1:42:0 refused
NoIface usb:072f/221a:libusb-1.0:1:6:1 refused
BadHex usb:12G9/0002 refused
BadLibusb usb:1209/0002:libusb-1.0:1:x refused
BadKey usb:1209/0002:bogus refused
BadMode usb:1209/0002:serial=emu-1:mode=fast refused
EOL
specs=
while read -r name devname want; do
	reader_conf "$conf/$name" "$name" "$devname"
	case $want in
	refused) specs="$specs $name=absent" ;;
	any) ;;
	*) specs="$specs $name=$want" ;;
	esac
done < "$WORK/names"
# Two identical devices, two plain names: one reader each (the first free
# device for each name, in pcscd's directory order).
specs="$specs PlainA+PlainB=emu-7+emu-8"

cd "$top_srcdir/tests/integration/clients" || exit 1
# shellcheck disable=SC2086
lab main --allow-refused --conf "$conf" --usbsim "$USBSIM" -- "$PYTHON3" usb_names.py $specs > "$WORK/tap" 2>&1
rc=$?
log=$(lab_log main)

# grep_log DESCRIPTION FIXED-STRING: a line of pcscd's log holds it.
grep_log() {
	if grep -qF -- "$2" "$log"; then ok "$1"; else not_ok "$1"; diag "no line with: $2"; fi
}
{
	sed '/^1\.\./d' "$WORK/tap"
	tap_n=$(grep -cE '^(not )?ok ' "$WORK/tap")
	! grep -qE '^(not ok|Bail out)' "$WORK/tap" || tap_failed=1
	if [ "$rc" -eq 0 ]; then ok "the lab ended with status 0"; else not_ok "the lab ended with status $rc"; fi
	grep_log "If1: pcscd's log shows interface 1 of emu-6 opened" \
		"serial 'emu-6' interface 1, mode event"
	grep_log "If0: pcscd's log shows interface 0 of emu-5 opened" \
		"serial 'emu-5' interface 0, mode event"
	grep_log "Named: the driver calls the reader by its name= key" \
		"'\"usb:1209/0002:serial=emu-9:name=LabReader\"' open: LabReader, 1 slot(s), event mode"
	grep_log "WrongPid: the log says what was looked for and what was found" \
		"'usb:1209/0003': no USB device matches 1209/0003; found: 1209/0002 at bus 1 address 2; "
	grep_log "WrongPid: pcscd gave up that reader" "Open Port 0x0 Failed (usb:1209/0003)"
	grep_log "WrongSerial: the log lists the serials found" \
		"no USB device matches 1209/0002 serial emu-99; found: 1209/0002 at bus 1 address 2 serial 'emu-1'; 1209/0002 at bus 1 address 3 serial 'emu-2';"
	grep_log "NoAddr: the log names the absent address and lists the devices" \
		"no USB device matches 1209/0002 bus 1 address 42 interface 0; found: 1209/0002 at bus 1 address 2;"
	grep_log "NoIface: the log says interface 1 of that device is no CCID interface" \
		"interface 1 of 072F/221A is not a CCID interface (CCID interfaces: 0 (CCID)) (looked for 072F/221A bus 1 address 6 interface 1;"
	grep_log "BadHex: refused with a reason" \
		"DEVICENAME 'usb:12G9/0002' refused: '12G9/0002' is not VVVV/PPPP in hex (expected usb:VVVV/PPPP"
	grep_log "BadLibusb: refused with a reason" \
		"DEVICENAME 'usb:1209/0002:libusb-1.0:1:x' refused: libusb-1.0 name needs BUS:ADDR:IF, decimal"
	grep_log "BadKey: refused with a reason" \
		"DEVICENAME 'usb:1209/0002:bogus' refused: 'bogus' is not key=value"
	grep_log "BadMode: refused with a reason naming the key" \
		"'\"usb:1209/0002:serial=emu-1:mode=fast\"' refused: DEVICENAME key mode=fast: unknown key or bad value"
	echo "1..$tap_n"
}
finish
