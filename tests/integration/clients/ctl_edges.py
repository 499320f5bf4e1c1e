#!/usr/bin/env python3
"""ccidlab — card edges driven live through the control socket (TAP).

usage: ctl_edges.py EDGES READER...

Every READER (its usbsim device name is its FRIENDLYNAME) starts with
slot 0 empty.  EDGES insert/remove requests go to each reader through
$CCIDLAB_CTL_SOCKET, each after the previous one was counted (in event
mode and on polled readers); a PC/SC client watches: each
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

EDGE_S = 5.0


def snapshot(ctx, names):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(n, S.SCARD_STATE_UNAWARE) for n in names])
    pcsc.check(rv, "SCardGetStatusChange")
    return st


def main():
    edges = int(sys.argv[1])
    readers = sys.argv[2:]
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

    def paced(ks):
        """EDGES edges to every reader of ks, each once the previous one
        was counted on every reader still keeping up: pcscd counts a
        change when its event thread asks the slot (IFDHICCPresence), and
        an edge that comes before it asked goes uncounted with the one
        before it (remove + insert between two looks are no change), on
        a loaded machine as much as on a slow one.  A reader that has
        not counted an edge within EDGE_S is left behind (its count will
        be short: the check below fails it) so as not to hold the others.
        Returns the seconds taken."""
        t = time.monotonic()
        behind = set()
        for i in range(edges):
            for k in ks:
                edge(k, i)
            limit = time.monotonic() + EDGE_S
            while True:
                now = counts()
                waiting = [k for k in ks if k not in behind and now[k] < i + 1]
                if not waiting:
                    break
                if time.monotonic() >= limit:
                    behind.update(waiting)
                    break
                time.sleep(0.01)
        return time.monotonic() - t

    # Event mode (libccid reads NotifySlotChange on the interrupt pipe)
    # and polled readers (pcscd asks IFDHICCPresence every 400 ms): each
    # edge once the previous one was counted.  Latched (latch=1) edges
    # are held until the host saw them, but libccid's notification
    # read releases the latch before pcscd asks the slot, and libccid's
    # power-up after an insertion also observes the slot: open-loop edges
    # 20 ms apart counted 42-48 of 50 with both cores busy.
    ev_k = [k for k, r in enumerate(readers) if modes.get(r) == "event"]
    ev_s = paced(ev_k)
    po_k = [k for k, r in enumerate(readers) if modes.get(r) != "event"]
    po_s = paced(po_k)
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
    print("# event mode: %d readers x %d edges, each after the previous was counted: %.1f s "
          "(%.0f ms per edge)" % (len(ev_k), edges, ev_s, ev_s * 1000 / edges), flush=True)
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
