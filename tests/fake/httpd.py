#!/usr/bin/env python3
"""Fake HTTP peers for the wh-send, slack-post and job-fetch tests.

usage: httpd.py PORT LOG [PORT2]

Listens on 127.0.0.1:PORT (and PORT2, the "storage" host that signed
URLs point to).  Every request is appended to LOG as one JSON line:
{"port","method","path","headers":{lower-case name: value},"body"}.

Routes (anything else: 200 {"ok":true,"n":<request count>}):
  /status/NNN             answer NNN, body "status NNN"
  /flaky/KEY/N/NNN[?ra=S] the first N requests per KEY answer NNN (with
                          Retry-After: S when given), then 200
  /slow/SECONDS           wait, then 200
  /services/...           Slack incoming webhook: "ok"; .../bad: 400
                          invalid_payload; .../gone: 404 channel_not_found;
                          .../limit: 429 Retry-After 1 on every 2nd post
  /api/chat.postMessage   Slack Web API; token xoxb-good; channel C404:
                          channel_not_found; CLIMIT: first post 429
  /v1/jobs/ID/output      job platform, Bearer jobtoken; ID expired: 404,
                          gone: 410, redir: 302 to PORT2 /signed/ID,
                          cut: the body is cut the first time, Range
                          honoured; slow: a body that trickles; big-N:
                          N bytes; bigcut-N: N bytes cut at half the
                          first time, Range honoured; bigre-N: cut the
                          same way, then 200 and all N bytes again;
                          named/utf/evil: Content-Disposition
  /signed/ID              storage: serves ID's output without a token
"""
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

LOCK = threading.Lock()
COUNT = {}
LOGF = None
PORTS = []


def output_of(jid):
    if jid.startswith("big"):
        return None
    return ("output of job %s\n" % jid).encode() * (
        4000 if jid in ("cut", "slow") else 1)


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def count(self, key):
        with LOCK:
            COUNT[key] = COUNT.get(key, 0) + 1
            return COUNT[key]

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

    def record(self, body):
        rec = {"port": self.server.server_address[1],
               "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace")}
        with LOCK:
            LOGF.write(json.dumps(rec) + "\n")
            LOGF.flush()

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.record(body)
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
            return self.send(200, json.dumps({"ok": True, "try": c}),
                             "application/json")
        if parts[0] == "slow" and len(parts) == 2:
            time.sleep(float(parts[1]))
            return self.send(200, "slow ok")
        if parts[0] == "services":
            return self.slack_webhook(parts, body)
        if u.path == "/api/chat.postMessage":
            return self.slack_api(body)
        if parts[0] == "v1" and len(parts) == 4 and parts[1] == "jobs" \
                and parts[3] == "output":
            if self.headers.get("Authorization") != "Bearer jobtoken":
                return self.send(401, json.dumps({"error": "bad token"}),
                                 "application/json")
            return self.job(parts[2], signed=False)
        if parts[0] == "signed" and len(parts) == 2:
            return self.job(parts[1], signed=True)
        n = self.count("all")
        return self.send(200, json.dumps({"ok": True, "n": n}),
                         "application/json")

    def slack_webhook(self, parts, body):
        last = parts[-1]
        if last == "bad":
            return self.send(400, "invalid_payload")
        if last == "gone":
            return self.send(404, "channel_not_found")
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
            self.send(code, json.dumps(obj), "application/json", hd)
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
        if not msg.get("text") and not msg.get("blocks"):
            return reply({"ok": False, "error": "no_text"})
        ts = "%.6f" % time.time()
        return reply({"ok": True, "channel": ch, "ts": ts,
                      "message": {"text": msg.get("text", "")}})

    def job(self, jid, signed):
        if jid == "expired":
            return self.send(404, json.dumps({"error": "job not found"}),
                             "application/json")
        if jid == "gone":
            return self.send(410, json.dumps({"error": "job expired"}),
                             "application/json")
        if jid == "redir" and not signed:
            loc = "http://127.0.0.1:%d/signed/redir?sig=abc" % PORTS[-1]
            return self.send(302, "", headers=[("Location", loc)])
        hd = []
        if jid == "named":
            hd.append(("Content-Disposition",
                       'attachment; filename="report 1.csv"'))
        elif jid == "evil":
            hd.append(("Content-Disposition",
                       'attachment; filename="../../etc/pa\\"ss\x01wd"'))
        elif jid == "utf":
            hd.append(("Content-Disposition",
                       "attachment; filename=\"x.txt\"; "
                       "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"))
        if jid.startswith("big-"):
            return self.big(int(jid[4:]))
        if jid.startswith("bigcut-") or jid.startswith("bigre-"):
            n = int(jid.split("-", 1)[1])
            rng = self.headers.get("Range")
            if self.count(jid) == 1:
                return self.big(n, cut=n // 2)
            if jid.startswith("bigcut-") and rng and \
                    rng.startswith("bytes=") and rng.endswith("-"):
                return self.big(n, start=int(rng[6:-1]))
            return self.big(n)
        data = output_of(jid)
        start = 0
        rng = self.headers.get("Range")
        code = 200
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            code = 206
            hd.append(("Content-Range", "bytes %d-%d/%d" %
                       (start, len(data) - 1, len(data))))
        part = data[start:]
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(part)))
        for k, v in hd:
            self.send_header(k, v)
        self.end_headers()
        if jid == "cut" and self.count("cut") == 1:
            # half the body, then the connection drops
            self.wfile.write(part[:len(part) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if jid == "slow":
            for i in range(0, len(part), 4096):
                self.wfile.write(part[i:i + 4096])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(part)

    def big(self, n, start=0, cut=None):
        """N bytes of a 64 KiB pattern, from start (a 206); with cut,
        only that many are sent before the connection drops"""
        block = hashlib.sha256(b"hookpipe").digest() * 2048  # 64 KiB
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n - start))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" %
                             (start, n - 1, n))
        self.end_headers()
        pos, end = start, n if cut is None else cut
        while pos < end:
            o = pos % len(block)
            k = min(end - pos, len(block) - o)
            self.wfile.write(block[o:o + k])
            pos += k
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def main():
    global LOGF
    LOGF = open(sys.argv[2], "a")
    ports = [int(p) for p in sys.argv[1:2] + sys.argv[3:4]]
    PORTS.extend(ports)
    servers = []
    for p in ports:
        s = ThreadingHTTPServer(("127.0.0.1", p), H)
        s.daemon_threads = True
        servers.append(s)
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
