#!/bin/sh
# A multi-slot USB reader whose descriptor allows two busy slots
# (bMaxCCIDBusySlots 2: the built-in generic-ext-multi, 4 slots) under
# ccidlab's driver through pcscd: the driver tells pcscd its slots are
# thread-safe (TAG_IFD_SLOT_THREAD_SAFE), pcscd lets four clients transmit
# to the four slots at once, the host engine keeps two commands in flight
# and hands each answer to its slot by bSlot and bSeq.  Every answer must
# be byte-exact to its own slot, and the driver's counters (`ccidlab list`
# on its control socket) must show two commands in flight at once and
# answers read by one slot's thread for another.
. "$top_srcdir/tests/integration/lib.sh"

conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/multi" "Multi" "usb:1209/0002:libusb-1.0:1:2:0"
USBSIM="generic-ext-multi:card=readertest,t1"
cd "$top_srcdir/tests/integration/clients" || exit 1
lab busy2 --conf "$conf" --usbsim "$USBSIM" -- sh -c '"$1" multislot.py Multi 4 12 &&
	"$2" list --socket "$CCIDLAB_DRIVER_SOCKET" > "$3"' sh "$PYTHON3" "$CCIDLAB" "$WORK/list" \
	> "$WORK/tap" 2>&1
rc=$?
sed '/^1\.\./d' "$WORK/tap"
n=$(grep -c '^\(not \)\?ok' "$WORK/tap")
# The driver's own counters (ccidlab list on its socket).
stats=$(grep ' commands, ' "$WORK/list")
echo "# driver statistics: $stats"
t() { n=$((n + 1)); if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi; }
desc="the clients and the lab ended well"
t test "$rc" -eq 0
desc="two commands were in flight at once on the reader"
t sh -c "echo '$stats' | grep -q 'at most 2 in flight'"
desc="answers were read by one slot's thread and handed to another"
t sh -c "echo '$stats' | grep -Eq ' [1-9][0-9]* handed over'"
desc="no answer was dropped as stale, no timeout"
t sh -c "echo '$stats' | grep -q ' 0 stale dropped, 0 timeouts'"
echo "1..$n"
exit 0
