#!/bin/sh
# USB transfer faults (doc/usbsim.md "USB transfer faults") under Debian's
# unmodified libccid and pcscd: every kind is set live through the lab's
# control socket during an APDU exchange (and the disconnect also during
# libccid's interrupt wait), one reader each.  Each case asserts that the
# PC/SC call returns within 15 s, that pcscd stays up, and what libccid
# does after `fault clear`: the next transmit works, or the reader is
# reported without card (doc/usbsim.md has the table of what libccid did).
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"

# NAME PROFILE FAULT WHEN EXPECT: one usbsim device (bus 1, addresses 2,
# 3... in order) and one case of clients/usbsim_faults.py each.  Where a
# late answer stays queued (desync), pcscd's presence poll may read it
# before the client's next APDU does (libccid's GetSlotStatus gets
# LIBUSB_ERROR_OVERFLOW, pcscd makes the reader unavailable): the
# scheduler's choice, seen with both cores busy, so either is libccid's.
cat > "$WORK/list" <<'EOL'
Nak generic-apdu-irq nak/bulk-in@1 transmit desync|unavailable
NakOut generic-apdu-irq nak/bulk-out@1 transmit at-once
StallIn generic-apdu-irq stall/bulk-in@1 transmit desync|unavailable
StallOut generic-apdu-irq stall/bulk-out@1 transmit at-once
Halt generic-apdu-irq stall/bulk-in transmit-twice desync|unavailable
Short generic-apdu-irq short/bulk-in:5@1 transmit at-once
ShortData generic-apdu-irq short/bulk-in:11@1 transmit at-once
Zlp generic-apdu-irq zlp/bulk-in@1 transmit desync|unavailable
Babble generic-apdu-irq babble/bulk-in@1 transmit at-once
T1Short generic-t1-irq short/bulk-in:12@1 transmit reconnect
T1Zlp generic-t1-irq zlp/bulk-in@1 transmit reconnect
GoneXfr generic-apdu-irq disconnect/bulk-in:100 transmit removed
GoneIrq generic-apdu-irq disconnect/interrupt:100 idle removed
EOL
conf="$WORK/conf"
mkdir -p "$conf"
usbsim_begin
cases=
while read -r name profile fault when expect; do
	usbsim_reader "$conf/$name" "$name" "$profile:name=$name:card=readertest,t1" 1209/0002 0 \
		"$CCID_LIB"
	cases="$cases $name,$fault,$when,$expect"
done < "$WORK/list"
cd "$top_srcdir/tests/integration/clients" || exit 1
# shellcheck disable=SC2086
lab main --conf "$conf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	"$PYTHON3" usbsim_faults.py $cases
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
