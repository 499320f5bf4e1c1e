# ccidlab — helpers for the VM tests (sourced after tests/integration/lib.sh).
#
# Each test boots one guest with `ccidlab vm` (Debian's kernel under QEMU,
# TCG when there is no KVM: no skip for that) and runs a guest script that
# prints unnumbered TAP lines; vm_tap numbers them and closes with the plan.
# A skip needs a named reason, and under CI=true none is allowed.
. "$top_srcdir/tests/integration/lib.sh"

CLIENTS="$top_srcdir/tests/vm/clients"
RESULTS="$WORK/results"
mkdir -p "$RESULTS"

vm_need() {
	why=""
	command -v qemu-system-x86_64 > /dev/null || why="qemu-system-x86 is not installed"
	[ -x /bin/busybox ] || why="busybox-static is not installed"
	[ -x /lib/systemd/systemd-udevd ] || why="udev is not installed"
	command -v certutil > /dev/null || why="libnss3-tools is not installed"
	[ -z "$why" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - $why (bootstrap installs it)"
		exit 0
	fi
	echo "1..0 # SKIP $why (./bootstrap deps)"
	exit 0
}

# vm_run OUT [ccidlab vm options] -- CMD...: the guest's stdout in OUT,
# its stderr in OUT.err, ccidlab vm's status in $VM_RC.
vm_run() {
	out=$1; shift
	"$CCIDLAB" vm --quiet --results "$RESULTS" --env PYTHON3 "$@" > "$out" 2> "$out.err"
	VM_RC=$?
}

# vm_tap FILE: the guest's unnumbered TAP, numbered, then the plan.
vm_tap() {
	awk -v todo="${VM_TODO:-^$}" -v why="${VM_TODO_WHY:-}" '
	/^(not )?ok( |$)/ {
		n++
		line = $0
		sub(/^ok/, "ok " n, line)
		sub(/^not ok/, "not ok " n, line)
		if (todo != "^$" && $0 ~ todo)
			line = line " # TODO " why
		print line
		next
	}
	{ print }
	END { print "1.." n }' "$1"
}

# qemu_gone: the QEMU that ccidlab vm started (its pid in the results)
# no longer exists.
qemu_gone() {
	pid=$(cat "$RESULTS/vm-qemu.pid" 2> /dev/null)
	[ -n "$pid" ] && ! alive "$pid"
}

vm_diag() {
	sed 's/^/# /' "$1.err"
	[ -f "$RESULTS/vm-times" ] && sed 's/^/# vm-times: /' "$RESULTS/vm-times"
	return 0
}

# What the guest left (pcscd logs, the console of a failed run, vm-times)
# stays beside the test's log: tests/vm/TEST.results/.
vm_keep() {
	keep="$top_builddir/tests/vm/$TEST_NAME.results"
	rm -rf "$keep"
	mkdir -p "$keep"
	find "$WORK" -name '*.log' -o -name vm-times | while read -r f; do
		cp "$f" "$keep/$(basename "$(dirname "$f")")-$(basename "$f")"
	done
}
trap 'vm_keep; rm -rf "$WORK"' EXIT
