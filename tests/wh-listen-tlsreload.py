# wh-listen-tlsreload.py PORT PID CERT KEY NEWCERT NEWKEY: a keep-alive
# HTTPS connection made under the first certificate, the files replaced
# and SIGHUP sent, then: which certificate new connections get, and
# whether the first connection still serves.  Prints "name value" lines.
import hashlib, os, shutil, signal, socket, ssl, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
cert, key, ncert, nkey = sys.argv[3:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def connect():
    s = socket.create_connection(("127.0.0.1", port), 5)
    return ctx.wrap_socket(s)


def fp(s):
    return hashlib.sha256(s.getpeercert(True)).hexdigest()


def post(s, body):
    s.sendall(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Type: "
              b"application/json\r\nContent-Length: %d\r\n\r\n%s"
              % (len(body), body))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        rest += s.recv(4096)
    return head.split(b" ")[1].decode()


c1 = connect()
print("first", post(c1, b'{"n":1}'))
print("first_cert", fp(c1))
shutil.copy(ncert, cert + ".new")
shutil.copy(nkey, key + ".new")
os.rename(cert + ".new", cert)
os.rename(key + ".new", key)
os.kill(pid, signal.SIGHUP)
want = hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(ncert).read())).hexdigest()
got, end = "", time.monotonic() + 5
while time.monotonic() < end:
    c = connect()
    got = fp(c)
    c.close()
    if got == want:
        break
    time.sleep(0.05)
print("new_cert", got)
c2 = connect()
print("new_conn", post(c2, b'{"n":2}'))
c2.close()
print("old_conn", post(c1, b'{"n":3}'))
print("old_conn_cert", fp(c1))
c1.close()
