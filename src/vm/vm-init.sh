#!/bin/busybox sh
# ccidlab vm — the guest's first stage: /init of the initramfs that
# `ccidlab vm` makes (src/vm/initramfs.c).  It loads the modules listed in
# /modules/order (dependencies first), mounts the host's root read-only
# over 9p (tag ccidlab.root) with a tmpfs /run and the run's plan
# directory (tag ccidlab.plan) in it, and hands over to the plan's
# second stage (ccidlab vm guest-init, the guest's PID 1 from then on).
# Anything that fails powers the guest off: the host sees no "hello",
# reports a failed boot and keeps this console.
B=/bin/busybox
fail() {
	echo "ccidlab-vm-init: $*" > /dev/console
	$B poweroff -f
}
$B mount -t proc proc /proc || fail "mount /proc"
$B mount -t sysfs sysfs /sys || fail "mount /sys"
$B mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
while read -r m; do
	$B insmod "/modules/$m" || fail "insmod $m"
done < /modules/order
# msize: 9p's transfer size; the default (8 KiB) makes every read of the
# host's files many round trips.
O=trans=virtio,version=9p2000.L,msize=262144
$B mount -t 9p -o "$O,ro,cache=loose" ccidlab.root /newroot || fail "mount the host's root"
$B mount -t tmpfs -o mode=0755 tmpfs /newroot/run || fail "mount /run"
$B mkdir -p /newroot/run/ccidlab-vm/plan
$B mount -t 9p -o "$O,ro" ccidlab.plan /newroot/run/ccidlab-vm/plan || fail "mount the plan"
$B mount --move /proc /newroot/proc
$B mount --move /sys /newroot/sys
$B mount --move /dev /newroot/dev
exec $B switch_root /newroot /bin/sh /run/ccidlab-vm/plan/stage2
fail "switch_root"
