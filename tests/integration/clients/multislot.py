#!/usr/bin/env python3
"""ccidlab — APDUs to several slots of one reader at once (TAP).

usage: multislot.py READER SLOTS ROUNDS

One thread per slot, each with its own PC/SC context and card handle,
sends ROUNDS pairs: a time request (readertest INS 38, P2=5: the card
works 50 ms with time extensions) and a case-4 APDU whose answer length
is the slot's own (16 + 8 x slot + round mod 5), so that an answer
delivered to the wrong slot or the wrong command cannot pass.  First all
slots at once, then one slot after the other; both rounds must be
byte-exact.  The wall times of both are printed (the ratio is a figure,
not a test: pcscd's log says how many commands were in flight at once).
"""
import sys
import threading
import time

import pcsc
from smartcard import scard as S
from usbsim_faults import SELECT, SW_OK, rv_name

TIME_REQ = bytes([0x80, 0x38, 0x00, 0x05])


def case4(slot, k):
    n = 16 + 8 * slot + k % 5
    data = bytes(i % 256 for i in range(7 + k % 3))
    return bytes([0x80, 0x36, 0x00, n, len(data)]) + data + bytes([n]), bytes(range(n)) + SW_OK


def run_slot(reader, slot, rounds, errors):
    rv, ctx = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
    try:
        card, proto = pcsc.connect(ctx, "%s 00 %02X" % (reader, slot))
        if pcsc.transmit(card, proto, SELECT) != SW_OK:
            errors.append("slot %d: SELECT failed" % slot)
            return
        for k in range(rounds):
            for apdu, want in ((TIME_REQ, SW_OK), case4(slot, k)):
                rv, rsp = S.SCardTransmit(card, proto, list(apdu))
                if rv != S.SCARD_S_SUCCESS:
                    errors.append("slot %d round %d: %s" % (slot, k, rv_name(rv)))
                    return
                if bytes(rsp) != want:
                    errors.append("slot %d round %d: got %s, want %s"
                                  % (slot, k, bytes(rsp).hex(), want.hex()))
                    return
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    except RuntimeError as e:
        errors.append("slot %d: %s" % (slot, e))
    finally:
        S.SCardReleaseContext(ctx)


def phase(reader, slots, rounds, parallel):
    errors = []
    t0 = time.monotonic()
    if parallel:
        threads = [threading.Thread(target=run_slot, args=(reader, s, rounds, errors))
                   for s in range(slots)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    else:
        for s in range(slots):
            run_slot(reader, s, rounds, errors)
    return time.monotonic() - t0, errors


def main():
    reader, slots, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pcsc.plan(2)
    t_par, e_par = phase(reader, slots, rounds, True)
    pcsc.ok(not e_par, "%s: %d slots at once, %d time requests and %d case-4 APDUs each: every "
            "answer byte-exact to its own slot" % (reader, slots, rounds, rounds),
            "\n".join(e_par))
    t_ser, e_ser = phase(reader, slots, rounds, False)
    pcsc.ok(not e_ser, "%s: the same one slot after the other: byte-exact" % reader,
            "\n".join(e_ser))
    print("# observed: %d slots at once %.2f s, one after the other %.2f s (%.2fx)"
          % (slots, t_par, t_ser, t_ser / t_par if t_par > 0 else 0), flush=True)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e, flush=True)
        sys.exit(1)
