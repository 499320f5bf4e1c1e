#!/usr/bin/env python3
"""ccidlab — a card pulled while its APDU runs, through pcscd (TAP).

usage: removal.py NAME:PROTOCOL[:chains]...   (env: CCIDLAB_CTL_SOCKET)

NAME is both the reader's FRIENDLYNAME and its name= on the control
plane; PROTOCOL T0 or T1 (its readertest card); "chains" when the level
chains an APDU over several commands (T=1 blocks, extended APDU parts).

For each reader, the card is removed through the control plane
(issue 17, CCID 1.1 §6.2.6):
- before the command: the transmit that follows fails;
- while the card works (readertest INS 38: 2 s of work, the reader sends
  time extensions): once the driver has counted one (the control plane's
  reader statistics), the card is pulled;
- inside a chain (an 8000-byte case 3E, each command slowed by the fault
  slow:60): once three more commands have gone;
each from a reader that fails the command (the emulator) and from one
that answers for the gone card anyway (the fault ghost-answer): the
transmit must say the card is gone (SCARD_E_NO_SMARTCARD, pcscd's code
for IFD_ICC_NOT_PRESENT, or SCARD_W_REMOVED_CARD when pcscd saw the
removal first), never answer 90 00, and SCardStatus then says
SCARD_W_REMOVED_CARD.  Every wait is for an event, bounded.
"""
import sys
import threading
import time

import pcsc
from ctl import Ctl
from smartcard import scard as S

AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SELECT = bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID
TIME_REQUEST = bytes([0x80, 0x38, 0x00, 0xC8])   # 200 x 10 ms of work
CHAIN_NC = 8000
CHAIN = bytes([0x80, 0x32, 0, 0, 0, CHAIN_NC >> 8, CHAIN_NC & 0xFF]) + \
    bytes(i % 256 for i in range(CHAIN_NC))
GONE = (S.SCARD_E_NO_SMARTCARD, S.SCARD_W_REMOVED_CARD)


def stats(ctl, name):
    for r in ctl.req("list").get("readers", []):
        if r.get("name") == name:
            st = r.get("stats", {})
            return st.get("commands", 0), st.get("time_extensions", 0) + st.get("wtx", 0)
    raise RuntimeError("reader %s not on the control plane" % name)


def wait_until(pred, limit=30.0, step=0.005):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def present(ctx, reader):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(reader, S.SCARD_STATE_UNAWARE)])
    return rv == S.SCARD_S_SUCCESS and bool(st[0][1] & S.SCARD_STATE_PRESENT)


def seat(ctl, ctx, name, reader, proto):
    """A card in slot 0, seen by pcscd."""
    if not present(ctx, reader):
        ctl.req("insert", reader=name, slot=0, card="readertest,%s" % proto.lower())
    if not wait_until(lambda: present(ctx, reader), 10.0, 0.02):
        raise RuntimeError("%s: the card does not come back" % reader)


def one(ctl, ctx, name, proto_name, when, ghost):
    reader = pcsc.find(ctx, name + " ")
    seat(ctl, ctx, name, reader, proto_name)
    want = {"T0": S.SCARD_PROTOCOL_T0, "T1": S.SCARD_PROTOCOL_T1}[proto_name]
    card, proto = pcsc.connect(ctx, reader, want)
    sel = pcsc.transmit(card, proto, SELECT)
    if sel != b"\x90\x00":
        raise RuntimeError("%s: SELECT %s" % (reader, sel.hex()))
    ctl.req("fault-clear", reader=name)
    if ghost:
        ctl.req("fault-set", reader=name, fault="ghost-answer")
    if when == "chaining":
        ctl.req("fault-set", reader=name, fault="slow:60")
    commands, extensions = stats(ctl, name)
    box = []

    def transmit():
        apdu = CHAIN if when == "chaining" else TIME_REQUEST
        box.append(S.SCardTransmit(card, proto, list(apdu)))

    t0 = time.monotonic()
    if when == "before":
        ctl.req("remove", reader=name, slot=0)
        transmit()
    else:
        th = threading.Thread(target=transmit, daemon=True)
        th.start()
        if when == "extension":
            moment = wait_until(lambda: stats(ctl, name)[1] > extensions)
        else:
            moment = wait_until(lambda: stats(ctl, name)[0] >= commands + 3)
        ctl.req("remove", reader=name, slot=0)
        th.join(70)
        if not moment:
            box[:0] = [(-1, [])]
    secs = time.monotonic() - t0
    rv, rsp = box[0] if box else (None, [])
    status_rv = None
    if wait_until(lambda: S.SCardStatus(card)[0] == S.SCARD_W_REMOVED_CARD, 10.0, 0.02):
        status_rv = S.SCARD_W_REMOVED_CARD
    else:
        status_rv = S.SCardStatus(card)[0]
    ctl.req("fault-clear", reader=name)
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    what = {"before": "before the command", "extension": "during time extensions",
            "chaining": "inside a chain"}[when]
    pcsc.ok(rv in GONE and not rsp and status_rv == S.SCARD_W_REMOVED_CARD,
            "%s: card pulled %s%s: the transmit says it is gone (%s after %.2f s), "
            "SCardStatus %s" % (reader, what, ", reader answering anyway" if ghost else "",
                                pcsc.rv_symbol(rv) if rv is not None else "no return", secs,
                                pcsc.rv_symbol(status_rv)),
            "transmit rv %s, %d bytes %s; status %s" % (
                rv if rv is None else pcsc.rv_symbol(rv), len(rsp), bytes(rsp[-2:]).hex(),
                pcsc.rv_symbol(status_rv)))


def main():
    specs = [a.split(":") for a in sys.argv[1:]]
    plan = []
    for sp in specs:
        for when in ("before", "extension") + (("chaining",) if len(sp) > 2 else ()):
            for ghost in (False, True):
                plan.append((sp[0], sp[1], when, ghost))
    pcsc.plan(len(plan))
    ctl = Ctl()
    ctx = pcsc.context()
    for name, proto, when, ghost in plan:
        try:
            one(ctl, ctx, name, proto, when, ghost)
        except RuntimeError as e:
            pcsc.ok(False, "%s: %s%s: client failed: %s" % (name, when, " ghost" if ghost else "",
                                                            e))
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    pcsc.run(main)
