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
import json, os, re, sys
from http.server import BaseHTTPRequestHandler
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fake_https import send_json, serve_tls  # noqa: E402

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
        send_json(self, code, body)
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


serve_tls(Handler, TLS_CERT, TLS_KEY, PORTFILE)
