#!/bin/sh
# The legacy positive control (issue 7): `ccidlab legacy-wait`, which does
# SCardGetStatusChange the pre-1.8.24 way over pcscd's protocol 4:4,
# 1. survives a daemon that refuses, hangs up or goes quiet (a scripted
#    stand-in for pcscd's socket: clients/legacy_robust.py);
# 2. sees a plain insert made through the control plane;
# 3. loses wakeups against Debian's pcscd when a mute card (present, no
#    ATR) widens its fetch-to-register window, while pyscard on the fixed
#    libpcsclite, in the same lab and on the same edges, loses none.  The
#    edge pattern and the oracle are explained in clients/legacy_control.py.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/wide" "wide" "emu:generic-apdu-irq:name=wide:card=readertest@mute"
reader_conf "$conf/tog" "tog" "emu:generic-apdu-irq:name=tog:card=none"
cd "$top_srcdir/tests/integration/clients" || exit 1
"$PYTHON3" legacy_robust.py "$CCIDLAB" "$WORK" > "$WORK/robust" 2>&1 ||
	echo "not ok - legacy_robust.py exited $?" >> "$WORK/robust"
# 4 rounds of about 6.2 s: the whole test stays near 30 s.
lab main --conf "$conf" -- "$PYTHON3" legacy_control.py "$CCIDLAB" wide tog 4 7 \
	> "$WORK/control" 2>&1 || echo "not ok - the lab exited $?" >> "$WORK/control"
# One TAP stream: the two plans dropped, the tests renumbered, the plan last.
cat "$WORK/robust" "$WORK/control" | awk '
	/^1\.\.[0-9]+/ { next }
	/^ok / || /^not ok / {
		n++; neg = /^not/; sub(/^(not )?ok( [0-9]+)?/, "");
		printf "%s %d%s\n", neg ? "not ok" : "ok", n, $0; next }
	/^Bail out!/ { n++; printf "not ok %d - %s\n", n, $0; next }
	{ print }
	END { if (n == 0) { n = 1; print "not ok 1 - no test ran" } printf "1..%d\n", n }'
