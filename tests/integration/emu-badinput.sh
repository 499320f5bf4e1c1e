#!/bin/sh
# Malformed DEVICENAMEs beside good ones: each bad one is refused alone,
# named in pcscd's log with the reason and the valid choices, and every
# good reader works.
. "$top_srcdir/tests/integration/lib.sh"
plan 7
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" Good1 emu:generic-apdu-irq
reader_conf "$conf/2" BadKey emu:generic-apdu-irq:colour=red
reader_conf "$conf/3" Good2 emu:generic-short-poll
reader_conf "$conf/4" BadProfile emu:no-such-reader
reader_conf "$conf/5" BadMode emu:generic-short-poll:mode=event
reader_conf "$conf/6" Good3 emu:generic-t1-irq:card=readertest@t1
cat > "$WORK/client.py" <<'EOC'
import sys
sys.path.insert(0, sys.argv[1])
import pcsc
ctx = pcsc.context()
names = pcsc.readers(ctx)
print(" ".join(sorted(n.split()[0] for n in names)))
for n in names:
    card, proto = pcsc.connect(ctx, n)
    rsp = pcsc.transmit(card, proto, bytes([0, 0xA4, 4, 0, 6, 0xA0, 0, 0, 0, 0x18, 0xFF]))
    print(n.split()[0], rsp.hex())
EOC
lab main --allow-refused --conf "$conf" -- "$PYTHON3" "$WORK/client.py" "$top_srcdir/tests/integration/clients" > "$WORK/out" 2>&1
rc=$?
log=$(lab_log main)
check "the client ran ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$(cat "$WORK/out")"
check "exactly the three good readers are listed" grep -qx "Good1 Good2 Good3" "$WORK/out"
check "every good reader answers SELECT with 90 00" [ "$(grep -c ' 9000$' "$WORK/out")" -eq 3 ]
check "an unknown key is named with the valid keys" \
	grep -q "DEVICENAME '\"emu:generic-apdu-irq:colour=red\"' refused: unknown key 'colour' (valid: mode, slots, card" "$log"
check "an unknown profile is named with the built-in ones" \
	grep -q "DEVICENAME 'emu:no-such-reader' refused: unknown profile 'no-such-reader'.*built-in: generic-apdu-irq" "$log"
check "mode=event on a profile without an interrupt pipe is refused with the reason" \
	grep -q "refused: mode=event: profile 'generic-short-poll' has no interrupt pipe" "$log"
check "the lab names the three refused entries on stderr, with the driver's reasons" sh -c "
	grep -q '^ccidlab lab: pcscd refused reader \"BadKey\" (DEVICENAME \"\?emu:generic-apdu-irq:colour=red\"\?): unknown key' '$WORK/out' &&
	grep -q '^ccidlab lab: pcscd refused reader \"BadProfile\" (DEVICENAME emu:no-such-reader): unknown profile' '$WORK/out' &&
	grep -q '^ccidlab lab: pcscd refused reader \"BadMode\" (DEVICENAME \"\?emu:generic-short-poll:mode=event\"\?): mode=event' '$WORK/out' &&
	[ \$(grep -c 'pcscd refused reader' '$WORK/out') -eq 3 ]"
finish
