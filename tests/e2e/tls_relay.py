#!/usr/bin/env python3
"""A plain-TCP to TLS relay for tests: listens on 127.0.0.1:LISTEN_PORT
and forwards each connection over TLS to 127.0.0.1:TARGET_PORT, verifying
the server against CA_FILE. Lets a program that speaks only plain HTTP (an
agent built before it trusted a CA) reach an HTTPS-only wicketd, which
then sees a TLS connection.

usage: tls_relay.py LISTEN_PORT TARGET_PORT CA_FILE"""
import socket
import ssl
import sys
import threading

listen_port, target_port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the certificate is checked against the CA


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn):
    try:
        raw = socket.create_connection(("127.0.0.1", target_port), timeout=10)
        tls = ctx.wrap_socket(raw)
        tls.settimeout(None)
    except OSError as e:
        print("relay: %s" % e, file=sys.stderr, flush=True)
        conn.close()
        return
    threading.Thread(target=pump, args=(conn, tls), daemon=True).start()
    pump(tls, conn)


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen_port))
srv.listen(64)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
