#!/usr/bin/env python3
"""ccidlab — the host's side of the USB/IP VM tests: runs the control
commands a guest asks for on the host's `ccidlab usbip` server.

usage: host_agent.py DIR CCIDLAB CTL_SOCKET MAX_S

The guest can write one host directory, the run's results (DIR, mounted
at the same path).  A request is a file DIR/req-N holding a JSON list of
ccidlab arguments; the answer is DIR/ack-N, {"rc", "out", "err"}, written
whole (a rename).  Only the control subcommands run (list, insert,
remove, fault, usbip add/remove), always with --socket CTL_SOCKET: the
guest cannot name another program or socket.  The agent ends when
DIR/agent-stop appears, or after MAX_S seconds.
"""
import json
import os
import subprocess
import sys
import time

DIR, CCIDLAB, CTL, MAX_S = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ALLOWED = {"list", "insert", "remove", "fault", "usbip"}


def answer(n, req):
    try:
        args = json.loads(req)
        if not (isinstance(args, list) and args and all(isinstance(a, str) for a in args)
                and args[0] in ALLOWED and len(args) <= 8):
            raise ValueError("not an allowed control command: %r" % (req[:200],))
        p = subprocess.run([CCIDLAB] + args + ["--socket", CTL], capture_output=True, text=True,
                           timeout=60)
        out = {"rc": p.returncode, "out": p.stdout, "err": p.stderr}
    except (ValueError, subprocess.SubprocessError) as e:
        out = {"rc": -1, "out": "", "err": str(e)}
    tmp = os.path.join(DIR, "ack-%d.tmp" % n)
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.rename(tmp, os.path.join(DIR, "ack-%d" % n))


def main():
    end = time.monotonic() + MAX_S
    n = 1
    while time.monotonic() < end and not os.path.exists(os.path.join(DIR, "agent-stop")):
        path = os.path.join(DIR, "req-%d" % n)
        if not os.path.exists(path):
            time.sleep(0.01)
            continue
        with open(path) as f:
            req = f.read()
        answer(n, req)
        n += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
