#!/bin/sh
# ccidlab's own driver on real-USB terms: usbsim devices (libccidlab-usbsim.so
# preloaded into Debian's pcscd) opened through src/usb's libusb-1.0
# transport by libccidlab.so, on the profile set of the libccid interop
# suite (usbsim-libccid.sh's built-in profiles and
# usbsim-libccid-catalogue.sh's catalogue readers).  Each reader is listed
# and passes the readertest cases 1-4 at every short length, byte-exact
# (extended lengths sampled where the reader has them): TPDU T=0, TPDU
# T=1, short and extended APDU exchanges, with and without an interrupt
# pipe, multi-slot readers, PIN pads, a second CCID interface.
#
# Unlike libccid (a TODO there), ccidlab sends ISO 7816-3 T=0 TPDUs for
# cases 1 and 4, so the TPDU T=0 readers' lines are plain tests here.
. "$top_srcdir/tests/integration/lib.sh"

# GROUP NAME PROFILE(usbsim spelling) VID/PID INTERFACE SWEEP
# pcscd holds 16 readers (slots) at most: one lab per group (the OCTSIM
# alone: it has 8 slots).  The usbsim devices of a lab get bus 1,
# addresses 2, 3... in this order.
cat > "$WORK/list" <<'EOL'
U ApduT0 generic-apdu-irq:card=readertest,t0 1209/0002 0 T0
U ApduT1 generic-apdu-irq:card=readertest,t1 1209/0002 0 T1
U TpduT0 generic-t1-irq:card=readertest,t0 1209/0002 0 T0
U TpduT1 generic-t1-irq:card=readertest,t1 1209/0002 0 T1
U PollT1 generic-short-poll:card=readertest,t1 1209/0002 0 T1
U Acr38T0 ACR38U-CCID.txt:card=readertest,t0 072f/90cc 0 T0
U ExtT1 generic-ext-multi:slots=1:card=readertest,t1 1209/0002 0 T1:ext
U Multi generic-ext-multi:card=none:card0=readertest,t1:card2=readertest,t0 1209/0002 0 T1:ext
U PinPad generic-pinpad:card=readertest,t1 1209/0002 0 T1
A Picc ACR122U_PICC.txt@1:card=readertest,t1 072f/2200 0 T1
A Acr1251 ACS_ACR1251_Dual_Reader.txt@1:card=readertest,t1 072f/221a 0 T1:ext
A Acr1251If1 ACS_ACR1251_Dual_Reader.txt@2:card=readertest,t1 072f/221a 1 T1
A Acr1281 ACS_ACR1281U.txt@1:card=readertest,t1 072f/2224 0 T1:ext
A At91so ATMEL_AT91SO.txt@1:card=readertest,t0 03eb/6004 0 T0
A RutokenEcp Aktiv_Rutoken_ECP.txt@1:card=readertest,t1 0a89/0030 0 T1
A RutokenPin Aktiv_Rutoken_PINPad_2.txt@1:card=readertest,t1 0a89/0082 0 T1
A JaCarta Aladdin_R.D._JaCarta.txt@1:card=readertest,t1 24dc/0101 0 T1
A Athena Athena_IDProtect_Key.txt@1:card=readertest,t1 0dc3/0900 0 T1
A Avest AvestUA_AvestKey.txt@1:card=readertest,t1 c1a6/0131 0 T1:ext
B Auriga Covadis_Auriga.txt@1:card=readertest,t1 0982/0040 0 T1
B GemSim GemCoreSIMPro.txt@1:card=readertest,t1 08e6/3480 0 T1
B Sdi011 SCM_SDI011.txt@1:card=readertest,t1 04e6/512b 0 T1
B Csb6 SpringCard_CSB6_Secure.txt@1:card=readertest,t0 1c34/7123 0 T0
C Octsim sysmocom_sysmoOCTSIM.txt@1:card=readertest,t0 1d50/6141 0 T0
EOL
cd "$top_srcdir/tests/integration/clients" || exit 1
: > "$WORK/tap"
for group in U A B C; do
	conf="$WORK/conf.$group"
	mkdir -p "$conf"
	usbsim_begin
	sweep='' want=0
	while read -r g name profile id iface proto; do
		[ "$g" = "$group" ] || continue
		usbsim_reader "$conf/$name" "$name" "$profile" "$id" "$iface"
		sweep="$sweep $name:$proto"
		want=$((want + 1))
	done < "$WORK/list"
	# shellcheck disable=SC2086
	lab "$group" --conf "$conf" --usbsim "$USBSIM" -- \
		"$PYTHON3" readertest_sweep.py $sweep >> "$WORK/tap" 2>&1
	rc=$?
	# Every reader was opened by ccidlab's USB path (its open log line),
	# and the lab ended well (a client that bailed out shows above).
	n=$(grep -c "reader [0-9]*: [0-9A-F]*/[0-9A-F]* '.*' serial 'emu-[0-9]*' interface" "$(lab_log "$group")")
	if [ "$n" -eq "$want" ]; then r=ok; else r="not ok"; fi
	echo "$r 0 - lab $group: ccidlab's USB path opened all $want readers ($n)" >> "$WORK/tap"
	if [ "$rc" -eq 0 ]; then r=ok; else r="not ok"; fi
	echo "$r 0 - lab $group ended with status 0 ($rc; pcscd log: $(lab_log "$group"))" >> "$WORK/tap"
done
# One TAP stream: the groups' tests renumbered, the plan at the end.
awk '/^1\.\.[0-9]+$/ { next }
     /^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) }
     { print }
     END { print "1.." n }' "$WORK/tap"
exit 0
