#!/usr/bin/env python3
"""A tiny HTTP(S) server for net/'s end-to-end test: binds 127.0.0.1 on an ephemeral port, prints the
port on stdout, serves until killed.  usage: net_server.py [CERT KEY]"""
import http.server
import ssl
import sys

SNI = {"name": ""}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, body, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Kilt-Test", "yes")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.send_body(b"hello")
        elif self.path == "/sni":
            self.send_body(SNI["name"].encode())
        elif self.path == "/big":
            self.send_body(b"x" * (2 << 20))
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_body(b"not found", 404)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.send_body(b"POST " + self.path.encode() + b" " + body)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1], sys.argv[2])

        def remember(sock, name, _ctx):
            SNI["name"] = name or ""

        ctx.sni_callback = remember
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


main()
