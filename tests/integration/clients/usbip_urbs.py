#!/usr/bin/env python3
"""ccidlab — `ccidlab usbip` driven URB by URB over USB/IP (TAP).

usage: usbip_urbs.py HOST PORT CTL_SOCKET CCIDLAB

The server exports (tests/integration/usbip-urbs.sh):
  1-1 main    generic-apdu-irq, readertest T=1
  1-2 acr     ACR38U-CCID.txt (catalogue)
  1-3 combo   generic-short-poll, composite=hid (no interrupt pipe)
  1-4 faulty  generic-apdu-irq, no card (USB faults, unplug)
  1-5 vanish  generic-apdu-irq, readertest T=1 (peers that vanish)

This client is ours, as is the server: it checks the server's side of
the protocol in detail (enumeration, CCID exchanges byte-exact, the
interrupt pipe, every USB fault as a URB status, UNLINK, hostile and
vanishing peers, live add/remove, URB counts).  That Linux's vhci-hcd
agrees is proven by the kernel tests of the VM lab, not here.
"""
import json
import socket
import struct
import subprocess
import sys
import time

from usbip_client import (Ccid, Closed, Usbip, DIR_IN, DIR_OUT, SHORT_NOT_OK, ECONNRESET,
                          EINVAL, ENODEV, ENOMEM, EOVERFLOW, EPIPE, EPROTO, EREMOTEIO)

HOST, PORT, SOCK, CCIDLAB = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
EP_OUT, EP_IN, EP_IRQ = 0x01, 0x02, 0x03
AID = bytes([0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF])
SW_OK = b"\x90\x00"
# The cap on a reply or an event that must come (an interrupt URB after
# an edge, a close, a release): met only when it never comes, so it is
# generous, for a loaded machine and the sanitizer build.  The checks
# are bound by the events themselves, not by how soon they come.
CAP = 20
n = 0
failed = False


def ok(cond, what, diag=""):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, what))
    if not cond:
        failed = True
        for line in str(diag).splitlines():
            print("# " + line)
    sys.stdout.flush()
    return cond


