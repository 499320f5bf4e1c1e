#!/bin/sh
# Card events through pcscd in both modes, from scenario files the driver
# runs: start-up with a card present and with a slot empty; in event mode
# N edges at 5..20 ms spacing raise pcscd's event counter by exactly N;
# in polling-only mode edges held 600 ms are all seen.  The client's TAP
# lines are this test's.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
# scenario FILE READER FIRST_MS GAPS...: alternating insert/remove on slot 0
# of READER, starting with `first` (insert or remove).
scenario() {
	file=$1 reader=$2 first=$3 at=$4
	shift 4
	action=$first i=0
	: > "$file"
	for gap in "$@"; do
		i=$((i + 1))
		at=$((at + gap))
		printf '[step %d]\nat_ms=%d\nreader=%s\nslot=0\naction=%s\n' "$i" "$at" "$reader" "$action" >> "$file"
		[ "$action" = insert ] && printf 'card=readertest\n' >> "$file"
		if [ "$action" = insert ]; then action=remove; else action=insert; fi
	done
}
# Event mode: 40 edges, gaps from a fixed pseudo-random sequence in 5..20 ms.
gaps=$(awk 'BEGIN { srand(7); for (i = 0; i < 40; i++) printf "%d ", 5 + int(rand() * 16) }')
scenario "$WORK/ev.scn" evA insert 4000 $gaps
scenario "$WORK/evp.scn" evB remove 4000 $gaps
# Polling-only mode: 6 edges held 600 ms each.
scenario "$WORK/po.scn" poC insert 4000 600 600 600 600 600 600
reader_conf "$conf/1" EvEmpty "emu:generic-apdu-irq:name=evA:card=none:scenario=$WORK/ev.scn"
reader_conf "$conf/2" EvFull "emu:generic-t1-irq:name=evB:scenario=$WORK/evp.scn"
reader_conf "$conf/3" PoEmpty "emu:generic-short-poll:name=poC:card=none:scenario=$WORK/po.scn"
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" -- "$PYTHON3" events.py \
	EvEmpty:empty:40:empty EvFull:present:40:present PoEmpty:empty:6:empty
exit 0
