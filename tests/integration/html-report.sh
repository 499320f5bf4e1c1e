#!/bin/sh
# --html (issue 16): the reports of bisect, check-events and matrix as one
# self-contained page each, opened in Debian's headless Chromium
# (tests/integration/clients/html_check.py): no script and nothing fetched,
# a screenshot that is not blank, no console message, and on the page
# every class the data holds.  bisect's page is drawn from a recorded
# result (tests/data/bisect-lost-1.8.23-1.8.24.json, the 1.8.23..1.8.24
# bisect of README) with --replay; check-events runs a short storm with a
# mute card against Debian sid's pcsc-lite when its root is in the cache
# (many classes), else the host's; the matrix's page is checked in
# matrix-quick.sh, on the quick matrix it runs anyway.
. "$top_srcdir/tests/integration/lib.sh"
N=6
plan $N
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (Debian: chromium)"
export CHROMIUM
# page NAME FILE EXPECT...: the browser's facts about one page.
page() {
	name=$1 file=$2; shift 2
	"$PYTHON3" "$top_srcdir/tests/integration/clients/html_check.py" "$file" "$WORK/$name.png" \
		"$@" > "$WORK/$name.facts" 2>&1
	rc=$?
	diag "$name: $(tr '\n' ';' < "$WORK/$name.facts")"
	return $rc
}

data=$top_srcdir/tests/data/bisect-lost-1.8.23-1.8.24.json
"$CCIDLAB" bisect --replay "$data" --html "$WORK/bisect.html" > "$WORK/bisect.txt" 2>&1
rc=$?
check "bisect --replay draws the recorded bisect (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'first fixed commit: 984f84df' '$WORK/bisect.txt'"
check "bisect's page in Chromium: the class, every step's commit and the answer" \
	page bisect "$WORK/bisect.html" lost 984f84df10e2 0127d3c73d0a 2f99e761e000 \
	54224a4cbf60 e93d7199fe69 "Fix a rare race condition in SCardGetStatusChange()" \
	"First fixed commit"
check "the recorded bisect's page is one file: no script, nothing fetched" \
	sh -c "! grep -qi '<script\|src=\|href=' '$WORK/bisect.html'"
# The names of the classes a check-events --json report counted.
classes_of() {
	"$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("\n".join(c["name"] for c in d["classes"] if c["count"] > 0))' "$1"
}
CACHE=${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}
conf="$WORK/conf"
mkdir -p "$conf"
i=0
while [ $i -lt 8 ]; do
	p=""; [ $i -ge 6 ] && p=":mode=poll"
	reader_conf "$conf/r$i" "r0$i" "emu:generic-apdu-irq:name=r0$i:card=none$p"
	i=$((i + 1))
done
set -- ccidlab check-events --json --quiet --clients 16 --storm 50 --duration 8 --widener \
	--timeout-ms inf --pnp yes
if [ "$(id -u)" -eq 0 ] && [ -f "$CACHE/sid/.ccidlab-root" ]; then
	where="sid's pcsc-lite"
	mkdir -p "$CACHE/sid/var/tmp/ccidlab-html.$$"
	lab events --conf "$conf" --root "$CACHE/sid" -- "$@" \
		--html "/var/tmp/ccidlab-html.$$/events.html" > "$WORK/events.json" 2> "$WORK/events.err"
	rc=$?
	mv "$CACHE/sid/var/tmp/ccidlab-html.$$/events.html" "$WORK/events.html" 2>/dev/null
	rm -rf "$CACHE/sid/var/tmp/ccidlab-html.$$"
else
	where="the host's pcsc-lite (no sid root in $CACHE)"
	lab events --conf "$conf" -- "$CCIDLAB" check-events --json --quiet --clients 16 \
		--storm 50 --duration 8 --widener --timeout-ms inf --pnp yes \
		--html "$WORK/events.html" > "$WORK/events.json" 2> "$WORK/events.err"
	rc=$?
fi
classes_of "$WORK/events.json" > "$WORK/events.classes" 2>/dev/null
diag "check-events on $where: exit $rc, classes: $(tr '\n' ',' < "$WORK/events.classes")"
check "check-events --html wrote its page ($where, exit $rc)" \
	sh -c "[ $rc -le 1 ] && [ -s '$WORK/events.html' ] && [ -s '$WORK/events.classes' ]"
set --
while read -r c; do set -- "$@" "$c"; done < "$WORK/events.classes"
check "check-events' page in Chromium: every class the run counted ($#), the histograms" \
	page events "$WORK/events.html" "$@" "event mode: edge to wakeup" \
	"Anomaly classes (libpcsclite clients)"
check "check-events' page draws a figure for each of them" \
	sh -c "[ \$(grep -c ': first occurrence' '$WORK/events.html') -eq $# ] &&
		[ \$(grep -c '<svg' '$WORK/events.html') -ge $# ]"
finish
