#!/usr/bin/env python3
"""ccidlab — SCardGetAttrib: ccidlab's driver against libccid (TAP).

usage: usb_attrs.py dump OUT.json READER[/SLOT]...
       usb_attrs.py compare CCIDLAB.json LIBCCID.json

dump (run in a lab): for each reader (its FRIENDLYNAME; /SLOT picks a
slot of a multi-slot reader, default 0), connects (shared when a card is
in, else direct) and reads every SCARD_ATTR_* of PC/SC part 3 and
pcsc-lite's reader.h; writes {reader: {attr: hex or null}}.

compare: the two dumps, made by two labs on the same usbsim devices
(same profiles, bus addresses and serials), one with each driver.  Every
attribute either driver answers is printed with both values; ccidlab
must answer every attribute libccid answers, with the same value, but
for the differences listed in DIFFERENCES, each with its reason.
"""
import json
import sys

ATTRS = {
    "VENDOR_NAME": 0x00010100, "VENDOR_IFD_TYPE": 0x00010101,
    "VENDOR_IFD_VERSION": 0x00010102, "VENDOR_IFD_SERIAL_NO": 0x00010103,
    "CHANNEL_ID": 0x00020110, "ASYNC_PROTOCOL_TYPES": 0x00030120, "DEFAULT_CLK": 0x00030121,
    "MAX_CLK": 0x00030122, "DEFAULT_DATA_RATE": 0x00030123, "MAX_DATA_RATE": 0x00030124,
    "MAX_IFSD": 0x00030125, "SYNC_PROTOCOL_TYPES": 0x00030126,
    "POWER_MGMT_SUPPORT": 0x00040131, "USER_TO_CARD_AUTH_DEVICE": 0x00050140,
    "USER_AUTH_INPUT_DEVICE": 0x00050142, "CHARACTERISTICS": 0x00060150,
    "CURRENT_PROTOCOL_TYPE": 0x00080201, "CURRENT_CLK": 0x00080202, "CURRENT_F": 0x00080203,
    "CURRENT_D": 0x00080204, "CURRENT_N": 0x00080205, "CURRENT_W": 0x00080206,
    "CURRENT_IFSC": 0x00080207, "CURRENT_IFSD": 0x00080208, "CURRENT_BWT": 0x00080209,
    "CURRENT_CWT": 0x0008020A, "CURRENT_EBC_ENCODING": 0x0008020B, "EXTENDED_BWT": 0x0008020C,
    "ICC_PRESENCE": 0x00090300, "ICC_INTERFACE_STATUS": 0x00090301,
    "CURRENT_IO_STATE": 0x00090302, "ATR_STRING": 0x00090303, "ICC_TYPE_PER_ATR": 0x00090304,
    "ESC_RESET": 0x0007A000, "ESC_CANCEL": 0x0007A003, "ESC_AUTHREQUEST": 0x0007A005,
    "MAXINPUT": 0x0007A007, "DEVICE_UNIT": 0x7FFF0001, "DEVICE_IN_USE": 0x7FFF0002,
    "DEVICE_FRIENDLY_NAME_A": 0x7FFF0003, "DEVICE_SYSTEM_NAME_A": 0x7FFF0004,
    "DEVICE_FRIENDLY_NAME_W": 0x7FFF0005, "DEVICE_SYSTEM_NAME_W": 0x7FFF0006,
    "SUPRESS_T1_IFS_REQUEST": 0x7FFF0007,
}

# attribute -> (the difference, as a test on (ccidlab's hex, libccid's
# hex), its reason).  Anything else that differs fails.
DIFFERENCES = {
    # An empty slot has no ATR.  libccid answers the attribute with 0
    # bytes; ccidlab refuses it (IFD_ERROR_TAG: pcscd says
    # SCARD_E_UNSUPPORTED_FEATURE), as it refuses every card attribute
    # without a card: a 0-byte ATR is no ATR, and ICC_PRESENCE 0 and
    # ICC_INTERFACE_STATUS 0 (which both drivers answer alike) already
    # say there is no card.
    "ATR_STRING": (lambda ours, theirs: ours is None and theirs == "",
                   "empty slot: libccid answers a 0-byte ATR, ccidlab refuses the attribute"),
}


def dump(out, readers):
    import pcsc
    from smartcard import scard as S
    ctx = pcsc.context()
    names = pcsc.readers(ctx)
    res = {}
    for spec in readers:
        dev, _, slot = spec.partition("/")
        slot = int(slot or 0)
        name = [n for n in names if n.startswith(dev + " ") and n.endswith(" %02X" % slot)]
        if not name:
            raise RuntimeError("no reader %s in %s" % (spec, names))
        rv, card, _ = S.SCardConnect(ctx, name[0], S.SCARD_SHARE_SHARED,
                                     S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1)
        if rv != S.SCARD_S_SUCCESS:
            rv, card, _ = S.SCardConnect(ctx, name[0], S.SCARD_SHARE_DIRECT, 0)
        pcsc.check(rv, "SCardConnect %s" % name[0])
        vals = {}
        for a, tag in ATTRS.items():
            rv, v = S.SCardGetAttrib(card, tag)
            vals[a] = bytes(v).hex() if rv == S.SCARD_S_SUCCESS else None
        res[spec] = vals
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


def show(hexval):
    if hexval is None:
        return "-"
    b = bytes.fromhex(hexval)
    text = b.rstrip(b"\0")
    if len(b) > 4 and all(32 <= c < 127 for c in text):
        return '"%s"' % text.decode()
    return hexval


def compare(ours_path, theirs_path):
    with open(ours_path) as f:
        ours = json.load(f)
    with open(theirs_path) as f:
        theirs = json.load(f)
    print("1..%d" % len(theirs), flush=True)
    n = 0
    for reader, tv in theirs.items():
        ov = ours.get(reader, {})
        bad, explained, same = [], [], 0
        for a in ATTRS:
            o, t = ov.get(a), tv.get(a)
            if o is None and t is None:
                continue
            print("# %-10s %-24s ccidlab %-40s libccid %s" % (reader, a, show(o), show(t)))
            if t is None or o == t:
                same += t is not None
                continue
            diff = DIFFERENCES.get(a)
            if diff is not None and diff[0](o, t):
                explained.append(a)
            else:
                bad.append("%s: ccidlab %s, libccid %s" % (a, show(o), show(t)))
        n += 1
        print("%s %d - %s: every attribute libccid answers, ccidlab answers the same "
              "(%d same, %d explained differences: %s)"
              % ("not ok" if bad else "ok", n, reader, same, len(explained),
                 " ".join(explained) or "none"), flush=True)
        for line in bad:
            print("# differs: " + line, flush=True)
    for k, (_, why) in sorted(DIFFERENCES.items()):
        print("# explained difference %s: %s" % (k, why), flush=True)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
        sys.exit(1)
