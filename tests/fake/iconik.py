#!/usr/bin/env python3
"""Fake iconik API for the flow tests (tests/flow-iconik.t, flow-cron.t).

usage: iconik.py PORT LOG

Listens on 127.0.0.1:PORT.  Every request is appended to LOG as one JSON
line: {"method","path","headers":{lower-case name: value},"body"}.
Every route wants the headers App-ID: app-1 and Auth-Token: tok-1, else
401 {"errors":["Unauthorized"]}.

  POST /API/transcode/v1/videointel/assets/ID/   202 {"job_id","asset_id"}
  GET  /API/assets/v1/assets/ID/                 200 the asset:
       {"id","title","status":"ACTIVE","type":"ASSET","date_created"};
       ID "missing": 404; ID "flaky": 503 the first time
  anything else                                  404
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_ID, TOKEN = "app-1", "tok-1"
LOCK = threading.Lock()
SEEN = {}
LOGF = None


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        rec = {"method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace")}
        with LOCK:
            LOGF.write(json.dumps(rec) + "\n")
            LOGF.flush()
        if self.headers.get("App-ID") != APP_ID or \
                self.headers.get("Auth-Token") != TOKEN:
            return self.send(401, {"errors": ["Unauthorized"]})
        p = self.path.split("?")[0].strip("/").split("/")
        if self.command == "POST" and p[:5] == \
                ["API", "transcode", "v1", "videointel", "assets"] \
                and len(p) == 6:
            return self.send(202, {"job_id": "vi-" + p[5],
                                   "asset_id": p[5]})
        if self.command == "GET" and p[:4] == \
                ["API", "assets", "v1", "assets"] and len(p) == 5:
            aid = p[4]
            with LOCK:
                SEEN[aid] = SEEN.get(aid, 0) + 1
                first = SEEN[aid] == 1
            if aid == "missing":
                return self.send(404, {"errors": ["Asset not found"]})
            if aid == "flaky" and first:
                return self.send(503, {"errors": ["try again"]})
            return self.send(200, {"id": aid, "title": "Title of " + aid,
                                   "status": "ACTIVE", "type": "ASSET",
                                   "date_created": "2026-11-28T00:00:00Z"})
        return self.send(404, {"errors": ["Not found"]})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    global LOGF
    LOGF = open(sys.argv[2], "a")
    s = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
    s.daemon_threads = True
    s.serve_forever()


if __name__ == "__main__":
    main()
