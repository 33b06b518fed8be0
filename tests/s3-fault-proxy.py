#!/usr/bin/env python3
"""s3-fault-proxy: an HTTP proxy on 127.0.0.1 in front of an S3 server that
answers some requests with faults instead of forwarding them.

usage: s3-fault-proxy.py UPSTREAM PORTFILE LOGFILE [RULE ...]

UPSTREAM is http://host:port.  The proxy binds a free port on 127.0.0.1 and
writes it to PORTFILE.  Every request is logged to LOGFILE as one line
"METHOD PATH?QUERY -> STATUS" (or "-> reset").

RULE is MATCH:ACTION:COUNT.  MATCH is a substring of "METHOD PATH?QUERY"
(for instance "partNumber=2&") or of the X-Amz-Target header (SQS's
"AmazonSQS.GetQueueUrl"); ACTION is a status (500, 503), "reset"
(close the connection with a TCP RST after reading the request) or
"200error" (HTTP 200 whose body is an S3 <Error>); COUNT is
how many matching requests get the fault (0: all of them).  Headers,
including Host, are forwarded unchanged so SigV4 signatures stay valid.

ACTION "cut=BYTES" forwards the request and sends the answer's status and
headers (its full Content-Length) but only BYTES bytes of its body, then
resets the connection: a download cut mid-way.  ACTION "flip" forwards
the answer with the last byte of its body changed: bytes corrupted on
the way, headers (ETag, checksums) as the server sent them.

ACTION "stall" reads half the request body, then reads and answers
nothing more, the connection held open (120 s at most): an upload that
stalls mid-body.

Two more ACTIONs, whose error body has the shape of the request's
protocol (SQS's JSON 1.0 by X-Amz-Target, SNS's query by a form body,
Google's JSON error {"error":{"code","message","status"}} for a path
under /v1/projects/ (Pub/Sub, AIP-193), else S3's XML <Error>):
  STATUS=CODE   that status and AWS error code, e.g. 400=ThrottlingException
                or 503=SlowDown (throttling with a 4xx, as SQS and SNS do),
                or Google's status, e.g. 409=ABORTED
  skew          a server whose clock is an hour ahead: a request whose
                X-Amz-Date is 5 minutes or more off that clock gets what
                the service answers (S3: 403 RequestTimeTooSkewed; SQS:
                400 InvalidSignatureException; SNS: 403
                SignatureDoesNotMatch, "Signature expired") with the
                server's Date; a request signed at its time is forwarded
  hold=SECONDS  log "METHOD PATH?QUERY -> held" as soon as the request is
                read, wait that long, then forward it (a slow answer a
                test can act on when the log says it is pending)
"""
import calendar
import email.utils
import http.client
import http.server
import json
import socket
import socketserver
import struct
import sys
import threading
import time

upstream = sys.argv[1].split("//", 1)[1].rstrip("/")
uhost, uport = upstream.rsplit(":", 1)
portfile, logfile = sys.argv[2], sys.argv[3]
rules = []
for r in sys.argv[4:]:
    match, action, count = r.rsplit(":", 2)
    rules.append({"match": match, "action": action, "left": int(count),
                  "all": int(count) == 0})
lock = threading.Lock()


def log(line):
    with lock:
        with open(logfile, "a") as f:
            f.write(line + "\n")


def fault_for(what):
    with lock:
        for r in rules:
            if r["match"] in what and (r["all"] or r["left"] > 0):
                r["left"] -= 1
                return r["action"]
    return None


def stall_for(what):
    """consume a matching "stall" rule first (fault_for never sees one
    that is still active: it returns before)"""
    with lock:
        for r in rules:
            if r["action"] == "stall" and r["match"] in what and \
                    (r["all"] or r["left"] > 0):
                r["left"] -= 1
                return True
    return False

SKEW = 3600


def protocol(headers, path=""):
    if path.startswith("/v1/projects/"):
        return "google"
    if (headers.get("X-Amz-Target") or "").startswith("AmazonSQS."):
        return "json"
    if "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        return "query"
    return "s3"


def error_body(proto, code, message, extra=""):
    """(content type, body) of an AWS error in the request's protocol"""
    if proto == "json":
        t = {"InvalidSignatureException": "com.amazon.coral.service#",
             "ThrottlingException": "com.amazon.coral.availability#"
             }.get(code, "com.amazonaws.sqs#") + code
        return ("application/x-amz-json-1.0",
                json.dumps({"__type": t, "message": message}).encode())
    if proto == "query":
        return ("text/xml", (
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/"
            "2010-03-31/\"><Error><Type>Sender</Type><Code>%s</Code>"
            "<Message>%s</Message></Error><RequestId>00000000-0000-0000-"
            "0000-000000000000</RequestId></ErrorResponse>"
            % (code, message)).encode())
    return ("application/xml", (
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s"
        "</Code><Message>%s</Message>%s</Error>" % (code, message, extra)
        ).encode())


