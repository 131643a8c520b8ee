#!/usr/bin/env python3
"""A fake Kubernetes apiserver for the webhook's imagePullSecrets test: GET
/api/v1/namespaces/NS/secrets/NAME over TLS, answering like the apiserver does.

Secrets are the files SECRETS_DIR/NS/NAME.json (Secret objects). Every request must carry
`Authorization: Bearer <the content of TOKEN_FILE>` (401 Status otherwise); a Secret listed in
SECRETS_DIR/forbidden (lines NS/NAME) gets a 403 Status as RBAC would; a missing one a 404 Status.
Each request is appended to LOG as "STATUS NS/NAME" (no credentials), so the test can count reads.
Usage: fake_apiserver.py TLS_CERT TLS_KEY TOKEN_FILE SECRETS_DIR LOG PORTFILE
(serves on 127.0.0.1, on an ephemeral port written to PORTFILE once listening)
"""
import json, os, re, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TLS_CERT, TLS_KEY, TOKEN_FILE, SECRETS_DIR, LOG, PORTFILE = sys.argv[1:7]
PATH = re.compile(r"^/api/v1/namespaces/([a-z0-9.-]+)/secrets/([a-z0-9.-]+)$")
SA = "system:serviceaccount:kilt-system:kilt-webhook"


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, what):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(LOG, "a") as f:
            f.write(f"{code} {what}\n")

    def do_GET(self):
        m = PATH.match(self.path)
        what = f"{m.group(1)}/{m.group(2)}" if m else self.path
        with open(TOKEN_FILE) as f:
            token = f.read().strip()
        if self.headers.get("Authorization") != "Bearer " + token:
            return self.reply(401, status(401, "Unauthorized", "Unauthorized"), what)
        if not m:
            return self.reply(404, status(404, "NotFound", "the server could not find the requested resource"), what)
        ns, name = m.groups()
        forbidden = os.path.join(SECRETS_DIR, "forbidden")
        if os.path.exists(forbidden) and what in open(forbidden).read().split():
            return self.reply(403, status(403, "Forbidden",
                f'secrets "{name}" is forbidden: User "{SA}" cannot get resource "secrets" in API group "" in the namespace "{ns}"'), what)
        path = os.path.join(SECRETS_DIR, ns, name + ".json")
        if not os.path.exists(path):
            return self.reply(404, status(404, "NotFound", f'secrets "{name}" not found'), what)
        with open(path) as f:
            self.reply(200, json.load(f), what)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(TLS_CERT, TLS_KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
