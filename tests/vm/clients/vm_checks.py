#!/usr/bin/env python3
"""ccidlab — PC/SC checks on QEMU's usb-ccid readers inside `ccidlab vm` (TAP).

usage: vm_checks.py DRIVER CHECK [ARGS...]
  readers N           N readers listed (within 60 s), each with its card
  cac                 the CAC card (libcacard): SCardConnect, SELECT of its
                      PKI applet answered 61 xx or 90 00
  sweep               readertest cases 1-4 at every short length, byte-exact,
                      on the first passthru reader
  each                SELECT readertest, a case 3 and a case 2 on every passthru
                      reader
  edges N             N removals and N insertions of card0 (device_del and
                      device_add through `ccidlab vm`), each seen by an event-
                      mode waiter: counted exactly
  unplug              the reader unplugged during a transmit and during an
                      SCardGetStatusChange wait: both return within bounds,
                      pcscd stays up; replugged, it is listed again

Prints unnumbered TAP lines ("ok - DRIVER: ..."); tests/vm/*.sh number them.
Lines about libccid's known departures carry a TODO mark from the caller.
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "integration", "clients"))
import pcsc  # noqa: E402
import readertest_sweep as rt  # noqa: E402
from smartcard import scard as S  # noqa: E402

DRIVER = sys.argv[1]
CCIDLAB = os.environ["CCIDLAB"]
CAC_ATR = bytes.fromhex("3B7A180000736674652063643134 34".replace(" ", ""))
CAC_PKI = bytes([0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x79, 0x01, 0x00])
SELECT_RT = bytes([0x00, 0xA4, 0x04, 0x00, 0x06]) + rt.AID
PROTOS = S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1
failed = 0
# A transmit cut by an unplug, a waiter woken by it: within these (TCG
# and a loaded machine: generous; a missed unplug is 5 s or never).
PROMPT_S = 8.0
LISTED_S = 60.0


def ok(cond, desc, diag=None):
    global failed
    print("%s - %s: %s" % ("ok" if cond else "not ok", DRIVER, desc), flush=True)
    if not cond:
        failed += 1
        for line in str(diag or "").splitlines():
            print("# " + line, flush=True)
    return cond


def vm(*args):
    p = subprocess.run([CCIDLAB, "vm"] + list(args), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("ccidlab vm %s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout


def atr_of(ctx, name):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(name, S.SCARD_STATE_UNAWARE)])
    if rv != S.SCARD_S_SUCCESS:
        return None, 0
    return bytes(st[0][2]), st[0][1]


def readers_with(ctx, want, timeout=LISTED_S):
    """Reader names whose card's ATR is (or is not) the CAC's."""
    end = time.monotonic() + timeout
    while True:
        found = []
        for name in pcsc.readers(ctx):
            atr, state = atr_of(ctx, name)
            if atr and state & S.SCARD_STATE_PRESENT:
                if (atr == CAC_ATR) == (want == "cac"):
                    found.append(name)
        if found or time.monotonic() > end:
            return sorted(found)
        time.sleep(0.2)


def wait_count(ctx, n, timeout=LISTED_S):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        names = pcsc.readers(ctx)
        present = [x for x in names if atr_of(ctx, x)[1] & S.SCARD_STATE_PRESENT]
        if len(names) >= n and len(present) >= n:
            return names
        time.sleep(0.2)
    return pcsc.readers(ctx)


def check_readers(ctx, n):
    names = wait_count(ctx, int(n))
    ok(len(names) == int(n), "%s readers listed, each with a card" % n, names)


def check_cac(ctx):
    names = readers_with(ctx, "cac")
    if not ok(len(names) == 1, "the CAC card's reader is listed with ATR %s" % CAC_ATR.hex(),
              pcsc.readers(ctx)):
        return
    card, proto = pcsc.connect(ctx, names[0])
    rsp = pcsc.transmit(card, proto, CAC_PKI)
    ok(len(rsp) >= 2 and rsp[-2] in (0x61, 0x90), "CAC: SCardConnect, and SELECT of the PKI "
       "applet A0 00 00 00 79 01 00 answered (%s)" % rsp.hex(" "), rsp.hex())
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def check_sweep(ctx):
    names = readers_with(ctx, "readertest")
    if not ok(names, "a passthru readertest card is listed"):
        return
    card, proto = pcsc.connect(ctx, names[0], S.SCARD_PROTOCOL_T0)
    sel = pcsc.transmit(card, proto, SELECT_RT)
    one = pcsc.transmit(card, proto, bytes([0x80, 0x30, 0, 0]))
    ok(proto == S.SCARD_PROTOCOL_T0 and sel == rt.SW_OK and one == rt.SW_OK,
       "T=0, SELECT readertest and case 1 answer 90 00 (SCardConnect works)",
       "SELECT %s, case 1 %s" % (sel.hex(), one.hex()))
    for kind, lengths in (("case3", range(1, 256)), ("case2", range(1, 257)),
                          ("case4", range(1, 256))):
        bad = rt.sweep(card, proto, kind, lengths, rt.short_apdus)
        ok(not bad, "%s at every short length %d..%d is byte-exact" % (
            kind, lengths[0], lengths[-1]), "\n".join(bad[:5]))
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def check_each(ctx):
    names = readers_with(ctx, "readertest")
    bad = []
    for name in names:
        try:
            card, proto = pcsc.connect(ctx, name)
            sel = pcsc.transmit(card, proto, SELECT_RT)
            got = []
            for kind in ("case3", "case2"):
                apdu, want = rt.short_apdus(17, kind)
                rsp = pcsc.transmit(card, proto, apdu)
                if rsp != want:
                    got.append("%s %s" % (kind, rsp.hex()))
            if sel != rt.SW_OK or got:
                bad.append("%s: SELECT %s, %s" % (name, sel.hex(), got))
            S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
        except RuntimeError as e:
            bad.append("%s: %s" % (name, e))
    ok(names and not bad, "SELECT, a case 3 and a case 2 on each of the %d passthru readers" % len(names),
       "\n".join(bad))


class Waiter(threading.Thread):
    """An event-mode client: SCardGetStatusChange on one reader, counting
    the removals and insertions it is told of."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.name = name
        self.removed = 0
        self.inserted = 0
        self.stop = False
        self.error = None
        self.cond = threading.Condition()
        rv, self.ctx = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
        pcsc.check(rv, "SCardEstablishContext")

    def run(self):
        state = S.SCARD_STATE_UNAWARE
        present = None
        while not self.stop:
            rv, st = S.SCardGetStatusChange(self.ctx, 1000, [(self.name, state)])
            if rv == S.SCARD_E_TIMEOUT:
                continue
            if rv != S.SCARD_S_SUCCESS:
                if rv != S.SCARD_E_CANCELLED:
                    self.error = pcsc.rv_symbol(rv)
                return
            state = st[0][1] & ~S.SCARD_STATE_CHANGED
            now = bool(state & S.SCARD_STATE_PRESENT)
            with self.cond:
                if present is not None and now != present:
                    if now:
                        self.inserted += 1
                    else:
                        self.removed += 1
                present = now
                self.cond.notify_all()

    def wait_for(self, removed, inserted, timeout=30.0):
        end = time.monotonic() + timeout
        with self.cond:
            while (self.removed, self.inserted) != (removed, inserted):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


