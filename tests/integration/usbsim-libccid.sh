#!/bin/sh
# Debian's libccid (unmodified) on usbsim: emulated readers behind the
# libusb-1.0 API (libccidlab-usbsim.so preloaded into pcscd by
# `ccidlab lab --usbsim`).  Each profile's reader is listed, and the
# readertest cases 1-4 run at every short length, byte-exact, through
# libccid's CCID host (its TPDU T=0, TPDU T=1 and short APDU paths, with
# and without an interrupt pipe), plus sampled extended lengths.
#
# libccid only opens devices its Info.plist lists: the test copies its
# bundle and adds the built-in profiles' pid.codes test id 1209:0002
# (catalogue profiles carry real ids libccid already lists).
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"

# usbsim devices, in bus order: addresses 2, 3... on bus 1.
USBSIM="generic-apdu-irq:card=readertest,t0"
USBSIM="$USBSIM;generic-apdu-irq:card=readertest,t1"
USBSIM="$USBSIM;generic-t1-irq:card=readertest,t0"
USBSIM="$USBSIM;generic-t1-irq:card=readertest,t1"
USBSIM="$USBSIM;generic-short-poll:card=readertest,t1"
USBSIM="$USBSIM;ACR38U-CCID.txt:card=readertest,t0"
USBSIM="$USBSIM;generic-ext-multi:slots=1:card=readertest,t1"
USBSIM="$USBSIM;generic-ext-multi:card=none:card0=readertest,t1:card2=readertest,t0"
USBSIM="$USBSIM;generic-pinpad:card=readertest,t1"

conf="$WORK/conf"
mkdir -p "$conf"
ccid_conf 1 ApduT0 1209/0002 2
ccid_conf 2 ApduT1 1209/0002 3
ccid_conf 3 TpduT0 1209/0002 4
ccid_conf 4 TpduT1 1209/0002 5
ccid_conf 5 PollT1 1209/0002 6
ccid_conf 6 Acr38T0 072f/90cc 7
ccid_conf 7 ExtT1 1209/0002 8
ccid_conf 8 Multi 1209/0002 9
ccid_conf 9 PinPad 1209/0002 10

# libccid's known departures from ISO 7816-3 on TPDU T=0 readers (see
# doc/usbsim.md "Disagreements"): it sends a case-1 APDU as a 4-byte
# TPDU (no P3) and a case-4 APDU with its Le byte inside the TPDU; the
# emulated card refuses both with 67 00.  Those lines are TODO: an
# XPASS means libccid changed.
todo_t0='^(not )?ok [0-9]+ - (TpduT0|Acr38T0) [0-9]+ 00: (T=0, SELECT readertest and case 1|case4 at every short length)'
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	"$PYTHON3" readertest_sweep.py \
	ApduT0:T0 ApduT1:T1 TpduT0:T0 TpduT1:T1 PollT1:T1 Acr38T0:T0 ExtT1:T1:ext \
	Multi:T1:ext PinPad:T1 > "$WORK/tap" 2>&1
rc=$?
sed -E "/$todo_t0/s/\$/ # TODO libccid sends non-ISO T=0 TPDUs for cases 1 and 4/" "$WORK/tap"
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
