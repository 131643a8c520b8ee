#!/usr/bin/env python3
"""A tiny Docker-style token server for the end-to-end test (distribution's token auth spec).

Issues RS256 JWTs signed with `openssl dgst` (the key's certificate travels in the x5c header and is
the registry's rootcertbundle). Policy, like Docker Hub: alice:s3cret gets what she asks for;
anonymous callers get pull on public/*; anyone else with a wrong password gets 401; anonymous callers
asking for a private repository get a token with no access (the registry then answers 401).
Usage: token_server.py SIGN_CERT SIGN_KEY TLS_CERT TLS_KEY PORTFILE
(serves TLS on 127.0.0.1, on an ephemeral port written to PORTFILE)
"""
import base64, json, os, subprocess, sys, time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fake_https import send_json, serve_tls  # noqa: E402

CERT, KEY, TLS_CERT, TLS_KEY, PORTFILE = sys.argv[1:6]
SERVICE = "kilt-test-registry"
ISSUER = "kilt-test-issuer"
USERS = {"alice": "s3cret"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_cert() -> bytes:
    return subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"], check=True,
                          capture_output=True).stdout


X5C = base64.b64encode(der_cert()).decode()


def sign(claims: dict) -> str:
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input,
                         check=True, capture_output=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        send_json(self, status, body)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path != "/token" or q.get("service", [""])[0] != SERVICE:
            return self.reply(400, {"error": "bad request"})
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if USERS.get(name) != password:
                return self.reply(401, {"details": "incorrect username or password"})
            user = name
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            if user:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
            elif name.startswith("public/"):
                access.append({"type": kind, "name": name, "actions": ["pull"]})
        now = int(time.time())
        token = sign({"iss": ISSUER, "sub": user or "", "aud": SERVICE, "exp": now + 300,
                      "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(), "access": access})
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})


serve_tls(Handler, TLS_CERT, TLS_KEY, PORTFILE)
