#!/bin/sh
# `ccidlab repro` (issue 16): the reproducers a maintainer gets, built as
# their README says (make, against the host's libpcsclite headers) and run
# in labs: "lost" fails on Debian sid's pcsc-lite 2.5.x (its threads wait
# for libpcsclite's process-wide lock while one of them sleeps 400 ms on
# the mute card) and passes on the host's 1.9.9; "state UNKNOWN" fails on
# 2.5.x and passes on 1.9.9.  Each within a minute, with a verdict line
# and its exit status.  The sid root is the one `ccidlab mkroot` makes
# (cached, as in lab-root.sh).
. "$top_srcdir/tests/integration/lib.sh"
N=7
plan $N

command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || skip_all "no C compiler or make"
emit() { # CLASS DIR [--variant V]
	klass=$1 dir=$2; shift 2
	"$CCIDLAB" repro "$klass" --emit "$dir" "$@" > "$WORK/emit.out" 2>&1 &&
		(cd "$dir" && make -s > "$WORK/make.out" 2>&1)
}
emit lost "$WORK/lost"
rc=$?
check "ccidlab repro lost --emit writes a program that builds as its README says (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && [ -x '$WORK/lost/repro' ] && [ -f '$WORK/lost/README' ] &&
		[ \$(ls '$WORK/lost/reader.conf.d' | wc -l) -eq 3 ] &&
		grep -q 'ccidlab lab --conf reader.conf.d -- ./repro' '$WORK/lost/README'"
emit "state UNKNOWN" "$WORK/unknown"
"$CCIDLAB" repro phantasm --emit "$WORK/none" > /dev/null 2> "$WORK/none.err"
rc=$?
check "a class it has no reproducer for is refused with the list (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q '\"state UNKNOWN\"' '$WORK/none.err' && [ ! -e '$WORK/none' ]"

# run NAME DIR [lab options]: the reproducer in a lab; prints its verdict
# line, seconds and exit status.
run() {
	name=$1 dir=$2 root=; shift 2
	exe=$dir/repro
	case "$*" in
	*--root*)
		root=$2
		mkdir -p "$root/var/tmp/ccidlab-repro.$$" && cp "$dir/repro" "$root/var/tmp/ccidlab-repro.$$/"
		exe=/var/tmp/ccidlab-repro.$$/repro ;;
	esac
	t0=$(date +%s)
	lab "$name" --conf "$dir/reader.conf.d" "$@" -- "$exe" > "$WORK/$name.out" 2>&1
	rc=$?
	[ -n "${root:-}" ] && rm -rf "$root/var/tmp/ccidlab-repro.$$"
	echo "$(grep '^verdict' "$WORK/$name.out") ($(( $(date +%s) - t0 )) s, exit $rc)"
}
# failed_within_a_minute LINE: run's line says FAIL with exit 1, in 60 s or less.
failed_within_a_minute() {
	echo "$1" | grep -q '^verdict: FAIL.*exit 1)' &&
		[ "$(echo "$1" | sed -n 's/.*(\([0-9]*\) s,.*/\1/p')" -le 60 ]
}
host=$(pcscd -v 2>/dev/null | sed -n 's/^pcsc-lite version \(.*\)\.$/\1/p')
v=$(run host-lost "$WORK/lost")
diag "lost on the host's $host: $v"
case "$host" in
1.*) check "the lost reproducer passes on the host's $host ($v)" \
	sh -c "echo '$v' | grep -q '^verdict: PASS.*exit 0)'" ;;
*) skip "the host's pcsc-lite is $host, not 1.x: its lost verdict is reported ($v)" ;;
esac
v=$(run host-unknown "$WORK/unknown")
diag "state UNKNOWN on the host's $host: $v"
check "the state UNKNOWN reproducer passes on the host's $host ($v)" \
	sh -c "echo '$v' | grep -q '^verdict: PASS.*exit 0)'"

sid_root
[ -z "$no_root" ] || skip_all "the sid root: $no_root"
sid=$(sed -n 's/^pcsc-lite //p' "$WORK/mkroot.out")
v=$(run sid-lost "$WORK/lost" --root "$ROOT")
diag "lost on sid's $sid: $v"
diag "$(grep -m 3 'class "lost"\|=>' "$WORK/sid-lost.out")"
case "$sid" in
2.5.*) check "the lost reproducer fails on sid's $sid within a minute ($v)" \
	failed_within_a_minute "$v" ;;
*) skip "sid's pcsc-lite is $sid, not 2.5.x: its lost verdict is reported ($v)" ;;
esac
check "it explains each lost edge by the thread's calls and where it spent the 5 s" \
	sh -c "grep -q 'in the 5 s after the edge:' '$WORK/sid-lost.out' &&
		grep -q ' call -> ' '$WORK/sid-lost.out' && grep -q '=> ' '$WORK/sid-lost.out'"
# A race, hit within a few card moves of the storm's first burst (20 runs
# of 20 at load 20 and at real-time priority): one run, as for "lost".
v=$(run sid-unknown "$WORK/unknown" --root "$ROOT")
diag "state UNKNOWN on sid's $sid: $v"
diag "$(grep '^repro: [0-9]' "$WORK/sid-unknown.out")"
diag "$(grep -m 1 '(class "state UNKNOWN")' "$WORK/sid-unknown.out")"
case "$sid" in
2.5.*) check "the state UNKNOWN reproducer fails on sid's $sid within a minute ($v)" \
	failed_within_a_minute "$v" ;;
*) skip "sid's pcsc-lite is $sid, not 2.5.x ($v)" ;;
esac
finish
