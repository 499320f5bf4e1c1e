#!/usr/bin/env python3
"""ccidlab — the legacy positive control (TAP), run inside a lab.

usage: legacy_control.py CCIDLAB WIDE TOGGLE ROUNDS SEED

WIDE is a reader whose card is present but mute (no ATR): both clients
below watch it, so each compare pass of their SCardGetStatusChange sleeps
about 400 ms (the "window widener").  TOGGLE is an event-mode reader the
test drives through the control plane.

1. `ccidlab legacy-wait TOGGLE` sees an insert, with the right state and
   event counter.
2. The positive control.  Two clients watch [WIDE, TOGGLE] with INFINITE
   timeouts: `ccidlab legacy-wait` (the pre-1.8.24 sequence) and pyscard
   (Debian's fixed libpcsclite).  Each round toggles TOGGLE twice, G ms
   apart, then leaves it alone for QUIET_S.  An edge is *lost* for a
   client when no call of that client returns, within LOST_S of the edge,
   showing TOGGLE's counter at or past that edge.

Why this pattern rather than a steady toggle: the first edge wakes a
waiting client; its call returns after one pass (~400 ms), and the next
call fetches the states and compares them (~400 ms more) before it
registers.  The legacy client loses an edge that lands in that second
window, because the fetch it compares was taken before the edge and the
fixed daemon's registration dump is discarded.  G in 500..700 ms lands in
it.  A steady toggle every 150-250 ms never lets a fetch come back
unchanged, so every pass returns and nothing stays lost; the edge that is
lost must be followed by quiet, here QUIET_S > LOST_S, for the client to
sleep through it (until the next round's first edge, or its 60 s slice).
"""
import os
import random
import subprocess
import sys
import threading
import time

import ctl
import pcsc
from smartcard import scard as S

LOST_S = 5.0
QUIET_S = 5.6
PNP_WAIT_S = 10.0


