#!/usr/bin/env python3
"""ccidlab — live card edges on ccidlab's USB readers, through pcscd (TAP).

usage: usb_edges.py EVENT_EDGES GAP_MS POLL_EDGES POLL_GAP_MS READER[:forced]...

Every READER is a usbsim device (its usbsim name= is its FRIENDLYNAME)
opened by ccidlab's driver through src/usb, slot 0 empty at the start.
The driver's mode (its control socket, $CCIDLAB_DRIVER_SOCKET) must be
the device's (the shim's socket, $CCIDLAB_CTL_SOCKET: event mode when it
has an interrupt pipe), or, for READER:forced, polling-only on a device
that has one.  Insert/remove requests go to the shim: EVENT_EDGES of
them GAP_MS apart to each event-mode reader, then POLL_EDGES
POLL_GAP_MS apart to each polling-only reader (pcscd asks every 400 ms).
A PC/SC client reads pcscd's event counter (dwEventState >> 16): it must
rise by exactly the number of edges, less, in event mode, the edges the
driver folded while pcscd's event thread lagged (the driver's list,
"folded": it keeps a slot's last two states, issue 20).  `ccidlab events --socket
$CCIDLAB_DRIVER_SOCKET --json` ($CCIDLAB_BIN) follows the driver's edge
stream meanwhile: each reader's observed edges, in order, alternate
present/absent, as many as were made, with rising timestamps.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import ctl
import pcsc
from smartcard import scard as S

SETTLE_S = 1.0		# an extra edge would show by then
QUIET_S = 3.0		# a reader that misses edges must not hold the run
LIMIT_S = 60.0


def snapshot(ctx, names):
    rv, st = S.SCardGetStatusChange(ctx, 0, [(n, S.SCARD_STATE_UNAWARE) for n in names])
    pcsc.check(rv, "SCardGetStatusChange")
    return st


def modes(path):
    """{reader number: (mode, device name)} from a control socket's list."""
    c = ctl.Ctl(path)
    rep = c.req("list")
    c.close()
    return {r["reader"]: (r["mode"], r["name"]) for r in rep["readers"]}


def folded(c, names):
    """Slot 0's folded edges of each reader, from the driver's list (0
    where the reader folds nothing: polling-only)."""
    rep = c.req("list")
    by_number = {r["reader"]: r["slots"][0].get("folded", 0)
                 for r in rep["readers"] if r.get("slots")}
    return [by_number.get(number(n), 0) for n in names]


def number(pcsc_name):
    """pcscd's reader index, the NN of "NAME NN SS" (the high half of the Lun)."""
    return int(pcsc_name.split(" ")[-2], 16)


def drive(c, targets, edges, gap, refused):
    """edges alternating insert/remove to every target, gap seconds apart."""
    for i in range(edges if targets else 0):
        for name in targets:
            req = "insert" if i % 2 == 0 else "remove"
            args = {"card": "readertest"} if req == "insert" else {}
            rep = c.req(req, reader=name, slot=0, **args)
            if rep is None or not rep.get("ok"):
                refused[name] += 1
        time.sleep(gap)


def drive_paced(c, ctx, names, base, targets, index, edges, refused):
    """Polling-only readers: each edge once every target still keeping up
    counted the previous one (a target 5 s behind is left behind; its
    count fails).  Open loop, 450 ms apart, two edges fell between two of
    pcscd's 400 ms polls with both cores busy (a count of 8 of 10)."""
    behind = set()
    for i in range(edges if targets else 0):
        for name in targets:
            req = "insert" if i % 2 == 0 else "remove"
            args = {"card": "readertest"} if req == "insert" else {}
            rep = c.req(req, reader=name, slot=0, **args)
            if rep is None or not rep.get("ok"):
                refused[name] += 1
        limit = time.monotonic() + 5.0
        while True:
            now = [((ev >> 16) - b) & 0xFFFF for (_, ev, _), b in zip(snapshot(ctx, names), base)]
            waiting = [t for t in targets if t not in behind and now[index[t]] < i + 1]
            if not waiting:
                break
            if time.monotonic() >= limit:
                behind.update(waiting)
                break
            time.sleep(0.02)


