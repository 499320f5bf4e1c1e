#!/bin/sh
# The control socket under abuse: 10,000 random, malformed or oversized
# lines, and 100 clients that vanish mid-request; then pcscd still serves
# APDUs and the server still answers list.  And another uid is refused.
. "$top_srcdir/tests/integration/lib.sh"
plan 5
conf="$WORK/conf"
mkdir -p "$conf"
reader_conf "$conf/1" ev "emu:generic-apdu-irq:name=ev"
cat > "$WORK/abuse.py" <<'EOP'
import os, random, socket, sys, time
sys.path.insert(0, sys.argv[1])
import ctl, pcsc
rng = random.Random(99)
path = os.environ["CCIDLAB_CTL_SOCKET"]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.setblocking(False)
    return s
def drain(s):
    try:
        while s.recv(65536):
            pass
    except (BlockingIOError, OSError):
        pass
kinds = [
    lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))) + b"\n",
    lambda: b'{"v":1,"req":' + bytes(rng.randrange(32, 127) for _ in range(20)) + b"\n",
    lambda: b'{"v":1,"req":"insert","reader":[1,2,{"x":' + b"9" * 30 + b'}]}\n',
    lambda: b'{"v":2,"req":"list"}\n',
    lambda: b'{"v":1,"req":"storm","rate":-5,"duration_ms":"x"}\n',
    lambda: b"[" * 50 + b"\n",
    lambda: b"x" * rng.randrange(60000, 140000) + b"\n",
]
sent = 0
s = conn()
while sent < 10000:
    line = rng.choice(kinds)()
    try:
        s.setblocking(True)
        s.sendall(line)
        s.setblocking(False)
    except OSError:
        s.close()
        s = conn()
        continue
    sent += 1
    if sent % 50 == 0:
        drain(s)
s.close()
for i in range(100):
    v = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    v.connect(path)
    v.sendall(b'{"v":1,"id":1,"req":"li')
    v.close()
time.sleep(0.5)
c = ctl.Ctl()
rep = c.req("list")
print("list", "ok" if rep and rep["ok"] else rep)
ctx = pcsc.context()
card, proto = pcsc.connect(ctx, pcsc.readers(ctx)[0])
rsp = pcsc.transmit(card, proto, bytes([0, 0xA4, 4, 0, 6, 0xA0, 0, 0, 0, 0x18, 0xFF]))
print("apdu", rsp.hex())
print("sent", sent)
EOP
cat > "$WORK/perm.sh" <<'EOP'
# As another uid: the socket is made reachable so that the server's own
# SO_PEERCRED check is what refuses.
sock=$CCIDLAB_CTL_SOCKET
chmod 0666 "$sock"
setpriv --reuid=65534 --regid=65534 --clear-groups "$1" list --socket "$sock" > "$2.out" 2> "$2.err"
echo $? > "$2.rc"
chmod 0600 "$sock"
"$1" list --socket "$sock" > /dev/null 2>&1
echo $? > "$2.rc-owner"
EOP
lab main --conf "$conf" -- sh -c "'$PYTHON3' '$WORK/abuse.py' '$top_srcdir/tests/integration/clients' > '$WORK/abuse.out' 2>&1; sh '$WORK/perm.sh' '$CCIDLAB' '$WORK/perm'"
rc=$?
check "the lab survived the abuse ($rc)" [ "$rc" -eq 0 ]
check "10,000 bad lines were sent" grep -qx "sent 10000" "$WORK/abuse.out"
check "list still answers afterwards" grep -qx "list ok" "$WORK/abuse.out"
check "pcscd still serves APDUs afterwards" grep -qx "apdu 9000" "$WORK/abuse.out"
[ "$tap_failed" -eq 0 ] || diag "$(tail -5 "$WORK/abuse.out")"
if [ "$(id -u)" -ne 0 ]; then
	skip "another uid is refused: needs root to switch uid with setpriv"
else
	check "another uid is refused (exit $(cat "$WORK/perm.rc"): $(head -c 120 "$WORK/perm.err")), the owner is served" \
		sh -c "[ \$(cat '$WORK/perm.rc') -eq 3 ] && grep -qi 'permission' '$WORK/perm.err' && [ \$(cat '$WORK/perm.rc-owner') -eq 0 ]"
fi
finish
