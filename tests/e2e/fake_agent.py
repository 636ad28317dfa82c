#!/usr/bin/env python3
"""A stand-in agent socket for the trust tests: serves the given record
files, verbatim, to every LOOKUP (docs/protocols.md), so a test can hand
wicket-authorized-keys replayed, tampered or forged records."""
import os
import socket
import sys

path, files = sys.argv[1], sys.argv[2:]
records = [open(f, "rb").read() for f in files]
reply = b"OK %d\n" % len(records) + b"".join(
    b"%d\n" % len(r) + r for r in records)
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o666)
srv.listen(16)
while True:
    conn, _ = srv.accept()
    conn.settimeout(2)
    try:
        conn.recv(64)
        conn.sendall(reply)
    except OSError:
        pass
    finally:
        conn.close()
