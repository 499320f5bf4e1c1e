#!/usr/bin/env python3
"""ccidlab — every control request end to end, through a real pcscd (TAP).

Readers (reader.conf.d of tests/integration/ctl-requests.sh): ev (event
mode, empty), po (polling-only, empty), multi (2 slots, readertest cards).
Each insert, remove, swap, mute, scenario and storm must show in the edge
stream AND to a PC/SC client; faults, traces and bad lines as documented
in ccidlab-ctl(7).
"""
import json
import os
import subprocess
import tempfile
import sys
import time

import ctl
import pcsc
from smartcard import scard as S

CCIDLAB = os.environ["CCIDLAB"]


def cli(*args):
    return subprocess.run([CCIDLAB] + list(args), capture_output=True, text=True, timeout=60)


def pcsc_state(ctx, name, want_present, timeout=3.0):
    """Waits for the reader to show (or not) a card to a PC/SC client."""
    end = time.monotonic() + timeout
    state = S.SCARD_STATE_UNAWARE
    while time.monotonic() < end:
        rv, st = S.SCardGetStatusChange(ctx, 200, [(name, state)])
        if rv == S.SCARD_S_SUCCESS:
            state = st[0][1] & ~S.SCARD_STATE_CHANGED
        if bool(state & S.SCARD_STATE_PRESENT) == want_present and \
                not state & S.SCARD_STATE_UNAWARE:
            return True
    return False


def edge(sub, reader, slot, state, source):
    return sub.wait_for(lambda e: e["device"] == reader and e["slot"] == slot and
                        e["state"] == state and e["source"] == source)


