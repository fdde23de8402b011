#!/usr/bin/python3
"""Checks seqbus.py against the test vectors of wire-format/SPEC.md, read from SPEC.md itself.

Valid datagrams must decode to the values written out below and encode back to the same bytes;
refused ones must raise the error code their row gives. Exit status 0 only if all pass.
"""

import hashlib
import hmac
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import seqbus  # noqa: E402
from seqbus import (Deliver, DeliverFds, DeliverRun, Error, Gap, Hello, Ping, Pong, Publish,  # noqa: E402
                    PublishFds, ShmAttach, ShmFds, ShmReady, StatReply, StatRequest, Subscribe, Unsubscribe, Welcome)

SPEC = pathlib.Path(__file__).resolve().parents[2] / "wire-format" / "SPEC.md"

# What each row says, written out by hand: a change to SPEC.md's tables fails until this follows.
VALID = {
    "HELLO": [Hello(1, 1, 0, "py")],
    "HELLO SESSION": [Hello(1, 1, 1, "py", 0x1122334455667788, 42)],
    "WELCOME": [Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002, "h1")],
    "SUBSCRIBE": [Subscribe(7, 0, 0, "orders.*.created")],
    "UNSUBSCRIBE": [Unsubscribe(7)],
    "SUBSCRIBE GROUP": [Subscribe(7, 0, 0, "orders.>", "workers")],
    "PUBLISH": [Publish("orders.eu.created", b"hi")],
    "DELIVER": [Deliver(7, 0x0A0B0C0D, 0x0000000100000002, 1, 1700000000000000000, 1000, 4242, "a.b", b"xyz")],
    "DELIVER_RUN": [DeliverRun(7, 0x0A0B0C0D, 0x0000000100000002, 5, 1700000000000000000, 1000, 4242, "a.b",
                               [b"xy", b"z"])],
    "GAP": [Gap(7, 0x0A0B0C0D, 0x0000000100000002, 5, 3, 1)],
    "ERROR": [Error(7, False, 0, "bad topic")],
    "PING": [Ping(0x0102030405060708)],
    "PONG": [Pong(0x0102030405060708)],
    "STAT_REQUEST": [StatRequest(0, 7)],
    "STAT_REPLY": [StatReply(7, 2, 0, b"{}")],
    "BATCH": [Publish("a.b", b"1"), Publish("a.b", b"2")],
    "PUBLISH_FDS MEMFD": [PublishFds("a.b", 1, 1, 0x100000, b"")],
    "PUBLISH_FDS PLAIN": [PublishFds("a.b", 2, 0, 0, b"hi")],
    "DELIVER_FDS": [DeliverFds(7, 0x0A0B0C0D, 0x0000000100000002, 1, 1700000000000000000, 1000, 4242, 1, 1, 0x100000,
                               "a.b", b"")],
    "WELCOME DESCRIPTORS": [Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002, "h1", 8, 64, 1073741824)],
    "WELCOME SERVICES": [Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002, "h1",
                                 max_header_bytes=4096, max_headers=32, max_request_timeout_ms=60000)],
    "WELCOME DESCRIPTORS SERVICES": [Welcome(1, 65536, 131072, 0x0A0B0C0D, 0x0000000100000002, "h1", 8, 64, 1073741824,
                                             4096, 32, 60000)],
    "SHM_READY": [ShmReady(1048576, 1048576, 2101248)],
    "SHM_ATTACH": [ShmAttach()],
    "SHM_FDS": [ShmFds(2)],
    # Requests and replies.
    "REQUEST": [seqbus.Request(7, 2000, "svc.price", b"hi")],
    "DELIVER_REQUEST": [seqbus.DeliverRequest(7, 0x0A0B0C0D, 0x0000000100000002, 1, 1700000000000000000, 1000, 4242,
                                              0x0A0B0C0D00000105, "a.b", b"xyz")],
    "REPLY": [seqbus.Reply(0x0A0B0C0D00000105, b"ok")],
    "RESPONSE": [seqbus.Response(7, seqbus.REPLIED, 0x0A0B0C0D, 1000, 4242, 1700000000000000000, b"ok")],
    "RESPONSE NO_RESPONDERS": [seqbus.Response(7, seqbus.NO_RESPONDERS, 0, 0, 0, 0, b"")],
}
REFUSED = {
    "three bytes of garbage": 1,
    "frame_length 14, datagram 13 bytes": 1,
    "frame_length 4": 2,
    "PING with 4 extra bytes": 2,
    "PUBLISH whose topic_length runs past the frame": 2,
    "HELLO with `SESSION` but no session trailer": 2,
    "unknown type 0x7f": 3,
    "flags not 0": 6,
    "DELIVER sent by a client": 6,
    "STAT_REPLY sent by a client": 6,
    "NODE sent by a client": 6,
    "AUTH sent by a client": 6,
    "PUBLISH_FDS with fd_count 0": 2,
    "PUBLISH_FDS with fd_flags bit 1 set": 6,
    "PUBLISH_FDS with inline bytes beside `MEMFD_PAYLOAD`": 2,
    "DELIVER_FDS sent by a client": 6,
    "PUBLISH_FDS without its descriptor": 22,
    "SHM_READY sent by a client": 6,
    "SUBSCRIBE GROUP whose group_length runs past the frame": 2,
    "SUBSCRIBE GROUP without group_length": 2,
    "SUBSCRIBE with flag bit 2": 6,
    "REPLY shorter than its token": 2,
    "DELIVER_REQUEST sent by a client": 6,
    "RESPONSE sent by a client": 6,
}
# Frame types only a broker sends: their vectors are decoded as the broker's.
SENT_BY_BROKER = (Welcome, Deliver, DeliverRun, DeliverFds, Gap, Error, StatReply, ShmReady, seqbus.DeliverRequest,
                  seqbus.Response)
