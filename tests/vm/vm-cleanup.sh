#!/bin/sh
# ccidlab — `ccidlab vm` ends bounded and clean on every path: SIGINT
# while the command runs (exit 130), a guest kernel panic (exit 125, the
# console kept and showing the panic), a boot that does not finish in
# time (exit 125).  After each, the QEMU it started (by the pid it wrote)
# is gone.  A failing command is vm-basics.sh's.
. "$top_srcdir/tests/vm/lib.sh"
vm_need
plan 9

# SIGINT once the command runs.
RESULTS="$WORK/int"
mkdir -p "$RESULTS"
"$CCIDLAB" vm --quiet --reader empty --results "$RESULTS" -- \
	sh -c 'touch "$CCIDLAB_VM_RESULTS/started"; sleep 600' > "$WORK/int.out" 2> "$WORK/int.err" &
pid=$!
i=0
while [ ! -e "$RESULTS/started" ] && [ $i -lt 3000 ] && alive "$pid"; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s)
kill -INT "$pid"
wait "$pid"
rc=$?
t1=$(date +%s)
check "SIGINT while the command runs: ccidlab vm exits 130 (got $rc) within $((t1 - t0)) s" \
	test "$rc" -eq 130 -a $((t1 - t0)) -le 20
check "no QEMU is left after SIGINT" qemu_gone
check "the console is kept after SIGINT" test -s "$RESULTS/console.log"

# A guest panic.
RESULTS="$WORK/panic"
mkdir -p "$RESULTS"
vm_run "$WORK/panic.out" --reader empty -- sh -c 'echo c > /proc/sysrq-trigger; sleep 600'
check "a guest panic: ccidlab vm exits 125 (got $VM_RC)" test "$VM_RC" -eq 125
check "no QEMU is left after the panic" qemu_gone
check "the console is kept, with the panic" grep -q "Kernel panic" "$RESULTS/console.log"

# A boot that cannot finish in time.
RESULTS="$WORK/boot"
mkdir -p "$RESULTS"
t0=$(date +%s)
vm_run "$WORK/boot.out" --reader empty --boot-timeout 1 -- true
t1=$(date +%s)
check "a boot over --boot-timeout: ccidlab vm exits 125 (got $VM_RC) within $((t1 - t0)) s" \
	test "$VM_RC" -eq 125 -a $((t1 - t0)) -le 30
check "no QEMU is left after the boot timeout" qemu_gone
check "it says why" grep -q "did not come up within 1 s" "$WORK/boot.out.err"
finish
