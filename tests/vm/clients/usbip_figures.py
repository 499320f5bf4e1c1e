#!/usr/bin/env python3
"""ccidlab — the figures of tests/vm/vm-usbip.sh from its guest's output:
per reader, each driver's time and URBs per APDU and the ratio
ccidlab/libccid; the time from `usbip attach` to the reader listed by
pcscd; the faulted transmits' times; the time each check took.

usage: usbip_figures.py GUEST_OUTPUT
"""
import collections
import os
import statistics
import subprocess
import sys


def level(profile):
    """The exchange level the catalogue gives the profile (ccidlab profiles)."""
    try:
        out = subprocess.run([os.environ["CCIDLAB"], "profiles", profile], capture_output=True,
                             text=True, timeout=30).stdout
    except (KeyError, OSError, subprocess.SubprocessError):
        return "?"
    for line in out.splitlines():
        if line.split()[:1] == [profile] and "): " in line:
            return line.split("): ", 1)[1].split(",")[0]
    return "?"


per = collections.defaultdict(dict)
attach = collections.defaultdict(list)
faults = []
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    if line.startswith("# per-apdu "):
        drv, busid, t, n, ms, urbs, idle, profile = f[2:10]
        per[(busid, profile, t)][drv] = (int(n), float(ms), float(urbs), float(idle))
    elif line.startswith("# attach-to-listed "):
        attach[f[2]].append(float(f[4]))
    elif line.startswith("# fault "):
        faults.append(f[2:])
    elif line.startswith("# time ") and len(f) >= 5:
        times[(f[2], f[3])].append(int(f[4]) / 1000.0)

print("URBs and time per APDU through the guest's kernel (readertest cases 2-4):")
print("%-6s %-40s %-26s %-4s %10s %10s %6s %8s %8s" % (
    "busid", "profile", "level", "card", "ccidlab ms", "libccid ms", "ratio", "URBs cl",
    "URBs lc"))
ratios = []
for (busid, profile, t), d in sorted(per.items(), key=lambda kv: int(kv[0][0].split("-")[1])):
    c, lc = d.get("ccidlab"), d.get("libccid")
    ratio = c[1] / lc[1] if c and lc and lc[1] > 0 else None
    if ratio:
        ratios.append(ratio)
    print("%-6s %-40s %-26s %-4s %10s %10s %6s %8s %8s" % (
        busid, profile, level(profile), t, "%.2f" % c[1] if c else "-", "%.2f" % lc[1] if lc else "-",
        "%.2f" % ratio if ratio else "-", "%.2f" % c[2] if c else "-",
        "%.2f" % lc[2] if lc else "-"))
if ratios:
    print("ratio ccidlab/libccid per APDU: median %.2f, min %.2f, max %.2f over %d readers"
          % (statistics.median(ratios), min(ratios), max(ratios), len(ratios)))
for drv, v in sorted(attach.items()):
    print("usbip attach to listed by pcscd, %s: median %.2f s, max %.2f s over %d attaches"
          % (drv, statistics.median(v), max(v), len(v)))
for fa in faults:
    print("fault %s" % " ".join(fa))
for (drv, check), v in sorted(times.items()):
    print("time of the %s checks, %s: %.1f s in %d runs" % (check, drv, sum(v), len(v)))
