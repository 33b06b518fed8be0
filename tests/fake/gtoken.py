#!/usr/bin/env python3
"""A fake Google OAuth 2.0 token endpoint and metadata server, for
tests/gcpauth.t (lib/gcpauth) and tests/pubsub-auth.t (with
tests/fake/gproxy.py); tests/fake/gtoken.sh starts it.

usage: gtoken.py PORT LOG PUBKEY CTL

Follows Google's "Using OAuth 2.0 for Server to Server Applications"
(https://developers.google.com/identity/protocols/oauth2/service-account,
"Preparing to make an authorized API call" / HTTP/REST: "Creating a
JWT", "Making the access token request", "Handling the response") and,
for the metadata server, Compute Engine's "About VM metadata" /
"Authenticate workloads using service accounts" (the token path, the
Metadata-Flavor: Google header, 403 without it).  Only these routes:

  POST /token   form grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
                and assertion=JWT.  The JWT must be RS256 ("alg", and
                "typ" JWT if present), signed by the key whose public half
                is PUBKEY (PEM), with claims iss (an e-mail address),
                scope (the Pub/Sub scope), aud (this endpoint's own URL,
                http://127.0.0.1:PORT/token, as Google wants its own),
                iat and exp with exp - iat <= 3600 and now inside
                [iat - 300, exp].  200 {"access_token","expires_in",
                "token_type":"Bearer"}; refusals are Google's JSON errors
                with 400: {"error":"invalid_grant","error_description":
                "Invalid JWT Signature."}, "Invalid JWT: Token must be a
                short-lived token (60 minutes) and in a reasonable
                timeframe...", invalid_scope, unsupported_grant_type,
                invalid_request.
  GET  /computeMetadata/v1/instance/service-accounts/default/token
                (any ?scopes=): with Metadata-Flavor: Google, 200 the same
                JSON (answered with Metadata-Flavor: Google); without it,
                403 as the metadata server does.
  anything else: 404.

CTL is a folder read at each request: CTL/expires_in the expires_in to
hand out (default 3599, Google's), CTL/fail503 a count of requests still
to answer 503 (decremented).  Tokens are ya29.fake-N (exchange) and
ya29.meta-N (metadata), N counting up; each one handed out is appended
to CTL/issued, a line each (what tests/fake/gproxy.py accepts: a test
revokes a token by taking its line out).  Every request goes to LOG
(tests/fake/fakebase.py's JSON lines).
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/pubsub"
META = "/computeMetadata/v1/instance/service-accounts/default/token"
SHORT = ("Invalid JWT: Token must be a short-lived token (60 minutes) and "
         "in a reasonable timeframe. Check your iat and exp values in the "
         "JWT claim.")
CONF = {}


def b64url(s):
    if "=" in s or not s:
        raise ValueError("padded or empty")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def rs256_ok(signing_input, sig):
    """the RS256 signature of signing_input under PUBKEY"""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError:
        return openssl_ok(signing_input, sig)
    with open(CONF["pubkey"], "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    try:
        key.verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:
        return False


def openssl_ok(signing_input, sig):
    with tempfile.NamedTemporaryFile() as f:
        f.write(sig)
        f.flush()
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify",
                            CONF["pubkey"], "-signature", f.name],
                           input=signing_input, capture_output=True)
        return r.returncode == 0


def ctl(name, default):
    try:
        with open(os.path.join(CONF["ctl"], name)) as f:
            return int(f.read().strip() or default)
    except (OSError, ValueError):
        return default


def take_fail():
    """1 if this request is to answer 503 (CTL/fail503 counts down)"""
    with fakebase.LOCK:
        n = ctl("fail503", 0)
        if n <= 0:
            return 0
        with open(os.path.join(CONF["ctl"], "fail503"), "w") as f:
            f.write("%d\n" % (n - 1))
        return 1


def jwt_error(assertion, aud):
    """None if the assertion is good, else (error, description)"""
    try:
        h64, c64, s64 = assertion.split(".")
        header = json.loads(b64url(h64))
        claims = json.loads(b64url(c64))
        sig = b64url(s64)
    except ValueError:
        return ("invalid_grant", "Invalid JWT: not a JWS")
    if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT":
        return ("invalid_grant", "Invalid JWT Signature.")
    if not rs256_ok((h64 + "." + c64).encode(), sig):
        return ("invalid_grant", "Invalid JWT Signature.")
    iss, scope = claims.get("iss"), claims.get("scope")
    if not isinstance(iss, str) or "@" not in iss:
        return ("invalid_grant", "Invalid JWT: iss")
    if scope != SCOPE:
        return ("invalid_scope", "Invalid OAuth scope or ID token "
                "audience provided.")
    if claims.get("aud") != aud:
        return ("invalid_grant", "Invalid JWT: Invalid audience.")
    iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
    if not all(isinstance(v, int) for v in (iat, exp)) or \
            exp - iat > 3600 or exp < iat or not iat - 300 <= now <= exp:
        return ("invalid_grant", SHORT)
    return None


class H(fakebase.Base):
    def token(self, prefix):
        tok = "ya29.%s-%d" % (prefix, self.count(prefix))
        with fakebase.LOCK:
            with open(os.path.join(CONF["ctl"], "issued"), "a") as f:
                f.write(tok + "\n")
        return {"access_token": tok,
                "expires_in": ctl("expires_in", 3599),
                "token_type": "Bearer"}

    def exchange(self, body):
        if self.headers.get("Content-Type", "").split(";")[0] != \
                "application/x-www-form-urlencoded":
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description":
                                        "Bad Request"})
        try:
            form = urllib.parse.parse_qs(body.decode(), strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            form = {}
        grant = form.get("grant_type", [""])[0]
        if grant != GRANT:
            return self.send_json(400, {
                "error": "unsupported_grant_type",
                "error_description": "Invalid grant_type: " + grant})
        if len(form.get("assertion", [])) != 1:
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description":
                                        "Missing required parameter: "
                                        "assertion"})
        aud = "http://127.0.0.1:%d/token" % self.server.server_address[1]
        bad = jwt_error(form["assertion"][0], aud)
        if bad:
            return self.send_json(400, {"error": bad[0],
                                        "error_description": bad[1]})
        self.send_json(200, self.token("fake"))

    def handle_any(self):
        body = self.read_body()
        path = self.path.split("?")[0]
        if take_fail():
            return self.send_json(503, {"error": "unavailable"})
        if self.command == "POST" and path == "/token":
            return self.exchange(body)
        if self.command == "GET" and path == META:
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.send(403, "Missing required header "
                                 "\"Metadata-Flavor\"\n")
            return self.send_json(200, self.token("meta"),
                                  [("Metadata-Flavor", "Google")])
        self.send(404, "Not Found\n")


if __name__ == "__main__":
    CONF["pubkey"], CONF["ctl"] = sys.argv[3], sys.argv[4]
    fakebase.serve(sys.argv[2], [(int(sys.argv[1]), H)])
