"""ccidlab — a raw client of the control socket, for the integration tests."""
import json
import os
import socket
import threading


class Ctl:
    def __init__(self, path=None):
        self.path = path or os.environ["CCIDLAB_CTL_SOCKET"]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.path)
        self.file = self.sock.makefile("rb")
        self.next_id = 1

    def send_raw(self, data):
        self.sock.sendall(data)

    def line(self):
        raw = self.file.readline()
        return json.loads(raw) if raw else None

    def req(self, name, **members):
        msg = {"v": 1, "id": self.next_id, "req": name}
        msg.update(members)
        self.next_id += 1
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        while True:
            rep = self.line()
            if rep is None or "ok" in rep:
                return rep

    def close(self):
        self.sock.close()


class Subscriber(threading.Thread):
    """Collects the edge stream on its own connection."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ctl = Ctl()
        rep = self.ctl.req("subscribe")
        assert rep and rep["ok"], rep
        # The reply was bounded (10 s); the stream is not: with the
        # socket's timeout, a quiet spell of 10 s (a test's other steps on
        # a busy machine) ended this thread, and every later edge was
        # missed.  A daemon thread: it ends with the client.
        self.ctl.sock.settimeout(None)
        self.edges = []
        self.cond = threading.Condition()
        self.start()

    def run(self):
        try:
            while True:
                msg = self.ctl.line()
                if msg is None:
                    return
                if msg.get("event") == "edge":
                    with self.cond:
                        self.edges.append(msg)
                        self.cond.notify_all()
        except (OSError, ValueError):
            return

    def wait_for_count(self, pred, n, timeout=5.0):
        """Until n edges match pred, or timeout: whether they did."""
        with self.cond:
            return self.cond.wait_for(lambda: sum(1 for e in self.edges if pred(e)) >= n, timeout)

    def wait_for(self, pred, timeout=5.0):
        with self.cond:
            ok = self.cond.wait_for(lambda: any(pred(e) for e in self.edges), timeout)
            return ok
