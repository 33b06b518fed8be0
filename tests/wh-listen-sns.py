#!/usr/bin/env python3
"""wh-listen-sns.py: a fake Amazon SNS for tests/wh-listen-sns.t.

  wh-listen-sns.py serve DIR
      Make an RSA key and a self-signed certificate for 127.0.0.1 (openssl
      CLI) in DIR, serve the certificate over HTTPS (and a plain HTTP
      port, to prove nothing is fetched there), answer SubscribeURL GETs,
      and append every request line received to DIR/gets.  Writes
      "HTTPS_PORT HTTP_PORT" to DIR/ports once ready; exits after 120 s.
  wh-listen-sns.py sign DIR TYPE VERSION [KEY=VALUE | -KEY | @KEY=VALUE]...
      Print a message of TYPE (Notification, SubscriptionConfirmation,
      UnsubscribeConfirmation) signed as SNS does with SignatureVersion
      VERSION (1: SHA1withRSA, 2: SHA256withRSA).  KEY=VALUE sets a field
      and -KEY drops one before signing; @KEY=VALUE sets one after
      signing (tampering).  KEY=VALUE with KEY "key" signs with that PEM
      key file instead of DIR/key.pem.
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading
import uuid

TOPIC = "arn:aws:sns:us-east-1:123456789012:hookpipe-test"
NOTE_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn",
             "Type"]
CONF_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
             "TopicArn", "Type"]


def string_to_sign(m):
    keys = NOTE_KEYS if m["Type"] == "Notification" else CONF_KEYS
    out = ""
    for k in keys:
        if k in m:
            out += k + "\n" + m[k] + "\n"
    return out.encode()


def make_keys(d):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", os.path.join(d, "key.pem"),
         "-out", os.path.join(d, "cert.pem")],
        check=True, stderr=subprocess.DEVNULL)


def serve(d):
    make_keys(d)
    with open(os.path.join(d, "cert.pem"), "rb") as f:
        cert = f.read()
    log = open(os.path.join(d, "gets"), "a", buffering=1)
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with lock:
                log.write("%s %s %s\n" % (self.server.name, self.command,
                                          self.path))
            p = self.path.split("?")[0]
            if p.endswith(".pem") and not p.startswith("/missing"):
                body, ctype, code = cert, "application/x-pem-file", 200
            elif "Action=ConfirmSubscription" in self.path and \
                    not p.startswith("/fail"):
                body = (b"<ConfirmSubscriptionResponse><ConfirmSubscription"
                        b"Result><SubscriptionArn>" + TOPIC.encode() +
                        b":sub</SubscriptionArn></ConfirmSubscriptionResult>"
                        b"</ConfirmSubscriptionResponse>")
                ctype, code = "text/xml", 200
            else:
                body, ctype, code = b"no\n", "text/plain", 500
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    tls.name = "https"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "cert.pem"),
                        os.path.join(d, "key.pem"))
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    plain.name = "http"
    for s in (tls, plain):
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = os.path.join(d, "ports.tmp")
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (tls.server_address[1], plain.server_address[1]))
    os.rename(tmp, os.path.join(d, "ports"))
    threading.Event().wait(120)     # bounded: the test is over by then


def sign(d, typ, version, args):
    with open(os.path.join(d, "ports")) as f:
        port = int(f.read().split()[0])
    base = "https://127.0.0.1:%d" % port
    mid = str(uuid.uuid4())
    m = {"Type": typ, "MessageId": mid, "TopicArn": TOPIC,
         "Timestamp": "2024-05-01T12:00:00.123Z",
         "SignatureVersion": version,
         "SigningCertURL": base + "/SimpleNotificationService-test.pem"}
    if typ == "Notification":
        m["Message"] = "hello from SNS"
        m["UnsubscribeURL"] = base + "/?Action=Unsubscribe&SubscriptionArn=x"
    else:
        token = uuid.uuid4().hex * 4
        m["Token"] = token
        m["Message"] = ("You have chosen to subscribe to the topic %s.\n"
                        "To confirm the subscription, visit the "
                        "SubscribeURL included in this message." % TOPIC)
        m["SubscribeURL"] = (base + "/?Action=ConfirmSubscription&TopicArn="
                             + TOPIC + "&Token=" + token)
    key = os.path.join(d, "key.pem")
    after = []
    for a in args:
        if a.startswith("@"):
            after.append(a[1:].split("=", 1))
        elif a.startswith("-"):
            m.pop(a[1:], None)
        else:
            k, v = a.split("=", 1)
            if k == "key":
                key = v
            else:
                m[k] = v.replace("{base}", base)
    md = "-sha1" if version == "1" else "-sha256"
    sig = subprocess.run(["openssl", "dgst", md, "-sign", key],
                         input=string_to_sign(m), capture_output=True,
                         check=True).stdout
    m["Signature"] = base64.b64encode(sig).decode()
    for k, v in after:
        m[k] = v.replace("{base}", base)
    # SNS's own layout: indented JSON, text/plain
    sys.stdout.write(json.dumps(m, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "sign":
        sign(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        sys.exit(__doc__)
