#!/usr/bin/env python3
"""Fake iconik API for the flow tests (tests/flow-iconik.t, flow-cron.t).

usage: iconik.py PORT LOG

Follows iconik's own SDKs: the iconik TypeScript client
(github.com/bootsie123/iconik-typescript, package 2.0.0, commit b9247c8:
openapi.json, typescript-client/TranscodeApi.md and AssetsApi.md; server
https://app.iconik.io/API/) and pythonik (github.com/NorthShoreAutomation/
pythonik, the TranscodeSpec of pull request 84, commit 45c1093:
pythonik/specs/transcode.py analyze_asset, pythonik/models/transcode.py
AnalyzeSchema, pythonik/tests/test_transcode.py).  Only these routes:

  POST /API/transcode/v1/analyze/assets/{asset_id}/
  POST /API/transcode/v1/analyze/assets/{asset_id}/profiles/default/
       "Start a job that sends an asset for analysis"; optional JSON body,
       an AnalyzeSchema {"force": bool, "force_type": "OVERWRITE"|"APPEND"
       |null, "service_name": str}; 201 "Returns a definition of the
       started job" (the SDK gives it no schema: here a JobSchema of type
       ANALYZE, {"id","object_id","object_type","type","status","title"};
       pythonik's own test mocks the call as 204 with no body);
       400 for a body that is not such an object.  (openapi.json marks the
       first deprecated in favour of .../profiles/default/; both answer.)
  GET  /API/assets/v1/assets/{asset_id}/
       200 an AssetSchema {"id","title","status":"ACTIVE","type":"ASSET",
       "analyze_status","date_created"}; 404 "Asset does not exist".
       Fault injection for flow-cron.t: asset_id "missing" is 404,
       "flaky" is 503 the first time.

Both want the App-ID and Auth-Token headers (the SDKs' appId and
authToken API keys), here app-1 and tok-1: missing or wrong, 401 "Token
is invalid" in iconik's error shape {"errors": [...]}.  Anything else:
404 {"errors": ["Not found"]}.  No videointel route: iconik's SDKs do
not have it (it was in a 2018 tutorial).

Every request is appended to LOG as one JSON line:
{"method","path","headers":{lower-case name: value},"body","status"}.
"""
import json
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_ID, TOKEN = "app-1", "tok-1"
LOCK = threading.Lock()
SEEN = {}
LOGF = None
ANALYZE = re.compile(
    r"^/API/transcode/v1/analyze/assets/([^/]+)/(profiles/default/)?$")
ASSET = re.compile(r"^/API/assets/v1/assets/([^/]+)/$")
ANALYZE_FIELDS = {
    "force": lambda v: isinstance(v, bool),
    "force_type": lambda v: v in ("OVERWRITE", "APPEND", None),
    "service_name": lambda v: isinstance(v, str),
}


def analyze_errors(body):
    """The AnalyzeSchema errors of a request body, {} when it is valid."""
    if not body.strip():
        return {}
    try:
        obj = json.loads(body)
    except ValueError:
        return {"_schema": "Invalid input type."}
    if not isinstance(obj, dict):
        return {"_schema": "Invalid input type."}
    errs = {}
    for k, v in obj.items():
        if k not in ANALYZE_FIELDS:
            errs[k] = "Unknown field."
        elif not ANALYZE_FIELDS[k](v):
            errs[k] = "Invalid value."
    return errs


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def route(self, body):
        """(status, answer) for a request"""
        path = self.path.split("?")[0]
        m = ANALYZE.match(path) if self.command == "POST" else None
        a = ASSET.match(path) if self.command == "GET" else None
        if not m and not a:
            return (404, {"errors": ["Not found"]})
        if self.headers.get("App-ID") != APP_ID or \
                self.headers.get("Auth-Token") != TOKEN:
            return (401, {"errors": ["Token is invalid"]})
        if m:
            errs = analyze_errors(body.decode("utf-8", "replace"))
            if errs:
                return (400, {"errors": errs})
            aid = m.group(1)
            return (201, {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "analyze/" + aid)),
                "object_id": aid, "object_type": "assets",
                "type": "ANALYZE", "status": "READY",
                "title": "Analyze asset " + aid})
        aid = a.group(1)
        with LOCK:
            SEEN[aid] = SEEN.get(aid, 0) + 1
            first = SEEN[aid] == 1
        if aid == "missing":
            return (404, {"errors": ["Asset does not exist"]})
        if aid == "flaky" and first:
            return (503, {"errors": ["try again"]})
        return (200, {"id": aid, "title": "Title of " + aid,
                               "status": "ACTIVE", "type": "ASSET",
                               "analyze_status": "N/A",
                               "date_created": "2026-11-28T00:00:00Z"})

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        code, obj = self.route(body)
        rec = {"method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace"), "status": code}
        # logged before the answer: a test that saw the answer sees the line
        with LOCK:
            LOGF.write(json.dumps(rec) + "\n")
            LOGF.flush()
        out = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    global LOGF
    LOGF = open(sys.argv[2], "a")
    s = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
    s.daemon_threads = True
    s.serve_forever()


if __name__ == "__main__":
    main()
