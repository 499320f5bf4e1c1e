#!/bin/sh
# Card events on ccidlab's USB readers (usbsim devices, Debian's pcscd),
# in both modes: live insert/remove requests to the shim's control socket
# ($CCIDLAB_CTL_SOCKET) must raise pcscd's event counter by exactly their
# number (in event mode, less the edges the driver folded while pcscd
# lagged: it keeps a slot's last two states and counts what it folds,
# its list's "folded", issue 20), and the driver's edge stream (`ccidlab
# events --socket $CCIDLAB_DRIVER_SOCKET`) must show each observed edge
# with its time.  Event mode (interrupt pipe): 50 edges 20 ms apart.
# Polling-only (no interrupt pipe;
# pcscd asks every 400 ms): 10 edges, each once the previous one was
# counted (open loop 450 ms apart, two fell between two polls with both
# cores busy).  The driver's stream is read from the seq before the first
# edge (--since), and until it has shown what pcscd counted.
# latch=1: the emulator holds each edge until the host has seen it.
#
# Profiles: those of the libccid interop suite (usbsim-libccid-ctl.sh).
# Then forced polling-only mode on interrupt-capable devices, asked three
# ways: a DEVICENAME key (mode=poll), a ccidlab.conf [usb VVVV:PPPP]
# group and a [usb serial=S] group ($CCIDLAB_CONF, which pcscd inherits
# from `ccidlab lab`): pcscd polls those readers itself ("Using the pcscd
# polling thread"), the driver's open log says where the mode came from,
# and every edge still arrives.  Last, a bad ccidlab.conf value refuses
# the readers it applies to, with a message naming file, group and key.
. "$top_srcdir/tests/integration/lib.sh"
CCIDLAB_BIN=$CCIDLAB
export CCIDLAB_BIN

# GROUP NAME PROFILE(usbsim spelling) DEVICENAME(without usb:)
# pcscd holds 16 reader slots at most: one lab per group.  Devices get
# bus 1, addresses 2, 3... and serials emu-1, emu-2... in group order.
cat > "$WORK/list" <<'EOL'
A Picc ACR122U_PICC.txt@1 072f/2200:libusb-1.0:1:2:0
A Acr1251 ACS_ACR1251_Dual_Reader.txt@1 072f/221a:libusb-1.0:1:3:0
A Acr1251If1 ACS_ACR1251_Dual_Reader.txt@2 072f/221a:libusb-1.0:1:4:1
A Acr1281 ACS_ACR1281U.txt@1 072f/2224:libusb-1.0:1:5:0
A At91so ATMEL_AT91SO.txt@1 03eb/6004:libusb-1.0:1:6:0
A RutokenEcp Aktiv_Rutoken_ECP.txt@1 0a89/0030:libusb-1.0:1:7:0
A RutokenPin Aktiv_Rutoken_PINPad_2.txt@1 0a89/0082:libusb-1.0:1:8:0
A JaCarta Aladdin_R.D._JaCarta.txt@1 24dc/0101:libusb-1.0:1:9:0
A Athena Athena_IDProtect_Key.txt@1 0dc3/0900:libusb-1.0:1:10:0
A Avest AvestUA_AvestKey.txt@1 c1a6/0131:libusb-1.0:1:11:0
B ShortPoll generic-short-poll 1209/0002:libusb-1.0:1:2:0
B Auriga Covadis_Auriga.txt@1 0982/0040:libusb-1.0:1:3:0
B GemSim GemCoreSIMPro.txt@1 08e6/3480:libusb-1.0:1:4:0
B Sdi011 SCM_SDI011.txt@1 04e6/512b:libusb-1.0:1:5:0
B Csb6 SpringCard_CSB6_Secure.txt@1 1c34/7123:libusb-1.0:1:6:0
B Acr38u ACR38U-CCID.txt 072f/90cc:libusb-1.0:1:7:0
B ApduIrq generic-apdu-irq 1209/0002:libusb-1.0:1:8:0
C T1Irq generic-t1-irq 1209/0002:libusb-1.0:1:2:0
C Octsim sysmocom_sysmoOCTSIM.txt@1 1d50/6141:libusb-1.0:1:3:0
C Pinpad generic-pinpad 1209/0002:libusb-1.0:1:4:0
C ExtMulti generic-ext-multi:slots=1 1209/0002:libusb-1.0:1:5:0
F ByName ATMEL_AT91SO.txt@1 03eb/6004:mode=poll
F ById generic-t1-irq 1209/0002:libusb-1.0:1:3:0
F BySerial ACR38U-CCID.txt 072f/90cc:libudev:0:/dev/bus/usb/001/004
F Auto ACS_ACR1281U.txt@1 072f/2224:libusb-1.0:1:5:0
EOL
# Lab F's settings: 1209:0002 readers polled (ById), the ACR38U by its
# serial (BySerial); ByName (an AT91SO) asks in its DEVICENAME, and the
# ACR1281U is left to [usb]'s auto (event mode).
cat > "$WORK/ccidlab.conf" <<'EOC'
# ccidlab.conf for usb-events.sh
[usb]
mode=auto

[usb 1209:0002]
mode=poll

[usb serial=emu-3]
mode=poll
EOC

