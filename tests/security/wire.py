"""A hostile (or plain) peer for the security tests: msgpack frames by hand, so the
tests need nothing beyond python3. Frames are a 4-byte big-endian length and one
msgpack map (docs/PROTOCOL.md)."""
import socket
import struct


def pack(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if 0 <= v < 1 << 32:
            return b"\xce" + struct.pack(">I", v)
        return b"\xcf" + struct.pack(">Q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(v, (list, tuple)):
        return b"\xdd" + struct.pack(">I", len(v)) + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        return b"\xdf" + struct.pack(">I", len(v)) + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


def unpack(b, i=0):
    c = b[i]
    if c < 0x80:
        return c, i + 1
    if 0x80 <= c <= 0x8F:
        return _map(b, i + 1, c & 15)
    if 0x90 <= c <= 0x9F:
        return _arr(b, i + 1, c & 15)
    if 0xA0 <= c <= 0xBF:
        n = c & 31
        return b[i + 1:i + 1 + n].decode(), i + 1 + n
    if c >= 0xE0:
        return c - 256, i + 1
    fixed = {0xC0: None, 0xC2: False, 0xC3: True}
    if c in fixed:
        return fixed[c], i + 1
    ints = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
            0xCA: ">f", 0xCB: ">d"}
    if c in ints:
        n = struct.calcsize(ints[c])
        return struct.unpack(ints[c], b[i + 1:i + 1 + n])[0], i + 1 + n
    strs = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
    if c in strs:
        w = struct.calcsize(strs[c])
        n = struct.unpack(strs[c], b[i + 1:i + 1 + w])[0]
        raw = b[i + 1 + w:i + 1 + w + n]
        return (raw.decode() if c >= 0xD9 else raw), i + 1 + w + n
    if c in (0xDC, 0xDD):
        w = 2 if c == 0xDC else 4
        return _arr(b, i + 1 + w, int.from_bytes(b[i + 1:i + 1 + w], "big"))
    if c in (0xDE, 0xDF):
        w = 2 if c == 0xDE else 4
        return _map(b, i + 1 + w, int.from_bytes(b[i + 1:i + 1 + w], "big"))
    raise ValueError("msgpack byte 0x%02x" % c)


def _arr(b, i, n):
    out = []
    for _ in range(n):
        v, i = unpack(b, i)
        out.append(v)
    return out, i


def _map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = unpack(b, i)
        v, i = unpack(b, i)
        out[k] = v
    return out, i


class Peer:
    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.rid = 0

    def send(self, msg):
        body = pack(msg)
        self.s.sendall(struct.pack(">I", len(body)) + body)

    def recv(self):
        """The next message as a dict, or None when the coordinator closed."""
        head = self._exact(4)
        if head is None:
            return None
        body = self._exact(struct.unpack(">I", head)[0])
        return None if body is None else unpack(body)[0]

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            try:
                got = self.s.recv(n - len(buf))
            except (ConnectionResetError, socket.timeout):
                return None
            if not got:
                return None
            buf += got
        return buf

    def hello(self, role, peer_id="t", token=None, slots=1):
        m = {"t": "hello", "version": 1, "role": role, "peer_id": peer_id, "slots": slots}
        if token is not None:
            m["token"] = token
        self.send(m)
        return self.recv()

    def request(self, msg):
        self.rid += 1
        msg = dict(msg, rid=self.rid)
        self.send(msg)
        while True:
            r = self.recv()
            if r is None or r.get("rid") == self.rid:
                return r

    def closed(self, wait=3.0):
        """True when the coordinator closes the connection within wait seconds."""
        self.s.settimeout(wait)
        try:
            while True:
                got = self.s.recv(65536)
                if not got:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()
