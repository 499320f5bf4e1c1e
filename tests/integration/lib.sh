# ccidlab — helpers for the TAP integration tests (sourced).
: "${top_srcdir:?run through make check}" "${top_builddir:?run through make check}"

CCIDLAB="$top_builddir/src/cli/ccidlab"
DRIVER="$top_builddir/bundle/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so"
TEST_NAME=$(basename "$0" .sh)
LOG_DIR="$top_builddir/tests/integration"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccidlab-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$LOG_DIR"

tap_n=0
tap_failed=0
plan() { echo "1..$1"; }
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=1; echo "not ok $tap_n - $*"; }
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
check() { # check "description" command...
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }

# lab NAME [lab options] -- CMD...: runs a lab, keeping pcscd's log as
# tests/integration/<test>.<NAME>.pcscd.log (kept always: a failing test
# points at it).
lab() {
	name=$1; shift
	"$CCIDLAB" lab --quiet --driver "$DRIVER" --keep-log "$LOG_DIR/$TEST_NAME.$name.pcscd.log" "$@"
}
# lab_bg NAME [lab options] -- CMD...: the same in the background; LAB_PID
# is ccidlab's own pid (not a subshell's), for tests that signal it.
lab_bg() {
	name=$1; shift
	"$CCIDLAB" lab --quiet --driver "$DRIVER" --keep-log "$LOG_DIR/$TEST_NAME.$name.pcscd.log" "$@" &
	LAB_PID=$!
}
lab_log() { echo "$LOG_DIR/$TEST_NAME.$1.pcscd.log"; }

# reader_conf FILE FRIENDLYNAME DEVICENAME [LIBPATH]: one reader.conf.d
# entry, on the installed LIBPATH string of ccidlab's driver, which a lab
# maps to the driver under test (or on the LIBPATH given: libccid's).  A
# DEVICENAME with keys is quoted: pcscd before 1.8.24 takes '=' only in a
# quoted value (the driver removes the quotes), so the entry loads on every
# pcsc-lite from 1.8.16 on.
reader_conf() {
	dn=$3
	# Quoted by the caller already, or quoted here when it has keys.
	case "$dn" in \"*\"|\'*\') ;; *=*) dn="\"$dn\"" ;; esac
	cat > "$1" <<EOC
FRIENDLYNAME "$2"
DEVICENAME   $dn
LIBPATH      ${4:-/usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so}
EOC
}

