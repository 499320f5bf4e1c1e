#!/bin/sh
# A USB reader that floods its interrupt pipe (issue 20): an 8-slot usbsim
# device under ccidlab's driver in Debian's pcscd answers every interrupt
# transfer with a NotifySlotChange that sets all 8 changed bits while
# nothing moves (the shim's notify/interrupt fault).  The driver used to
# queue two reports per slot per message, without bound; now each slot
# holds at most three.  After a warm-up of 10,000 messages (the driver's
# edge log ring fills with observed edges: a fixed 6 MB), 100,000 more
# must leave pcscd's resident set within 1 MiB.  ASan's quarantine would
# keep freed memory resident by design: it is off for this pcscd.
. "$top_srcdir/tests/integration/lib.sh"

conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/flood" "Flood" "usb:1209/0002:libusb-1.0:1:2:0"
USBSIM="generic-apdu-irq:slots=8:name=Flood:card=readertest,t1"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
export ASAN_OPTIONS
cd "$top_srcdir/tests/integration/clients" || exit 1
lab flood --conf "$conf" --usbsim "$USBSIM" -- \
	"$PYTHON3" usb_flood.py Flood "${FLOOD_WARMUP:-10000}" "${FLOOD_MESSAGES:-100000}" \
	> "$WORK/tap" 2>&1
tap_finish "$WORK/tap" $?
finish
