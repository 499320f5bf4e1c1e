#!/bin/sh
# Every exit status ccidlab(1) documents, each caused once and checked:
# the control subcommands' 0-5, the lab's (CMD's status, 128+N, 125, 2),
# check-events' 0, 1 and 6, mkroot's 1 and 2, matrix's 2, usb-ids' 0, 1
# and 2, help and version's 0, an unknown subcommand's 2.  (matrix's 0
# is matrix-quick.sh's; vm's are tests/vm's.)
. "$top_srcdir/tests/integration/lib.sh"
plan 32
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/x" "Exit X" emu:generic-apdu-irq:card=none:name=x
# st CMD...: runs CMD, keeps its status in $st and its stderr in $WORK/err.
st() { "$@" > "$WORK/out" 2> "$WORK/err"; st=$?; }
is() { # is WANT DESCRIPTION: checks $st, shows stderr on a mismatch
	if [ "$st" -eq "$1" ]; then ok "$2 ($st)"; else not_ok "$2 ($st, want $1)"; [ ! -f "$WORK/err" ] || diag "$(cat "$WORK/err")"; fi
}

# ---- the control subcommands, in one lab ----
cat > "$WORK/ctl.sh" <<'EOC'
c=$1 w=$2
r() { "$@" > /dev/null 2>> "$w/ctl.err"; echo $? >> "$w/ctl.codes"; }
r "$c" list
r "$c" remove x
r "$c" insert
r "$c" list --socket "$w/no-such.sock"
r "$c" insert no-such-reader
r "$c" events --count 1 --timeout 1
r "$c" scenario run "$w/no-such.scn"
r "$c" check-events --clients 1 --storm 2 --duration 1 --seed 1
r "$c" check-events --clients 2 --readers 9 --storm 5 --duration 1
r "$c" check-events --clients 1 --legacy-client 1 --expect-legacy-loss --storm 5 --duration 2 --seed 1
"$c" check-events --clients 1 --storm 2 --duration 1 --seed 2 > "$w/report.txt" 2>&1
"$c" remove x > /dev/null 2>&1	# the storms may have left a card in
"$c" insert x --card readertest,t1 > /dev/null 2> "$w/old-spec.err"; echo $? >> "$w/ctl.codes"
"$c" remove x > /dev/null 2>&1
"$c" remove x --json > "$w/json-error.out" 2> /dev/null; echo $? >> "$w/ctl.codes"
EOC
lab ctl --conf "$conf" -- sh "$WORK/ctl.sh" "$CCIDLAB" "$WORK"
codes=$(tr '\n' ' ' < "$WORK/ctl.codes")
set -- $codes
st=$1; is 0 "list: success is 0"
st=$2; is 1 "remove on an empty slot: the server refused, 1"
st=$3; is 2 "insert without a reader: usage error, 2"
st=$4; is 3 "no control server at the socket: 3"
st=$5; is 4 "a reader name that matches none: 4"
st=$6; is 5 "events --count 1 --timeout 1 with no edge: 5"
check "and events says why on stderr" grep -q "0 of 1 edges within --timeout 1 s" "$WORK/ctl.err"
st=$7; is 2 "scenario run of a file that cannot be read: usage error, 2"
st=$8; is 0 "check-events PASS: 0"
[ "$st" -eq 0 ] || diag "$(tail -20 "$WORK/ctl.err")"
st=$9; is 6 "check-events --readers 9 with one reader: 6"
shift 9
st=$1; is 1 "check-events FAIL (--expect-legacy-loss and the legacy client lost nothing): 1"
st=$2; is 0 "insert with the old card spec readertest,t1 still works"
check "and says on stderr that ',' is deprecated, with the one syntax" \
	grep -q "deprecated, say readertest@t1" "$WORK/old-spec.err"
st=$3; is 1 "remove --json on an empty slot: refused, 1"
check "and the error is a JSON line on stdout with the server's code" \
	grep -q '^{"error":"bad-state","message":".*","exit":1}$' "$WORK/json-error.out"
# The report of the PASS run (one event-mode reader): the bound it used,
# and no polling-only rows or histogram.
check "check-events states the bound it used, for the one mode it had" \
	grep -qx "late above: 50 ms in event mode" "$WORK/report.txt"
check "and prints no section of a mode it had no reader in" \
	sh -c "! grep -q '^poll' '$WORK/report.txt'"

# ---- the lab ----
st lab seven --conf "$conf" -- sh -c 'exit 7'; is 7 "lab: CMD's status"
st lab term --conf "$conf" -- sh -c 'kill -TERM $$'; is 143 "lab: 128+N when CMD is ended by signal N"
st "$CCIDLAB" lab --quiet --driver "$WORK/no-such.so" -- true; is 125 "lab: 125 when the lab itself failed"
st "$CCIDLAB" lab --no-such-option -- true; is 2 "lab: 2 on a usage error"

# ---- mkroot, matrix, usb-ids, help, version ----
st "$CCIDLAB" mkroot; is 2 "mkroot without DIR: 2"
st "$CCIDLAB" mkroot "$WORK/root" --suite; is 2 "mkroot DIR --suite (no value): 2"
st "$CCIDLAB" mkroot "$WORK/root" --suite no-such-suite --mirror http://127.0.0.1:9/debian \
	--no-fallback --timeout 20
is 1 "mkroot that fails: 1"
st "$CCIDLAB" matrix --no-such-option; is 2 "matrix: usage error, 2"
st "$CCIDLAB" usb-ids -q --catalogue "$CCIDLAB_DATA/readers.tsv" -o - none; is 0 "usb-ids none: 0"
st "$CCIDLAB" usb-ids -q --catalogue "$CCIDLAB_DATA/readers.tsv" -o - no-such-word; is 2 "usb-ids with an unknown word: 2"
mkdir -p "$WORK/b/Contents"
printf '<key>ifdVendorID</key>\n<array>\n<string>0x072F</string>\n</array>\n' > "$WORK/b/Contents/Info.plist"
st "$CCIDLAB" usb-ids --bundle "$WORK/b" --list; is 1 "usb-ids --list of a malformed list: 1"
st "$CCIDLAB" help; is 0 "help: 0"
st "$CCIDLAB" help lab; is 0 "help lab: 0"
st "$CCIDLAB" version; is 0 "version: 0"
st "$CCIDLAB" no-such-subcommand; is 2 "an unknown subcommand: 2"
finish
