#!/usr/bin/env python3
"""ccidlab — readers exported by `ccidlab usbip` on the host, attached in
the guest of `ccidlab vm` with Debian's usbip (vhci-hcd), served by the
driver pcscd's libudev hotplug picks (TAP).

usage: usbip_checks.py DRIVER PORT CHECK [ARGS...]
  attach BUSID...            each attached alone: listed by pcscd, a PnP
                             notification; "# attach-to-listed" seconds
  sweep LENGTHS BUSID:T...   readertest case 1, and cases 3, 2, 4 at LENGTHS
                             ("all": 1..255, "quick": a few) byte-exact on
                             each reader (T: 0 or 1, the card's protocol);
                             "# per-apdu" ms and URBs (the server's counters)
  edges N BUSID              N removals and N insertions on the host,
                             counted exactly by pcscd's event counter
  faults BUSID KIND...       each USB fault (host: ccidlab fault set) hits
                             one transmit: it returns within a bound, pcscd
                             stays up, the reader answers right after
  unplug BUSID               the device leaves the bus in a transmit and in a
                             wait (host faults): bounded, the reader leaves
                             pcscd's list; attached again, listed
  detach BUSID...            each detached: gone from pcscd's list, PnP
  burst BUSID...             all attached at once, all listed; all detached
                             at once, none left; pcscd up

The host runs the control commands through tests/vm/clients/host_agent.py
(files in the results directory).  Prints unnumbered TAP lines
("ok - DRIVER: ..."); tests/vm/*.sh number them.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "integration", "clients"))
import pcsc  # noqa: E402
import readertest_sweep as rt  # noqa: E402
from smartcard import scard as S  # noqa: E402

DRIVER, PORT, CHECK, ARGS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
RESULTS = os.environ["CCIDLAB_VM_RESULTS"]
HOST = "10.0.2.2"
PNP = "\\\\?PnP?\\Notification"
SELECT_RT = bytes([0x00, 0xA4, 0x04, 0x00, 0x06]) + rt.AID
# Bounds (TCG and a loaded machine: generous; what fails is a never).
LISTED_S = 60.0
GONE_S = 30.0
FAULT_S = 15.0	# a 5 s transfer timeout, pcscd's own wait, and margin
QUICK = [1, 2, 3, 4, 5, 16, 63, 64, 65, 127, 128, 200, 254, 255]
# T=0 readers at TPDU level, where libccid's T=0 TPDUs for cases 1 and 4
# depart from ISO 7816-3 (doc/usbsim.md, usbsim-libccid-catalogue.sh).
# Not SpringCard's CSB6 Secure, a T=0 reader of the full set at short APDU
# level (dwFeatures 0x0002047E): libccid sends it APDUs, byte-exact there.
T0_TPDU = {"sysmocom_sysmoOCTSIM.txt", "ACR38U-CCID.txt"}
failed = 0


def ok(cond, desc, diag=None, todo=None):
    global failed
    line = "%s - %s: %s" % ("ok" if cond else "not ok", DRIVER, desc)
    if todo:
        line += " # TODO " + todo
    print(line, flush=True)
    if not cond:
        failed += 0 if todo else 1
        for d in str(diag or "").splitlines():
            print("# " + d, flush=True)
    return cond


def host(*args):
    """Runs `ccidlab ARGS` on the host (host_agent.py); its answer."""
    counter = os.path.join(RESULTS, "req-next")
    n = int(open(counter).read()) if os.path.exists(counter) else 1
    with open(counter, "w") as f:
        f.write(str(n + 1))
    tmp = os.path.join(RESULTS, "req-%d.tmp" % n)
    with open(tmp, "w") as f:
        json.dump(list(args), f)
    os.rename(tmp, os.path.join(RESULTS, "req-%d" % n))
    ack = os.path.join(RESULTS, "ack-%d" % n)
    end = time.monotonic() + 90
    while not os.path.exists(ack):
        if time.monotonic() > end:
            raise RuntimeError("the host agent did not answer %r" % (args,))
        time.sleep(0.01)
    with open(ack) as f:
        return json.load(f)


def host_list():
    r = host("list", "--json")
    return {d["name"]: d for d in json.loads(r["out"])["readers"]}


def usbip(*args):
    return subprocess.run(["usbip", "--tcp-port", PORT] + list(args), capture_output=True,
                          text=True, timeout=60)


def attach(busid):
    """`usbip attach`, again (at most 5 times, 1 s apart) when Debian's
    client fails to read vhci-hcd's state while another device is still
    being enumerated ("open vhci_driver": a transient of the tool, seen
    under load when readers are attached back to back)."""
    for _ in range(5):
        r = usbip("attach", "-r", HOST, "-b", busid)
        if r.returncode == 0 or "open vhci_driver" not in r.stderr:
            return r
        print("# usbip attach %s: %s; again" % (busid, r.stderr.strip().splitlines()[-1]),
              flush=True)
        time.sleep(1)
    return r


def ports():
    """Remote bus id -> (vhci port, local bus id) of what is attached."""
    out, port, found = usbip("port").stdout, None, {}
    for line in out.splitlines():
        m = re.match(r"Port (\d+):", line)
        if m:
            port = m.group(1)
        m = re.search(r"(\S+) -> usbip://[^/]+/(\S+)", line)
        if m and port is not None:
            found[m.group(2)] = (port, m.group(1))
    return found


def serial(busid):
    p = ports().get(busid)
    try:
        return open("/sys/bus/usb/devices/%s/serial" % p[1]).read().strip() if p else None
    except OSError:
        return None


def readers(ctx):
    """pcscd's reader names; a list that changes under the call is asked
    again (pyscard raises SystemError then)."""
    for _ in range(10):
        try:
            return pcsc.readers(ctx)
        except (SystemError, RuntimeError):
            time.sleep(0.1)
    return pcsc.readers(ctx)


def reader(ctx, busid):
    s = serial(busid)
    if s is None:
        return None
    for name in readers(ctx):
        if "(%s)" % s in name:
            return name
    return None


def wait(cond, timeout, step=0.02):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


class PnpWaiter(threading.Thread):
    """One SCardGetStatusChange on the PnP reader, armed with pcscd's
    reader count as it is now (the entry's high word; an UNAWARE call on
    the PnP entry only times out in pcsc-lite 1.9.9): it must return
    with SCARD_STATE_CHANGED once the set of readers changes, as a client
    that follows arrivals and departures is told (pcsc-lite compares the
    count it gave with pcscd's; pcsc-lite 1.9.9 gives the new count in
    the high word on a departure, not on an arrival)."""

    def __init__(self, timeout=LISTED_S):
        super().__init__(daemon=True)
        self.timeout = timeout
        self.ctx = pcsc.context()
        self.armed = len(readers(self.ctx)) << 16
        self.result = None
        self.start()

    def run(self):
        rv, st = S.SCardGetStatusChange(self.ctx, int(self.timeout * 1000), [(PNP, self.armed)])
        self.result = (rv, st[0][1] if rv == S.SCARD_S_SUCCESS else 0)

    def told(self):
        """(notified, readers before, readers after, what it returned)."""
        self.join(self.timeout + 5)
        rv, ev = self.result or (None, 0)
        what = "%s, event state 0x%08x" % (pcsc.rv_symbol(rv) if rv is not None else "no return",
                                           ev)
        return (rv == S.SCARD_S_SUCCESS and bool(ev & S.SCARD_STATE_CHANGED),
                self.armed >> 16, ev >> 16, what)


def pcscd_up():
    try:
        ctx = pcsc.context()
        S.SCardReleaseContext(ctx)
        return True
    except RuntimeError:
        return False


def check_attach():
    ctx = pcsc.context()
    for busid in ARGS:
        pnp = PnpWaiter()
        t0 = time.monotonic()
        r = attach(busid)
        name = wait(lambda: reader(ctx, busid), LISTED_S) if r.returncode == 0 else None
        dt = time.monotonic() - t0
        told, n0, n1, what = pnp.told()
        ok(name is not None and told,
           "usbip attach %s: listed by pcscd's hotplug (%s) in %.2f s; a PnP waiter told "
           "(SCARD_STATE_CHANGED)" % (busid, name, dt), r.stderr + what)
        print("# attach-to-listed %s %s %.3f" % (DRIVER, busid, dt), flush=True)


def transmit_ok(card, proto, apdu, want):
    try:
        return pcsc.transmit(card, proto, apdu) == want
    except RuntimeError:
        return False


def check_sweep():
    lengths = range(1, 256) if ARGS[0] == "all" else QUICK
    ctx = pcsc.context()
    for arg in ARGS[1:]:
        busid, t = arg.split(":")
        name = reader(ctx, busid)
        if not ok(name is not None, "%s is listed" % busid):
            continue
        card, proto = pcsc.connect(ctx, name, S.SCARD_PROTOCOL_T1 if t == "1"
                                   else S.SCARD_PROTOCOL_T0)
        t0_todo = "libccid sends non-ISO T=0 TPDUs for cases 1 and 4" \
            if DRIVER == "libccid" and t == "0" and \
            host_list()[busid]["profile"].split(":")[0] in T0_TPDU else None
        sel = pcsc.transmit(card, proto, SELECT_RT)
        ok(sel == rt.SW_OK and transmit_ok(card, proto, bytes([0x80, 0x30, 0, 0]), rt.SW_OK),
           "%s (%s): T=%s, SELECT readertest and case 1 answer 90 00" % (busid, name, t),
           sel.hex(), todo=t0_todo)
        # The URBs the reader takes idle (pcscd's presence polls of a
        # polled reader, an interrupt URB's renewal): measured, then
        # taken out of the sweep's.
        i0, ti0 = host_list()[busid]["counters"], time.monotonic()
        time.sleep(1.5)
        before = host_list()[busid]["counters"]
        idle = sum(before[k] - i0[k] for k in ("urb_bulk_out", "urb_bulk_in")) / \
            (time.monotonic() - ti0)
        n, t_start = 0, time.monotonic()
        for kind in ("case3", "case2", "case4"):
            bad = rt.sweep(card, proto, kind, lengths, rt.short_apdus)
            n += len(lengths)
            ok(not bad, "%s: %s at %d lengths (%d..%d) byte-exact" % (
                busid, kind, len(lengths), lengths[0], lengths[-1]), "\n".join(bad[:3]),
               todo=t0_todo if kind == "case4" else None)
        dt = time.monotonic() - t_start
        after = host_list()[busid]["counters"]
        urbs = sum(after[k] - before[k] for k in ("urb_bulk_out", "urb_bulk_in")) - idle * dt
        level = host_list()[busid]["profile"]
        print("# per-apdu %s %s T=%s %d %.3f %.3f %.2f %s" % (
            DRIVER, busid, t, n, 1000 * dt / n, urbs / n, idle, level), flush=True)
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def counter(ctx, name):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(name, S.SCARD_STATE_UNAWARE)])
    pcsc.check(rv, "SCardGetStatusChange")
    return st[0][1] >> 16, bool(st[0][1] & S.SCARD_STATE_PRESENT)


def check_edges():
    n, busid = int(ARGS[0]), ARGS[1]
    ctx = pcsc.context()
    name = reader(ctx, busid)
    if not ok(name is not None, "%s is listed" % busid):
        return
    info = host_list()[busid]
    card = info["slots"][0]["card"] or "readertest"
    event = info["mode"] == "event"
    base, _ = counter(ctx, name)
    edges = 0
    for i in range(n):
        for verb in ("remove", "insert"):
            args = [verb, busid] + (["--card", card] if verb == "insert" else [])
            if host(*args)["rc"] != 0:
                continue
            edges += 1
            if not event:	# polled: each edge once the previous one was counted
                wait(lambda: (counter(ctx, name)[0] - base) & 0xFFFF >= edges, 5)
    got = wait(lambda: (counter(ctx, name)[0] - base) & 0xFFFF >= 2 * n, 20)
    time.sleep(1.0)	# an extra one would show by now
    delta = (counter(ctx, name)[0] - base) & 0xFFFF
    todo = "libccid answers a GemCore SIM Pro's presence from a cache (doc/usbsim.md)" \
        if DRIVER == "libccid" and "08e6:3480" in info.get("profile", "") else None
    ok(got and delta == 2 * n and counter(ctx, name)[1],
       "%s (%s mode): %d removals and %d insertions on the host, pcscd's event counter "
       "moved by exactly %d (%d)" % (busid, info["mode"], n, n, 2 * n, delta), todo=todo)


def check_faults():
    busid, kinds = ARGS[0], ARGS[1:]
    ctx = pcsc.context()
    name = reader(ctx, busid)
    if not ok(name is not None, "%s is listed" % busid):
        return
    card, proto = pcsc.connect(ctx, name)
    pcsc.transmit(card, proto, SELECT_RT)
    probe = bytes([0x80, 0x34, 0x00, 0x10, 0x10])
    want = bytes(range(16)) + rt.SW_OK
    for kind in kinds:
        host("fault", "set", busid, kind)
        t0 = time.monotonic()
        try:
            got = pcsc.transmit(card, proto, bytes([0x80, 0x30, 0, 0]))
            res = got.hex()
        except RuntimeError as e:
            res = str(e)
        dt = time.monotonic() - t0
        host("fault", "clear", busid)
        # Recovered: the next APDU answers right, after at most two
        # SCardReconnect (a driver may have lost its T=1 link or bSeq).
        steps = 0
        while not transmit_ok(card, proto, probe, want) and steps < 2:
            steps += 1
            rv, proto = S.SCardReconnect(card, S.SCARD_SHARE_SHARED,
                                         S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1,
                                         S.SCARD_RESET_CARD)
            transmit_ok(card, proto, SELECT_RT, rt.SW_OK)
        recovered = transmit_ok(card, proto, probe, want)
        ok(dt < FAULT_S and pcscd_up() and recovered,
           "%s %s: the transmit returned in %.1f s (%s), pcscd up, then right after %d "
           "reconnects" % (busid, kind, dt, res, steps))
        print("# fault %s %s %s %.2f %s %d" % (DRIVER, busid, kind, dt, res.replace(" ", "_"),
                                               steps), flush=True)
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)


def check_unplug():
    """The device leaves the bus during a transmit (the disconnect USB
    fault), then during an SCardGetStatusChange wait (device-gone): each
    call returns within a bound, the reader leaves pcscd's list, pcscd
    stays up; after `fault clear` and a new attach it is listed again."""
    busid = ARGS[0]
    ctx = pcsc.context()
    for how in ("disconnect/bulk-in:100", "device-gone"):
        name = reader(ctx, busid)
        if not ok(name is not None, "%s is listed" % busid):
            return
        card, proto = pcsc.connect(ctx, name)
        t0 = time.monotonic()
        if how.startswith("disconnect"):
            host("fault", "set", busid, how)
            try:
                res = pcsc.transmit(card, proto, SELECT_RT).hex()
            except RuntimeError as e:
                res = str(e)
        else:
            rv, st = S.SCardGetStatusChange(ctx, 0, [(name, S.SCARD_STATE_UNAWARE)])
            box = {}
            waiter = threading.Thread(target=lambda: box.update(r=S.SCardGetStatusChange(
                ctx, 60000, [(name, st[0][1] & ~S.SCARD_STATE_CHANGED)])))
            waiter.start()
            time.sleep(0.5)
            t0 = time.monotonic()
            host("fault", "set", busid, how)
            waiter.join(FAULT_S)
            res = "woken" if not waiter.is_alive() else "still waiting"
        dt = time.monotonic() - t0
        gone = wait(lambda: name not in readers(ctx), GONE_S)
        ok(dt < FAULT_S and gone and pcscd_up(),
           "%s %s: the call returned in %.1f s (%s), the reader left pcscd's list, pcscd up"
           % (busid, how, dt, res), todo=None if gone else libccid_close_hang())
        host("fault", "clear", busid)
        detach([busid])
        r = attach(busid)
        back = wait(lambda: reader(ctx, busid), LISTED_S) if r.returncode == 0 else None
        ok(back is not None, "%s: after fault clear, attached again and listed (%s)"
           % (busid, back), r.stderr)


def detach(busids):
    p = ports()
    for busid in busids:
        if busid in p:
            usbip("detach", "-p", p[busid][0])


def slots_of(ctx, busid):
    """Every pcscd name of the device's slots ("NAME (SERIAL) XX YY")."""
    s = serial(busid)
    return [n for n in readers(ctx) if s is not None and "(%s)" % s in n]


