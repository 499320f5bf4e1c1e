#!/usr/bin/env python3
"""ccidlab — the soak: pcscd with ccidlab's driver under everything at once
for a long time, its resources sampled (issue 20).

usage: soak.py SECONDS INTERVAL OUT.csv

Runs inside a lab (tests/soak/soak.sh) whose pcscd ($CCIDLAB_PCSCD_PID)
has ccidlab's driver, usbsim devices and an emulated reader:
  Hot0     usbsim, found by pcscd's USB hotplug (udevsim), unplugged and
           plugged back again and again: the emulator's device-gone, then
           udevsim's "remove" (pcscd closes the reader), the fault cleared,
           udevsim's "add" (pcscd opens it again);
  Hot1     usbsim, 4 slots, 2 busy, storms;
  Stable2  usbsim, storms, PC/SC clients;
  Poll3    usbsim without an interrupt pipe, polled by pcscd;
  Emu      an emulated reader (reader.conf.d), 2 slots, storms.
Meanwhile control-plane clients on both sockets subscribe and unsubscribe,
trace on and off, list, and vanish mid-line; PC/SC clients establish and
release contexts, connect, transmit and disconnect, wait for changes.
Every INTERVAL seconds pcscd's resident set (VmRSS), open descriptors and
threads are written to OUT.csv twice: busy (as they are), then at rest
(the activities held between their rounds, pcscd left SETTLE_S seconds:
its client threads and the last storm end), which the verdict judges, so
that a client or storm of the moment is no growth.  The first minutes are a warm-up: storms
of 70,000 edges first fill what is bounded and fixed (the edge log rings
of the driver and of usbsim, 65,536 edges each: 6 MB touched only as
edges come), and the
samples of the first fifth of the run (at least one interval) are not
judged.  Then the verdict (TAP): growth is what the level of each figure
gained, the level of the last quarter of the judged samples less the one
of their first quarter: for memory the floor (the smallest value: activity
only adds to it), for descriptors and threads the median (they are exact
counts, flat at rest, and under load a thread missing at rest made 22 of 23
in single samples of both quarters: a dip is no level, a leak moves it); it
must stay within its allowance, which
grows with the run for memory only (ASan keeps about 200 bytes for every
thread ever made, and pcscd makes one for each client connection, a few
thousand an hour here).  Memory is the heap in use, as the driver's hello
counts it (its allocator's count: the sanitizer's, or glibc's mallinfo2),
and in a plain build the resident set too, which adds the arenas'
fragmentation; under a sanitizer the resident set is the allocator's own
bookkeeping and is printed, not judged.  The least-squares slope is printed too.  pcscd
must be alive, and every activity must have run.
"""
import os
import random
import socket
import sys
import threading
import time

import ctl
import pcsc
from smartcard import scard as S

PID = os.environ["CCIDLAB_PCSCD_PID"]
SELECT = [0x00, 0xA4, 0x04, 0x00, 6, 0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF]
# What the level may gain after the warm-up: (fixed, per hour).
ALLOWANCE = {"rss_kb": (2048.0, 2048.0), "heap_kb": (1024.0, 1024.0), "fds": (0.0, 0.0),
             "threads": (0.0, 0.0)}
WARMUP_EDGES = 70000

stop = threading.Event()
counts = {}
lock = threading.Lock()


def count(what, n=1):
    with lock:
        counts[what] = counts.get(what, 0) + n


class Gate:
    """Lets the sampler find pcscd at rest: activities run their rounds
    between enter and leave; pause waits until none is inside."""

    def __init__(self):
        self.cv = threading.Condition()
        self.active = 0
        self.paused = False

    def enter(self):
        with self.cv:
            while self.paused and not stop.is_set():
                self.cv.wait(0.5)
            self.active += 1

    def leave(self):
        with self.cv:
            self.active -= 1
            self.cv.notify_all()

    def pause(self, cap):
        end = time.monotonic() + cap
        with self.cv:
            self.paused = True
            while self.active > 0 and time.monotonic() < end:
                self.cv.wait(0.5)
            return self.active == 0

    def resume(self):
        with self.cv:
            self.paused = False
            self.cv.notify_all()


gate = Gate()


def guarded(fn):
    """Runs fn's rounds until the end, each inside the gate, then the
    pause it asks for outside; an exception is counted, not fatal."""
    def run():
        rng = random.Random(hash(fn.__name__) & 0xFFFF)
        while not stop.is_set():
            gate.enter()
            try:
                delay = fn(rng)
            except Exception as e:  # noqa: BLE001 - a soak goes on
                count("%s error %s" % (fn.__name__, type(e).__name__))
                delay = 1
            finally:
                gate.leave()
            stop.wait(delay)
    t = threading.Thread(target=run, name=fn.__name__, daemon=True)
    t.start()
    return t


def sample():
    with open("/proc/%s/status" % PID) as f:
        st = dict(l.split(":", 1) for l in f if ":" in l)
    return (int(st["VmRSS"].split()[0]), len(os.listdir("/proc/%s/fd" % PID)),
            int(st["Threads"]))


