#!/bin/sh
# The event delivery checker (issue 7): a lab of 8 readers, event mode
# and polling-only, one of them with 4 slots; a 7 s seeded storm and a
# burst sweep (gap 0..2000 us in 10 us steps); 8 libpcsclite monitors of
# mixed kinds.  Debian's pcscd loses no wakeup in both modes, and its
# event counters move by the edges it could see.
# Late wakeups (past the 50 ms / 450 ms bounds) are a timing figure,
# reported, not judged: a loaded or instrumented (ASan) machine delays
# every thread on the path (emulator, driver, pcscd, client), and under
# `make check-loaded` 1 to 4 in 100 event-mode edges came past 50 ms.
# What a broken event path does is judged instead: a wakeup that never
# comes is lost (the state stayed 5 s), and a driver that wakes pcscd on
# a timer instead of on the edge answers like the polling-only readers
# of the same run, whose latencies carry the same scheduler delays: the
# event-mode p90 must stay under a third of the polling-only p90.
. "$top_srcdir/tests/integration/lib.sh"
plan 7
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/e0" "ev0" "emu:generic-apdu-irq:name=ev0:card=none"
reader_conf "$conf/e1" "ev1" "emu:generic-apdu-irq:name=ev1:card=readertest"
reader_conf "$conf/e2" "ev2" "emu:generic-t1-irq:name=ev2:card=none"
reader_conf "$conf/e3" "ev3" "emu:generic-ext-multi:name=ev3:card=none"
i=0
while [ $i -lt 4 ]; do
	reader_conf "$conf/p$i" "po$i" "emu:generic-short-poll:name=po$i:card=none:mode=poll"
	i=$((i + 1))
done
# min-hold 500 ms: a storm edge outlives a poll period, so that both
# modes get judged edges; the sweep's bursts (every 60 ms) do not.
lab run --conf "$conf" -- "$CCIDLAB" check-events --json --quiet --clients 8 \
	--storm 10 --duration 7 --seed 7 --min-hold-ms 500 \
	--burst-sweep --sweep-step-us 10 --sweep-max-us 2000 --sweep-step-ms 60 \
	> "$WORK/report.json" 2> "$WORK/stderr"
rc=$?
# Kept beside the log: the counters' slots, the worst cases' timelines.
cp "$WORK/report.json" "$LOG_DIR/$TEST_NAME.report.json" 2>/dev/null
[ $rc -eq 0 ] || diag "exit $rc: $(head -c 2000 "$WORK/stderr")"
check "check-events ran to its verdict (exit $rc: 0 pass, 1 a finding)" [ $rc -le 1 ]
"$PYTHON3" - "$WORK/report.json" > "$WORK/facts" 2>&1 <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("verdict", "modes", "clients", "counters", "worst", "edges", "bound_ms", "slots"):
    assert k in d, k
m = d["modes"]
for mode in ("event", "poll"):
    s = m[mode]
    for f in ("edges", "p50_ms", "p90_ms", "p99_ms", "max_ms", "late", "lost", "phantom"):
        assert f in s, (mode, f)
    print(mode, s["edges"], s["lost"], s["late"], s["phantom"], "%.3f" % s["p50_ms"],
          "%.3f" % s["p99_ms"], "%.3f" % s["p90_ms"])
print("counters", "ok" if d["counters"]["ok"] else "bad", len(d["counters"]["slots"]))
print("errors", sum(sum(c["errors"].values()) for c in d["clients"]))
EOP
[ -s "$WORK/facts" ] && diag "$(cat "$WORK/facts")"
set -- $(grep '^event ' "$WORK/facts"); ev_edges=$2 ev_lost=$3 ev_late=$4 ev_p90=$8
set -- $(grep '^poll ' "$WORK/facts"); po_edges=$2 po_lost=$3 po_late=$4 po_p90=$8
check "the report parses as JSON with its fields" grep -q '^counters' "$WORK/facts"
# ok_mode EDGES MIN LOST: enough edges judged, none lost.
ok_mode() {
	[ "${1:-0}" -gt "$2" ] && [ "$3" = 0 ]
}
check "event mode: edges judged ($ev_edges), 0 lost ($ev_lost; late past 50 ms: $ev_late)" \
	ok_mode "$ev_edges" 100 "$ev_lost"
check "polling-only mode: edges judged ($po_edges), 0 lost ($po_lost; late past 450 ms: $po_late)" \
	ok_mode "$po_edges" 20 "$po_lost"
# event_driven EV_P90 PO_P90 (ms): 3 x event-mode p90 below polling-only p90.
event_driven() {
	awk -v e="${1:-x}" -v p="${2:-x}" 'BEGIN { exit !(e ~ /^[0-9.]+$/ && p ~ /^[0-9.]+$/ &&
		p > 0 && 3 * e < p) }'
}
check "event mode wakes on the edge: p90 ${ev_p90:-?} ms, under a third of polling-only's ${po_p90:-?} ms" \
	event_driven "$ev_p90" "$po_p90"
check "the event counters moved by the edges pcscd could see" grep -q '^counters ok 1[0-9]' "$WORK/facts"
check "no unexpected SCARD_E_* return" grep -qx 'errors 0' "$WORK/facts"
finish