cd "$top_srcdir/tests/integration/clients" || exit 1
: > "$WORK/tap"
for group in A B C F; do
	conf="$WORK/conf.$group"
	mkdir -p "$conf"
	usbsim_begin
	readers=''
	while read -r g name profile devname; do
		[ "$g" = "$group" ] || continue
		usbsim_add "$profile:name=$name:card=none:latch=1"
		reader_conf "$conf/$name" "$name" "usb:$devname"
		r=$name
		[ "$group" = F ] && [ "$name" != Auto ] && r=$name:forced
		readers="$readers $r"
	done < "$WORK/list"
	if [ "$group" = F ]; then CCIDLAB_CONF=$WORK/ccidlab.conf; else CCIDLAB_CONF=$WORK/none.conf; fi
	export CCIDLAB_CONF
	# shellcheck disable=SC2086
	lab "$group" --conf "$conf" --usbsim "$USBSIM" -- \
		"$PYTHON3" usb_edges.py 50 20 10 450 $readers >> "$WORK/tap" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then r=ok; else r="not ok"; fi
	echo "$r 0 - lab $group ended with status 0 ($rc; pcscd log: $(lab_log "$group"))" >> "$WORK/tap"
done
unset CCIDLAB_CONF

# thread_of LOG NAME: the polling thread pcscd chose for that reader
# (pcscd starts the readers one after the other).
thread_of() {
	awk -v n="Attempting startup of $2 " '
		index($0, n) { on = 1; next }
		on && /Attempting startup of / { exit }
		on && /Using the (pcscd|reader) polling thread/ { sub(/.*Using the /, ""); print; exit }' "$1"
}
# log_has DESCRIPTION LOG FIXED-STRING
log_has() {
	if grep -qF -- "$3" "$2"; then r=ok; else r="not ok"; fi
	echo "$r 0 - $1" >> "$WORK/tap"
	[ "$r" = ok ] || echo "# no line with: $3" >> "$WORK/tap"
}
# thread_is NAME WANT
thread_is() {
	got=$(thread_of "$(lab_log F)" "$1")
	if [ "$got" = "$2" ]; then r=ok; else r="not ok"; fi
	echo "$r 0 - $1: pcscd's log: Using the $2 ($got)" >> "$WORK/tap"
}
thread_is ByName "pcscd polling thread"
thread_is ById "pcscd polling thread"
thread_is BySerial "pcscd polling thread"
thread_is Auto "reader polling thread"
f=$(lab_log F)
log_has "ByName: the driver's open log says polling-only, asked by the DEVICENAME" "$f" \
	"03EB/6004 'AT91SO CCID Smart Card Reader' serial 'emu-1' interface 0, mode polling-only (asked: poll), escape refused, timeout cap 60 s, from [usb], DEVICENAME"
log_has "ById: the driver's open log says polling-only, asked by [usb 1209:0002]" "$f" \
	"serial 'emu-2' interface 0, mode polling-only (asked: poll), escape refused, timeout cap 60 s, from [usb], [usb 1209:0002]"
log_has "BySerial: the driver's open log says polling-only, asked by [usb serial=emu-3]" "$f" \
	"serial 'emu-3' interface 0, mode polling-only (asked: poll), escape refused, timeout cap 60 s, from [usb], [usb serial=emu-3]"
log_has "Auto: the driver's open log says event mode, by [usb] (auto)" "$f" \
	"serial 'emu-4' interface 0, mode event (asked: auto), escape refused, timeout cap 60 s, from [usb]"

# A bad value refuses the readers its group applies to, and only those.
cat > "$WORK/bad.conf" <<'EOC'
[usb 1209:0002]
mode=sometimes

[usb serial=emu-3]
timeout-cap=0
EOC
conf="$WORK/conf.X"
mkdir -p "$conf"
reader_conf "$conf/BadId" BadId usb:1209/0002:libusb-1.0:1:2:0
reader_conf "$conf/Good" Good usb:072f/90cc:libusb-1.0:1:3:0
reader_conf "$conf/BadSerial" BadSerial usb:072f/90cc:libusb-1.0:1:4:0
# Event mode asked of a reader without an interrupt pipe (a Rutoken ECP).
reader_conf "$conf/NoIrq" NoIrq usb:0a89/0030:mode=event
CCIDLAB_CONF=$WORK/bad.conf lab X --conf "$conf" \
	--usbsim "generic-apdu-irq;ACR38U-CCID.txt;ACR38U-CCID.txt;Aktiv_Rutoken_ECP.txt@1" -- \
	"$PYTHON3" usb_names.py BadId=absent Good=emu-2 BadSerial=absent NoIrq=absent >> "$WORK/tap" 2>&1
x=$(lab_log X)
log_has "BadId: refused, naming file, group and key" "$x" \
	"reader 0: 'usb:1209/0002:libusb-1.0:1:2:0' refused: $WORK/bad.conf: [usb 1209:0002] mode=sometimes: unknown key or bad value (keys: "
log_has "BadSerial: refused, naming file, group and key" "$x" \
	"'usb:072f/90cc:libusb-1.0:1:4:0' refused: $WORK/bad.conf: [usb serial=emu-3] timeout-cap=0: unknown key or bad value"

log_has "NoIrq: mode=event refused on a reader without an interrupt pipe" "$x" \
	"'\"usb:0a89/0030:mode=event\"' refused: mode=event, but the reader has no interrupt pipe (use mode=poll or auto)"

# One TAP stream: the labs' tests renumbered, the plan at the end.
awk '/^1\.\.[0-9]+$/ { next }
     /^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) }
     { print }
     END { print "1.." n }' "$WORK/tap"
exit 0