def check_edges(ctx, n):
    n = int(n)
    names = readers_with(ctx, "readertest")
    if not ok(names, "a passthru readertest card is listed"):
        return
    w = Waiter(names[0])
    w.start()
    time.sleep(1.0)
    missed = []
    t0 = time.monotonic()
    for i in range(n):
        vm("unplug", "card0")
        if not w.wait_for(i + 1, i):
            missed.append("removal %d" % (i + 1))
            break
        vm("plug", "card0")
        if not w.wait_for(i + 1, i + 1):
            missed.append("insertion %d" % (i + 1))
            break
    took = time.monotonic() - t0
    w.stop = True
    S.SCardCancel(w.ctx)
    w.join(5)
    ok(not missed and w.removed == n and w.inserted == n and w.error is None,
       "%d card removals and %d insertions (device_del/device_add), %d/%d and %d/%d seen by "
       "an event-mode waiter (%.1f s)" % (n, n, w.removed, n, w.inserted, n, took),
       "missed: %s; error %s" % (missed, w.error))


def transmit_in_thread(card, proto, apdu, out):
    t0 = time.monotonic()
    rv, rsp = S.SCardTransmit(card, proto, list(apdu))
    out.append((rv, time.monotonic() - t0, bytes(rsp or [])))


def pcscd_up(ctx):
    rv, _ = S.SCardListReaders(ctx, [])
    return rv in (S.SCARD_S_SUCCESS, S.SCARD_E_NO_READERS_AVAILABLE)


