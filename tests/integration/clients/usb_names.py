#!/usr/bin/env python3
"""ccidlab — which USB device each reader opened, through pcscd (TAP).

usage: usb_names.py NAME=SERIAL... NAME+NAME=SERIAL+SERIAL... NAME=absent...

NAME=SERIAL: a reader whose name starts with "NAME " is listed, and its
SCARD_ATTR_VENDOR_IFD_SERIAL_NO (read on a direct connection, no card
needed) is SERIAL: the reader speaks to that USB device.
A+B=S1+S2: readers A and B are listed and opened S1 and S2 in some order
(names that pcscd opens in directory order, which the test cannot set).
NAME=absent: no reader of that name is listed (the driver refused it).
Last: pcscd is still alive (CCIDLAB_PCSCD_PID).
"""
import os
import sys

import pcsc
from smartcard import scard as S

SERIAL_NO = 0x00010103


def serial_of(ctx, reader):
    rv, card, _ = S.SCardConnect(ctx, reader, S.SCARD_SHARE_DIRECT, 0)
    pcsc.check(rv, "SCardConnect(DIRECT) %s" % reader)
    rv, value = S.SCardGetAttrib(card, SERIAL_NO)
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    pcsc.check(rv, "SCardGetAttrib(VENDOR_IFD_SERIAL_NO) %s" % reader)
    return bytes(value).rstrip(b"\0").decode(errors="replace")


def main():
    specs = [a.split("=", 1) for a in sys.argv[1:]]
    pcsc.plan(len(specs) + 1)
    ctx = pcsc.context()
    listed = pcsc.readers(ctx)
    for name, want in specs:
        if want == "absent":
            mine = [r for r in listed if r.startswith(name + " ")]
            pcsc.ok(not mine, "%s is refused: not listed" % name, "listed: %s" % listed)
            continue
        names, wants = name.split("+"), want.split("+")
        mine = [next((r for r in listed if r.startswith(n + " ")), None) for n in names]
        if None in mine:
            pcsc.ok(False, "%s listed and opened USB serial %s" % (name, want),
                    "listed: %s" % listed)
            continue
        got = [serial_of(ctx, r) for r in mine]
        pcsc.ok(sorted(got) == sorted(wants), "%s opened USB serial %s" % (
                " and ".join(mine), " and ".join(wants)), "serials %s" % got)
    pid = os.environ.get("CCIDLAB_PCSCD_PID", "")
    alive = pid.isdigit() and os.path.exists("/proc/%s" % pid)
    pcsc.ok(alive, "pcscd (pid %s) is still up with %d readers listed" % (pid, len(listed)))
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
