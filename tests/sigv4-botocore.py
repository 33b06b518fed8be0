#!/usr/bin/env python3
"""sigv4-botocore: compare lib/sigv4 with botocore, AWS's Python signer.

  python3 tests/sigv4-botocore.py gen > tests/data/sigv4/botocore-presign.txt
      golden presigned URLs at a fixed time, read by tests/unit/sigv4.c
  python3 tests/sigv4-botocore.py check BUILD/unit/sigv4
      signs live with botocore (presigned URLs from generate_presigned_url,
      header auth captured from real client calls that are never sent)
      and with the driver mode of the unit binary; prints one line per
      case, "PASS<TAB>name" or "FAIL<TAB>name<TAB>detail"

Credentials are fake and reach the driver through the environment.
Without botocore, check prints one line "SKIP<TAB>reason".
"""
import datetime
import hashlib
import os
import subprocess
import sys
from unittest import mock
from urllib.parse import unquote, urlsplit

for k in list(os.environ):
    if k.startswith("AWS_"):
        del os.environ[k]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

try:
    import botocore.auth
    import botocore.session
    import botocore.utils
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError as e:
    print("SKIP\tpython3 cannot import botocore: %s" % e)
    sys.exit(0)

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/+token=="
FIXED = datetime.datetime(2026, 11, 23, 1, 2, 3)
FIXED_UNIX = 1795395723

KEYS = [
    "plain.txt",
    "dir/sub/file name with spaces.txt",
    "unicod\u00e9/\u65e5\u672c\u8a9e.txt",
    "a+b%c=d&e.txt",
    "a//b///c",
    "/leading/slash",
    "tilde~star*bang!quote'paren().txt",
    "q?x#y",
]

# (name, region, endpoint or None, style, key, expires, token, method,
#  extra presign params)
PRESIGN = [
    ("get-path", "us-east-1", "http://127.0.0.1:9000", "path", 0, 3600,
     None, "get_object", {}),
    ("get-spaces", "us-east-1", "http://127.0.0.1:9000", "path", 1, 60,
     None, "get_object", {}),
    ("get-unicode", "eu-west-1", "http://127.0.0.1:9000", "path", 2, 1,
     None, "get_object", {}),
    ("get-plus-pct", "us-east-1", "http://127.0.0.1:9000", "path", 3,
     604800, None, "get_object", {}),
    ("get-slashes", "us-east-1", "http://127.0.0.1:9000", "path", 4, 900,
     TOKEN, "get_object", {}),
    ("get-leading", "ap-south-1", "https://minio.example:9443", "path", 5,
     7200, None, "get_object", {}),
    ("get-subdelims", "us-east-1", "http://127.0.0.1:9000", "path", 6,
     3600, TOKEN, "get_object", {}),
    ("get-qhash", "us-east-1", "http://127.0.0.1:9000", "path", 7, 3600,
     None, "get_object", {}),
    ("put-token", "us-west-2", "http://127.0.0.1:9000", "path", 1, 86400,
     TOKEN, "put_object", {}),
    ("get-virtual", "us-east-1", None, "virtual", 1, 3600, None,
     "get_object", {}),
    ("get-virtual-region", "eu-central-1", None, "virtual", 2, 300, TOKEN,
     "get_object", {}),
    ("get-disposition", "us-east-1", "http://127.0.0.1:9000", "path", 1,
     600, None, "get_object",
     {"ResponseContentDisposition": 'attachment; filename="a b.txt"',
      "ResponseContentType": "text/plain"}),
]


_SESSION = []
_CLIENTS = {}


def client(service, region, endpoint, style="path", token=None):
    """One client per setting: making them is what takes the time."""
    k = (service, region, endpoint, style, token)
    if k not in _CLIENTS:
        _CLIENTS[k] = new_client(*k)
    return _CLIENTS[k]


def new_client(service, region, endpoint, style, token):
    if not _SESSION:
        _SESSION.append(botocore.session.get_session())
    s = _SESSION[0]
    cfg = Config(signature_version="s3v4" if service == "s3" else "v4",
                 s3={"addressing_style": style},
                 retries={"max_attempts": 1})
    return s.create_client(service, region_name=region, endpoint_url=endpoint,
                           aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                           aws_session_token=token, config=cfg)


