#!/usr/bin/env python3
"""ccidlab — USB unplug during a transmit and during a polling wait (TAP).

usage: usb_unplug.py   (env: CCIDLAB, CCIDLAB_CTL_SOCKET, CCIDLAB_PCSCD_PID,
                        CCIDLAB_PCSCD_LOG)

The usbsim devices (usb-unplug.sh), each a reader whose FRIENDLYNAME is
its device name, all under ccidlab's driver:
  Multi   generic-ext-multi, 4 slots, cards in slots 0 and 2, event mode
  Other   generic-apdu-irq, event mode: must keep working throughout
  Idle    generic-apdu-irq, event mode, unplugged while pcscd sleeps in
          the driver's interrupt wait
  Forced  generic-apdu-irq forced polling-only (mode=poll), unplugged
          during a transmit
  Poll    generic-short-poll (no interrupt pipe: polling-only), unplugged
          while pcscd polls it
An unplug is `ccidlab fault set DEV device-gone` (the shim's control
socket); a replug `ccidlab fault clear DEV`.  A transmit is kept in
flight by the fault slow:8000 (every card operation 8 s longer, with
time extensions).
"""
import os
import subprocess
import threading
import time

import pcsc
from pcsc import pcscd_alive
from smartcard import scard as S

SELECT = bytes([0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
CASE2 = bytes([0x80, 0x34, 0x00, 0x10, 0x10])
SLOW_MS = 8000
# An unplug ends a transmit or a wait within this.  pcscd itself sleeps
# 1 s after each IFD_NO_SUCH_DEVICE (SendHotplugSignal), in the thread
# that got it: a transmit comes back 1 s after the driver returned.
PROMPT_S = 3.0
# A client blocked in SCardGetStatusChange is woken within this: a
# driver that missed the unplug would leave pcscd in its wait until the
# wait's 5 s timeout (card powered, unused) or longer.
WAKE_S = 4.0
# Every slot of the unplugged device is seen gone by a polling client
# within this: generous, as a loaded machine can starve the client
# itself for seconds; it catches slots that are never failed.
SEEN_S = 10.0
PROTOS = S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1
rv_name = pcsc.rv_symbol


def ccidlab(*args):
    p = subprocess.run([os.environ["CCIDLAB"]] + list(args), capture_output=True, text=True,
                       timeout=30)
    if p.returncode != 0:
        raise RuntimeError("ccidlab %s: %s" % (" ".join(args), (p.stdout + p.stderr).strip()))


def state(ctx, name):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(name, S.SCARD_STATE_UNAWARE)])
    return st[0][1] if rv == S.SCARD_S_SUCCESS else 0


def gone(ev):
    """What a client sees of an unplugged reader: no card, or unavailable."""
    return bool(ev & (S.SCARD_STATE_UNAVAILABLE | S.SCARD_STATE_EMPTY)) or \
        not ev & S.SCARD_STATE_PRESENT


def transmit(card, proto, apdu):
    rv, rsp = S.SCardTransmit(card, proto, list(apdu))
    return rv, bytes(rsp) if rv == S.SCARD_S_SUCCESS else b""


def works(card, proto):
    for apdu in (SELECT, CASE2):
        rv, rsp = transmit(card, proto, apdu)
        if rv != S.SCARD_S_SUCCESS or rsp[-2:] != b"\x90\x00":
            return False
    return True