def libccid_close_hang():
    """libccid 1.5.2's multi-slot close after an unplug: IFDHCloseChannel
    waits for ever for its polling thread, and pcscd's hotplug thread
    with it (pcscd's log says Multi_PollingTerminate ... failed)."""
    if DRIVER != "libccid":
        return None
    try:
        log = open(os.path.join(RESULTS, "pcscd-libccid.log"), errors="replace").read()
    except OSError:
        return None
    if "Multi_PollingTerminate() libusb_cancel_transfer failed" in log:
        return "libccid 1.5.2 hangs closing a multi-slot reader that left the bus, and " \
            "pcscd's hotplug with it (Multi_PollingTerminate: libusb_cancel_transfer failed)"
    return None


def check_detach():
    ctx = pcsc.context()
    for busid in ARGS:
        names = slots_of(ctx, busid)
        pnp = PnpWaiter()
        detach([busid])
        gone = wait(lambda: not set(names) & set(readers(ctx)), GONE_S)
        told, n0, n1, what = pnp.told()
        ok(names and gone and told,
           "usbip detach %s: its %d slot(s) left pcscd's list; a PnP waiter told" % (
               busid, len(names)), "%s\n%s" % (sorted(set(names) & set(readers(ctx))), what),
           todo=None if gone else libccid_close_hang())
    ok(pcscd_up() and not any(b in ports() for b in ARGS), "pcscd is up, no port in use")


