#!/bin/sh
# Every exit status ccidlab(1) documents, each caused once and checked:
# the control subcommands' 0-5, the lab's (CMD's status, 128+N, 125, 2),
# check-events' 0, 1 and 6 and, before the run, 2-5; scenario run --wait's
# 1 when a step failed, with the server's reason; mkroot's 1 and 2,
# with --pcsc-lite 2 and 3; bisect's 0, 1 and 2; repro's 0, 1 and 2;
# matrix's 2 and 125; usb-ids' 0, 1 and 2; help and version's 0, help of an
# unknown subcommand and an unknown subcommand's 2.  The other files that
# cause a status, named by ccidlab(1): lab-refused.sh (the lab's 125 for a
# refused entry), lab-root.sh (mkroot's 0, made and reused),
# race-2018.sh (mkroot --pcsc-lite's 0), matrix-quick.sh (matrix's 0 or
# 1, whichever the run's findings call for), tests/vm (vm's).
# Beside the statuses, --json's shapes (ccidlab(1), OUTPUT: a report with
# schema and version first, the error object) and the progress lines of
# check-events and bench (k/N with an ETA, on stderr only).
. "$top_srcdir/tests/integration/lib.sh"
plan 72
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/x" "Exit X" emu:generic-apdu-irq:card=none:name=x
# st CMD...: runs CMD, keeps its status in $st and its stderr in $WORK/err.
st() { "$@" > "$WORK/out" 2> "$WORK/err"; st=$?; }
is() { # is WANT DESCRIPTION: checks $st, shows stderr on a mismatch
	if [ "$st" -eq "$1" ]; then ok "$2 ($st)"; else not_ok "$2 ($st, want $1)"; [ ! -f "$WORK/err" ] || diag "$(cat "$WORK/err")"; fi
}
# code LABEL: the status ctl.sh kept for LABEL (none: 255).
code() { st=$(sed -n "s/^$1 //p" "$WORK/ctl.codes"); st=${st:-255}; }

# ---- the control subcommands, in one lab ----
cat > "$WORK/ctl.sh" <<'EOC'
c=$1 w=$2
# r LABEL CMD...: runs CMD, keeps "LABEL STATUS" and its stderr.
r() { l=$1; shift; "$@" > /dev/null 2>> "$w/ctl.err"; echo "$l $?" >> "$w/ctl.codes"; }
r list "$c" list
r remove "$c" remove x
r insert "$c" insert
r socket "$c" list --socket "$w/no-such.sock"
r name "$c" insert no-such-reader
r events "$c" events --count 1 --timeout 1
r scenario "$c" scenario run "$w/no-such.scn"
r ce-pass "$c" check-events --clients 1 --storm 2 --duration 1 --seed 1
r ce-na "$c" check-events --clients 2 --readers 9 --storm 5 --duration 1
r ce-fail "$c" check-events --clients 1 --legacy-client 1 --expect-legacy-loss --storm 5 --duration 2 --seed 1
"$c" check-events --clients 1 --storm 2 --duration 1 --seed 2 > "$w/report.txt" 2>&1
# check-events' statuses before the run: each stops before a storm.
r ce-usage "$c" check-events --pnp maybe
r ce-socket "$c" check-events --clients 1 --duration 1 --socket "$w/no-such.sock"
r ce-widener "$c" check-events --clients 1 --duration 1 --widener --widener-reader no-such
r ce-pairs "$c" check-events --clients 1 --duration 1 --control-pairs 1
"$c" remove x > /dev/null 2>&1	# the storms may have left a card in
"$c" insert x --card readertest,t1 > /dev/null 2> "$w/old-spec.err"; echo "old-spec $?" >> "$w/ctl.codes"
"$c" remove x > /dev/null 2>&1
"$c" remove x --json > "$w/json-error.out" 2> /dev/null; echo "json $?" >> "$w/ctl.codes"
# A scenario whose one step fails (x's slot is empty): --wait's 1, with
# the server's reason, in the text and in status --json.
printf '[step 1]\nat_ms=0\nreader=x\nslot=0\naction=remove\n' > "$w/fails.scn"
"$c" scenario run "$w/fails.scn" --wait > "$w/scenario.out" 2>&1; echo "scn-wait $?" >> "$w/ctl.codes"
"$c" scenario status --json > "$w/scenario.json" 2>&1
# --json's shapes (ccidlab(1), OUTPUT): a report alone on stdout, its
# progress ("k/N, ETA") on stderr; an error that stops the run as the
# error object.
"$c" check-events --json --clients 1 --storm 2 --duration 3 --seed 3 > "$w/ce.json" 2> "$w/ce.progress"
echo "ce-json $?" >> "$w/ctl.codes"
"$c" check-events --json --clients 1 --duration 1 --widener --widener-reader no-such \
	> "$w/ce-error.json" 2> /dev/null
