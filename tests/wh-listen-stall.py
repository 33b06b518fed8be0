#!/usr/bin/env python3
"""wh-listen-stall.py PORT FIRST COUNT SIZE: POST COUNT requests at once,
numbered from FIRST, each a JSON body {"n":N,"pad":"..."} of about SIZE
bytes; print "N STATUS SECONDS" for each as it is answered ("000" when
the connection failed or closed without an answer)."""
import http.client
import json
import sys
import threading
import time

port, first, count, size = (int(a) for a in sys.argv[1:5])
out_lock = threading.Lock()
go = threading.Event()


def one(n):
    body = json.dumps({"n": n, "pad": "x" * max(0, size - 20)})
    go.wait()
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("POST", "/hook", body,
                  {"Content-Type": "application/json"})
        st = "%03d" % c.getresponse().status
        c.close()
    except (OSError, http.client.HTTPException):
        st = "000"
    with out_lock:
        print(n, st, "%.2f" % (time.monotonic() - t0), flush=True)


ts = [threading.Thread(target=one, args=(first + i,)) for i in range(count)]
for t in ts:
    t.start()
go.set()
for t in ts:
    t.join()
