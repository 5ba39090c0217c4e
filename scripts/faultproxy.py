#!/usr/bin/env python3
"""Fault-injecting reverse proxy for registry retry tests (Python stdlib only).

Usage: faultproxy.py UPSTREAM_HOST:PORT FAULTS [PORT]

FAULTS is a comma-separated list applied, in order, to the first requests whose path contains
/manifests/ or /blobs/ (one fault per request): `429` (TOOMANYREQUESTS, Retry-After: 1),
`429d` (Retry-After as an HTTP date 1 s ahead), `503` (UNAVAILABLE, no Retry-After), `502`,
`drop` (close the connection without answering), `ok` (forward). Afterwards every request is
forwarded unchanged.

More faults (for crates/cli/tests/registry_faults.rs): `500`, `401` (UNAUTHORIZED, no challenge),
`404`; `dropmid` (forward, send the headers and half the body, then close); `slow` (forward after
sleeping SLOW_SECONDS, default 3 s); `trickle` (forward the body in 64-byte pieces 50 ms apart);
`shortlen` / `longlen` (forward with a Content-Length 1 byte short / 64 bytes long, then close);
`norange` (forward without the request's Range header, like a registry that ignores Range);
`lost` (forward, so the registry acts on the request, then close without answering).
Each fault may carry `@PATTERN` (a substring of "METHOD PATH", e.g. `500@/referrers/`,
`dropmid@GET /v2/x/blobs/`): it then applies to the first request matching the pattern, on any
path. A trailing `*` (`500@/referrers/*`) makes it permanent. Listens on 127.0.0.1:PORT (0 = any free port) and prints
`LISTENING <port>` on stdout; GET /__faults__ returns the faults not yet used and a log of
what was served (JSON: method, path, fault, the request's Range and Content-Range, and the
upstream status of forwarded requests).
"""
import email.utils
import os
import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = sys.argv[1]
FAULTS = [f for f in sys.argv[2].split(",") if f]
SLOW_SECONDS = float(os.environ.get("SLOW_SECONDS", "3"))
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
LOCK = threading.Lock()
SERVED = []
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def next_fault(method, path):
    key = "%s %s" % (method, path)
    default = "/manifests/" in path or "/blobs/" in path
    with LOCK:
        for i, spec in enumerate(FAULTS):
            kind, _, pattern = spec.partition("@")
            permanent = pattern.endswith("*")
            pattern = pattern.rstrip("*")
            if (pattern and pattern in key) or (not pattern and default):
                if not permanent:
                    FAULTS.pop(i)
                return kind
        return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""

    def fail(self, status, code, retry_after):
        body = json.dumps({"errors": [{"code": code, "message": "injected by faultproxy"}]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        body = self.read_body()
        fault = None if self.path == "/__faults__" else next_fault(self.command, self.path)
        record = {"method": self.command, "path": self.path.split("?")[0], "fault": fault,
                  "range": self.headers.get("Range"), "content_range": self.headers.get("Content-Range")}
        with LOCK:
            SERVED.append(record)
        if fault == "429":
            return self.fail(429, "TOOMANYREQUESTS", "1")
        if fault == "429d":
            return self.fail(429, "TOOMANYREQUESTS", email.utils.formatdate(time.time() + 2, usegmt=True))
        if fault in ("503", "502", "500"):
            return self.fail(int(fault), "UNAVAILABLE", None)
        if fault == "401":
            return self.fail(401, "UNAUTHORIZED", None)
        if fault == "404":
            return self.fail(404, "NAME_UNKNOWN", None)
        if fault == "slow":
            time.sleep(SLOW_SECONDS)
        if fault == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if self.path == "/__faults__":
            with LOCK:
                data = json.dumps({"remaining": FAULTS, "served": SERVED}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if fault == "norange":
            headers = {k: v for k, v in headers.items() if k.lower() != "range"}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST", "PATCH") else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        record["status"] = resp.status
        if fault == "lost":
            conn.close()
            return self.hang_up()
        self.send_response(resp.status)
        mine = "%s:%d" % self.server.server_address[:2]
        for k, v in resp.getheaders():
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            if k.lower() == "location":
                v = v.replace(UPSTREAM, mine)
            self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
        elif fault == "shortlen":
            self.send_header("Content-Length", str(max(len(data) - 1, 0)))
        elif fault == "longlen":
            self.send_header("Content-Length", str(len(data) + 64))
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        conn.close()
        if self.command == "HEAD":
            return
        if fault == "dropmid":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self.hang_up()
        if fault == "trickle":
            for i in range(0, len(data), 64):
                self.wfile.write(data[i:i + 64])
                self.wfile.flush()
                time.sleep(0.05)
            return
        if fault == "shortlen":
            self.wfile.write(data[:-1] if data else data)
            return self.hang_up()
        self.wfile.write(data)
        if fault == "longlen":
            self.wfile.flush()
            return self.hang_up()

    def hang_up(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", PORT), Proxy)
server.daemon_threads = True
print("LISTENING %d" % server.server_address[1], flush=True)
server.serve_forever()
