#!/bin/sh
# Every header compiles alone (STYLE.md rule 3): each one, included by
# itself into an empty translation unit with the project's include path
# and its libraries' flags, compiles without a warning.  A header that
# leans on what its includer happened to include first fails here.
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"
: "${HEADER_CC:?run through make check}"
cd "$top_srcdir" || exit 1
headers=$(find src tests/unit -name '*.h' | LC_ALL=C sort)
n=0
for h in $headers; do n=$((n + 1)); done
echo "1..$n"
i=0
for h in $headers; do
	i=$((i + 1))
	case $h in
	src/*) inc=${h#src/} ;;
	*) inc=$(basename "$h") ;;
	esac
	# shellcheck disable=SC2086
	if out=$(printf '#include "%s"\n' "$inc" |
		$HEADER_CC -std=gnu11 -fsyntax-only -Werror $HEADER_CFLAGS \
			-I"$top_srcdir/src" -I"$top_srcdir/tests/unit" -I"$top_builddir" \
			-D_GNU_SOURCE -x c - 2>&1); then
		echo "ok $i - $h compiles alone"
	else
		echo "not ok $i - $h compiles alone"
		printf '%s\n' "$out" | head -20 | sed 's/^/# /'
	fi
done
