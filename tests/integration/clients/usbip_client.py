"""ccidlab — a small USB/IP client for the tests of `ccidlab usbip`.

It speaks the wire format of Documentation/usb/usbip_protocol.rst (version
0x0111) the way the Linux kernel's vhci-hcd does: OP_REQ_DEVLIST,
OP_REQ_IMPORT, then CMD_SUBMIT and CMD_UNLINK with their replies, plus
the CCID messages a driver sends on the bulk pipes.  It is our code
talking to our server: the interoperability proof is the kernel's
vhci-hcd (the VM lab); these tests check the server's behaviour in
detail and where no kernel can (hostile packets, vanishing peers).
"""
import select
import socket
import struct
import time

VERSION = 0x0111
OP_REQ_DEVLIST, OP_REP_DEVLIST = 0x8005, 0x0005
OP_REQ_IMPORT, OP_REP_IMPORT = 0x8003, 0x0003
CMD_SUBMIT, CMD_UNLINK, RET_SUBMIT, RET_UNLINK = 1, 2, 3, 4
DIR_OUT, DIR_IN = 0, 1
SHORT_NOT_OK = 0x1
HEADER = 48
DEVICE = 0x138

# Completion statuses (Linux errno values, negated on the wire).
EPIPE, ENODEV, ENOMEM, EINVAL = 32, 19, 12, 22
EPROTO, EOVERFLOW, ECONNRESET, EREMOTEIO = 71, 75, 104, 121


class Closed(Exception):
    """The server closed the connection."""


def parse_device(b, with_interfaces):
    path = b[:256].split(b"\0", 1)[0].decode()
    busid = b[256:288].split(b"\0", 1)[0].decode()
    (busnum, devnum, speed, vid, pid, bcd, dcls, dsub, dproto, cfg, ncfg,
     nif) = struct.unpack(">IIIHHHBBBBBB", b[288:DEVICE])
    dev = {"path": path, "busid": busid, "busnum": busnum, "devnum": devnum,
           "speed": speed, "vid": vid, "pid": pid, "bcd": bcd,
           "class": (dcls, dsub, dproto), "config": cfg, "nconfigs": ncfg,
           "ninterfaces": nif, "interfaces": []}
    if with_interfaces:
        for i in range(nif):
            off = DEVICE + 4 * i
            dev["interfaces"].append(tuple(b[off:off + 3]))
    return dev


