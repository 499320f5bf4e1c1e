#!/bin/sh
# README's examples, run as written: the reader.conf.d entries and the
# timeline of "Emulated readers", the pcsc_scan run that section shows, and
# the control session of "Control your readers" (with my.scn), each in a
# lab from the build tree (no CCIDLAB_READERS_TSV: the lab finds the build
# tree's catalogue itself); the checker's positive control of "Event
# delivery checker" (its three entries and its command, about 30 s), whose
# claims (the legacy client loses wakeups, libpcsclite none) are checked.
# What README shows must be what comes out;
# only what changes from run to run is normalised (normalise() below).
# The comparison is also run against a copy of README with one shown
# output changed by hand, which it must catch.
#
# README_INSTALLED=yes: the same examples with the `ccidlab` on PATH as it
# is (the installed one, its bundle, catalogue and /etc), not the build
# tree's: deb-package.sh runs this so in the root where it installed the
# package.
. "$top_srcdir/tests/integration/lib.sh"
plan 12
unset CCIDLAB_READERS_TSV
README=$top_srcdir/README
if [ "${README_INSTALLED:-no}" = yes ]; then
	diag "the installed copy: $(command -v ccidlab), $(ccidlab version 2>&1 | head -n 1)"
else
	PATH="$top_builddir/src/cli:$PATH"
	export PATH
fi
command -v pcsc_scan > /dev/null || { echo "1..0 # SKIP pcsc_scan (pcsc-tools) is not installed"; exit 0; }

# block_after FILE PATTERN: the first block indented by 4 spaces after the
# first line matching PATTERN, unindented (blank lines inside it kept).
block_after() {
	awk -v pat="$2" '
		!found && $0 ~ pat { found = 1; next }
		found && !inside && /^    / { inside = 1 }
		inside && /^    / { sub(/^    /, ""); print; next }
		inside && /^$/ { held = held "\n"; next }
		inside { exit }
		{ if (held != "") held = "" }
	' "$1" | awk 'BEGIN { blank = 0 } /^$/ { blank++; next } { while (blank > 0) { print ""; blank-- } print }'
}

# What differs from run to run: pcsc_scan's dates and spinner (\r), the
# edge stream's CLOCK_MONOTONIC times, a polled reader's command count,
# a storm's elapsed seconds.  Trailing spaces and blank lines go too.
normalise() {
	sed -e 's/.*\r//' -e 's/[[:space:]]*$//' \
	    -e 's/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} [0-9]\{4\}$/DATE/' \
	    -e 's/^\( *[0-9]\{1,\}\) \{1,\}[0-9]\{1,\}\.[0-9]\{6\}  /\1  TIME  /' \
	    -e 's/^\( *\)[0-9]\{1,\} commands,/\1N commands,/' \
	    -e 's/, [0-9.]\{1,\}\/\([0-9.]\{1,\}\) s,/, S\/\1 s,/' | grep -v '^$'
}

# ---- the inputs, from README ----
mkdir -p "$WORK/conf" "$WORK/run"
block_after "$README" '^One reader in event mode' > "$WORK/entries"
block_after "$README" 'toggle.scn a timeline' > "$WORK/toggle.scn"
block_after "$README" '^with my\.scn' > "$WORK/run/my.scn"
block_after "$README" 'A session a tester can paste' > "$WORK/session.want"
check "README holds the reader entries, toggle.scn, the session and my.scn" \
	sh -c "grep -q '^FRIENDLYNAME' '$WORK/entries' && grep -q '^\[step 1\]' '$WORK/toggle.scn' &&
	       [ \$(grep -c '^\\$ ccidlab' '$WORK/session.want') -ge 8 ] &&
	       grep -q '^\[step 1\]' '$WORK/run/my.scn'"
# The timeline's path is README's /etc/ccidlab/toggle.scn: the test's
# copy stands in for it.
sed "s#/etc/ccidlab/toggle.scn#$WORK/toggle.scn#" "$WORK/entries" > "$WORK/conf/bench"

# ---- "What a tester sees" ----
cmd=$(sed -n 's/^What a tester sees (`\([^`]*\)`.*/\1/p' "$README")
check "README names the tester's command" [ -n "$cmd" ]
block_after "$README" '^What a tester sees' > "$WORK/scan.want"
cmd=$(printf '%s' "$cmd" | sed "s#--conf DIR#--conf $WORK/conf#")
sh -c "$cmd" > "$WORK/scan.got" 2> "$WORK/scan.err"
rc=$?
check "the tester's command exits 0 ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$(cat "$WORK/scan.err")"

