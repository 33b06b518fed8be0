#!/usr/bin/env python3
"""wh-listen-load.py PORT THREADS COUNT OKFILE [PATH]: THREADS senders post
COUNT JSON events each over keep-alive connections, every one tagged with
an X-Seq header; the X-Seq of every 2xx answer goes to OKFILE, one a line.
Prints "2xx=N other=N errors=N"."""
import http.client
import json
import sys
import threading

port, nthr, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
okfile = sys.argv[4]
path = sys.argv[5] if len(sys.argv) > 5 else "/hook"
lock = threading.Lock()
ok, other, errors = [], [0], [0]


def sender(t):
    conn = None
    for i in range(count):
        seq = "%d-%d" % (t, i)
        body = json.dumps({"seq": seq, "pad": "é" * (i % 50)})
        for attempt in range(2):
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port,
                                                      timeout=30)
                conn.request("POST", path, body.encode(),
                             {"Content-Type": "application/json",
                              "X-Seq": seq})
                r = conn.getresponse()
                r.read()
                with lock:
                    if 200 <= r.status < 300:
                        ok.append(seq)
                    else:
                        other[0] += 1
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                break
            except (OSError, http.client.HTTPException):
                # a reused connection the server had closed: once more
                if conn is not None:
                    conn.close()
                conn = None
                if attempt == 1:
                    with lock:
                        errors[0] += 1


threads = [threading.Thread(target=sender, args=(t,)) for t in range(nthr)]
for th in threads:
    th.start()
for th in threads:
    th.join()
with open(okfile, "w") as f:
    for s in ok:
        f.write(s + "\n")
print("2xx=%d other=%d errors=%d" % (len(ok), other[0], errors[0]))
