#!/usr/bin/env python3
"""ccidlab — USB transfer faults of usbsim devices under a driver (TAP).

usage: usbsim_faults.py CASE...   CASE = READER,FAULT,WHEN,EXPECT[,OTHER[+OTHER...]]

Every READER (a usbsim device name that is also its FRIENDLYNAME) holds
a card.  For each case the client connects, checks that a SELECT works,
then sets FAULT live on the shim's control socket ($CCIDLAB_CTL_SOCKET)
and:
  WHEN "transmit": sends a case-1 APDU at once (the fault hits that
                   exchange); "transmit-twice": two (a fault that
                   stays, like a halt, meets the second one too);
  WHEN "idle":     sends nothing (the fault hits the driver's pending
                   interrupt transfer, or a polling-only reader's next
                   presence poll) and waits for the reader's state to
                   change (EXPECT "removed") or, EXPECT "edge", removes
                   and re-inserts the card through the control socket;
  WHEN "open":     the fault was in effect from the start (CCIDLAB_USBSIM
                   fault=, so it met the driver's open); sends a case-1
                   APDU.
It asserts that the call returns within BOUND_S, that pcscd is alive,
and, after `fault clear`, what the driver did next (probed with case-2
APDUs whose answers differ from each other and from the faulted
case-1's), EXPECT:
  "at-once":   the next APDU answers right;
  "stale":     the next APDUs get the faulted exchanges' answers (the
               driver takes late answers), the ones after answer right;
  "desync":    each APDU gets the answer of the one before (the driver
               takes late answers) until SCardReconnect;
  "desync|unavailable": desync, or pcscd's presence poll read the late
               answer before the client's next APDU did (libccid:
               GetSlotStatus gets LIBUSB_ERROR_OVERFLOW) and pcscd made
               the reader unavailable: which one comes first is the
               scheduler's choice (with both cores busy the client
               lost);
  "reconnect": APDUs fail until SCardReconnect, then answer right;
  "removed":   the reader reports no card (or is gone), and stays so
               after the clear (the driver never reopens the device);
               each OTHER that is a slot number (another slot of the
               same device) fails at once too, each OTHER that is a
               reader name (another device) still answers;
  "answers":   the faulted APDU itself gets its right answer, and so do
               the next ones;
  "either":    the faulted APDU fails or answers right (a polling-only
               reader's presence poll may meet the fault first), and the
               next ones answer right at once;
  "edge":      (idle) the card's removal and re-insertion behind the
               fault reach PC/SC within the bound, then APDUs answer
               right.
BOUND_S is $USBSIM_FAULTS_BOUND_S (default 15).  Each case prints what
the driver answered ("# observed: ...") and one table row ("# row:
READER | FAULT | WHEN | what the faulted call did | seconds | after").
"""
import os
import sys
import time

import ctl
import pcsc
from smartcard import scard as S

BOUND_S = float(os.environ.get("USBSIM_FAULTS_BOUND_S", "15"))
AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SELECT = bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID
CASE1 = bytes([0x80, 0x30, 0, 0])
SW_OK = b"\x90\x00"


