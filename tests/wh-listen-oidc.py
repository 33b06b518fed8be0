#!/usr/bin/env python3
"""wh-listen-oidc.py: Google Pub/Sub push tokens and Google's JWKS
endpoint, faked for tests/wh-listen-oidc.t.

The token is what Google's "Authentication for push subscriptions"
(cloud.google.com/pubsub/docs/authenticate-push-subscriptions, "JWT
format") shows: header {"alg":"RS256","kid":...,"typ":"JWT"}, claims aud,
azp, email, sub, email_verified, exp, iat (an hour apart), iss
"https://accounts.google.com".  The JWKS is the shape of
https://www.googleapis.com/oauth2/v3/certs (RFC 7517: kty RSA, alg RS256,
use sig, kid, n, e), served with the Cache-Control Google's answer has.

  wh-listen-oidc.py key DIR KID
      Make an RSA key DIR/KID.pem (openssl CLI) and its JWK DIR/KID.jwk.
  wh-listen-oidc.py jwks DIR KID...
      Print a JWKS of those keys.
  wh-listen-oidc.py token DIR KID [NAME=VALUE | -NAME | h.NAME=VALUE |
      sig=bad | alg=none | alg=HS256]...
      Print a push token signed with DIR/KID.pem.  NAME=VALUE sets a claim
      (a JSON value, or else a string; exp and iat are seconds from now),
      -NAME drops one, h.NAME=VALUE sets a header member (h.kid); sig=bad
      changes the claims after signing; alg=none sends no signature,
      alg=HS256 an HMAC keyed with the public key's PEM (the confusion).
  wh-listen-oidc.py serve DIR
      Serve DIR/jwks.json (read at each request) at GET /oauth2/v3/certs
      over HTTPS with a self-signed certificate for 127.0.0.1
      (DIR/cert.pem, made by wh-listen-sns.py's make_keys); anything else
      404.  Each request line goes to
      DIR/gets; "PORT" to DIR/port once ready; exits after 300 s.
"""
import base64
import hashlib
import hmac
import http.server
import importlib.util
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time

AUD = "https://example.com/push"
EMAIL = "gae-gcp@appspot.gserviceaccount.com"
SUB = "113774264463038321964"
# Google's answer for /oauth2/v3/certs carries this
CACHE = "public, max-age=19930, must-revalidate, no-transform"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def key(d, kid):
    pem = os.path.join(d, kid + ".pem")
    subprocess.run(["openssl", "genrsa", "-out", pem, "2048"], check=True,
                   stderr=subprocess.DEVNULL)
    text = subprocess.run(["openssl", "rsa", "-in", pem, "-noout", "-text"],
                          check=True, capture_output=True, text=True).stdout
    mod = re.search(r"modulus:\n((?:\s+[0-9a-f:]+\n)+)", text).group(1)
    n = int(re.sub(r"[\s:]", "", mod), 16)
    e = int(re.search(r"publicExponent: (\d+)", text).group(1))
    jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
           "n": b64u(n.to_bytes((n.bit_length() + 7) // 8, "big")),
           "e": b64u(e.to_bytes((e.bit_length() + 7) // 8, "big"))}
    with open(os.path.join(d, kid + ".jwk"), "w") as f:
        json.dump(jwk, f)


def jwks(d, kids):
    keys = []
    for k in kids:
        with open(os.path.join(d, k + ".jwk")) as f:
            keys.append(json.load(f))
    print(json.dumps({"keys": keys}, indent=2))


def token(d, kid, args):
    now = int(time.time())
    hdr = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    c = {"aud": AUD, "azp": SUB, "email": EMAIL, "sub": SUB,
         "email_verified": True, "exp": now + 3600, "iat": now,
         "iss": "https://accounts.google.com"}
    bad = False
    for a in args:
        if a.startswith("-"):
            c.pop(a[1:], None)
            continue
        k, v = a.split("=", 1)
        try:
            v = json.loads(v)
        except ValueError:
            pass
        if k == "sig":
            bad = True
        elif k == "alg":
            hdr["alg"] = v
        elif k.startswith("h."):
            hdr[k[2:]] = v
        elif k in ("exp", "iat"):
            c[k] = now + v
        else:
            c[k] = v
    tbs = (b64u(json.dumps(hdr, separators=(",", ":")).encode()) + "." +
           b64u(json.dumps(c, separators=(",", ":")).encode())).encode()
    pem = os.path.join(d, kid + ".pem")
    if hdr["alg"] == "none":
        sig = b""
    elif hdr["alg"] == "HS256":
        pub = subprocess.run(["openssl", "rsa", "-in", pem, "-pubout"],
                             check=True, capture_output=True).stdout
        sig = hmac.new(pub, tbs, hashlib.sha256).digest()
    else:
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem],
                             input=tbs, check=True,
                             capture_output=True).stdout
    if bad:
        c["email"] = "attacker@example.com"
        tbs = (tbs.split(b".")[0] + b"." + b64u(json.dumps(c, separators=(",", ":")).encode())
               .encode())
    print(tbs.decode() + "." + b64u(sig))


def serve(d):
    # the fake SNS's self-signed certificate for 127.0.0.1, made the same
    # way: DIR/key.pem and DIR/cert.pem
    spec = importlib.util.spec_from_file_location("sns", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "wh-listen-sns.py"))
    sns = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sns)
    sns.make_keys(d)
    log = open(os.path.join(d, "gets"), "a", buffering=1)

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            log.write("%s %s\n" % (self.command, self.path))
            hd = [("Content-Type", "text/plain")]
            if self.path == "/oauth2/v3/certs":
                with open(os.path.join(d, "jwks.json"), "rb") as f:
                    body, code = f.read(), 200
                hd = [("Content-Type", "application/json; charset=UTF-8"),
                      ("Cache-Control", CACHE)]
            else:
                body, code = b"not found\n", 404
            self.send_response(code)
            for k, v in hd:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    s.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "cert.pem"),
                        os.path.join(d, "key.pem"))
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % s.server_address[1])
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    threading.Event().wait(300)     # bounded: the test is over by then


if __name__ == "__main__":
    a = sys.argv
    if len(a) == 4 and a[1] == "key":
        key(a[2], a[3])
    elif len(a) >= 4 and a[1] == "jwks":
        jwks(a[2], a[3:])
    elif len(a) >= 4 and a[1] == "token":
        token(a[2], a[3], a[4:])
    elif len(a) == 3 and a[1] == "serve":
        serve(a[2])
    else:
        sys.exit(__doc__)
