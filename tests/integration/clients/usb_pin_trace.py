#!/usr/bin/env python3
"""ccidlab — PINs in the traces of real readers (TAP; issue 20).

usage: usb_pin_trace.py MASKED_READER... -- SHOWN_READER...

Every reader is a usbsim device under ccidlab's driver, with a readertest
card.  The client turns the driver's trace on ($CCIDLAB_DRIVER_SOCKET,
trace-on on its own connection), sends each reader a VERIFY with the PIN
"1234" (00 20 00 81 04 31 32 33 34) and, on a PIN pad, a
FEATURE_VERIFY_PIN_DIRECT, then reads the frames.  A masked reader's
outgoing frames never carry the PIN (31 32 33 34), the VERIFY frame says
"masked" and the Secure frame hides all past bPINOperation; a shown
reader's (pin-trace=show) carry it.
"""
import os
import re
import struct
import sys
import time

import ctl
import pcsc
from smartcard import scard as S

PIN = b"1234"
AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SELECT = bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID
VERIFY = bytes([0x00, 0x20, 0x00, 0x81, len(PIN)]) + PIN
GET_FEATURES = 0x42000000 + 3400


def pinpad_verify(card):
    """FEATURE_VERIFY_PIN_DIRECT, the template's PIN block all '5'."""
    rv, feats = S.SCardControl(card, GET_FEATURES, [])
    if rv != S.SCARD_S_SUCCESS:
        return False
    feats = bytes(feats)
    code = None
    for i in range(0, len(feats) - 5, 6):
        if feats[i] == 0x06:
            code = struct.unpack(">I", feats[i + 2:i + 6])[0]
    if code is None:
        return False
    template = bytes([0x00, 0x20, 0x00, 0x81, 0x04, 0x35, 0x35, 0x35, 0x35])
    verify = bytes([0x00, 0x00, 0x82, 0x04, 0x00]) + struct.pack("<H", 0x0408) + \
        bytes([0x02, 0x01]) + struct.pack("<H", 0x0409) + bytes([0x00, 0, 0, 0]) + \
        struct.pack("<I", len(template)) + template
    rv, _ = S.SCardControl(card, code, list(verify))
    return rv == S.SCARD_S_SUCCESS


def main():
    sep = sys.argv.index("--")
    masked, shown = sys.argv[1:sep], sys.argv[sep + 1:]
    c = ctl.Ctl(os.environ["CCIDLAB_DRIVER_SOCKET"])
    rep = c.req("trace-on")
    pcsc.plan(3 * len(masked) + 2 * len(shown) + 3)
    pcsc.ok(rep is not None and rep.get("ok"), "trace-on on the driver's socket", rep)
    ctx = pcsc.context()
    # The driver's reader number is pcscd's, the XX of "NAME XX YY".
    numbers = {n: int(pcsc.find(ctx, n).split()[-2], 16) for n in masked + shown}
    pads = set()
    for name in masked + shown:
        card, proto = pcsc.connect(ctx, pcsc.find(ctx, name))
        pcsc.transmit(card, proto, SELECT)
        S.SCardTransmit(card, proto, list(VERIFY))
        if name.startswith("Pad") and pinpad_verify(card):
            pads.add(name)
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    # The server writes queued frames on its own thread, at once: a second
    # later they are all out, before the reply to trace-off.
    time.sleep(1)
    c.sock.sendall(b'{"v":1,"id":99,"req":"trace-off"}\n')
    frames = []
    while True:
        msg = c.line()
        if msg is None or msg.get("id") == 99:
            break
        if msg.get("event") == "frame" and msg.get("dir") == "out":
            frames.append(msg)
    for name in masked + shown:
        mine = [f for f in frames if f["reader"] == numbers.get(name)]
        clear = [f for f in mine if PIN.hex() in f["hex"]]
        marked = [f for f in mine if "masked" in f]
        secure = [f for f in mine if f["hex"].startswith("69")]
        if name in masked:
            pcsc.ok(mine and not clear, "%s: no outgoing frame carries the PIN (%d frames)" %
                    (name, len(mine)), "\n".join(f["hex"] for f in clear))
            pcsc.ok(any(f["hex"][20:30] == VERIFY[:5].hex() or "0020008104" in f["hex"]
                        for f in marked), "%s: the VERIFY frame says masked" % name,
                    "\n".join("%s %s" % (f["hex"], f.get("masked")) for f in mine))
            if name in pads:
                pcsc.ok(secure and all(f.get("masked") == [11, len(bytes.fromhex(f["hex"])) - 11]
                                       for f in secure),
                        "%s: PC_to_RDR_Secure masked past bPINOperation" % name,
                        "\n".join("%s %s" % (f["hex"], f.get("masked")) for f in secure))
            else:
                pcsc.ok(not secure, "%s: no PC_to_RDR_Secure (no PIN pad)" % name)
        else:
            pcsc.ok(clear and not marked, "%s (pin-trace=show): the PIN is in the trace" % name)
            pcsc.ok(not secure or name in pads, "%s: frames as sent" % name)
    # pcscd's log (log=7 on one reader turns every frame on): the PIN of
    # a masked reader never, its place as ** ** ** **.
    log = pcsc.pcscd_log()
    leak = [l for l in log.splitlines() for name in masked
            if re.search(r"reader %d out .*31 32 33 34" % numbers[name], l)]
    stars = [l for l in log.splitlines()
             if re.search(r"reader %d out .*20 00 81 04 \*\* \*\* \*\* \*\*" %
                          numbers[masked[0]], l)]
    pcsc.ok(log and not leak, "pcscd's log: no masked reader's frame carries the PIN",
            "\n".join(leak))
    pcsc.ok(stars, "pcscd's log: %s's VERIFY with ** ** ** ** for the PIN" % masked[0])
    pcsc.done()


main()
