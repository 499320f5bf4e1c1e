#!/bin/sh
# Tests and make bench: copies Debian's libccid bundle into DIR with the usbsim
# built-in profiles' id 1209:0002 (pid.codes test id) first in its
# Info.plist's three parallel arrays: libccid opens only the devices
# listed there.
# Exit 77 when libccid is not installed.
set -e
src=/usr/lib/pcsc/drivers/ifd-ccid.bundle
dir=$1
[ -f "$src/Contents/Linux/libccid.so" ] || exit 77
rm -rf "$dir/ifd-ccid.bundle"
mkdir -p "$dir"
# -L: Debian's Info.plist is a symlink to /etc/libccid_Info.plist; the
# copy must be a file of its own, or the edit below would rewrite /etc's.
cp -rL "$src" "$dir/"
plist=$dir/ifd-ccid.bundle/Contents/Info.plist
rm -f "$plist"
awk '
/<key>ifdVendorID<\/key>/ { add = "0x1209" }
/<key>ifdProductID<\/key>/ { add = "0x0002" }
/<key>ifdFriendlyName<\/key>/ { add = "ccidlab usbsim" }
{ print }
/<array>/ && add != "" { printf "\t\t<string>%s</string>\n", add; add = "" }
' "$src/Contents/Info.plist" > "$plist"
grep -q '<string>0x1209</string>' "$plist"
