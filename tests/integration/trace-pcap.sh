#!/bin/sh
# `ccidlab trace --pcap` read by Wireshark's own dissectors (Debian's
# tshark): a lab with a readertest card, scriptor (pcsc-tools, through
# pcscd) sends SELECT and a read of 5 bytes while the trace writes a
# capture; tshark must decode the SELECT as a PC_to_RDR_XfrBlock carrying
# the APDU and its answers as RDR_to_PC_DataBlock carrying 90 00 and
# 00 01 02 03 04 90 00.  The same through `--pcap -` into `tshark -r -`.
. "$top_srcdir/tests/integration/lib.sh"
N=7
plan $N
if ! command -v tshark >/dev/null 2>&1; then
	i=0; while [ $i -lt $N ]; do skip "tshark is not installed (bootstrap's DEBS has it)"; i=$((i + 1)); done
	exit 0
fi
command -v scriptor >/dev/null 2>&1 || { echo "1..0 # SKIP scriptor (pcsc-tools) is not installed"; exit 0; }

mkdir -p "$WORK/conf"
# One reader (pcscd numbers the files of a directory in readdir order),
# at APDU level: its XfrBlocks carry the APDUs as they are.
reader_conf "$WORK/conf/r0" "Pcap APDU" "emu:generic-apdu-irq:name=pcap2:card=readertest@t0"
cat > "$WORK/apdu" <<'EOA'
reset
00 A4 04 00 06 A0 00 00 00 18 FF
00 34 00 05 05
EOA
# The trace runs until 60 frames or 40 s; scriptor repeats its script
# while the trace runs (the first frames may come before the trace is on).
cat > "$WORK/run.sh" <<EOC
"$CCIDLAB" trace pcap2 --pcap "$WORK/t.pcap" --count 60 --timeout 40 > "$WORK/trace.out" 2> "$WORK/trace.err" &
tp=\$!
i=0
while kill -0 \$tp 2>/dev/null && [ \$i -lt 200 ]; do
	scriptor -r "Pcap APDU 00 00" "$WORK/apdu" > "$WORK/scriptor.out" 2>&1
	i=\$((i + 1))
done
wait \$tp
echo "trace exit \$?" > "$WORK/trace.rc"
"$CCIDLAB" trace pcap2 --pcap - --count 12 --timeout 40 2> "$WORK/stdout.err" > "$WORK/s.pcap" &
tp=\$!
i=0
while kill -0 \$tp 2>/dev/null && [ \$i -lt 200 ]; do
	scriptor -r "Pcap APDU 00 00" "$WORK/apdu" > /dev/null 2>&1
	i=\$((i + 1))
done
wait \$tp
echo "trace exit \$?" > "$WORK/stdout.rc"
EOC
lab main --conf "$WORK/conf" -- sh "$WORK/run.sh"
rc=$?
diag "lab exit $rc; $(cat "$WORK/trace.rc" "$WORK/trace.err" 2>/dev/null)"
check "the trace wrote 60 frames and exited 0" \
	sh -c "grep -qx 'trace exit 0' '$WORK/trace.rc' && grep -q '60 frames in' '$WORK/trace.err'"
check "scriptor got 00 01 02 03 04 90 00 meanwhile" grep -q '^< 00 01 02 03 04 90 00' "$WORK/scriptor.out"

tshark -r "$WORK/t.pcap" -V > "$WORK/t.txt" 2> "$WORK/tshark.err"
trc=$?
diag "tshark: exit $trc, $(grep -c '^Frame ' "$WORK/t.txt") frames, $(grep -c 'USB CCID' "$WORK/t.txt") CCID messages"
check "tshark reads the capture (exit $trc, no warning)" \
	sh -c "[ $trc -eq 0 ] && ! grep -qi 'appears to have been cut\|malformed' '$WORK/t.txt' '$WORK/tshark.err'"
# The fields, one CCID message a line.
tshark -r "$WORK/t.pcap" -Y usbccid -T fields -e usbccid.bMessageType -e usbccid.dwLength \
	-e data.data > "$WORK/fields.txt" 2>> "$WORK/tshark.err"
diag "$(sort "$WORK/fields.txt" | uniq -c | sort -rn | head -n 8)"
check "tshark: PC_to_RDR_XfrBlock (0x6f) carrying the SELECT APDU" \
	grep -q '^0x6f	11	00a4040006a000000018ff$' "$WORK/fields.txt"
check "tshark: RDR_to_PC_DataBlock (0x80) carrying 90 00 and 00 01 02 03 04 90 00" \
	sh -c "grep -q '^0x80	2	9000\$' '$WORK/fields.txt' && grep -q '^0x80	7	00010203049000\$' '$WORK/fields.txt'"
check "tshark -V names the messages" \
	sh -c "grep -q 'Message Type: PC_to_RDR_XfrBlock (0x6f)' '$WORK/t.txt' &&
		grep -q 'Message Type: RDR_to_PC_DataBlock (0x80)' '$WORK/t.txt'"
tshark -r - -Y usbccid -T fields -e usbccid.bMessageType < "$WORK/s.pcap" > "$WORK/s.txt" 2>&1
check "--pcap - writes the capture to stdout ($(grep -c "^0x" "$WORK/s.txt") CCID messages)" \
	sh -c "grep -qx 'trace exit 0' '$WORK/stdout.rc' && [ \$(grep -c '^0x' '$WORK/s.txt') -eq 12 ]"
