"""What the suites' fake HTTPS services share (tests/registry/fake_ecr.py, tests/registry/token_server.py,
tests/webhook/fake_apiserver.py): a JSON answer, and a TLS server on an ephemeral loopback port whose
number is written to a file once it listens. Each script puts this folder on sys.path."""
import json
import os
import ssl
from http.server import ThreadingHTTPServer


def send_json(handler, status, body, content_type="application/json"):
    """Answers the request `handler` is serving with `body` as JSON."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def serve_tls(handler_class, cert, key, portfile):
    """Serves forever over TLS on 127.0.0.1. The port goes to `portfile` by rename, so a reader never
    sees half a number."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()
