#!/usr/bin/env python3
"""Clients that hold connections to the webhook without finishing anything, on loopback.
usage: abusers.py MODE PORT CAFILE N
  silent        N TCP connections that never send a byte (no TLS ClientHello)
  hello-drip    N connections sending a real TLS ClientHello, one byte per second each
  request-drip  N TLS connections that send a request one byte per second each
Prints "ready" once every connection is made (and, for request-drip, its handshake done), then
serves commands from stdin, one per line, until "quit" or EOF (then everything is closed):
  open          prints "open K": how many connections the server has not closed yet
  wait-closed S waits up to S seconds for the server to close all of them; prints "open K"
Bounded: nothing here runs longer than 600 s."""
import select
import socket
import ssl
import sys
import threading
import time

mode, port, cafile, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
LIMIT = time.monotonic() + 600


def tcp():
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.setblocking(False)
    return s


def client_hello():
    """The bytes of a real ClientHello, made by Python's TLS client against a memory buffer."""
    ctx = ssl.create_default_context(cafile=cafile)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


socks, payloads = [], []
if mode == "silent":
    socks = [tcp() for _ in range(n)]
elif mode == "hello-drip":
    hello = client_hello()
    socks = [tcp() for _ in range(n)]
    payloads = [hello for _ in socks]
elif mode == "request-drip":
    ctx = ssl.create_default_context(cafile=cafile)
    for _ in range(n):
        raw = socket.create_connection(("127.0.0.1", port), timeout=60)
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.setblocking(False)
        socks.append(s)
    payloads = [b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"{" * 1000 for _ in socks]
else:
    sys.exit("unknown mode " + mode)

closed = [False] * len(socks)
lock = threading.Lock()


def pump():
    """Once a second: one more byte on each connection that has some to send; notes closed ones."""
    sent = [0] * len(socks)
    while time.monotonic() < LIMIT:
        with lock:
            if all(closed):
                return
            for i, s in enumerate(socks):
                if closed[i]:
                    continue
                try:
                    r, _, _ = select.select([s], [], [], 0)
                    if r:
                        try:
                            if s.recv(4096) == b"":
                                closed[i] = True
                                continue
                        except (ssl.SSLWantReadError, BlockingIOError):
                            pass
                    if payloads and sent[i] < len(payloads[i]):
                        s.send(payloads[i][sent[i]:sent[i] + 1])
                        sent[i] += 1
                except (ConnectionError, ssl.SSLError, OSError):
                    closed[i] = True
        time.sleep(1)


threading.Thread(target=pump, daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:
    cmd = line.split()
    if not cmd or cmd[0] == "quit":
        break
    if cmd[0] == "wait-closed":
        until = min(LIMIT, time.monotonic() + float(cmd[1]))
        while time.monotonic() < until:
            with lock:
                if all(closed):
                    break
            time.sleep(0.1)
    with lock:
        print("open %d" % closed.count(False), flush=True)
for s in socks:
    s.close()
