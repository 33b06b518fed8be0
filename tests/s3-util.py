#!/usr/bin/env python3
"""s3-util: boto3/botocore helpers for the s3-put and s3-sign tests.

usage: s3-util.py mb BUCKET...          create buckets
       s3-util.py sha BUCKET KEY...     SHA-256 of each object, one a line
       s3-util.py uploads BUCKET        multipart uploads in progress
       s3-util.py head BUCKET KEY       ContentType CacheControl Metadata
       s3-util.py keys BUCKET           the keys, one a line
       s3-util.py put BUCKET KEY TYPE   an object holding its key's bytes,
                                        of Content-Type TYPE ("-": none)
       s3-util.py fill BUCKET PREFIX N  N objects PREFIXnnnnn.mp4, video/mp4
       s3-util.py rm BUCKET KEY         delete an object
       s3-util.py putfile BUCKET KEY FILE TYPE [sha256|mpu]
                                        FILE's bytes as KEY (TYPE "-":
                                        none), with a SHA-256 checksum,
                                        or by boto3's multipart upload
       s3-util.py download BUCKET KEY FILE
                                        boto3's own download_file
       s3-util.py checksum BUCKET KEY...
                                        each object's ChecksumSHA256 ("-"
                                        when none), a "-N" parts suffix cut
       s3-util.py presign METHOD BUCKET KEY EXPIRES YYYYmmddTHHMMSSZ
                                        botocore's presigned URL as of then
Several commands may be given in one run, separated by "--" (one Python
start-up is a second or two here).  The endpoint and keys come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN if set); path-style addressing
(S3UTIL_STYLE=virtual for virtual-hosted).
"""
import datetime
import hashlib
import json
import os
import sys
from unittest import mock

import boto3
import botocore.auth
from botocore.config import Config


def client():
    return boto3.client(
        "s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(
            signature_version="s3v4", retries={"max_attempts": 1},
            s3={"addressing_style": os.environ.get("S3UTIL_STYLE", "path")}))


def main(a):
    op = a[0]
    if op == "presign":
        method, bucket, key, exp, when = a[1:6]
        t = datetime.datetime.strptime(when, "%Y%m%dT%H%M%SZ")
        c = client()
        cm = "get_object" if method == "GET" else "put_object"
        # botocore reads the clock through get_current_datetime (1.3x+)
        # or datetime.datetime.utcnow (older)
        with mock.patch.object(botocore.auth, "get_current_datetime",
                               return_value=t, create=True), \
                mock.patch.object(botocore.auth.datetime, "datetime") as dt:
            dt.utcnow.return_value = t
            dt.strptime = datetime.datetime.strptime
            print(c.generate_presigned_url(
                cm, Params={"Bucket": bucket, "Key": key},
                ExpiresIn=int(exp)))
        return 0
    c = client()
    if op == "mb":
        for b in a[1:]:
            c.create_bucket(Bucket=b)
    elif op == "sha":
        for k in a[2:]:
            h = hashlib.sha256()
            body = c.get_object(Bucket=a[1], Key=k)["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                h.update(chunk)
            print(h.hexdigest())
    elif op == "uploads":
        r = c.list_multipart_uploads(Bucket=a[1])
        print(len(r.get("Uploads", [])))
    elif op == "head":
        r = c.head_object(Bucket=a[1], Key=a[2])
        print(json.dumps({"ContentType": r.get("ContentType"),
                          "CacheControl": r.get("CacheControl"),
                          "Metadata": r.get("Metadata"),
                          "StorageClass": r.get("StorageClass"),
                          "SSE": r.get("ServerSideEncryption")},
                         sort_keys=True))
    elif op == "checksum":
        for k in a[2:]:
            r = c.head_object(Bucket=a[1], Key=k, ChecksumMode="ENABLED")
            print((r.get("ChecksumSHA256") or "-").split("-")[0] or "-")
    elif op == "put":
        kw = {} if a[3] == "-" else {"ContentType": a[3]}
        c.put_object(Bucket=a[1], Key=a[2], Body=a[2].encode(), **kw)
    elif op == "fill":
        for i in range(int(a[3])):
            k = "%s%05d.mp4" % (a[2], i)
            c.put_object(Bucket=a[1], Key=k, Body=k.encode(),
                         ContentType="video/mp4")
    elif op == "putfile":
        kw = {} if a[4] == "-" else {"ContentType": a[4]}
        how = a[5] if len(a) > 5 else ""
        if how == "mpu":
            from boto3.s3.transfer import TransferConfig
            c.upload_file(a[3], a[1], a[2], ExtraArgs=kw, Config=
                          TransferConfig(multipart_threshold=8 << 20,
                                         multipart_chunksize=8 << 20))
        else:
            if how == "sha256":
                kw["ChecksumAlgorithm"] = "SHA256"
            with open(a[3], "rb") as f:
                c.put_object(Bucket=a[1], Key=a[2], Body=f, **kw)
    elif op == "download":
        c.download_file(a[1], a[2], a[3])
    elif op == "rm":
        c.delete_object(Bucket=a[1], Key=a[2])
    elif op == "keys":
        r = c.list_objects_v2(Bucket=a[1])
        for o in r.get("Contents", []):
            print(o["Key"])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


rc = 0
cmd = []
for arg in sys.argv[1:] + ["--"]:
    if arg != "--":
        cmd.append(arg)
        continue
    if cmd:
        rc = rc or main(cmd)
    cmd = []
sys.exit(rc)
