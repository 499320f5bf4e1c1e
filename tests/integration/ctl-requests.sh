#!/bin/sh
# Every control request end to end against a real pcscd: the ccidlab
# command and the raw protocol, seen in the edge stream and by a PC/SC
# client (the client's TAP lines are this test's).
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" ev "emu:generic-apdu-irq:name=ev:card=none"
reader_conf "$conf/2" po "emu:generic-short-poll:name=po:card=none"
reader_conf "$conf/3" multi "emu:generic-ext-multi:name=multi:slots=2:card=readertest@t1"
cd "$top_srcdir/tests/integration/clients" || exit 1
CCIDLAB="$top_builddir/src/cli/ccidlab" lab main --conf "$conf" -- "$PYTHON3" ctl_e2e.py
exit 0
