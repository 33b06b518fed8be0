#!/usr/bin/env python3
"""aws-fake-meta: a fake EC2 IMDS and ECS container credential endpoint.

  python3 tests/aws-fake-meta.py PORTFILE LOGFILE [AUTH_TOKEN]

Listens on 127.0.0.1 (a free port, written to PORTFILE), logs one line per
request to LOGFILE: "METHOD PATH auth=... token=... ttl=...".  The first
path segment picks the behaviour, so one server serves every case:

  /MODE/latest/api/token                  IMDSv2 token (PUT)
  /MODE/latest/meta-data/iam/security-credentials/[ROLE]
  /MODE/creds                             container credentials

MODE words (joined with "-"): v1 (the token PUT answers 405), norole
(no role: 404), slow (sleep 5 s first), short (expires in 120 s, else
3600 s), bad (credentials JSON without SecretAccessKey).  Container
requests need "Authorization: AUTH_TOKEN" when AUTH_TOKEN is given.
Every credential document has a new key AKIDC<n>.  Exits after 120 s.
"""
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "imds-token-123"
ROLE = "hookpipe-role"
lock = threading.Lock()
counter = [0]


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def log(self):
        with lock, open(LOG, "a") as f:
            f.write("%s %s auth=%s token=%s ttl=%s\n" % (
                self.command, self.path,
                self.headers.get("Authorization", "-"),
                self.headers.get("X-aws-ec2-metadata-token", "-"),
                self.headers.get("X-aws-ec2-metadata-token-ttl-seconds",
                                 "-")))

    def send(self, code, body, ctype="text/plain"):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def creds(self, mode):
        with lock:
            counter[0] += 1
            n = counter[0]
        exp = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(seconds=120 if "short" in mode else 3600)
        d = {"Code": "Success", "Type": "AWS-HMAC",
             "AccessKeyId": "AKIDC%d" % n,
             "SecretAccessKey": "secret%d" % n,
             "Token": "session%d" % n,
             "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if "bad" in mode:
            del d["SecretAccessKey"]
        self.send(200, json.dumps(d), "application/json")

    def route(self):
        self.log()
        parts = self.path.split("/", 2)
        mode = parts[1].split("-") if len(parts) > 1 else []
        rest = "/" + parts[2] if len(parts) > 2 else "/"
        if "slow" in mode:
            time.sleep(5)
        if rest == "/creds" and self.command == "GET":
            if AUTH and self.headers.get("Authorization") != AUTH:
                return self.send(403, "bad token")
            return self.creds(mode)
        if rest == "/latest/api/token":
            if self.command != "PUT":
                return self.send(405, "")
            if "v1" in mode:
                return self.send(405, "")
            if self.headers.get("X-aws-ec2-metadata-token-ttl-seconds") \
                    is None:
                return self.send(400, "")
            return self.send(200, TOKEN)
        if self.command != "GET":
            return self.send(405, "")
        if "v1" not in mode and \
                self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.send(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if rest == base:
            if "norole" in mode:
                return self.send(404, "")
            return self.send(200, ROLE)
        if rest == base + ROLE:
            return self.creds(mode)
        return self.send(404, "")

    do_GET = route
    do_PUT = route


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    LOG = sys.argv[2]
    AUTH = sys.argv[3] if len(sys.argv) == 4 else None
    open(LOG, "w").close()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(120)
