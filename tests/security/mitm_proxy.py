#!/usr/bin/env python3
"""A man in the middle on the agent's plain-HTTP channel (test only).

    mitm_proxy.py LISTEN_PORT UPSTREAM_PORT CTL_DIR

Listens on 127.0.0.1:LISTEN_PORT and forwards every request to wicketd on
127.0.0.1:UPSTREAM_PORT. Replies to /agent/v1/update and /agent/v1/poll are
JSON; while CTL_DIR/attack.json exists it is applied to each of them:

    {"keys": [{"id": ..., "public_key": ...}],  appended to signing_keys
     "rotation": ["#wicket-rotation v1\n..."],  appended to rotation
     "records": ["#wicket-keyrec v1\n..."],    appended to records (polls)
     "revocations": [{...}],                    appended to revocations (polls)
     "alter_caller": "arn:..."}                 every genuine revocation's
                                                caller set to it, its
                                                request_ids removed (polls)

While an attack is on, a poll wicketd holds longer than HOLD_S is
answered by the proxy itself (a heartbeat built from the request and
wicketd's last genuine reply, as an on-path attacker can), so the agent
sees a tampered reply every second or so. Every tampered reply served adds one to CTL_DIR/served.
Standard library only; 127.0.0.1 only.
"""
import http.server
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

HOLD_S = 1.0
LOCK = threading.Lock()
LAST = {"signing_keys": [], "rotation": []}


def load_attack(ctl):
    try:
        with open(os.path.join(ctl, "attack.json"), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def bump(ctl):
    path = os.path.join(ctl, "served")
    with LOCK:
        try:
            with open(path, encoding="utf-8") as f:
                n = int(f.read().strip() or "0")
        except FileNotFoundError:
            n = 0
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("%d\n" % (n + 1))
        os.replace(tmp, path)


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = 0
    ctl = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("mitm: " + (fmt % args) + "\n")

    def forward(self, body, is_poll):
        """wicketd's (status, content type, body), or None when a poll is
        still held after HOLD_S while an attack is on (then the proxy
        answers it itself). Polls are held as long as wicketd likes
        otherwise, so genuine wake-ups (a new key) pass through."""
        head = ["%s %s HTTP/1.1" % (self.command, self.path),
                "Host: 127.0.0.1:%d" % self.upstream, "Connection: close"]
        for k, v in self.headers.items():
            if k.lower() not in ("connection", "expect", "host",
                                 "content-length"):
                head.append("%s: %s" % (k, v))
        head.append("Content-Length: %d" % len(body or b""))
        s = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
        try:
            s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() +
                      (body or b""))
            s.settimeout(0.2)
            buf, start = b"", time.monotonic()
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    waited = time.monotonic() - start
                    if (is_poll and waited >= HOLD_S and
                            load_attack(self.ctl) is not None):
                        return None
                    if waited > 60:
                        raise
                    continue
                if not chunk:
                    break
                buf += chunk
        finally:
            s.close()
        raw_head, _, data = buf.partition(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            out = b""
            while True:
                size_line, _, data = data.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    break
                out, data = out + data[:size], data[size + 2:]
            data = out
        elif "content-length" in hdrs:
            data = data[:int(hdrs["content-length"])]
        return status, hdrs.get("content-type", "application/json"), data

    def heartbeat(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query,
                                  keep_blank_values=True)
        with LOCK:
            keys, rot = LAST["signing_keys"], LAST["rotation"]
        return json.dumps({
            "epoch": q.get("epoch", [""])[0],
            "cursor": int(q.get("cursor", ["0"])[0] or "0"),
            "records": [], "signing_keys": keys, "rotation": rot,
        }).encode()

    def tamper(self, data, is_poll):
        attack = load_attack(self.ctl)
        if attack is None:
            return data, False
        reply = json.loads(data)
        reply.setdefault("signing_keys", [])
        reply.setdefault("rotation", [])
        reply["signing_keys"] += attack.get("keys", [])
        reply["rotation"] += attack.get("rotation", [])
        if is_poll:
            reply.setdefault("records", [])
            reply["records"] += attack.get("records", [])
            # revocations: forged ones appended, genuine ones altered
            revs = reply.get("revocations", [])
            if "alter_caller" in attack:
                for r in revs:
                    r["caller"] = attack["alter_caller"]
                    r.pop("request_ids", None)
            revs += attack.get("revocations", [])
            if revs:
                reply["revocations"] = revs
        return json.dumps(reply).encode(), True

    def relay(self):
        n = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(n) if n > 0 else None
        is_poll = self.path.startswith("/agent/v1/poll")
        tampered = False
        got = self.forward(body, is_poll)
        if got is None:
            got = 200, "application/json", self.heartbeat()
        status, ctype, data = got
        if status == 200 and (is_poll or
                              self.path.startswith("/agent/v1/update")):
            try:
                genuine = json.loads(data)
                if "signing_keys" in genuine and load_attack(self.ctl) is None:
                    with LOCK:
                        LAST["signing_keys"] = genuine["signing_keys"]
                        LAST["rotation"] = genuine.get("rotation", [])
                data, tampered = self.tamper(data, is_poll)
            except ValueError:
                pass
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True
        if tampered:
            bump(self.ctl)

    do_GET = relay
    do_POST = relay


def main():
    port, upstream, ctl = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    Proxy.upstream = upstream
    Proxy.ctl = ctl
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
