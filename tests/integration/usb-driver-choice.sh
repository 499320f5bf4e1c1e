#!/bin/sh
# ccidlab — which driver pcscd 1.9.9's USB hotplug starts for a reader
# when both ccidlab and libccid are installed, and how ccidlab usb-ids
# changes it.  CI has no USB bus: tests/lab/udevsim.c (preloaded into the
# lab's pcscd) stands in for libudev and lists pretend devices, so pcscd's
# own matching code runs on the real bundles; usbsim serves the first one
# (1209:0002 at /dev/bus/usb/001/002) so that a driver can open it.
#
# What pcscd 1.9.9 does (hotplug_libudev.c, read and observed here):
# every bundle's VID:PID entries go into one table in readdir order of the
# drop dir; a device gets the LAST entry that matches among bundles whose
# CFBundleName is not CCIDCLASSDRIVER, and a CCIDCLASSDRIVER bundle (Debian's
# libccid) only when no other bundle lists it, or when the other driver
# fails to start the reader.  Nothing is logged about the overlap.
. "$top_srcdir/tests/integration/lib.sh"

NCHECKS=21
UDEVSIM_LIB="$top_builddir/tests/lab/.libs/libudevsim.so"
IDS="$top_builddir/src/cli/ccidlab-usb-ids"
TSV="$top_srcdir/tests/data/readers.tsv"
STAGED="$top_builddir/bundle/ifd-ccidlab.bundle"
need_libccid
if [ ! -f "$UDEVSIM_LIB" ]; then
	echo "1..0 # SKIP the libudev stand-in is not built ($UDEVSIM_LIB)"
	exit 0
fi
plan $NCHECKS

# libccid's bundle with 1209:0002 added, as the usbsim tests use it.
libccid_bundle "$WORK/lc" || exit 1
LIBCCID_BUNDLE="$WORK/lc/ifd-ccid.bundle"

# Pretend devices, in bus order (addresses 2, 3, ...): the usbsim reader,
# a reader both bundles list, one neither lists, and a last one whose
# lookup says the scan is over.
UDEV='1209/0002;072f/90cc;abcd/1234;ffff/fffe'
USBSIM='generic-apdu-irq:card=readertest,t1'

# ccidlab_bundle DIR WORDS...: a copy of the staged bundle with that selection.
ccidlab_bundle() {
	dir=$1; shift
	mkdir -p "$dir"
	cp -r "$STAGED" "$dir/"
	"$IDS" -q -c "$TSV" -b "$dir/ifd-ccidlab.bundle" "$@"
}

# run_lab NAME BUNDLE_DIR [lab options]: a lab whose pcscd sees UDEV, once
# pcscd has looked at every device; leaves the PC/SC reader names in
# $WORK/NAME.readers and the drop dir's readdir order in $WORK/NAME.order.
run_lab() {
	name=$1; bdir=$2; shift 2
	CCIDLAB_UDEVSIM=$UDEV "$CCIDLAB" lab --quiet \
		--driver "$bdir/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so" \
		--keep-log "$(lab_log "$name")" \
		--preload "${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$UDEVSIM_LIB" \
		--usbsim "$USBSIM" "$@" -- sh -c '
		i=0
		until grep -q "VID: 0xFFFF, PID: 0xFFFE" "$CCIDLAB_PCSCD_LOG"; do
			i=$((i + 1)); [ $i -lt 300 ] || exit 1; sleep 0.1
		done
		ls -U "$CCIDLAB_LAB_DIR/drivers" > "$1.order"
		"$2" -c "from smartcard.System import readers
for r in readers(): print(r)" > "$1.readers"' sh "$WORK/$name" "$PYTHON3"
}

