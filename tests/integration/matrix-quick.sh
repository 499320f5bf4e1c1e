#!/bin/sh
# The pcsc-lite version matrix (issue 10), quick suite, against the host's
# pcscd only: every cell in its own lab, the anomaly classes added up.
# What must hold on every version holds here: 0 lost wakeups, no crash,
# nothing unclassified; every class is in the report, with 0 when it never
# occurred; the cells beyond the version's reader limit are n/a.  Storms
# of 8 s (12 s by default) keep the test near 90 s.
. "$top_srcdir/tests/integration/lib.sh"
plan 6
start=$(date +%s)
"$CCIDLAB" matrix --quick --json --duration 8 --driver "$DRIVER" --work-dir "$WORK/m" \
	> "$WORK/matrix.json" 2> "$WORK/stderr"
rc=$?
took=$(( $(date +%s) - start ))
[ $rc -eq 0 ] || diag "exit $rc: $(tail -c 3000 "$WORK/stderr")"
diag "$(cat "$WORK/stderr")"
check "ccidlab matrix --quick passes on the host's pcscd (exit $rc, ${took} s)" [ $rc -eq 0 ]
expected=$(pcscd -v 2>/dev/null | sed -n 's/^pcsc-lite version \(.*\)\.$/\1/p')
"$PYTHON3" - "$WORK/matrix.json" > "$WORK/facts" 2>&1 <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["suite"] == "quick" and len(d["versions"]) == 1, d.keys()
v = d["versions"][0]
rows = {c["name"]: c for c in v["classes"]}
for name in ("lost", "late", "phantom", "false PnP change", "state UNKNOWN",
             "state UNAVAILABLE", "name vs SCardListReaders", "counter backwards",
             "counter mismatch", "timeout overrun", "error SCARD_E_TIMEOUT",
             "error SCARD_E_UNKNOWN_READER", "error SCARD_E_UNSUPPORTED_FEATURE", "other",
             "crash"):
    c = rows[name]
    for f in ("count", "per_call", "per_s", "asserted"):
        assert f in c, (name, f)
print("version", v["version"], v["max_readers"])
print("asserted", rows["lost"]["count"], rows["crash"]["count"], rows["other"]["count"])
print("cells", int(v["cells_run"]), int(v["cells_na"]))
print("totals", int(v["calls"]), int(v["edges"]))
na = [c["cell"] for c in v["cells"] if c["outcome"].startswith("n/a")]
print("na", *sorted(set(c.split()[0] for c in na)))
EOP
diag "$(cat "$WORK/facts")"
set -- $(grep '^version ' "$WORK/facts"); ver=$2 max=$3
set -- $(grep '^asserted ' "$WORK/facts"); lost=$2 crash=$3 other=$4
set -- $(grep '^cells ' "$WORK/facts"); run=$2 na=$3
set -- $(grep '^totals ' "$WORK/facts"); calls=$2 edges=$3
check "the column is the host's pcsc-lite, read in a lab ($ver, want $expected)" \
	sh -c "[ -n '$expected' ] && [ '$ver' = '$expected' ]"
check "0 lost, 0 crash, 0 unclassified ($lost, $crash, $other)" \
	sh -c "[ '$lost' = 0 ] && [ '$crash' = 0 ] && [ '$other' = 0 ]"
check "every class has a count, a rate per call and per second (0 when absent)" \
	grep -q '^cells' "$WORK/facts"
if [ "$max" = 16 ]; then
	check "16-reader limit: 6 cells run, the 32 and 64 reader cells n/a ($run run, $na n/a)" \
		sh -c "[ '$run' = 6 ] && [ '$na' = 2 ] && grep -qx 'na r32 r64' '$WORK/facts'"
else
	check "no reader limit: all 8 cells run ($run run, $na n/a)" \
		sh -c "[ '$run' = 8 ] && [ '$na' = 0 ]"
fi
check "the cells made calls and edges ($calls calls, $edges edges)" \
	sh -c "[ '${calls:-0}' -gt 1000 ] && [ '${edges:-0}' -gt 1000 ]"
finish
