#!/usr/bin/env python3
"""Fault-injecting reverse proxy for registry retry tests (Python stdlib only).

Usage: faultproxy.py UPSTREAM_HOST:PORT FAULTS [PORT]

FAULTS is a comma-separated list applied, in order, to the first requests whose path contains
/manifests/ or /blobs/ (one fault per request): `429` (TOOMANYREQUESTS, Retry-After: 1),
`429d` (Retry-After as an HTTP date 1 s ahead), `503` (UNAVAILABLE, no Retry-After), `502`,
`drop` (close the connection without answering), `ok` (forward). Afterwards every request is
forwarded unchanged. Listens on 127.0.0.1:PORT (0 = any free port) and prints
`LISTENING <port>` on stdout; GET /__faults__ returns the faults not yet used and a log of
what was served (JSON).
"""
import email.utils
import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = sys.argv[1]
FAULTS = [f for f in sys.argv[2].split(",") if f]
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 0
LOCK = threading.Lock()
SERVED = []
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def next_fault(path):
    if "/manifests/" not in path and "/blobs/" not in path:
        return None
    with LOCK:
        return FAULTS.pop(0) if FAULTS else None


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
        fault = next_fault(self.path)
        with LOCK:
            SERVED.append({"method": self.command, "path": self.path.split("?")[0], "fault": fault})
        if fault == "429":
            return self.fail(429, "TOOMANYREQUESTS", "1")
        if fault == "429d":
            return self.fail(429, "TOOMANYREQUESTS", email.utils.formatdate(time.time() + 2, usegmt=True))
        if fault in ("503", "502"):
            return self.fail(int(fault), "UNAVAILABLE", None)
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
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST", "PATCH") else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
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
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


server = ThreadingHTTPServer(("127.0.0.1", PORT), Proxy)
server.daemon_threads = True
print("LISTENING %d" % server.server_address[1], flush=True)
server.serve_forever()
