#!/bin/sh
# ccidlab — the bundle's Info.plist (pcscd's USB match list), read back by
# an independent parser (python's plistlib, tests/check-plist.py): equal
# arrays, valid hex ids, no duplicate pair, every CCID interface of the
# catalogue listed; the checker refuses broken lists; ccidlab usb-ids
# selects and lists as documented.  No pcscd here: usb-driver-choice.sh
# shows what pcscd does with these files.
. "$top_srcdir/tests/integration/lib.sh"

CHECK="$PYTHON3 $top_srcdir/tests/check-plist.py"
IDS="$top_builddir/src/cli/ccidlab-usb-ids"
TSV="$top_srcdir/tests/data/readers.tsv"
BUILT="$top_builddir/Info.plist"
STAGED="$top_builddir/bundle/ifd-ccidlab.bundle/Contents/Info.plist"
# Distinct VID:PID pairs of CCID interfaces in the catalogue, and the test id.
PAIRS=$(awk -F '\t' 'NR > 1 && ($11 == "0x0B" || $11 == "0xFF") && $13 ~ /^[012]$/ { print $3 ":" $4 }' "$TSV" | sort -u | wc -l)
ALL=$((PAIRS + 1))

plan 22

if ! "$PYTHON3" -c 'import plistlib' 2>/dev/null; then
	for i in $(seq 22); do skip "python3 with plistlib ($PYTHON3) is missing"; done
	finish
fi

# 1-3: what the build made and staged.
if [ "$(grep -c "<string>0x" "$BUILT")" -eq $((2 * ALL)) ]; then
	check "the built Info.plist lists every catalogue pair and 1209:0002 ($ALL)" \
		$CHECK "$BUILT" --catalogue "$TSV" --count "$ALL"
else
	diag "built with --with-usb-ids other than all: structure only"
	check "the built Info.plist is well formed" $CHECK "$BUILT"
fi
check "the staged bundle carries the built Info.plist" cmp -s "$BUILT" "$STAGED"
check "the staged bundle has the library CFBundleExecutable names" \
	test -f "$top_builddir/bundle/ifd-ccidlab.bundle/Contents/Linux/$("$PYTHON3" -c \
		'import plistlib,sys; print(plistlib.load(open(sys.argv[1],"rb"))["CFBundleExecutable"])' "$STAGED")"

# 4-6: "all" from the script, names escaped and read back unescaped.
"$IDS" -q -c "$TSV" -o "$WORK/all.plist" all
check "usb-ids all: $ALL pairs, all the catalogue's" $CHECK "$WORK/all.plist" --catalogue "$TSV" --count "$ALL"
check "names are XML-escaped in the file" grep -q '<string>Circle CIR315 Dual &amp; 1S</string>' "$WORK/all.plist"
check "plistlib reads the name back with its '&'" "$PYTHON3" -c '
import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
sys.exit(0 if "Circle CIR315 Dual & 1S" in d["ifdFriendlyName"] else 1)' "$WORK/all.plist"

# 7-12: the checker refuses what pcscd would choke on.
sed -e '0,/<string>0x90CC<\/string>/{/<string>0x90CC<\/string>/d}' "$WORK/all.plist" > "$WORK/unequal.plist"
check "checker: refuses unequal arrays" sh -c "! $CHECK '$WORK/unequal.plist' >'$WORK/out' && grep -q 'unequal arrays' '$WORK/out'"
sed -e 's|<string>0x90CC</string>|<string>0x9XCC</string>|' "$WORK/all.plist" > "$WORK/badhex.plist"
check "checker: refuses a non-hex id" sh -c "! $CHECK '$WORK/badhex.plist' >'$WORK/out' && grep -q 'not 0xXXXX' '$WORK/out'"
awk '/<key>ifd(VendorID|ProductID|FriendlyName)<\/key>/ { k = $0 } { print }
     /<array>/ && k ~ /VendorID/ { print "\t\t<string>0x072F</string>"; k = "" }
     /<array>/ && k ~ /ProductID/ { print "\t\t<string>0x90CC</string>"; k = "" }
     /<array>/ && k ~ /FriendlyName/ { print "\t\t<string>again</string>"; k = "" }' \
	"$WORK/all.plist" > "$WORK/dup.plist"
