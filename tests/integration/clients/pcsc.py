"""ccidlab — small helpers shared by the PC/SC integration clients (TAP)."""
import os
import sys

from smartcard import scard as S

_n = 0
_failed = 0


def plan(n):
    print("1..%d" % n, flush=True)


def ok(cond, desc, diag=None):
    global _n, _failed
    _n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", _n, desc), flush=True)
    if not cond:
        _failed += 1
        if diag:
            for line in str(diag).splitlines():
                print("# " + line, flush=True)
    return cond


def done():
    sys.exit(0)


def check(rv, what):
    if rv != S.SCARD_S_SUCCESS:
        raise RuntimeError("%s: %s (0x%08X)" % (what, S.SCardGetErrorMessage(rv), rv & 0xFFFFFFFF))


def context():
    rv, ctx = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
    check(rv, "SCardEstablishContext")
    return ctx


def readers(ctx):
    rv, names = S.SCardListReaders(ctx, [])
    if rv == S.SCARD_E_NO_READERS_AVAILABLE:
        return []
    check(rv, "SCardListReaders")
    return names


def find(ctx, prefix):
    for name in readers(ctx):
        if name.startswith(prefix):
            return name
    raise RuntimeError("no reader named %s... in %s" % (prefix, readers(ctx)))


def connect(ctx, reader, protocols=S.SCARD_PROTOCOL_T0 | S.SCARD_PROTOCOL_T1):
    rv, card, proto = S.SCardConnect(ctx, reader, S.SCARD_SHARE_SHARED, protocols)
    check(rv, "SCardConnect %s" % reader)
    return card, proto


def transmit(card, proto, apdu):
    rv, rsp = S.SCardTransmit(card, proto, list(apdu))
    check(rv, "SCardTransmit")
    return bytes(rsp)


def pcscd_log():
    path = os.environ.get("CCIDLAB_PCSCD_LOG")
    if not path:
        return ""
    with open(path, errors="replace") as f:
        return f.read()


# SCARD_* names by value, for reports ("SCARD_E_NOT_TRANSACTED").
_NAMES = {}
for _k in dir(S):
    if _k.startswith(("SCARD_E_", "SCARD_W_", "SCARD_F_", "SCARD_S_")):
        _NAMES.setdefault(getattr(S, _k) & 0xFFFFFFFF, _k)


def rv_symbol(rv):
    return _NAMES.get(rv & 0xFFFFFFFF, "0x%08X" % (rv & 0xFFFFFFFF))


def pcscd_alive():
    """The lab's pcscd ($CCIDLAB_PCSCD_PID) exists and is not a zombie."""
    pid = os.environ.get("CCIDLAB_PCSCD_PID")
    try:
        with open("/proc/%s/status" % pid) as f:
            return not any(l.startswith("State:") and "Z" in l for l in f)
    except (OSError, TypeError):
        return False


def run(main):
    """Runs a client's main: a RuntimeError that escapes it is a TAP
    "Bail out!" line, and the process ends as done() ends it."""
    try:
        main()
    except RuntimeError as e:
        print("Bail out! %s" % e)
        done()
