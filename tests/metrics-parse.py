#!/usr/bin/env python3
# metrics-parse.py FILE: parse a Prometheus text exposition (a --metrics
# textfile, wh-listen's GET /metrics; "-" is stdin) with the official
# Python client's parser and print one line a family ("TYPE name type")
# and one a sample ("name{label="v",...} value", labels sorted); exit 1
# with the parser's complaint.
# metrics-parse.py watch FILE SECONDS: read FILE over and over for that
# long, parse each version read; print "reads N bad M" and the first
# bad one.
import sys, time
from prometheus_client.parser import text_string_to_metric_families

def parse(text):
    out = []
    for fam in text_string_to_metric_families(text):
        out.append("TYPE %s %s" % (fam.name, fam.type))
        for s in fam.samples:
            labels = ",".join('%s="%s"' % (k, v)
                              for k, v in sorted(s.labels.items()))
            out.append("%s{%s} %r" % (s.name, labels, s.value))
    return out

def watch(path, secs):
    end = time.monotonic() + secs
    reads = bad = 0
    first = None
    while time.monotonic() < end:
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            continue
        reads += 1
        try:
            lines = parse(text)
            # the last family is always there when the file is whole
            if not any(l.startswith("hookpipe_last_success") for l in lines):
                raise ValueError("no last success sample")
        except Exception as e:
            bad += 1
            first = first or "%s: %r" % (e, text[-200:])
    print("reads %d bad %d" % (reads, bad))
    if first:
        print(first)

if len(sys.argv) == 4 and sys.argv[1] == "watch":
    watch(sys.argv[2], float(sys.argv[3]))
    sys.exit(0)
text = sys.stdin.read() if sys.argv[1] == "-" else open(sys.argv[1]).read()
try:
    print("\n".join(parse(text)))
except Exception as e:
    sys.exit("metrics-parse: %s" % e)
