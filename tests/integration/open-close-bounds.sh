#!/bin/sh
# What pcscd waits for in the driver (issue 20): IFDHCreateChannelByName
# returns within 10 s and IFDHCloseChannel within 2 s, whatever the device
# does, on 8-slot readers that do not answer (tests/direct/bounds.c, the
# driver loaded without pcscd).  Before, the open asked each slot its
# status with the 5 s read timeout and a 2 s abort (about 30 min for 256
# slots), the interrupt drain allowed 1024 waits of 100 ms, and a close
# waited for the interrupt thread's resync of every slot.
#   usb-mute     bulk-IN NAKs: no answer ever comes
#   usb-dead     every pipe NAKs, the control pipe too (strings, class
#                requests, the ABORT request)
#   usb-chatty   bulk-IN NAKs, the interrupt pipe floods NotifySlotChange
#   usb-stalls   bulk-IN NAKs, the interrupt pipe stalls: the interrupt
#                thread resyncs by GetSlotStatus while the close comes
#   emu-mute     an emulated reader whose every answer is dropped
#                (DEVICENAME fault=timeout), event mode, and polled
. "$top_srcdir/tests/integration/lib.sh"
SHIM="$top_builddir/src/usbsim/.libs/libccidlab-usbsim.so"
shim="${CCIDLAB_LAB_PRELOAD:+$CCIDLAB_LAB_PRELOAD }$SHIM"
OPEN_MAX_MS=10000
CLOSE_MAX_MS=2000
DEV=usb:1209/0002:libusb-1.0:1:2:0
BASE=generic-apdu-irq:slots=8:card=readertest,t1
run=0

# bounds LABEL USBSIM|"" DEVICENAME [HOLD_MS]
bounds() {
	label=$1 usbsim=$2 dev=$3 hold=${4:-0}
	run=$((run + 1))
	out="$WORK/out-$run" err="$WORK/err-$run"
	if [ -n "$usbsim" ]; then
		LD_PRELOAD="$shim" CCIDLAB_USBSIM="$usbsim" CCIDLAB_CTL_LISTEN="$WORK/drv-$run.sock" \
			"$top_builddir/tests/direct/bounds" "$DRIVER" "$dev" 8 $OPEN_MAX_MS \
			$CLOSE_MAX_MS "$hold" > "$out" 2> "$err"
	else
		CCIDLAB_CTL_LISTEN="$WORK/drv-$run.sock" \
			"$top_builddir/tests/direct/bounds" "$DRIVER" "$dev" 8 $OPEN_MAX_MS \
			$CLOSE_MAX_MS "$hold" > "$out" 2> "$err"
	fi
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$label: ${line#* - }" ;;
		"not ok "*) not_ok "$label: ${line#* - }" ;;
		"# "*) echo "# $label: ${line#\# }" ;;
		esac
	done < "$out"
	check "$label: the program ran to its plan (status $rc)" \
		sh -c "[ $rc -eq 0 ] && grep -q '^1\.\.[1-9]' '$out'"
	[ "$tap_failed" -eq 0 ] || sed 's/^/# stderr: /' "$err" | tail -20
}

bounds usb-mute "$BASE:fault=nak/bulk-in" $DEV
bounds usb-dead "$BASE:fault=nak/bulk-in:fault=nak/bulk-out:fault=nak/control:fault=nak/interrupt" $DEV
bounds usb-chatty "$BASE:fault=nak/bulk-in:fault=notify/interrupt" $DEV
bounds usb-stalls "$BASE:fault=nak/bulk-in:fault=stall/interrupt@1000000" $DEV 1500
bounds emu-mute "" "emu:generic-apdu-irq:slots=8:card=readertest@t1:fault=timeout" 1500
bounds emu-mute-poll "" "emu:generic-apdu-irq:slots=8:mode=poll:card=readertest@t1:fault=timeout"
echo "1..$tap_n"
finish