echo "ce-json-error $?" >> "$w/ctl.codes"
EOC
lab ctl --conf "$conf" -- sh "$WORK/ctl.sh" "$CCIDLAB" "$WORK"
code list; is 0 "list: success is 0"
code remove; is 1 "remove on an empty slot: the server refused, 1"
code insert; is 2 "insert without a reader: usage error, 2"
code socket; is 3 "no control server at the socket: 3"
code name; is 4 "a reader name that matches none: 4"
code events; is 5 "events --count 1 --timeout 1 with no edge: 5"
check "and events says why on stderr" grep -q "0 of 1 edges within --timeout 1 s" "$WORK/ctl.err"
code scenario; is 2 "scenario run of a file that cannot be read: usage error, 2"
code ce-pass; is 0 "check-events PASS: 0"
[ "$st" -eq 0 ] || diag "$(tail -20 "$WORK/ctl.err")"
code ce-na; is 6 "check-events --readers 9 with one reader: 6"
code ce-fail; is 1 "check-events FAIL (--expect-legacy-loss and the legacy client lost nothing): 1"
code ce-usage; is 2 "check-events --pnp maybe: usage error, 2"
code ce-socket; is 3 "check-events with no control server at the socket: 3"
code ce-widener; is 4 "check-events --widener-reader naming no reader: 4"
check "and it names the reader it did not find" \
	grep -q 'no reader named "no-such" for --widener-reader' "$WORK/ctl.err"
code ce-pairs; is 5 "check-events --control-pairs with one event-mode reader: 5"
check "and says what the stimulus needs" \
	grep -q -- "--control-pairs needs two event-mode readers" "$WORK/ctl.err"
code old-spec; is 0 "insert with the old card spec readertest,t1 still works"
check "and says on stderr that ',' is deprecated, with the one syntax" \
	grep -q "deprecated, say readertest@t1" "$WORK/old-spec.err"
code json; is 1 "remove --json on an empty slot: refused, 1"
check "and the error is a JSON line on stdout with the server's code" \
	grep -q '^{"error":"bad-state","message":".*","exit":1}$' "$WORK/json-error.out"
code scn-wait; is 1 "scenario run --wait with a step that failed: 1"
check "and it prints the server's reason for the step" \
	grep -q '^  step 1 failed: remove on reader "x" slot 0: .*slot 0 is empty$' "$WORK/scenario.out"
check "and scenario status --json carries it" \
	grep -q '"failed":1,"failures":\[{"step":1,"reason":"remove on reader \\"x\\" slot 0: [^"]*slot 0 is empty"}\]' \
	"$WORK/scenario.json"
code ce-json; check "check-events --json: its verdict, 0 or 1 ($st)" [ "$st" -le 1 ]
version=$("$CCIDLAB" version | sed -n '1s/.* //p')
report_is() { # report_is FILE SCHEMA: FILE is one line, a report of SCHEMA and this version
	"$PYTHON3" -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "%d lines" % len(lines)
d = json.loads(lines[0])
assert list(d)[:2] == ["schema", "version"], list(d)[:3]
assert d["schema"] == sys.argv[2] and d["version"] == sys.argv[3], (d["schema"], d["version"])' \
		"$1" "$2" "$version"
}
check "and stdout is the report alone, schema and version first" \
	report_is "$WORK/ce.json" ccidlab-check-events/1
