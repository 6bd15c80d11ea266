#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""An X11 clipboard owner that speaks the protocol on the socket itself,
with no libX11 or libxcb in the process: the way round library probes that a
user with python3 has (python-xlib, x11rb and Go's xgb do the same).

  x11_raw.py [--split|--iov|--mmsg] [--big] [--flood] [--msb]
             [--sendfile|--uring=HELPER] own FILE [SECONDS]

Owns CLIPBOARD with FILE's bytes, prints "ready", answers pastes (TARGETS,
then the text as UTF8_STRING) until SECONDS pass (default 20) or another
client takes the selection.  --split writes every request one byte per
send(); --iov writes each in one sendmsg() of one-byte iovecs; --mmsg in
one sendmmsg() of 7-byte messages; --big sends the content in the BIG-REQUESTS form (a zero 16-bit
length, then a 32-bit one), as xcb does for a large paste.  --flood first
writes 10M NoOperation requests in one call, more than the agent walks in
one syscall, to lose its framing.  --msb speaks the protocol big-endian (a
client chooses its byte order at connection setup).  --sendfile and
--uring=HELPER hide the content's ChangeProperty from a reader of the
client's memory: written to a file, then moved to the socket with
sendfile(), or by HELPER (tests/integration/uring_copy) with io_uring.
"""
import ctypes
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

SELECTION_CLEAR, SELECTION_REQUEST = 29, 30
E = "<"  # the byte order this client speaks (--msb: ">")
ATOM_ATOM = 4


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]


def sendmmsg(fd, data, size):
    """All of data, in messages of size bytes, as few sendmmsg() calls as it takes."""
    libc = ctypes.CDLL(None, use_errno=True)
    while data:
        parts = [data[i:i + size] for i in range(0, min(len(data), 1024 * size), size)]
        bufs = [ctypes.create_string_buffer(p, len(p)) for p in parts]
        iovs = (Iovec * len(parts))(*[Iovec(ctypes.cast(b, ctypes.c_void_p), len(p))
                                      for b, p in zip(bufs, parts)])
        msgs = (Mmsghdr * len(parts))()
        for i in range(len(parts)):
            msgs[i].hdr.iov = ctypes.pointer(iovs[i])
            msgs[i].hdr.iovlen = 1
        n = libc.sendmmsg(fd, msgs, len(parts), 0)
        if n <= 0:
            sys.exit("x11_raw: sendmmsg: " + os.strerror(ctypes.get_errno()))
        data = data[sum(msgs[i].len for i in range(n)):]


def pad4(n):
    return (4 - n % 4) % 4


class Conn:
    def __init__(self, split, iov, mmsg):
        display = os.environ["DISPLAY"].split(":")[1].split(".")[0]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/tmp/.X11-unix/X" + display)
        self.split = split
        self.iov = iov
        self.mmsg = mmsg
        self.events = []
        self.send(struct.pack(E + "BxHHHH2x", ord("l" if E == "<" else "B"), 11, 0, 0, 0))
        head = self.recv(8)
        if head[0] != 1:
            sys.exit("x11_raw: the X server refused the connection")
        body = self.recv(struct.unpack(E + "H", head[6:8])[0] * 4)
        self.id_base = struct.unpack(E + "I", body[4:8])[0]
        vendor_len, nformats = struct.unpack(E + "H", body[16:18])[0], body[21]
        at = 32 + vendor_len + pad4(vendor_len) + 8 * nformats
        self.root = struct.unpack(E + "I", body[at:at + 4])[0]

    def send(self, data):
        if self.split:
            for i in range(len(data)):
                self.sock.sendall(data[i:i + 1])
        elif self.mmsg:
            sendmmsg(self.sock.fileno(), data, 7)
        elif self.iov:
            while data:
                sent = self.sock.sendmsg([data[i:i + 1] for i in range(min(len(data), 1024))])
                data = data[sent:]
        else:
            self.sock.sendall(data)

    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                sys.exit("x11_raw: the X server closed the connection")
            data += chunk
        return data

    def packet(self):
        """The next reply, event or error (32 bytes plus a reply's extra)."""
        p = self.recv(32)
        if p[0] == 1:
            p += self.recv(struct.unpack(E + "I", p[4:8])[0] * 4)
        elif p[0] == 0:
            sys.exit("x11_raw: X error %d on request %d" % (p[1], p[10]))
        return p

    def reply(self):
        while True:
            p = self.packet()
            if p[0] == 1:
                return p
            self.events.append(p)

    def request(self, opcode, data1, body):
        body += b"\0" * pad4(len(body))
        self.send(struct.pack(E + "BBH", opcode, data1, 1 + len(body) // 4) + body)

    def intern(self, name):
        name = name.encode()
        self.request(16, 0, struct.pack(E + "H2x", len(name)) + name)
        return struct.unpack(E + "I", self.reply()[8:12])[0]

    def big_requests(self):
        name = b"BIG-REQUESTS"
        self.request(98, 0, struct.pack(E + "H2x", len(name)) + name)  # QueryExtension
        r = self.reply()
        if not r[8]:
            sys.exit("x11_raw: the X server has no BIG-REQUESTS")
        self.request(r[9], 0, b"")  # BigReqEnable
        self.reply()

    def send_hidden(self, data, how):
        """data through a file: sendfile(), or io_uring in the helper how names."""
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            if how == "sendfile":
                off = 0
                while off < len(data):
                    off += os.sendfile(self.sock.fileno(), f.fileno(), off, len(data) - off)
            else:
                fd = self.sock.fileno()
                subprocess.run([how, "write", f.name, str(fd)], pass_fds=[fd], check=True,
                               stdout=subprocess.DEVNULL)

    def change_property(self, window, prop, ptype, fmt, data, big, hidden=None):
        units = len(data) // (fmt // 8)
        tail = struct.pack(E + "IIIB3xI", window, prop, ptype, fmt, units) + data
        tail += b"\0" * pad4(len(tail))
        if big:
            req = struct.pack(E + "BBHI", 18, 0, 0, 2 + len(tail) // 4) + tail
        else:
            req = struct.pack(E + "BBH", 18, 0, 1 + len(tail) // 4) + tail
        if hidden:
            self.send_hidden(req, hidden)
        else:
            self.send(req)


def main():
    args = sys.argv[1:]
    split = "--split" in args
    big = "--big" in args
    flood = "--flood" in args
    global E
    E = ">" if "--msb" in args else "<"
    hidden = "sendfile" if "--sendfile" in args else None
    for a in args:
        if a.startswith("--uring="):
            hidden = a[len("--uring="):]
    args = [a for a in args if not a.startswith("--")]
    if len(args) < 2 or args[0] != "own":
        sys.exit(__doc__)
    with open(args[1], "rb") as f:
        text = f.read()
    seconds = float(args[2]) if len(args) > 2 else 20
    c = Conn(split, "--iov" in args, "--mmsg" in args)
    if flood:
        c.sock.sendall(struct.pack(E + "BxH", 127, 1) * (10 << 20))
    if big:
        c.big_requests()
    clipboard, utf8, targets = (c.intern(n) for n in ("CLIPBOARD", "UTF8_STRING", "TARGETS"))
    win = c.id_base | 1
    # CreateWindow: InputOnly, 1x1, on the root, nothing else set
    c.request(1, 0, struct.pack(E + "IIhhHHHHII", win, c.root, 0, 0, 1, 1, 0, 2, 0, 0))
    c.request(22, 0, struct.pack(E + "III", win, clipboard, 0))  # SetSelectionOwner
    c.request(23, 0, struct.pack(E + "I", clipboard))  # GetSelectionOwner
    if struct.unpack(E + "I", c.reply()[8:12])[0] != win:
        sys.exit("x11_raw: did not get the selection")
    print("ready", flush=True)
    c.sock.settimeout(0.2)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            p = c.events.pop(0) if c.events else c.packet()
        except socket.timeout:
            continue
        code = p[0] & 0x7F
        if code == SELECTION_CLEAR:
            break
        if code != SELECTION_REQUEST:
            continue
        t, _, requestor, sel, target, prop = struct.unpack(E + "IIIIII", p[4:28])
        prop = prop or target
        if target == targets:
            c.change_property(requestor, prop, ATOM_ATOM, 32,
                              struct.pack(E + "II", targets, utf8), False)
        elif target == utf8:
            c.change_property(requestor, prop, utf8, 8, text, big, hidden)
        else:
            prop = 0  # refused
        # SendEvent(SelectionNotify) to the requestor
        ev = struct.pack(E + "BxHIIIII", 31, 0, t, requestor, sel, target, prop).ljust(32, b"\0")
        c.request(25, 0, struct.pack(E + "II", requestor, 0) + ev)


if __name__ == "__main__":
    main()
