#!/usr/bin/env python3
"""ccidlab — one seeded storm through the control plane; writes what the
edge stream delivered and what the emulator counted to OUT (JSON).

usage: ctl_storm.py OUT SEED RATE DURATION_MS
"""
import json
import sys
import time

import ctl


def main():
    out, seed, rate, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    sub = ctl.Subscriber()
    c = ctl.Ctl()
    rep = c.req("storm", rate=rate, duration_ms=duration, seed=seed, min_hold_ms=0)
    assert rep["ok"], rep
    end = time.monotonic() + duration / 1000.0 + 30
    while time.monotonic() < end:
        st = c.req("storm-status", storm=rep["storm"])["storms"][0]
        if st["state"] != "running":
            break
        time.sleep(0.2)
    applied = st["applied"]
    # The stream drains behind the storm: wait until it has them all.  A
    # count, not a predicate that recounts the list for every edge in it
    # (quadratic under the subscriber's lock: with a CPU hog on both cores
    # the 60 s ran out at 9,740 of 9,991 edges while the stream had them).
    sub.wait_for_count(lambda e: e["source"] == "storm", applied, 120)
    edges = [(e["device"], e["slot"], e["state"]) for e in sub.edges if e["source"] == "storm"]
    counted = sum(s["edges"] for r in c.req("list")["readers"] for s in r["slots"])
    with open(out, "w") as f:
        json.dump({"state": st["state"], "applied": applied, "counted": counted,
                   "edges": edges}, f)


if __name__ == "__main__":
    main()
