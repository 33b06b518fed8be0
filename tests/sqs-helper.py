#!/usr/bin/env python3
"""sqs-helper: boto3 set-up and checks for the sqs-*.t / sns-*.t tests.

Run with $PEERS_PYTHON after sourcing peers.env (boto3 reads AWS_*).
Commands (one per run, several with ';' between them is not supported):
  queue NAME [VISIBILITY] [fifo|max=BYTES]
                                    create a queue, print its URL
                                    (max=: its MaximumMessageSize)
  send URL N [START]                send N messages {"i": k} in batches
  count URL                         visible + in flight + delayed
  drain URL WAIT                    receive until empty (no delete), print
                                    "i receive_count" per message, sorted
  purge URL                         delete every message
  s3 BUCKET QUEUE_URL               bucket whose ObjectCreated go to QUEUE
  s3sns BUCKET TOPIC_ARN            bucket whose ObjectCreated go to TOPIC
  put BUCKET KEY [KEY...]           upload small objects
  topic NAME QUEUE_URL [raw]        topic with the queue subscribed
  attrs URL                         print ReceiveMessage of one message
                                    (attributes, for sqs-send checks)
"""
import json
import os
import sys

import boto3

EP = os.environ["MOTO_ENDPOINT"]


def client(name):
    return boto3.client(name, endpoint_url=EP)


def queue(args):
    sqs = client("sqs")
    attrs = {}
    name = args[0]
    if len(args) > 1 and args[1] != "-":
        attrs["VisibilityTimeout"] = args[1]
    if len(args) > 2 and args[2] == "fifo":
        attrs["FifoQueue"] = "true"
    if len(args) > 2 and args[2].startswith("max="):
        attrs["MaximumMessageSize"] = args[2][4:]
    print(sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])


def send(args):
    sqs = client("sqs")
    url, n = args[0], int(args[1])
    start = int(args[2]) if len(args) > 2 else 0
    for b in range(start, start + n, 10):
        ents = [{"Id": str(k - b), "MessageBody": json.dumps({"i": k})}
                for k in range(b, min(b + 10, start + n))]
        r = sqs.send_message_batch(QueueUrl=url, Entries=ents)
        if r.get("Failed"):
            sys.exit("send failed: %r" % r["Failed"])


def count(args):
    sqs = client("sqs")
    a = sqs.get_queue_attributes(QueueUrl=args[0], AttributeNames=[
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    print(sum(int(v) for v in a.values()))


def drain(args):
    sqs = client("sqs")
    out = []
    while True:
        r = sqs.receive_message(QueueUrl=args[0], MaxNumberOfMessages=10,
                                WaitTimeSeconds=int(args[1]),
                                AttributeNames=["All"])
        ms = r.get("Messages", [])
        if not ms:
            break
        for m in ms:
            try:
                i = json.loads(m["Body"])["i"]
            except (ValueError, KeyError, TypeError):
                i = m["Body"]
            out.append((i, int(m["Attributes"]["ApproximateReceiveCount"])))
    for i, c in sorted(out, key=lambda x: (str(type(x[0])), x[0])):
        print(i, c)


def purge(args):
    sqs = client("sqs")
    sqs.purge_queue(QueueUrl=args[0])


def s3(args):
    bkt, url = args
    sqs = client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    s3c = client("s3")
    s3c.create_bucket(Bucket=bkt)
    s3c.put_bucket_notification_configuration(
        Bucket=bkt, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})


def s3sns(args):
    bkt, arn = args
    s3c = client("s3")
    s3c.create_bucket(Bucket=bkt)
    s3c.put_bucket_notification_configuration(
        Bucket=bkt, NotificationConfiguration={"TopicConfigurations": [
            {"TopicArn": arn, "Events": ["s3:ObjectCreated:*"]}]})


def put(args):
    s3c = client("s3")
    for k in args[1:]:
        s3c.put_object(Bucket=args[0], Key=k, Body=b"hello\n")


def topic(args):
    sqs = client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=args[1], AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    sns = client("sns")
    t = sns.create_topic(Name=args[0])["TopicArn"]
    attrs = {}
    if len(args) > 2 and args[2] == "raw":
        attrs["RawMessageDelivery"] = "true"
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=arn,
                  Attributes=attrs)
    print(t)


def attrs(args):
    sqs = client("sqs")
    r = sqs.receive_message(QueueUrl=args[0], MaxNumberOfMessages=1,
                            WaitTimeSeconds=1, AttributeNames=["All"],
                            MessageAttributeNames=["All"])
    m = r["Messages"][0]
    a = m.get("Attributes", {})
    print(json.dumps({
        "body": m["Body"],
        "group": a.get("MessageGroupId"),
        "dedup": a.get("MessageDeduplicationId"),
        "attrs": {k: v.get("StringValue")
                  for k, v in m.get("MessageAttributes", {}).items()},
    }, sort_keys=True))


CMDS = {"queue": queue, "send": send, "count": count, "drain": drain,
        "purge": purge, "s3": s3, "s3sns": s3sns, "put": put,
        "topic": topic,
        "attrs": attrs}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.exit(__doc__)
    CMDS[sys.argv[1]](sys.argv[2:])
