#!/usr/bin/env python3
"""Raw HTTPS requests the webhook must survive (what kubectl cannot send): garbage, truncated,
oversized and slow-drip requests, plain HTTP on the TLS port, a request held open across SIGTERM.
Prints one result line: "status NNN", "closed" (connection closed without a response) or "serial X".
usage: rawclient.py MODE PORT CAFILE [ARG]"""
import socket
import ssl
import sys

mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
arg = sys.argv[4] if len(sys.argv) > 4 else None
DEADLINE = 60  # generous: the machine is slow and shared; the webhook's own timeouts are shorter


def connect():
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def read_status(s):
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return "closed"
    return "status " + data.split(b" ")[1].decode()


def send_all(s, data):
    try:
        s.sendall(data)
        return True
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return False


if mode == "raw":  # the bytes of a file, as the whole request
    s = connect()
    send_all(s, open(arg, "rb").read())
    print(read_status(s))
elif mode == "big":  # POST /mutate with a declared body of ARG bytes, streamed
    size = int(arg)
    s = connect()
    send_all(s, b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
    chunk = b"x" * 65536
    sent = 0
    while sent < size and send_all(s, chunk[: min(65536, size - sent)]):
        sent += 65536
    print(read_status(s))
elif mode == "bigchunked":  # POST /mutate, chunked, ARG bytes: no Content-Length to refuse early
    size = int(arg)
    s = connect()
    send_all(s, b"POST /mutate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"{" * 65536)
    sent = 0
    while sent < size and send_all(s, chunk):
        sent += 65536
    send_all(s, b"0\r\n\r\n")
    print(read_status(s))
elif mode == "drip":  # headers, then one byte of a 100-byte body, then nothing
    s = connect()
    send_all(s, b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    print(read_status(s))
elif mode == "truncated":  # half a request, then the client goes away
    s = connect()
    send_all(s, b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\":")
    s.close()
    print("closed")
elif mode == "plain":  # plain HTTP to the TLS port
    raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = raw.recv(4096)
    except ConnectionResetError:
        data = b""
    print("status " + data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "closed")
elif mode == "held":  # a request sent in two halves; the second after a line arrives on stdin
    body = open(arg, "rb").read()
    s = connect()
    head = b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    send_all(s, head + body[: len(body) // 2])
    print("sent-half", flush=True)
    sys.stdin.readline()
    send_all(s, body[len(body) // 2 :])
    print(read_status(s), flush=True)
elif mode == "serial":  # the serial number of the certificate the server presents
    s = connect()
    der = s.getpeercert(binary_form=True)
    import hashlib
    print("serial " + hashlib.sha256(der).hexdigest()[:16])
else:
    sys.exit("unknown mode " + mode)
