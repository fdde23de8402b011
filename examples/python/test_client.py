#!/usr/bin/python3
"""Checks seqbus.Client's session against a broker played by this script on a temporary socket: what HELLO
carries, how next_sequence is counted, and the fallback for a broker older than sessions. No broker needed;
PythonClientTest runs it, and checks the same against the real broker. Exit status 0 only if all pass.
"""

import logging
import os
import pathlib
import socket
import sys
import tempfile
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import seqbus  # noqa: E402
from seqbus import Hello, Publish  # noqa: E402

WAIT = 10  # seconds: a bound on every wait of the scripted broker

failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failures.append("%s %s" % (name, detail))


class ScriptedBroker:
    """A SEQPACKET listener whose connections the test answers frame by frame, in its own thread."""

    def __init__(self, path):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        self.listener.listen(4)
        self.listener.settimeout(WAIT)

    def accept(self):
        conn, _ = self.listener.accept()
        conn.settimeout(WAIT)
        return conn

    def close(self):
        self.listener.close()


def frames(conn):
    return seqbus.decode_datagram(conn.recv(1 << 17), sender="client")


def answer_as_broker_before_sessions(conn, publisher_id):
    """As 5b82c17's broker: a HELLO must be exactly 18 + name_length bytes (client_flags unread); otherwise
    ERROR BAD_FRAME_LENGTH, ref 0, and the connection closed."""
    data = conn.recv(1 << 17)
    hello = seqbus.decode_datagram(data[:seqbus.HEADER.unpack_from(data)[0]], sender="client")[0]
    if seqbus.HEADER.unpack_from(data)[0] != 18 + len(hello.name.encode("utf-8")):
        conn.send(seqbus.encode_error(seqbus.BAD_FRAME_LENGTH, True, 0,
                                      "string length disagrees with frame_length (frame at byte 0)"))
        conn.close()
    else:
        conn.send(seqbus.encode_welcome(1, 65536, 131072, 7, publisher_id, "old"))
    return hello


def welcome(conn, publisher_id):
    conn.send(seqbus.encode_welcome(1, 65536, 131072, 7, publisher_id, "h1"))


def in_thread(target):
    result = {}

    def run():
        try:
            result["value"] = target()
        except BaseException as e:  # reported by the check that reads it
            result["error"] = e
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_session_hello_and_next_sequence(path):
    """HELLO carries one random session id for the client's life; next_sequence counts every PUBLISH sent, less
    the ones the broker refused."""
    broker = ScriptedBroker(path)
    try:
        thread, result = in_thread(lambda: seqbus.Client(path, name="py"))
        conn = broker.accept()
        first = frames(conn)[0]
        check("session HELLO flags", first.client_flags == seqbus.HELLO_SESSION | seqbus.HELLO_DESCRIPTORS, str(first))
        check("session HELLO first sequence", first.next_sequence == 1, str(first))
        welcome(conn, 1 << 63 | 5)
        thread.join(WAIT)
        client = result["value"]
        try:
            client.publish("a.b", b"1")
            client.publish_many([("a.b", b"2"), ("bad topic", b"3"), ("a.b", b"4")])
            got = []
            while len(got) < 4:
                got.extend(f for f in frames(conn) if isinstance(f, Publish))
            check("publishes arrive", [p.payload for p in got] == [b"1", b"2", b"3", b"4"], str(got))
            # The broker refuses the bad topic (no sequence); the PONG after it is the barrier.
            conn.send(seqbus.encode_error(seqbus.INVALID_TOPIC, False, 0, "invalid topic 'bad topic'"))
            thread, result = in_thread(client.ping)
            ping = [f for f in frames_until_ping(conn)][-1]
            conn.send(seqbus.encode_ping(ping.token, seqbus.PONG))
            thread.join(WAIT)
            check("ping returned", "error" not in result and not thread.is_alive(), str(result.get("error")))
            check("a refused publish is not counted", client.next_sequence() == 4,
                  "sent %d refused %d" % (client.sent, client.refused))
            # Its own reconnect: the same session, the numbering continued, the subscription sent again.
            client.subscribe(3, "x.>")
            frames(conn)
            # Written, never read by the broker: a hole subscribers count, so it stays counted (as in Java).
            client.publish("a.b", b"unread")
            thread, result = in_thread(client.reconnect)
            again = broker.accept()
            hello_and_more = frames(again)
            hello = hello_and_more[0]
            check("reconnect keeps the session", hello.session_id == first.session_id, str(hello))
            check("reconnect continues the sequence", hello.next_sequence == 5, str(hello))
            welcome(again, 1 << 63 | 5)
            thread.join(WAIT)
            check("reconnect returned", "error" not in result, str(result.get("error")))
            more = hello_and_more[1:] or frames(again)
            check("reconnect resubscribes", [(f.subscription_id, f.pattern) for f in more] == [(3, "x.>")], str(more))
        finally:
            client.close()
    finally:
        broker.close()
        os.unlink(path)


