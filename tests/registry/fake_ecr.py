#!/usr/bin/env python3
"""A stand-in for the Amazon ECR API's GetAuthorizationToken, for the end-to-end test.

It checks the request's AWS Signature Version 4 by recomputing it with botocore (AWS's own Python
signer) from the known test credentials, so Kilt's signer is checked against an independent one.
A valid request gets a token for AWS:ecr-pw (an htpasswd user of the test registry); anything else
gets the error ECR would send.
Usage: fake_ecr.py ACCESS_KEY_ID SECRET_ACCESS_KEY SESSION_TOKEN TLS_CERT TLS_KEY PORTFILE
"""
import base64, datetime, json, os, sys, time
from http.server import BaseHTTPRequestHandler

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from fake_https import send_json, serve_tls  # noqa: E402

AKID, SECRET, TOKEN, TLS_CERT, TLS_KEY, PORTFILE = sys.argv[1:7]
TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"


def expected_authorization(headers, body, region):
    amz_date = headers.get("X-Amz-Date", "")
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *a, **k: when
    signed = headers.get("Authorization", "").partition("SignedHeaders=")[2].split(",")[0].split(";")
    keep = {k: v for k, v in headers.items()
            if k.lower() in signed and k.lower() not in ("host", "x-amz-date", "x-amz-security-token")}
    req = AWSRequest(method="POST", url="https://" + headers["Host"] + "/", data=body, headers=keep)
    SigV4Auth(Credentials(AKID, SECRET, TOKEN), "ecr", region).add_auth(req)
    return req.headers["Authorization"]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        send_json(self, status, body, "application/x-amz-json-1.1")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("X-Amz-Target") != TARGET:
            return self.reply(400, {"__type": "UnknownOperationException"})
        auth = self.headers.get("Authorization", "")
        region = auth.partition("Credential=")[2].split("/")[2] if "Credential=" in auth else ""
        try:
            want = expected_authorization(self.headers, body, region)
        except Exception as e:  # malformed request: say so, as AWS would
            return self.reply(400, {"__type": "IncompleteSignatureException", "message": str(e)})
        if auth != want:
            return self.reply(403, {"__type": "InvalidSignatureException",
                                    "message": "The request signature we calculated does not match"})
        if json.loads(body or b"{}").get("registryIds") != ["123456789012"]:
            return self.reply(400, {"__type": "InvalidParameterException"})
        token = base64.b64encode(b"AWS:ecr-pw").decode()
        self.reply(200, {"authorizationData": [{
            "authorizationToken": token, "expiresAt": time.time() + 43200,
            "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]})


serve_tls(Handler, TLS_CERT, TLS_KEY, PORTFILE)
