#!/usr/bin/env python3
"""Hostile HTTP clients for test_slow_clients.sh, against 127.0.0.x only.

  slow_client.py PORT N SECONDS MODE [SRC]
    MODE header: each of N connections sends its request head one byte a
                 second (slowloris)
    MODE body:   each sends its head at once, then its body a byte a second
    MODE idle:   each connects and sends nothing
    MODE big:    each sends a head announcing an oversized body and reads
                 the answer
Runs at most SECONDS, then prints
  connected=C refused=R closed=X got408=Y got413=Z open=O
(closed: the server ended the connection; open: still open at the end).
"""
import select
import socket
import sys
import time

port, n, secs, mode = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
src = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
assert src.startswith("127.") and n <= 1000 and secs <= 60

head = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"
        b"X-Pad: " + b"a" * 300 + b"\r\n\r\n")
post = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000\r\n\r\n")
big = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
       b"Content-Type: application/x-www-form-urlencoded\r\n"
       b"Content-Length: 50000000\r\n\r\n")

conns, refused = [], 0
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.bind((src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        refused += 1
        s.close()
        continue
    s.setblocking(False)
    c = {"s": s, "sent": 0, "closed": False, "data": b""}
    try:
        if mode == "body":
            s.send(post)
        elif mode == "big":
            s.send(big)
    except OSError:
        c["closed"] = True
    conns.append(c)


def poll_reads(timeout):
    live = [c for c in conns if not c["closed"]]
    if not live:
        return
    r, _, _ = select.select([c["s"] for c in live], [], [], timeout)
    for c in live:
        if c["s"] in r:
            try:
                d = c["s"].recv(4096)
            except OSError:
                d = b""
            if d:
                c["data"] += d
            else:
                c["closed"] = True


t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    if all(c["closed"] for c in conns):
        break
    if mode in ("header", "body"):
        src_bytes = head if mode == "header" else b"x" * 1000
        for c in conns:
            if c["closed"] or c["sent"] >= len(src_bytes):
                continue
            try:
                c["s"].send(src_bytes[c["sent"]:c["sent"] + 1])
                c["sent"] += 1
            except OSError:
                c["closed"] = True
    poll_reads(1.0)

closed = sum(1 for c in conns if c["closed"])
print("connected=%d refused=%d closed=%d got408=%d got413=%d open=%d" % (
    len(conns), refused, closed,
    sum(1 for c in conns if b" 408 " in c["data"][:20]),
    sum(1 for c in conns if b" 413 " in c["data"][:20]),
    len(conns) - closed))
if mode == "idle":
    # hold the survivors until killed (the test counts them, then ends us)
    sys.stdout.flush()
    time.sleep(secs)
