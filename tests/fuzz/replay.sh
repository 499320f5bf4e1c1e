#!/bin/sh
# Replays every fuzz target's seed corpus once (TAP).  A crash, a sanitizer
# report or a non-zero exit fails that target.
: "${top_srcdir:?}" "${top_builddir:?}"
n=0
for t in $FUZZ_TARGETS; do n=$((n + 1)); done
if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP no fuzz target is registered in this build"
	exit 0
fi
echo "1..$n"
i=0
for t in $FUZZ_TARGETS; do
	i=$((i + 1))
	corpus="$top_srcdir/tests/fuzz/corpus/$t"
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
		echo "not ok $i - $t: no seed corpus in tests/fuzz/corpus/$t"
		continue
	fi
	count=$(ls "$corpus" | wc -l)
	if out=$("$top_builddir/tests/fuzz/$t" -runs=1 "$corpus"/* 2>&1); then
		echo "ok $i - $t replays its $count seed inputs"
	else
		echo "not ok $i - $t fails on its corpus"
		printf '%s\n' "$out" | tail -30 | sed 's/^/# /'
	fi
done