def check_unplug(ctx):
    names = readers_with(ctx, "readertest")
    if not ok(names, "a passthru readertest card is listed"):
        return
    name = names[0]
    # A transmit in flight: readertest INS 38 works P2 x 10 ms (2.55 s).
    # Five bytes (P3 00): libccid sends a 4-byte APDU as a 4-byte TPDU,
    # which the card refuses at once.
    card, proto = pcsc.connect(ctx, name)
    pcsc.transmit(card, proto, SELECT_RT)
    out = []
    t = threading.Thread(target=transmit_in_thread,
                         args=(card, proto, bytes([0x80, 0x38, 0x00, 0xFF, 0x00]), out))
    t.start()
    time.sleep(0.8)
    t_unplug = time.monotonic()
    vm("unplug", "ccid0")
    t.join(PROMPT_S + 30)
    done = time.monotonic() - t_unplug
    rv = out[0][0] if out else None
    rsp = out[0][2].hex(" ") if out else ""
    ok(out and done <= PROMPT_S and rv != S.SCARD_S_SUCCESS,
       "unplugged during a transmit: it fails (%s, answer [%s]) within %.1f s (bound %.0f s)" % (
           pcsc.rv_symbol(rv) if rv is not None else "nothing", rsp, done, PROMPT_S),
       "returned %s after %.1f s" % (out, done))
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    ok(pcscd_up(ctx), "pcscd is up after the unplug")
    gone = wait_count_gone(ctx, name)
    ok(gone, "the reader is no longer listed")
    vm("plug", "ccid0")
    names = readers_with(ctx, "readertest")
    ok(len(names) == 1, "replugged (reader and card): listed again", pcsc.readers(ctx))
    if not names:
        return
    name = names[0]
    # A client asleep in SCardGetStatusChange on the reader: woken by the unplug.
    w = []

    def waiter():
        rv, c2 = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
        rv, st = S.SCardGetStatusChange(c2, 60000, [(name, S.SCARD_STATE_PRESENT)])
        w.append((rv, st, time.monotonic()))
        S.SCardReleaseContext(c2)
    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(1.5)
    t_unplug = time.monotonic()
    vm("unplug", "ccid0")
    th.join(PROMPT_S + 60)
    woke = (w[0][2] - t_unplug) if w else None
    ok(w and woke <= PROMPT_S, "unplugged during an SCardGetStatusChange wait: woken within "
       "%.1f s (bound %.0f s), %s" % (woke if woke is not None else -1, PROMPT_S,
                                       pcsc.rv_symbol(w[0][0]) if w else "not woken"),
       "woken %s" % (w,))
    ok(pcscd_up(ctx), "pcscd is up after the second unplug")
    vm("plug", "ccid0")
    names = readers_with(ctx, "readertest")
    ok(len(names) == 1, "replugged again: listed again", pcsc.readers(ctx))


def wait_count_gone(ctx, name, timeout=LISTED_S):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if name not in pcsc.readers(ctx):
            return True
        time.sleep(0.2)
    return False


def main():
    ctx = pcsc.context()
    check = sys.argv[2]
    try:
        {"readers": lambda: check_readers(ctx, sys.argv[3]),
         "cac": lambda: check_cac(ctx),
         "sweep": lambda: check_sweep(ctx),
         "each": lambda: check_each(ctx),
         "edges": lambda: check_edges(ctx, sys.argv[3]),
         "unplug": lambda: check_unplug(ctx)}[check]()
    except Exception as e:  # noqa: BLE001 (a crash is a failed check, with its reason)
        ok(False, "%s: client failed: %s: %s" % (check, type(e).__name__, e))
    S.SCardReleaseContext(ctx)


if __name__ == "__main__":
    main()
