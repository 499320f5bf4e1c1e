#!/usr/bin/env python3
"""ccidlab — the driver's timeout cap, through pcscd (TAP).

usage: timeout_cap.py READER CAP_S SLOW_MS

The reader's card is made to work SLOW_MS on the next command
(`fault-set slow:SLOW_MS`: time extensions all along, as a card that
generates a key does), with the driver's cap at CAP_S seconds
(ccidlab.conf timeout-cap).  The transmit must fail after about CAP_S,
not SLOW_MS: the driver aborts the command (ABORT request and
PC_to_RDR_Abort) and pcscd is free again.  After the clear, the next
APDUs get their own answers (the aborted one's late answer, if the
reader still sends it, is dropped by its bSeq), without a reconnect.
"""
import sys
import time

import ctl
import pcsc
from smartcard import scard as S
from usbsim_faults import CASE1, SELECT, SW_OK, pcscd_alive, probes, rv_name, try_transmit

ABORT_WAIT_S = 2.0	# the host engine waits this long at most for the abort's answer
MARGIN_S = 1.5		# pcscd, the client and a loaded machine


def main():
    reader, cap_s, slow_ms = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    pcsc.plan(5)
    ctx = pcsc.context()
    c = ctl.Ctl()
    name = pcsc.find(ctx, reader + " ")
    card, proto = pcsc.connect(ctx, name)
    if pcsc.transmit(card, proto, SELECT) != SW_OK:
        raise RuntimeError("%s: SELECT failed before the fault" % reader)
    rep = c.req("fault-set", reader=reader, fault="slow:%d" % slow_ms)
    pcsc.ok(rep is not None and rep.get("ok"), "%s: slow:%d set" % (reader, slow_ms), rep)
    rv, rsp, dt = try_transmit(card, proto, CASE1)
    what = "answers %s" % rsp.hex() if rv == S.SCARD_S_SUCCESS else "fails: %s" % rv_name(rv)
    print("# observed: a %d ms command under a %.0f s cap: SCardTransmit %s after %.2f s"
          % (slow_ms, cap_s, what, dt), flush=True)
    pcsc.ok(rv != S.SCARD_S_SUCCESS, "%s: the over-long command fails" % reader, what)
    pcsc.ok(cap_s - 0.2 <= dt <= cap_s + ABORT_WAIT_S + MARGIN_S,
            "%s: it ends at the cap (%.2f s, cap %.0f s), not after %d ms"
            % (reader, dt, cap_s, slow_ms))
    c.req("fault-clear", reader=reader)
    # The card may still be busy with the aborted command for a while on
    # the emulator's side: give it the rest of SLOW_MS at most.
    deadline = time.monotonic() + slow_ms / 1000.0
    seen = probes(card, proto, 0, 3)
    while seen != ["ok"] * 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = probes(card, proto, 3, 3)
    pcsc.ok(seen == ["ok"] * 3, "%s: after the abort the next APDUs get their own answers, "
            "no reconnect" % reader, ", ".join(seen))
    pcsc.ok(pcscd_alive(), "pcscd alive")
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    c.close()
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e, flush=True)
        sys.exit(1)
