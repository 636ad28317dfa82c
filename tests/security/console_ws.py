#!/usr/bin/env python3
"""A minimal WebSocket client for the console's terminal (console_term.c),
used by test_console_attacks.sh: no third-party modules.

  console_ws.py one PORT SRC COOKIE QUERY [READY_FILE]
      one terminal; prints every server message as "TYPE text" on a line
      (TYPE: 0 output, 1 status, 2 error, 3 ready; HTTP NNN when the
      upgrade is refused) until the server closes it (30 s at most). With
      READY_FILE, creates that file once the shell is open.
  console_ws.py storm PORT SRC COOKIE QUERY N
      N terminals at once, each until its push is decided; prints
      "pushed=A throttled=B other=C" and one line per other outcome.
"""
import base64
import os
import socket
import sys
import threading
import time

DEADLINE_S = 30


def recv_exact(s, n, buf):
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def messages(port, src, cookie, query):
    """Yields ("HTTP", code) or (type_char, text) for each message."""
    s = socket.socket()
    s.settimeout(DEADLINE_S)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    origin = "http://127.0.0.1:%d" % port
    req = ("GET /console/ws?%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Origin: %s\r\nCookie: wk_session=%s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n" %
           (query, port, origin, cookie, key))
    s.sendall(req.encode())
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError
            buf += chunk
            if len(buf) > 65536:
                raise EOFError
        head, buf = buf.split(b"\r\n\r\n", 1)
        code = head.split(b" ", 2)[1].decode()
        if code != "101":
            yield ("HTTP", code)
            return
        end = time.monotonic() + DEADLINE_S
        while time.monotonic() < end:
            buf = recv_exact(s, 2, buf)
            op = buf[0] & 0x0F
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                buf = recv_exact(s, 4, buf)
                n = int.from_bytes(buf[2:4], "big")
                off = 4
            elif n == 127:
                buf = recv_exact(s, 10, buf)
                n = int.from_bytes(buf[2:10], "big")
                off = 10
            buf = recv_exact(s, off + n, buf)
            payload, buf = buf[off:off + n], buf[off + n:]
            if op == 8:
                return
            if op == 2 and payload:
                text = payload[1:].decode("utf-8", "replace")
                yield (chr(payload[0]), " ".join(text.split()))
    except (EOFError, OSError):
        return
    finally:
        s.close()


def one(port, src, cookie, query, ready_file=None):
    for kind, text in messages(port, src, cookie, query):
        print(kind, text, flush=True)
        if kind == "3" and ready_file:
            with open(ready_file, "w") as f:
                f.write("ready\n")


def storm(port, src, cookie, query, n):
    results = []
    lock = threading.Lock()

    def run():
        outcome = "other: nothing"
        for kind, text in messages(port, src, cookie, query):
            if kind == "1" and text.startswith("Key pushed"):
                outcome = "pushed"
                break
            if kind == "2" or kind == "HTTP":
                outcome = ("throttled" if "Rate exceeded" in text
                           else "other: %s %s" % (kind, text))
                break
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pushed = results.count("pushed")
    throttled = results.count("throttled")
    print("pushed=%d throttled=%d other=%d" %
          (pushed, throttled, len(results) - pushed - throttled))
    for r in sorted(set(results)):
        if r.startswith("other"):
            print(r)


def main():
    mode, port, src, cookie, query = sys.argv[1:6]
    if mode == "one":
        one(int(port), src, cookie, query,
            sys.argv[6] if len(sys.argv) > 6 else None)
    else:
        storm(int(port), src, cookie, query, int(sys.argv[6]))


main()
