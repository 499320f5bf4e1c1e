#!/bin/sh
# pcscd stops within 2 s of SIGTERM, with event-mode readers waiting in the
# driver (the sticky stop) and with polling-only readers.  A hang here is
# what the bound catches; it is not a speed measurement.
. "$top_srcdir/tests/integration/lib.sh"
plan 4
for mode in event poll; do
	conf="$WORK/conf-$mode"
	mkdir -p "$conf"
	if [ "$mode" = event ]; then
		reader_conf "$conf/1" Ev1 emu:generic-apdu-irq
		reader_conf "$conf/2" Ev4 emu:generic-ext-multi
	else
		reader_conf "$conf/1" Po1 emu:generic-short-poll
		reader_conf "$conf/2" Po2 emu:generic-apdu-irq:mode=poll
	fi
	# The command stops pcscd itself and times it, then waits for the lab.
	cat > "$WORK/stop.sh" <<'EOC'
pcsc_scan -r > /dev/null 2>&1 || exit 10
t0=$(date +%s%N)
kill -TERM "$CCIDLAB_PCSCD_PID"
while [ -d "/proc/$CCIDLAB_PCSCD_PID" ] && ! grep -q '^State:.*Z' "/proc/$CCIDLAB_PCSCD_PID/status" 2>/dev/null; do
	sleep 0.01
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000 ] || break
done
echo $(( ($(date +%s%N) - t0) / 1000000 )) > "$1"
EOC
	lab "$mode" --conf "$conf" -- sh "$WORK/stop.sh" "$WORK/$mode.ms"
	rc=$?
	ms=$(cat "$WORK/$mode.ms" 2>/dev/null || echo 99999)
	check "$mode mode: the readers were up before the stop ($rc)" [ "$rc" -eq 0 ]
	check "$mode mode: pcscd stopped ${ms} ms after SIGTERM (bound 2000 ms)" [ "$ms" -lt 2000 ]
done
finish
