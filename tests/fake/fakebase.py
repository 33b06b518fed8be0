"""What the fake servers in tests/fake share: a request log, counters,
answers, and the serving of one handler class per port (127.0.0.1 only).

Every request is appended to the log as one JSON line (one write on an
O_APPEND descriptor, so several fakes may share a log):
{"port","t" (arrival, epoch seconds),"method","path","headers":{lower-case name: value},"body"}.
"""
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNT = {}
LOGFD = None


def count(key):
    with LOCK:
        COUNT[key] = COUNT.get(key, 0) + 1
        return COUNT[key]


class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def count(self, key):
        return count(key)

    def send(self, code, body=b"", ctype="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, code, obj, headers=()):
        self.send(code, json.dumps(obj), "application/json", headers)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        rec = {"port": self.server.server_address[1], "t": time.time(),
               "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace")}
        line = (json.dumps(rec) + "\n").encode()
        with LOCK:
            os.write(LOGFD, line)
        return body

    def handle_any(self):
        raise NotImplementedError

    def do_GET(self):
        self.handle_any()
    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET


def serve(log, pairs):
    """pairs: (port, handler class); serves them all until killed"""
    global LOGFD
    LOGFD = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    servers = []
    for port, cls in pairs:
        s = ThreadingHTTPServer(("127.0.0.1", port), cls)
        s.daemon_threads = True
        servers.append(s)
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()
