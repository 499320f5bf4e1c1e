#!/usr/bin/env python3
"""ccidlab — USB transfer faults of usbsim devices under a driver (TAP).

usage: usbsim_faults.py CASE...      CASE = READER,FAULT,WHEN,EXPECT

Every READER (a usbsim device name that is also its FRIENDLYNAME) holds
a card.  For each case the client connects, checks that a SELECT works,
then sets FAULT live on the shim's control socket ($CCIDLAB_CTL_SOCKET)
and:
  WHEN "transmit": sends a case-1 APDU at once (the fault hits that
                   exchange); "transmit-twice": two (a fault that
                   stays, like a halt, meets the second one too);
  WHEN "idle":     sends nothing (the fault hits the driver's pending
                   interrupt transfer) and waits for the reader's state
                   to change.
It asserts that the call returns within BOUND_S, that pcscd is alive,
and, after `fault clear`, what the driver did next (probed with case-2
APDUs whose answers differ from each other and from the faulted
case-1's), EXPECT:
  "at-once":   the next APDU answers right;
  "stale":     the next APDUs get the faulted exchanges' answers (the
               driver takes late answers), the ones after answer right;
  "desync":    each APDU gets the answer of the one before (the driver
               takes late answers) until SCardReconnect;
  "reconnect": APDUs fail until SCardReconnect, then answer right;
  "removed":   the reader reports no card (or is gone), and stays so
               after the clear (the driver never reopens the device).
Each case prints what the driver answered ("# observed: ...").
"""
import os
import sys
import time

import ctl
import pcsc
from smartcard import scard as S

BOUND_S = 15.0
AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SELECT = bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID
CASE1 = bytes([0x80, 0x30, 0, 0])
SW_OK = b"\x90\x00"


EXPECTS = {
    "at-once": "the next APDU answers right",
    "stale": "the next APDUs get the faulted ones' answers, then they answer right",
    "reconnect": "APDUs fail until a reconnect, then answer right",
    "desync": "each APDU gets the answer of the one before until a reconnect",
}


def pcscd_alive():
    pid = os.environ.get("CCIDLAB_PCSCD_PID")
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except OSError:
        return False
    with open("/proc/%s/status" % pid) as f:
        return not any(l.startswith("State:") and "Z" in l for l in f)


def try_transmit(card, proto, apdu):
    t0 = time.monotonic()
    rv, rsp = S.SCardTransmit(card, proto, list(apdu))
    return rv, bytes(rsp) if rv == S.SCARD_S_SUCCESS else b"", time.monotonic() - t0


def rv_name(rv):
    return "%s (0x%08X)" % (S.SCardGetErrorMessage(rv).strip(), rv & 0xFFFFFFFF)


def state(ctx, name):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(name, S.SCARD_STATE_UNAWARE)])
    if rv != S.SCARD_S_SUCCESS:
        return 0
    return st[0][1]


