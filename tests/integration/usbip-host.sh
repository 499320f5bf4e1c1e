#!/bin/sh
# ccidlab's CCID host engine (the driver's) over USB/IP to `ccidlab
# usbip`: readertest byte-exact on readers of each exchange level (short
# APDU, TPDU T=1, extended APDU, a catalogue TPDU T=0 reader), and the
# URBs each APDU takes (tests/unit/usbip_host.c; "# urbs-per-apdu"
# lines).  Our engine over our transport to our server: the kernel's
# vhci-hcd is the interoperability test (the VM lab).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/usbip_lib.sh"
usbip_start --quiet \
	generic-apdu-irq:card=readertest,t1 \
	generic-t1-irq:card=readertest,t1 \
	generic-ext-multi:card=readertest,t1 \
	ACR38U-CCID.txt:card=readertest,t0
"$top_builddir/tests/unit/usbip_host" 127.0.0.1 "$PORT" 1-1:1 1-2:1 1-3:1:ext 1-4:0 \
	> "$WORK/tap"
rc=$?
grep -v '^1\.\.' "$WORK/tap"
n=$(grep -c '^\(not \)\?ok' "$WORK/tap")
# The server counted every URB the client sent, by kind.
"$CCIDLAB" list --json --socket "$CTL" > "$WORK/list.json"
"${PYTHON3:-python3}" - "$WORK/tap" "$WORK/list.json" $((n + 1)) <<'PY'
import json, re, sys
sent = {}
for line in open(sys.argv[1]):
    m = re.match(r"# urbs (\S+) total control (\d+) bulk-out (\d+) bulk-in (\d+)", line)
    if m:
        sent[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
seen = {r["name"]: r["counters"] for r in json.load(open(sys.argv[2]))["readers"]}
bad = [b for b in sent if sent[b] != (seen[b]["urb_control"], seen[b]["urb_bulk_out"],
                                       seen[b]["urb_bulk_in"])]
print("%sok %s - the server counted the URBs of each reader as the client sent them (%s)" % (
    "not " if bad or len(sent) != 4 else "", sys.argv[3], ", ".join(
        "%s %d/%d/%d" % ((b,) + sent[b]) for b in sorted(sent))))
PY
[ $? -eq 0 ] || rc=1
echo "1..$((n + 1))"
exit $rc
