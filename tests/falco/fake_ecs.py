"""A fake ECS task metadata endpoint (v4, container document) for tests/falco: serves METADATA.json to every GET
on ADDR:PORT (port 0: an ephemeral one), and accepts-and-closes TCP connections on each extra ADDR:PORT (stand-ins
for remote servers). Writes the port it serves on to READY_FILE (atomically) once everything listens.

  fake_ecs.py METADATA.json READY_FILE ADDR:PORT [ADDR:PORT...]
"""
import http.server
import os
import socket
import sys
import threading

body = open(sys.argv[1], "rb").read()


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def endpoint(s):
    a, _, p = s.rpartition(":")
    return a, int(p)


def accept_and_close(server):
    while True:
        server.accept()[0].close()


for extra in sys.argv[4:]:
    threading.Thread(target=accept_and_close, args=(socket.create_server(endpoint(extra)),), daemon=True).start()
s = http.server.HTTPServer(endpoint(sys.argv[3]), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.server_port))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
