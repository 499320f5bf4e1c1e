#!/bin/sh
# PINs in the traces of real readers (issue 20): the trace stream of the
# control socket and pcscd's log (log=7: every frame) carried a PC/SC
# client's VERIFY and a PIN pad's PC_to_RDR_Secure in clear.  Now the PIN
# bytes are left out (ccid/pinmask.h) at every exchange level, unless
# ccidlab.conf or the DEVICENAME says pin-trace=show.  usbsim devices
# under ccidlab's driver in Debian's pcscd: an APDU-level reader, a T=1
# TPDU reader, a PIN pad, and an APDU-level reader with pin-trace=show.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/a" ApduR "usb:1209/0002:serial=emu-1:log=7"
reader_conf "$conf/b" T1R "usb:1209/0002:libusb-1.0:1:3:0"
reader_conf "$conf/c" PadR "usb:1209/0002:libusb-1.0:1:4:0"
reader_conf "$conf/d" ShowR "usb:1209/0002:serial=emu-4:pin-trace=show"
USBSIM="generic-apdu-irq:name=ApduR:card=readertest,t1;generic-t1-irq:name=T1R:card=readertest,t1"
USBSIM="$USBSIM;generic-pinpad:name=PadR:card=readertest,t1;generic-apdu-irq:name=ShowR:card=readertest,t1"
cd "$top_srcdir/tests/integration/clients" || exit 1
lab pin --conf "$conf" --usbsim "$USBSIM" -- \
	"$PYTHON3" usb_pin_trace.py ApduR T1R PadR -- ShowR > "$WORK/tap" 2>&1
rc=$?
sed '/^1\.\./d' "$WORK/tap"
n=$(grep -c '^\(not \)\?ok' "$WORK/tap")
t() { n=$((n + 1)); if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi; }
desc="the lab ended well ($rc)"
t test "$rc" -eq 0
echo "1..$n"
finish