# Debian's libccid, the reference driver of the usbsim tests.
CCID_BUNDLE=/usr/lib/pcsc/drivers/ifd-ccid.bundle
CCID_LIB=$CCID_BUNDLE/Contents/Linux/libccid.so
# need_libccid [DIR]: ends the test with a TAP skip naming why when
# libccid is not installed; with DIR, copies its bundle there with the
# built-in profiles' id 1209:0002 added (libccid_bundle), or fails.
need_libccid() {
	if [ ! -f "$CCID_LIB" ]; then
		echo "1..0 # SKIP Debian's libccid is not installed ($CCID_LIB)"
		exit 0
	fi
	[ $# -eq 0 ] || libccid_bundle "$1" || exit 1
}
# libccid_bundle DIR: DIR/ifd-ccid.bundle, libccid's bundle whose
# Info.plist also lists 1209:0002 (tests/libccid-bundle.sh).
libccid_bundle() {
	sh "$top_srcdir/tests/libccid-bundle.sh" "$1"
}

# ccid_conf FILE NAME VID/PID ADDRESS: a libccid reader.conf.d entry in
# $conf on the usbsim device at that address (bus 1, interface 0).
ccid_conf() {
	reader_conf "$conf/$1" "$2" "usb:$3:libusb-1.0:1:$4:0" "$CCID_LIB"
}

# toggle_scenario FILE READER FIRST AT_MS GAPS...: a timeline of
# alternating inserts (card readertest) and removes on slot 0 of READER,
# starting with FIRST (insert or remove) AT_MS plus the first gap, each
# next step a gap later.
toggle_scenario() {
	file=$1 reader=$2 action=$3 at=$4
	shift 4
	i=0
	: > "$file"
	for gap in "$@"; do
		i=$((i + 1))
		at=$((at + gap))
		printf '[step %d]\nat_ms=%d\nreader=%s\nslot=0\naction=%s\n' "$i" "$at" "$reader" \
			"$action" >> "$file"
		[ "$action" = insert ] && printf 'card=readertest\n' >> "$file"
		if [ "$action" = insert ]; then action=remove; else action=insert; fi
	done
}

# The usbsim devices of a lab, in $USBSIM (CCIDLAB_USBSIM's spelling), the
# shim numbering them bus 1, addresses 2, 3... in list order.
# usbsim_begin: an empty list.
usbsim_begin() {
	USBSIM=
	usbsim_addr=2
}
# usbsim_add SPEC: the next device; $usbsim_at is its address.
usbsim_add() {
	USBSIM="$USBSIM${USBSIM:+;}$1"
	usbsim_at=$usbsim_addr
	usbsim_addr=$((usbsim_addr + 1))
}
# usbsim_reader FILE NAME SPEC VID/PID [IFACE [LIBPATH]]: the next device
# and its reader.conf.d entry, DEVICENAME usb:VID/PID:libusb-1.0:1:ADDR:IFACE
# (interface 0 by default), on ccidlab's driver or LIBPATH.
usbsim_reader() {
	usbsim_add "$3"
	reader_conf "$1" "$2" "usb:$4:libusb-1.0:1:$usbsim_at:${5:-0}" "${6:-}"
}

# tap_finish OUT RC [ERR PATTERN]: the TAP a program or a lab wrote to OUT
# (its plan left out), then one line for how it ended: RC 0, and no line
# of ERR matching PATTERN (a sanitizer's report); then the plan.
tap_finish() {
	sed '/^1\.\./d' "$1"
	n=$(($(grep -c '^\(not \)\?ok' "$1") + 1))
	if [ "$2" -eq 0 ] && { [ -z "${4:-}" ] || ! grep -q "$4" "$3"; }; then
		echo "ok $n - it ended well${4:+, no sanitizer report}"
	else
		echo "not ok $n - it ended with status $2"
		if [ -n "${4:-}" ]; then
			grep -A30 "$4" "$3" | head -60 | sed 's/^/# /'
			tail -5 "$3" | sed 's/^/# /'
		fi
	fi
	echo "1..$n"
}

# skip_all REASON: the test's N checks skipped, naming why; exits.
skip_all() {
	i=$tap_n
	while [ $i -lt "$N" ]; do skip "$1"; i=$((i + 1)); done
	exit 0
}

# sid_root: ROOT, the Debian sid root of `ccidlab mkroot` (made, or reused,
# in $CCIDLAB_ROOT_CACHE or /var/cache/ccidlab/roots; its output in
# $WORK/mkroot.out), and no_root: empty, or why there is none.
sid_root() {
	ROOT=${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}/sid
	no_root=
	if [ "$(id -u)" -ne 0 ]; then
		no_root="needs root (debootstrap, chroot, mounts)"
	elif ! command -v debootstrap >/dev/null 2>&1; then
		no_root="debootstrap is not installed"
	elif ! "$CCIDLAB" mkroot "$ROOT" > "$WORK/mkroot.out" 2> "$WORK/mkroot.err"; then
		no_root="mkroot failed: $(tail -n 3 "$WORK/mkroot.err" | tr '\n' ' ')"
	fi
}

# pcsc_lite_history: prints where pcsc-lite's git history is (test input,
# never part of ccidlab: a git directory or its tarball), or fails.
# $CCIDLAB_PCSC_LITE_SRC, else the project's shared data beside the
# checkout, else one unpacked into the root cache by an earlier run.
pcsc_lite_history() {
	for h in "${CCIDLAB_PCSC_LITE_SRC:-}" \
		"$top_srcdir/../shared/data/pcsc-lite/pcsc-lite.git.tar.xz" \
		"$top_srcdir/../../shared/data/pcsc-lite/pcsc-lite.git.tar.xz" \
		/work/shared/data/pcsc-lite/pcsc-lite.git.tar.xz \
		"${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}"/src/*.d/*.git; do
		[ -n "$h" ] && [ -e "$h" ] && { echo "$h"; return 0; }
	done
	return 1
}

# alive PID: true while that process exists and is not a zombie.
not_alive() { ! alive "$1"; }
alive() {
	[ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# wait_for COND_CMD... : polls up to 10 s for a condition.
wait_for() {
	i=0
	while [ $i -lt 1000 ]; do
		"$@" && return 0
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}

finish() {
	[ "$tap_failed" -eq 0 ] || diag "pcscd logs: $LOG_DIR/$TEST_NAME.*.pcscd.log"
	exit 0
}
