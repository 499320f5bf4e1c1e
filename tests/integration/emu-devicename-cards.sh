#!/bin/sh
# A script card and a files card named in DEVICENAMEs exactly as
# ccidlab-devicename(5) writes them (issue 17): card=script:FILE@t1
# unquoted, card=files:FILE with a '\:' in the path, and a quoted
# DEVICENAME whose path holds a space; each card loaded whole and
# answering through pcscd as its file says (pyscard).  The catalogue names
# with '+' only quoting allows are in catalogue-pcscd.sh.
. "$top_srcdir/tests/integration/lib.sh"
conf="$WORK/conf"
mkdir -p "$conf" "$WORK/my cards" "$WORK/cards"

cat > "$WORK/pin.script" <<'EOF'
# the script card of the man page's first example
00 20 00 00 04 31 32 33 34 => 90 00
80 CA 00 01 00             => 0A 0B 0C 90 00
EOF
# The files cards: one element file 3F00/5015/4402 each, told apart by
# its content.
files_card() {
	cat > "$1" <<EOF
[MF]
type=DF

[app]
type=DF
fid=5015

[data]
type=EF
fid=4402
parent=app
content=$2
EOF
}
files_card "$WORK/cards/a:b.ini" 0A0B0C0D
files_card "$WORK/my cards/d.ini" 11223344

# The man page's three forms, on this test's paths.
printf 'FRIENDLYNAME "Script"\nDEVICENAME emu:generic-t1-irq:card=script:%s@t1:name=pin\nLIBPATH /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so\n' \
	"$WORK/pin.script" > "$conf/1"
printf 'FRIENDLYNAME "Escaped"\nDEVICENAME emu:generic-t1-irq:card=files:%s\\:b.ini\nLIBPATH /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so\n' \
	"$WORK/cards/a" > "$conf/2"
printf 'FRIENDLYNAME "Quoted"\nDEVICENAME "emu:generic-t1-irq:card=files:%s"\nLIBPATH /usr/lib/pcsc/drivers/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so\n' \
	"$WORK/my cards/d.ini" > "$conf/3"

cat > "$WORK/client.py" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import pcsc
from smartcard import scard as S

SELECT_FILE = [0x00, 0xA4, 0x00, 0x0C, 0x02]
READ = bytes([0x00, 0xB0, 0x00, 0x00, 0x04])


def card(ctx, prefix):
    reader = pcsc.find(ctx, prefix + " ")
    c, proto = pcsc.connect(ctx, reader)
    return reader, c, proto


def files(ctx, prefix, want):
    reader, c, proto = card(ctx, prefix)
    got = [pcsc.transmit(c, proto, bytes(SELECT_FILE + fid)) for fid in ([0x50, 0x15],
                                                                        [0x44, 0x02])]
    data = pcsc.transmit(c, proto, READ)
    pcsc.ok(got == [b"\x90\x00"] * 2 and data == want + b"\x90\x00",
            "%s: the files card from its DEVICENAME reads %s from 5015/4402" % (reader, want.hex()),
            "SELECTs %s, READ BINARY %s" % ([g.hex() for g in got], data.hex()))
    S.SCardDisconnect(c, S.SCARD_LEAVE_CARD)


ctx = pcsc.context()
pcsc.plan(4)
reader, c, proto = card(ctx, "Script")
pcsc.ok(proto == S.SCARD_PROTOCOL_T1, "%s: card=script:FILE@t1 is a T=1 card" % reader)
v = pcsc.transmit(c, proto, bytes([0x00, 0x20, 0x00, 0x00, 0x04]) + b"1234")
d = pcsc.transmit(c, proto, bytes([0x80, 0xCA, 0x00, 0x01, 0x00]))
pcsc.ok(v == b"\x90\x00" and d == bytes([0x0A, 0x0B, 0x0C, 0x90, 0x00]),
        "%s: the script card answers as its file says" % reader, "%s %s" % (v.hex(), d.hex()))
S.SCardDisconnect(c, S.SCARD_LEAVE_CARD)
files(ctx, "Escaped", bytes([0x0A, 0x0B, 0x0C, 0x0D]))
files(ctx, "Quoted", bytes([0x11, 0x22, 0x33, 0x44]))
S.SCardReleaseContext(ctx)
pcsc.done()
EOF
lab main --conf "$conf" -- "$PYTHON3" "$WORK/client.py" "$top_srcdir/tests/integration/clients"
rc=$?
[ "$rc" -eq 0 ] || echo "# the lab ended with status $rc; pcscd log: $(lab_log main)"
exit 0