check "and stderr shows the storm's progress as k/N with an ETA, to 3/3" \
	sh -c "grep -Eq '^check-events: storm seconds: [0-3]/3, ETA [0-9?][0-9hms]*: ' '$WORK/ce.progress' &&
		grep -q '^check-events: storm seconds: 3/3, ETA 0s: storm over\$' '$WORK/ce.progress'"
code ce-json-error; is 4 "check-events --json --widener-reader naming no reader: 4"
check "and stdout is the error object, not-found, exit 4" \
	grep -qx '{"error":"not-found","message":"no reader named \\"no-such\\" for --widener-reader","exit":4}' \
	"$WORK/ce-error.json"
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
st "$CCIDLAB" mkroot --pcsc-lite; is 2 "mkroot --pcsc-lite (no value): 2"
st "$CCIDLAB" mkroot --pcsc-lite 1.8.23 --timeout soon; is 2 "mkroot --pcsc-lite REF --timeout soon: 2"

# ---- a commit that does not build: mkroot --pcsc-lite's 3, bisect's 1 ----
# A history of two commits whose trees have no build system (neither
# meson.build nor configure.ac), so that the build's verdict is reached
# before any compiler runs: the build base they are copied from is then a
# stand-in (an empty directory marked as a build base), in a cache of the
# test's own, and no Debian is downloaded.  A real pcsc-lite commit that
# does not build costs a build base and minutes.
hist=$WORK/history
git init -q "$hist" 2> /dev/null
for t in v1 v2; do
	echo "$t" > "$hist/NOTES"
	git -C "$hist" add NOTES && git -C "$hist" -c user.name=ccidlab -c user.email=ccidlab@localhost \
		commit -q -m "$t: no build system" && git -C "$hist" tag "$t"
done
cache=$WORK/cache
mkdir -p "$cache/base-bookworm"
echo build_base=1 > "$cache/base-bookworm/.ccidlab-root"
if [ "$(id -u)" -ne 0 ]; then
	for t in 1 2 3 4 5; do skip "mkroot --pcsc-lite needs root (chroot, the root cache)"; done
else
	st env CCIDLAB_ROOT_CACHE="$cache" "$CCIDLAB" mkroot --pcsc-lite v1 --src "$hist"
	is 3 "mkroot --pcsc-lite of a commit that does not build: 3"
	check "and it says why and leaves ID.failed beside its log" \
		sh -c "grep -q 'does not build: the tree has neither meson.build nor configure.ac' '$WORK/err' &&
			[ \$(ls '$cache/pcsc-lite/' | grep -c '\.failed\$') -eq 1 ]"
	st env CCIDLAB_ROOT_CACHE="$cache" "$CCIDLAB" mkroot --pcsc-lite v1 --src "$hist"
	is 3 "mkroot --pcsc-lite of it again, without --retry: the cached verdict, 3"
	# With the ends swapped (good newer than bad) bisect looks for the
	# fix; the bad end v1 does not build: no answer.
	st env CCIDLAB_ROOT_CACHE="$cache" "$CCIDLAB" bisect --good v2 --bad v1 --class lost --src "$hist" \
		--work-dir "$WORK/bisect" --quiet
	is 1 "bisect whose bad end does not build: no answer, 1"
	check "and the reason is printed: the bad end does not build" \
		grep -q '^bisect: no answer: the bad end v1 does not build' "$WORK/out"
fi

