#!/usr/bin/env python3
"""Misbehaving registries for the end-to-end test, on 127.0.0.1 ephemeral ports.

Usage: bad_server.py MODE PORTFILE
  hang     accepts connections and never answers (the lookup must time out)
  garbage  answers every request with HTTP 200 and a body that is not JSON
  nonhttp  answers with bytes that are not HTTP at all
"""
import os, socket, sys, threading

MODE, PORTFILE = sys.argv[1:3]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
held = []


def serve(conn):
    if MODE == "hang":
        held.append(conn)  # keep it open, say nothing
        return
    conn.recv(65536)
    if MODE == "garbage":
        body = b"\x00\x01<html>this is not a manifest</html>"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    else:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2 not a registry\r\n\x00\xff\xfe garbage\r\n\r\n")
    conn.close()


while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
