#!/bin/sh
# `ccidlab usbip` seen by Debian's usbip tools (package usbip, no kernel
# module needed): `usbip list -r` speaks OP_REQ_DEVLIST and must list
# every exported reader with its bus id, VID:PID and interface classes
# (catalogue profiles of several vendors, a vendor-class reader, a second
# CCID interface, a composite device, one with two CCID interfaces); readers added and removed live,
# and unplugged ones, show in the next listing; `usbip attach` speaks
# OP_REQ_IMPORT: it takes our reply and only then needs vhci-hcd, and it
# names the refusals (no such device, busy).
. "$top_srcdir/tests/integration/lib.sh"
command -v usbip > /dev/null || { echo "1..0 # SKIP no usbip command (Debian package usbip)"; exit 0; }
. "$top_srcdir/tests/integration/usbip_lib.sh"
usbip_start \
	ACR38U-CCID.txt CherrySmartTerminalST2XXX.txt ACS_ACR1252_Dual_Reader.txt@2 \
	CardMan3821.txt Aktiv_Rutoken_ECP.txt generic-apdu-irq:composite=hid \
	generic-apdu-irq:composite=ccid
plan 15
ctl() { "$CCIDLAB" "$@" --socket "$CTL"; }
list() { usbip --tcp-port "$PORT" list -r 127.0.0.1 2> "$WORK/list.err"; }

# One device of the listing: "BUSID VID:PID CLASS CLASS..." (its
# interfaces' class/subclass/protocol as usbip prints them).
devices() {
	list | awk '
		/^ +[0-9]+-[0-9]+: / { if (id) print id, vp, ifs; id = $1; sub(":", "", id);
			vp = $NF; gsub(/[()]/, "", vp); ifs = "" }
		/^ +: +[0-9]+ - / { c = $NF; gsub(/[()]/, "", c); ifs = ifs " " c }
		END { if (id) print id, vp, ifs }'
}
devices > "$WORK/devs"
diag "$(cat "$WORK/devs")"
want() { grep -qx "$1" "$WORK/devs"; }
check "usbip list -r: 1-1 ACR38U 072f:90cc, CCID interface 0b/00/00" want "1-1 072f:90cc  0b/00/00"
check "usbip list -r: 1-2 Cherry ST-2xxx 046a:003e, vendor class ff/00/00" \
	want "1-2 046a:003e  ff/00/00"
check "usbip list -r: 1-3 ACR1252 second interface 072f:223b" want "1-3 072f:223b  0b/00/00"
check "usbip list -r: 1-4 CardMan 3821 076b:3821" want "1-4 076b:3821  0b/00/00"
check "usbip list -r: 1-5 Rutoken ECP 0a89:0030 (no interrupt pipe)" want "1-5 0a89:0030  0b/00/00"
check "usbip list -r: 1-6 composite=hid, HID 03/00/00 then CCID 0b/00/00" \
	want "1-6 1209:0002  03/00/00 0b/00/00"
check "usbip list -r: 1-7 composite=ccid, two CCID interfaces 0b/00/00" \
	want "1-7 1209:0002  0b/00/00 0b/00/00"
check "exactly seven devices" test "$(wc -l < "$WORK/devs")" -eq 7

ctl usbip add Gem_e-SealPro.txt > "$WORK/add.out"
check "ccidlab usbip add: 1-8" grep -q "^1-8 " "$WORK/add.out"
devices > "$WORK/devs"
check "the next listing has 1-8 08e6:2202, vendor class ff/5c/00" want "1-8 08e6:2202  ff/5c/00"
ctl usbip remove 1-8 > /dev/null
ctl fault set 1-3 device-gone > /dev/null
devices > "$WORK/devs"
check "removed (1-8) and unplugged (1-3) readers are not listed" \
	test "$(cut -d' ' -f1 "$WORK/devs" | tr '\n' ' ')" = "1-1 1-2 1-4 1-5 1-6 1-7 "
ctl fault clear 1-3 > /dev/null
check "plugged back, 1-3 is listed again" sh -c "usbip --tcp-port $PORT list -r 127.0.0.1 2>/dev/null | grep -q ' 1-3: '"

usbip --tcp-port "$PORT" attach -r 127.0.0.1 -b 7-7 > "$WORK/attach.out" 2>&1
check "usbip attach of an unknown bus id: \"Device not found\"" grep -q "Device not found" "$WORK/attach.out"
# A client of ours holds 1-2: usbip attach is told it is busy.
cd "$top_srcdir/tests/integration/clients"
"${PYTHON3:-python3}" -c "
import sys, time, usbip_client
u = usbip_client.Usbip('127.0.0.1', $PORT)
assert u.import_('1-2')[0] == 0
print('held', flush=True)
sys.stdin.read()
" > "$WORK/hold.out" < /dev/zero &
HOLDER=$!
wait_for grep -q held "$WORK/hold.out"
usbip --tcp-port "$PORT" attach -r 127.0.0.1 -b 1-2 > "$WORK/attach.out" 2>&1
kill $HOLDER
check "usbip attach of an imported device: \"Device busy\"" grep -q "Device busy" "$WORK/attach.out"
diag "$(cat "$WORK/attach.out")"
# Without vhci-hcd, usbip attach fails after our OP_REP_IMPORT, at the
# kernel side; with it, it would attach for real (not here: this test
# must leave the host as it was).
if [ -d /sys/bus/platform/drivers/vhci_hcd ]; then
	skip "usbip attach 1-1 takes our import reply (vhci-hcd is loaded here: not attaching)"
else
	usbip --tcp-port "$PORT" attach -r 127.0.0.1 -b 1-1 > "$WORK/attach.out" 2>&1
	check "usbip attach 1-1 takes our import reply, then needs vhci-hcd (\"open vhci_driver\")" \
		sh -c "grep -q 'open vhci_driver' '$WORK/attach.out' && ! grep -q 'import\|recv' '$WORK/attach.out'"
fi
diag "$(cat "$WORK/attach.out")"
finish
