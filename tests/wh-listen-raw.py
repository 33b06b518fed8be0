#!/usr/bin/env python3
"""wh-listen-raw.py PORT CASE: send one malformed or hostile request on a raw
socket and print what came back: the status code, or "closed" when the
server closed the connection without an answer, then the seconds taken.

The smuggling cases (SMUGGLE below) send a request a proxy in front could
frame otherwise, followed by a second request to /smuggled, and print
every status that came back (comma-separated, "none" for none), then
"closed" or "open" (the connection after 2 s), then the seconds."""
import socket
import sys
import time

port = int(sys.argv[1])
case = sys.argv[2]
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0


def answer(s):
    """Status of the first response on s, or 'closed'."""
    data = b""
    s.settimeout(timeout)
    try:
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        return "timeout"
    if not data.startswith(b"HTTP/1."):
        return "closed"
    return data.split(b" ")[1].decode()


def send(s, b):
    try:
        s.sendall(b)
        return True
    except (ConnectionResetError, BrokenPipeError):
        return False


# the request a proxy would see after the first one's body, by its framing
SECOND = b"POST /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
H = b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
SMUGGLE = {
    # RFC 9112 6.3: two lengths; the server took the first (2)
    "two-lengths": H + b"Content-Length: 2\r\nContent-Length: %d\r\n\r\n{}"
    % (2 + len(SECOND)) + SECOND,
    "same-length-twice": H + b"Content-Length: 2\r\nContent-Length: 2"
    b"\r\n\r\n{}" + SECOND,
    # RFC 9112 6.1: a proxy going by Content-Length sends 5 bytes on
    "length-and-chunked": H + b"Content-Length: 5\r\nTransfer-Encoding: "
    b"chunked\r\n\r\n0\r\n\r\n" + SECOND,
    "chunked-and-length": H + b"Transfer-Encoding: chunked\r\nContent-"
    b"Length: 5\r\n\r\n0\r\n\r\n" + SECOND,
    # RFC 9112 6.3: chunked not last; no length the server can know
    "xchunked": H + b"Transfer-Encoding: xchunked\r\n\r\n" + SECOND,
    "chunked-then-other": H + b"Transfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n" + SECOND,
    "chunked-space": H + b"Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n"
    + SECOND,
    "gzip-chunked": H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n"
    b"\r\n" + SECOND,
    "chunked-http10": b"POST /hook HTTP/1.0\r\nHost: x\r\nTransfer-Encoding:"
    b" chunked\r\n\r\n0\r\n\r\n" + SECOND,
    # RFC 9110 5.5: the server cut the value at the NUL
    "nul-in-value": H + b"X-Hub-Signature-256: sha256=00\x00ff\r\n"
    b"Content-Length: 2\r\n\r\n{}" + SECOND,
    "nul-in-last-value": H + b"Content-Length: 2\r\nX-A: a\x00\r\n\r\n{}"
    + SECOND,
    # a line beginning with a NUL ended the server's header there
    "nul-line": H + b"\x00X-A: a\r\nContent-Length: 2\r\n\r\n{}" + SECOND,
    "cr-in-value": H + b"X-A: a\rb\r\nContent-Length: 2\r\n\r\n{}" + SECOND,
    # RFC 9112 5.1: a proxy may take "Content-Length :" as the length
    "space-before-colon": H + b"Content-Length : 2\r\n\r\n{}" + SECOND,
    # RFC 9112 5.2: obs-fold
    "folded": H + b"X-A: a\r\n b\r\nContent-Length: 2\r\n\r\n{}" + SECOND,
    # the control: two honest requests in a row, both answered
    "pipelined": H + b"Content-Length: 2\r\n\r\n{}" + SECOND,
    "pipelined-chunked": H + b"Transfer-Encoding: Chunked\r\n\r\n2\r\n{}"
    b"\r\n0\r\n\r\n" + SECOND,
}


def answers(s):
    """Every status read from s within 2 s, and whether s was closed."""
    data, closed = b"", "open"
    s.settimeout(2)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = "closed"
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        closed = "closed"
    except socket.timeout:
        pass
    st = [ln.split(b" ")[1].decode() for ln in data.split(b"\r\n")
          if ln.startswith(b"HTTP/1.")]
    return (",".join(st) or "none") + " " + closed


t0 = time.time()
s = socket.create_connection(("127.0.0.1", port), 5)
if case in SMUGGLE:
    send(s, SMUGGLE[case])
    print(answers(s), "%.1f" % (time.time() - t0))
    sys.exit(0)
elif case == "garbage":
    send(s, b"\x16\x03\x01 hello there\r\n\r\n")
elif case == "no-version":
    send(s, b"POST /hook\r\n\r\n")
elif case == "bigheader":
    send(s, b"POST /hook HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 +
         b"\r\nContent-Length: 2\r\n\r\n{}")
elif case == "chunked":
    send(s, b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
         b"\r\nContent-Type: application/json\r\n\r\n"
         b"5\r\n{\"a\":\r\n3\r\n\"c\"\r\n1\r\n}\r\n0\r\n\r\n")
elif case == "bad-chunk":
    send(s, b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
         b"\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
elif case == "over-limit":
    send(s, b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000"
         b"\r\n\r\n" + b"x" * 1000)
elif case == "chunked-over-limit":
    send(s, b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
         b"\r\n\r\n")
    for i in range(40):
        if not send(s, b"10000\r\n" + b"y" * 65536 + b"\r\n"):
            break
    send(s, b"0\r\n\r\n")
elif case == "mid-body":
    # promise 1000 bytes, send 10, then go quiet
    send(s, b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000"
         b"\r\n\r\n0123456789")
elif case == "slowloris":
    # one header byte at a time, never finishing, for up to `timeout` s
    req = b"POST /hook HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"z" * 500
    s.settimeout(0.3)
    for b in req:
        if time.time() - t0 > timeout:
            break
        if not send(s, bytes([b])):
            break
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            break
    print("closed" if time.time() - t0 < timeout else "open",
          "%.1f" % (time.time() - t0))
    sys.exit(0)
elif case == "pipelined-10":
    # ten requests in one write: how many 200s, and the milliseconds
    # until the tenth answer
    send(s, (b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
             b"{}") * 10)
    data = b""
    s.settimeout(timeout)
    try:
        while data.count(b"HTTP/1.1 ") < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    print(data.count(b"HTTP/1.1 200 "), "%.0f" % ((time.time() - t0) * 1000))
    sys.exit(0)
elif case == "bad-method":
    send(s, b"BREW /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
else:
    sys.exit("unknown case " + case)
print(answer(s), "%.1f" % (time.time() - t0))
