#!/usr/bin/env python3
"""ccidlab — checks a driver bundle's Info.plist the way pcscd needs it,
with a parser of its own (plistlib), not the awk that wrote it.

usage: check-plist.py PLIST [--catalogue readers.tsv] [--count N]

pcscd reads ifdVendorID, ifdProductID and ifdFriendlyName as three
parallel arrays: unequal lengths make it disable USB for every driver.
Ids are hex strings; a VID:PID listed twice in one bundle is a mistake
(pcscd keeps the last).  With --catalogue, every CCID interface row
(class 0x0B or 0xFF, protocol 0, 1 or 2) must be listed, and the
emulator's test id 1209:0002 too.  Prints one line per problem and exits
1 if there is any.
"""
import argparse
import csv
import plistlib
import re
import sys

HEX_ID = re.compile(r"^0x[0-9A-Fa-f]{4}$")
TEST_ID = (0x1209, 0x0002)


def catalogue_pairs(path):
    pairs = set()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["if_class"].upper() not in ("0X0B", "0XFF"):
                continue
            if row["if_protocol"] not in ("0", "1", "2"):
                continue
            pairs.add((int(row["vid"], 16), int(row["pid"], 16)))
    return pairs


def check(path, catalogue, count):
    problems = []
    try:
        with open(path, "rb") as f:
            d = plistlib.load(f)
    except Exception as e:  # any parse error is the finding
        return ["not a plist: %s" % e], 0
    for key in ("CFBundleExecutable", "CFBundleName", "ifdVendorID", "ifdProductID",
                "ifdFriendlyName"):
        if key not in d:
            problems.append("no key %s" % key)
    if problems:
        return problems, 0
    if d["CFBundleName"] == "CCIDCLASSDRIVER":
        problems.append("CFBundleName is CCIDCLASSDRIVER: pcscd would rank it as libccid's")
    vids, pids, names = d["ifdVendorID"], d["ifdProductID"], d["ifdFriendlyName"]
    if not all(isinstance(a, list) for a in (vids, pids, names)):
        return problems + ["the three id keys must be arrays"], 0
    if not (len(vids) == len(pids) == len(names)):
        problems.append("unequal arrays: %d vendor ids, %d product ids, %d names"
                        % (len(vids), len(pids), len(names)))
    seen = {}
    for i, (v, p, n) in enumerate(zip(vids, pids, names)):
        if not (isinstance(v, str) and HEX_ID.match(v)):
            problems.append("entry %d: vendor id %r is not 0xXXXX" % (i, v))
            continue
        if not (isinstance(p, str) and HEX_ID.match(p)):
            problems.append("entry %d: product id %r is not 0xXXXX" % (i, p))
            continue
        if not (isinstance(n, str) and n.strip()):
            problems.append("entry %d: empty name" % i)
        pair = (int(v, 16), int(p, 16))
        if pair in seen:
            problems.append("entry %d: %04X:%04X already listed at entry %d"
                            % (i, pair[0], pair[1], seen[pair]))
        seen[pair] = i
    if catalogue is not None:
        for pair in sorted(catalogue_pairs(catalogue) | {TEST_ID}):
            if pair not in seen:
                problems.append("%04X:%04X (catalogue) is not listed" % pair)
    if count is not None and len(vids) != count:
        problems.append("%d entries, expected %d" % (len(vids), count))
    return problems, len(seen)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plist")
    ap.add_argument("--catalogue")
    ap.add_argument("--count", type=int)
    a = ap.parse_args()
    problems, n = check(a.plist, a.catalogue, a.count)
    for p in problems:
        print("%s: %s" % (a.plist, p))
    if not problems:
        print("%s: %d VID:PID pairs, arrays equal, ids valid, no duplicate" % (a.plist, n))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
