#!/usr/bin/env python3
"""A checking proxy in front of the Pub/Sub emulator, for
tests/pubsub-auth.t: what pubsub.googleapis.com asks of a client that
the emulator does not (it ignores Authorization).

usage: gproxy.py PORT LOG UPSTREAM CTL

  /v1/projects/...  with "Authorization: Bearer TOKEN", TOKEN a line of
                    CTL/issued (the tokens tests/fake/gtoken.py handed
                    out; a test revokes one by taking its line out, and
                    all of them, new ones too, while CTL/refuse exists):
                    sent on to UPSTREAM (http://host:port, the emulator)
                    and its answer passed back.  Without such a header,
                    401 with Google's error body (AIP-193, the shape of
                    every googleapis.com JSON error: {"error": {"code",
                    "message", "status"}}; the message as Pub/Sub words
                    it for a bad or expired token, quoted in Google's
                    client-library issues, e.g. googleapis/java-pubsub
                    #1438) and WWW-Authenticate: Bearer realm=...
                    (RFC 6750 3, as Google's front end sends it).
  anything else:    404, not sent on.

Every request goes to LOG as tests/fake/fakebase.py's JSON line plus
"status", the answer's code, written just before the answer is sent.
"""
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

CONF = {}
UNAUTH = {"error": {
    "code": 401,
    "message": "Request had invalid authentication credentials. Expected "
               "OAuth 2 access token, login cookie or other valid "
               "authentication credential. See https://developers.google."
               "com/identity/sign-in/web/devconsole-project.",
    "status": "UNAUTHENTICATED"}}
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
       "upgrade", "proxy-authorization", "proxy-authenticate", "host",
       "content-length"}


def issued():
    try:
        with open(os.path.join(CONF["ctl"], "issued")) as f:
            return {line.strip() for line in f if line.strip()}
    except OSError:
        return set()


def authorized(value):
    scheme, _, tok = (value or "").partition(" ")
    if os.path.exists(os.path.join(CONF["ctl"], "refuse")):
        return False
    return scheme.lower() == "bearer" and tok.strip() in issued()


class H(fakebase.Base):
    def log_answer(self, body, status):
        rec = {"port": self.server.server_address[1], "t": time.time(),
               "method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": body.decode("utf-8", "replace"), "status": status}
        with fakebase.LOCK:
            os.write(fakebase.LOGFD, (json.dumps(rec) + "\n").encode())

    def forward(self, body):
        """the upstream's answer: (status, body, content type)"""
        u = urllib.parse.urlsplit(CONF["upstream"])
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in HOP}
        try:
            c.request(self.command, self.path, body=body, headers=hdrs)
            r = c.getresponse()
            return (r.status, r.read(),
                    r.getheader("Content-Type", "application/json"))
        except OSError as e:
            return (502, json.dumps({"error": {
                "code": 502, "message": "upstream: %s" % e,
                "status": "UNAVAILABLE"}}), "application/json")
        finally:
            c.close()

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        hdrs = []
        if not self.path.startswith("/v1/projects/"):
            ans = (404, "Not Found\n", "text/plain")
        elif not authorized(self.headers.get("Authorization")):
            ans = (401, json.dumps(UNAUTH), "application/json")
            hdrs = [("WWW-Authenticate",
                     'Bearer realm="https://accounts.google.com/"')]
        else:
            ans = self.forward(body)
        # logged before the answer: a client that has it may read the log
        self.log_answer(body, ans[0])
        self.send(ans[0], ans[1], ans[2], hdrs)


if __name__ == "__main__":
    CONF["upstream"], CONF["ctl"] = sys.argv[3], sys.argv[4]
    fakebase.serve(sys.argv[2], [(int(sys.argv[1]), H)])
