#!/bin/sh
# --html (issue 16): the reports of bisect, check-events and matrix as one
# self-contained page each, opened in Debian's headless Chromium
# (tests/integration/clients/html_check.py): no script and nothing fetched,
# a screenshot that is not blank, no console message, and on the page
# every class the data holds.  bisect's page is drawn from a recorded
# result (tests/data/bisect-lost-1.8.23-1.8.24.json, the 1.8.23..1.8.24
# bisect of README) with --replay; check-events and matrix run a short
# storm against the host's pcscd.
. "$top_srcdir/tests/integration/lib.sh"
N=3
plan $N
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	i=0; while [ $i -lt $N ]; do skip "no $CHROMIUM (Debian: chromium)"; i=$((i + 1)); done
	exit 0
fi
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
finish
