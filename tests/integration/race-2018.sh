#!/bin/sh
# The real 2018 race (issue 16): pcsc-lite 1.8.23 and 1.8.24 built from
# upstream's history (`ccidlab mkroot --pcsc-lite`, cached by commit id in
# $CCIDLAB_ROOT_CACHE or /var/cache/ccidlab/roots), each pcscd with its own
# libpcsclite.  The checker's positive-control stimulus (a mute card that
# makes libpcsclite sleep 400 ms between fetching the states and
# registering, and pairs of edges 480..720 ms apart) with every monitor in
# a process of its own: 1.8.23 loses wakeups within 60 s, 1.8.24 none.
# The same monitors as threads of one process on 1.8.23 are reported, not
# asserted: before 1.8.24 the threads of a process share one reader-state
# buffer, and one thread's fetch can rescue another in its window.  The
# reproducer `ccidlab repro lost --variant race2018` gives FAIL on 1.8.23
# and PASS on 1.8.24.
# The history: $CCIDLAB_PCSC_LITE_SRC, else the project's shared test data
# beside the checkout, else a history already in the cache.  The first run
# makes the build base (debootstrap, a mirror) and two builds: minutes.
. "$top_srcdir/tests/integration/lib.sh"
N=8
plan $N

[ "$(id -u)" -eq 0 ] || skip_all "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null 2>&1 || skip_all "debootstrap is not installed"
command -v cc >/dev/null 2>&1 || skip_all "no C compiler for the reproducer"
CACHE=${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}
src=$(pcsc_lite_history) || skip_all "no pcsc-lite history (set CCIDLAB_PCSC_LITE_SRC)"
# Cold (a clean machine, CI's first run), the roots are built here: the
# build base from the Debian mirror, then the two builds.  Without the
# mirror that cannot be, and the test says so.
cached() { # REF: its root is in the cache
	c=$("$CCIDLAB" mkroot --pcsc-lite "$1" --src "$src" --print-src 2>/dev/null |
		sed -n 's/^commit //p')
	[ -n "$c" ] && [ -f "$CACHE/pcsc-lite/$c/.ccidlab-root" ]
}
if ! { cached 1.8.23 && cached 1.8.24; } && [ ! -f "$CACHE/base-bookworm/.ccidlab-root" ]; then
	mirror=$("$CCIDLAB" mkroot --print-mirror 2>&1) || skip_all "no Debian mirror: $mirror"
	"$PYTHON3" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/dists/bookworm/Release", timeout=20).read(64)' "$mirror" \
		2>/dev/null || skip_all "no build base cached and the mirror $mirror is unreachable"
	diag "no build base in $CACHE: this run makes it and builds 1.8.23 and 1.8.24 (minutes)"
fi
T0=$(date +%s)
# at: seconds since the test began (CI's budget counts them: cold, the
# build base and two builds come first).
at() { echo "at $(( $(date +%s) - T0 )) s"; }

build() { # REF: makes (or reuses) its root; ROOT and its time
	t0=$(date +%s)
	"$CCIDLAB" mkroot --pcsc-lite "$1" --src "$src" > "$WORK/mkroot-$1.out" 2> "$WORK/mkroot-$1.err"
	rc=$?
	ROOT=$(sed -n 's/^root //p' "$WORK/mkroot-$1.out")
	diag "mkroot --pcsc-lite $1: exit $rc, $(( $(date +%s) - t0 )) s: $(head -n 1 "$WORK/mkroot-$1.out")"
	[ $rc -eq 0 ] || diag "$(tail -n 15 "$WORK/mkroot-$1.err")"
	check "mkroot --pcsc-lite $1 built (or reused) a root with pcscd $1" \
		sh -c "[ $rc -eq 0 ] && [ -x '$ROOT/usr/sbin/pcscd' ] &&
			grep -q '^pcsc_lite=$1\$' '$ROOT/.ccidlab-root'"
}
build 1.8.23
R23=$ROOT
build 1.8.24
R24=$ROOT
[ -n "$R23" ] && [ -n "$R24" ] || skip_all "no root: the builds failed (their logs above)"

conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/eva" eva "emu:generic-apdu-irq:name=eva:card=none"
reader_conf "$conf/evb" evb "emu:generic-t1-irq:name=evb:card=none"
reader_conf "$conf/wide" wide "emu:generic-apdu-irq:name=wide:card=none"
# pairs NAME ROOT [--processes]: the positive control's stimulus, 8 pairs
# (about 55 s); prints "lost first_lost_s edges".
pairs() {
	name=$1 root=$2; shift 2
	lab "$name" --conf "$conf" --root "$root" -- ccidlab check-events --json --quiet \
		--clients 4 --widener --widener-reader wide "$@" --control-pairs 8 --seed 2018 \
		> "$WORK/$name.json" 2> "$WORK/$name.err"
	echo "exit $?" >> "$WORK/$name.err"
	"$PYTHON3" - "$WORK/$name.json" <<'EOP' 2>> "$WORK/$name.err"
import json, sys
d = json.load(open(sys.argv[1]))
k = {c["name"]: c for c in d["classes"]}
lost = k["lost"]
first = lost.get("example") or {}
print(lost["count"], "%.1f" % first.get("at_s", -1), d["modes"]["event"]["edges"])
EOP
}
set -- $(pairs procs23 "$R23" --processes)
diag "$(at): 1.8.23, monitors as processes: lost ${1:-?}, first at ${2:-?} s, ${3:-?} edge x client pairs"
[ -n "${1:-}" ] || diag "$(tail -c 1500 "$WORK/procs23.err")"
check "1.8.23 with its own libpcsclite loses wakeups within 60 s (${1:-?}, first at ${2:-?} s)" \
	sh -c "[ '${1:-0}' -ge 1 ] && awk 'BEGIN { exit !(${2:-99} >= 0 && ${2:-99} < 60) }'"
set -- $(pairs procs24 "$R24" --processes)
diag "$(at): 1.8.24, monitors as processes: lost ${1:-?}, ${3:-?} edge x client pairs"
[ -n "${1:-}" ] || diag "$(tail -c 1500 "$WORK/procs24.err")"
check "1.8.24 with its own libpcsclite loses none (${1:-?} of ${3:-?})" \
	sh -c "[ '${1:-x}' = 0 ] && [ '${3:-0}' -gt 10 ]"
# pcscd's names on 1.8.23: ccidlab list shows them, and --widener-reader
# takes one (the threads run below names the widener so).
lab names23 --conf "$conf" --root "$R23" -- ccidlab list --json > "$WORK/list23.json" 2>&1
wide=$("$PYTHON3" -c 'import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    for r in d.get("readers", []):
        if r["name"] == "wide":
            print(r["slots"][0].get("pcsc_name") or "")' "$WORK/list23.json" 2>/dev/null)
check "ccidlab list on 1.8.23 shows pcscd's name of each reader (wide: \"$wide\")" \
	sh -c "echo '$wide' | grep -qx 'wide [0-9A-F][0-9A-F] 00'"
set -- $(pairs threads23 "$R23" --widener-reader "${wide:-wide}")
diag "$(at): 1.8.23, monitors as threads of one process: lost ${1:-?} (reported: threads share one" \
	"reader-state buffer before 1.8.24, and one thread's fetch rescues another)"
check "1.8.23 with monitors as threads ran to its report (lost ${1:-?})" test -n "${1:-}"

# The reproducer, as a maintainer would run it.
"$CCIDLAB" repro lost --variant race2018 --emit "$WORK/repro" > /dev/null &&
	(cd "$WORK/repro" && make -s 2> "$WORK/repro.cc")
# repro ROOT: its verdict line and exit status, run from inside the root.
repro() {
	dir=$1/var/tmp/ccidlab-repro.$$
	mkdir -p "$dir" && cp "$WORK/repro/repro" "$dir/"
	lab "repro$2" --conf "$WORK/repro/reader.conf.d" --root "$1" -- \
		"/var/tmp/ccidlab-repro.$$/repro" > "$WORK/repro$2.out" 2>&1
	echo "exit $?" >> "$WORK/repro$2.out"
	rm -rf "$dir"
	grep '^verdict\|^exit' "$WORK/repro$2.out" | tr '\n' ' '
}
v23=$(repro "$R23" 23)
v24=$(repro "$R24" 24)
diag "reproducer on 1.8.23: $v23"
diag "reproducer on 1.8.24: $v24"
diag "$(at): the reproducers done"
check "the race2018 reproducer fails on 1.8.23 ($v23)" \
	sh -c "echo '$v23' | grep -q 'verdict: FAIL.*exit 1'"
check "the race2018 reproducer passes on 1.8.24 ($v24)" \
	sh -c "echo '$v24' | grep -q 'verdict: PASS.*exit 0'"
finish
