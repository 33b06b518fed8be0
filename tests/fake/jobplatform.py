#!/usr/bin/env python3
"""A fake of the Voxel51 Platform API, the job platform of the egress and
ingress examples.

usage: jobplatform.py PORT LOG STORAGE_PORT JOBS_FILE

The contract is the platform's own client library, voxel51/api-py,
voxel51/users/api.py, auth.py and jobs.py at commit
ad32449451994ffc2627d52918f2b47762e50a2a (2020-04-27):

  every route    Authorization: Bearer <private_key> (Token.get_header);
                 the fake's one good key is "jobtoken"; a missing or other
                 token: 401 (the library does not name the status; it
                 raises APIError for any non-2xx and reads error.message).  Errors are {"error":{"code","message"}}, the
                 shape APIError.from_response reads.  The base is
                 {base_api_url}/v1.
  POST /v1/data/url       post_data_as_url: JSON {"signed_url","filename",
                          "mimetype","size" (a number),"data_ttl" (ISO
                          8601)}, optional "encoding"; 200 {"data":{"id",
                          "name","mimetype","size","expiration_date",
                          "signed_url"}}; anything missing or mistyped: 400
  GET  /v1/data/ID        get_data_details: {"data":{...}}
  POST /v1/jobs           upload_job_request: multipart/form-data with
                          "file" (job.json, application/json: a JobRequest,
                          {"analytic", "inputs":{name:{"data-id"}},
                          "parameters"}), "job_name", "auto_start" ("True"
                          or "False", Python's str(bool)), optional
                          "job_ttl"; every data-id must be known; 200
                          {"job":{"id","name","state","archived",
                          "auto_start","upload_date","expiration_date",
                          "expired"}}; READY, or QUEUED when auto-started
  GET  /v1/jobs/ID        get_job_details / get_job_state: {"job":{...}}
  GET  /v1/jobs/ID/request  get_job_request: the JobRequest
  PUT  /v1/jobs/ID/start  start_job: READY -> QUEUED; {} (409 when the job
                          is not READY)
  GET  /v1/jobs/ID/output download_job_output: the output's bytes
  GET  /v1/jobs/ID/output-url  get_job_output_download_url: {"url": a
                          signed URL on STORAGE_PORT}
  anything else: 404
Statuses the library does not name (it checks res.ok only) are chosen as
HTTP has them: 400 for a malformed request, 404 unknown, 409 a start of a
job that is not READY, 410 an expired output.

Jobs that are COMPLETE (with an output) are the ids listed in JOBS_FILE,
one per line, read at each request so a test can add some: "ID" is a
complete job, "ID expired" an expired one (its output: 410, "expired":
true).  A job that is not listed and was not created is unknown: 404.
Created jobs have no output until they complete, and they never do here
(their output: 404).  The output of job ID is "output of job ID\\n"; some
ids add a fault (not the platform's behaviour, what a network and a
storage redirect can do): redir: a 302 to its signed storage URL; cut:
4000 lines, cut at half the first time, Range honoured; slow: 4000 lines
that trickle; trickle-S: the same over S seconds; big-N: N bytes; bigcut-N: N bytes cut at half the first
time, Range honoured; bigre-N: cut the same way, then 200 and all N bytes
again; named, utf, evil: a Content-Disposition filename.

The storage (STORAGE_PORT) serves GET /signed/ID?sig=S, S the HMAC of ID
made by output-url, without a token; a missing or wrong signature: 403
(as S3 or GCS answer a bad signed URL).
"""
import email.parser
import email.policy
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402

TOKEN = "jobtoken"
SIGNKEY = b"storage-signing-key"
STATE = threading.Lock()
DATA = {}
JOBS = {}
CONF = {"storage": 0, "jobs": None}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def listed():
    """the seeded jobs: {id: expired?}"""
    out = {}
    try:
        with open(CONF["jobs"]) as f:
            for line in f:
                w = line.split()
                if w:
                    out[w[0]] = len(w) > 1 and w[1] == "expired"
    except OSError:
        pass
    return out


def sig(jid):
    return hmac.new(SIGNKEY, jid.encode(), hashlib.sha256).hexdigest()


def signed_url(jid):
    return "http://127.0.0.1:%d/signed/%s?sig=%s" % (
        CONF["storage"], jid, sig(jid))


