#!/bin/sh
# ccidlab — `ccidlab vm` as a user meets it: `ccidlab vm -- pcsc_scan -r`
# lists QEMU's usb-ccid reader (the CAC card of libcacard inside), served
# by ccidlab's driver; SCardConnect and the CAC SELECT with ccidlab's
# driver and with libccid; the command's stdout, stderr and status come
# back; the guest can write its results directory and nothing else of the
# host's; it reaches a TCP server on the host's loopback at 10.0.2.2 and
# has USB/IP's vhci-hcd loaded (for a USB/IP server on the host); no QEMU
# is left when the command failed.
. "$top_srcdir/tests/vm/lib.sh"
vm_need

guest="$WORK/guest.sh"
cat > "$guest" <<'EOG'
#!/bin/sh
scan=$(pcsc_scan -r 2>&1)
echo "$scan" | sed 's/^/# pcsc_scan -r: /'
if echo "$scan" | grep -q "433-Swap" &&
	grep -q "ifd-ccidlab.bundle/Contents/Linux/libccidlab.so" "$CCIDLAB_VM_RESULTS/pcscd-ccidlab.log"; then
	echo "ok - pcsc_scan -r lists QEMU's reader, served by ccidlab's driver"
else
	echo "not ok - pcsc_scan -r lists QEMU's reader, served by ccidlab's driver"
fi
sh "$top_srcdir/tests/vm/drivers.sh" readers:1 cac
# Writes: the results (the host sees it), the host's tree (read-only), the
# host's /tmp (an overlay: the guest's own copy).
echo from-guest > "$CCIDLAB_VM_RESULTS/from-guest"
# A build tree under /tmp is under the guest's overlay (writable, its own
# copy: test 17 checks nothing reaches the host): probe elsewhere then.
probe_dir=$top_builddir
case $probe_dir in /tmp/* | /var/tmp/*) probe_dir=/usr/local ;; esac
if touch "$probe_dir/vm-write-probe" 2> /dev/null; then
	echo "not ok - the host's tree is read-only in the guest"
else
	echo "ok - the host's tree is read-only in the guest"
fi
echo probe > "$VM_HOST_TMP_PROBE" 2> /dev/null
banner=$("$PYTHON3" -c "
import socket, sys
s = socket.create_connection(('10.0.2.2', int(sys.argv[1])), 20)
print(s.recv(64).decode().strip())" "$VM_HOST_PORT" 2>&1)
if [ "$banner" = ccidlab-host ]; then
	echo "ok - a TCP server on the host's loopback answers at 10.0.2.2"
else
	echo "not ok - a TCP server on the host's loopback answers at 10.0.2.2"
	echo "# $banner"
fi
if [ -d /sys/module/vhci_hcd ] && [ -d /sys/module/usbip_core ] && usbip version > /dev/null 2>&1; then
	echo "ok - usbip-core and vhci-hcd are loaded, Debian's usbip runs"
else
	echo "not ok - usbip-core and vhci-hcd are loaded, Debian's usbip runs"
fi
echo out-marker
echo err-marker >&2
exit 7
EOG
rm -f "$top_builddir/vm-write-probe" /usr/local/vm-write-probe
probe="$WORK/host-tmp-probe"
# A TCP server on the host's loopback, one connection, bounded.
"$PYTHON3" -c "
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(1)
s.settimeout(600)
open(sys.argv[1], 'w').write('%d' % s.getsockname()[1])
try:
    c, _ = s.accept()
    c.sendall(b'ccidlab-host\\n')
    c.close()
except OSError:
    pass" "$WORK/port" &
server=$!
wait_for test -s "$WORK/port"
VM_HOST_PORT=$(cat "$WORK/port") VM_HOST_TMP_PROBE=$probe \
	vm_run "$WORK/out" --env VM_HOST_TMP_PROBE --env VM_HOST_PORT -- sh "$guest"
kill "$server" 2> /dev/null
wait "$server" 2> /dev/null
vm_tap "$WORK/out" | sed '$d' > "$WORK/tap"
n=$(grep -c '^\(not \)\?ok' "$WORK/tap")
cat "$WORK/tap"
plan_n=$((n + 6))
t=$n
check_line() { t=$((t + 1)); if "$@"; then echo "ok $t - $desc"; else echo "not ok $t - $desc"; fi; }
desc="the command's status comes back (7, got $VM_RC)"; check_line test "$VM_RC" -eq 7
desc="its stdout comes back on stdout"; check_line grep -q '^out-marker$' "$WORK/out"
desc="its stderr comes back on stderr, not on stdout"
check_line sh -c "grep -q '^err-marker\$' '$WORK/out.err' && ! grep -q err-marker '$WORK/out'"
desc="what the guest wrote in the results is on the host"; check_line grep -q from-guest "$RESULTS/from-guest"
desc="nothing the guest wrote elsewhere reached the host (tree, /tmp)"
check_line sh -c "[ ! -e '$top_builddir/vm-write-probe' ] && [ ! -e /usr/local/vm-write-probe ] && [ ! -e '$probe' ]"
desc="no QEMU is left after a failing command (pid $(cat "$RESULTS/vm-qemu.pid" 2>/dev/null))"; check_line qemu_gone
echo "1..$plan_n"
[ "$VM_RC" -eq 7 ] || vm_diag "$WORK/out"
exit 0
