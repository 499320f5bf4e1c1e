#!/bin/sh
# readertest through pcscd and the driver's CCID engine: cases 1-4 at every
# short length on T=0 and T=1 cards, on TPDU and APDU readers, and
# extended lengths on an extended-APDU reader; every answer byte-exact.
# The client's TAP lines are this test's.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" T0Tpdu emu:generic-t1-irq:card=readertest@t0
reader_conf "$conf/2" T1Tpdu emu:generic-t1-irq:card=readertest@t1
reader_conf "$conf/3" T0Apdu emu:generic-apdu-irq:card=readertest@t0
reader_conf "$conf/4" T1Apdu emu:generic-short-poll:card=readertest@t1
reader_conf "$conf/5" Ext emu:generic-ext-multi:slots=1:card=readertest@t1
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" -- "$PYTHON3" readertest_sweep.py \
	T0Tpdu:T0 T1Tpdu:T1 T0Apdu:T0 T1Apdu:T1 Ext:T1:ext
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