def skewed(headers):
    """None if X-Amz-Date agrees with the server's clock, else the error"""
    now = time.time() + SKEW
    try:
        t = calendar.timegm(time.strptime(headers.get("X-Amz-Date", ""),
                                          "%Y%m%dT%H%M%SZ"))
    except ValueError:
        t = 0
    if abs(now - t) < 300:
        return None
    proto = protocol(headers)
    srv = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    if proto == "s3":
        return 403, "RequestTimeTooSkewed", (
            "The difference between the request time and the current "
            "time is too large."), (
            "<RequestTime>%s</RequestTime><ServerTime>%s</ServerTime>"
            "<MaxAllowedSkewMilliseconds>900000"
            "</MaxAllowedSkewMilliseconds>" %
            (headers.get("X-Amz-Date", ""),
             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))))
    msg = "Signature expired: %s is now earlier than %s (%s - 5 min.)" % (
        headers.get("X-Amz-Date", ""),
        time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - 300)), srv)
    if proto == "json":
        return 400, "InvalidSignatureException", msg, ""
    return 403, "SignatureDoesNotMatch", msg, ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        if stall_for("%s %s" % (self.command, self.path)):
            return self.stall()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        what = "%s %s" % (self.command, self.path)
        fault = fault_for(what + " " + (self.headers.get("X-Amz-Target")
                                         or ""))
        cut = flip = None
        if fault is not None and fault.startswith("cut="):
            cut, fault = int(fault[4:]), None
        if fault == "flip":
            flip, fault = True, None
        if fault is not None and fault.startswith("hold="):
            log(what + " -> held")
            time.sleep(float(fault[5:]))
            fault = None
        if fault == "skew" or (fault is not None and "=" in fault):
            if fault == "skew":
                err = skewed(self.headers)
                date = email.utils.formatdate(time.time() + SKEW,
                                              usegmt=True)
            else:
                st, code = fault.split("=", 1)
                err = (int(st), code, "injected " + code, "")
                date = email.utils.formatdate(usegmt=True)
            if err is not None and protocol(self.headers,
                                            self.path) == "google":
                ctype, msg = "application/json", json.dumps({"error": {
                    "code": err[0], "message": err[2],
                    "status": err[1]}}).encode()
            elif err is not None:
                ctype, msg = error_body(protocol(self.headers), *err[1:])
            if err is not None:
                log("%s -> %d %s" % (what, err[0], err[1]))
                self.send_response_only(err[0])
                self.send_header("Date", date)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            fault = None
        if fault == "reset":
            log(what + " -> reset")
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "200error":
            # what S3 may do on CompleteMultipartUpload: 200, then <Error>
            msg = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error>"
                   b"<Code>InternalError</Code><Message>We encountered an "
                   b"internal error. Please try again.</Message></Error>")
            log(what + " -> 200error")
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        if fault is not None:
            code = {"500": b"InternalError", "503": b"ServiceUnavailable"
                    }.get(fault, b"InjectedFault")
            msg = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"
                   b"<Code>" + code + b"</Code><Message>injected fault"
                   b"</Message></Error>")
            log(what + " -> " + fault)
            self.send_response(int(fault))
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            if self.command != "HEAD":	# an answer to HEAD has no body
                self.wfile.write(msg)
            return
        c = http.client.HTTPConnection(uhost, int(uport), timeout=60)
        c.putrequest(self.command, self.path, skip_host=True,
                     skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body if body else None)
        resp = c.getresponse()
        data = resp.read()
        if flip and data:
            data = data[:-1] + bytes([data[-1] ^ 0xff])
        log("%s -> %d%s" % (what, resp.status, " flip" if flip else
                             " cut" if cut is not None else ""))
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding",
                                 "connection", "date", "server"):
                self.send_header(k, v)
        # a HEAD's Content-Length is the object's (or the part's), no body
        self.send_header("Content-Length", resp.getheader("Content-Length",
                         "0") if self.command == "HEAD" else str(len(data)))
        self.end_headers()
        if cut is not None:
            self.wfile.write(data[:cut])
            self.wfile.flush()
            time.sleep(0.2)	# the bytes reach the client before the RST
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
        elif self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    def stall(self):
        what = "%s %s" % (self.command, self.path)
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n // 2)
        log(what + " -> stall")
        self.connection.settimeout(1)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                if self.connection.recv(1, socket.MSG_PEEK) == b"":
                    break
            except socket.timeout:
                continue
            except OSError:
                break
            time.sleep(0.2)     # data waits in the buffer: not read
        self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