class LegacyWait(threading.Thread):
    """`ccidlab legacy-wait` in a subprocess; collects its report lines."""

    def __init__(self, ccidlab, readers, extra=()):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen([ccidlab, "legacy-wait"] + list(extra) + list(readers),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.start()

    def run(self):
        for raw in self.proc.stdout:
            f = raw.split()
            rec = {"t": float(f[0])}
            for kv in f[1:]:
                k, _, v = kv.partition("=")
                rec[k] = v
            if "name" in rec:   # names contain spaces: keep the rest of the line
                rec["name"] = raw.split("name=", 1)[1].rstrip("\n")
            with self.cond:
                self.lines.append(rec)
                self.cond.notify_all()

    def wait_lines(self, n, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while len(self.lines) < n and time.monotonic() < end:
                self.cond.wait(end - time.monotonic())
            return len(self.lines) >= n

    def reports(self, reader_index):
        """(t, counter) of every report about one watched reader."""
        with self.cond:
            return [(r["t"], int(r["counter"])) for r in self.lines
                    if r.get("reader") == str(reader_index)]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.join(5)
        return self.proc.stderr.read()


class PyscardWait(threading.Thread):
    """A libpcsclite client doing what applications do: loop on
    SCardGetStatusChange(INFINITE), feeding dwEventState back."""

    def __init__(self, names):
        super().__init__(daemon=True)
        self.ctx = pcsc.context()
        self.names = names
        self.reports = []   # (t, counter of names[1])
        self.errors = []
        self.ready = threading.Event()
        self.stopping = False
        self.start()

    def run(self):
        states = [(n, S.SCARD_STATE_UNAWARE) for n in self.names]
        while not self.stopping:
            rv, new = S.SCardGetStatusChange(self.ctx, S.INFINITE, states)
            t = time.monotonic()
            if rv == S.SCARD_E_CANCELLED and self.stopping:
                return
            if rv != S.SCARD_S_SUCCESS:
                self.errors.append(rv & 0xFFFFFFFF)
                return
            self.reports.append((t, new[1][1] >> 16))
            states = [(n, ev & ~S.SCARD_STATE_CHANGED) for (n, ev, atr) in new]
            self.ready.set()

    def stop(self):
        self.stopping = True
        S.SCardCancel(self.ctx)
        self.join(5)
        S.SCardReleaseContext(self.ctx)


def first_report_at_or_after(reports, counter):
    for t, c in reports:
        if c >= counter:
            return t
    return None


def score(edges, reports, base):
    """Per edge: the latency in s to the first report at or past its
    counter (None: never reported), and whether that makes it lost."""
    out = []
    for k, te in enumerate(edges, start=1):
        t = first_report_at_or_after([r for r in reports if r[0] >= te - 0.001], base + k)
        lat = None if t is None else t - te
        out.append((lat, lat is None or lat > LOST_S))
    return out


def fmt(lat):
    """Latencies in ms; a lost edge shows when it was reported at last."""
    return " ".join(("LOST(%s)" % ("never" if x is None else "%.0f" % (x * 1000))) if lost
                    else "%.0f" % (x * 1000) for x, lost in lat)


def main():
    ccidlab, wide, tog, rounds, seed = sys.argv[1:6]
    rounds, rng = int(rounds), random.Random(int(seed))
    pcsc.plan(7)
    c = ctl.Ctl()
    ctx = pcsc.context()
    wide_name, tog_name = pcsc.find(ctx, wide), pcsc.find(ctx, tog)
    S.SCardReleaseContext(ctx)

    # 1. An insert seen by the legacy client alone (no widener).
    lw = LegacyWait(ccidlab, [tog_name], ["--count", "1", "--timeout-ms", "10000"])
    lw.wait_lines(1, PNP_WAIT_S)
    start = lw.reports(0)
    time.sleep(0.3)
    t0 = time.monotonic()
    rep = c.req("insert", reader=tog, slot=0, card="readertest")
    got = lw.wait_lines(2, 5.0)
    try:    # --count 1: it exits by itself, cleanly (sanitizer reports included)
        lw.proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    err = lw.stop()
    seen = lw.reports(0)
    ok1 = got and len(start) == 1 and len(seen) == 2 and lw.proc.returncode == 0
    line = lw.lines[-1] if lw.lines else {}
    state = int(line.get("state", "0"), 16)
    pcsc.ok(bool(rep and rep.get("ok")) and ok1 and state & S.SCARD_STATE_PRESENT
            and state & S.SCARD_STATE_CHANGED and line.get("rv") == "SCARD_S_SUCCESS",
            "legacy-wait sees the insert: dwEventState 0x%08X, %.0f ms after the request"
            % (state, (seen[-1][0] - t0) * 1000 if seen else -1),
            "lines %r stderr %r reply %r" % (lw.lines, err, rep))
    pcsc.ok(ok1 and seen[1][1] == start[0][1] + 1 and line.get("atr", "-") != "-",
            "its event counter rose by one (%s -> %s) and the ATR came with it"
            % (start[0][1] if start else "?", seen[-1][1] if seen else "?"),
            "lines %r" % lw.lines)

    # 2. The positive control.
    lw = LegacyWait(ccidlab, [wide_name, tog_name])
    py = PyscardWait([wide_name, tog_name])
    ready = lw.wait_lines(2, PNP_WAIT_S) and py.ready.wait(PNP_WAIT_S)
    wl = lw.lines[0] if lw.lines else {}
    wstate = int(wl.get("state", "0"), 16)
    pcsc.ok(ready and wstate & S.SCARD_STATE_PRESENT and wstate & S.SCARD_STATE_MUTE
            and wl.get("atr") == "-",
            "the widener reader has a present, mute card with no ATR (0x%08X)" % wstate,
            "lines %r" % lw.lines)
    base_l = lw.reports(1)[0][1] if lw.reports(1) else 0
    base_p = py.reports[0][1] if py.reports else 0
    time.sleep(1.5)     # both are now registered and waiting
    # A pass over the widener sleeps PCSCLITE_STATUS_POLL_RATE + 10 us (400.01 ms):
    # measure it on a fresh pyscard call.
    pctx = pcsc.context()
    t = time.monotonic()
    S.SCardGetStatusChange(pctx, 0, [(wide_name, S.SCARD_STATE_UNAWARE)])
    pass_ms = (time.monotonic() - t) * 1000
    S.SCardReleaseContext(pctx)
    pcsc.ok(380 <= pass_ms < 1500,
            "a libpcsclite pass over the widener takes about 400 ms (%.0f ms)" % pass_ms)

    edges, present = [], True
    for r in range(rounds):
        for g in (None, rng.uniform(0.50, 0.70)):
            if g is not None:
                time.sleep(g)
            present = not present
            rep = c.req("insert" if present else "remove", reader=tog, slot=0,
                        **({"card": "readertest"} if present else {}))
            edges.append(time.monotonic())
            if not (rep and rep.get("ok")):
                print("# control request failed: %r" % (rep,))
        time.sleep(QUIET_S)
    err = lw.stop()
    py.stop()

    lat_l = score(edges, lw.reports(1), base_l)
    lat_p = score(edges, py.reports, base_p)
    lost_l = sum(lost for _, lost in lat_l)
    lost_p = sum(lost for _, lost in lat_p)
    print("# %d edges on %s in %d rounds (seed %s)" % (len(edges), tog, rounds, seed))
    print("# legacy client latencies (ms): %s" % fmt(lat_l))
    print("# libpcsclite latencies (ms):   %s" % fmt(lat_p))
    print("# lost: legacy %d, libpcsclite %d" % (lost_l, lost_p))
    pcsc.ok(lost_l >= 1, "the legacy client lost %d of %d edges (no wakeup within %.0f s)"
            % (lost_l, len(edges), LOST_S), "stderr %r" % err)
    pcsc.ok(lost_p == 0 and not py.errors,
            "the libpcsclite client lost %d of %d edges" % (lost_p, len(edges)),
            "errors %r reports %r" % (py.errors, py.reports))
    final_p = py.reports[-1][1] if py.reports else -1
    pcsc.ok(final_p == base_p + len(edges),
            "libpcsclite's event counter ends at %d + %d edges (%d)"
            % (base_p, len(edges), final_p))
    c.close()
    pcsc.done()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