def presign_case(c, fixed):
    name, region, endpoint, style, ki, expires, token, op, extra = c
    key = KEYS[ki]
    cl = client("s3", region, endpoint, style, token)
    params = {"Bucket": "bkt", "Key": key}
    params.update(extra)
    if fixed:
        with mock.patch("botocore.auth.get_current_datetime",
                        return_value=FIXED):
            url = cl.generate_presigned_url(op, Params=params,
                                            ExpiresIn=expires)
    else:
        url = cl.generate_presigned_url(op, Params=params, ExpiresIn=expires)
    u = urlsplit(url)
    raw = ("/bkt/" if style == "path" else "/") + key
    when = None
    q = []
    for part in u.query.split("&"):
        n, eq, v = part.partition("=")
        if n == "X-Amz-Date":
            when = datetime.datetime.strptime(v, "%Y%m%dT%H%M%SZ")
        if n.startswith("X-Amz-"):
            continue
        q.append("q:" + unquote(n) + ("=" + unquote(v) if eq else ""))
    t = int(when.replace(tzinfo=datetime.timezone.utc).timestamp())
    method = "PUT" if op == "put_object" else "GET"
    return dict(name="presign-" + name, method=method, scheme=u.scheme,
                host=u.netloc, raw=raw, region=region, service="s3",
                expires=expires, time=t, token=token, query=q, url=url)


