#!/usr/bin/env python3
"""ccidlab — every emulator fault kind on usbsim readers, through pcscd (TAP).

usage: usb_faults.py LABEL READER...   (env: CCIDLAB, CCIDLAB_CTL_SOCKET,
                                        CCIDLAB_PCSCD_PID)

Each READER is a usbsim device whose name is also its FRIENDLYNAME, with
a readertest T=1 card in slot 0, in event mode (an interrupt pipe).  For
every fault kind of src/emu/fault.c, in turn: `ccidlab fault set READER
KIND` (the shim's control socket), then the operation the kind acts on
(a transmit; a reset, i.e. IccPowerOn, for the power-up kinds; a card
removal for drop-notify), timed; `ccidlab fault clear READER`.  Checks
per kind: the PC/SC call returned within the kind's bound (a call that
does not come back within HANG_S, the driver's 60 s cap and a margin,
is a hang: the run stops there), pcscd
is alive, and the reader works again (the same handle, else a reconnect,
else the card put back and a new connection).  device-gone comes last:
after it the reader is reported gone instead (pcscd never reopens a
reader.conf.d reader).  "# TABLE" lines give kind, result and time.
"""
import os
import subprocess
import sys
import threading
import time

import pcsc
from pcsc import pcscd_alive
from smartcard import scard as S

SELECT = bytes([0x00, 0xA4, 0x04, 0x00, 0x06, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
CASE2 = bytes([0x80, 0x34, 0x00, 0x10, 0x10])	# 16 bytes 00..0F, then 9000
CASE2_RSP = bytes(range(16)) + b"\x90\x00"
HANG_S = 65.0	# the driver's cap per command (60 s) and a margin

# kind, what it acts on, bound (s).  The bound is the kind's own delay
# plus a margin: timeout waits out the driver's 5 s per-read timeout
# (src/host/host.h), once.
KINDS = [
    ("mute-power-on", "reset", 10),
    ("bad-atr", "reset", 10),
    ("slow:2000", "transmit", 10),
    ("fail:0xFB", "transmit", 10),
    ("fail:0xFE", "transmit", 10),
    ("wrong-seq", "transmit", 10),
    ("wrong-slot", "transmit", 10),
    ("truncate", "transmit", 10),
    ("long-length", "transmit", 10),
    ("garbage", "transmit", 10),
    ("timeout", "transmit", 15),
    ("remove-in-xfr", "transmit", 10),
    ("spurious-notify", "transmit", 10),
    ("hw-error", "transmit", 10),
    ("drop-notify@1", "remove", 10),
    ("device-gone", "transmit", 10),
]

rv_name = pcsc.rv_symbol


def ccidlab(*args):
    p = subprocess.run([os.environ["CCIDLAB"]] + list(args), capture_output=True, text=True,
                       timeout=30)
    return p.returncode == 0, (p.stdout + p.stderr).strip()


def timed(fn):
    """(result, seconds) of fn() in a thread; result None when it hangs."""
    box = []

    def run():
        try:
            box.append(fn())
        except Exception as e:	# pyscard on a dead handle: not a hang
            box.append("exception %s" % e)
    t = threading.Thread(target=run, daemon=True)
    t0 = time.monotonic()
    t.start()
    t.join(HANG_S)
    return (box[0] if box else None), time.monotonic() - t0


def state(ctx, reader):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(reader, S.SCARD_STATE_UNAWARE)])
    return st[0][1] if rv == S.SCARD_S_SUCCESS else 0