# Datagrams between brokers (the LAN bridge): a client never sees them; the Java tests check them.
BROKER_TO_BROKER = ("LAN ",)


def tables(text):
    """The markdown tables under '## Test vectors', as lists of rows of cells, header and separator dropped."""
    section = text.split("\n## Test vectors\n", 1)[1].split("\n## ", 1)[0]
    found, current = [], None
    for line in section.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            found.append(current)
        current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [t[2:] for t in found]  # drop header and |---| rows


# SPEC.md, "Headers": its own vectors, in three tables (valid, refused datagrams, refused blocks with their byte).
HEADER_VALID = {
    "PUBLISH HEADERS": [Publish("a.b", b"hi", [("k", b"v"), ("k", b"w")])],
    "PUBLISH EMPTY HEADERS": [Publish("a.b", b"hi", [])],
    "DELIVER HEADERS": [Deliver(7, 0x0A0B0C0D, 0x0000000100000002, 1, 1700000000000000000, 1000, 4242, "a.b", b"xyz",
                                [("ct", b"t")])],
    "REQUEST HEADERS": [seqbus.Request(7, 2000, "svc.price", b"hi", [("k", b"v")])],
    "RESPONSE HEADERS": [seqbus.Response(7, seqbus.REPLIED, 0x0A0B0C0D, 1000, 4242, 1700000000000000000, b"ok",
                                         [("k", b"v")])],
}
HEADER_REFUSED = {
    "PUBLISH with `HEADERS` and a 1-byte payload": 27,
    "PUBLISH with `HEADERS` whose block_length runs past the payload": 27,
    "SUBSCRIBE with `HEADERS`": 6,
}
HEADER_BLOCKS = {
    "block_length 1": 0,
    "key_length 0": 2,
    "key_length 65": 2,
    "upper-case key": 3,
    "value_length past the block": 4,
    "entry cut inside its key": 2,
}


def header_tables(text):
    """The tables under '### Header test vectors', header and separator rows dropped."""
    section = text.split("\n### Header test vectors\n", 1)[1].split("\n## ", 1)[0]
    found, current = [], None
    for line in section.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            found.append(current)
        current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [t[2:] for t in found]


