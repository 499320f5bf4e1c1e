#!/usr/bin/env python3
"""ccidlab — readertest cases 1-4 through pcscd, byte-exact (TAP).

usage: readertest_sweep.py READER_PREFIX:PROTOCOL[:ext]...   (PROTOCOL T0, T1 or any)

Short: cases 1-4 at every length 1..255 (data in) and 1..256 (data out).
Extended: lengths 1..65535 sampled, with the boundaries.
"""
import sys

import pcsc
from smartcard import scard as S

AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SW_OK = b"\x90\x00"


def pattern(n):
    return bytes(i % 256 for i in range(n))


def short_apdus(n, kind):
    p1p2 = bytes([n >> 8, n & 0xFF])
    if kind == "case3":
        return bytes([0x80, 0x32, 0, 0, n]) + pattern(n), SW_OK
    if kind == "case2":
        return bytes([0x80, 0x34]) + p1p2 + bytes([n & 0xFF]), pattern(n) + SW_OK
    if kind == "case4":
        return bytes([0x80, 0x36]) + p1p2 + bytes([n]) + pattern(n) + bytes([n & 0xFF]), pattern(n) + SW_OK
    raise ValueError(kind)


def ext_apdus(n, kind):
    p1p2 = bytes([n >> 8, n & 0xFF])
    l3 = bytes([0, n >> 8, n & 0xFF])
    if kind == "case3":
        return bytes([0x80, 0x32, 0, 0]) + l3 + pattern(n), SW_OK
    if kind == "case2":
        return bytes([0x80, 0x34]) + p1p2 + l3, pattern(n) + SW_OK
    if kind == "case4":
        return bytes([0x80, 0x36]) + p1p2 + l3 + pattern(n) + l3[1:], pattern(n) + SW_OK
    raise ValueError(kind)


def sweep(card, proto, kind, lengths, build):
    bad = []
    for n in lengths:
        apdu, want = build(n, kind)
        try:
            got = pcsc.transmit(card, proto, apdu)
        except RuntimeError as e:
            bad.append("len %d: %s" % (n, e))
            continue
        if got != want:
            bad.append("len %d: got %d bytes ending %s, want %d ending %s" % (
                n, len(got), got[-4:].hex(), len(want), want[-4:].hex()))
    return bad


EXT_LENGTHS = sorted(set([1, 2, 255, 256, 257, 261, 262, 1000, 1014, 1015, 1016, 1024, 4096,
                         65534, 65535] + list(range(3000, 65535, 4099))))


def run_reader(ctx, prefix, protocol, extended):
    protos = {"T0": S.SCARD_PROTOCOL_T0, "T1": S.SCARD_PROTOCOL_T1,
              "any": S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1}[protocol]
    reader = pcsc.find(ctx, prefix)
    card, proto = pcsc.connect(ctx, reader, protos)
    want_proto = {"T0": S.SCARD_PROTOCOL_T0, "T1": S.SCARD_PROTOCOL_T1}.get(protocol)
    sel = pcsc.transmit(card, proto, bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID)
    one = pcsc.transmit(card, proto, bytes([0x80, 0x30, 0, 0]))
    pcsc.ok((want_proto is None or proto == want_proto) and sel == SW_OK and one == SW_OK,
            "%s: T=%d, SELECT readertest and case 1 answer 90 00" % (
                reader, 0 if proto == S.SCARD_PROTOCOL_T0 else 1),
            "protocol %d, SELECT %s, case 1 %s" % (proto, sel.hex(), one.hex()))
    for kind, lengths in (("case3", range(1, 256)), ("case2", range(1, 257)),
                          ("case4", range(1, 256))):
        bad = sweep(card, proto, kind, lengths, short_apdus)
        pcsc.ok(not bad, "%s: %s at every short length %d..%d is byte-exact" % (
            reader, kind, lengths[0], lengths[-1]), "\n".join(bad[:5]))
    if extended:
        for kind in ("case3", "case2", "case4"):
            bad = sweep(card, proto, kind, EXT_LENGTHS, ext_apdus)
            pcsc.ok(not bad, "%s: %s extended at %d lengths (1..65535 with boundaries) "
                    "is byte-exact" % (reader, kind, len(EXT_LENGTHS)), "\n".join(bad[:5]))
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def main():
    specs = [a.split(":") for a in sys.argv[1:]]
    pcsc.plan(sum(7 if len(sp) > 2 else 4 for sp in specs))
    ctx = pcsc.context()
    for sp in specs:
        try:
            run_reader(ctx, sp[0], sp[1], len(sp) > 2)
        except RuntimeError as e:
            pcsc.ok(False, "%s: client failed: %s" % (sp[0], e))
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
        pcsc.done()
