#!/usr/bin/env python3
"""ccidlab — `ccidlab legacy-wait` against a scripted stand-in for pcscd's
client socket (protocol 4:4, pcscd-driver-facts.md Appendix A), for the
paths a real pcscd rarely takes: refusal, closing at each step, the
timeout/stop path.  TAP; no lab needed.

usage: legacy_robust.py CCIDLAB WORKDIR
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import pcsc

SCARD_E_NO_SERVICE = 0x8010001D
ENTRY = struct.Struct("=128sIIi33s3xII")     # READER_STATE, 184 bytes
assert ENTRY.size == 184
SCARD_ABSENT, SCARD_PRESENT, SCARD_POWERED = 0x2, 0x4, 0x10
ATR = bytes.fromhex("3B00")


class FakePcscd(threading.Thread):
    """One connection, one script.  mode: close (hang up at once), refuse
    (refuse CMD_VERSION), vanish (close after the first registration),
    signal (one insert, signalled 300 ms after the first registration),
    quiet (never signal)."""

    def __init__(self, path, mode):
        super().__init__(daemon=True)
        self.mode = mode
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.srv.settimeout(10)
        self.commands = []
        self.closed_at = None	# monotonic time the fake hung up
        self.state, self.counter = SCARD_ABSENT, 0
        self.start()

    def states(self):
        e = ENTRY.pack(b"fake 00 00", self.counter, self.state, 0,
                       ATR if self.state & SCARD_PRESENT else b"",
                       len(ATR) if self.state & SCARD_PRESENT else 0, 0)
        return e + bytes(ENTRY.size * 15)

    def recv(self, s, n):
        b = b""
        while len(b) < n:
            chunk = s.recv(n - len(b))
            if not chunk:
                raise EOFError
            b += chunk
        return b

    def run(self):
        try:
            s, _ = self.srv.accept()
        except OSError:
            return
        s.settimeout(10)
        registered = False
        try:
            if self.mode == "close":
                return
            while True:
                size, cmd = struct.unpack("=II", self.recv(s, 8))
                body = self.recv(s, size) if size else b""
                self.commands.append(cmd)
                if cmd == 0x11:
                    rv = SCARD_E_NO_SERVICE if self.mode == "refuse" else 0
                    s.sendall(struct.pack("=iiI", 4, 4, rv))
                elif cmd == 0x01:
                    scope = struct.unpack("=III", body)[0]
                    s.sendall(struct.pack("=III", scope, 0x1234, 0))
                elif cmd == 0x12:
                    s.sendall(self.states())
                elif cmd == 0x13:
                    s.sendall(self.states())
                    registered = True
                    if self.mode == "vanish":
                        time.sleep(0.3)
                        return
                    if self.mode == "signal" and self.counter == 0:
                        time.sleep(0.3)
                        self.state, self.counter = SCARD_PRESENT | SCARD_POWERED, 1
                        s.sendall(struct.pack("=II", 0, 0))
                        registered = False
                elif cmd == 0x14:
                    if registered:
                        s.sendall(struct.pack("=II", 0, 0))
                    registered = False
        except (EOFError, OSError):
            pass
        finally:
            s.close()
            self.srv.close()
            self.closed_at = time.monotonic()


def run(ccidlab, work, mode, args, limit, until=None):
    """legacy-wait against a fake pcscd in mode; killed at limit s, or as
    soon as until(commands the fake got) holds.  The seconds returned
    run from the fake's hang-up (when it hung up) to the client's exit:
    the start of the client (an ASan binary, seconds with both cores
    busy) is not the client's reaction."""
    path = os.path.join(work, "fake-%s.comm" % mode)
    fake = FakePcscd(path, mode)
    p = subprocess.Popen([ccidlab, "legacy-wait", "--pcsc-socket", path] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + limit
    killed = False
    while p.poll() is None:
        if time.monotonic() >= end or (until is not None and until(list(fake.commands))):
            p.kill()
            killed = True
            break
        time.sleep(0.02)
    out, err = p.communicate()
    t = time.monotonic()
    fake.join(5)
    dt = t - fake.closed_at if fake.closed_at is not None and fake.closed_at < t else float("nan")
    return "killed" if killed else p.returncode, out, err, dt, fake.commands


def main():
    ccidlab, work = sys.argv[1:3]
    pcsc.plan(5)

    rc, out, err, dt, _ = run(ccidlab, work, "close", ["fake"], 10)
    pcsc.ok(rc == 3 and "CMD_VERSION" in err and dt < 8,
            "a daemon that hangs up at once: exit 3, %.1f s after the hang-up" % dt, "%r %r" % (rc, err))

    rc, out, err, dt, _ = run(ccidlab, work, "refuse", ["fake"], 10)
    pcsc.ok(rc == 3 and "refused" in err, "a refused protocol 4:4: exit 3 (%s)" % err.strip(),
            "%r %r" % (rc, err))

    rc, out, err, dt, cmds = run(ccidlab, work, "vanish", ["fake"], 10)
    pcsc.ok(rc == 5 and "SCARD_E_NO_SERVICE" in err and dt < 8,
            "a daemon that closes while the client waits: SCARD_E_NO_SERVICE, %.1f s after the hang-up" % dt,
            "%r %r %r" % (rc, err, cmds))

    rc, out, err, dt, cmds = run(ccidlab, work, "signal", ["fake", "--count", "1"], 10)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    pcsc.ok(rc == 0 and "counter=1" in last and "atr=3B00" in last
            and cmds[:5] == [0x11, 0x01, 0x12, 0x12, 0x12] and 0x13 in cmds,
            "a signal after registering: the change is re-fetched and reported",
            "%r %r %r %r" % (rc, out, err, [hex(c) for c in cmds]))

    # --timeout 300: each call registers, times out, stops, re-fetches and
    # returns SCARD_E_TIMEOUT; the client is stopped once the fake got
    # three stops (it was 1.2 s, which a busy machine spent starting it).
    rc, out, err, dt, cmds = run(ccidlab, work, "quiet", ["fake", "--timeout-ms", "300"], 60,
                                 until=lambda c: c.count(0x14) >= 3)
    timeouts = out.count("rv=SCARD_E_TIMEOUT")
    waits, stops = cmds.count(0x13), cmds.count(0x14)
    pcsc.ok(rc == "killed" and timeouts >= 2 and stops >= timeouts and waits - stops <= 1,
            "finite timeouts: %d SCARD_E_TIMEOUT, each wait stopped (%d waits, %d stops)"
            % (timeouts, waits, stops), "%r %r %r" % (out, err, [hex(c) for c in cmds]))
    pcsc.done()


if __name__ == "__main__":
    main()
