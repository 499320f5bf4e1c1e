#!/bin/sh
# A USB device whose strings carry control bytes (issue 20): an escape
# sequence in iProduct, a newline that would forge a line of pcscd's log,
# a BEL and a backslash in iSerialNumber (usbsim's product= and serial=).
# The driver shows them escaped (\xNN, \\) wherever they go: its open
# line in pcscd's log, the reader name it makes, `ccidlab list` (text and
# JSON) on its control socket.  No raw control byte reaches any of them.
. "$top_srcdir/tests/integration/lib.sh"
plan 6
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/evil" "Evil" "usb:1209/0002:libusb-1.0:1:2:0"
USBSIM='generic-apdu-irq:name=Evil:product=Evil%1B%5B31mRed%0Aforged%20line:serial=S%07%5C1'
lab evil --conf "$conf" --usbsim "$USBSIM" -- sh -c \
	'"$1" list --socket "$CCIDLAB_DRIVER_SOCKET" > "$2.txt" && "$1" list --json --socket "$CCIDLAB_DRIVER_SOCKET" > "$2.json"' \
	sh "$CCIDLAB" "$WORK/list"
rc=$?
log=$(lab_log evil)
check "the lab ran (status $rc)" test "$rc" -eq 0
check "pcscd's log: the open line shows the strings escaped" \
	grep -qF "'Evil\\x1B[31mRed\\x0Aforged line' serial 'S\\x07\\\\1'" "$log"
# shellcheck disable=SC2016
no_raw() { ! LC_ALL=C grep -q "$(printf '[\033\007]')" "$1"; }
check "pcscd's log holds no raw ESC or BEL" no_raw "$log"
check "ccidlab list: the reader's name, escaped" grep -qF 'Evil\x1B[31mRed\x0Aforged line#' "$WORK/list.txt"
check "ccidlab list holds no raw ESC or BEL" no_raw "$WORK/list.txt"
check "ccidlab list --json: the serial, escaped" grep -qF 'S\\x07\\\\1' "$WORK/list.json"
[ "$tap_failed" -eq 0 ] || { diag "list:"; cat -v "$WORK/list.txt" | sed 's/^/# /'; }
finish
