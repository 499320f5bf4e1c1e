#!/bin/sh
# The checker's positive control (issue 7): with the window widener (a
# present card that gives no ATR) and pairs of edges 480..720 ms apart
# followed by 6 s of quiet, the pre-1.8.24 client loses wakeups against
# Debian's pcscd, and libpcsclite clients in the same run lose none.
# This proves the checker would catch the 2018 race.
# A libpcsclite wakeup past the 50 ms bound is a timing figure under load
# (the checker's verdict counts it): reported, not judged.  The race's
# mark on libpcsclite is judged instead: an edge it learns of only with
# the next one (480 ms and more later), or never (lost).
. "$top_srcdir/tests/integration/lib.sh"
plan 5
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/a" eva "emu:generic-apdu-irq:name=eva:card=none"
reader_conf "$conf/b" evb "emu:generic-t1-irq:name=evb:card=none"
reader_conf "$conf/w" wide "emu:generic-apdu-irq:name=wide:card=none"
lab run --conf "$conf" -- "$CCIDLAB" check-events --json --quiet --clients 4 \
	--legacy-client 2 --widener --widener-reader wide --control-pairs 3 --seed 2018 \
	--expect-legacy-loss > "$WORK/report.json" 2> "$WORK/stderr"
rc=$?
[ $rc -eq 0 ] || diag "exit $rc: $(head -c 2000 "$WORK/stderr")"
check "check-events ran to its verdict (exit $rc: 0 pass, 1 a finding)" [ $rc -le 1 ]
"$PYTHON3" - "$WORK/report.json" > "$WORK/facts" 2>&1 <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
leg = d["legacy"]
lib = d["modes"]["event"]
print("legacy", leg["lost"], leg.get("late", 0))
# An edge a libpcsclite client saw only with the next one: a late case
# without a latency (the worst list keeps those before any latency).
unseen = sum(1 for c in d["worst"] if c["what"] == "late" and c["latency_ms"] is None
             and not c["kind"].startswith("legacy/"))
print("pcsclite", lib["edges"], lib["lost"], lib["late"], unseen)
other = [r for r in d["reasons"] if not r.endswith(" late wakeups")]
print("reasons", len(other), "; ".join(d["reasons"]) or "none")
EOP
diag "$(cat "$WORK/facts")"
set -- $(grep '^legacy ' "$WORK/facts"); leg_lost=${2:-0}
set -- $(grep '^pcsclite ' "$WORK/facts"); lib_edges=${2:-0} lib_lost=${3:-x} lib_late=${4:-x} lib_unseen=${5:-x}
set -- $(grep '^reasons ' "$WORK/facts"); other=${2:-x}
check "the verdict has no reason but late wakeups (${other} other)" [ "$other" = 0 ]
check "the legacy client lost wakeups ($leg_lost)" [ "$leg_lost" -ge 1 ]
check "libpcsclite clients lost none ($lib_lost of $lib_edges judged)" \
	sh -c "[ '$lib_edges' -gt 0 ] && [ '$lib_lost' = 0 ]"
check "libpcsclite clients saw every edge before the next one ($lib_unseen unseen; late past 50 ms: $lib_late)" \
	[ "$lib_unseen" = 0 ]
finish