def output_of(jid):
    return ("output of job %s\n" % jid).encode() * (
        4000 if jid in ("cut", "slow") or jid.startswith("trickle-") else 1)


class Output(fakebase.Base):
    """the output's bytes, with the faults named in the module's text"""

    def output(self, jid, signed):
        if jid == "redir" and not signed:
            return self.send(302, "", headers=[("Location",
                                                signed_url(jid))])
        hd = []
        if jid == "named":
            hd.append(("Content-Disposition",
                       'attachment; filename="report 1.csv"'))
        elif jid == "evil":
            hd.append(("Content-Disposition",
                       'attachment; filename="../../etc/pa\\"ss\x01wd"'))
        elif jid == "utf":
            hd.append(("Content-Disposition",
                       "attachment; filename=\"x.txt\"; "
                       "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"))
        rng = self.headers.get("Range")
        if jid.startswith("big-"):
            return self.big(int(jid[4:]))
        if jid.startswith("bigcut-") or jid.startswith("bigre-"):
            n = int(jid.split("-", 1)[1])
            if self.count(jid) == 1:
                return self.big(n, cut=n // 2)
            if jid.startswith("bigcut-") and rng and \
                    rng.startswith("bytes=") and rng.endswith("-"):
                return self.big(n, start=int(rng[6:-1]))
            return self.big(n)
        data = output_of(jid)
        start, code = 0, 200
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start, code = int(rng[6:-1]), 206
            hd.append(("Content-Range", "bytes %d-%d/%d" %
                       (start, len(data) - 1, len(data))))
        part = data[start:]
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(part)))
        for k, v in hd:
            self.send_header(k, v)
        self.end_headers()
        if jid == "cut" and self.count("cut") == 1:
            self.wfile.write(part[:len(part) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if jid == "slow" or jid.startswith("trickle-"):
            pause = 0.05 if jid == "slow" else \
                float(jid[8:]) / (len(part) / 4096.0)
            for i in range(0, len(part), 4096):
                self.wfile.write(part[i:i + 4096])
                self.wfile.flush()
                time.sleep(pause)
            return
        self.wfile.write(part)

    def big(self, n, start=0, cut=None):
        """N bytes of a 64 KiB pattern, from start (a 206); with cut,
        only that many are sent before the connection drops"""
        block = hashlib.sha256(b"hookpipe").digest() * 2048  # 64 KiB
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n - start))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" %
                             (start, n - 1, n))
        self.end_headers()
        pos, end = start, n if cut is None else cut
        while pos < end:
            o = pos % len(block)
            k = min(end - pos, len(block) - o)
            self.wfile.write(block[o:o + k])
            pos += k
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True


class Storage(Output):
    def handle_any(self):
        self.read_body()
        u = urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        s = parse_qs(u.query).get("sig", [""])[0]
        if self.command not in ("GET", "HEAD") or len(parts) != 2 or \
                parts[0] != "signed":
            return self.send(404, "NoSuchKey")
        if not hmac.compare_digest(s, sig(parts[1])):
            return self.send(403, "SignatureDoesNotMatch")
        return self.output(parts[1], signed=True)


