#!/bin/sh
# ccidlab demo: a private pcscd with ccidlab's driver (make demo).
# It grows with the features: emulated readers in event and polling-only
# mode, an event storm and a latency report come with the emulator, the
# control plane and the event checker.
set -u
builddir=$1 srcdir=$2
ccidlab="$builddir/src/tools/ccidlab"
driver="$builddir/bundle/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so"
work=$(mktemp -d "${TMPDIR:-/tmp}/ccidlab-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat > "$work/readers" <<EOC
# The demo's readers: one per mode, and one malformed entry.
FRIENDLYNAME "ccidlab event reader"
DEVICENAME   emu:generic-apdu-irq
LIBPATH      /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so

FRIENDLYNAME "ccidlab polling reader"
DEVICENAME   emu:generic-short-poll:mode=poll
LIBPATH      /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so

FRIENDLYNAME "a typo"
DEVICENAME   emu:generic:slots
LIBPATH      /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so
EOC

echo "== ccidlab demo"
echo "A private pcscd in its own mount namespace loads the ccidlab driver from"
echo "this reader.conf.d file:"
sed 's/^/    /' "$work/readers"
echo
echo "== pcsc_scan -r against the private pcscd"
"$ccidlab" lab --conf "$work/readers" --driver "$driver" --keep-log "$work/pcscd.log" -- pcsc_scan -r
rc=$?
echo
echo "== what pcscd's log says about the driver"
grep -E 'Loading IFD Handler|ccidlab:|init failed' "$work/pcscd.log" | sed 's/^[0-9]* /    /'
echo
echo "This build refuses every reader, each with its reason in pcscd's log."
echo "Still to come in the demo: emulated readers in event and polling-only"
echo "mode, an insert/remove storm, and the latency report of ccidlab's event checker."
if pgrep -x pcscd > /dev/null; then
	echo "(a pcscd is running on this machine: it is not the demo's, which has stopped)"
fi
exit $rc
