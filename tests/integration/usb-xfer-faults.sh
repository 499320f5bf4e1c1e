#!/bin/sh
# USB transfer faults (doc/usbsim.md "USB transfer faults") under
# ccidlab's own driver (src/usb + src/host) in Debian's pcscd: the same
# client as usbsim-libccid-faults.sh, every kind on each pipe it applies
# to, set live during an APDU exchange, during the driver's interrupt
# wait (event mode), during a polling-only reader's presence polls, and
# from the start (the driver's open meets it).  Each case asserts that
# the PC/SC call returns within 8 s (a NAK costs one 5 s read timeout),
# that pcscd stays up and, where libccid desyncs, that the next APDU gets
# its own answer with no reconnect: ccidlab checks bSeq and drops stale
# answers, clears halts, and reads past a zero-length packet.  A
# disconnect fails every slot of the device at once and leaves the other
# readers alone.  The table at the end is doc/usbsim.md's "ccidlab's
# driver under the same faults".
. "$top_srcdir/tests/integration/lib.sh"

# One lab per list (pcscd serves 16 reader slots).  Fields: NAME PROFILE
# KEYS FAULT WHEN EXPECT [OTHER+OTHER...]; KEYS: more usbsim keys (`-`: none; a
# mode=poll there goes into the DEVICENAME instead); FAULT `-`: a
# reader without a case (a bystander).  Devices get bus 1, addresses 2,
# 3... and serials emu-1, emu-2... in list order.
cat > "$WORK/bulk" <<'EOL'
Nak generic-apdu-irq - nak/bulk-in@1 transmit at-once
NakOut generic-apdu-irq - nak/bulk-out@1 transmit at-once
StallIn generic-apdu-irq - stall/bulk-in@1 transmit at-once
StallOut generic-apdu-irq - stall/bulk-out@1 transmit at-once
Halt generic-apdu-irq - stall/bulk-in transmit-twice answers
HaltOut generic-apdu-irq - stall/bulk-out transmit-twice answers
Short generic-apdu-irq - short/bulk-in:5@1 transmit at-once
ShortData generic-apdu-irq - short/bulk-in:11@1 transmit at-once
Zlp generic-apdu-irq - zlp/bulk-in@1 transmit answers
Babble generic-apdu-irq - babble/bulk-in@1 transmit at-once
T1Nak generic-t1-irq - nak/bulk-in@1 transmit answers
T1Stall generic-t1-irq - stall/bulk-in@1 transmit at-once
T1Short generic-t1-irq - short/bulk-in:12@1 transmit at-once
T1Zlp generic-t1-irq - zlp/bulk-in@1 transmit answers
T1Babble generic-t1-irq - babble/bulk-in@1 transmit answers
EOL
cat > "$WORK/irq" <<'EOL'
IrqStall generic-apdu-irq - stall/interrupt@1 idle edge
IrqHalt generic-apdu-irq - stall/interrupt idle edge
IrqNak generic-apdu-irq - nak/interrupt@1 idle edge
IrqShort generic-apdu-irq - short/interrupt:1@1 idle edge
IrqZlp generic-apdu-irq - zlp/interrupt@1 idle edge
IrqBabble generic-apdu-irq - babble/interrupt@1 idle edge
CtlStall generic-apdu-irq - stall/control transmit answers
CtlNak generic-apdu-irq - nak/control transmit answers
CtlOpen generic-apdu-irq fault=stall/control stall/control open answers
CtlNakOpen generic-apdu-irq fault=nak/control@2 nak/control@2 open answers
GoneXfr generic-apdu-irq slots=2 disconnect/bulk-in:100 transmit removed 1+Bystander
GoneOut generic-apdu-irq - disconnect/bulk-out:100 transmit removed Bystander
GoneIrq generic-apdu-irq - disconnect/interrupt:100 idle removed Bystander
Bystander generic-apdu-irq - - - -
EOL
cat > "$WORK/poll" <<'EOL'
PollNak generic-short-poll - nak/bulk-in@1 transmit either
PollStall generic-short-poll - stall/bulk-in@1 transmit either
PollHalt generic-short-poll - stall/bulk-in transmit-twice either
PollShort generic-short-poll - short/bulk-in:5@1 transmit either
PollZlp generic-short-poll - zlp/bulk-in@1 transmit answers
PollBabble generic-short-poll - babble/bulk-in@1 transmit either
PollGone generic-short-poll - disconnect/bulk-in:100 idle removed Bystander
ForcedNak generic-apdu-irq mode=poll nak/bulk-in@1 transmit either
ForcedGone generic-apdu-irq mode=poll disconnect/bulk-in:100 idle removed Bystander
Bystander generic-apdu-irq - - - -
EOL

# run_list LIST: one lab over that list's devices and cases.
run_list() {
	list=$1 conf="$WORK/conf.$1"
	mkdir -p "$conf"
	usbsim_begin
	cases=""
	while read -r name profile keys fault when expect others; do
		spec="$profile:name=$name:card=readertest,t1"
		case $keys in
		-) ;;
		mode=poll) ;;
		*) spec="$spec:$keys" ;;
		esac
		usbsim_add "$spec"
		devname="usb:1209/0002:libusb-1.0:1:$usbsim_at:0"
		[ "$keys" = mode=poll ] && devname="usb:1209/0002:serial=emu-$((usbsim_at - 1)):mode=poll"
		reader_conf "$conf/$name" "$name" "$devname"
		[ "$fault" = - ] || cases="$cases $name,$fault,$when,$expect${others:+,$others}"
	done < "$WORK/$list"
	# shellcheck disable=SC2086
	(cd "$top_srcdir/tests/integration/clients" &&
		USBSIM_FAULTS_BOUND_S=8 lab "$list" --conf "$conf" --usbsim "$USBSIM" -- \
			"$PYTHON3" usbsim_faults.py $cases) > "$WORK/tap.$list" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || echo "# lab $list ended with status $rc; pcscd log: $(lab_log "$list")" \
		>> "$WORK/tap.$list"
}

# USB_XFER_FAULTS_LISTS="irq" runs some of the lists only (a developer's
# shortcut).
: > "$WORK/tap"
for list in ${USB_XFER_FAULTS_LISTS:-bulk irq poll}; do
	run_list "$list"
	cat "$WORK/tap.$list" >> "$WORK/tap"
done
# One TAP stream: the plans summed, the tests renumbered.
awk '/^1\.\.[0-9]+$/ { next }
     /^Bail out!/ { print "not ok " ++n " - " $0; next }
     /^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print }
     END { print n > "/dev/stderr" }' "$WORK/tap" 2> "$WORK/n" > "$WORK/tap.all"
plans=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$WORK/tap" | awk '{ s += $1 } END { print s + 0 }')
n=$(cat "$WORK/n")
# A lab that died early ran fewer tests than it planned: say so in TAP.
while [ "$n" -lt "$plans" ]; do
	n=$((n + 1))
	echo "not ok $n - a planned test did not run (see the pcscd logs)" >> "$WORK/tap.all"
done
echo "1..$n"
cat "$WORK/tap.all"
echo "# ccidlab's driver under USB transfer faults (reader | fault | when | the faulted call | s | after):"
sed -n 's/^# row: /#   /p' "$WORK/tap"
exit 0
