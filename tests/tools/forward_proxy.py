#!/usr/bin/env python3
"""forward_proxy.py - a small reverse proxy for the trusted-proxy tests.

Does what nginx does with
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
: passes Host through, appends the address the client connected from to
X-Forwarded-For (keeping what the client sent, as nginx does), sets
X-Forwarded-Proto to its own scheme, and connects to wicketd from
--source (the address wicketd is told to trust). With --tls-cert/--tls-key
it terminates TLS (https). Standard library only; one request per
connection; no WebSocket.

  forward_proxy.py --listen 127.0.0.2:PORT --upstream 127.0.0.1:PORT
      --source 127.0.0.2 [--tls-cert CERT --tls-key KEY]

Prints "ready" once it listens.
"""
import argparse
import http.client
import http.server
import ssl
import sys

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
       "te", "trailer", "upgrade", "x-forwarded-proto"}


def make_handler(a, scheme):
    up_host, up_port = a.upstream.rsplit(":", 1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):
            sys.stderr.write("proxy: %s %s\n" % (self.client_address[0],
                                                  fmt % args))

        def relay(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            out = []
            xff = []
            for k, v in self.headers.items():
                lk = k.lower()
                if lk in HOP or lk == "content-length":
                    continue
                if lk == "x-forwarded-for":
                    xff.append(v)
                    continue
                out.append((k, v))
            xff.append(self.client_address[0])
            out.append(("X-Forwarded-For", ", ".join(xff)))
            out.append(("X-Forwarded-Proto", scheme))
            if body is not None:
                out.append(("Content-Length", str(len(body))))
            conn = http.client.HTTPConnection(
                up_host, int(up_port), timeout=30,
                source_address=(a.source, 0))
            try:
                conn.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
                for k, v in out:
                    conn.putheader(k, v)
                conn.endheaders(body)
                r = conn.getresponse()
                data = r.read()
                self.send_response_only(r.status, r.reason)
                for k, v in r.getheaders():
                    if k.lower() in HOP or k.lower() == "content-length":
                        continue
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
            except OSError as e:
                self.send_error(502, "upstream: %s" % e)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = relay

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    scheme = "https" if a.tls_cert else "http"
    srv = http.server.ThreadingHTTPServer((host, int(port)),
                                          make_handler(a, scheme))
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