# attempts NAME VVVV PPPP: the drivers pcscd started for that device, in
# order (library file names).
attempts() {
	awk -v key="VID: 0x$2, PID: 0x$3," '
	/get_driver\(\) Looking for a driver/ { on = index($0, key) > 0; next }
	on && /Attempting startup of .* using / { n = split($NF, p, "/"); printf "%s%s", sep, p[n]; sep = " " }
	END { print "" }' "$(lab_log "$1")"
}
is() { # is NAME VVVV PPPP EXPECTED...: attempts equal one of EXPECTED
	got=$(attempts "$1" "$2" "$3"); shift 3
	for want in "$@"; do [ "$got" = "$want" ] && return 0; done
	diag "pcscd started: '$got'; expected one of: $*"
	return 1
}
# later NAME A B: bundle A comes after bundle B in the drop dir's readdir order.
later() {
	a=$(grep -n "^$2\$" "$WORK/$1.order" | cut -d: -f1)
	b=$(grep -n "^$3\$" "$WORK/$1.order" | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt "$b" ]
}

# 1-5: ccidlab lists every catalogue reader (the default build).
ccidlab_bundle "$WORK/all" all
run_lab all "$WORK/all" --bundle "$LIBCCID_BUNDLE" || diag "lab 'all' failed"
check "all: pcscd starts ccidlab first for 1209:0002 (listed by both bundles)" \
	is all 1209 0002 "libccidlab.so" "libccidlab.so libccid.so"
check "all: and for 072F:90CC, though libccid lists it too" \
	is all 072F 90CC "libccidlab.so" "libccidlab.so libccid.so"
if grep -q 'Failed adding USB device: ccidlab emulated CCID reader' "$(lab_log all)"; then
	check "all: ccidlab failed to open it, so pcscd fell back to libccid (class driver)" \
		is all 1209 0002 "libccidlab.so libccid.so"
else
	check "all: ccidlab opened 1209:0002; libccid was not tried" is all 1209 0002 "libccidlab.so"
fi
check "all: the reader carries ccidlab's name for it, whoever opened it" \
	grep -q '^ccidlab emulated CCID reader 00 00$' "$WORK/all.readers"
check "all: a device no bundle lists gets no driver" is all ABCD 1234 ""

# 6-8: the user hands two readers to libccid.
ccidlab_bundle "$WORK/some" all -1209:0002 -072F:90CC
run_lab some "$WORK/some" --bundle "$LIBCCID_BUNDLE" || diag "lab 'some' failed"
check "all -1209:0002 -072F:90CC: libccid alone for 1209:0002" is some 1209 0002 "libccid.so"
check "all -1209:0002 -072F:90CC: libccid alone for 072F:90CC" is some 072F 90CC "libccid.so"
check "all -1209:0002 -072F:90CC: libccid's reader, under libccid's name" \
	grep -q '^ccidlab usbsim 00 00$' "$WORK/some.readers"

# 9-10: none: ccidlab is installed but never picked by hotplug.
ccidlab_bundle "$WORK/none" none
run_lab none "$WORK/none" --bundle "$LIBCCID_BUNDLE" || diag "lab 'none' failed"
check "none: pcscd never starts ccidlab for a USB device" \
	sh -c "! grep -q 'Attempting startup of .* using .*libccidlab.so' '$(lab_log none)'"
check "none: libccid serves 1209:0002" \
	sh -c "grep -q '^ccidlab usbsim 00 00\$' '$WORK/none.readers' && [ '$(attempts none 1209 0002)' = libccid.so ]"

# 11-13: a malformed list (one product id missing): what pcscd does, and
# that the build's check catches it.
ccidlab_bundle "$WORK/bad" all
sed -i -e '0,/<string>0x0002<\/string>/{/<string>0x0002<\/string>/d}' \
	"$WORK/bad/ifd-ccidlab.bundle/Contents/Info.plist"
run_lab bad "$WORK/bad" --bundle "$LIBCCID_BUNDLE" || diag "lab 'bad' failed"
check "unequal arrays: pcscd logs 'Error parsing' for ccidlab's Info.plist" \
	grep -q 'Error parsing .*/ifd-ccidlab.bundle/Contents/Info.plist' "$(lab_log bad)"
