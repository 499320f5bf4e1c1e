#!/bin/sh
# A root lab (issue 10): `ccidlab mkroot` makes (or reuses) a Debian sid
# root in a cache dir, and `ccidlab lab --root` runs the root's pcscd and
# the command chrooted in it: its pcscd and its client library answer,
# pcsc_scan lists the emulated readers, the control socket works from
# inside, check-events loses nothing, exit statuses come through, and no
# process (even one the command left in the background) or mount stays
# behind, even when the lab is stopped by a signal.
# The first run downloads the root (about 30 s on a near mirror).
. "$top_srcdir/tests/integration/lib.sh"
N=11
plan $N

[ "$(id -u)" -eq 0 ] || skip_all "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null 2>&1 || skip_all "debootstrap is not installed"
CACHE=${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}
ROOT=$CACHE/sid
if [ ! -f "$ROOT/.ccidlab-root" ]; then
	mirror=$("$CCIDLAB" mkroot --print-mirror 2>&1) || skip_all "no Debian mirror: $mirror"
	"$PYTHON3" -c 'import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/dists/sid/Release", timeout=20).read(64)' "$mirror" \
		2>/dev/null || skip_all "the mirror $mirror is unreachable"
fi

mounts_of_root() { grep -c -F "$ROOT" /proc/self/mountinfo; }
mounts0=$(mounts_of_root)

t0=$(date +%s)
"$CCIDLAB" mkroot "$ROOT" > "$WORK/mkroot.out" 2> "$WORK/mkroot.err"
rc=$?
t1=$(date +%s)
[ $rc -eq 0 ] || diag "mkroot exit $rc: $(tail -n 8 "$WORK/mkroot.err")"
version=$(sed -n 's/^pcsc-lite //p' "$WORK/mkroot.out")
upstream=${version%-*}
diag "mkroot: $((t1 - t0)) s, pcsc-lite $version ($(cat "$WORK/mkroot.err"))"
check "mkroot made or reused a root with pcsc-lite ($version)" \
	sh -c "[ $rc -eq 0 ] && [ -n '$upstream' ] && [ -x '$ROOT/usr/sbin/pcscd' ]"
# Reused, not made again: it says so, and the root's files are the same
# ones (inode and mtime of its pcscd and dpkg status: a remake empties the
# directory and runs debootstrap again).  The seconds are a figure, not a
# bound: 9 s were seen with both cores busy (make check-loaded).
root_id() { stat -c '%i %Y' "$ROOT/usr/sbin/pcscd" "$ROOT/var/lib/dpkg/status" 2>/dev/null | tr '\n' ' '; }
id0=$(root_id)
t0=$(date +%s)
"$CCIDLAB" mkroot "$ROOT" > "$WORK/mkroot2.out" 2>&1
rc=$?
t1=$(date +%s)
id1=$(root_id)
check "a second mkroot reuses it, its files untouched ($((t1 - t0)) s)" \
	sh -c "[ $rc -eq 0 ] && grep -q reusing '$WORK/mkroot2.out' && [ -n '$id0' ] && [ '$id0' = '$id1' ]"

mkdir -p "$WORK/notroot"
echo keep > "$WORK/notroot/file"
"$CCIDLAB" mkroot "$WORK/notroot" --force > /dev/null 2> "$WORK/notroot.err"
rc=$?
check "mkroot --force refuses to empty a directory that is no root (exit $rc)" \
	sh -c "[ $rc -eq 1 ] && grep -qx keep '$WORK/notroot/file' &&
		grep -q 'does not look like a Debian root' '$WORK/notroot.err'"

conf="$WORK/conf"
mkdir -p "$conf"
i=0
while [ $i -lt 8 ]; do
	reader_conf "$conf/r$i" "rr$i" "emu:generic-apdu-irq:name=rr$i:card=none"
	i=$((i + 1))
done
# One lab for the static facts: versions, readers, the control socket.
lab facts --conf "$conf" --root "$ROOT" -- sh -c '
	pcscd --version | head -n 1
	echo "pid $CCIDLAB_PCSCD_PID"
	timeout 10 pcsc_scan -r
	ccidlab insert rr3 --card readertest && ccidlab list rr3 && ccidlab remove rr3
	echo "ctl $?"' > "$WORK/facts" 2>&1
