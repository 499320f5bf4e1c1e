#!/bin/sh
# The driver exports exactly the ten IFDH functions pcscd binds, nothing else.
. "$top_srcdir/tests/integration/lib.sh"
plan 2
so="$DRIVER"
nm -D --defined-only "$so" | awk '{print $3}' | sort > "$WORK/got"
check "libccidlab.so defines exactly the symbols of src/ifd/exports.txt" \
	cmp -s "$WORK/got" "$top_srcdir/src/ifd/exports.txt"
[ "$tap_failed" -eq 0 ] || diag "$(diff "$top_srcdir/src/ifd/exports.txt" "$WORK/got")"
funcs=$(nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "W" || $2 == "i" {print $3}' | grep -vc '^IFDH')
check "no function outside the IFDH entry points is exported ($funcs found)" [ "$funcs" -eq 0 ]
finish