EXPECTS = {
    "at-once": "the next APDU answers right",
    "stale": "the next APDUs get the faulted ones' answers, then they answer right",
    "reconnect": "APDUs fail until a reconnect, then answer right",
    "desync": "each APDU gets the answer of the one before until a reconnect",
    "desync|unavailable": "each APDU gets the answer of the one before until a reconnect, "
                          "or pcscd's presence poll met the late answer first (reader "
                          "unavailable)",
    "answers": "the faulted APDU and the next ones answer right",
    "either": "the next APDU answers right",
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
    how = "the next APDUs give %s, and a reconnect does not help (%s)" % (
        ", ".join(seen), rv_name(rv))
    if rv == S.SCARD_E_READER_UNAVAILABLE and all(x == rv_name(rv) for x in seen):
        return "unavailable", how, True
    return "broken", how, False


def wait_present(ctx, name, limit):
    """Until the reader shows a card (or limit s)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        ev = state(ctx, name)
        if ev & S.SCARD_STATE_PRESENT and not ev & S.SCARD_STATE_UNAVAILABLE:
            return True, time.monotonic() - t0
        time.sleep(0.05)
    return False, time.monotonic() - t0


def slot_reader(ctx, reader, slot):
    """pcscd's name of slot `slot` of reader READER ("READER NN 0S")."""
    for name in pcsc.readers(ctx):
        if name.startswith(reader + " ") and name.endswith(" %02X" % slot):
            return name
    raise RuntimeError("no slot %d of %s in %s" % (slot, reader, pcsc.readers(ctx)))


def fault_transmits(card, proto, when):
    """The faulted exchange(s): (what, seconds, last rv, last answer)."""
    # transmit-twice: a fault that stays (a halt) meets a second APDU.
    what, dt, rv, rsp = [], 0.0, None, b""
    for _ in range(2 if when == "transmit-twice" else 1):
        rv, rsp, t = try_transmit(card, proto, CASE1)
        what.append("SCardTransmit %s" % ("answers " + rsp.hex() if rv == S.SCARD_S_SUCCESS
                                          else "fails: " + rv_name(rv)))
        dt = max(dt, t)
    return ", then ".join(what), dt, rv, rsp


def fault_edges(ctx, c, reader, name):
    """A card removal and re-insertion behind an interrupt-pipe fault:
    (what, seconds, both seen)."""
    time.sleep(0.6)  # the fault meets the pending transfer (250 ms slices)
    c.req("remove", reader=reader, slot=0)
    gone, t1 = wait_empty(ctx, name, BOUND_S)
    c.req("insert", reader=reader, slot=0, card="readertest,t1")
    back, t2 = wait_present(ctx, name, BOUND_S)
    what = "the removal %s, the insertion %s" % (
        "seen in %.2f s" % t1 if gone else "never seen", "seen in %.2f s" % t2 if back
        else "never seen")
    return what, max(t1, t2), gone and back


def removed_others(ctx, reader, others, cards):
    """Other slots of the gone device fail at once; other readers keep
    working.  Returns (good, how)."""
    good, how = True, []
    for other, (card, proto) in zip(others, cards):
        rv, rsp, t = try_transmit(card, proto, SELECT)
        if other.isdigit():
            empty, _ = wait_empty(ctx, slot_reader(ctx, reader, int(other)), 1.0)
            fine = rv != S.SCARD_S_SUCCESS and t < 2.0 and empty
            how.append("slot %s: SCardTransmit %s in %.2f s, %s" % (
                other, rv_name(rv), t, "no card" if empty else "still a card"))
        else:
            fine = rv == S.SCARD_S_SUCCESS and rsp == SW_OK
            how.append("%s: SELECT %s" % (other, rsp.hex() if fine else rv_name(rv)))
        good = good and fine
    return good, "; ".join(how)


def connect_others(ctx, reader, others):
    cards = []
    for other in others:
        name = slot_reader(ctx, reader, int(other)) if other.isdigit() else \
            pcsc.find(ctx, other + " ")
        cards.append(pcsc.connect(ctx, name))
    return cards


def run_case(ctx, c, spec):
    reader, fault, when, expect = spec.split(",")[:4]
    others = spec.split(",")[4].split("+") if spec.count(",") >= 4 else []
    name = pcsc.find(ctx, reader + " ")
    card, proto = pcsc.connect(ctx, name)
    other_cards = connect_others(ctx, reader, others)
    sel = pcsc.transmit(card, proto, SELECT)
    if sel != SW_OK:
        raise RuntimeError("%s: SELECT answered %s before the fault" % (reader, sel.hex()))
    if when == "open":
        pcsc.ok(True, "%s: opened with %s in effect from the start, SELECT answers 9000" % (
            reader, fault))
    else:
        rep = c.req("fault-set", reader=reader, fault=fault)
        pcsc.ok(rep is not None and rep.get("ok"), "%s: %s set live on the control socket" % (
            reader, fault), rep)
    rv, rsp = None, b""
    if when.startswith("transmit") or when == "open":
        what, dt, rv, rsp = fault_transmits(card, proto, when)
        bounded = dt < BOUND_S
    elif expect == "edge":
        what, dt, bounded = fault_edges(ctx, c, reader, name)
    else:
        gone, dt = wait_empty(ctx, name, BOUND_S)
        what = "the reader %s" % ("shows no card" if gone else "still shows the card")
        bounded = gone
    pcsc.ok(bounded and pcscd_alive(), "%s: %s during %s: bounded (%.2f s < %.0f s), pcscd alive"
            % (reader, fault, "the interrupt wait or a presence poll" if when == "idle" else
               "the open" if when == "open" else "an APDU exchange", dt, BOUND_S), what)
    how, after = "", ""
    c.req("fault-clear", reader=reader)
    if expect == "edge":
        # The card was removed: a new connection, then at once right answers.
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
        card, proto = pcsc.connect(ctx, name)
        rv, rsp, _ = try_transmit(card, proto, SELECT)
        seen = probes(card, proto, 0, 4)
        good = rv == S.SCARD_S_SUCCESS and rsp == SW_OK and seen == ["ok"] * 4
        how = "after a new SCardConnect the SELECT gives %s, the APDUs %s" % (
            rsp.hex() if rv == S.SCARD_S_SUCCESS else rv_name(rv), ", ".join(seen))
        after = "next APDU ok" if good else "next APDU wrong"
        pcsc.ok(good, "%s: after %s and the card's removal and return: %s" % (
            reader, fault, "the next APDUs answer right"), how)
    elif expect != "removed":
        got, how, good = recover(card, proto)
        want = ["at-once"] if expect in ("answers", "either") else expect.split("|")
        if expect == "answers":
            good = good and rv == S.SCARD_S_SUCCESS and rsp == SW_OK
        pcsc.ok(good and got in want, "%s: after %s and fault clear: %s" % (
            reader, fault, EXPECTS[expect]), "%s: %s" % (got, how))
        after = {"at-once": "next APDU ok", "stale": "stale answers",
                 "desync": "desync", "reconnect": "reconnect"}.get(got, got)
    else:
        # Removed: no card now, and none after the clear (a replug).
        empty, _ = wait_empty(ctx, name, 5.0)
        others_ok, others_how = removed_others(ctx, reader, others, other_cards)
        time.sleep(1.5)
        ev = state(ctx, name)
        still = not ev & S.SCARD_STATE_PRESENT or ev & S.SCARD_STATE_UNAVAILABLE
        how = "the reader shows no card (dwEventState 0x%08X), also after the replug" % ev
        if others:
            how += "; " + others_how
        pcsc.ok(empty and still and others_ok and pcscd_alive(),
                "%s: after %s the reader is reported without card%s, pcscd alive" % (
                    reader, fault, ", its other slots fail at once, other readers answer"
                    if others else ""), how)
        after = "removed" + (", " + others_how if others else "")
    print("# observed: %s %s: %s in %.2f s; then %s" % (fault, when, what, dt, how), flush=True)
    print("# row: %s | %s | %s | %s | %.2f | %s" % (reader, fault, when, what, dt, after),
          flush=True)
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    for oc, _ in other_cards:
        S.SCardDisconnect(oc, S.SCARD_LEAVE_CARD)


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