class Platform(Output):
    def error(self, code, message):
        return self.send_json(code, {"error": {"code": code,
                                               "message": message}})

    def handle_any(self):
        body = self.read_body()
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.error(401, "Invalid or missing API token")
        u = urlsplit(self.path)
        p = u.path.rstrip("/").split("/")[1:]
        m = self.command
        if len(p) < 2 or p[0] != "v1":
            return self.error(404, "Not found")
        p = p[1:]
        if m == "POST" and p == ["data", "url"]:
            return self.post_data_url(body)
        if m == "GET" and len(p) == 2 and p[0] == "data":
            with STATE:
                d = DATA.get(p[1])
            if d is None:
                return self.error(404, "Data %s not found" % p[1])
            return self.send_json(200, {"data": d})
        if m == "POST" and p == ["jobs"]:
            return self.post_job(body)
        if p[0] == "jobs" and len(p) in (2, 3):
            return self.job_route(m, p[1], p[2] if len(p) == 3 else None)
        return self.error(404, "Not found")

    def post_data_url(self, body):
        try:
            d = json.loads(body)
        except ValueError:
            return self.error(400, "The body is not JSON")
        want = {"signed_url": str, "filename": str, "mimetype": str,
                "size": int, "data_ttl": str}
        for k, t in want.items():
            if not isinstance(d, dict) or not isinstance(d.get(k), t) or \
                    isinstance(d.get(k), bool):
                return self.error(400, "Missing or invalid field '%s'" % k)
        try:
            datetime.fromisoformat(d["data_ttl"].replace("Z", "+00:00"))
        except ValueError:
            return self.error(400, "data_ttl is not an ISO 8601 date")
        did = str(uuid.uuid4())
        rec = {"id": did, "name": d["filename"], "mimetype": d["mimetype"],
               "size": d["size"], "expiration_date": d["data_ttl"],
               "signed_url": d["signed_url"],
               "upload_date": iso(datetime.now(timezone.utc))}
        with STATE:
            DATA[did] = rec
        return self.send_json(200, {"data": rec})

    def form(self, body):
        """multipart/form-data: {name: (filename, content type, bytes)}"""
        ct = self.headers.get("Content-Type", "")
        if not ct.startswith("multipart/form-data"):
            return None
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ct.encode() + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            return None
        out = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None:
                return None
            out[name] = (part.get_filename(), part.get_content_type(),
                         part.get_payload(decode=True))
        return out

    def post_job(self, body):
        f = self.form(body)
        if f is None:
            return self.error(400, "Expected multipart/form-data")
        for k in ("file", "job_name", "auto_start"):
            if k not in f:
                return self.error(400, "Missing field '%s'" % k)
        if f["file"][1] != "application/json":
            return self.error(400, "The job request must be JSON")
        try:
            req = json.loads(f["file"][2])
        except ValueError:
            return self.error(400, "The job request is not JSON")
        if not isinstance(req, dict) or not isinstance(
                req.get("analytic"), str) or not isinstance(
                req.get("inputs"), dict) or not req["inputs"]:
            return self.error(400, "Invalid job request")
        with STATE:
            for name, v in req["inputs"].items():
                if not isinstance(v, dict) or v.get("data-id") not in DATA:
                    return self.error(400, "Input '%s': unknown data" % name)
        auto = f["auto_start"][2].decode()
        if auto not in ("True", "False"):
            return self.error(400, "auto_start must be True or False")
        now = datetime.now(timezone.utc)
        jid = str(uuid.uuid4())
        job = {"id": jid, "name": f["job_name"][2].decode(),
               "state": "QUEUED" if auto == "True" else "READY",
               "archived": False, "auto_start": auto == "True",
               "upload_date": iso(now),
               "expiration_date": iso(now + timedelta(days=30)),
               "expired": False, "request": req}
        with STATE:
            JOBS[jid] = job
        return self.send_json(200, {"job": self.public(job)})

    @staticmethod
    def public(job):
        return {k: v for k, v in job.items() if k != "request"}

    def job_of(self, jid):
        with STATE:
            if jid in JOBS:
                return JOBS[jid]
        seeded = listed()
        if jid not in seeded:
            return None
        return {"id": jid, "name": jid, "state": "COMPLETE",
                "archived": False, "expired": seeded[jid],
                "output_filename": jid, "seeded": True}

    def job_route(self, m, jid, what):
        job = self.job_of(jid)
        if job is None:
            return self.error(404, "Job %s not found" % jid)
        if m == "GET" and what is None:
            return self.send_json(200, {"job": self.public(job)})
        if m == "GET" and what == "request" and "request" in job:
            return self.send_json(200, job["request"])
        if m == "PUT" and what == "start":
            with STATE:
                if job.get("state") != "READY":
                    return self.error(409, "Job %s is %s" % (
                        jid, job.get("state")))
                job["state"] = "QUEUED"
            return self.send_json(200, {})
        if m in ("GET", "HEAD") and what in ("output", "output-url"):
            if job["expired"]:
                return self.error(410, "Job %s has expired" % jid)
            if job["state"] != "COMPLETE":
                return self.error(404, "Job %s has no output" % jid)
            if what == "output-url":
                return self.send_json(200, {"url": signed_url(jid)})
            return self.output(jid, signed=False)
        return self.error(404, "Not found")


if __name__ == "__main__":
    CONF["storage"] = int(sys.argv[3])
    CONF["jobs"] = sys.argv[4]
    fakebase.serve(sys.argv[2], [(int(sys.argv[1]), Platform),
                                 (int(sys.argv[3]), Storage)])
