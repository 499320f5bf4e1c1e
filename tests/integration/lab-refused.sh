#!/bin/sh
# `ccidlab lab` names every reader.conf.d entry pcscd refused, with the
# driver's reason, on stderr, and stops (status 125) unless
# --allow-refused; a build tree's lab finds the build tree's catalogue
# without CCIDLAB_READERS_TSV.
. "$top_srcdir/tests/integration/lib.sh"
plan 9
unset CCIDLAB_READERS_TSV
conf="$WORK/conf"
mkdir -p "$conf"
# pcscd reads the directory in readdir order: with only two entries the
# refused one may come first, which also covers a driver unloaded by
# pcscd after its first reader failed, then loaded again.
reader_conf "$conf/a" Refused emu:no-such-profile:card=none
reader_conf "$conf/b" Catalogue "emu:ACR38U-CCID.txt:mode=poll:card=readertest@t0:name=acr"

lab refused --conf "$conf" -- sh -c "touch '$WORK/ran'" 2> "$WORK/err"
rc=$?
check "a refused entry stops the lab with status 125 ($rc)" [ "$rc" -eq 125 ]
check "the command did not run" [ ! -e "$WORK/ran" ]
check "stderr names the entry, its DEVICENAME and the driver's reason" grep -q \
	"^ccidlab lab: pcscd refused reader \"Refused\" (DEVICENAME \"\\?emu:no-such-profile:card=none\"\\?): unknown profile 'no-such-profile'" \
	"$WORK/err"
check "stderr says how to run the command anyway" grep -q -- "--allow-refused runs it anyway" "$WORK/err"
[ "$rc" -eq 125 ] || diag "$(cat "$WORK/err")"

lab allowed --allow-refused --conf "$conf" -- sh -c "'$CCIDLAB' list > '$WORK/list'" 2> "$WORK/err2"
rc=$?
check "with --allow-refused the command runs and its status is the lab's ($rc)" [ "$rc" -eq 0 ]
check "with --allow-refused the refusal is still named" grep -q 'pcscd refused reader "Refused"' "$WORK/err2"
check "the build tree's catalogue was found without CCIDLAB_READERS_TSV (ACR38U opened)" \
	grep -q "acr .*ACR38U" "$WORK/list"
[ "$rc" -eq 0 ] || diag "$(cat "$WORK/err2")"

rm -f "$conf/a"
lab clean --conf "$conf" -- true 2> "$WORK/err3"
rc=$?
check "with every entry taken the lab runs the command ($rc)" [ "$rc" -eq 0 ]
check "and names no refusal" sh -c "! grep -q refused '$WORK/err3'"
finish