def main():
    pcsc.plan(18)
    c = ctl.Ctl()
    sub = ctl.Subscriber()
    ctx = pcsc.context()
    names = pcsc.readers(ctx)

    rep = c.req("hello")
    pcsc.ok(rep["ok"] and rep["protocol"] == 1 and "storm" in rep["requests"],
            "hello reports protocol 1 and the requests", rep)
    rep = c.req("list")
    got = sorted((r["name"], r["mode"], len(r["slots"])) for r in rep["readers"])
    pcsc.ok(got == [("ev", "event", 1), ("multi", "event", 2), ("po", "poll", 1)],
            "list gives the three readers with mode and slots", got)

    for reader, mode in (("ev", "event"), ("po", "poll")):
        r = cli("insert", reader, "--card", "readertest@t1")
        pcsc.ok(r.returncode == 0 and edge(sub, reader, 0, "present", "control") and
                pcsc_state(ctx, reader_name(names, reader), True),
                "ccidlab insert %s (%s mode): in the edge stream and to a PC/SC client" % (reader, mode),
                r.stderr)
        r = cli("remove", reader)
        pcsc.ok(r.returncode == 0 and edge(sub, reader, 0, "absent", "control") and
                pcsc_state(ctx, reader_name(names, reader), False),
                "ccidlab remove %s: in the edge stream and to a PC/SC client" % reader, r.stderr)

    n0 = len(sub.edges)
    r = cli("swap", "multi/1", "--card", "echo")
    swapped = [e for e in sub.edges[n0:] if e["device"] == "multi" and e["source"] == "control"]
    time.sleep(0.3)
    swapped = [e for e in sub.edges[n0:] if e["device"] == "multi" and e["source"] == "control"]
    pcsc.ok(r.returncode == 0 and [e["state"] for e in swapped][:2] == ["absent", "present"],
            "ccidlab swap multi/1 makes two edges, absent then present", swapped)

    r1 = cli("mute", "multi/0")
    ok1 = edge(sub, "multi", 0, "mute", "control")
    r2 = cli("unmute", "multi/0")
    ok2 = edge(sub, "multi", 0, "present", "control")
    pcsc.ok(r1.returncode == 0 and r2.returncode == 0 and ok1 and ok2,
            "ccidlab mute and unmute multi/0 show in the stream", r1.stderr + r2.stderr)

    # A fault for one command: the next APDU fails, the one after works.
    card, proto = pcsc.connect(ctx, reader_name(names, "multi"))
    sel = bytes([0, 0xA4, 4, 0, 6, 0xA0, 0, 0, 0, 0x18, 0xFF])
    r = cli("fault", "set", "multi/0", "fail:0xFB@1")
    rv1, _ = S.SCardTransmit(card, proto, list(sel))
    rv2, rsp = S.SCardTransmit(card, proto, list(sel))
    pcsc.ok(r.returncode == 0 and rv1 != S.SCARD_S_SUCCESS and rv2 == S.SCARD_S_SUCCESS and
            bytes(rsp) == b"\x90\x00",
            "fault set fail:0xFB@1 fails exactly the next APDU (0x%X, then %s)" % (
                rv1 & 0xFFFFFFFF, bytes(rsp).hex()), r.stderr)
    r = cli("fault", "set", "multi/0", "slow:50")
    listed = c.req("list")
    faults = [s["faults"] for rd in listed["readers"] if rd["name"] == "multi" for s in rd["slots"]][0]
    r2 = cli("fault", "clear", "multi")
    listed = c.req("list")
    after = [s["faults"] for rd in listed["readers"] if rd["name"] == "multi" for s in rd["slots"]][0]
    pcsc.ok(r.returncode == 0 and faults == ["slow:50"] and r2.returncode == 0 and after == [],
            "fault set and clear show in list", (faults, after))

    # Trace: the frames of one APDU, out and in.
    t = ctl.Ctl()
    rep = t.req("trace-on", reader="multi")
    rv, rsp = S.SCardTransmit(card, proto, list(sel))
    frames = []
    t.sock.settimeout(3)
    try:
        while len(frames) < 2:
            frames.append(t.line())
    except OSError:
        pass
    dirs = [f.get("dir") for f in frames if f and f.get("event") == "frame"]
    pcsc.ok(rep["ok"] and "out" in dirs and "in" in dirs,
            "trace-on streams the CCID frames of an APDU, out and in", frames)
    t.req("trace-off")
    S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)

    # A scenario: two steps on ev, seen in the stream with source timeline.
    scn = ("[step 1]\nat_ms=0\nreader=ev\nslot=0\naction=insert\ncard=readertest\n\n"
           "[step 2]\nat_ms=200\nreader=ev\nslot=0\naction=remove\n")
    rep = c.req("scenario-load", data=scn)
    rep2 = c.req("scenario-start", scenario=rep.get("scenario"))
    pcsc.ok(rep["ok"] and rep2["ok"] and edge(sub, "ev", 0, "present", "timeline") and
            edge(sub, "ev", 0, "absent", "timeline"),
            "a loaded scenario runs, its edges come with source timeline", (rep, rep2))

    # Files go by the client (issue 20): ccidlab reads the script and the
    # scenario and sends their text, opens the trace file and passes it.
    with tempfile.TemporaryDirectory() as d:
        script, scenario, out = (os.path.join(d, n) for n in ("s.script", "s.ini", "t.jsonl"))
        with open(script, "w") as f:
            f.write("00 A4 04 00 * => CA FE 90 00\n")
        with open(scenario, "w") as f:
            f.write("[step 1]\nat_ms=0\nreader=ev\nslot=0\naction=insert\ncard=echo\n")
        r1 = cli("swap", "multi/1", "--app", "script:" + script)
        r2 = cli("trace", "--file", out, "multi")
        card, proto = pcsc.connect(ctx, reader_name(names, "multi", 1))
        rv, rsp = S.SCardTransmit(card, proto, list(sel))
        S.SCardDisconnect(card, S.SCARD_LEAVE_CARD)
        r3 = cli("trace", "off")
        with open(out) as f:
            traced = [json.loads(line) for line in f]
        def timeline_inserts():
            return len([e for e in sub.edges if e["device"] == "ev" and e["state"] == "present"
                        and e["source"] == "timeline"])
        n0 = timeline_inserts()
        r4 = cli("scenario", "run", "--wait", scenario)
        got_edge = sub.wait_for(lambda e: timeline_inserts() > n0)
        cli("remove", "ev")
        pcsc.ok(all(r.returncode == 0 for r in (r1, r2, r3, r4)) and bytes(rsp) == b"\xca\xfe\x90\x00"
                and {t.get("dir") for t in traced} == {"out", "in"} and got_edge,
                "ccidlab sends a script's and a scenario's text and passes the trace file: "
                "the card answers CAFE, the file has the frames, the scenario runs",
                (r1.stderr, r2.stderr, r3.stderr, r4.stderr, bytes(rsp).hex(), len(traced)))

    # A storm: seeded, its edges all reach the stream.
    # Counted once the storm is done (its second may stretch on a busy
    # machine) and the stream has caught up with it, each within a cap.
    r = cli("storm", "--rate", "200", "--duration", "1", "--seed", "7", "--readers", "ev,po")
    end = time.monotonic() + 30
    st = c.req("storm-status")
    while time.monotonic() < end and any(s["state"] == "running" for s in st["storms"]):
        time.sleep(0.1)
        st = c.req("storm-status")
    applied = sum(s["applied"] for s in st["storms"])
    sub.wait_for_count(lambda e: e["source"] == "storm", applied, timeout=10.0)
    seen = len([e for e in sub.edges if e["source"] == "storm"])
    pcsc.ok(r.returncode == 0 and applied > 0 and seen == applied,
            "a storm of %d edges: %d in the stream" % (applied, seen), r.stderr)
    rep = c.req("storm", rate=50, duration_ms=60000, seed=3)
    time.sleep(0.3)
    stop = c.req("storm-stop", storm=rep.get("storm"))
    st = c.req("storm-status", storm=rep.get("storm"))
    pcsc.ok(rep["ok"] and stop["ok"] and st["storms"][0]["state"] == "stopped",
            "storm-stop ends a running storm", st)

    # Remove and reinsert between two looks of pcscd (the removal's
    # NotifySlotChange is dropped): the driver still shows pcscd both
    # edges, so the event counter rises by 2.
    ev = reader_name(names, "ev")
    cli("insert", "ev", "--card", "readertest")
    pcsc_state(ctx, ev, True)
    rv, st = S.SCardGetStatusChange(ctx, 0, [(ev, S.SCARD_STATE_UNAWARE)])
    c0 = st[0][1] >> 16
    cli("fault", "set", "ev", "drop-notify@1")
    cli("remove", "ev")
    cli("insert", "ev", "--card", "readertest")
    time.sleep(1.0)
    rv, st = S.SCardGetStatusChange(ctx, 0, [(ev, S.SCARD_STATE_UNAWARE)])
    c1 = st[0][1] >> 16
    pcsc.ok(c1 == c0 + 2 and st[0][1] & S.SCARD_STATE_PRESENT,
            "a remove and reinsert seen as one notification still counts two edges (%d -> %d)" % (c0, c1))

    # Bad lines get error replies; the connection and the server live on.
    b = ctl.Ctl()
    b.send_raw(b"this is not json\n")
    e1 = b.line()
    e2 = b.req("no-such-request")
    e3 = b.req("insert", reader="ev", colour="red")
    ok = b.req("list")
    pcsc.ok(e1["error"]["code"] == "bad-json" and e2["error"]["code"] == "unknown-request" and
            e3["error"]["code"] == "bad-request" and ok["ok"],
            "bad JSON, unknown request and unknown member get their error codes",
            (e1, e2, e3))
    b.send_raw(b"{" + b" " * 70000 + b"}\n")
    e4 = b.line()
    pcsc.ok(e4 is not None and e4["error"]["code"] == "line-too-long",
            "an oversized line is refused as line-too-long", e4)
    S.SCardReleaseContext(ctx)
    pcsc.done()


def reader_name(names, driver_name, slot=0):
    """pcscd's name for a slot: the tests give FRIENDLYNAME = driver name,
    and pcscd appends the reader number and the slot ("multi 02 01")."""
    for full in names:
        words = full.split()
        if words[0] == driver_name and int(words[-1], 16) == slot:
            return full
    raise RuntimeError("no PC/SC reader for %s/%d in %s" % (driver_name, slot, names))


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError, KeyError, TypeError) as e:
        print("Bail out! %r" % e)
