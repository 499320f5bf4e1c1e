#!/bin/sh
# Two labs at once: each has its own pcscd, socket and run dir, both serve
# a real client, and neither touches the system's /run/pcscd.
. "$top_srcdir/tests/integration/lib.sh"
plan 6

sys_before=$(ls -A /run/pcscd 2>/dev/null | sort | tr '\n' ' ')

# Each command waits until the other lab is up too, so they overlap.
cat > "$WORK/twin.sh" <<'EOC'
#!/bin/sh
# A two-phase barrier: neither command ends before both have checked that
# the other lab's pcscd is alive and have scanned their own.
me=$1 other=$2
await() { i=0; while [ ! -s "$1" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done; [ -s "$1" ]; }
echo "$CCIDLAB_PCSCD_PID $PCSCLITE_CSOCK_NAME" > "$me.info"
await "$other.info" || exit 20
set -- $(cat "$other.info")
kill -0 "$1" || exit 22
pcsc_scan -r > "$me.scan" 2>&1 || exit 21
echo done > "$me.done"
await "$other.done" || exit 23
EOC
lab a -- sh "$WORK/twin.sh" "$WORK/a" "$WORK/b" &
pa=$!
lab b -- sh "$WORK/twin.sh" "$WORK/b" "$WORK/a" &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
check "lab a ran its client while lab b was up ($ra)" [ "$ra" -eq 0 ]
check "lab b ran its client while lab a was up ($rb)" [ "$rb" -eq 0 ]
set -- $(cat "$WORK/a.info"); pid_a=$1 sock_a=$2
set -- $(cat "$WORK/b.info"); pid_b=$1 sock_b=$2
check "the two labs ran two pcscd ($pid_a, $pid_b)" [ "$pid_a" != "$pid_b" ]
check "the two labs used two sockets" [ "$sock_a" != "$sock_b" ]
check "neither pcscd is left" sh -c "! kill -0 $pid_a 2>/dev/null && ! kill -0 $pid_b 2>/dev/null"
sys_after=$(ls -A /run/pcscd 2>/dev/null | sort | tr '\n' ' ')
check "the system's /run/pcscd is untouched ('$sys_before')" [ "$sys_before" = "$sys_after" ]
finish