def test_queue_group_subscribe_and_resubscribe(path):
    """subscribe(..., group=) sends SUBSCRIBE with GROUP; the reconnect sends it again with its group; a bad name
    is refused before anything is sent."""
    broker = ScriptedBroker(path)
    try:
        thread, result = in_thread(lambda: seqbus.Client(path, name="py", services=True))
        conn = broker.accept()
        hello = frames(conn)[0]
        check("a group client's HELLO says SERVICES", hello.client_flags & seqbus.HELLO_SERVICES, str(hello))
        welcome_services(conn, 1 << 63 | 6)
        thread.join(WAIT)
        client = result["value"]
        try:
            for bad in ("", "a.b", "*", ">", "a b", "x" * 65):
                try:
                    client.subscribe(9, "jobs.>", group=bad)
                    check("bad group %r refused" % bad, False)
                except ValueError:
                    check("bad group %r refused" % bad, True)
            client.subscribe(4, "jobs.>", group="workers")
            sent = frames(conn)
            check("SUBSCRIBE carries the group", [(f.subscription_id, f.pattern, f.group) for f in sent] ==
                  [(4, "jobs.>", "workers")], str(sent))
            thread, result = in_thread(client.reconnect)
            again = broker.accept()
            hello_and_more = frames(again)
            welcome_services(again, 1 << 63 | 6)
            thread.join(WAIT)
            more = hello_and_more[1:] or frames(again)
            check("the resubscribe keeps the group", [(f.subscription_id, f.group) for f in more] ==
                  [(4, "workers")], str(more))
        finally:
            client.close()
    finally:
        broker.close()
        os.unlink(path)


def welcome_services(conn, publisher_id):
    conn.send(seqbus.encode_welcome(1, 65536, 131072, 7, publisher_id, "h1", max_header_bytes=4096, max_headers=32,
                                    max_request_timeout_ms=60000))


def test_a_group_needs_services_on_both_sides(path):
    """Without SERVICES in the WELCOME (client made without services=True, or a broker from before queue groups)
    a group subscribe raises ServicesNotOffered and sends nothing; a reconnect to such a broker ends the group
    subscription, raises, and keeps the others in force."""
    broker = ScriptedBroker(path)
    try:
        for services in (False, True):
            thread, result = in_thread(lambda: seqbus.Client(path, name="py", services=services))
            conn = broker.accept()
            frames(conn)
            welcome(conn, 1 << 63 | 7)  # an old broker: no service trailer whatever the HELLO asked
            thread.join(WAIT)
            client = result["value"]
            try:
                try:
                    client.subscribe(5, "jobs.>", group="workers")
                    check("group refused without SERVICES (services=%s)" % services, False)
                except seqbus.ServicesNotOffered as e:
                    check("group refused without SERVICES (services=%s)" % services,
                          "queue groups need a broker with SERVICES" in str(e) and e.ref == 5, str(e))
                client.subscribe(6, "news")
                sent = frames(conn)
                check("nothing sent for the refused group (services=%s)" % services,
                      [(f.subscription_id, f.group) for f in sent] == [(6, None)], str(sent))
                check("the refused group is not kept", 5 not in client.subscriptions, str(client.subscriptions))
            finally:
                client.close()
                conn.close()
        # Subscribed in a group against a broker with SERVICES, then reconnected to an older one.
        thread, result = in_thread(lambda: seqbus.Client(path, name="py", services=True))
        conn = broker.accept()
        frames(conn)
        welcome_services(conn, 1 << 63 | 7)
        thread.join(WAIT)
        client = result["value"]
        try:
            client.subscribe(7, "jobs.>", group="workers")
            client.subscribe(8, "news")
            frames(conn)
            thread, result = in_thread(client.reconnect)
            again = broker.accept()
            hello_and_more = frames(again)
            welcome(again, 1 << 63 | 7)
            thread.join(WAIT)
            check("reconnect to an old broker raises ServicesNotOffered",
                  isinstance(result.get("error"), seqbus.ServicesNotOffered) and
                  "queue groups need a broker with SERVICES" in str(result.get("error")), repr(result))
            more = hello_and_more[1:]
            client._send(seqbus.encode_ping(99))  # a barrier frame: whatever the client sent before it is in front
            while not any(isinstance(f, seqbus.Ping) for f in more):
                more.extend(frames(again))
            subscribes = [(f.subscription_id, f.group) for f in more if isinstance(f, seqbus.Subscribe)]
            check("the old broker gets the plain SUBSCRIBE only", subscribes == [(8, None)], str(more))
            check("the group subscription ended, the other kept", list(client.subscriptions) == [8],
                  str(client.subscriptions))
        finally:
            client.close()
    finally:
        broker.close()
        os.unlink(path)


def frames_until_ping(conn):
    while True:
        for f in frames(conn):
            yield f
            if isinstance(f, seqbus.Ping):
                return


