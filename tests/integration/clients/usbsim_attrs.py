#!/usr/bin/env python3
"""ccidlab — SCardGetAttrib from Debian's libccid on usbsim devices (TAP).

usage: usbsim_attrs.py READER...   (env: USBSIM_SPEC, USBSIM_SHIM)

READERs are libccid readers on the devices of USBSIM_SPEC, in its order,
each with a card in slot 0.  The descriptors (device, CCID class,
strings) are read from the shim itself (loaded with ctypes in this
process, with the same spec: the same profiles), and every attribute
pcscd and libccid answer is compared with what the descriptors and the
card imply.  libccid does not answer every attribute: the ones it
refuses are listed (diagnostics), not failed; a value that disagrees is
a failure.
"""
import ctypes
import os
import struct
import sys

import pcsc
from smartcard import scard as S

ATTR = {
    "VENDOR_NAME": 0x00010100, "VENDOR_IFD_TYPE": 0x00010101,
    "VENDOR_IFD_VERSION": 0x00010102, "VENDOR_IFD_SERIAL_NO": 0x00010103,
    "CHANNEL_ID": 0x00020110, "ASYNC_PROTOCOL_TYPES": 0x00030120, "DEFAULT_CLK": 0x00030121,
    "MAX_CLK": 0x00030122, "DEFAULT_DATA_RATE": 0x00030123, "MAX_DATA_RATE": 0x00030124,
    "MAX_IFSD": 0x00030125, "CURRENT_PROTOCOL_TYPE": 0x00080201, "ICC_PRESENCE": 0x00090300,
    "ICC_INTERFACE_STATUS": 0x00090301, "ATR_STRING": 0x00090303, "MAXINPUT": 0x0007A007,
}


def descriptors():
    """Per device of USBSIM_SPEC: device descriptor, CCID class descriptor,
    manufacturer/product/serial strings, bus and address."""
    os.environ["CCIDLAB_USBSIM"] = os.environ["USBSIM_SPEC"]
    os.environ.pop("CCIDLAB_USBSIM_CTL", None)
    u = ctypes.CDLL(os.environ["USBSIM_SHIM"])
    u.libusb_get_device_list.restype = ctypes.c_ssize_t
    u.libusb_get_device_list.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p))]
    u.libusb_open.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    u.libusb_close.argtypes = [ctypes.c_void_p]
    u.libusb_control_transfer.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint8,
                                          ctypes.c_uint16, ctypes.c_uint16, ctypes.c_char_p,
                                          ctypes.c_uint16, ctypes.c_uint]
    u.libusb_get_string_descriptor_ascii.argtypes = [ctypes.c_void_p, ctypes.c_uint8,
                                                     ctypes.c_char_p, ctypes.c_int]
    u.libusb_get_bus_number.argtypes = [ctypes.c_void_p]
    u.libusb_get_device_address.argtypes = [ctypes.c_void_p]
    u.libusb_free_device_list.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    ctx = ctypes.c_void_p()
    u.libusb_init(ctypes.byref(ctx))
    lst = ctypes.POINTER(ctypes.c_void_p)()
    n = u.libusb_get_device_list(ctx, ctypes.byref(lst))
    out = []
    for i in range(n):
        dev = lst[i]
        h = ctypes.c_void_p()
        if u.libusb_open(dev, ctypes.byref(h)) != 0:
            raise RuntimeError("shim: libusb_open failed")
        buf = ctypes.create_string_buffer(1024)
        r = u.libusb_control_transfer(h, 0x80, 6, 0x0100, 0, buf, 18, 1000)
        dd = buf.raw[:r]
        r = u.libusb_control_transfer(h, 0x80, 6, 0x0200, 0, buf, 1024, 1000)
        cfg = buf.raw[:r]
        cls, k = None, 0
        while k + 2 <= len(cfg) and cfg[k] > 0:
            if cfg[k + 1] == 0x21 and cfg[k] == 0x36:
                cls = cfg[k:k + 0x36]
            k += cfg[k]

        def string(index):
            if index == 0:
                return None
            s = ctypes.create_string_buffer(256)
            m = u.libusb_get_string_descriptor_ascii(h, index, s, 256)
            return s.raw[:m].decode() if m > 0 else None
        out.append({"bcdDevice": struct.unpack_from("<H", dd, 12)[0],
                    "manufacturer": string(dd[14]), "product": string(dd[15]),
                    "serial": string(dd[16]), "cls": cls,
                    "bus": u.libusb_get_bus_number(dev), "address": u.libusb_get_device_address(dev)})
        u.libusb_close(h)
    return out


def dword(v):
    return struct.pack("<I", v)


def main():
    readers = sys.argv[1:]
    pcsc.plan(2 * len(readers))
    descs = descriptors()
    ctx = pcsc.context()
    for name, d in zip(readers, descs):
        reader = pcsc.find(ctx, name + " ")
        card, proto = pcsc.connect(ctx, reader)
        rv, _, _, _, atr = S.SCardStatus(card)
        c = d["cls"]
        dw = lambda off: struct.unpack_from("<I", c, off)[0]
        want = {
            "VENDOR_NAME": (d["manufacturer"] + "\0").encode() if d["manufacturer"] else None,
            "VENDOR_IFD_TYPE": (d["product"] + "\0").encode() if d["product"] else None,
            "VENDOR_IFD_VERSION": dword(d["bcdDevice"] << 16),
            "VENDOR_IFD_SERIAL_NO": d["serial"].encode() if d["serial"] else None,
            "CHANNEL_ID": dword(0x0020 << 16 | d["bus"] << 8 | d["address"]),
            "ASYNC_PROTOCOL_TYPES": dword(dw(6)),
            "DEFAULT_CLK": dword(dw(10)), "MAX_CLK": dword(dw(14)),
            "DEFAULT_DATA_RATE": dword(dw(19)), "MAX_DATA_RATE": dword(dw(23)),
            "MAX_IFSD": dword(dw(28)),
            "CURRENT_PROTOCOL_TYPE": dword(proto),
            "ICC_PRESENCE": b"\x02", "ICC_INTERFACE_STATUS": b"\x01",
            "ATR_STRING": bytes(atr),
            "MAXINPUT": dword(dw(44) - 10),
        }
        agree, differ, refused = [], [], []
        for a, v in want.items():
            rv, got = S.SCardGetAttrib(card, ATTR[a])
            if rv != S.SCARD_S_SUCCESS:
                refused.append(a)
                continue
            got = bytes(got)
            if v is None or got == v or (a == "VENDOR_IFD_SERIAL_NO" and got.rstrip(b"\0") == v):
                agree.append(a)
            else:
                differ.append("%s: libccid %s, descriptor/card %s" % (a, got.hex(), v.hex()))
        pcsc.ok(not differ, "%s: %d attributes answered agree with the descriptors and card (%s)"
                % (reader, len(agree), " ".join(agree)), "\n".join(differ))
        pcsc.ok("ATR_STRING" in agree and "CHANNEL_ID" in agree and "VENDOR_IFD_VERSION" in agree,
                "%s: ATR, channel id and IFD version answered" % reader,
                "refused: %s" % " ".join(refused))
        print("# %s: not answered by pcscd/libccid: %s" % (reader, " ".join(refused) or "none"),
              flush=True)
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
