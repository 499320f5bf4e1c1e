#!/bin/sh
# SCardGetAttrib and SCardControl through pcscd: attribute values from the
# profile and the ATR, the part 10 feature list and TLV properties, and a
# PIN verified on the emulated PIN pad (the client's TAP lines).
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" T1Tpdu emu:generic-t1-irq:card=readertest@t1
reader_conf "$conf/2" Pinpad emu:generic-pinpad:card=readertest@t1:keypad=1234
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" -- "$PYTHON3" attrs.py T1Tpdu Pinpad
exit 0
