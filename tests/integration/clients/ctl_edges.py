#!/usr/bin/env python3
"""ccidlab — card edges driven live through the control socket (TAP).

usage: ctl_edges.py EDGES GAP_MS READER...

Every READER (its usbsim device name is its FRIENDLYNAME) starts with
slot 0 empty.  EDGES insert/remove requests go to each reader through
$CCIDLAB_CTL_SOCKET: GAP_MS apart on event-mode readers, each after the
previous one was counted on polled readers; a PC/SC client watches: each
reader's event counter (dwEventState >> 16) must rise by exactly EDGES,
and the reader end in the state of the last edge.  Then the first reader is unplugged (device-gone) and
replugged (fault clear): pcscd must stay up and keep the reader listed
(libccid reports IFD_NO_SUCH_DEVICE: "card removed"), and the other
readers must keep working.
"""
import os
import sys
import time

import ctl
import pcsc
from smartcard import scard as S

LIMIT_S = 90.0


def snapshot(ctx, names):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(n, S.SCARD_STATE_UNAWARE) for n in names])
    pcsc.check(rv, "SCardGetStatusChange")
    return st


def main():
    edges, gap = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
    readers = sys.argv[3:]
    pcsc.plan(3 * len(readers) + 5)
    ctx = pcsc.context()
    names = [pcsc.find(ctx, r + " ") for r in readers]
    base = [ev >> 16 for (_, ev, _) in snapshot(ctx, names)]
    c = ctl.Ctl()
    modes = {r["name"]: r["mode"] for r in c.req("list")["readers"]}
    refused = [0] * len(readers)
    want_present = edges % 2 == 1

    def edge(k, i):
        req = "insert" if i % 2 == 0 else "remove"
        args = {"card": "readertest"} if req == "insert" else {}
        rep = c.req(req, reader=readers[k], slot=0, **args)
        if rep is None or not rep.get("ok"):
            refused[k] += 1

    def counts():
        return [((ev >> 16) - b) & 0xFFFF for (_, ev, _), b in zip(snapshot(ctx, names), base)]

    # Event mode (libccid reads NotifySlotChange on the interrupt pipe):
    # open loop, GAP_MS apart, every edge latched until the host saw it.
    ev_k = [k for k, r in enumerate(readers) if modes.get(r) == "event"]
    t0 = time.monotonic()
    for i in range(edges):
        for k in ev_k:
            edge(k, i)
        time.sleep(gap)
    drive_s = time.monotonic() - t0
    # Until every count is in, or none moved for 3 s (a reader that
    # misses edges must not hold the run for LIMIT_S).
    last, moved = None, time.monotonic()
    while time.monotonic() - t0 < LIMIT_S and time.monotonic() - moved < 3.0:
        now = counts()
        if all(now[k] >= edges for k in ev_k):
            break
        if now != last:
            last, moved = now, time.monotonic()
        time.sleep(0.1)
    ev_s = time.monotonic() - t0
    # Polled readers (pcscd asks IFDHICCPresence every 400 ms): an edge
    # a poll has not seen yet is latched, but libccid's power-up after an
    # insertion also observes the slot, and pcscd cannot tell a remove +
    # insert between two polls from no change: each edge waits until the
    # previous one was counted (at most 5 s), all polled readers at once.
    po_k = [k for k, r in enumerate(readers) if modes.get(r) != "event"]
    t1 = time.monotonic()
    for i in range(edges):
        for k in po_k:
            edge(k, i)
        limit = time.monotonic() + 5.0
        while time.monotonic() < limit and not all(counts()[k] >= i + 1 for k in po_k):
            time.sleep(0.02)
    po_s = time.monotonic() - t1
    time.sleep(1.0)	# an extra edge would show by now
    st = snapshot(ctx, names)
    for k, ((name, ev, _), b) in enumerate(zip(st, base)):
        pcsc.ok(refused[k] == 0, "%s (%s): %d live insert/remove requests accepted"
                % (name, modes.get(readers[k]), edges), "%d refused" % refused[k])
        delta = ((ev >> 16) - b) & 0xFFFF
        pcsc.ok(delta == edges, "%s: the event counter rose by exactly %d (%d)" % (name, edges, delta))
        pcsc.ok(bool(ev & S.SCARD_STATE_PRESENT) == want_present,
                "%s ends %s" % (name, "present" if want_present else "empty"),
                "dwEventState 0x%08X" % ev)
    print("# event mode: %d readers x %d edges %d ms apart, driven in %.2f s, all counted "
          "after %.2f s" % (len(ev_k), edges, gap * 1000, drive_s, ev_s), flush=True)
    if po_k:
        print("# polled: %d readers x %d edges, each after the previous was counted: %.1f s "
              "(%.0f ms per edge)" % (len(po_k), edges, po_s, po_s * 1000 / edges), flush=True)
    # Unplug and replug the first reader's whole USB device.
    first = readers[0]
    if not want_present:
        c.req("insert", reader=first, slot=0, card="readertest")
        time.sleep(1.0)
    before = snapshot(ctx, names)[0][1]
    rep = c.req("fault-set", reader=first, fault="device-gone")
    pcsc.ok(rep is not None and rep.get("ok"), "%s: device-gone set (USB unplug)" % first, rep)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ev = snapshot(ctx, names)[0][1]
        if not ev & S.SCARD_STATE_PRESENT:
            break
        time.sleep(0.1)
    listed = pcsc.readers(ctx)
    pcsc.ok(names[0] in listed and not ev & S.SCARD_STATE_PRESENT,
            "unplugged: pcscd keeps %s listed, card gone (libccid: IFD_NO_SUCH_DEVICE)" % names[0],
            "before 0x%08X after 0x%08X, readers %s" % (before, ev, listed))
    rep = c.req("fault-clear", reader=first)
    pcsc.ok(rep is not None and rep.get("ok"), "%s: fault cleared (USB replug)" % first, rep)
    time.sleep(2.0)
    ev2 = snapshot(ctx, names)[0][1]
    # libccid keeps its old handle, which stays dead after the replug
    # (libusb: the device that comes back is a new one); pcscd declared
    # the reader in reader.conf.d and does not reopen it.
    pcsc.ok(not ev2 & S.SCARD_STATE_PRESENT,
            "replugged: %s stays empty (libccid's handle from before the unplug is dead)" % names[0],
            "dwEventState 0x%08X" % ev2)
    alive = True
    pid = os.environ.get("CCIDLAB_PCSCD_PID")
    if pid:
        try:
            os.kill(int(pid), 0)
        except OSError:
            alive = False
    others = snapshot(ctx, names[1:]) if len(names) > 1 else []
    pcsc.ok(alive and len(pcsc.readers(ctx)) >= len(names),
            "pcscd alive, every reader still listed after unplug/replug", others)
    c.close()
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