def check_header_vectors(check):
    valid, refused, blocks = header_tables(SPEC.read_text(encoding="utf-8"))
    check("header vector names", [r[0] for r in valid] == list(HEADER_VALID))
    for name, _, hex_ in valid:
        data, expected = bytes.fromhex(unquote(hex_)), HEADER_VALID.get(name)
        sender = "broker" if isinstance(expected[0], (Deliver, seqbus.Response)) else "client"
        try:
            decoded = seqbus.decode_datagram(data, sender=sender)
            check(name + " decodes", decoded == expected, "%r != %r" % (decoded, expected))
            encoded = b"".join(seqbus.encode(f) for f in expected)
            check(name + " encodes", encoded == data, "%s != %s" % (encoded.hex(" "), data.hex(" ")))
        except Exception as e:
            check(name, False, repr(e))
    check("refused header case names", [r[0] for r in refused] == list(HEADER_REFUSED))
    for case, hex_, code_cell in refused:
        try:
            seqbus.decode_datagram(bytes.fromhex(unquote(hex_)), sender="client")
            check(case, False, "was accepted")
        except seqbus.SeqbusError as e:
            check(case, e.code == HEADER_REFUSED.get(case) == int(code_cell.split()[0]), "raised %s" % e)
    check("refused block names", [r[0] for r in blocks] == list(HEADER_BLOCKS))
    for case, hex_, byte in blocks:
        try:
            seqbus.decode_header_block(bytes.fromhex(unquote(hex_)), 4096, 32)
            check(case, False, "was accepted")
        except seqbus.SeqbusError as e:
            check(case, e.code == seqbus.INVALID_HEADERS and int(byte) == HEADER_BLOCKS[case] and
                  ("byte %s of the block" % byte) in str(e), str(e))
    # A run: every entry has its block, and each message keeps its own headers.
    run = seqbus.DeliverRun(1, 2, 3, 4, 5, 6, 7, "a.b", [b"x", b""], [[("k", b"1")], []])
    data = seqbus.encode(run)
    check("DELIVER_RUN with headers round trips", seqbus.decode_datagram(data, sender="broker") == [run])
    check("a run's messages keep their headers",
          [d.headers for d in seqbus.deliveries(run)] == [[("k", b"1")], []])


def unquote(cell):
    assert cell.startswith("`") and cell.endswith("`"), "expected a `quoted` cell: %r" % cell
    return cell[1:-1]


def main():
    valid_rows, refused_rows = tables(SPEC.read_text(encoding="utf-8"))[:2]
    attached = {name: int(descriptors) for name, _, descriptors, _ in valid_rows}
    vectors = {name: bytes.fromhex(unquote(hex_)) for name, _, _, hex_ in valid_rows
               if not name.startswith(BROKER_TO_BROKER)}
    passed, failures = 0, []

    def check(name, ok, detail=""):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append("%s %s" % (name, detail))

    check("valid vector names", list(vectors) == list(VALID), "%s != %s" % (list(vectors), list(VALID)))
    # The column says how many descriptors travel beside the hex: exactly what the frames' fd_counts claim.
    check("descriptors attached", all(attached[name] == sum(seqbus.descriptors_claimed(f) for f in VALID.get(name, []))
                                      for name in vectors), str(attached))
    check("refused case names", [r[0] for r in refused_rows] == list(REFUSED))

    for name, data in vectors.items():
        expected = VALID.get(name)
        sender = "broker" if any(type(f) in SENT_BY_BROKER for f in expected or []) else "client"
        try:
            decoded = seqbus.decode_datagram(data, sender=sender, descriptors=attached[name])
            check(name + " decodes", decoded == expected, "%r != %r" % (decoded, expected))
            encoded = b"".join(seqbus.encode(f) for f in expected)
            check(name + " encodes", encoded == data, "%s != %s" % (encoded.hex(" "), data.hex(" ")))
        except Exception as e:  # a crash is a failure of this vector, not of the whole run
            check(name, False, repr(e))

    # The LAN AUTH vector's tag, recomputed here with Python's own HMAC: an independent check of the Java side.
    auth = [(fields, bytes.fromhex(unquote(hex_))) for name, fields, _, hex_ in valid_rows if name == "LAN AUTH"]
    check("LAN AUTH vector present", len(auth) == 1)
    for fields, data in auth:
        key = bytes.fromhex(fields.split("`")[1])
        tag = hmac.new(key, data[:-16], hashlib.sha256).digest()[:16]
        check("LAN AUTH tag", len(key) == 32 and hmac.compare_digest(tag, data[-16:]),
              "%s != %s" % (tag.hex(" "), data[-16:].hex(" ")))

    for case, hex_, code_cell in refused_rows:
        if hex_.startswith("the ") and hex_.endswith(" vector above"):
            data = vectors[hex_[len("the "):-len(" vector above")]]
        else:
            data = bytes.fromhex(unquote(hex_))
        code, code_name = int(code_cell.split()[0]), unquote(code_cell.split()[1])
        check(case + " code column", code == REFUSED.get(case) and code_name == seqbus.error_name(code))
        try:
            seqbus.decode_datagram(data, sender="client", descriptors=0)  # "no descriptors attached"
            check(case, False, "was accepted")
        except seqbus.SeqbusError as e:
            check(case, e.code == code, "raised %s, not %d" % (e, code))

    check_header_vectors(check)

    for failure in failures:
        print("FAIL", failure)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
