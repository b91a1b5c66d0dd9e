#!/usr/bin/env python3
"""A registry front door for tests: the distribution spec's token auth (or
Basic) in front of a plain docker-registry, on 127.0.0.1 only.

  token_proxy.py PORTFILE UPSTREAM USER PASSWORD bearer|basic LOG

Binds 127.0.0.1 on a free port (written to PORTFILE). In bearer mode /v2/...
needs "Authorization: Bearer <token>", else 401 with a Bearer challenge whose
realm is /token here; /token needs Basic USER:PASSWORD and returns a token. In
basic mode /v2/... needs Basic USER:PASSWORD directly. Each token request's
query is appended to LOG. GET only, proxied to UPSTREAM (host:port).
It also answers the OCI 1.1 referrers API that docker-registry 2.8 lacks:
GET /v2/<name>/referrers/<digest> serves the referrers tag sha256-<hex>'s
index (an empty index where there is none), as a registry with the API would.
"""
import base64
import http.client
import http.server
import secrets
import sys
import urllib.parse

portfile, upstream, user, password, mode, log = sys.argv[1:7]
basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
tokens = set()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        url = urllib.parse.urlparse(self.path)
        if url.path == "/token":
            with open(log, "a") as f:
                f.write(url.query + " auth=" + ("ok" if auth == basic else "none") + "\n")
            if auth != basic:
                return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            t = secrets.token_hex(16)
            tokens.add(t)
            return self.send(200, ('{"token":"%s","expires_in":300}' % t).encode(),
                             {"Content-Type": "application/json"})
        ok = auth == basic if mode == "basic" else auth.startswith("Bearer ") and auth[7:] in tokens
        if not ok:
            port = self.server.server_address[1]
            name = url.path.split("/")[2:4]
            challenge = (f'Basic realm="moat-test"' if mode == "basic" else
                         f'Bearer realm="http://127.0.0.1:{port}/token",service="moat-test",'
                         f'scope="repository:{"/".join(name)}:pull"')
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                             {"WWW-Authenticate": challenge})
        path = self.path
        parts = url.path.split("/referrers/")
        if len(parts) == 2:
            path = parts[0] + "/manifests/" + parts[1].replace(":", "-")
        c = http.client.HTTPConnection(upstream, timeout=20)
        c.request("GET", path, headers={"Accept": self.headers.get("Accept", "*/*")})
        r = c.getresponse()
        body = r.read()
        if len(parts) == 2 and r.status == 404:
            return self.send(200, b'{"schemaVersion":2,"mediaType":'
                             b'"application/vnd.oci.image.index.v1+json","manifests":[]}',
                             {"Content-Type": "application/vnd.oci.image.index.v1+json"})
        h = {k: r.getheader(k) for k in ("Content-Type", "Docker-Content-Digest") if r.getheader(k)}
        self.send(r.status, body, h)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