def generic_presign(fixed):
    """rds-db style query auth: not S3, so the path is encoded twice."""
    creds = Credentials(KEY, SECRET, TOKEN)
    req = AWSRequest("GET", "https://db.example:5432/a%20b/./c//d"
                     "?Action=connect&DBUser=j%C3%B6e")
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=FIXED if fixed
                    else datetime.datetime.utcnow()):
        botocore.auth.SigV4QueryAuth(creds, "rds-db", "eu-west-1",
                                     expires=900).add_auth(req)
        t = int(datetime.datetime.strptime(
            req.context["timestamp"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc).timestamp())
    return dict(name="presign-generic-rds", method="GET", scheme="https",
                host="db.example:5432", raw="/a b/./c//d", region="eu-west-1",
                service="rds-db", expires=900, time=t, token=TOKEN,
                query=["q:Action=connect", "q:DBUser=j\u00f6e"], url=req.url)


def gen():
    print("# golden presigned URLs from botocore %s, made by"
          % botocore.__version__)
    print("# python3 tests/sigv4-botocore.py gen; fields (TAB): name method "
          "scheme host rawpath")
    print("# region service expires time key secret token|- url q:name=value"
          "...")
    for c in PRESIGN:
        d = presign_case(c, True)
        emit(d)
    emit(generic_presign(True))


def emit(d):
    f = [d["name"], d["method"], d["scheme"], d["host"], d["raw"],
         d["region"], d["service"], str(d["expires"]), str(d["time"]), KEY,
         SECRET, d["token"] or "-", d["url"]] + d["query"]
    for x in f:
        assert "\t" not in x and "\n" not in x, x
    print("\t".join(f))


def env(token):
    e = dict(os.environ)
    e["AWS_ACCESS_KEY_ID"] = KEY
    e["AWS_SECRET_ACCESS_KEY"] = SECRET
    if token:
        e["AWS_SESSION_TOKEN"] = token
    return e


def report(name, good, detail=""):
    if good:
        print("PASS\t" + name)
    else:
        print("FAIL\t%s\t%s" % (name, detail.replace("\n", " | ")))


def run(binary, args, token):
    p = subprocess.run([binary] + args, env=env(token), capture_output=True,
                       text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def check_presign(binary, d):
    rc, out, err = run(binary, ["presign", d["method"], d["scheme"],
                                d["host"], d["raw"], d["region"],
                                d["service"], str(d["expires"]),
                                str(d["time"])] + d["query"], d["token"])
    got = out.strip()
    report(d["name"], rc == 0 and got == d["url"],
           "rc %d %s\ngot:  %s\nwant: %s" % (rc, err.strip(), got, d["url"]))


class Captured(Exception):
    pass


def capture(cl, op, **params):
    """Build and sign a real request with the client, stop before sending."""
    box = {}

    def hook(request, **kw):
        box["req"] = request
        raise Captured()

    cl.meta.events.register("before-send", hook, unique_id="sigv4-capture")
    try:
        getattr(cl, op)(**params)
    except Captured:
        pass
    finally:
        cl.meta.events.unregister("before-send", unique_id="sigv4-capture")
    return box["req"]


def check_header(binary, name, service, req, raw, token):
    h = {k.lower(): (v.decode() if isinstance(v, bytes) else v)
         for k, v in req.headers.items()}
    authz = h["authorization"]
    signed = authz.split("SignedHeaders=")[1].split(",")[0].split(";")
    skip = {"host", "x-amz-date", "x-amz-security-token"}
    if service == "s3":
        skip.add("x-amz-content-sha256")
        payload = h["x-amz-content-sha256"]
    else:
        body = req.body or b""
        if isinstance(body, str):
            body = body.encode()
        payload = hashlib.sha256(body).hexdigest()
    args = []
    u = urlsplit(req.url)
    if u.query:
        for part in u.query.split("&"):
            n, eq, v = part.partition("=")
            args.append("q:" + unquote(n) + ("=" + unquote(v) if eq else ""))
    for n in signed:
        if n not in skip:
            args.append("h:%s:%s" % (n, h[n]))
    when = datetime.datetime.strptime(h["x-amz-date"], "%Y%m%dT%H%M%SZ")
    t = int(when.replace(tzinfo=datetime.timezone.utc).timestamp())
    region = authz.split("Credential=")[1].split("/")[2]
    rc, out, err = run(binary, ["sign", req.method, u.scheme, u.netloc, raw,
                                region, service, str(t), payload] + args,
                       token)
    parts = out.rstrip("\n").split("\n--\n")
    good = rc == 0 and len(parts) == 4 and parts[1] == authz and \
        parts[2] == req.url
    report(name, good, "rc %d %s\ngot:  %s\nwant: %s\nurl:  %s\nwant: %s"
           % (rc, err.strip(), parts[1] if len(parts) > 1 else out, authz,
              parts[2] if len(parts) > 2 else "", req.url))


def check(binary):
    for c in PRESIGN:
        check_presign(binary, presign_case(c, True))
        live = presign_case(c, False)
        live["name"] += "-now"
        check_presign(binary, live)
    check_presign(binary, generic_presign(False))

    ep = "http://127.0.0.1:9"
    for i, key in enumerate(KEYS):
        tok = TOKEN if i % 2 else None
        cl = client("s3", "us-east-1", ep, token=tok)
        r = capture(cl, "put_object", Bucket="bkt", Key=key,
                    Body=b"hello world\n", ContentType="text/plain",
                    Metadata={"note": "a  b c"})
        check_header(binary, "s3-put-%d" % i, "s3", r, "/bkt/" + key, tok)
        r = capture(cl, "get_object", Bucket="bkt", Key=key,
                    Range="bytes=0-9")
        check_header(binary, "s3-get-%d" % i, "s3", r, "/bkt/" + key, tok)
    cl = client("s3", "eu-west-1", ep)
    r = capture(cl, "list_objects_v2", Bucket="bkt", Prefix="dir/a b+c",
                MaxKeys=5)
    check_header(binary, "s3-list", "s3", r, "/bkt", None)
    r = capture(cl, "create_multipart_upload", Bucket="bkt", Key="big/o.bin")
    check_header(binary, "s3-create-mpu", "s3", r, "/bkt/big/o.bin", None)
    r = capture(cl, "upload_part", Bucket="bkt", Key="big/o.bin",
                PartNumber=2, UploadId="abc/def+ghi=", Body=b"x" * 100)
    check_header(binary, "s3-upload-part", "s3", r, "/bkt/big/o.bin", None)
    cl = client("s3", "us-east-1", None, style="virtual", token=TOKEN)
    r = capture(cl, "get_object", Bucket="bkt", Key=KEYS[1])
    check_header(binary, "s3-virtual", "s3", r, "/" + KEYS[1], TOKEN)

    cl = client("sqs", "us-east-1", ep, token=TOKEN)
    r = capture(cl, "send_message", QueueUrl=ep + "/123456789012/q1",
                MessageBody='{"h\u00e9llo": "w\u00f6rld"}')
    check_header(binary, "sqs-json", "sqs", r, "/", TOKEN)
    cl = client("sns", "eu-west-1", ep)
    r = capture(cl, "publish", TopicArn="arn:aws:sns:eu-west-1:1:t",
                Message="a b&c=d", Subject="s")
    check_header(binary, "sns-query", "sns", r, "/", None)

    creds = Credentials(KEY, SECRET)
    req = AWSRequest("GET", "https://api.example/a%20b/./c//d/../e?x=1&y")
    botocore.auth.SigV4Auth(creds, "execute-api", "us-east-1").add_auth(req)
    check_header(binary, "generic-normalise", "execute-api", req.prepare(),
                 "/a b/./c//d/../e", None)

    for s in ["a b", "\u00e9/\u65e5", "+%=&?#", "~-._", "a//b"]:
        rc, out, err = run(binary, ["encode", s], None)
        want = botocore.utils.percent_encode(s, safe="/~")
        report("encode " + repr(s), out.rstrip("\n") == want,
               "got %s want %s" % (out.strip(), want))


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "gen":
        gen()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
