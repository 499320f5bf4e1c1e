#!/bin/sh
# The driver without pcscd (tests/direct/handler_direct.c): loaded with
# dlopen and called as pcscd calls it, on usbsim devices (usb: names, the
# shim preloaded) and on emulated readers (emu: names).  Each device runs
# twice: the program exports pcscd's log_msg/log_xxd (its lines go there)
# or has none (the driver must load all the same, its lines on stderr).
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so"
USBSIM="generic-apdu-irq:card=readertest,t1:name=apdu;generic-t1-irq:card=readertest,t1:name=t1"
USBSIM="$USBSIM;generic-ext-multi:slots=1:card=readertest,t1:name=ext"
export HANDLER_TEST_CCIDLAB="$CCIDLAB"
run=0

# direct LABEL PROGRAM PRELOAD DEVICENAME CTL_SOCKET CTL_NAME [ext]: one
# program run, its TAP lines relayed with LABEL.  CTL_SOCKET is "usbsim"
# (the shim's control socket) or "driver" (the driver's own).
direct() {
	label=$1 prog=$2 preload=$3 dev=$4 sock=$5 name=$6; shift 6
	run=$((run + 1))
	drv_sock="$WORK/driver-$run.sock"
	usbsim_sock="$WORK/usbsim-$run.sock"
	case $sock in driver) sock=$drv_sock ;; usbsim) sock=$usbsim_sock ;; esac
	out="$WORK/out-$run" err="$WORK/err-$run"
	if [ -n "$preload" ]; then
		LD_PRELOAD="$preload" CCIDLAB_USBSIM="$USBSIM" CCIDLAB_USBSIM_CTL="$usbsim_sock" \
		CCIDLAB_CTL_LISTEN="$drv_sock" \
			"$top_builddir/tests/direct/$prog" "$DRIVER" "$dev" "$sock" "$name" "$@" \
			> "$out" 2> "$err"
	else
		CCIDLAB_CTL_LISTEN="$drv_sock" \
			"$top_builddir/tests/direct/$prog" "$DRIVER" "$dev" "$sock" "$name" "$@" \
			> "$out" 2> "$err"
	fi
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$label: ${line#* - }" ;;
		"not ok "*) not_ok "$label: ${line#* - }" ;;
		esac
	done < "$out"
	check "$label: the program ran to its plan, status 0 (was $rc)" \
		sh -c "[ $rc -eq 0 ] && grep -q '^1\.\.[1-9]' '$out'"
	if [ "$prog" = handler_direct ]; then
		check "$label: without log_msg the driver's lines go to stderr" grep -q '^ccidlab: ' "$err"
	else
		check "$label: with log_msg, none on stderr" sh -c "! grep -q '^ccidlab: ' '$err'"
	fi
	[ "$tap_failed" -eq 0 ] || sed 's/^/# stderr: /' "$err"
}

shim="${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$SHIM"
for prog in handler_direct_log handler_direct; do
	direct "$prog usb APDU-level" $prog "$shim" usb:1209/0002:libusb-1.0:1:2:0 usbsim apdu
	direct "$prog usb T=1 TPDU (libudev name)" $prog "$shim" usb:1209/0002:libudev:0:/dev/bus/usb/001/003 \
		usbsim t1
	direct "$prog usb extended" $prog "$shim" usb:1209/0002:libusb-1.0:1:4:0 usbsim ext ext
	direct "$prog emu APDU-level" $prog "" emu:generic-apdu-irq:card=readertest@t1:name=e1 driver e1
	direct "$prog emu extended" $prog "" emu:generic-ext-multi:slots=1:card=readertest@t1:name=e2 driver e2 ext
	# Issue 17: a TPDU reader of 64-byte messages: T=1 at every length,
	# T=0 within what one message carries, the rest refused with a reason.
	direct "$prog emu 64-byte TPDU reader, T=1" $prog "" \
		emu:Elatec_TWN4_SmartCard_NFC.txt:card=readertest@t1:name=e3 driver e3
	direct "$prog emu 64-byte TPDU reader, T=0" $prog "" \
		emu:Elatec_TWN4_SmartCard_NFC.txt:card=readertest@t0:name=e4 driver e4 t0-small
	[ "$prog" = handler_direct_log ] ||
		check "$prog emu 64-byte TPDU reader, T=0: the refusal's log line says why" \
			grep -q "over the reader's message size: case 3S of 55 bytes, TPDU 55 bytes: one message of this reader carries 54 bytes" \
			"$WORK/err-$run"
done
echo "1..$tap_n"
finish
