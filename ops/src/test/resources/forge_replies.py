#!/usr/bin/python3
"""RequestReplyIT's second uid: tries to receive another client's replies. Usage: forge_replies.py PYLIB SOCKET N

Connection `watcher` subscribes to everything ('>') and so receives every request (as any subscriber may) but
never answers; connection `forger` subscribes to nothing and replies to each request with its real token (it is
not a recipient), with the token of the next slot and with the next generation. Neither may ever see a RESPONSE or
a reply's payload (the replier answers 'req-i' with 'rep-i'). After N requests it prints one line:
summary requests=N responses=R leaked=L forged=F, then exits 0.
"""

import sys

sys.path.insert(0, sys.argv[1])
import seqbus  # noqa: E402

socket_path, wanted = sys.argv[2], int(sys.argv[3])
responses = leaked = forged = requests = 0


def look(frames):
    global responses, leaked
    for frame in frames:
        if isinstance(frame, seqbus.Response):
            responses += 1
        if b"rep-" in bytes(getattr(frame, "payload", b"") or b""):
            leaked += 1


with seqbus.Client(socket_path, name="watcher", descriptors=False, services=True) as watcher, \
        seqbus.Client(socket_path, name="forger", descriptors=False) as forger:
    watcher.subscribe(1, ">")
    watcher.ping()
    forger.ping()
    print("ready", flush=True)
    for frame in watcher.receive():
        look([frame])
        if not isinstance(frame, seqbus.DeliverRequest):
            continue
        requests += 1
        token = frame.reply_token
        for guess in (token, token ^ (1 << 8), (token & ~0xFF) | ((token + 1) & 0xFF)):
            forger.reply(guess, b"rep-forged")
            forged += 1
        if requests >= wanted:
            break
    forger.ping()
    look(forger.pending)
    watcher.ping()
    look(watcher.pending)
    print("summary requests=%d responses=%d leaked=%d forged=%d" % (requests, responses, leaked, forged), flush=True)
