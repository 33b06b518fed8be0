#!/usr/bin/env python3
"""The generic HTTP peer and the fake Slack of the wh-send, slack-post and
job-fetch tests (the job platform is tests/fake/jobplatform.py).

usage: httpd.py PORT LOG

Listens on 127.0.0.1:PORT; every request is appended to LOG as one JSON
line (tests/fake/fakebase.py).

Generic routes (wh-send is a client of any HTTP server; these are faults
to provoke, not a vendor's API):
  /status/NNN             answer NNN, body "status NNN"
  /flaky/KEY/N/NNN[?ra=S] the first N requests per KEY answer NNN (with
                          Retry-After: S when given), then 200
  /slow/SECONDS           wait, then 200
  /stall/N                200 with Content-Length N, sends N/2 bytes and
                          then nothing more (for 120 s at most) while
                          keeping the connection open: a stall mid-body
  anything else           200 {"ok":true,"n":<request count>}

Slack, after https://api.slack.com/messaging/webhooks ("Handling errors")
and https://api.slack.com/methods/chat.postMessage:
  /services/...           incoming webhook: "ok"; .../bad: 400
                          invalid_payload; .../gone: 404 channel_not_found;
                          .../forbidden: 403 invalid_token; .../archived:
                          410 channel_is_archived; .../limit: 429
                          Retry-After 1 on every 2nd post
  /api/chat.postMessage   Web API; token xoxb-good, else invalid_auth;
                          channel C404: channel_not_found; CLIMIT: first
                          post 429 Retry-After 1; CWAIT: every post 429
                          Retry-After 30
"""
import json
import os
import sys
import time
from urllib.parse import urlsplit, parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402


class H(fakebase.Base):
    def handle_any(self):
        body = self.read_body()
        u = urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        q = parse_qs(u.query)
        if parts[0] == "status" and len(parts) == 2:
            return self.send(int(parts[1]), "status %s" % parts[1])
        if parts[0] == "flaky" and len(parts) == 4:
            c = self.count(parts[1])
            if c <= int(parts[2]):
                hd = [("Retry-After", q["ra"][0])] if "ra" in q else []
                return self.send(int(parts[3]), "try later", headers=hd)
            return self.send_json(200, {"ok": True, "try": c})
        if parts[0] == "slow" and len(parts) == 2:
            time.sleep(float(parts[1]))
            return self.send(200, "slow ok")
        if parts[0] == "stall" and len(parts) == 2:
            return self.stall(int(parts[1]))
        if parts[0] == "services":
            return self.slack_webhook(parts, body)
        if u.path == "/api/chat.postMessage":
            return self.slack_api(body)
        return self.send_json(200, {"ok": True, "n": self.count("all")})

    def stall(self, n):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.write(b"s" * (n // 2))
        self.wfile.flush()
        # hold the connection open, sending nothing, until the client
        # gives up (its reads see EOF only when it closes)
        self.connection.settimeout(1)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                if self.connection.recv(1) == b"":
                    break
            except OSError as e:
                if "timed out" not in str(e):
                    break
        self.close_connection = True

    def slack_webhook(self, parts, body):
        last = parts[-1]
        if last == "bad":
            return self.send(400, "invalid_payload")
        if last == "gone":
            return self.send(404, "channel_not_found")
        if last == "forbidden":
            return self.send(403, "invalid_token")
        if last == "archived":
            return self.send(410, "channel_is_archived")
        if last == "limit" and self.count("wh-limit") % 2 == 0:
            return self.send(429, "rate_limited",
                             headers=[("Retry-After", "1")])
        try:
            json.loads(body)
        except ValueError:
            return self.send(400, "invalid_payload")
        return self.send(200, "ok", "text/html")

    def slack_api(self, body):
        def reply(obj, code=200, hd=()):
            self.send_json(code, obj, hd)
        if self.headers.get("Authorization") != "Bearer xoxb-good":
            return reply({"ok": False, "error": "invalid_auth"})
        try:
            msg = json.loads(body)
        except ValueError:
            return reply({"ok": False, "error": "invalid_json"})
        ch = msg.get("channel")
        if ch == "C404":
            return reply({"ok": False, "error": "channel_not_found"})
        if ch == "CLIMIT" and self.count("api-limit") == 1:
            return reply({"ok": False, "error": "ratelimited"}, 429,
                         [("Retry-After", "1")])
        if ch == "CWAIT":
            return reply({"ok": False, "error": "ratelimited"}, 429,
                         [("Retry-After", "30")])
        if not msg.get("text") and not msg.get("blocks"):
            return reply({"ok": False, "error": "no_text"})
        ts = "%.6f" % time.time()
        return reply({"ok": True, "channel": ch, "ts": ts,
                      "message": {"text": msg.get("text", "")}})


if __name__ == "__main__":
    fakebase.serve(sys.argv[2], [(int(sys.argv[1]), H)])