# ---- the control session ----
block_after "$README" 'A session a tester can paste' > "$WORK/session.want"
# The session's readers: the entries above with card=none and no timeline.
mkdir -p "$WORK/conf2"
sed -e 's/:card=[^:]*/:card=none/' -e 's/:scenario=[^:]*//' "$WORK/entries" > "$WORK/conf2/bench"
# Each command echoed as README shows it, then run without its comment.
sed -n 's/^\$ //p' "$WORK/session.want" | while IFS= read -r line; do
	quoted=$(printf '%s' "\$ $line" | sed "s/'/'\\\\''/g")
	printf "printf '%%s\\\\n' '%s'\n%s 2>&1\n" "$quoted" "$(printf '%s' "$line" | sed 's/[[:space:]]\{2,\}#.*$//')"
done > "$WORK/run/session.sh"
(cd "$WORK/run" && ccidlab lab --quiet --conf "$WORK/conf2" -- sh session.sh) > "$WORK/session.got" 2>&1
rc=$?
check "the session runs in a lab, every command exits 0 ($rc)" [ "$rc" -eq 0 ]

# compare NAME README-FILE: README's shown output against the run's.
compare() {
	block_after "$2" '^What a tester sees' | normalise > "$WORK/$1.scan.want"
	block_after "$2" 'A session a tester can paste' | normalise > "$WORK/$1.session.want"
	normalise < "$WORK/scan.got" > "$WORK/$1.scan.got"
	normalise < "$WORK/session.got" > "$WORK/$1.session.got"
	cmp -s "$WORK/$1.scan.want" "$WORK/$1.scan.got" &&
		cmp -s "$WORK/$1.session.want" "$WORK/$1.session.got"
}
if compare real "$README"; then
	ok "README's outputs are what the examples print"
else
	not_ok "README's outputs are what the examples print"
	diag "$(diff -u "$WORK/real.scan.want" "$WORK/real.scan.got")"
	diag "$(diff -u "$WORK/real.session.want" "$WORK/real.session.got")"
fi

# ---- the checker's positive control ----
# README's block after the sentence naming the readers: the three entries,
# then the command (a blank line apart, its lines joined).
block_after "$README" 'three event-mode readers, two that the pairs toggle' > "$WORK/control.block"
mkdir -p "$WORK/control"
grep -E '^(FRIENDLYNAME|DEVICENAME|LIBPATH|$)' "$WORK/control.block" > "$WORK/control/readers"
cmd=$(sed -n '/^ccidlab lab/,$p' "$WORK/control.block" | sed 's/\\$//' | tr '\n' ' ')
check "README holds the positive control's three readers and its command" \
	sh -c "[ \$(grep -c '^FRIENDLYNAME' '$WORK/control/readers') -eq 3 ] &&
		echo '$cmd' | grep -q -- '--expect-legacy-loss'"
cmd=$(printf '%s' "$cmd" | sed "s#--conf DIR#--conf $WORK/control#")
t0=$(date +%s)
sh -c "$cmd" > "$WORK/control.got" 2> "$WORK/control.err"
rc=$?
took=$(( $(date +%s) - t0 ))
legacy=$(sed -n 's/^legacy (pre-1.8.24) client: \([0-9]*\) lost.*/\1/p' "$WORK/control.got")
lib=$(awk '/^event  *= all libpcsclite clients/ { print $(NF - 3) }' "$WORK/control.got")
diag "positive control: exit $rc in $took s, legacy client lost ${legacy:-?} (README: 6), libpcsclite lost ${lib:-?};" \
	"$(grep '^verdict' "$WORK/control.got")"
# A libpcsclite wakeup past the 50 ms bound on a loaded machine makes the
# verdict FAIL (exit 1) with no loss: a timing figure, as in
# check-control.sh; a loss or no report is not.
check "the positive control runs as written to its verdict ($rc)" \
	sh -c "[ $rc -le 1 ] && grep -q '^verdict: ' '$WORK/control.got'"
[ "$rc" -le 1 ] || diag "$(tail -n 20 "$WORK/control.err")"
check "and, as README says, the legacy client lost wakeups (${legacy:-none})" \
	sh -c "[ '${legacy:-0}' -ge 1 ]"
check "and libpcsclite lost none (${lib:-no row})" [ "${lib:-x}" = 0 ]

# ---- README changed by hand must be caught ----
sed 's/^\( *Event number: \)2$/\13/' "$README" > "$WORK/README.scan"
check "the change by hand is in the copy (pcsc_scan)" sh -c "! cmp -s '$README' '$WORK/README.scan'"
if compare scan "$WORK/README.scan"; then not_ok "a changed pcsc_scan output fails the comparison"
else ok "a changed pcsc_scan output fails the comparison"; fi
sed 's/^\( *storm 1: done, \)\([0-9]*\) edges/\1\2 edges and more/' "$README" > "$WORK/README.session"
if ! cmp -s "$README" "$WORK/README.session" && ! compare session "$WORK/README.session"; then
	ok "a changed session output fails the comparison"
else
	not_ok "a changed session output fails the comparison"
fi
finish
