#!/bin/sh
# The driver's verbosity: libccid's ifdLogLevel bits (1 critical, 2 info,
# 4 comm, 8 periodic) from CCIDLAB_LOG_LEVEL or the DEVICENAME key log=.
# By default no frame and no periodic poll reaches pcscd's log.
. "$top_srcdir/tests/integration/lib.sh"
plan 6
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" Ev emu:generic-apdu-irq
reader_conf "$conf/2" Po emu:generic-short-poll
reader_conf "$conf/3" Bad emu:generic-short-poll:log=99
client="pcsc_scan -r > /dev/null; sleep 1"
lab default --conf "$conf" -- sh -c "$client"
log=$(lab_log default)
check "by default the driver says which readers opened" grep -q "open: generic-apdu-irq" "$log"
check "by default no CCID frame is logged" sh -c "! grep -q 'ccidlab: frame()' '$log'"
check "by default periodic polls are silent" sh -c "! grep -q 'present (reported)\|slot 0: present$\|slot 0: absent$' '$log'"
check "a bad log= value is refused with the valid values" \
	grep -q "log=99: valid values are 0..15 (1 critical, 2 info, 4 comm, 8 periodic)" "$log"
CCIDLAB_LOG_LEVEL=15 lab verbose --conf "$conf" -- sh -c "$client"
log=$(lab_log verbose)
check "CCIDLAB_LOG_LEVEL=15 logs the CCID frames in hex" \
	grep -q "ccidlab: frame() reader [0-9] out 10: 65 00 00 00 00" "$log"
check "CCIDLAB_LOG_LEVEL=15 logs the periodic presence polls" \
	grep -q "ccidlab: IFDHICCPresence() reader [0-9] slot 0: present$" "$log"
finish
