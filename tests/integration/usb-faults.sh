#!/bin/sh
# Every emulator fault kind (src/emu/fault.c) on usbsim readers driven by
# ccidlab's driver through Debian's pcscd: each bounded in time, pcscd
# alive, the reader working again after `ccidlab fault clear`
# (tests/integration/clients/usb_faults.py has the table of kinds,
# operations and bounds).  Profiles: generic-apdu-irq (short APDU level)
# and generic-t1-irq (TPDU T=1: the T=1 engine's error recovery), each
# with a T=1 card, event mode.  The same client then runs on the same
# profiles under Debian's libccid, for comparison only: its lines become
# comments ("# libccid: ..."); the "# TABLE" lines of both are the
# comparison.
. "$top_srcdir/tests/integration/lib.sh"
export CCIDLAB
USBSIM="generic-apdu-irq:name=Apdu:card=readertest,t1;generic-t1-irq:name=TpduT1:card=readertest,t1"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/Apdu" Apdu "usb:1209/0002:libusb-1.0:1:2:0"
reader_conf "$conf/TpduT1" TpduT1 "usb:1209/0002:libusb-1.0:1:3:0"
# A transport timeout (no bulk-IN answer at all) on a TPDU T=1 reader
# ends the APDU after one read timeout: the host engine reports it to the
# T=1 engine as a transport failure, not a lost block (which cost 7 reads
# of 5 s, 35 s, before), and the link resynchronises on the next APDU.
clients="$top_srcdir/tests/integration/clients"
cd "$clients" || exit 1
lab ccidlab --conf "$conf" --usbsim "$USBSIM" -- \
	"$PYTHON3" usb_faults.py ccidlab Apdu TpduT1 > "$WORK/tap" 2>&1
rc=$?
cat "$WORK/tap"
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log ccidlab)"

# libccid on the same devices, when installed: comments only.
if [ -f "$CCID_LIB" ] && libccid_bundle "$WORK"; then
	for r in Apdu TpduT1; do
		sed "s|^LIBPATH .*|LIBPATH      $CCID_LIB|" "$conf/$r" > "$WORK/libccid.$r"
		mkdir -p "$WORK/lconf" && mv "$WORK/libccid.$r" "$WORK/lconf/$r"
	done
	lab libccid --conf "$WORK/lconf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
		"$PYTHON3" usb_faults.py libccid Apdu TpduT1 2>&1 |
		sed -E -e '/^1\.\./d' -e 's/^(not ok|ok) [0-9]+ - /# libccid: \1: /' \
			-e 's/^Bail out! /# libccid: bailed out: /'
else
	echo "# libccid comparison skipped: Debian's libccid is not installed ($CCID_LIB)"
fi
exit 0