def wait_empty(ctx, name, limit):
    """Until the reader shows no card or is unavailable (or limit s)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        ev = state(ctx, name)
        if not ev & S.SCARD_STATE_PRESENT or ev & S.SCARD_STATE_UNAVAILABLE:
            return True, time.monotonic() - t0
        time.sleep(0.05)
    return False, time.monotonic() - t0


def case2(k):
    """Probe k: a case-2 APDU whose answer (8 + k bytes of pattern) no
    other exchange has."""
    n = 8 + k
    return bytes([0x80, 0x34, 0, n, n]), bytes(range(n)) + SW_OK


def probes(card, proto, first, count):
    """Sends probes first..first+count-1; each is 'ok', 'stale' (the
    answer of an earlier exchange: the faulted case-1's 90 00 or an
    earlier probe's) or the failure."""
    seen = []
    for k in range(first, first + count):
        apdu, want = case2(k)
        rv, rsp, _ = try_transmit(card, proto, apdu)
        if rv != S.SCARD_S_SUCCESS:
            seen.append(rv_name(rv))
        elif rsp == want:
            seen.append("ok")
        elif rsp == SW_OK or any(rsp == case2(j)[1] for j in range(k)):
            seen.append("stale")
        else:
            seen.append("answer " + rsp.hex())
    return seen


def recover(card, proto):
    """What the next exchanges give: (category, how, ok).  category:
    at-once (the next APDU answers right), stale (the next ones get
    earlier exchanges' answers, then the right ones), desync (every one
    gets the answer of the one before, until SCardReconnect), reconnect
    (they fail until SCardReconnect)."""
    seen = probes(card, proto, 0, 4)
    stale = next((i for i, x in enumerate(seen) if x != "stale"), len(seen))
    if stale < len(seen) and all(x == "ok" for x in seen[stale:]):
        if stale == 0:
            return "at-once", "the next APDU answers right", True
        return ("stale", "the next %d APDU(s) get the faulted exchanges' answers, the ones "
                "after answer right" % stale, True)
    # A reconnect's first presence poll (GetSlotStatus) may meet a stale
    # answer too big for its buffer (LIBUSB_ERROR_OVERFLOW, the answer
    # is lost): up to 4 tries.
    for attempt in range(1, 5):
        rv, _ = S.SCardReconnect(card, S.SCARD_SHARE_SHARED,
                                 S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1, S.SCARD_RESET_CARD)
        if rv == S.SCARD_S_SUCCESS:
            rv2, rsp, _ = try_transmit(card, proto, SELECT)
            if rv2 == S.SCARD_S_SUCCESS and rsp == SW_OK and probes(card, proto, 4, 2) == ["ok"] * 2:
                got = "desync" if stale == len(seen) else "reconnect"
                return (got, "the next APDUs give %s; after %d SCardReconnect (reset) they "
                        "answer right" % (", ".join(seen), attempt), True)
        time.sleep(0.5)
    return "broken", "the next APDUs give %s, and a reconnect does not help (%s)" % (
        ", ".join(seen), rv_name(rv)), False


def run_case(ctx, c, spec):
    reader, fault, when, expect = spec.split(",")
    name = pcsc.find(ctx, reader + " ")
    card, proto = pcsc.connect(ctx, name)
    sel = pcsc.transmit(card, proto, SELECT)
    if sel != SW_OK:
        raise RuntimeError("%s: SELECT answered %s before the fault" % (reader, sel.hex()))
    rep = c.req("fault-set", reader=reader, fault=fault)
    pcsc.ok(rep is not None and rep.get("ok"), "%s: %s set live on the control socket" % (
        reader, fault), rep)
    if when.startswith("transmit"):
        # transmit-twice: a fault that stays (a halt) meets a second APDU.
        what, dt = [], 0.0
        for _ in range(2 if when == "transmit-twice" else 1):
            rv, rsp, t = try_transmit(card, proto, CASE1)
            what.append("SCardTransmit %s" % ("answers " + rsp.hex() if rv == S.SCARD_S_SUCCESS
                                              else "fails: " + rv_name(rv)))
            dt = max(dt, t)
        what = ", then ".join(what)
        bounded = dt < BOUND_S
    else:
        gone, dt = wait_empty(ctx, name, BOUND_S)
        what = "the reader %s" % ("shows no card" if gone else "still shows the card")
        bounded = gone
    pcsc.ok(bounded and pcscd_alive(), "%s: %s during %s: bounded (%.2f s < %.0f s), pcscd alive"
            % (reader, fault, "an APDU exchange" if when != "idle" else
               "the interrupt wait", dt, BOUND_S), what)
    how = ""
    c.req("fault-clear", reader=reader)
    if expect != "removed":
        got, how, good = recover(card, proto)
        pcsc.ok(good and got == expect, "%s: after %s and fault clear: %s" % (
            reader, fault, EXPECTS[expect]), "%s: %s" % (got, how))
    else:
        # Removed: no card now, and none after the clear (a replug).
        empty, _ = wait_empty(ctx, name, 5.0)
        time.sleep(1.5)
        ev = state(ctx, name)
        still = not ev & S.SCARD_STATE_PRESENT or ev & S.SCARD_STATE_UNAVAILABLE
        how = "the reader shows no card (dwEventState 0x%08X), also after the replug" % ev
        pcsc.ok(empty and still and pcscd_alive(),
                "%s: after %s the reader is reported without card, pcscd alive" % (reader, fault),
                how)
    print("# observed: %s %s: %s in %.2f s; then %s" % (fault, when, what, dt, how), flush=True)
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def main():
    cases = sys.argv[1:]
    pcsc.plan(3 * len(cases) + 1)
    ctx = pcsc.context()
    c = ctl.Ctl()
    for spec in cases:
        run_case(ctx, c, spec)
    pcsc.ok(pcscd_alive(), "pcscd alive after every fault")
    c.close()
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e, flush=True)
        sys.exit(1)