def wait_state(ctx, reader, present, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        ev = state(ctx, reader)
        if bool(ev & S.SCARD_STATE_PRESENT) == present and not ev & S.SCARD_STATE_UNKNOWN:
            return True
        time.sleep(0.05)
    return False


def works(card, proto):
    """SELECT then case 2 on the handle: the rv of the first failure."""
    if card is None:
        return S.SCARD_E_INVALID_HANDLE
    for apdu, want in ((SELECT, None), (CASE2, CASE2_RSP)):
        rv, rsp = S.SCardTransmit(card, proto, list(apdu))
        if rv != S.SCARD_S_SUCCESS:
            return rv
        rsp = bytes(rsp)
        if (want is not None and rsp != want) or rsp[-2:] != b"\x90\x00":
            return -1
    return S.SCARD_S_SUCCESS


class Reader:
    def __init__(self, ctx, dev):
        self.ctx, self.dev = ctx, dev
        self.name = pcsc.find(ctx, dev + " ")
        self.card, self.proto = pcsc.connect(ctx, self.name)
        self.note = ""

    def recover(self):
        """Makes the reader work again; says how, or None."""
        if works(self.card, self.proto) == S.SCARD_S_SUCCESS:
            return "same handle"
        if self.card is None:
            return "new connection" if self.connect() else self.reseat()
        rv, proto = S.SCardReconnect(self.card, S.SCARD_SHARE_SHARED,
                                     S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1, S.SCARD_RESET_CARD)
        if rv == S.SCARD_S_SUCCESS:
            self.proto = proto
            if works(self.card, self.proto) == S.SCARD_S_SUCCESS:
                return "reconnect (reset)"
        S.SCardDisconnect(self.card, S.SCARD_LEAVE_CARD)
        self.card = None
        if self.connect():
            return "new connection"
        return self.reseat()

    def reseat(self):
        """The card left (remove-in-xfr, drop-notify's removal), or pcscd
        gave up on it (a failed power-up): seat it again and connect."""
        ccidlab("remove", self.dev)
        wait_state(self.ctx, self.name, False, 3.0)
        ccidlab("insert", "--card", "readertest,t1", self.dev)
        wait_state(self.ctx, self.name, True, 3.0)
        if self.connect():
            return "card seated again, new connection"
        return None

    def connect(self):
        rv, card, proto = S.SCardConnect(self.ctx, self.name, S.SCARD_SHARE_SHARED,
                                         S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1)
        if rv != S.SCARD_S_SUCCESS:
            return False
        if self.card is not None:
            S.SCardDisconnect(self.card, S.SCARD_LEAVE_CARD)
        self.card, self.proto = card, proto
        return works(self.card, self.proto) == S.SCARD_S_SUCCESS

    def act(self, op):
        if op == "reset":
            rv, proto = S.SCardReconnect(self.card, S.SCARD_SHARE_SHARED,
                                         S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1,
                                         S.SCARD_RESET_CARD)
            if rv == S.SCARD_S_SUCCESS:
                self.proto = proto
                rv = works(self.card, self.proto)
            return rv
        if op == "remove":
            ccidlab("remove", self.dev)
            time.sleep(1.0)	# pcscd would have seen it by now, were it told
            seen = state(self.ctx, self.name) & S.SCARD_STATE_PRESENT
            self.note = "; pcscd after the removal: %s" % ("present" if seen else "empty")
        return works(self.card, self.proto)


def main():
    label, devs = sys.argv[1], sys.argv[2:]
    pcsc.plan(len(devs) * len(KINDS) * 3)
    ctx = pcsc.context()
    table = []
    for dev in devs:
        r = Reader(ctx, dev)
        pcsc.check(works(r.card, r.proto), "%s: the reader works before any fault" % dev)
        for kind, op, bound in KINDS:
            what = "%s %s: %s" % (label, dev, kind)
            if (r.card is None or works(r.card, r.proto) != S.SCARD_S_SUCCESS) and \
                    r.recover() is None:
                for _ in range(3):
                    pcsc.ok(False, "%s: the reader does not work before the fault" % what)
                table.append("%s | %s | %s | not run: the reader does not work" % (label, dev, kind))
                continue
            r.note = ""
            ok, out = ccidlab("fault", "set", dev, kind)
            if not ok:
                raise RuntimeError("ccidlab fault set %s %s: %s" % (dev, kind, out))
            rv, secs = timed(lambda: r.act(op))
            if rv is None:
                pcsc.ok(False, "%s: %s returned within %d s" % (what, op, bound),
                        "no answer after %.0f s: hung" % secs)
                print("Bail out! %s: %s hangs" % (what, op), flush=True)
                return
            ccidlab("fault", "clear", dev)
            res = rv if isinstance(rv, str) else rv_name(rv) if rv != -1 else "wrong answer"
            pcsc.ok(secs < bound, "%s: %s returned %s within %d s (%.2f s)"
                    % (what, op, res, bound, secs))
            pcsc.ok(pcscd_alive(), "%s: pcscd alive" % what)
            if kind == "device-gone":
                # Replugged, but pcscd does not reopen a reader.conf.d
                # reader and the old handle stays dead: reported gone.
                time.sleep(1.0)
                ev = state(ctx, r.name)
                rv2 = works(r.card, r.proto)
                how = "gone: %s, state 0x%X" % (rv_name(rv2), ev)
                pcsc.ok(rv2 != S.SCARD_S_SUCCESS and not ev & S.SCARD_STATE_PRESENT,
                        "%s: after the replug the reader is reported gone (%s)" % (what, how))
            else:
                how = r.recover()
                pcsc.ok(how is not None, "%s: works after fault clear (%s)" % (what, how))
            table.append("%s | %s | %s | %s%s | %.2f s | after clear: %s"
                         % (label, dev, kind, res, r.note, secs, how))
        S.SCardDisconnect(r.card, S.SCARD_LEAVE_CARD)
    for line in table:
        print("# TABLE " + line, flush=True)
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e, flush=True)
