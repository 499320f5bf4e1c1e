#!/bin/sh
# SCardGetAttrib through pcscd and Debian's libccid on usbsim devices:
# every attribute libccid answers must agree with the profile's
# descriptors (device, CCID class, strings) and the card; the ones it
# does not answer are listed (tests/integration/clients/usbsim_attrs.py).
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"
# NAME PROFILE VID/PID CARD
cat > "$WORK/list" <<'EOL'
ApduT1 generic-apdu-irq 1209/0002 readertest,t1
TpduT1 generic-t1-irq 1209/0002 readertest,t1
Poll generic-short-poll 1209/0002 readertest,t0
Acr38u ACR38U-CCID.txt 072f/90cc readertest,t0
Acr1281 ACS_ACR1281U.txt@1 072f/2224 readertest,t1
Rutoken Aktiv_Rutoken_ECP.txt@1 0a89/0030 readertest,t1
EOL
conf="$WORK/conf"
mkdir -p "$conf"
usbsim_begin
readers=
while read -r name profile id card; do
	usbsim_reader "$conf/$name" "$name" "$profile:name=$name:card=$card" "$id" 0 "$CCID_LIB"
	readers="$readers $name"
done < "$WORK/list"
# The client loads the shim itself (ctypes): in a sanitizer build that
# shim is instrumented, so the client needs the runtimes first too.
cat > "$WORK/py.sh" <<EOC
#!/bin/sh
if [ -n "\${CCIDLAB_LAB_PRELOAD:-}" ]; then
	export LD_PRELOAD="\$CCIDLAB_LAB_PRELOAD" ASAN_OPTIONS=detect_leaks=0
fi
exec "$PYTHON3" "\$@"
EOC
cd "$top_srcdir/tests/integration/clients" || exit 1
# shellcheck disable=SC2086
USBSIM_SPEC="$USBSIM" USBSIM_SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so" \
	lab main --conf "$conf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	sh "$WORK/py.sh" usbsim_attrs.py $readers
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
