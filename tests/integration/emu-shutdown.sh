#!/bin/sh
# pcscd stops within 2 s of SIGTERM, with event-mode readers waiting in the
# driver (the sticky stop) and with polling-only readers.  A hang here is
# what the bound catches; it is not a speed measurement.
# pcscd's exit runs ASan's leak scan and the process teardown, which a
# busy machine slows for reasons that are not the driver's (5.9 s were
# seen with both cores busy): the bound is 2 s plus three times the same
# stop of a pcscd that serves no reader (the driver never loaded),
# measured in the same run.  A hang still shows: the wait gives up at 30 s.
. "$top_srcdir/tests/integration/lib.sh"
plan 5
# The command stops pcscd itself and times it, then waits for the lab.
# stop.sh MSFILE [any]: with "any", no reader is needed before the stop.
cat > "$WORK/stop.sh" <<'EOC'
[ "$2" = any ] || pcsc_scan -r > /dev/null 2>&1 || exit 10
t0=$(date +%s%N)
kill -TERM "$CCIDLAB_PCSCD_PID"
while [ -d "/proc/$CCIDLAB_PCSCD_PID" ] && ! grep -q '^State:.*Z' "/proc/$CCIDLAB_PCSCD_PID/status" 2>/dev/null; do
	sleep 0.01
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 30000 ] || break
done
echo $(( ($(date +%s%N) - t0) / 1000000 )) > "$1"
EOC
mkdir -p "$WORK/conf-none"
lab none --conf "$WORK/conf-none" -- sh "$WORK/stop.sh" "$WORK/none.ms" any
rc=$?
base=$(cat "$WORK/none.ms" 2>/dev/null || echo x)
check "baseline: a pcscd without readers stopped ${base} ms after SIGTERM ($rc)" \
	sh -c "[ $rc -eq 0 ] && [ '$base' -lt 30000 ]"
case "$base" in '' | *[!0-9]*) base=30000 ;; esac
bound=$((2000 + 3 * base))
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
	lab "$mode" --conf "$conf" -- sh "$WORK/stop.sh" "$WORK/$mode.ms"
	rc=$?
	ms=$(cat "$WORK/$mode.ms" 2>/dev/null || echo 99999)
	check "$mode mode: the readers were up before the stop ($rc)" [ "$rc" -eq 0 ]
	check "$mode mode: pcscd stopped ${ms} ms after SIGTERM (bound ${bound} ms: 2 s + 3 x ${base})" \
		[ "$ms" -lt "$bound" ]
done
finish
