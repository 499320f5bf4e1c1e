#!/bin/sh
# pcscd, in a lab, loads the built driver from reader.conf.d entries: it
# binds IFDH v3, opens the good reader (two slots), and every refused
# DEVICENAME is named in pcscd's log with the reason, while pcscd keeps
# serving clients.
. "$top_srcdir/tests/integration/lib.sh"
plan 9
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/10-bad-scheme" "Bad scheme" "nope:xyz"
reader_conf "$conf/20-bad-field" "Bad field" "emu:generic:slots"
reader_conf "$conf/30-emu" "Emu reader" "emu:generic-t1-irq:slots=2"
cat > "$conf/40-channel" <<EOC
FRIENDLYNAME "Channel only"
CHANNELID    0x10
LIBPATH      /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so
EOC

# The command checks, from outside the namespace, that pcscd still serves
# a real client after every reader was refused.
cat > "$WORK/client.sh" <<'EOC'
#!/bin/sh
pcsc_scan -r > "$1/scan.out" 2>&1 || exit 10
# Debian's pyscard lives in the system python, whatever python3 is first in PATH.
"$PYTHON3" -c 'from smartcard.System import readers; print(len(readers()))' > "$1/py.out" 2>&1 || exit 11
kill -0 "$CCIDLAB_PCSCD_PID" || exit 12
EOC
lab main --allow-refused --conf "$conf" -- sh "$WORK/client.sh" "$WORK"
rc=$?
log=$(lab_log main)
check "the lab's client ran against the private pcscd (status $rc)" [ "$rc" -eq 0 ]
check "pcscd bound the driver as IFD handler v3" grep -q "Loading IFD Handler 3.0" "$log"
check "an unknown scheme is named with the valid choices" \
	grep -q "DEVICENAME 'nope:xyz' refused: unknown scheme 'nope' (valid: emu, usb)" "$log"
check "a field that is not key=value is named" \
	grep -q "DEVICENAME 'emu:generic:slots' refused: field 'slots' is not key=value" "$log"
check "the emulated reader opens with its two slots" \
	grep -q "'\"emu:generic-t1-irq:slots=2\"' open: generic-t1-irq#.*, 2 slot(s), event mode" "$log"
check "a CHANNELID-only entry is refused with the reason" \
	grep -q "CHANNELID 0x10 refused: ccidlab readers need a DEVICENAME" "$log"
check "pcscd reports each refused reader and goes on" \
	[ "$(grep -c 'init failed' "$log")" -eq 3 ]
check "pcsc_scan lists the two slots" \
	sh -c "grep -q 'Emu reader 00 00' '$WORK/scan.out' && grep -q 'Emu reader 00 01' '$WORK/scan.out'"
check "pyscard lists two readers" grep -qx 2 "$WORK/py.out"
finish
