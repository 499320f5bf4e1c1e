#!/bin/sh
# The driver's verbosity: libccid's ifdLogLevel bits (1 critical, 2 info,
# 4 comm, 8 periodic) from CCIDLAB_LOG_LEVEL or the DEVICENAME key log=.
# By default no frame and no periodic poll reaches pcscd's log.
. "$top_srcdir/tests/integration/lib.sh"
plan 7
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" Ev emu:generic-apdu-irq
reader_conf "$conf/2" Po emu:generic-short-poll
reader_conf "$conf/3" Bad emu:generic-short-poll:log=99
client="pcsc_scan -r > /dev/null; sleep 1"
log=$(lab_log default)
# The server logs a client's close on its own thread: the command waits
# for that line (10 s at most) before the lab stops pcscd.
ctl_closed="ccidlab: ctl: conn_kill: client [0-9]*: peer closed"
lab default --allow-refused --conf "$conf" -- sh -c "$client; '$CCIDLAB' list > /dev/null; i=0;
	while ! grep -q '$ctl_closed' '$log' && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done"
check "by default the driver says which readers opened" grep -q "open: generic-apdu-irq" "$log"
check "by default no CCID frame is logged" sh -c "! grep -q 'ccidlab: frame()' '$log'"
check "by default periodic polls are silent" sh -c "! grep -q 'present (reported)\|slot 0: present$\|slot 0: absent$' '$log'"
check "a bad log= value is refused with the valid values" \
	grep -q "log=99: valid values are 0..15 (1 critical, 2 info, 4 comm, 8 periodic)" "$log"
# The layers under the driver log with GLib in their own domains; inside
# pcscd one writer sends them to pcscd's log: here the control server's
# debug line for the client that \`ccidlab list\` closed.
check "GLib's lines of the layers under the driver reach pcscd's log (ctl: conn_kill)" \
	grep -q "$ctl_closed" "$log"
CCIDLAB_LOG_LEVEL=15 lab verbose --allow-refused --conf "$conf" -- sh -c "$client"
log=$(lab_log verbose)
check "CCIDLAB_LOG_LEVEL=15 logs the CCID frames in hex" \
	grep -q "ccidlab: frame() reader [0-9] out 10: 65 00 00 00 00" "$log"
check "CCIDLAB_LOG_LEVEL=15 logs the periodic presence polls" \
	grep -q "ccidlab: IFDHICCPresence() reader [0-9] slot 0: present$" "$log"
finish