def wait_counts(ctx, drv, names, base, want):
    """Until every counter, with the edges the driver folded, reached its
    count, none moved for QUIET_S, or LIMIT_S."""
    t0 = time.monotonic()
    last, moved = None, t0
    while time.monotonic() - t0 < LIMIT_S and time.monotonic() - moved < QUIET_S:
        now = [((ev >> 16) - b) & 0xFFFF for (_, ev, _), b in zip(snapshot(ctx, names), base)]
        now = [n + f for n, f in zip(now, folded(drv, names))]
        if all(n >= w for n, w in zip(now, want)):
            break
        if now != last:
            last, moved = now, time.monotonic()
        time.sleep(0.05)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def main():
    ev_edges, gap = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
    po_edges, po_gap = int(sys.argv[3]), int(sys.argv[4]) / 1000.0
    specs = [a.split(":") for a in sys.argv[5:]]
    readers = [s[0] for s in specs]
    forced = {s[0] for s in specs if s[1:] == ["forced"]}
    pcsc.plan(5 * len(readers))
    ctx = pcsc.context()
    names = [pcsc.find(ctx, r + " ") for r in readers]
    dev = modes(os.environ["CCIDLAB_CTL_SOCKET"])
    drv = modes(os.environ["CCIDLAB_DRIVER_SOCKET"])
    # The driver's stream from the edge before the first one driven
    # (--since: the driver's ring replays it), however late the ccidlab
    # process comes to subscribe: a fixed 0.3 s for that lost the first
    # edges with both cores busy.
    probe = ctl.Ctl(os.environ["CCIDLAB_DRIVER_SOCKET"])
    since = probe.req("subscribe")["seq"]
    probe.close()
    stream = subprocess.Popen([os.environ["CCIDLAB_BIN"], "events", "--socket",
                               os.environ["CCIDLAB_DRIVER_SOCKET"], "--json",
                               "--since", str(since), "--timeout", str(int(LIMIT_S * 2))],
                              stdout=subprocess.PIPE, text=True)
    lines, lines_lock = [], threading.Lock()

    def collect():
        for ln in stream.stdout:
            with lines_lock:
                lines.append(ln)

    reader_t = threading.Thread(target=collect, daemon=True)
    reader_t.start()
    shim = ctl.Subscriber()	# the shim's control edges (subscribed on return), for latencies
    base = [ev >> 16 for (_, ev, _) in snapshot(ctx, names)]
    c = ctl.Ctl()
    dctl = ctl.Ctl(os.environ["CCIDLAB_DRIVER_SOCKET"])
    refused = {r: 0 for r in readers}
    mode = {}
    for r, n in zip(readers, names):
        d, m = dev.get(number(n), ("?", ""))[0], drv.get(number(n), ("?", ""))[0]
        want = "poll" if r in forced else d
        pcsc.ok(m == want and (r not in forced or d == "event"),
                "%s: the driver runs it in %s mode (device: %s)" % (n, m, d),
                "want %s" % want)
        mode[r] = m
    ev_r = [r for r in readers if mode[r] == "event"]
    po_r = [r for r in readers if mode[r] != "event"]
    want = [ev_edges if mode[r] == "event" else po_edges for r in readers]
    t0 = time.monotonic()
    drive(c, ev_r, ev_edges, gap, refused)
    wait_counts(ctx, dctl, names, base,
                [w if mode[r] == "event" else 0 for r, w in zip(readers, want)])
    ev_s = time.monotonic() - t0
    t1 = time.monotonic()
    drive_paced(c, ctx, names, base, po_r, {r: k for k, r in enumerate(readers)}, po_edges,
                refused)
    wait_counts(ctx, dctl, names, base, want)
    po_s = time.monotonic() - t1
    time.sleep(SETTLE_S)
    st = snapshot(ctx, names)
    fold = folded(dctl, names)
    # The driver names its USB readers itself ("product#N"): its list maps
    # them to pcscd's names.
    by_dev = {v[1]: n for n in names for k, v in drv.items() if k == number(n)}

    def observed_by_reader():
        with lines_lock:
            seen = [json.loads(ln) for ln in lines if '"observed"' in ln]
        return [sum(1 for e in seen if by_dev.get(e.get("device")) == n) for n in names]

    # The stream process prints behind the driver: stopped once it has
    # shown every reader's observed edges (as many as were made; the
    # driver observes each before any fold), cap 60 s, not at once.  A sum
    # over the readers stopped it early while one reader's last edges
    # were still on their way.
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if all(o >= w for o, w in zip(observed_by_reader(), want)):
            break
        time.sleep(0.1)
    stream.send_signal(signal.SIGTERM)
    stream.wait(timeout=10)
    reader_t.join(10)
    with lines_lock:
        out = list(lines)
    edges = [json.loads(line) for line in out if line.startswith("{")]
    edges = [e for e in edges if e.get("event") == "edge"]
    with shim.cond:
        ctl_edges = list(shim.edges)
    lat = {"event": [], "poll": []}
    for k, (r, n) in enumerate(zip(readers, names)):
        w = want[k]
        pcsc.ok(refused[r] == 0, "%s: %d live insert/remove requests accepted" % (n, w),
                "%d refused" % refused[r])
        delta = ((st[k][1] >> 16) - base[k]) & 0xFFFF
        pcsc.ok(delta + fold[k] == w, "%s: the event counter rose by exactly %d less the "
                "edges the driver folded (%d + %d folded)" % (n, w, delta, fold[k]))
        pcsc.ok(bool(st[k][1] & S.SCARD_STATE_PRESENT) == (w % 2 == 1),
                "%s ends %s" % (n, "present" if w % 2 else "empty"), "dwEventState 0x%08X" % st[k][1])
        mine = [e for e in edges if by_dev.get(e["device"]) == n]
        states = [e["state"] for e in mine]
        alt = ["present" if i % 2 == 0 else "absent" for i in range(w)]
        ts = [e["ts_ns"] for e in mine]
        pcsc.ok(states == alt and all(e["source"] == "observed" and e["slot"] == 0 for e in mine)
                and all(a < b for a, b in zip(ts, ts[1:])),
                "%s: the driver's edge stream shows its %d observed edges, alternating, "
                "timestamped in order" % (n, w),
                "%d edges: %s" % (len(mine), states[:8]))
        sent = [e["ts_ns"] for e in ctl_edges if e.get("device") == r and e.get("source") == "control"]
        if len(sent) == len(ts):
            lat[mode[r]] += [(b - a) / 1e6 for a, b in zip(sent, ts)]
    for m, xs in lat.items():
        if xs:
            print("# %s mode: %d edges, request to the driver's observation: p50 %.2f ms, "
                  "p99 %.2f ms, max %.2f ms" % (m, len(xs), pct(xs, 0.5), pct(xs, 0.99), max(xs)),
                  flush=True)
    print("# event mode: %d readers x %d edges %d ms apart, all counted after %.2f s"
          % (len(ev_r), ev_edges, gap * 1000, ev_s), flush=True)
    print("# polling-only: %d readers x %d edges, each after the previous was counted: %.2f s"
          % (len(po_r), po_edges, po_s), flush=True)
    c.close()
    dctl.close()
    S.SCardReleaseContext(ctx)
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