class Usbip:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.seq = 0
        self.devid = 0
        self.pending = {}  # replies read while waiting for another one
        self.buf = b""
        self.dirs = {}  # the direction of each URB sent: IN replies carry data

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n, timeout=10.0):
        end = time.monotonic() + timeout
        while len(self.buf) < n:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply within %.1f s" % timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("the server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def closed_by_server(self, timeout=20.0):
        """True when the server closes the connection within timeout (a
        cap, met only when the close never comes: a loaded server takes
        its time to stop a session's threads)."""
        try:
            while True:
                self.recv_exact(1, timeout)
        except Closed:
            return True
        except (TimeoutError, OSError):
            return False

    # ---- the operation phase ----

    def devlist(self):
        self.send(struct.pack(">HHI", VERSION, OP_REQ_DEVLIST, 0))
        ver, code, status = struct.unpack(">HHI", self.recv_exact(8))
        assert (ver, code, status) == (VERSION, OP_REP_DEVLIST, 0), (ver, code, status)
        (n,) = struct.unpack(">I", self.recv_exact(4))
        devs = []
        for _ in range(n):
            head = self.recv_exact(DEVICE)
            nif = head[DEVICE - 1]
            devs.append(parse_device(head + self.recv_exact(4 * nif), True))
        return devs

    def import_(self, busid):
        """OP_REQ_IMPORT: (status, device or None)."""
        self.send(struct.pack(">HHI", VERSION, OP_REQ_IMPORT, 0) +
                  busid.encode().ljust(32, b"\0"))
        ver, code, status = struct.unpack(">HHI", self.recv_exact(8))
        assert (ver, code) == (VERSION, OP_REP_IMPORT), (ver, code)
        if status != 0:
            return status, None
        dev = parse_device(self.recv_exact(DEVICE), False)
        self.devid = dev["busnum"] << 16 | dev["devnum"]
        return 0, dev

    # ---- URBs ----

    def submit(self, ep, direction, length, data=b"", setup=b"\0" * 8, flags=0,
               devid=None, seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        head = struct.pack(">IIIII", CMD_SUBMIT, seq, self.devid if devid is None else devid,
                           direction, ep)
        head += struct.pack(">IIIII", flags, length, 0, 0xFFFFFFFF, 0) + setup
        self.dirs[seq] = direction
        self.send(head + (data if direction == DIR_OUT else b""))
        return seq

    def unlink(self, target):
        self.seq += 1
        self.send(struct.pack(">IIIII", CMD_UNLINK, self.seq, self.devid, 0, 0) +
                  struct.pack(">I", target) + b"\0" * 24)
        return self.seq

    def read_reply(self, timeout=10.0):
        head = self.recv_exact(HEADER, timeout)
        cmd, seq, devid, direction, ep = struct.unpack(">IIIII", head[:20])
        status, actual = struct.unpack(">iI", head[20:28])
        if cmd == RET_UNLINK:
            return {"kind": "unlink", "seq": seq, "status": status}
        assert cmd == RET_SUBMIT, "unexpected command %d" % cmd
        try:
            data = self.recv_exact(actual, timeout) if actual and self.in_flight_dir(seq) else b""
        except TimeoutError:
            self.buf = head + self.buf  # whole replies only: the next read starts here
            raise
        return {"kind": "submit", "seq": seq, "status": status, "actual": actual, "data": data}

    def in_flight_dir(self, seq):
        return self.dirs.get(seq, DIR_IN) == DIR_IN

    def wait(self, seq, timeout=10.0):
        if seq in self.pending:
            return self.pending.pop(seq)
        end = time.monotonic() + timeout
        while True:
            r = self.read_reply(max(0.01, end - time.monotonic()))
            if r["seq"] == seq:
                return r
            self.pending[r["seq"]] = r

    def quiet(self, timeout):
        """True when nothing arrives within timeout."""
        try:
            r = self.read_reply(timeout)
        except TimeoutError:
            return True
        self.pending[r["seq"]] = r
        return False

    def xfer(self, ep, direction, length, data=b"", setup=b"\0" * 8, flags=0, timeout=10.0):
        return self.wait(self.submit(ep, direction, length, data, setup, flags), timeout)

    def control(self, bm, req, value, index, length, data=b"", timeout=10.0):
        setup = struct.pack("<BBHHH", bm, req, value, index, length)
        d = DIR_IN if bm & 0x80 else DIR_OUT
        return self.xfer(0, d, length, data, setup, timeout=timeout)


# ---- CCID (CCID 1.1 §6) over the bulk pipes ----

class Ccid:
    def __init__(self, usbip, ep_out=1, ep_in=2, slot=0):
        self.u = usbip
        self.ep_out, self.ep_in, self.slot = ep_out, ep_in, slot
        self.bseq = 0

    def command(self, mtype, data=b"", param=b"\0\0\0"):
        self.bseq = (self.bseq + 1) & 0xFF
        msg = struct.pack("<BIBB", mtype, len(data), self.slot, self.bseq) + param + data
        r = self.u.xfer(self.ep_out, DIR_OUT, len(msg), msg)
        if r["status"] != 0:
            raise RuntimeError("bulk-OUT status %d" % r["status"])
        while True:
            r = self.u.xfer(self.ep_in, DIR_IN, 65546)
            if r["status"] != 0:
                raise RuntimeError("bulk-IN status %d" % r["status"])
            m = r["data"]
            if len(m) < 10:
                raise RuntimeError("short answer %s" % m.hex())
            if m[7] & 0xC0 == 0x80:  # a time extension (CCID 1.1 §6.2.6)
                continue
            if m[6] != self.bseq:
                raise RuntimeError("answer bSeq %d for command %d" % (m[6], self.bseq))
            return m

    def slot_status(self):
        return self.command(0x65)

    def power_on(self):
        m = self.command(0x62)
        if m[7] & 0x40:
            raise RuntimeError("IccPowerOn failed, bError 0x%02x" % m[8])
        return m[10:]

    def xfr(self, apdu):
        m = self.command(0x6F, apdu)
        if m[7] & 0x40:
            raise RuntimeError("XfrBlock failed, bError 0x%02x" % m[8])
        return m[10:]
