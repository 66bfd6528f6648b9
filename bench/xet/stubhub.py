#!/usr/bin/env python3
"""Tiny stand-in Hub for the xet-client CAS simulator (bench/xet only).

Answers the token routes hf_xet calls:
  GET /api/{models,datasets,spaces}/{ns}/{name}/xet-{read,write}-token/{rev}
with {"accessToken","exp","casUrl"} JSON and the matching X-Xet-* headers.
Usage: stubhub.py PORT CAS_URL
"""
import json, re, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

PORT, CAS = int(sys.argv[1]), sys.argv[2]
TOKEN_RE = re.compile(r"^/api/(models|datasets|spaces)/[^/]+/[^/]+/xet-(read|write)-token(/[^?]*)?(\?.*)?$")


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, code, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if TOKEN_RE.match(self.path):
            exp = int(time.time()) + 3600
            self._send(200, {"accessToken": "t", "exp": exp, "casUrl": CAS},
                       {"X-Xet-Access-Token": "t", "X-Xet-Token-Expiration": str(exp), "X-Xet-Cas-Url": CAS})
        else:
            self._send(404, {"error": "stub hub: not implemented"})


ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
