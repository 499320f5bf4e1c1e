#!/bin/sh
# Card events through pcscd in both modes, from scenario files the driver
# runs: start-up with a card present and with a slot empty; in event mode
# N edges at 5..20 ms spacing raise pcscd's event counter by exactly N
# less the edges the driver folded while pcscd lagged (its list's
# "folded": under load pcscd's event thread falls behind 5 ms edges, and
# the driver keeps a slot's last two states; issue 20); in polling-only
# mode edges held 2.5 s are all seen (pcscd polls every 400 ms plus the
# time its own handling of the last change took: 600 ms holds lost a
# bounce, 4 of 6, in a CI run at load 2-6, where pcscd's polling thread
# went 1.2 s without a look after powering the card down).  The
# client's TAP lines are this test's.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
# Event mode: 40 edges, gaps from a fixed pseudo-random sequence in 5..20 ms.
gaps=$(awk 'BEGIN { srand(7); for (i = 0; i < 40; i++) printf "%d ", 5 + int(rand() * 16) }')
toggle_scenario "$WORK/ev.scn" evA insert 4000 $gaps
toggle_scenario "$WORK/evp.scn" evB remove 4000 $gaps
# Polling-only mode: 6 edges held 2.5 s each.
toggle_scenario "$WORK/po.scn" poC insert 4000 2500 2500 2500 2500 2500 2500
reader_conf "$conf/1" EvEmpty "emu:generic-apdu-irq:name=evA:card=none:scenario=$WORK/ev.scn"
reader_conf "$conf/2" EvFull "emu:generic-t1-irq:name=evB:scenario=$WORK/evp.scn"
reader_conf "$conf/3" PoEmpty "emu:generic-short-poll:name=poC:card=none:scenario=$WORK/po.scn"
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" -- "$PYTHON3" events.py \
	EvEmpty:empty:40:empty EvFull:present:40:present PoEmpty:empty:6:empty
exit 0
