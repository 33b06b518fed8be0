"""moto's server (python3 -m moto.server, the same arguments), with its
DynamoDB requests taken one at a time.

moto 5.2.1 evaluates a ConditionExpression and applies the write in
separate steps while its server answers requests in threads, so two
conditional UpdateItems racing for one item can both succeed: under load,
boto3 alone won one item twice out of 300 (four threads, one barrier per
item).  DynamoDB applies a conditional write atomically, and the tools
rely on that (s3-scan's leases, wh-route's claims), so this peer does
too: one lock around every DynamoDB action.  No DynamoDB request waits
long (there is no long poll), so the lock costs the tests nothing; SQS's
long polls, on other handlers, still run side by side.
"""
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _one_at_a_time(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _one_at_a_time

if __name__ == "__main__":
    main()
