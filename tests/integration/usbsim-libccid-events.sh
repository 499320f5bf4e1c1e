#!/bin/sh
# Card events from usbsim readers through Debian's libccid and pcscd:
# emulator timelines (scenario=FILE in CCIDLAB_USBSIM) insert and remove
# cards; pcscd's event counter must move by exactly the number of edges.
# Interrupt pipe (libccid's event path, NotifySlotChange read with the
# async libusb API): 20 edges 800..1200 ms apart.  No interrupt pipe
# (libccid polled by pcscd every 400 ms): 6 edges held 1200 ms.
# A timeline cannot wait for the host, so each edge is held for a
# generous cap: pcscd counts a change only when its event thread asks the
# slot (IFDHICCPresence) after libccid's notification read, which
# releases the emulator's latch (latch=1); an edge that comes before
# pcscd asked goes uncounted with the one before it.  Open-loop edges
# 5..20 ms apart counted 42-48 of 50 with both cores busy: the scheduler,
# not the code.  Fast edges paced on what pcscd counted are
# usbsim-libccid-ctl.sh's.  The first edge comes 8 s after the shim's
# start, so that the client's first look (after pcscd's start-up under
# ASan on a busy machine) sees the start state.
. "$top_srcdir/tests/integration/lib.sh"
need_libccid "$WORK"

gaps=$(awk 'BEGIN { srand(7); for (i = 0; i < 20; i++) printf "%d ", 800 + int(rand() * 401) }')
toggle_scenario "$WORK/ev.scn" evA insert 8000 $gaps
toggle_scenario "$WORK/evp.scn" evB remove 8000 $gaps
toggle_scenario "$WORK/po.scn" poC insert 8000 1200 1200 1200 1200 1200 1200

USBSIM="generic-apdu-irq:name=evA:card=none:latch=1:scenario=$WORK/ev.scn"
USBSIM="$USBSIM;generic-t1-irq:name=evB:latch=1:scenario=$WORK/evp.scn"
USBSIM="$USBSIM;generic-short-poll:name=poC:card=none:scenario=$WORK/po.scn"
conf="$WORK/conf"
mkdir -p "$conf"
ccid_conf 1 EvEmpty 1209/0002 2
ccid_conf 2 EvFull 1209/0002 3
ccid_conf 3 PoEmpty 1209/0002 4
cd "$top_srcdir/tests/integration/clients" || exit 1
lab main --conf "$conf" --bundle "$WORK/ifd-ccid.bundle" --usbsim "$USBSIM" -- \
	"$PYTHON3" events.py EvEmpty:empty:20:empty EvFull:present:20:present PoEmpty:empty:6:empty
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
