#!/usr/bin/env python3
"""ccidlab — a USB reader that floods its interrupt pipe, under ccidlab's
driver in pcscd (TAP; issue 20).

usage: usb_flood.py READER WARMUP MESSAGES

READER is a usbsim device (its name is also its FRIENDLYNAME) with a card
in every slot.  The shim's `notify` USB fault makes the device answer each
interrupt transfer at once with a NotifySlotChange that sets every slot's
changed bit while nothing moves: WARMUP messages first (they fill what is
bounded and fixed: the driver's edge log ring of 65,536 observed edges,
allocator caches), then MESSAGES more, each set on the shim's control
socket and waited out (the fault's count reaches 0).  pcscd's resident
set ($CCIDLAB_PCSCD_PID, VmRSS) is read before, between and after; the
growth over the MESSAGES must stay under 1 MiB, and the reader must still
answer an APDU with its card present.
"""
import os
import sys
import time

import ctl
import pcsc

LIMIT_KB = 1024
SELECT = bytes([0x00, 0xA4, 0x04, 0x00, 6, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])


def rss_kb():
    with open("/proc/%s/status" % os.environ["CCIDLAB_PCSCD_PID"]) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def usb_faults(c, reader):
    rep = c.req("list")
    for rd in rep.get("readers", []):
        if rd.get("name") == reader:
            return rd.get("usb_faults", [])
    return None


def flood(c, reader, n):
    """Sets notify/interrupt@n and waits until the driver read them all."""
    t0 = time.monotonic()
    rep = c.req("fault-set", reader=reader, fault="notify/interrupt@%d" % n)
    if not rep or not rep.get("ok"):
        return None, rep
    while time.monotonic() - t0 < 1800:
        if usb_faults(c, reader) == []:
            return time.monotonic() - t0, None
        time.sleep(0.5)
    return None, "still %s after 1800 s" % usb_faults(c, reader)


def main():
    reader, warmup, messages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pcsc.plan(5)
    c = ctl.Ctl()
    ctx = pcsc.context()
    name = pcsc.find(ctx, reader)
    card, proto = pcsc.connect(ctx, name)
    pcsc.transmit(card, proto, SELECT)
    cold = rss_kb()
    secs, err = flood(c, reader, warmup)
    pcsc.ok(secs is not None, "warm-up: %d NotifySlotChange read by the driver" % warmup, err)
    time.sleep(1)
    base = rss_kb()
    secs, err = flood(c, reader, messages)
    pcsc.ok(secs is not None, "%d NotifySlotChange read by the driver (%.1f s)" %
            (messages, secs or 0), err)
    time.sleep(1)
    after = rss_kb()
    print("# pcscd VmRSS: %d kB cold, %d kB after %d warm-up messages, %d kB after %d more:"
          " +%d kB over the %d (+%d kB from cold)" %
          (cold, base, warmup, after, messages, after - base, messages, after - cold),
          flush=True)
    pcsc.ok(after - base < LIMIT_KB, "pcscd grew %d kB over %d messages (< %d kB)" %
            (after - base, messages, LIMIT_KB))
    pcsc.ok(pcsc.pcscd_alive(), "pcscd is alive")
    ok = False
    try:
        card, proto = pcsc.connect(ctx, name)
        ok = pcsc.transmit(card, proto, SELECT)[-2:] == b"\x90\x00"
    except RuntimeError as e:
        print("# %s" % e)
    pcsc.ok(ok, "the reader still answers an APDU, its card present")
    pcsc.done()


main()