check "checker: refuses a pair listed twice" sh -c "! $CHECK '$WORK/dup.plist' >'$WORK/out' && grep -q '072F:90CC already listed' '$WORK/out'"
"$IDS" -q -c "$TSV" -o "$WORK/less.plist" all -072F:90CC
check "checker: refuses a list missing a catalogue pair" sh -c "! $CHECK '$WORK/less.plist' --catalogue '$TSV' >'$WORK/out' && grep -q '072F:90CC (catalogue) is not listed' '$WORK/out'"
sed -e 's|</dict>||' "$WORK/all.plist" > "$WORK/broken.plist"
check "checker: refuses malformed XML" sh -c "! $CHECK '$WORK/broken.plist' >'$WORK/out' && grep -q 'not a plist' '$WORK/out'"
check "usb-ids --list refuses unequal arrays" sh -c "! '$IDS' -l -o '$WORK/unequal.plist' >/dev/null 2>'$WORK/err' && grep -q 'unequal length' '$WORK/err'"

# 13-19: selections.
"$IDS" -q -c "$TSV" -o "$WORK/none.plist" none
check "usb-ids none: three empty arrays, well formed" $CHECK "$WORK/none.plist" --count 0
check "usb-ids all -072F:90CC: one pair fewer, that one gone" \
	sh -c "$CHECK '$WORK/less.plist' --count $((ALL - 1)) >/dev/null && ! '$IDS' -l -o '$WORK/less.plist' | grep -q '^072F:90CC '"
printf '# lab readers\n072f:90cc 0x0DB5:0x0170  # ATR210\n\n1209:0002\n' > "$WORK/sel"
"$IDS" -q -c "$TSV" -o "$WORK/file.plist" none "@$WORK/sel" ABCD:1234
"$IDS" -l -o "$WORK/file.plist" > "$WORK/file.list"
printf '%s\n' '072F:90CC ACS ACR38 USB Reader' '0DB5:0170 Access IS ATR210' \
	'1209:0002 ccidlab emulated CCID reader' 'ABCD:1234 USB CCID reader ABCD:1234' > "$WORK/file.expected"
check "usb-ids @FILE plus a pair unknown to the catalogue: exactly those, named" \
	cmp -s "$WORK/file.list" "$WORK/file.expected"
"$IDS" -c "$TSV" -n all > "$WORK/dry"
"$IDS" -l -o "$WORK/all.plist" > "$WORK/listed"
check "usb-ids --list reads back what --dry-run selects" cmp -s "$WORK/dry" "$WORK/listed"
cp "$WORK/all.plist" "$WORK/keep.plist"
check "usb-ids: a bad word fails (exit 2) and writes nothing" \
	sh -c "'$IDS' -q -c '$TSV' -o '$WORK/keep.plist' none 72F-90CC 2>'$WORK/err'; [ \$? -eq 2 ] && grep -q 'not a selection word' '$WORK/err' && cmp -s '$WORK/keep.plist' '$WORK/all.plist'"
check "usb-ids: a missing catalogue is named" \
	sh -c "! '$IDS' -c '$WORK/nothing.tsv' -o '$WORK/x.plist' all 2>'$WORK/err' && grep -q 'nothing.tsv' '$WORK/err' && [ ! -e '$WORK/x.plist' ]"
"$IDS" -q -c "$TSV" -o "$WORK/order.plist" 1209:0002 none 072F:90CC all -1209:0002
check "usb-ids: words apply left to right" \
	sh -c "$CHECK '$WORK/order.plist' --count $((ALL - 1)) >/dev/null && ! '$IDS' -l -o '$WORK/order.plist' | grep -q '^1209:0002 '"

# 20-22: `ccidlab usb-ids` on a bundle, as a user would run it.
mkdir -p "$WORK/b/ifd-ccidlab.bundle/Contents"
cp "$STAGED" "$WORK/b/ifd-ccidlab.bundle/Contents/Info.plist"
CCIDLAB_READERS_TSV=$TSV "$CCIDLAB" usb-ids --bundle "$WORK/b/ifd-ccidlab.bundle" none 072F:90CC 2>"$WORK/err"
check "ccidlab usb-ids --bundle DIR rewrites DIR/Contents/Info.plist" \
	sh -c "[ \"\$('$CCIDLAB' usb-ids --bundle '$WORK/b/ifd-ccidlab.bundle' --list)\" = '072F:90CC ACS ACR38 USB Reader' ]"
check "ccidlab usb-ids says to restart pcscd" grep -q 'lists 1 VID:PID pair(s); restart pcscd' "$WORK/err"
check "ccidlab usb-ids leaves no temporary file" \
	sh -c "[ \"\$(ls '$WORK/b/ifd-ccidlab.bundle/Contents')\" = Info.plist ]"
finish
