#!/bin/sh
# A card pulled while its command runs, through pcscd with pyscard
# (issue 17): every exchange level (character T=0, TPDU T=0 and T=1,
# short and extended APDU), in event mode and polling-only mode, pulled
# before the command, during its time extensions and inside a chain, from
# a reader that fails the command and one that answers anyway (the
# ghost-answer fault): the transmit says the card is gone, never 90 00.
# tests/unit/test_host_removal.c does the same in process.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
n=0
for mode in event poll; do
	for r in char-t0:generic-char-t0:t0 tpdu-t0:generic-t1-irq:t0 tpdu-t1:generic-t1-irq:t1 \
		short:generic-apdu-irq:t1 ext:generic-ext-multi:t1; do
		name="${mode}-${r%%:*}"
		rest=${r#*:}
		profile=${rest%%:*}
		card=${rest#*:}
		n=$((n + 1))
		reader_conf "$conf/$n" "$name" \
			"emu:$profile:slots=1:mode=$mode:card=readertest@$card:name=$name"
	done
done
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" -- "$PYTHON3" removal.py \
	event-char-t0:T0 event-tpdu-t0:T0 event-tpdu-t1:T1:chains event-short:T1 \
	event-ext:T1:chains \
	poll-char-t0:T0 poll-tpdu-t0:T0 poll-tpdu-t1:T1:chains poll-short:T1 poll-ext:T1:chains
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
