#!/usr/bin/env python3
"""A TLS relay (test only): terminates TLS with its own certificate and
forwards the bytes to a backend, as a man in the middle or a TLS proxy
would.

    tls_terminating_relay.py LISTEN_ADDR LISTEN_PORT CERT KEY BACKEND_ADDR BACKEND_PORT
                 [--backend-tls] [--log FILE]

CERT is the chain it presents (PEM, leaf first), KEY its key. With
--backend-tls it talks TLS to the backend without verifying it (the
attacker does not care). CERT and KEY are re-read for every new
connection, so a test can swap them (a "renewal") while it runs. Every
accepted TLS handshake appends "handshake" to --log, every failed one
"refused <reason>", and the first application bytes the client sends on a
connection "data" (a request made it through). Standard library only.
"""
import socket
import ssl
import sys
import threading


def pump(src, dst, first=None):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if first is not None:
                first()
                first = None
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def note(path, line):
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def serve(conn, args):
    cert, key, baddr, bport, btls, logf = args
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(cert, key)
        tconn = ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError) as e:
        note(logf, "refused %s" % (e,))
        conn.close()
        return
    note(logf, "handshake")
    try:
        back = socket.create_connection((baddr, bport), timeout=10)
        back.settimeout(None)
        if btls:
            bctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            bctx.check_hostname = False
            bctx.verify_mode = ssl.CERT_NONE
            back = bctx.wrap_socket(back)
    except OSError:
        tconn.close()
        return
    threading.Thread(target=pump, args=(tconn, back,
                     lambda: note(logf, "data")), daemon=True).start()
    pump(back, tconn)


def main():
    argv = sys.argv[1:]
    btls = "--backend-tls" in argv
    if btls:
        argv.remove("--backend-tls")
    logf = None
    if "--log" in argv:
        i = argv.index("--log")
        logf = argv[i + 1]
        del argv[i:i + 2]
    laddr, lport, cert, key, baddr, bport = argv
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((laddr, int(lport)))
    srv.listen(64)
    args = (cert, key, baddr, int(bport), btls, logf)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, args), daemon=True).start()


if __name__ == "__main__":
    main()