class Timed(threading.Thread):
    """Runs fn in a thread; .result, .ended (monotonic) once it returns."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn, self.result, self.ended = fn, None, None
        self.start()

    def run(self):
        self.result = self.fn()
        self.ended = time.monotonic()


def find_slot(ctx, dev, slot):
    """pcscd names slot s of a reader "NAME RR SS" (hex)."""
    for n in pcsc.readers(ctx):
        if n.startswith(dev + " ") and n.endswith(" %02X" % slot):
            return n
    raise RuntimeError("no slot %d of %s in %s" % (slot, dev, pcsc.readers(ctx)))


def other_works(ctx, what):
    name = pcsc.find(ctx, "Other ")
    card, proto = pcsc.connect(ctx, name)
    ok = works(card, proto)
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    pcsc.ok(ok and pcscd_alive(), "%s: pcscd alive, the reader Other still transmits" % what)


def wait_gone(ctx, names, since, limit=SEEN_S + 2.0):
    """Seconds from `since` until each reader looks gone (None: never)."""
    out = {n: None for n in names}
    end = time.monotonic() + limit
    while time.monotonic() < end and any(v is None for v in out.values()):
        for n in names:
            if out[n] is None and gone(state(ctx, n)):
                out[n] = time.monotonic() - since
        time.sleep(0.02)
    return out


def unplug_in_transmit(ctx, dev, slots, all_slots, table):
    """Transmits in flight on `slots` of dev (slow card), then the unplug."""
    cards = []
    for s in slots:
        # A context each: pcscd runs one client's commands one at a time.
        name = find_slot(ctx, dev, s)
        card, proto = pcsc.connect(pcsc.context(), name)
        pcsc.check(0 if works(card, proto) else 1, "%s: transmit before the unplug" % name)
        cards.append((name, card, proto))
    ccidlab("fault", "set", dev, "slow:%d" % SLOW_MS)
    t0 = time.monotonic()
    runs = [Timed(lambda c=c, p=p: transmit(c, p, CASE2)) for (_, c, p) in cards]
    time.sleep(1.0)
    inflight = all(r.ended is None for r in runs)
    ccidlab("fault", "set", dev, "device-gone")
    t_unplug = time.monotonic()
    for r in runs:
        r.join(SLOW_MS / 1000.0 + 60)
    pcsc.ok(inflight, "%s: %d transmit(s) in flight at the unplug (slow:%d)"
            % (dev, len(runs), SLOW_MS))
    for (name, _, _), r in zip(cards, runs):
        if r.ended is None:
            pcsc.ok(False, "%s: the transmit in flight returns after the unplug" % name,
                    "still running after %.0f s" % (time.monotonic() - t_unplug))
            continue
        rv = r.result[0]
        after = r.ended - t_unplug
        pcsc.ok(rv != S.SCARD_S_SUCCESS and after < PROMPT_S,
                "%s: the transmit in flight fails within %.1f s of the unplug: %s after %.2f s"
                % (name, PROMPT_S, rv_name(rv), after))
        table.append("%s | unplug during transmit | %s | %.2f s after the unplug (%.2f s in all)"
                     % (name, rv_name(rv), after, r.ended - t0))
    names = [find_slot(ctx, dev, s) for s in all_slots]
    seen = wait_gone(ctx, names, t_unplug)
    for n in names:
        t = seen[n]
        pcsc.ok(t is not None and t < SEEN_S,
                "%s: clients see it gone within %.0f s of the unplug (%s, state 0x%X)"
                % (n, SEEN_S, "never" if t is None else "%.2f s" % t, state(ctx, n)))
        table.append("%s | state after the unplug | 0x%X | %s" %
                     (n, state(ctx, n), "never" if t is None else "%.2f s" % t))
    for name, card, proto in cards:
        rv, _ = transmit(card, proto, CASE2)
        pcsc.ok(rv != S.SCARD_S_SUCCESS, "%s: a new transmit fails at once: %s"
                % (name, rv_name(rv)))
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def unplug_in_wait(ctx, dev, mode, table):
    """The reader idle, a client waiting for its next change; the unplug."""
    name = pcsc.find(ctx, dev + " ")
    ctx2 = pcsc.context()
    ev = state(ctx, name)
    pcsc.check(0 if ev & S.SCARD_STATE_PRESENT else 1, "%s: card present before" % name)
    time.sleep(1.0)		# pcscd back in its wait: the driver's, or its 400 ms sleep
    waiter = Timed(lambda: S.SCardGetStatusChange(ctx2, 20000, [(name, ev & ~S.SCARD_STATE_CHANGED)]))
    time.sleep(0.5)
    ccidlab("fault", "set", dev, "device-gone")
    t_unplug = time.monotonic()
    waiter.join(30)
    if waiter.ended is None:
        pcsc.ok(False, "%s (%s): a waiting client is woken by the unplug" % (name, mode))
        return
    rv, st = waiter.result
    after = waiter.ended - t_unplug
    new = st[0][1] if rv == S.SCARD_S_SUCCESS else 0
    pcsc.ok(rv == S.SCARD_S_SUCCESS and after < WAKE_S and gone(new),
            "%s (%s): a client waiting in SCardGetStatusChange learns within %.1f s "
            "(%.2f s, %s, state 0x%X)" % (name, mode, WAKE_S, after, rv_name(rv), new))
    table.append("%s (%s) | unplug during the polling wait | state 0x%X | %.2f s after the unplug"
                 % (name, mode, new, after))
    rv, card, proto = S.SCardConnect(ctx, name, S.SCARD_SHARE_SHARED, PROTOS)
    pcsc.ok(rv != S.SCARD_S_SUCCESS, "%s: SCardConnect fails after the unplug: %s"
            % (name, rv_name(rv)))
    S.SCardReleaseContext(ctx2)


def main():
    pcsc.plan(26)
    ctx = pcsc.context()
    table = []
    # Start-up: the cards present from the start are no edge.  (The
    # NotifySlotChange a reader queues for them is stale by the time
    # the driver first looks; read as news, its "changed" bit would be
    # a remove and reinsert pcscd counts.)
    moved = {n: (ev >> 16) for (n, ev, _) in
             S.SCardGetStatusChange(ctx, 0, [(n, S.SCARD_STATE_UNAWARE)
                                             for n in pcsc.readers(ctx)])[1] if ev >> 16}
    pcsc.ok(not moved, "start-up: no reader's event counter moved", "counters: %s" % moved)
    other_works(ctx, "before")
    # 1. Multi-slot, event mode: two transmits in flight; every slot fails.
    unplug_in_transmit(ctx, "Multi", [0, 2], [0, 1, 2, 3], table)
    other_works(ctx, "Multi unplugged")
    # 2. Polling-only (forced on an interrupt-capable reader): a transmit.
    unplug_in_transmit(ctx, "Forced", [0], [0], table)
    other_works(ctx, "Forced unplugged")
    # 3. The polling waits: event mode, then polling-only.
    unplug_in_wait(ctx, "Idle", "event mode", table)
    unplug_in_wait(ctx, "Poll", "polling-only", table)
    other_works(ctx, "Idle and Poll unplugged")
    # 4. What pcscd's log says.
    log = pcsc.pcscd_log()
    gone_lines = [l for l in log.splitlines() if "device gone" in l]
    pcsc.ok(len(gone_lines) == 4, "the driver logs each of the 4 unplugs once, in both modes "
            "(%d 'device gone' lines)"
            % len(gone_lines), "pcscd log: %s" % os.environ.get("CCIDLAB_PCSCD_LOG"))
    for l in gone_lines[:6]:
        print("# log: " + l.strip()[:160], flush=True)
    for l in [l for l in log.splitlines() if "Removed" in l or "removed" in l][:8]:
        print("# log: " + l.strip()[:160], flush=True)
    # pcscd sets TAG_IFD_DEVICE_REMOVED only when its hotplug removes a
    # reader (RFRemoveReader with REMOVE_READER_FLAG_REMOVED); it never
    # removes reader.conf.d readers, and libudev does not see usbsim
    # devices: the driver never hears it here ("reader N: removed").
    tagged = [l for l in log.splitlines() if ": removed" in l and "reader " in l]
    pcsc.ok(not tagged, "TAG_IFD_DEVICE_REMOVED is never set for reader.conf.d readers",
            "\n".join(tagged[:3]))
    # 5. Replug: pcscd does not reopen reader.conf.d readers, and the
    # driver's handle from before stays dead (a replugged USB device is
    # a new device): the readers stay listed, unavailable.
    for dev in ("Multi", "Forced", "Idle", "Poll"):
        ccidlab("fault", "clear", dev)
    time.sleep(2.0)
    names = pcsc.readers(ctx)
    dead = [n for n in names if not n.startswith("Other ")]
    states = {n: state(ctx, n) for n in dead}
    pcsc.ok(len(names) == 8 and all(gone(v) for v in states.values()),
            "replugged: pcscd keeps the 7 readers listed, still gone (not reopened)",
            "%s" % ", ".join("%s 0x%X" % kv for kv in states.items()))
    for n, v in states.items():
        table.append("%s | after the replug | state 0x%X" % (n, v))
    other_works(ctx, "after the replug")
    for line in table:
        print("# TABLE " + line, flush=True)
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e, flush=True)
