#!/usr/bin/env python3
"""ccidlab — SCardGetAttrib and SCardControl through pcscd (TAP).

usage: attrs.py TPDU_READER PINPAD_READER
The readers are generic-t1-irq and generic-pinpad with readertest T=1
cards; the expected values are what those built-in profiles and the
card's ATR imply (src/emu/builtin.c).
"""
import math
import struct
import sys

import pcsc
from smartcard import scard as S

ATTR = {
    "VENDOR_NAME": 0x00010100, "VENDOR_IFD_TYPE": 0x00010101,
    "VENDOR_IFD_VERSION": 0x00010102, "CHANNEL_ID": 0x00020110,
    "ASYNC_PROTOCOL_TYPES": 0x00030120, "DEFAULT_CLK": 0x00030121, "MAX_CLK": 0x00030122,
    "DEFAULT_DATA_RATE": 0x00030123, "MAX_DATA_RATE": 0x00030124, "MAX_IFSD": 0x00030125,
    "CURRENT_PROTOCOL_TYPE": 0x00080201, "CURRENT_CLK": 0x00080202, "CURRENT_F": 0x00080203,
    "CURRENT_D": 0x00080204, "CURRENT_N": 0x00080205, "CURRENT_IFSC": 0x00080207,
    "CURRENT_IFSD": 0x00080208, "CURRENT_BWT": 0x00080209, "CURRENT_CWT": 0x0008020A,
    "CURRENT_EBC_ENCODING": 0x0008020B, "ICC_PRESENCE": 0x00090300,
    "ICC_INTERFACE_STATUS": 0x00090301, "ATR_STRING": 0x00090303,
    "ICC_TYPE_PER_ATR": 0x00090304, "MAXINPUT": 0x0007A007,
}
FI = {0: 372, 1: 372, 2: 558, 3: 744, 4: 1116, 5: 1488, 6: 1860, 9: 512, 10: 768,
      11: 1024, 12: 1536, 13: 2048}
DI = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16, 6: 32, 7: 64, 8: 12, 9: 20}
CTL = lambda c: 0x42000000 + c
GET_FEATURES = CTL(3400)


def parse_atr(atr):
    """The few ATR facts the attributes depend on (ISO 7816-3 §8)."""
    out = {"ta1": 0x11, "n": 0, "ifsc": 32, "bwi": 4, "cwi": 13, "crc": 0}
    y, i, group, t_prev = atr[1] >> 4, 2, 1, 0
    while True:
        ta = tb = tc = td = None
        if y & 1:
            ta, i = atr[i], i + 1
        if y & 2:
            tb, i = atr[i], i + 1
        if y & 4:
            tc, i = atr[i], i + 1
        if y & 8:
            td, i = atr[i], i + 1
        if group == 1:
            out["ta1"] = ta if ta is not None else 0x11
            out["n"] = tc or 0
        elif t_prev == 1 and group >= 3 and not out.get("t1seen"):
            out["t1seen"] = True
            if ta is not None:
                out["ifsc"] = ta
            if tb is not None:
                out["bwi"], out["cwi"] = tb >> 4, tb & 15
            if tc is not None:
                out["crc"] = tc & 1
        if td is None:
            return out
        y, t_prev, group = td >> 4, td & 15, group + 1


RATES_4MHZ = [10752, 21505, 43010, 86021, 172043, 344086]


def agreed_fd(ta1, clock_khz=4000, rates=RATES_4MHZ):
    """The Fi/Di a TPDU reader with this rate list runs: the card's F with
    the highest D up to its own whose rate the reader lists (within 2 bps),
    else the defaults (ISO 7816-3 §7.1, CCID GET_DATA_RATES)."""
    f = FI[ta1 >> 4]
    for d in sorted((v for v in DI.values() if v <= DI[ta1 & 15]), reverse=True):
        rate = clock_khz * 1000 * d // f
        if any(abs(rate - r) <= 2 for r in rates):
            return f, d
    return 372, 1


def attr(card, name):
    rv, val = S.SCardGetAttrib(card, ATTR[name])
    return bytes(val) if rv == S.SCARD_S_SUCCESS else None


def dword(v):
    return struct.pack("<I", v)


