#!/usr/bin/python3
"""Checks seqbus.Client's requests and replies against a real broker on the socket given as the first argument
(PythonClientTest starts one): a reply comes back to the requester with the replier's kernel pid, a request nothing
subscribes to fails at once with NO_RESPONDERS, and a reply from a client the request did not go to (a forged
token) is dropped by the broker. Exit status 0 only if all pass.
"""

import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import seqbus  # noqa: E402

failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failures.append("%s %s" % (name, detail))


def next_of(client, kind):
    for frame in client.receive():
        if isinstance(frame, kind):
            return frame
    return None


def main(path):
    with seqbus.Client(path, name="py-replier", services=True) as replier, seqbus.Client(path, name="py-requester") as requester, \
            seqbus.Client(path, name="py-stranger") as stranger:
        replier.subscribe(1, "py.svc.>")
        replier.ping()
        stranger.ping()

        # A request and its reply.
        request_id = requester.send_request("py.svc.echo", b"hello", 10000)
        delivered = next_of(replier, seqbus.DeliverRequest)
        check("delivered", delivered is not None and delivered.payload == b"hello" and delivered.topic == "py.svc.echo")
        check("requester pid", delivered.publisher_pid == os.getpid(), str(delivered))
        # Someone else names the same token: the broker drops it, the requester never sees it.
        stranger.reply(delivered.reply_token, b"forged")
        stranger.ping()
        replier.reply(delivered.reply_token, b"echo " + delivered.payload)
        response = next_of(requester, seqbus.Response)
        check("response id", response.request_id == request_id, str(response))
        check("replied", response.status == seqbus.REPLIED and response.payload == b"echo hello", str(response))
        check("replier pid", response.replier_pid == os.getpid(), str(response))

        # Nothing subscribes: at once, not after the 60 s timeout.
        try:
            requester.request("py.nobody", b"", 60000)
            check("no responders", False, "replied")
        except seqbus.RequestFailed as e:
            check("no responders", e.status == seqbus.NO_RESPONDERS, str(e))

        # request() blocks for its own Response; the replier answers from the same process in between.
        request_id = requester.send_request("py.svc.twice", b"x", 10000)
        delivered = next_of(replier, seqbus.DeliverRequest)
        replier.reply(delivered.reply_token, b"first")
        replier.reply(delivered.reply_token, b"second")  # late: dropped by the broker
        response = next_of(requester, seqbus.Response)
        check("first reply wins", response.payload == b"first" and response.request_id == request_id, str(response))
        requester.ping()
        check("one response", not any(isinstance(f, seqbus.Response) for f in requester.pending),
              str(list(requester.pending)))

    # Headers beside a request and its reply (both clients said SERVICES).
    with seqbus.Client(path, name="py-h-replier", services=True) as replier, \
            seqbus.Client(path, name="py-h-requester", services=True) as requester:
        replier.subscribe(1, "py.svc.>")
        replier.ping()
        request_id = requester.send_request("py.svc.trace", b"q", 10000, {"traceparent": "00-ab-01"})
        delivered = next_of(replier, seqbus.DeliverRequest)
        check("request headers", delivered.headers == [("traceparent", b"00-ab-01")] and delivered.payload == b"q",
              str(delivered))
        replier.reply(delivered.reply_token, b"a", [("status", b"ok")])
        response = next_of(requester, seqbus.Response)
        check("reply headers", response.request_id == request_id and response.headers == [("status", b"ok")] and
              response.payload == b"a", str(response))

    print("%d passed, %d failed" % (passed, len(failures)))
    for failure in failures:
        print("FAILED: " + failure)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