rc=$?
[ $rc -eq 0 ] || diag "exit $rc: $(head -c 2000 "$WORK/facts")"
log=$(lab_log facts)
check "the root's pcscd runs (pcsc-lite $upstream daemon ready)" \
	sh -c "grep -q 'pcsc-lite version $upstream' '$WORK/facts' &&
		grep -q 'pcsc-lite $upstream daemon ready' '$log'"
check "pcsc_scan -r in the root lists the 8 emulated readers" \
	sh -c "[ \$(grep -c '^[0-7]: rr[0-7] [0-9][0-9] 00$' '$WORK/facts') -eq 8 ]"
check "ccidlab insert, list and remove work from inside the root" \
	sh -c "grep -q 'present' '$WORK/facts' && grep -qx 'ctl 0' '$WORK/facts'"

lab storm --conf "$conf" --root "$ROOT" -- "$CCIDLAB" check-events --json --quiet \
	--clients 8 --storm 10 --duration 3 --seed 11 > "$WORK/report.json" 2> "$WORK/stderr"
rc=$?
[ $rc -le 1 ] || diag "exit $rc: $(head -c 2000 "$WORK/stderr")"
"$PYTHON3" - "$WORK/report.json" > "$WORK/ev" 2>&1 <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["modes"]["event"]
print(e["edges"], e["lost"], e["late"], e["phantom"],
      sum(sum(c["errors"].values()) for c in d["clients"]), d["verdict"])
EOP
set -- $(cat "$WORK/ev")
diag "check-events in the root: edges ${1:-?} lost ${2:-?} late ${3:-?} phantom ${4:-?}" \
	"errors ${5:-?} verdict ${6:-?}"
# Only what must hold on every version is asserted (issue 10): it runs to
# its verdict (0 pass, 1 anomalies found) and no wakeup is lost.  What it
# finds on the root's version is reported above, not asserted.
check "check-events in the root: exit $rc, ${1:-no} edges judged, 0 lost" \
	sh -c "[ $rc -le 1 ] && [ '${1:-0}' -gt 50 ] && [ '${2:-x}' = 0 ]"
# pcsc_scan is the root's own: a client that speaks its protocol is on
# the root's libpcsclite.
protos=$(grep -o 'Client is protocol version [0-9:]*' "$log" "$(lab_log storm)" |
	sed 's/.*version //' | sort -u)
check "ccidlab's clients speak the root's protocol ($protos), as pcsc_scan does" \
	sh -c "[ -n '$protos' ] && [ \$(echo '$protos' | wc -l) -eq 1 ]"

lab status --root "$ROOT" -- sh -c 'exit 7'
rc1=$?
lab status2 --root "$ROOT" -- no-such-command-in-the-root 2>/dev/null
rc2=$?
check "exit statuses come through (7: $rc1, not found: $rc2)" \
	sh -c "[ $rc1 -eq 7 ] && [ $rc2 -eq 127 ]"

pid=$(sed -n 's/^pid //p' "$WORK/facts")
# gone PID: that process ends within 10 s (a killed orphan is a zombie
# until init reaps it).
gone() { [ -n "$1" ] && wait_for not_alive "$1"; }
no_mounts() { [ "$(mounts_of_root)" -eq "$mounts0" ]; }
check "no pcscd left ($pid) and no mount left under the root" eval 'gone "$pid" && no_mounts'

# The command leaves a process in the background: it goes with the lab.
lab_bg signal --conf "$conf" --root "$ROOT" -- sh -c '
	sleep 61 & echo "$CCIDLAB_PCSCD_PID $!" > /run/ccidlab-lab/lab-root-test.pid; sleep 60'
wait_for sh -c "ls ${TMPDIR:-/tmp}/ccidlab-lab.*/lab-root-test.pid >/dev/null 2>&1"
set -- $(cat ${TMPDIR:-/tmp}/ccidlab-lab.*/lab-root-test.pid 2>/dev/null | head -n 1)
spid=${1:-} bg=${2:-}
kill -TERM "$LAB_PID"
wait "$LAB_PID"
rc=$?
check "SIGTERM stops the root lab (exit $rc), its pcscd ($spid), the command's background job ($bg) and its mounts" \
	eval '[ $rc -eq 143 ] && gone "$spid" && gone "$bg" && no_mounts'
finish
