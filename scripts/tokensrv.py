#!/usr/bin/env python3
"""Docker token-auth issuer for chainseal's local test registry (distribution 2.8.2, auth: token).

Usage: tokensrv.py PORT KEY_PEM CERT_PEM ISSUER

- testuser/testpass (HTTP Basic on GET) gets every requested action; anonymous gets "pull" only.
- shortlived/testpass gets the same rights as testuser, but its tokens expire after
  TOKENSRV_SHORT_LIFETIME seconds (default 2; `expires_in` says so), to test re-authentication
  in the middle of long operations.
- POST with grant_type=refresh_token&refresh_token=chainseal-refresh-token (docker's identity
  token flow) is treated as testuser.
Needs pyjwt and cryptography (the tools venv has both). Never use outside tests.
"""
import base64
import os
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
import json

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

PORT, KEY_PEM, CERT_PEM, ISSUER = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
KEY = open(KEY_PEM, "rb").read()
X5C = base64.b64encode(
    x509.load_pem_x509_certificate(open(CERT_PEM, "rb").read()).public_bytes(Encoding.DER)
).decode()
ACCOUNTS = {"testuser": "testpass", "shortlived": "testpass"}
REFRESH_TOKENS = {"chainseal-refresh-token": "testuser"}
LIFETIME = 300
SHORT_LIFETIME = int(os.environ.get("TOKENSRV_SHORT_LIFETIME", "2"))


def grants(scope, authenticated):
    for item in scope.split():  # several scopes may be space separated
        kind, _, rest = item.partition(":")
        name, _, actions = rest.rpartition(":")
        wanted = [a for a in actions.split(",") if a]
        yield {
            "type": kind,
            "name": name,
            "actions": wanted if authenticated else [a for a in wanted if a == "pull"],
        }


class Issuer(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # keep logs short and free of credentials
        sys.stderr.write("tokensrv: %s %s\n" % (self.command, urlsplit(self.path).path))

    def issue(self, service, scopes, user):
        now = int(time.time())
        lifetime = SHORT_LIFETIME if user == "shortlived" else LIFETIME
        # distribution 2.8.2 accepts tokens up to 60 s past `exp` (clock-skew leeway): pull
        # short-lived tokens' claims back by that much so they really stop working on time.
        skew = 60 if user == "shortlived" else 0
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": service,
            "iat": now,
            "nbf": now - 10 - skew,
            "exp": now + lifetime - skew,
            "jti": uuid.uuid4().hex,
            "access": [g for s in scopes for g in grants(s, user is not None)],
        }
        token = jwt.encode(claims, KEY, algorithm="RS256", headers={"x5c": [X5C]})
        self.reply(200, {"token": token, "access_token": token, "expires_in": lifetime})

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        query, user = parse_qs(url.query), None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                return self.reply(400, {"details": "bad authorization header"})
            if ACCOUNTS.get(name) != password:
                return self.reply(401, {"details": "bad credentials"})
            user = name
        self.issue(query.get("service", [""])[0], query.get("scope", []), user)

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length", "0") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if form.get("grant_type", [""])[0] != "refresh_token":
            return self.reply(400, {"error": "unsupported_grant_type"})
        user = REFRESH_TOKENS.get(form.get("refresh_token", [""])[0])
        if user is None:
            return self.reply(401, {"error": "invalid_grant"})
        scopes = []
        for s in form.get("scope", []):
            scopes.extend(s.split())
        self.issue(form.get("service", [""])[0], scopes, user)

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", PORT), Issuer).serve_forever()