# ---- bisect, repro, matrix ----
st "$CCIDLAB" bisect --good v1 --bad v2; is 2 "bisect without --class: usage error, 2"
# 0 from a real bisect takes builds of pcsc-lite and runs of the
# checker at each step (hours); the status of --replay of a recorded
# one (1.8.23..1.8.24, README's) is the run's, from the same result.
st "$CCIDLAB" bisect --replay "$top_srcdir/tests/data/bisect-lost-1.8.23-1.8.24.json"
is 0 "bisect with an answer (--replay of a recorded bisect): 0"
check "and the answer is printed" grep -q 'first fixed commit: 984f84df' "$WORK/out"
st "$CCIDLAB" bisect --replay "$top_srcdir/tests/data/bisect-lost-1.8.23-1.8.24.json" --json
is 0 "bisect --replay --json: 0"
check "and stdout is its report alone, schema and version first" \
	report_is "$WORK/out" ccidlab-bisect/1
st "$CCIDLAB" bisect --good v1 --bad v2 --class lost --src "$WORK/no-such-history" \
	--work-dir "$WORK/bisect2"
is 1 "bisect over a history that is not there: no answer, 1"
check "and the reason is printed" grep -q '^bisect: no answer: v1: ' "$WORK/out"
st "$CCIDLAB" repro lost; is 2 "repro without --emit: usage error, 2"
st "$CCIDLAB" repro phantasm --emit "$WORK/repro-none"
is 2 "repro of a class it has no reproducer for: 2"
st "$CCIDLAB" repro lost --emit "$WORK/repro"; is 0 "repro lost --emit DIR: written, 0"
check "and DIR holds the program, its Makefile, README and reader.conf.d" \
	sh -c "[ -s '$WORK/repro/repro.c' ] && [ -s '$WORK/repro/Makefile' ] &&
		[ -s '$WORK/repro/README' ] && [ -d '$WORK/repro/reader.conf.d' ]"
st "$CCIDLAB" repro lost --emit "$WORK/repro"; is 1 "repro into a DIR that is not empty: 1"
: > "$WORK/a-file"
st "$CCIDLAB" repro lost --emit "$WORK/a-file/repro"; is 1 "repro into a DIR it cannot make: 1"
st "$CCIDLAB" matrix --no-such-option; is 2 "matrix: usage error, 2"
st env TMPDIR="$WORK/no-such-tmp" "$CCIDLAB" matrix --quick --duration 1
is 125 "matrix that cannot make its work dir: 125"
st env TMPDIR="$WORK/no-such-tmp" "$CCIDLAB" matrix --quick --duration 1 --json
is 125 "matrix --json that cannot make its work dir: 125"
check "and stdout is the error object, failed, exit 125" \
	grep -qx '{"error":"failed","message":".*no-such-tmp.*","exit":125}' "$WORK/out"
# bench's progress: k/N over the suites named, on stderr only.
st "$CCIDLAB" bench open --open-rounds 1 --open-readers 1 --driver "$DRIVER"
is 0 "bench open, one round: 0"
check "and stderr counts the suites, 0/1 then 1/1 with an ETA; stdout has no progress" \
	sh -c "grep -qx 'bench: 0/1, ETA ?: suite open' '$WORK/err' &&
		grep -Eqx 'bench: 1/1, ETA 0s: suite open done' '$WORK/err' && ! grep -q 'ETA' '$WORK/out'"
st "$CCIDLAB" usb-ids -q --catalogue "$CCIDLAB_DATA/readers.tsv" -o - none; is 0 "usb-ids none: 0"
st "$CCIDLAB" usb-ids -q --catalogue "$CCIDLAB_DATA/readers.tsv" -o - no-such-word; is 2 "usb-ids with an unknown word: 2"
mkdir -p "$WORK/b/Contents"
printf '<key>ifdVendorID</key>\n<array>\n<string>0x072F</string>\n</array>\n' > "$WORK/b/Contents/Info.plist"
st "$CCIDLAB" usb-ids --bundle "$WORK/b" --list; is 1 "usb-ids --list of a malformed list: 1"
st "$CCIDLAB" help; is 0 "help: 0"
st "$CCIDLAB" help lab; is 0 "help lab: 0"
st "$CCIDLAB" help no-such-subcommand; is 2 "help of an unknown subcommand: 2"
st "$CCIDLAB" version; is 0 "version: 0"
st "$CCIDLAB" no-such-subcommand; is 2 "an unknown subcommand: 2"
finish
