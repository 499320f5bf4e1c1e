#!/bin/sh
# `ccidlab lab`: exit status, environment, and no pcscd left behind
# whatever happens to the command or to ccidlab.
. "$top_srcdir/tests/integration/lib.sh"
plan 18

# The command records the lab's pcscd pid so that we can check it is gone.
cat > "$WORK/record.sh" <<'EOC'
#!/bin/sh
echo $$ > "$1.cmd"
echo "$CCIDLAB_PCSCD_PID" > "$1.pid"
echo "$PCSCLITE_CSOCK_NAME" > "$1.sock"
shift
exec "$@"
EOC

lab ok -- sh "$WORK/record.sh" "$WORK/ok" true
rc=$?
check "a command that succeeds gives status 0" [ "$rc" -eq 0 ]
check "the command sees PCSCLITE_CSOCK_NAME inside the lab's run dir" \
	grep -q '/run/pcscd.comm$' "$WORK/ok.sock"
check "pcscd is gone after a successful command" sh -c "! kill -0 $(cat "$WORK/ok.pid") 2>/dev/null"

lab fail -- sh "$WORK/record.sh" "$WORK/fail" sh -c 'exit 7'
rc=$?
check "a command's exit status 7 is the lab's ($rc)" [ "$rc" -eq 7 ]
check "pcscd is gone after a failing command" sh -c "! kill -0 $(cat "$WORK/fail.pid") 2>/dev/null"

lab killed -- sh "$WORK/record.sh" "$WORK/killed" sh -c 'kill -KILL $$'
rc=$?
check "a command killed by SIGKILL gives 128+9 ($rc)" [ "$rc" -eq 137 ]
check "pcscd is gone after a killed command" sh -c "! kill -0 $(cat "$WORK/killed.pid") 2>/dev/null"

# Interrupting ccidlab itself: SIGINT (Ctrl-C) and SIGTERM.
for sig in INT:2 TERM:15; do
	num=${sig#*:} sig=${sig%:*}
	rm -f "$WORK/sig.pid"
	lab_bg "sig$sig" -- sh "$WORK/record.sh" "$WORK/sig" sleep 60
	labpid=$LAB_PID
	wait_for test -s "$WORK/sig.pid"
	kill -s "$sig" "$labpid"
	wait "$labpid"
	rc=$?
	want=$((128 + num))
	check "SIG$sig to ccidlab ends the lab with status $want ($rc)" [ "$rc" -eq "$want" ]
	check "pcscd is gone after SIG$sig to ccidlab" sh -c "! kill -0 $(cat "$WORK/sig.pid") 2>/dev/null"
done

# SIGKILL to ccidlab cannot be caught: pcscd and the command die with it
# (parent-death signals).  A subreaper stands in for init to see it.
rm -f "$WORK/k9.pid"
"$PYTHON3" "$top_srcdir/tests/integration/reaper.py" \
	"$CCIDLAB" lab --quiet --driver "$DRIVER" --keep-log "$(lab_log k9)" -- \
	sh "$WORK/record.sh" "$WORK/k9" sleep 60 &
reaper=$!
wait_for test -s "$WORK/k9.pid"
pid=$(cat "$WORK/k9.pid")
labpid=$(awk '{print $4}' "/proc/$pid/stat")
kill -KILL "$labpid"
wait "$reaper"
check "pcscd is gone after SIGKILL to ccidlab" not_alive "$pid"
check "the command is gone after SIGKILL to ccidlab" not_alive "$(cat "$WORK/k9.cmd")"

# The lab's own failures: status 125 and a clear reason.
"$CCIDLAB" lab --quiet --driver /nonexistent/libccidlab.so -- true 2> "$WORK/nodrv.err"
rc=$?
check "a missing driver is refused with status 125 ($rc)" [ "$rc" -eq 125 ]
check "... and the reason names it" grep -q "nonexistent/libccidlab.so: no driver there" "$WORK/nodrv.err"

"$CCIDLAB" lab --quiet --driver "$DRIVER" --pcscd /bin/false -- true 2> "$WORK/false.err"
rc=$?
check "a pcscd that exits at once is reported with status 125 ($rc)" \
	sh -c "[ $rc -eq 125 ] && grep -q 'pcscd exited (status' '$WORK/false.err'"

printf '#!/bin/sh\nexec sleep 30\n' > "$WORK/mute-pcscd"
chmod +x "$WORK/mute-pcscd"
"$CCIDLAB" lab --quiet --driver "$DRIVER" --pcscd "$WORK/mute-pcscd" --timeout 1 -- true 2> "$WORK/mute.err"
rc=$?
check "a pcscd that never answers is given up after --timeout ($rc)" \
	sh -c "[ $rc -eq 125 ] && grep -q 'did not answer' '$WORK/mute.err'"
mkdir -p "$WORK/badconf"
printf 'FRIENDLYNAME "Typo"\nDEVICENAME   emu:generic t1\nLIBPATH      /x/libccidlab.so\n' > "$WORK/badconf/typo"
"$CCIDLAB" lab --quiet --driver "$DRIVER" --conf "$WORK/badconf" -- true 2> "$WORK/badconf.err"
rc=$?
check "a reader.conf line pcscd cannot lex is named before pcscd starts ($rc)" \
	sh -c "[ $rc -eq 125 ] && grep -q 'typo:2: DEVICENAME value .emu:generic t1. is neither' '$WORK/badconf.err'"
finish
