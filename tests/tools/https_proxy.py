#!/usr/bin/env python3
"""https_proxy.py - a small HTTP(S) reverse proxy in front of a plain-HTTP
wicketd, for the CLI tests (tests/e2e/test_cli_config.sh).

  https_proxy.py --listen 127.0.0.1:PORT --backend 127.0.0.1:PORT
                 [--cert FILE --key FILE] [--strip-member NAME]

With --cert/--key it serves TLS (the client must trust the CA that signed
FILE); without, plain HTTP. Requests are forwarded unchanged, Host header
included, so SigV4 signatures still verify. --strip-member NAME removes a
top-level member from JSON replies: it plays a wicketd that predates that
member (the push reply's "WicketInstance"). Only for tests: one request
per connection, bodies capped at 1 MiB.
"""
import argparse
import http.client
import http.server
import json
import ssl
import sys

MAX_BODY = 1024 * 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--backend", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--strip-member")
    args = ap.parse_args()
    lhost, lport = args.listen.rsplit(":", 1)
    bhost, bport = args.backend.rsplit(":", 1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("https_proxy: " + (fmt % a) + "\n")

        def forward(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(n) if n else None
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower() not in ("connection", "keep-alive")}
            conn = http.client.HTTPConnection(bhost, int(bport), timeout=30)
            conn.request(self.command, self.path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read(MAX_BODY + 1)
            ctype = resp.getheader("Content-Type", "")
            if args.strip_member and "json" in ctype:
                try:
                    doc = json.loads(data)
                    if isinstance(doc, dict) and args.strip_member in doc:
                        del doc[args.strip_member]
                        data = json.dumps(doc).encode()
                except ValueError:
                    pass
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() in ("content-length", "connection",
                                 "transfer-encoding", "keep-alive"):
                    continue
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            conn.close()

        do_GET = forward
        do_POST = forward

    srv = http.server.ThreadingHTTPServer((lhost, int(lport)), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
