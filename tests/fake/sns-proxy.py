#!/usr/bin/env python3
"""sns-proxy.py DIR PEM...: an HTTP proxy (as in https_proxy) that stands
in for the SNS hosts, for tests/wh-listen-sns-real.t.

The client (wh-listen, through libcurl's https_proxy) asks it to CONNECT
to host:443; it logs "CONNECT host:port" to DIR/log, answers 200, and then
is that host itself: TLS with a certificate for the SNS hosts issued by a
test CA (DIR/ca.pem, valid 2020 to 2040, so also under a clock set back),
serving GET /NAME for each PEM file given (the files, byte for byte, as
sns.<region>.amazonaws.com serves its signing certificates; anything else:
404), each request logged as "GET host path".  Listens on 127.0.0.1; the
port is written to DIR/port once ready; exits after 120 s.
"""
import datetime
import os
import socket
import socketserver
import ssl
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HOSTS = ["sns.us-west-2.amazonaws.com", "sns.us-east-1.amazonaws.com",
         "sns.cn-north-1.amazonaws.com.cn"]


def make_certs(d):
    def key():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    t0 = datetime.datetime(2020, 1, 1)
    t1 = datetime.datetime(2040, 1, 1)
    cak = key()
    caname = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                           "hookpipe test CA")])
    ca = (x509.CertificateBuilder().subject_name(caname).issuer_name(caname)
          .public_key(cak.public_key()).serial_number(1)
          .not_valid_before(t0).not_valid_after(t1)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                         critical=True)
          .sign(cak, hashes.SHA256()))
    lk = key()
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(
                NameOID.COMMON_NAME, HOSTS[0])]))
            .issuer_name(caname).public_key(lk.public_key())
            .serial_number(2).not_valid_before(t0).not_valid_after(t1)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(h) for h in HOSTS]), critical=False)
            .sign(cak, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(d, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(d, "leaf.pem"), "wb") as f:
        f.write(leaf.public_bytes(pem))
        f.write(lk.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))


def main():
    d = sys.argv[1]
    files = {"/" + os.path.basename(p): open(p, "rb").read()
             for p in sys.argv[2:]}
    make_certs(d)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "leaf.pem"))
    log = open(os.path.join(d, "log"), "a", buffering=1)
    lock = threading.Lock()

    def say(s):
        with lock:
            log.write(s + "\n")

    def head(f):
        lines = []
        while True:
            line = f.readline(8192)
            if not line or line in (b"\r\n", b"\n"):
                return lines
            lines.append(line.decode("latin-1").rstrip("\r\n"))

    class H(socketserver.StreamRequestHandler):
        def handle(self):
            req = head(self.rfile)
            if not req or not req[0].startswith("CONNECT "):
                self.wfile.write(b"HTTP/1.1 405 Not a proxy request\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                return
            target = req[0].split()[1]
            say("CONNECT " + target)
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            try:
                tls = ctx.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError) as e:
                say("TLS failed: %s" % e)
                return
            f = tls.makefile("rb")
            req = head(f)
            if not req:
                return
            path = req[0].split()[1]
            say("GET %s %s" % (target.rsplit(":", 1)[0], path))
            body = files.get(path)
            code = b"200 OK" if body is not None else b"404 Not Found"
            body = body if body is not None else b"NoSuchKey\n"
            tls.sendall(b"HTTP/1.1 " + code + b"\r\nContent-Type: "
                        b"application/x-pem-file\r\nContent-Length: " +
                        str(len(body)).encode() + b"\r\nConnection: close"
                        b"\r\n\r\n" + body)
            tls.close()

    class S(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = S(("127.0.0.1", 0), H)
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    threading.Timer(120, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