def check_burst():
    ctx = pcsc.context()
    before = set(readers(ctx))
    # pcscd's hotplug opens the readers one after the other (the first
    # open loads the driver): the bounds grow with their number.
    bound = LISTED_S + 5 * len(ARGS)
    pnp = PnpWaiter(bound)
    # One `usbip attach` after the other, without waiting for pcscd:
    # Debian's usbip (2.0+6.1) run concurrently picks the same free vhci
    # port in two processes, and the loser retries that busy port for
    # ever (seen here; nothing of the server's).
    t0 = time.monotonic()
    errs = [attach(b).stderr for b in ARGS]
    t_att = time.monotonic() - t0
    names = wait(lambda: [reader(ctx, b) for b in ARGS] if all(reader(ctx, b) for b in ARGS)
                 else None, bound, 0.1)
    dt = time.monotonic() - t0
    told, n0, _, what = pnp.told()
    ok(names is not None and len(set(names)) == len(ARGS) and told,
       "%d readers attached back to back (%.1f s): all listed, each once, in %.1f s; PnP told"
       % (len(ARGS), t_att, dt), "\n".join([e for e in errs if "error" in e] + [what]))
    pnp = PnpWaiter(bound)
    t0 = time.monotonic()
    for b, (port, _) in sorted(ports().items()):
        if b in ARGS:
            usbip("detach", "-p", port)
    gone = wait(lambda: set(readers(ctx)) == before, GONE_S + 2 * len(ARGS), 0.1)
    told, _, n1, what = pnp.told()
    left = sorted(set(readers(ctx)) - before)
    todo = libccid_close_hang() if left else None
    ok(gone and told and not ports() and pcscd_up(),
       "all %d detached back to back: none left in %.1f s (%d readers), PnP told, no port in "
       "use, pcscd up" % (len(ARGS), time.monotonic() - t0, n1),
       "%s\n%s\n%s" % (left, usbip("port").stdout, what), todo=todo)


def main():
    checks = {"attach": check_attach, "sweep": check_sweep, "edges": check_edges,
              "faults": check_faults, "unplug": check_unplug, "detach": check_detach,
              "burst": check_burst}
    try:
        checks[CHECK]()
    except Exception as e:  # a crash is a failed check with its reason
        ok(False, "%s %s crashed: %s" % (CHECK, " ".join(ARGS), e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
