#!/usr/bin/env python3
"""jobplatform-sdk.py API_URL: drive the job platform's own client library
(voxel51/api-py, vendored in tests/oracle/voxel51-api-py) against the fake
at API_URL (tests/fake/jobplatform.py, with job j-1 complete and gone
expired); prints one "ok NAME" or "not ok NAME: why" line per check."""
import os
import sys
import tempfile
import types

top = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(top, "oracle", "voxel51-api-py"))
# Python 2 compatibility and the file-upload encoder: not in the calls used
fu = types.ModuleType("future.utils")
fu.iteritems = lambda d: iter(d.items())
sys.modules["future"] = types.ModuleType("future")
sys.modules["future.utils"] = fu
for m in ("requests_toolbelt", "requests_toolbelt.multipart",
          "requests_toolbelt.multipart.encoder"):
    sys.modules[m] = types.ModuleType(m)
sys.modules["requests_toolbelt.multipart.encoder"].MultipartEncoder = None

import requests  # noqa: E402
from voxel51.users.api import API, APIError  # noqa: E402
from voxel51.users.auth import Token  # noqa: E402
from voxel51.users.jobs import JobRequest, JobState  # noqa: E402

base = sys.argv[1]
api = API(Token.from_private_key("jobtoken", base_api_url=base))


def check(name, f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001
        print("not ok %s: %s: %s" % (name, type(e).__name__, e))
        return None
    if r is False:
        print("not ok %s" % name)
    else:
        print("ok %s" % name)
    return r


def raises(code, f):
    try:
        f()
    except APIError as e:
        return str(e).startswith("%d: " % code) or str(e)
    return "no error"


def is_(a, b):
    if a != b:
        raise AssertionError("%r != %r" % (a, b))
    return True


state = {}


def post_data():
    d = api.post_data_as_url("https://bucket.example/clip.mp4?X-Amz-Sig=1",
                             "clip.mp4", "video/mp4", 6,
                             "2026-12-03T00:00:00.000Z")
    state["data"] = d["id"]
    return is_((d["name"], d["size"]), ("clip.mp4", 6))


def upload(auto):
    jr = JobRequest("voxel51/vehicle-sense")
    jr.set_input("video", data_id=state["data"])
    jr.set_parameter("accel", 1.5)
    j = api.upload_job_request(jr, "clip job", auto_start=auto)
    state["auto" if auto else "job"] = j["id"]
    return is_((j["name"], j["state"]),
               ("clip job", JobState.QUEUED if auto else JobState.READY))


def request_back():
    jr = api.get_job_request(state["job"])
    return is_((jr.analytic, jr.inputs["video"].data_id,
                jr.parameters["accel"]),
               ("voxel51/vehicle-sense", state["data"], 1.5))


def output():
    p = os.path.join(tempfile.mkdtemp(), "out")
    api.download_job_output("j-1", p)
    return is_(open(p, "rb").read(), b"output of job j-1\n")


def output_url():
    u = api.get_job_output_download_url("j-1")
    return is_(requests.get(u).content, b"output of job j-1\n")


check("post_data_as_url", post_data)
check("get_data_details", lambda: is_(
    api.get_data_details(state["data"])["mimetype"], "video/mp4"))
check("upload_job_request", lambda: upload(False))
check("upload_job_request auto_start=True", lambda: upload(True))
check("get_job_state: READY", lambda: is_(
    api.get_job_state(state["job"]), JobState.READY))
check("start_job", lambda: api.start_job(state["job"]))
check("get_job_state after start_job: QUEUED", lambda: is_(
    api.get_job_state(state["job"]), JobState.QUEUED))
check("get_job_request", request_back)
check("is_job_complete on a complete job", lambda: is_(
    api.is_job_complete("j-1"), True))
check("download_job_output", output)
check("get_job_output_download_url", output_url)
check("is_job_expired", lambda: is_(api.is_job_expired("gone"), True))
check("unknown job: APIError 404", lambda: is_(
    raises(404, lambda: api.get_job_details("nope")), True))
check("expired output: APIError 410", lambda: is_(
    raises(410, lambda: api.download_job_output("gone", "/dev/null")),
    True))
bad = API(Token.from_private_key("wrong", base_api_url=base))
check("bad token: APIError 401", lambda: is_(
    raises(401, lambda: bad.get_job_details("j-1")), True))
check("job on unknown data: APIError 400", lambda: is_(raises(
    400, lambda: api.upload_job_request(
        JobRequest("a").__class__.from_dict(
            {"analytic": "a", "inputs": {"video": {"data-id": "nope"}}}),
        "x")), True))
check("an undocumented route: APIError 404", lambda: is_(raises(
    404, lambda: api._batch_request("nothing", "x", [])), True))