def ccidlab(*args, check=True):
    r = subprocess.run([CCIDLAB] + list(args) + ["--socket", SOCK], capture_output=True,
                       text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("ccidlab %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def listing():
    out = ccidlab("list", "--json").stdout
    return {r["name"]: r for r in json.loads(out)["readers"]}


def counters(name):
    return listing()[name]["counters"]


def connect():
    return Usbip(HOST, PORT)


def imported(busid):
    """Imports busid; a device its last client just left may still be
    being released (ST_DEV_BUSY): try again for up to CAP s."""
    deadline = time.monotonic() + CAP
    while True:
        u = connect()
        st, dev = u.import_(busid)
        if st == 0:
            return u, dev
        u.close()
        if st != 2 or time.monotonic() > deadline:
            raise RuntimeError("import %s: status %d" % (busid, st))
        time.sleep(0.05)


def drain_interrupts(u, expect=1):
    """Reads the interrupt messages queued: the `expect` first ones (the
    reader's start announcement after an import) waited for up to CAP s
    each, however slow the server is to run the URB; then any more until
    1 s passes with none.  Returns them and the URB left pending."""
    got = []
    while True:
        seq = u.submit(EP_IRQ, DIR_IN, 64)
        if len(got) >= expect and u.quiet(1.0):
            return got, seq
        got.append(u.wait(seq, CAP)["data"])


def pattern(k):
    return bytes(i % 256 for i in range(k))


# ---- the device list and the import ----

def test_devlist():
    devs = connect().devlist()
    by = {d["busid"]: d for d in devs}
    ok(sorted(by) == ["1-1", "1-2", "1-3", "1-4", "1-5"], "OP_REP_DEVLIST lists 1-1..1-5",
       sorted(by))
    ok((by["1-1"]["vid"], by["1-1"]["pid"]) == (0x1209, 0x0002) and
       (by["1-2"]["vid"], by["1-2"]["pid"]) == (0x072F, 0x90CC),
       "VID:PID of a built-in and a catalogue profile", devs)
    ok(by["1-1"]["interfaces"] == [(0x0B, 0, 0)] and by["1-1"]["class"] == (0, 0, 0) and
       by["1-1"]["speed"] == 2 and by["1-1"]["config"] == 1 and by["1-1"]["nconfigs"] == 1,
       "1-1: one CCID interface (0b/00/00), class per interface, full speed", by["1-1"])
    ok(by["1-3"]["interfaces"] == [(0x03, 0, 0), (0x0B, 0, 0)],
       "1-3 (composite=hid): HID interface 0, CCID interface 1", by["1-3"])
    ok(by["1-1"]["busnum"] == 1 and by["1-1"]["devnum"] == 2 and by["1-2"]["devnum"] == 3,
       "bus 1, device numbers from 2", by["1-1"])


def test_import():
    u, dev = imported("1-1")
    ok(dev["busid"] == "1-1" and dev["vid"] == 0x1209, "OP_REP_IMPORT of 1-1", dev)
    other = connect()
    st, _ = other.import_("1-1")
    ok(st == 2, "a second import of 1-1 is refused: ST_DEV_BUSY (2)", st)
    ok(other.closed_by_server(), "the refused peer's connection is closed")
    st, _ = connect().import_("9-9")
    ok(st == 4, "an unknown bus id: ST_NODEV (4)", st)
    return u


# ---- endpoint 0 ----

def test_enumeration(u):
    r = u.control(0x80, 6, 0x0100, 0, 8)
    ok(r["status"] == 0 and r["data"][:2] == b"\x12\x01" and len(r["data"]) == 8,
       "GET_DESCRIPTOR device, first 8 bytes (as a hub driver asks first)", r)
    r = u.control(0x80, 6, 0x0100, 0, 18)
    d = r["data"]
    ok(r["status"] == 0 and len(d) == 18 and struct.unpack("<HH", d[8:12]) == (0x1209, 2) and
       d[7] == 64 and d[17] == 1, "GET_DESCRIPTOR device: 18 bytes, 1209:0002, ep0 64", d.hex())
    r = u.control(0x80, 6, 0x0200, 0, 9)
    total = struct.unpack("<H", r["data"][2:4])[0] if r["status"] == 0 else 0
    r2 = u.control(0x80, 6, 0x0200, 0, 255)
    cfg = r2["data"]
    ok(total == len(cfg) and cfg[4] == 1 and b"\x36\x21" in cfg,
       "GET_DESCRIPTOR configuration: wTotalLength %d, the CCID class descriptor in it" % total,
       cfg.hex())
    r = u.control(0x80, 6, 0x0300, 0, 255)
    ok(r["status"] == 0 and r["data"] == b"\x04\x03\x09\x04", "string 0: English (US)", r)
    r = u.control(0x80, 6, 0x0302, 0x0409, 255)
    s = r["data"][2:].decode("utf-16-le") if r["status"] == 0 else ""
    ok(r["status"] == 0 and s != "" and r["data"][0] == len(r["data"]),
       "string 2 (product): \"%s\"" % s, r)
    r = u.control(0x80, 6, 0x0309, 0x0409, 255)
    ok(r["status"] == -EPIPE, "string 9 (none): a stall, -EPIPE", r)
    r = u.control(0x80, 6, 0x0600, 0, 10)
    ok(r["status"] == -EPIPE, "device qualifier of a full-speed device: -EPIPE", r)
    r = u.control(0x00, 9, 1, 0, 0)
    ok(r["status"] == 0, "SET_CONFIGURATION 1", r)
    r = u.control(0x80, 8, 0, 0, 1)
    ok(r["status"] == 0 and r["data"] == b"\x01", "GET_CONFIGURATION: 1", r)
    r = u.control(0x01, 11, 0, 0, 0)
    r2 = u.control(0x01, 11, 1, 0, 0)
    ok(r["status"] == 0 and r2["status"] == -EPIPE,
       "SET_INTERFACE alt 0 works, alt 1 stalls", (r, r2))
    r = u.control(0x80, 0, 0, 0, 2)
    ok(r["status"] == 0 and r["data"] == b"\0\0", "GET_STATUS device", r)
    r = u.control(0x80, 5, 0, 0, 0)
    ok(r["status"] == -EPIPE, "an IN request the device does not know (0x05): -EPIPE", r)


def test_class_requests(u):
    r = u.control(0xA1, 3, 0, 0, 255)
    ok(r["status"] == 0 and len(r["data"]) > 0 and len(r["data"]) % 4 == 0,
       "GET_DATA_RATES: %d rates" % (len(r["data"]) // 4), r)
    r = u.control(0xA1, 2, 0, 0, 255)
    ok(r["status"] == 0 and len(r["data"]) > 0 and len(r["data"]) % 4 == 0,
       "GET_CLOCK_FREQUENCIES: %d clocks" % (len(r["data"]) // 4), r)
    r = u.control(0xA1, 3, 0, 0, 4)
    ok(r["status"] == 0 and len(r["data"]) == 4, "GET_DATA_RATES held to wLength 4", r)
    r = u.control(0x21, 1, 0x0700, 0, 0)
    ok(r["status"] == 0, "ABORT (slot 0, bSeq 7)", r)
    r = u.control(0x21, 1, 0x0705, 0, 0)
    ok(r["status"] == -EPIPE, "ABORT of slot 5 (none): -EPIPE", r)
    # The emulator holds the ABORT until its PC_to_RDR_Abort: send it.
    c = Ccid(u)
    c.bseq = 6
    m = c.command(0x72)
    ok(m[0] == 0x81 and m[6] == 7, "PC_to_RDR_Abort bSeq 7 answered after the ABORT", m.hex())


# ---- CCID over the bulk pipes ----

def test_readertest(u):
    c = Ccid(u)
    m = c.slot_status()
    ok(m[0] == 0x81 and m[7] & 3 == 1, "GetSlotStatus: card present, not powered", m.hex())
    atr = c.power_on()
    ok(atr[:1] == b"\x3b", "IccPowerOn: ATR %s" % atr.hex())
    ok(c.xfr(bytes([0, 0xA4, 4, 0, 6]) + AID) == SW_OK and c.xfr(b"\x80\x30\0\0") == SW_OK,
       "SELECT readertest, case 1: 90 00")
    before = counters("1-1")
    apdus = 0
    for case in ("case3", "case2", "case4"):
        bad = []
        for k in range(1, 256):
            p1p2 = bytes([k >> 8, k & 0xFF])
            if case == "case3":
                apdu, want = bytes([0x80, 0x32, 0, 0, k]) + pattern(k), SW_OK
            elif case == "case2":
                apdu, want = bytes([0x80, 0x34]) + p1p2 + bytes([k]), pattern(k) + SW_OK
            else:
                apdu = bytes([0x80, 0x36]) + p1p2 + bytes([k]) + pattern(k) + bytes([k])
                want = pattern(k) + SW_OK
            got = c.xfr(apdu)
            apdus += 1
            if got != want:
                bad.append("len %d: %s" % (k, got[-4:].hex()))
        ok(not bad, "readertest %s at every short length 1..255 is byte-exact" % case,
           "\n".join(bad[:5]))
    after = counters("1-1")
    outs = after["urb_bulk_out"] - before["urb_bulk_out"]
    ins = after["urb_bulk_in"] - before["urb_bulk_in"]
    ok(outs == apdus and ins == apdus,
       "URB accounting: %d APDUs took %d bulk-OUT + %d bulk-IN URBs (%.2f per APDU, the floor 2)"
       % (apdus, outs, ins, (outs + ins) / apdus), (before, after))
    print("# urbs-per-apdu main generic-apdu-irq short-apdu %.3f" % ((outs + ins) / apdus))


def test_time_extension(u):
    """A card that works long: its time extensions are URBs too."""
    c = Ccid(u)
    before = counters("1-1")
    t0 = time.monotonic()
    got = c.xfr(bytes([0x80, 0x38, 0, 30]))  # 30 x the applet's 10 ms of work
    dt = time.monotonic() - t0
    after = counters("1-1")
    ins = after["urb_bulk_in"] - before["urb_bulk_in"]
    ok(got == SW_OK and ins >= 3 and dt >= 0.29,
       "a slow APDU (INS 38): answered after %.2f s, %d bulk-IN URBs (time extensions)"
       % (dt, ins), (got.hex(), before, after))


# ---- the interrupt pipe ----

def test_interrupt(u):
    first, seq = drain_interrupts(u)
    ok(first == [b"\x50\x03"], "the start announcement: NotifySlotChange 50 03 (card present)",
       [f.hex() for f in first])
    ccidlab("remove", "1-1")
    r = u.wait(seq, CAP)
    ok(r["status"] == 0 and r["data"] == b"\x50\x02",
       "remove: the pending interrupt URB completes with 50 02", r)
    seq = u.submit(EP_IRQ, DIR_IN, 64)
    ok(u.quiet(0.3), "the next interrupt URB stays pending")
    ccidlab("insert", "1-1", "--card", "readertest,t1")
    r = u.wait(seq, CAP)
    ok(r["status"] == 0 and r["data"] == b"\x50\x03",
       "insert: the pending interrupt URB completes with 50 03", r)
    # UNLINK of a pending interrupt URB: RET_UNLINK -ECONNRESET, no RET_SUBMIT.
    seq = u.submit(EP_IRQ, DIR_IN, 64)
    time.sleep(0.2)
    useq = u.unlink(seq)
    r = u.wait(useq, CAP)
    ok(r["kind"] == "unlink" and r["status"] == -ECONNRESET,
       "UNLINK of the pending interrupt URB: RET_UNLINK -ECONNRESET", r)
    ok(u.quiet(0.5) and seq not in u.pending, "and no RET_SUBMIT for it")
    # UNLINK of a URB already answered: status 0.
    r = u.control(0x80, 0, 0, 0, 2)
    useq = u.unlink(r["seq"])
    r = u.wait(useq, CAP)
    ok(r["kind"] == "unlink" and r["status"] == 0,
       "UNLINK of a URB already answered: RET_UNLINK 0", r)
    # The edge after the unlink still reaches the next URB (nothing lost).
    ccidlab("remove", "1-1")
    r = u.xfer(EP_IRQ | 0, DIR_IN, 64, timeout=CAP)
    ok(r["status"] == 0 and r["data"] == b"\x50\x02",
       "an edge made after the unlink reaches the next interrupt URB", r)
    ccidlab("insert", "1-1", "--card", "readertest,t1")
    r = u.xfer(EP_IRQ, DIR_IN, 64, timeout=CAP)
    ok(r["data"] == b"\x50\x03", "re-inserted", r)
    # A bulk-IN with nothing to read waits; its unlink ends it.
    seq = u.submit(EP_IN, DIR_IN, 65546)
    ok(u.quiet(0.4), "a bulk-IN with no command before it waits")
    t0 = time.monotonic()
    r = u.wait(u.unlink(seq), CAP)
    # Without the cancel it would wait for ever: any bound proves the
    # unlink ended it; 10 s leaves a loaded machine its slices (250 ms).
    ok(r["status"] == -ECONNRESET and time.monotonic() - t0 < 10.0,
       "UNLINK of a waiting bulk-IN: -ECONNRESET within %.2f s" % (time.monotonic() - t0), r)


# ---- the control socket's streams and storms on these readers ----

def test_streams(u):
    """ccidlab events, trace and storm on the usbip server's socket."""
    since = json.loads(ccidlab("list", "--json").stdout)["last_seq"]
    ev = subprocess.Popen([CCIDLAB, "events", "--socket", SOCK, "--json", "--count", "2",
                           "--since", str(since), "--timeout", "30"],
                          stdout=subprocess.PIPE, text=True)
    ccidlab("remove", "1-2")
    ccidlab("insert", "1-2")
    out, _ = ev.communicate(timeout=40)
    edges = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    ok(ev.returncode == 0 and [(e["device"], e["state"], e["source"]) for e in edges] ==
       [("1-2", "absent", "control"), ("1-2", "present", "control")],
       "ccidlab events: remove and insert on 1-2 as two control edges", out)
    tr = subprocess.Popen([CCIDLAB, "trace", "1-1", "--socket", SOCK, "--json", "--count", "4",
                           "--timeout", "30"], stdout=subprocess.PIPE, text=True)
    c = Ccid(u)
    deadline = time.monotonic() + 30
    while tr.poll() is None and time.monotonic() < deadline:  # until the trace is on
        c.slot_status()
        time.sleep(0.1)
    out, _ = tr.communicate(timeout=30)
    frames = [(f["dir"], f["hex"][:2]) for f in map(json.loads, out.splitlines())]
    ok(tr.returncode == 0 and len(frames) == 4 and
       set(frames) == {("out", "65"), ("in", "81")} and frames[0] != frames[1],
       "ccidlab trace 1-1: the GetSlotStatus commands sent over USB/IP and their answers",
       out)
    # A storm on 1-1 while the interrupt pipe is read: one NotifySlotChange
    # per edge, none lost, the last one the slot's state.
    _, seq = drain_interrupts(u, expect=0)
    before = listing()["1-1"]["slots"][0]["edges"]
    st = subprocess.Popen([CCIDLAB, "storm", "--socket", SOCK, "--readers", "1-1", "--rate",
                           "50", "--duration", "2", "--seed", "7"], stdout=subprocess.PIPE,
                          text=True)
    got = []

    def read_one(timeout):
        nonlocal seq
        got.append(u.wait(seq, timeout)["data"])
        seq = u.submit(EP_IRQ, DIR_IN, 64)

    while st.poll() is None:
        try:
            read_one(0.5)
        except TimeoutError:
            pass
    st.wait(timeout=30)
    info = listing()["1-1"]["slots"][0]
    made = info["edges"] - before
    # The storm is over: the edges it made are counted; each one's
    # message must come, however late a loaded server sends it.
    try:
        while len(got) < made:
            read_one(CAP)
    except TimeoutError:
        pass
    # One too many would complete the pending URB before its unlink's
    # RET_UNLINK (the server answers in order).
    u.wait(u.unlink(seq), CAP)
    if seq in u.pending:
        got.append(u.pending.pop(seq)["data"])
    last = b"\x50\x03" if info["state"] == "present" else b"\x50\x02"
    ok(st.returncode == 0 and made > 20 and len(got) == made and got[-1] == last and
       all(g in (b"\x50\x02", b"\x50\x03") for g in got),
       "ccidlab storm on 1-1: %d edges, %d NotifySlotChange URBs, the last one the slot's state"
       % (made, len(got)), (st.returncode, made, [g.hex() for g in got[-3:]], info))
    if info["state"] != "present":
        ccidlab("insert", "1-1", "--card", "readertest,t1")
        u.xfer(EP_IRQ, DIR_IN, 64, timeout=CAP)


# ---- USB faults as URB statuses (1-4, no card) ----

def fault(spec):
    ccidlab("fault", "set", "1-4", spec)


def test_faults():
    u, _ = imported("1-4")
    c = Ccid(u)
    slot = bytes([0x65, 0, 0, 0, 0, 0, 0, 0, 0, 0])

    def status_cmd(seqno):
        return slot[:6] + bytes([seqno]) + slot[7:]

    def bulk_in(length=65546, flags=0):
        return u.xfer(EP_IN, DIR_IN, length, flags=flags)

    def out(seqno):
        return u.xfer(EP_OUT, DIR_OUT, 10, status_cmd(seqno))

    fault("stall/bulk-in@1")
    out(1)
    r = bulk_in()
    ok(r["status"] == -EPIPE, "stall/bulk-in@1: -EPIPE", r)
    r = bulk_in()
    ok(r["status"] == 0 and r["data"][6] == 1, "the answer stays queued for the next IN", r)

    fault("stall/bulk-out@1")
    r = out(2)
    ok(r["status"] == -EPIPE, "stall/bulk-out@1: -EPIPE", r)

    fault("stall/bulk-in")
    out(3)
    r1, r2 = bulk_in(), bulk_in()
    st = u.control(0x82, 0, 0, 0x82, 2)
    ok(r1["status"] == -EPIPE and r2["status"] == -EPIPE and st["data"] == b"\x01\x00",
       "stall/bulk-in (a halt): every IN stalls, GET_STATUS(endpoint 0x82) says halted",
       (r1, r2, st))
    cl = u.control(0x02, 1, 0, 0x82, 0)
    r = bulk_in()
    st = u.control(0x82, 0, 0, 0x82, 2)
    ok(cl["status"] == 0 and r["status"] == 0 and r["data"][6] == 3 and st["data"] == b"\0\0",
       "CLEAR_FEATURE(ENDPOINT_HALT) ends it: the answer comes", (cl, r, st))

    fault("nak/bulk-in@1")
    out(4)
    seq = u.submit(EP_IN, DIR_IN, 65546)
    ok(u.quiet(0.5), "nak/bulk-in@1: the URB stays pending (USB/IP has no URB timeout)")
    r = u.wait(u.unlink(seq), CAP)
    r2 = bulk_in()
    ok(r["status"] == -ECONNRESET and r2["status"] == 0 and r2["data"][6] == 4,
       "the client's timeout unlinks it (-ECONNRESET); the answer stays queued", (r, r2))

    fault("nak/control@1")
    seq = u.submit(0, DIR_IN, 18, setup=struct.pack("<BBHHH", 0x80, 6, 0x100, 0, 18))
    ok(u.quiet(0.4), "nak/control@1: GET_DESCRIPTOR stays pending")
    r = u.wait(u.unlink(seq), CAP)
    ok(r["status"] == -ECONNRESET, "and its unlink ends it", r)

    fault("stall/control@1")
    r = u.control(0x80, 6, 0x0100, 0, 18)
    ok(r["status"] == -EPIPE, "stall/control@1: GET_DESCRIPTOR -EPIPE", r)

    fault("short/bulk-in:5@1")
    out(5)
    r = bulk_in()
    ok(r["status"] == 0 and r["actual"] == 5 and r["data"][0] == 0x81,
       "short/bulk-in:5@1: status 0, the first 5 bytes", r)
    fault("short/bulk-in:5@1")
    out(6)
    r = bulk_in(flags=SHORT_NOT_OK)
    ok(r["status"] == -EREMOTEIO and r["actual"] == 5,
       "short/bulk-in with URB_SHORT_NOT_OK: -EREMOTEIO", r)

    fault("zlp/bulk-in@1")
    out(7)
    r, r2 = bulk_in(), bulk_in()
    ok(r["status"] == 0 and r["actual"] == 0 and r2["data"][6] == 7,
       "zlp/bulk-in@1: a zero-length packet, then the answer", (r, r2))

    fault("babble/bulk-in@1")
    out(8)
    r = bulk_in(length=64)
    ok(r["status"] == -EOVERFLOW and r["actual"] == 64 and r["data"][10:] == b"\xbb" * 54,
       "babble/bulk-in@1: -EOVERFLOW, the buffer filled", r)

    # No card: the reader announces nothing at the start.
    first, seq = drain_interrupts(u, expect=0)
    fault("short/interrupt:1@1")
    ccidlab("insert", "1-4")
    r = u.wait(seq, CAP)
    ok(r["status"] == 0 and r["data"] == b"\x50", "short/interrupt:1@1: 1 byte of 50 03", r)
    fault("babble/interrupt@1")
    ccidlab("remove", "1-4")
    r = u.xfer(EP_IRQ, DIR_IN, 8, timeout=CAP)
    ok(r["status"] == -EOVERFLOW and r["actual"] == 8, "babble/interrupt@1: -EOVERFLOW", r)
    fault("stall/interrupt@1")
    r = u.xfer(EP_IRQ, DIR_IN, 8, timeout=CAP)
    ok(r["status"] == -EPIPE, "stall/interrupt@1: -EPIPE", r)

    cnt = counters("1-4")
    ok(cnt["urb_failed"] == 9 and cnt["urb_unlinked"] == 2,
       "counted: %d failed, %d unlinked URBs" % (cnt["urb_failed"], cnt["urb_unlinked"]), cnt)

    # disconnect: the URB ends -ENODEV, the connection drops, the device
    # is off the bus until the fault is cleared.
    fault("disconnect/bulk-in:100")
    t0 = time.monotonic()
    r = bulk_in()
    dt = time.monotonic() - t0
    ok(r["status"] == -ENODEV and 0.05 <= dt < 10, "disconnect/bulk-in:100: -ENODEV after %.2f s"
       % dt, r)
    ok(u.closed_by_server(), "and the server closes the connection (an unplug)")
    busids = [d["busid"] for d in connect().devlist()]
    st, _ = connect().import_("1-4")
    ok("1-4" not in busids and st == 4, "1-4 is off the bus: not listed, import ST_NODEV",
       (busids, st))
    ccidlab("fault", "clear", "1-4")
    busids = [d["busid"] for d in connect().devlist()]
    u2, _ = imported("1-4")
    r = u2.control(0x80, 6, 0x0100, 0, 18)
    ok("1-4" in busids and r["status"] == 0, "after fault clear it is back: listed, imported", r)
    # device-gone set from the control socket: the same unplug.
    ccidlab("fault", "set", "1-4", "device-gone")
    ok(u2.closed_by_server(), "fault set device-gone: the connection closes")
    ccidlab("fault", "clear", "1-4")


# ---- a composite device's extra interface ----

def test_composite():
    u, _ = imported("1-3")
    seq = u.submit(3, DIR_IN, 8)  # the HID interface's endpoint 0x83
    ok(u.quiet(0.4), "1-3 (composite=hid): the HID endpoint NAKs (the URB stays pending)")
    r = u.wait(u.unlink(seq), CAP)
    ok(r["status"] == -ECONNRESET, "and its unlink ends it", r)
    r = u.control(0x21, 1, 0x7700, 0, 0)   # ABORT, slot 0, bSeq 0x77
    r0 = u.control(0x21, 1, 0x7700, 1, 0)
    ok(r["status"] == -EPIPE and r0["status"] == 0,
       "class requests stall on the HID interface 0, work on the CCID interface 1", (r, r0))
    c = Ccid(u)
    ok(c.slot_status()[0] == 0x81, "CCID on the bulk pipes of interface 1")
    cnt = counters("1-3")
    ok(cnt["urb_extra"] == 1, "the extra endpoint's URB is counted apart", cnt)
    u.close()


# ---- peers that vanish ----

def test_vanish():
    u, _ = imported("1-5")
    c = Ccid(u)
    c.power_on()
    # A command sent, its answer never read; an interrupt URB pending;
    # then the peer is gone.
    msg = struct.pack("<BIBB", 0x6F, 4, 0, 0x42) + b"\0\0\0" + b"\x80\x30\0\0"
    u.xfer(EP_OUT, DIR_OUT, len(msg), msg)
    u.submit(EP_IRQ, DIR_IN, 64)
    u.submit(EP_IN, DIR_IN, 65546)
    u.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    u.close()  # a reset: the peer vanished mid-URB
    deadline = time.monotonic() + CAP
    while time.monotonic() < deadline and counters("1-5")["imported"]:
        time.sleep(0.05)
    ok(counters("1-5")["imported"] == 0, "the server released 1-5 once its peer vanished")
    u, _ = imported("1-5")
    c = Ccid(u)
    c.bseq = 0x10
    m = c.slot_status()
    ok(m[6] == 0x11 and m[7] & 3 == 1,
       "the next host gets its own answer (no stale one), the card unpowered", m.hex())
    first, _ = drain_interrupts(u)
    ok(first == [b"\x50\x03"], "and the start announcement on the interrupt pipe",
       [f.hex() for f in first])
    c.power_on()
    ok(c.xfr(bytes([0, 0xA4, 4, 0, 6]) + AID) == SW_OK, "the reader works for the next host")
    info = listing()["1-5"]["slots"][0]
    ok(info["state"] == "present", "the card stayed in", info)
    u.close()
    # A peer that vanishes in the middle of a header.
    v = connect()
    v.import_("1-5")
    v.send(struct.pack(">III", 1, 99, v.devid))
    v.close()
    u, _ = imported("1-5")
    ok(u.control(0x80, 6, 0x0100, 0, 18)["status"] == 0,
       "after a peer left half a header, the device imports again")
    u.close()


# ---- hostile peers ----

def test_hostile():
    u = connect()
    u.send(struct.pack(">HHI", 0x0106, 0x8005, 0))
    ok(u.closed_by_server(), "OP_REQ_DEVLIST of another version: closed")
    u = connect()
    u.send(b"\x01\x11\x12\x34\0\0\0\0")
    ok(u.closed_by_server(), "an unknown operation: closed")
    u = connect()
    u.send(struct.pack(">HHI", 0x0111, 0x8003, 0) + b"\xff" * 32)
    ok(u.recv_exact(8)[4:] != b"\0\0\0\0" and u.closed_by_server(),
       "an import of a bus id that is not a string: refused, closed")
    u, _ = imported("1-2")
    u.send(struct.pack(">IIIII", 1, 1, u.devid, 0, 1) +
           struct.pack(">IIIII", 0, 0x7FFFFFFF, 0, 0xFFFFFFFF, 0) + b"\0" * 8)
    ok(u.closed_by_server(), "transfer_buffer_length 0x7fffffff: closed before any allocation")
    u, _ = imported("1-2")
    u.send(struct.pack(">IIIII", 1, 1, u.devid, 1, 2) +
           struct.pack(">IIIII", 0, 64, 0, 5, 0) + b"\0" * 8)
    ok(u.closed_by_server(), "an isochronous URB (5 packets): closed")
    u, _ = imported("1-2")
    u.send(struct.pack(">IIIII", 7, 1, u.devid, 0, 0) + b"\0" * 28)
    ok(u.closed_by_server(), "command 7: closed")
    u, _ = imported("1-2")
    r = u.xfer(5, DIR_IN, 64)
    ok(r["status"] == -EPROTO, "a URB to an endpoint the device lacks: -EPROTO", r)
    r = u.wait(u.submit(0, DIR_IN, 18, setup=struct.pack("<BBHHH", 0x80, 6, 0x100, 0, 18),
                        devid=0x12345678))
    ok(r["status"] == -ENODEV, "a URB for another devid: -ENODEV", r)
    r = u.wait(u.submit(0, DIR_OUT, 0, setup=struct.pack("<BBHHH", 0x21, 0x01, 0, 0, 200)))
    ok(r["status"] == -EINVAL, "a control OUT whose wLength exceeds the data sent: -EINVAL", r)
    r = u.control(0x80, 6, 0x0200, 0, 4000)
    ok(r["status"] == 0 and len(r["data"]) < 4000, "wLength 4000: the descriptor, no more", r)
    big = [u.submit(EP_IN, DIR_IN, 256 * 1024) for _ in range(4)]
    r = u.xfer(EP_IN, DIR_IN, 1)
    ok(r["status"] == -ENOMEM, "1 MiB of buffers in flight: one more URB gets -ENOMEM", r)
    for s in big:
        r = u.wait(u.unlink(s), CAP)
    ok(r["status"] == -ECONNRESET, "and they unlink")
    _, first = drain_interrupts(u)
    seqs = [first] + [u.submit(EP_IRQ, DIR_IN, 8) for _ in range(63)]
    r = u.xfer(EP_IRQ, DIR_IN, 8)
    ok(r["status"] == -ENOMEM, "a 65th URB in flight: -ENOMEM at once", r)
    for s in seqs:
        u.unlink(s)
    time.sleep(0.3)
    u.seq = seqs[0] - 1
    u.submit(0, DIR_IN, 2, setup=struct.pack("<BBHHH", 0x80, 0, 0, 0, 2), seq=seqs[-1] + 100)
    u.submit(EP_IRQ, DIR_IN, 8, seq=seqs[-1] + 200)
    u.submit(EP_IRQ, DIR_IN, 8, seq=seqs[-1] + 200)
    ok(u.closed_by_server(), "a seqnum already in flight: closed")


# ---- live add and remove ----

def test_live():
    r = ccidlab("usbip", "add", "generic-t1-irq:name=added")
    ok(r.stdout.split() == ["1-6", "added"], "ccidlab usbip add: 1-6 added", r.stdout)
    busids = [d["busid"] for d in connect().devlist()]
    ok("1-6" in busids and "added" in listing(), "listed by OP_REP_DEVLIST and by ccidlab list",
       busids)
    u, _ = imported("1-6")
    ok(u.control(0x80, 6, 0x0100, 0, 18)["status"] == 0, "imported and enumerated")
    r = ccidlab("usbip", "remove", "1-6")
    ok(r.returncode == 0 and u.closed_by_server(), "ccidlab usbip remove 1-6: its client's "
       "connection closes (an unplug)", r.stderr)
    ok("1-6" not in [d["busid"] for d in connect().devlist()] and "added" not in listing(),
       "gone from both lists")
    r = ccidlab("usbip", "add", "no-such-profile", check=False)
    ok(r.returncode == 1 and "no-such-profile" in r.stderr, "a bad spec is refused, named",
       r.stderr)
    r = ccidlab("usbip", "remove", "9-9", check=False)
    ok(r.returncode == 1, "removing an unknown bus id is refused", r.stderr)


def main():
    test_devlist()
    u = test_import()
    test_enumeration(u)
    test_class_requests(u)
    test_readertest(u)
    test_time_extension(u)
    test_interrupt(u)
    test_streams(u)
    u.close()
    test_faults()
    test_composite()
    test_vanish()
    test_hostile()
    test_live()
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
