#!/usr/bin/python3
"""A subscriber that keeps descriptors: DescriptorChurnIT kills it with -9 while it holds them.

usage: descriptor-holder.py SOCKET_PATH PYTHON_CLIENT_DIR PATTERN POLICY MODE
POLICY is SUBSCRIBE's policy number (1 block, 2 drop-oldest, 3 drop-newest, 4 disconnect).
MODE "hold": reads deliveries and never closes their descriptors; after HOLD (200) it prints
"holding N" and stops reading, so the broker's next ones wait in its socket (charged to the
broker) or in its queue. MODE "sleep": never reads at all.
Prints "subscribed" once the subscription is in force.
"""
import sys
import time

sys.path.insert(0, sys.argv[2])
import seqbus  # noqa: E402

HOLD = 200
path, pattern, policy, mode = sys.argv[1], sys.argv[3], int(sys.argv[4]), sys.argv[5]
client = seqbus.Client(path, name="holder-" + mode, session=False)
client.subscribe(1, pattern, policy=policy)
client.ping()
print("subscribed", flush=True)
held = []
if mode == "hold":
    for frame in client.receive():
        if isinstance(frame, seqbus.DeliverFds):
            held.extend(frame.fds)  # never closed: this process holds them until it is killed
            if len(held) >= HOLD:
                break
    print("holding %d" % len(held), flush=True)
while True:
    time.sleep(3600)  # killed with -9 by the test