def shim():
    return ctl.Ctl(os.environ["CCIDLAB_CTL_SOCKET"])


def driver():
    return ctl.Ctl(os.environ["CCIDLAB_DRIVER_SOCKET"])


def udev_event(action, k):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(("%s %d" % (action, k)).encode(), os.environ["CCIDLAB_UDEVSIM_EVENTS"])
    s.close()


def pcsc_readers():
    ctx = pcsc.context()
    try:
        return pcsc.readers(ctx)
    finally:
        S.SCardReleaseContext(ctx)


def wait_readers(pred, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop.is_set():
        if pred([r for r in pcsc_readers()]):
            return True
        time.sleep(0.2)
    return False


N_READERS = []  # how many pcscd lists with every device in


def unplug_loop(rng):
    """Hot0 (usbsim device 0) leaves and comes back."""
    if not N_READERS:
        N_READERS.append(len(pcsc_readers()))
    n = N_READERS[0]
    c = shim()
    c.req("fault-set", reader="Hot0", fault="device-gone")
    stop.wait(rng.uniform(0.5, 2))
    udev_event("remove", 0)
    gone = wait_readers(lambda rs: len(rs) < n, 10)
    c.req("fault-clear", reader="Hot0")
    c.close()
    # usbsim puts the device back on its bus within its 10 ms watch; udev
    # reports a device already there.  Should pcscd have looked too soon,
    # the next report finds it.
    back = False
    for _ in range(3):
        stop.wait(1)
        udev_event("add", 0)
        back = wait_readers(lambda rs: len(rs) >= n, 15)
        if back or stop.is_set():
            break
    count("unplug cycles" if gone and back else "unplug cycles incomplete")
    return rng.uniform(5, 15)


def storm_loop(rng):
    """Storms on the usbsim devices (shim) and the emulated reader (driver)."""
    for sock, target in ((shim, "Hot1"), (shim, "Stable2"), (driver, "Emu")):
        c = sock()
        rep = c.req("storm", rate=rng.choice([20, 50, 100]), duration_ms=3000,
                    seed=rng.randrange(1 << 32), min_hold_ms=0,
                    targets=[{"reader": target}], card="readertest,t1")
        c.close()
        count("storms" if rep and rep.get("ok") else "storms refused")
    return rng.uniform(3, 8)


def control_churn(rng):
    """Subscribe, trace, list and vanish, on both sockets."""
    for sock in (shim, driver):
        c = sock()
        c.sock.settimeout(5)
        c.req("subscribe")
        end = time.monotonic() + rng.uniform(0.2, 1.5)
        while time.monotonic() < end:
            c.req("list")
        c.req("unsubscribe")
        c.req("trace-on")
        stop.wait(rng.uniform(0.1, 1))
        c.req("trace-off")
        if rng.random() < 0.3:
            c.send_raw(b'{"v":1,"id":5,"req":"li')   # vanish mid-line
        c.close()
        count("control sessions")
    return rng.uniform(0.2, 2)


def pcsc_client(rng):
    """A client that comes, talks to a card and goes."""
    ctx = pcsc.context()
    try:
        names = [r for r in pcsc.readers(ctx) if not r.startswith("Poll")]
        if names:
            rv, card, proto = S.SCardConnect(ctx, rng.choice(names), S.SCARD_SHARE_SHARED,
                                             S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1)
            if rv == S.SCARD_S_SUCCESS:
                for _ in range(rng.randrange(1, 6)):
                    S.SCardTransmit(card, proto, SELECT)
                S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
                count("pcsc sessions")
            else:
                count("pcsc connect refused")
    finally:
        S.SCardReleaseContext(ctx)
    return rng.uniform(0.1, 1)


def pcsc_waiter(rng):
    """SCardGetStatusChange with short timeouts, as a monitoring client."""
    ctx = pcsc.context()
    try:
        states = [(r, S.SCARD_STATE_UNAWARE) for r in pcsc.readers(ctx)]
        for _ in range(10):
            rv, states = S.SCardGetStatusChange(ctx, 500, states)
            if rv not in (S.SCARD_S_SUCCESS, S.SCARD_E_TIMEOUT):
                break
            states = [(r, s & ~S.SCARD_STATE_CHANGED) for r, s, _ in states]
        count("status waits")
    finally:
        S.SCardReleaseContext(ctx)
    return 0


def slope(points):
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (v - mv) for t, v in points) / den if den else 0.0


