#!/bin/sh
# 16 emulated readers (pcscd 1.9.9's limit, slots included): built-in and
# catalogue profiles, one with 4 slots, event and polling-only modes side
# by side.  pcsc_scan and SCardListReaders list them all, and pcscd uses
# its own polling thread exactly for the polling-only ones.
. "$top_srcdir/tests/integration/lib.sh"
plan 6
conf="$WORK/conf"
mkdir -p "$conf"
n=0
add() { # NAME DEVICENAME
	n=$((n + 1))
	reader_conf "$conf/$(printf '%02d' $n)-$1" "$1" "$2"
}
add EvApdu    emu:generic-apdu-irq
add EvT1      emu:generic-t1-irq
add PollShort emu:generic-short-poll
add Multi     emu:generic-ext-multi
add Pinpad    emu:generic-pinpad
add CharT0    emu:generic-char-t0
add ApduPoll  emu:generic-apdu-irq:mode=poll
add ACR122U   emu:ACR122U.txt
add ACR38U    emu:ACR38U-CCID.txt
add ACR1252   emu:072F/223E
add Rutoken   emu:Aktiv_Rutoken_ECP.txt
add JaCarta   emu:Aladdin_R.D._JaCarta.txt
add ACR1552   emu:ACS_ACR1552U.txt@2

cat > "$WORK/client.sh" <<EOC
pcsc_scan -r > "$WORK/scan.out" 2>&1 || exit 10
cd "$top_srcdir/tests/integration/clients" && "$PYTHON3" list_readers.py > "$WORK/list.out" 2>&1 || exit 11
EOC
lab main --conf "$conf" -- sh "$WORK/client.sh"
rc=$?
log=$(lab_log main)
check "the clients ran against the private pcscd ($rc)" [ "$rc" -eq 0 ]
count=$(grep -c '^' "$WORK/list.out")
check "SCardListReaders lists 16 readers ($count)" [ "$count" -eq 16 ]
[ "$count" -eq 16 ] || diag "$(cat "$WORK/list.out")"
check "the 4-slot reader shows as four readers, slots 00..03" \
	[ "$(grep -c '^Multi [0-9A-F][0-9A-F] 0[0-3]$' "$WORK/list.out")" -eq 4 ]
scan=$(grep -c ' [0-9A-F][0-9A-F] [0-9A-F][0-9A-F]$' "$WORK/scan.out")
check "pcsc_scan -r lists 16 readers ($scan)" [ "$scan" -eq 16 ]
ev=$(grep -c 'Using the reader polling thread' "$log")
po=$(grep -c 'Using the pcscd polling thread' "$log")
check "pcscd uses the reader's polling thread for the 11 event-mode readers ($ev)" [ "$ev" -eq 11 ]
check "pcscd polls the 5 polling-only readers itself ($po)" [ "$po" -eq 5 ]
finish
