#!/usr/bin/env python3
"""Runs a command as a child subreaper and reaps every orphan it leaves.

Tests that SIGKILL ccidlab use it: the lab's pcscd and command are then
re-parented here instead of to init (which may never reap them), so the
test can see that they died and leaves no zombie behind.  Exits with the
command's status (128+N for a signal); waits at most 10 s for orphans.
"""
import ctypes
import os
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed")

child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

status = None
deadline = None
while True:
    try:
        pid, st = os.waitpid(-1, os.WNOHANG if deadline else 0)
    except ChildProcessError:
        break
    if pid == child:
        status = os.waitstatus_to_exitcode(st)
        deadline = time.monotonic() + 10
    elif pid == 0:
        if time.monotonic() > deadline:
            sys.stderr.write("reaper: orphans still alive after 10 s\n")
            break
        time.sleep(0.01)
sys.exit(status if status >= 0 else 128 - status)