def test_broker_before_sessions(path):
    """A broker older than sessions refuses the session HELLO: the client connects again without one, warns
    once, and stays without one on its reconnects."""
    capture = Capture()
    logging.getLogger("seqbus").addHandler(capture)
    logging.getLogger("seqbus").propagate = False
    broker = ScriptedBroker(path)
    try:
        thread, result = in_thread(lambda: seqbus.Client(path, name="py"))
        refused = answer_as_broker_before_sessions(broker.accept(), 1)
        check("first HELLO has a session", refused.client_flags & seqbus.HELLO_SESSION, str(refused))
        conn = broker.accept()
        accepted = answer_as_broker_before_sessions(conn, 2)
        thread.join(WAIT)
        check("connected without a session", "value" in result, str(result.get("error")))
        client = result["value"]
        try:
            check("second HELLO has none", accepted == Hello(1, 1, seqbus.HELLO_DESCRIPTORS, "py"), str(accepted))
            check("publisher id from WELCOME", client.wait_welcome().publisher_id == 2, str(client.welcome))
            warnings = [r for r in capture.records if "refused a HELLO with a session" in r.getMessage()]
            check("one warning", len(warnings) == 1 and warnings[0].levelno == logging.WARNING,
                  str([r.getMessage() for r in capture.records]))
            check("the warning says what is lost", "count 0, unknown" in warnings[0].getMessage() and
                  path in warnings[0].getMessage() and "BAD_FRAME_LENGTH" in warnings[0].getMessage())
            client.publish("a.b", b"x")
            check("publishes go to the old broker", frames(conn) == [Publish("a.b", b"x")])
            # A restart of the old broker: the client's reconnect asks no session again.
            conn.close()
            thread, result = in_thread(client.reconnect)
            again = answer_as_broker_before_sessions(broker.accept(), 3)
            thread.join(WAIT)
            check("reconnect without a session", again.client_flags == seqbus.HELLO_DESCRIPTORS and "error" not in result,
                  str(again))
            check("still one warning", len([r for r in capture.records
                                            if "refused a HELLO" in r.getMessage()]) == 1)
        finally:
            client.close()
    finally:
        logging.getLogger("seqbus").removeHandler(capture)
        logging.getLogger("seqbus").propagate = True
        broker.close()
        os.unlink(path)


def test_other_errors_are_not_taken_for_an_old_broker(path):
    """Any other refusal of a session HELLO stays an error: the client does not quietly drop its session."""
    broker = ScriptedBroker(path)
    try:
        thread, result = in_thread(lambda: seqbus.Client(path, name="py"))
        conn = broker.accept()
        frames(conn)
        conn.send(seqbus.encode_error(seqbus.PROTOCOL_VIOLATION, True, 0, "flags not 0"))
        conn.close()
        thread.join(WAIT)
        error = result.get("error")
        check("PROTOCOL_VIOLATION raised", isinstance(error, seqbus.SeqbusError) and
              error.code == seqbus.PROTOCOL_VIOLATION, repr(error))
    finally:
        broker.close()
        os.unlink(path)


def test_a_fatal_error_behind_a_reset_is_still_seen(path):
    """The broker refuses a datagram and closes with the client's later datagrams unread: Linux reports
    ECONNRESET (or EPIPE to a send) before the ERROR still queued. The client reads on and raises the ERROR."""
    for side in ("receive", "send"):
        broker = ScriptedBroker(path)
        try:
            client = seqbus.Client(path, name="py", session=False)
            conn = broker.accept()
            frames(conn)
            welcome(conn, 1)
            client.wait_welcome()
            client.publish("a.b", b"never read")  # left unread in the broker's socket
            conn.send(seqbus.encode_error(seqbus.PROTOCOL_VIOLATION, True, 0, "refused"))
            conn.close()
            try:
                if side == "receive":
                    next(iter(client.receive()))
                else:
                    for _ in range(64):
                        client.publish("a.b", b"after the close")
                error = None
            except Exception as e:
                error = e
            check("the ERROR, not a reset, on %s" % side, isinstance(error, seqbus.SeqbusError) and
                  error.code == seqbus.PROTOCOL_VIOLATION, repr(error))
            client.close()
        finally:
            broker.close()
            os.unlink(path)


def main():
    with tempfile.TemporaryDirectory() as folder:
        for test in (test_session_hello_and_next_sequence, test_broker_before_sessions,
                     test_other_errors_are_not_taken_for_an_old_broker,
                     test_a_fatal_error_behind_a_reset_is_still_seen, test_queue_group_subscribe_and_resubscribe,
                     test_a_group_needs_services_on_both_sides):
            try:
                test(os.path.join(folder, "bus.sock"))
            except Exception as e:  # a crash is a failure of this test, not of the whole run
                check(test.__name__, False, repr(e))
    for failure in failures:
        print("FAIL", failure)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