def check_attrs(ctx, prefix):
    reader = pcsc.find(ctx, prefix)
    card, proto = pcsc.connect(ctx, reader, S.SCARD_PROTOCOL_T1)
    atr = attr(card, "ATR_STRING")
    a = parse_atr(atr)
    f, d = agreed_fd(a["ta1"])
    want = {
        "VENDOR_NAME": b"ccidlab (emulated)\0", "VENDOR_IFD_TYPE": b"ccidlab TPDU reader\0",
        "VENDOR_IFD_VERSION": dword(0x01020000), "ASYNC_PROTOCOL_TYPES": dword(3),
        "DEFAULT_CLK": dword(4000), "MAX_CLK": dword(4000), "DEFAULT_DATA_RATE": dword(10752),
        "MAX_DATA_RATE": dword(344086), "MAX_IFSD": dword(254), "MAXINPUT": dword(261),
        "CURRENT_PROTOCOL_TYPE": dword(2), "CURRENT_CLK": dword(4000), "CURRENT_F": dword(f),
        "CURRENT_D": dword(d), "CURRENT_N": dword(a["n"]), "CURRENT_IFSC": dword(a["ifsc"]),
        "CURRENT_IFSD": dword(254), "CURRENT_EBC_ENCODING": dword(a["crc"]),
        "CURRENT_BWT": dword(math.ceil(11 + (2 ** a["bwi"]) * 960 * 372 * d / f)),
        "CURRENT_CWT": dword(11 + 2 ** a["cwi"]), "ICC_PRESENCE": b"\x02",
        "ICC_INTERFACE_STATUS": b"\x01", "ICC_TYPE_PER_ATR": b"\x01",
    }
    bad = []
    for name, value in want.items():
        got = attr(card, name)
        if got != value:
            bad.append("%s: got %s, want %s" % (name, got.hex() if got else None, value.hex()))
    chan = attr(card, "CHANNEL_ID")
    if chan is None or struct.unpack("<I", chan)[0] >> 16 != 0x20:
        bad.append("CHANNEL_ID: %s" % (chan.hex() if chan else None))
    pcsc.ok(not bad, "%s: %d attributes have the values the profile and the ATR imply" % (
        reader, len(want) + 1), "\n".join(bad))
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def tlv(data):
    out, i = {}, 0
    while i + 2 <= len(data):
        tag, n = data[i], data[i + 1]
        out[tag] = data[i + 2:i + 2 + n]
        i += 2 + n
    return out


def check_pinpad(ctx, prefix):
    reader = pcsc.find(ctx, prefix)
    card, proto = pcsc.connect(ctx, reader, S.SCARD_PROTOCOL_T1)
    rv, feats = S.SCardControl(card, GET_FEATURES, [])
    feats = tlv(bytes(feats)) if rv == S.SCARD_S_SUCCESS else {}
    codes = {t: struct.unpack(">I", v)[0] for t, v in feats.items()}
    pcsc.ok(sorted(codes) == [0x06, 0x07, 0x0A, 0x12] and
            all(c == CTL(0x330000 + t) for t, c in codes.items()),
            "%s: the feature list has VERIFY/MODIFY_PIN_DIRECT, IFD_PIN_PROPERTIES, "
            "GET_TLV_PROPERTIES" % reader, repr(codes))
    rv, props = S.SCardControl(card, codes.get(0x12, 0), [])
    p = tlv(bytes(props)) if rv == S.SCARD_S_SUCCESS else {}
    want = {0x01: struct.pack("<H", 0x0210), 0x09: b"\x00", 0x0A: dword(0),
            0x0B: struct.pack("<H", 0x1209), 0x0C: struct.pack("<H", 0x0002)}
    bad = ["tag %d: got %s want %s" % (t, p.get(t, b"").hex(), v.hex())
           for t, v in want.items() if p.get(t) != v]
    pcsc.ok(not bad, "%s: TLV properties give wLcdLayout, bPPDUSupport, dwMaxAPDUDataSize, "
            "wIdVendor, wIdProduct" % reader, "\n".join(bad))
    aid = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
    pcsc.transmit(card, proto, bytes([0x00, 0xA4, 0x04, 0x00, 6]) + aid)
    # PIN_VERIFY_STRUCTURE (PC/SC part 10): ASCII PIN of 4..8 digits into
    # the 4 bytes after the header of VERIFY 80 20 00 00 04.
    template = bytes([0x80, 0x20, 0x00, 0x00, 0x04, 0x30, 0x30, 0x30, 0x30])
    verify = bytes([0x00, 0x00, 0x82, 0x04, 0x00]) + struct.pack("<H", 0x0408) + \
        bytes([0x02, 0x01]) + struct.pack("<H", 0x0409) + bytes([0x00, 0, 0, 0]) + \
        struct.pack("<I", len(template)) + template
    rv, rsp = S.SCardControl(card, codes.get(0x06, 0), list(verify))
    last = pcsc.transmit(card, proto, bytes([0x80, 0x40, 0x00, 0x00, 0x00]))
    pcsc.ok(rv == S.SCARD_S_SUCCESS and bytes(rsp) == b"\x90\x00" and b"1234" in last,
            "%s: FEATURE_VERIFY_PIN_DIRECT reaches the card with the keypad's PIN" % reader,
            "rv 0x%X rsp %s, last VERIFY %s" % (rv & 0xFFFFFFFF, bytes(rsp).hex(), last.hex()))
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def main():
    pcsc.plan(4)
    ctx = pcsc.context()
    check_attrs(ctx, sys.argv[1])
    check_pinpad(ctx, sys.argv[2])
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
