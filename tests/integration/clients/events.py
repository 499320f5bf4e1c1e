#!/usr/bin/env python3
"""ccidlab — card events through SCardGetStatusChange (TAP).

usage: events.py READER:START(present|empty):EDGES:END(present|empty) ...

For each reader: the state seen at start-up, then every change until
every reader's event counter (the high 16 bits of dwEventState) reached
its EDGES and none moved for 5 s more (an extra edge would show), or
90 s pass.  The counter must end at exactly EDGES, the number of edges
its scenario injects, and the state at END.

ccidlab's driver in event mode keeps a slot's last two states for pcscd
(issue 20): when pcscd's event thread lags (a loaded machine), a run of
edges it has not looked at folds into its last two, and the driver
counts the edges it folded ("folded" in the control socket's list,
$CCIDLAB_CTL_SOCKET).  There the counter plus the folded edges must be
exactly EDGES: an edge lost or counted twice still shows.  Readers
without the member (polled ones, libccid on usbsim) fold nothing.
"""
import os
import sys
import time

import ctl
import pcsc
from smartcard import scard as S

QUIET_S = 5.0
LIMIT_S = 90.0


def number(pcsc_name):
    """pcscd's reader index, the NN of "NAME NN SS" (the high half of the Lun)."""
    return int(pcsc_name.split(" ")[-2], 16)


class Folded:
    """Slot 0's folded edges of each reader, from the driver's list."""

    def __init__(self, names):
        self.names = names
        self.c = ctl.Ctl() if os.environ.get("CCIDLAB_CTL_SOCKET") else None

    def get(self):
        if self.c is None:
            return [0] * len(self.names)
        rep = self.c.req("list")
        by_number = {r["reader"]: r["slots"][0].get("folded", 0)
                     for r in rep["readers"] if r.get("slots")}
        return [by_number.get(number(n), 0) for n in self.names]

    def close(self):
        if self.c is not None:
            self.c.close()


def main():
    specs = [a.split(":") for a in sys.argv[1:]]
    pcsc.plan(3 * len(specs))
    ctx = pcsc.context()
    names = [pcsc.find(ctx, sp[0]) for sp in specs]
    states = [(n, S.SCARD_STATE_UNAWARE) for n in names]
    rv, states = S.SCardGetStatusChange(ctx, 0, states)
    pcsc.check(rv, "SCardGetStatusChange")
    for sp, (name, ev, atr) in zip(specs, states):
        present = bool(ev & S.SCARD_STATE_PRESENT)
        pcsc.ok(present == (sp[1] == "present"), "%s starts %s" % (name, sp[1]),
                "dwEventState 0x%08X" % ev)
    wakeups = [0] * len(specs)
    last_change = time.monotonic()
    start = last_change
    folded = Folded(names)

    def reached():
        return all((ev >> 16) + f >= int(sp[2])
                   for sp, (_, ev, _), f in zip(specs, states, folded.get()))

    while time.monotonic() - start < LIMIT_S and \
            (not reached() or time.monotonic() - last_change < QUIET_S):
        current = [(n, ev & ~S.SCARD_STATE_CHANGED) for (n, ev, atr) in states]
        rv, new = S.SCardGetStatusChange(ctx, 1000, current)
        if rv == S.SCARD_E_TIMEOUT:
            continue
        pcsc.check(rv, "SCardGetStatusChange")
        for i, ((n, old, _), (_, ev, _)) in enumerate(zip(states, new)):
            if ev & S.SCARD_STATE_CHANGED:
                wakeups[i] += 1
        states = new
        last_change = time.monotonic()
    fold = folded.get()
    folded.close()
    for i, (sp, (name, ev, atr)) in enumerate(zip(specs, states)):
        counter = ev >> 16
        pcsc.ok(counter + fold[i] == int(sp[2]),
                "%s: the event counter rose by exactly %s less the edges the driver folded "
                "(%d + %d folded), %d wakeups" % (name, sp[2], counter, fold[i], wakeups[i]))
        present = bool(ev & S.SCARD_STATE_PRESENT)
        pcsc.ok(present == (sp[3] == "present"), "%s ends %s" % (name, sp[3]),
                "dwEventState 0x%08X" % ev)
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