if later bad ifd-ccidlab.bundle ifd-ccid.bundle; then
	check "unequal arrays: bundles read before it (libccid here) still match" \
		is bad 072F 90CC "libccid.so"
else
	check "unequal arrays: bundles read after it (libccid here) are dropped" \
		is bad 072F 90CC ""
fi
check "unequal arrays: check-plist.py refuses that file" \
	sh -c "! $PYTHON3 '$top_srcdir/tests/check-plist.py' '$WORK/bad/ifd-ccidlab.bundle/Contents/Info.plist' >/dev/null"

# 14-15: two bundles neither of which is a class driver: the last match in
# readdir order wins, silently.
mkdir -p "$WORK/spec"
cp -r "$LIBCCID_BUNDLE" "$WORK/spec/"
sed -i -e 's|<string>CCIDCLASSDRIVER</string>|<string>ccid-specific</string>|' \
	"$WORK/spec/ifd-ccid.bundle/Contents/Info.plist"
run_lab spec "$WORK/all" --bundle "$WORK/spec/ifd-ccid.bundle" || diag "lab 'spec' failed"
if later spec ifd-ccid.bundle ifd-ccidlab.bundle; then winner=libccid.so; else winner=libccidlab.so; fi
diag "drop dir readdir order: $(tr '\n' ' ' < "$WORK/spec.order")"
check "two specific bundles: the one read last ($winner) gets 072F:90CC" \
	test "$(attempts spec 072F 90CC | cut -d' ' -f1)" = "$winner"
check "two specific bundles: pcscd logs nothing between the lookup and its choice" \
	sh -c "grep -A1 'Looking for a driver for VID: 0x072F' '$(lab_log spec)' | tail -1 | grep -q 'Adding USB device'"

# 16-17: a reader.conf.d entry naming libccid does not take the device out
# of hotplug: pcscd starts it from the entry and again from hotplug.
mkdir -p "$WORK/conf"
cat > "$WORK/conf/pinned" <<EOC
FRIENDLYNAME "Pinned"
DEVICENAME   usb:1209/0002:libusb-1.0:1:2:0
LIBPATH      /usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Linux/libccid.so
EOC
run_lab pin "$WORK/all" --bundle "$LIBCCID_BUNDLE" --conf "$WORK/conf" || diag "lab 'pin' failed"
check "reader.conf.d: pcscd starts the entry with its LIBPATH (libccid)" \
	grep -q 'Attempting startup of Pinned 00 00 using .*/libccid.so' "$(lab_log pin)"
check "reader.conf.d: hotplug still gives the same device to ccidlab" \
	is pin 1209 0002 "libccidlab.so" "libccidlab.so libccid.so"
# 18-21: one unit handed to libccid by its serial number (ccidlab.conf(5)
# driver=other): ccidlab refuses it before any command and releases the
# interface, pcscd falls back to the class driver, which opens it.  The
# same id without that group stays with ccidlab (checks 1-3).
cat > "$WORK/handoff.conf" <<EOC
[usb serial=emu-1]
driver=other
EOC
CCIDLAB_CONF="$WORK/handoff.conf" run_lab handoff "$WORK/all" --bundle "$LIBCCID_BUNDLE" ||
	diag "lab 'handoff' failed"
check "driver=other: ccidlab says it leaves serial emu-1 to another driver" \
	grep -q "1209/0002 serial 'emu-1' left to another driver (driver=other, from \\[usb serial=emu-1\\])" \
	"$(lab_log handoff)"
check "driver=other: pcscd tried ccidlab, then started libccid on that device" \
	is handoff 1209 0002 "libccidlab.so libccid.so"
check "driver=other: libccid's reader is listed" \
	grep -q '^ccidlab emulated CCID reader 00 00$' "$WORK/handoff.readers"
check "driver=other: libccid claimed the interface ccidlab released (no LIBUSB_ERROR_BUSY)" \
	sh -c "! grep -q 'LIBUSB_ERROR_BUSY' '$(lab_log handoff)'"
finish