def level(key, values):
    """A quarter's level: memory's floor, the counts' median (the upper one
    of an even count: dips are what load adds at rest, never spikes)."""
    if key in ("rss_kb", "heap_kb"):
        return min(values)
    return sorted(values)[len(values) // 2]


def warm_up():
    """Storms that fill the edge rings before the clock starts: the
    driver's and usbsim's (each has its emulator, and its ring, 6 MB that
    fill as edges come: the 2-hour run of issue 20 saw usbsim's fill over
    its first 40 minutes)."""
    for sock, target in ((driver, "Emu"), (shim, "Stable2")):
        c = sock()
        rep = c.req("storm", rate=20000, duration_ms=WARMUP_EDGES // 20, seed=1,
                    min_hold_ms=0, targets=[{"reader": target}], card="readertest,t1")
        while rep and rep.get("ok"):
            st = c.req("storm-status", storm=rep["storm"])["storms"][0]
            if st["state"] != "running":
                break
            time.sleep(0.5)
        c.close()
    time.sleep(5)


heap_by = None  # whose count heap_kb is: "sanitizer", "glibc" or None


def heap_kb():
    """What pcscd holds from its allocator, as the driver's hello says (the
    sanitizer's count, or glibc's; None when it says nothing)."""
    global heap_by
    c = driver()
    try:
        hello = c.req("hello") or {}
    finally:
        c.close()
    v = hello.get("heap_in_use")
    heap_by = hello.get("heap_counted_by", heap_by)
    return None if v is None else v // 1024


SETTLE_S = 4  # pcscd's client threads and the last storm end


def quiet_sample():
    """pcscd at rest: no activity inside its round, then a few seconds."""
    at_rest = gate.pause(90)
    try:
        stop.wait(SETTLE_S)
        return sample() + (heap_kb(),), at_rest
    finally:
        gate.resume()


def main():
    seconds, interval, out = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    warm_up()
    t0 = time.monotonic()
    rows = []
    with open(out, "w") as f:
        f.write("t_s,rss_kb,fds,threads,heap_kb,busy_rss_kb,busy_fds,busy_threads\n")
        for fn in (unplug_loop, storm_loop, control_churn, pcsc_client, pcsc_client,
                   pcsc_waiter):
            guarded(fn)
        k = 0
        while True:
            t = time.monotonic() - t0
            busy = sample()
            (rss, fds, threads, heap), at_rest = quiet_sample()
            if not at_rest:
                count("samples not at rest")
            rows.append((t, rss, fds, threads, heap))
            f.write("%.0f,%d,%d,%d,%s,%d,%d,%d\n" %
                    ((t, rss, fds, threads, "" if heap is None else heap) + busy))
            f.flush()
            if t >= seconds:
                break
            k += 1
            time.sleep(max(0.0, min(t0 + k * interval, t0 + seconds) - time.monotonic()))
    stop.set()
    time.sleep(2)
    warm = max(interval, seconds / 5)
    rest = [r for r in rows if r[0] >= warm]
    print("# %d samples every %.0f s over %.0f s, each at rest (no activity, %d s "
          "settled); warm-up %.0f s" % (len(rows), interval, seconds, SETTLE_S, warm))
    for what, n in sorted(counts.items()):
        print("# %s: %d" % (what, n))
    first, last = rows[0], rows[-1]
    print("# first sample: rss %d kB, %d fds, %d threads; last: rss %d kB, %d fds, "
          "%d threads" % (first[1], first[2], first[3], last[1], last[2], last[3]))
    q = max(1, len(rest) // 4)
    hours = (rest[-1][0] - rest[0][0]) / 3600 if len(rest) > 1 else 0
    # The heap in use is judged whenever the driver reports it (the
    # sanitizer's count, or glibc's); the resident set in a plain build
    # too (it adds the arenas' fragmentation, which a user pays for), and
    # under a sanitizer it is its allocator's bookkeeping (a 2-hour run:
    # heap held flat at 14 MB while VmRSS rose 12 MB an hour): printed only.
    sanitized = heap_by == "sanitizer"
    judged = (("heap_kb",) if rows[-1][4] is not None else ()) + \
        (() if sanitized else ("rss_kb",)) + ("fds", "threads")
    pcsc.plan(len(judged) + 2)
    if sanitized:
        print("# under a sanitizer: rss %d..%d kB after the warm-up, not judged (its "
              "allocator's; heap_kb is)" % (min(r[1] for r in rest), max(r[1] for r in rest)))
    elif heap_by:
        print("# heap counted by %s" % heap_by)
    for key in judged:
        i = {"rss_kb": 1, "fds": 2, "threads": 3, "heap_kb": 4}[key]
        per_hour = slope([(r[0], r[i]) for r in rest]) * 3600
        gained = level(key, [r[i] for r in rest[-q:]]) - level(key, [r[i] for r in rest[:q]])
        fixed, hourly = ALLOWANCE[key]
        allowed = fixed + hourly * hours
        pcsc.ok(gained <= allowed,
                "%s after the warm-up: the %s gained %+d (allowed %.0f over %.2f h); "
                "slope %+.1f per hour; range %d..%d" %
                (key, "floor" if key in ("rss_kb", "heap_kb") else "median", gained, allowed,
                 hours, per_hour, min(r[i] for r in rest), max(r[i] for r in rest)))
    pcsc.ok(pcsc.pcscd_alive(), "pcscd is alive after %.0f s" % seconds)
    busy = counts.get("pcsc sessions", 0) > 0 and counts.get("storms", 0) > 0 and \
        counts.get("unplug cycles", 0) > 0 and counts.get("control sessions", 0) > 0
    pcsc.ok(busy, "every activity ran (unplug cycles, storms, control, PC/SC)", counts)
    pcsc.done()


main()
