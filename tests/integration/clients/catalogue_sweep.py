#!/usr/bin/env python3
"""ccidlab — catalogue readers through pcscd: readertest cases 1-4 at every
short length, with what each reader cannot carry predicted from its
descriptor, as tests/unit/test_host_sweep.c does in process (TAP).

usage: catalogue_sweep.py [--after N] PREFIX:PROTOCOL:LEVEL:MSG[:ext]...
  --after N  the test numbers go on after N and no plan is printed (the
             caller runs several batches under one plan); two per reader
  PROTOCOL  T0 or T1 (the card in the reader)
  LEVEL     char, tpdu, short or ext (the reader's exchange level)
  MSG       dwMaxCCIDMessageLength as used (the quirk table's for the
            SCM readers that report 263)
  ext       also the extended lengths 256, 261, 4096 and 65535

An APDU the reader can carry must come back byte-exact; one it cannot
(not sent, or the reader's overrun: ccidlab-devicename(5), doc/catalogue.md)
must fail with SCARD_E_NOT_TRANSACTED, and the card must still answer the
next APDU.
"""
import sys

import pcsc
from smartcard import scard as S

AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SW_OK = b"\x90\x00"
EXT_LENGTHS = (256, 261, 4096, 65535)


def pattern(n):
    return bytes(i % 256 for i in range(n))


def short_apdu(kase, lc, ne, p1p2):
    ins = {1: 0x30, 2: 0x34, 3: 0x32, 4: 0x36}[kase]
    a = bytes([0x80, ins, p1p2 >> 8, p1p2 & 0xFF])
    if lc:
        a += bytes([lc]) + pattern(lc)
    if ne:
        a += bytes([ne & 0xFF])
    return a


def ext_apdu(kase, lc, ne, p1p2):
    ins = {2: 0x34, 3: 0x32, 4: 0x36}[kase]
    a = bytes([0x80, ins, p1p2 >> 8, p1p2 & 0xFF, 0])
    if lc:
        a += bytes([lc >> 8, lc & 0xFF]) + pattern(lc)
    if ne:
        a += bytes([ne >> 8, ne & 0xFF])
    return a


def carries(level, proto, payload, kase, apdu_len, lc, ne):
    """True when the reader carries the APDU and its answer (CCID 1.1
    §6.1.4 per level, ISO 7816-3 §12.2 for T=0's TPDUs)."""
    answer = (ne if kase in (2, 4) else 0) + 2
    if level == "short":
        return apdu_len <= min(payload, 261) and answer <= payload
    if level in ("ext", "char"):
        return True
    if proto == "T1":
        return True
    return 5 + lc <= payload and not (kase == 2 and answer > payload)


def cases():
    yield 1, 0, 0, 0
    for n in range(1, 257):
        yield 2, 0, n, n
        if n < 256:
            yield 3, n, 0, 0
            yield 4, n, n, n
    yield 4, 1, 256, 256
    yield 4, 255, 256, 256


def run_reader(ctx, prefix, proto_name, level, msg, extended):
    payload = msg - 10
    protos = {"T0": S.SCARD_PROTOCOL_T0, "T1": S.SCARD_PROTOCOL_T1}[proto_name]
    reader = pcsc.find(ctx, prefix)
    card, proto = pcsc.connect(ctx, reader, protos)
    sel = pcsc.transmit(card, proto, bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID)
    pcsc.ok(proto == protos and sel == SW_OK,
            "%s: %s, SELECT readertest answers 90 00" % (reader, proto_name),
            "protocol %d, SELECT %s" % (proto, sel.hex()))
    bad, refused, exact = [], 0, 0
    todo = [(k, lc, ne, p, short_apdu) for k, lc, ne, p in cases()]
    if extended:
        todo += [(k, n if k != 2 else 0, n if k != 3 else 0, n if k != 3 else 0, ext_apdu)
                 for n in EXT_LENGTHS for k in (2, 3, 4)]
    for kase, lc, ne, p1p2, build in todo:
        apdu = build(kase, lc, ne, p1p2)
        want = pattern(ne if kase in (2, 4) else 0) + SW_OK
        rv, rsp = S.SCardTransmit(card, proto, list(apdu))
        if not carries(level, proto_name, payload, kase, len(apdu), lc, ne):
            if rv == S.SCARD_E_NOT_TRANSACTED:
                refused += 1
            else:
                bad.append("case %d Lc %d Ne %d: %s where the reader cannot carry it" % (
                    kase, lc, ne, pcsc.rv_symbol(rv)))
            continue
        if rv != S.SCARD_S_SUCCESS or bytes(rsp) != want:
            bad.append("case %d Lc %d Ne %d: %s, %d bytes ending %s" % (
                kase, lc, ne, pcsc.rv_symbol(rv), len(rsp), bytes(rsp[-2:]).hex()))
        else:
            exact += 1
    pcsc.ok(not bad, "%s: %s cases 1-4 at every short length%s: %d byte-exact, %d refused "
            "as the descriptor predicts (%s level, %d-byte messages)" % (
                reader, proto_name, " and the extended ones" if extended else "", exact,
                refused, level, msg), "\n".join(bad[:5]))
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--after"]:
        pcsc._n = int(args[1])
        args = args[2:]
    else:
        pcsc.plan(2 * len(args))
    specs = [a.split(":") for a in args]
    ctx = pcsc.context()
    for sp in specs:
        try:
            run_reader(ctx, sp[0], sp[1], sp[2], int(sp[3]), len(sp) > 4)
        except RuntimeError as e:
            pcsc.ok(False, "%s: client failed: %s" % (sp[0], e))
            pcsc.ok(False, "%s: not swept" % sp[0])
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    pcsc.run(main)
