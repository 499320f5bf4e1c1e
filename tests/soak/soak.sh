#!/bin/sh
# ccidlab — the soak (issue 20): tests/soak/soak.py inside a lab for
# SECONDS, resources sampled every INTERVAL; TAP on stdout, the samples in
# $SOAK_CSV (default tests/soak/soak.csv under the build tree).
#
#   soak.sh SECONDS INTERVAL
#
# The lab's pcscd runs ccidlab's driver (a bundle that lists 1209:0002
# for pcscd's USB hotplug) with usbsim's devices and udevsim, the
# libudev stand-in, whose events socket lets the soak unplug and replug a
# device as udev would report it.  Under --enable-sanitizers pcscd runs
# with ASan: its quarantine is 16 MiB (the default 256 MiB would hold
# freed memory resident for the first hour and look like growth), and its
# allocator hands freed pages back to the kernel every 5 s (by default it
# never does, so VmRSS would be the high-water mark of every size class,
# which creeps up as the mix of allocations shifts: a soak of 91 min saw
# +14 MB an hour that way with fds and threads flat).
. "$top_srcdir/tests/integration/lib.sh"
seconds=${1:-300} interval=${2:-10}
csv=${SOAK_CSV:-$top_builddir/tests/soak/soak.csv}
mkdir -p "$(dirname "$csv")"
UDEVSIM_LIB="$top_builddir/tests/lab/.libs/libudevsim.so"
if [ ! -f "$UDEVSIM_LIB" ]; then
	echo "1..0 # SKIP the libudev stand-in is not built ($UDEVSIM_LIB)"
	exit 0
fi
mkdir -p "$WORK/b" "$WORK/conf"
cp -r "$top_builddir/bundle/ifd-ccidlab.bundle" "$WORK/b/"
"$top_builddir/src/cli/ccidlab-usb-ids" -q --catalogue "$top_srcdir/tests/data/readers.tsv" \
	-b "$WORK/b/ifd-ccidlab.bundle" 1209:0002 || exit 1
reader_conf "$WORK/conf/emu" Emu "emu:generic-t1-irq:slots=2:name=Emu:card=readertest@t1"
USBSIM="generic-apdu-irq:name=Hot0:card=readertest,t1"
USBSIM="$USBSIM;generic-ext-multi:name=Hot1:card=readertest,t1"
USBSIM="$USBSIM;generic-apdu-irq:name=Stable2:card=readertest,t1"
USBSIM="$USBSIM;generic-short-poll:name=Poll3:card=readertest,t1"
CCIDLAB_UDEVSIM='1209/0002;1209/0002;1209/0002;1209/0002'
CCIDLAB_UDEVSIM_EVENTS="$WORK/udev.sock"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:allocator_release_to_os_interval_ms=5000"
PYTHONPATH="$top_srcdir/tests/integration/clients${PYTHONPATH:+:$PYTHONPATH}"
export CCIDLAB_UDEVSIM CCIDLAB_UDEVSIM_EVENTS ASAN_OPTIONS PYTHONPATH
"$CCIDLAB" lab --quiet --driver "$WORK/b/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so" \
	--keep-log "$(lab_log soak)" --conf "$WORK/conf" \
	--preload "${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$UDEVSIM_LIB" \
	--usbsim "$USBSIM" -- "$PYTHON3" "$top_srcdir/tests/soak/soak.py" "$seconds" \
	"$interval" "$csv" > "$WORK/tap" 2>&1
rc=$?
echo "# samples: $csv; pcscd log: $(lab_log soak)"
tap_finish "$WORK/tap" $rc
finish
