#!/usr/bin/env python3
"""ccidlab — writes the seed inputs of the stateful fuzz targets (fuzz_host,
fuzz_host_mt, fuzz_usb) in the record format of tests/fuzz/fuzz_device.h:
minimal valid sessions at each exchange level, and the regressions.

usage: mkseeds.py OUTDIR
"""
import os
import struct
import sys

ATR_T1 = bytes.fromhex("3B9996813 1FE458057636369646C6162B1".replace(" ", ""))
ATR_T0 = bytes.fromhex("3B1996805763636964 6C6162".replace(" ", ""))
FIX = 0xF0  # answer record: bSeq, bSlot, dwLength and the type of the last command
SELECT = bytes([0x00, 0xA4, 0x04, 0x00, 6, 0xA0, 0, 0, 0, 0x18, 0xFF])


def header(slots=1, level=2, irq=True, dwmax_index=9, protocols=3, pin=0, busy=1,
           timeouts=0, quirk=0, flags=0):
    b1 = level | (4 if irq else 0) | flags
    return bytes([slots - 1, b1, dwmax_index, protocols | 0x10, pin, busy, timeouts, quirk])


def answer(data=b"", status=0, error=0, chain=0, fix=FIX):
    msg = bytes([0, 0, 0, 0, 0, 0, 0, status, error, chain]) + data
    return bytes([0x00 | fix]) + struct.pack("<H", len(msg)) + msg


def op_power(slot=0, off=False):
    return bytes([0x08 | (0x10 if off else 0), slot])


def op_proto(slot, proto):
    return bytes([0x09, slot, proto])


def op_transmit(slot, apdu, cap=258, kind=0x0A):
    return bytes([kind, slot]) + struct.pack("<HH", cap, len(apdu)) + apdu


def op_irq(wait10ms):
    return bytes([0x0E, 0, wait10ms])


def irq_msg(data):
    return bytes([0x04, len(data)]) + data


def t1_block(pcb, inf, nad=0):
    b = bytes([nad, pcb, len(inf)]) + inf
    lrc = 0
    for x in b:
        lrc ^= x
    return b + bytes([lrc])


def seeds():
    s = {}
    # Short APDU level: power, an APDU, an interrupt message.
    s["apdu_session"] = (header() + answer(ATR_T1) + op_power() + answer(b"\x90\x00") +
                         op_transmit(0, SELECT) + irq_msg(b"\x50\x03") + op_irq(10) +
                         bytes([0x1F, 0]) + answer(b"\x90\x00") + op_transmit(0, SELECT))
    # The witness, in this format: an empty DataBlock answers an APDU.
    s["regression_empty_datablock"] = (header() + answer(ATR_T1) + op_power() + answer() +
                                       op_transmit(0, SELECT))
    # A time extension, then the answer; escape; secure.
    s["time_extension"] = (header(pin=3) + answer(ATR_T1) + op_power() +
                           bytes([0x02, 2]) + answer(b"\x90\x00") + op_transmit(0, SELECT) +
                           answer(b"\x01\x02") + op_transmit(0, b"\x01\x02\x03", 16, 0x0B) +
                           answer(b"\x90\x00") +
                           op_transmit(0, bytes(15) + SELECT, 258, 0x0C))
    # Extended APDU level: a chained command, a chained answer.
    big = bytes([0x00, 0xD6, 0, 0, 0, 0x01, 0x00]) + bytes(256)
    s["extended_chain"] = (header(level=3, dwmax_index=6) + answer(ATR_T1) + op_power() +
                           answer(chain=0x10) + answer(b"\x90\x00") +
                           op_transmit(0, big, 600))
    # TPDU level, T=1: SetParameters, S(IFS), an I-block each way.
    s["tpdu_t1"] = (header(level=1, flags=0x10) + answer(ATR_T1) + op_power() +
                    answer(bytes([0x96, 0x10, 0, 0x45, 0, 0xFE, 0])) +
                    answer(t1_block(0xE1, b"\xFE")) + op_proto(0, 1) +
                    answer(t1_block(0x00, b"\x90\x00")) + op_transmit(0, SELECT))
    # TPDU level, T=0.
    s["tpdu_t0"] = (header(level=1, protocols=1, flags=0x10) + answer(ATR_T0) + op_power() +
                    answer(bytes([0x11, 0, 0, 10, 0])) + op_proto(0, 0) +
                    answer(b"\x90\x00") + op_transmit(0, SELECT))
    # Several slots, two busy: answers for each slot.
    s["multislot"] = (header(slots=4, busy=2) + answer(ATR_T1) + op_power(0) +
                      answer(ATR_T1) + op_power(1) + answer(b"\x90\x00") +
                      op_transmit(0, SELECT) + answer(b"\x90\x00") + op_transmit(1, SELECT) +
                      bytes([0x0D, 2]) + bytes([0x3D, 3]))
    # A device that goes away mid-session, and one that stays silent.
    s["gone"] = header() + answer(ATR_T1) + op_power() + bytes([0x03]) + op_transmit(0, SELECT)
    s["silent"] = header(timeouts=0x21) + op_power() + op_transmit(0, SELECT) + op_irq(50)
    # Huge descriptor values: 256 slots, dwMaxCCIDMessageLength past CCID.
    s["hostile_descriptor"] = (header(slots=256, dwmax_index=20, busy=255) + answer(ATR_T1) +
                               op_power(255) + answer(b"\x90\x00") + op_transmit(255, SELECT))
    return s


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


main()
