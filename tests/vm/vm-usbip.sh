#!/bin/sh
# ccidlab — `ccidlab usbip` through a real kernel: the host exports
# catalogue readers, the guest of `ccidlab vm` (no usb-ccid of QEMU's)
# attaches them with Debian's usbip into its vhci-hcd, and pcscd's libudev
# hotplug serves them with ccidlab's driver, then with libccid:
#   - each attached alone: listed, a PnP notification, the time from
#     `usbip attach` to the reader listed;
#   - readertest case 1, cases 3, 2, 4 byte-exact on each (T=0 and T=1
#     cards), per-APDU time and URBs per APDU (the server's counters);
#   - card removals and insertions on the host counted exactly by pcscd's
#     event counter (an event-mode and a polled reader);
#   - USB faults hitting a transmit, each bounded and recovered; the device
#     leaving the bus in a transmit and in a wait;
#   - detached one by one; then all attached at once and detached at once,
#     while pcscd runs: exact lists, PnP notified, nothing left.
# The quick set (4 readers, a few lengths) runs in make check;
# VM_USBIP=full (make check-vm-usbip) takes 20 readers, every length,
# every fault kind and 16 readers at once.  Lines about libccid's known
# departures are TODO lines (usbip_checks.py marks them).  The figures go to
# tests/vm/vm-usbip.results/figures (and the README).
. "$top_srcdir/tests/vm/lib.sh"
vm_need
. "$top_srcdir/tests/integration/usbip_lib.sh"
command -v usbip > /dev/null || { echo "1..0 # SKIP no usbip command (Debian package usbip)"; exit 0; }

# BUSID-order list: profile, card protocol, group.  Group q is the quick
# set; the full set is every line.
cat > "$WORK/readers" <<'EOL'
ACS_ACR1251_Dual_Reader.txt@1 1 q
ATMEL_AT91SO.txt@1 0 q
Aktiv_Rutoken_ECP.txt@1 1 q
SCM_SDI011.txt@1 1 q
ACR122U_PICC.txt@1 1 f
ACS_ACR1251_Dual_Reader.txt@2 1 f
ACS_ACR1281U.txt@1 1 f
Aktiv_Rutoken_PINPad_2.txt@1 1 f
Aladdin_R.D._JaCarta.txt@1 1 f
Athena_IDProtect_Key.txt@1 1 f
AvestUA_AvestKey.txt@1 1 f
Covadis_Auriga.txt@1 1 f
GemCoreSIMPro.txt@1 1 f
SpringCard_CSB6_Secure.txt@1 0 f
sysmocom_sysmoOCTSIM.txt@1 0 f
ACR38U-CCID.txt@1 0 f
ACS_ACR39U_ICC_Reader.txt@1 1 f
Cherry_KC_1000_SC.txt@1 1 f
GemPCTwin.txt@1 1 f
HID_Global_OMNIKEY_3x21_Smart_Card_Reader.txt@1 1 f
EOL
# VM_USBIP: quick (make check), full (make check-vm-usbip), bench (make
# bench: the quick set and ACR38U, every length, figures only).
mode=${VM_USBIP:-quick}
full=false
[ "$mode" = full ] && full=true
specs= busids= sweep= i=0
while read -r profile t group; do
	[ "$group" = q ] || $full || { [ "$mode" = bench ] && [ "$profile" = ACR38U-CCID.txt@1 ]; } ||
		continue
	i=$((i + 1))
	specs="$specs $profile:card=readertest,t$t"
	busids="$busids 1-$i"
	sweep="$sweep 1-$i:$t"
done < "$WORK/readers"
# shellcheck disable=SC2086
usbip_start --quiet $specs
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; vm_keep; rm -rf "$WORK"' EXIT
"$PYTHON3" "$top_srcdir/tests/vm/clients/host_agent.py" "$RESULTS" "$CCIDLAB" "$CTL" 3000 &
AGENT=$!
trap 'touch "$RESULTS/agent-stop"; kill $SERVER $AGENT 2>/dev/null; wait $SERVER 2>/dev/null;
	vm_keep; rm -rf "$WORK"' EXIT

if $full; then
	lengths=all faults="stall/bulk-in@1 stall/bulk-out@1 nak/bulk-in@1 nak/bulk-out@1 short/bulk-in:5@1 zlp/bulk-in@1 babble/bulk-in@1"
	edges=20
	# pcscd serves 16 readers: two groups of ten, then 16 at once.
	groups="$(echo $busids | cut -d' ' -f1-10)|$(echo $busids | cut -d' ' -f11-20)"
	burst=$(echo $busids | cut -d' ' -f1-16)
else
	lengths=quick faults="stall/bulk-in@1 short/bulk-in:5@1 nak/bulk-in@1" edges=10
	groups=$(echo $busids)
	burst=$(echo $busids)
	[ "$mode" = bench ] && lengths=all
fi
guest="$WORK/guest.sh"
cat > "$guest" <<EOG
#!/bin/sh
chk() { "\$PYTHON3" "\$top_srcdir/tests/vm/clients/usbip_checks.py" "\$drv" "$PORT" "\$@"; }
sweep_of() { for b in \$1; do echo "$sweep" | tr ' ' '\n' | grep "^\$b:"; done; }
# A fresh pcscd for each phase: one that a driver left stuck (libccid's
# multi-slot close) does not spoil the next.
pcscd() {
	"\$CCIDLAB" vm pcscd --drivers "\$drv" ||
		echo "not ok - \$drv: pcscd starts with the \$drv driver"
}
for drv in ccidlab libccid; do
	echo "$groups" | tr '|' '\n' | while read -r group; do
		pcscd
		chk attach \$group
		chk sweep $lengths \$(sweep_of "\$group")
		chk detach \$group
	done
	[ "$mode" = bench ] && continue
	# Events, faults and unplugs: 1-1 (interrupt pipe) and 1-3 (Rutoken
	# ECP: polled).
	pcscd
	chk attach 1-1 1-3
	chk edges $edges 1-1
	chk edges $edges 1-3
	chk faults 1-1 $faults
	chk unplug 1-1
	chk detach 1-1 1-3
	pcscd
	chk burst $burst
done
"\$CCIDLAB" vm pcscd --stop
EOG
vm_run "$WORK/out" --reader none --env UPORT="$PORT" --timeout 2700 -- sh "$guest"
vm_tap "$WORK/out"
[ "$VM_RC" -eq 0 ] || { echo "# ccidlab vm: status $VM_RC"; vm_diag "$WORK/out"; }
# The figures: per-APDU time and URBs per APDU for each driver, their
# ratio, attach-to-listed times, the faults' times.
mkdir -p "$top_builddir/tests/vm"
{
	case "${CCIDLAB_LAB_PRELOAD:-}" in
	*asan*) echo "NOTE: ccidlab's driver is this build's, with ASan and UBSan: its times are not a benchmark (make bench runs a plain build)" ;;
	esac
	CCIDLAB=$CCIDLAB "$PYTHON3" "$top_srcdir/tests/vm/clients/usbip_figures.py" "$WORK/out"
} > "$top_builddir/tests/vm/vm-usbip.figures" 2>&1
sed 's/^/# /' "$top_builddir/tests/vm/vm-usbip.figures"
"$CCIDLAB" list --socket "$CTL" | sed 's/^/# server: /'
exit 0
