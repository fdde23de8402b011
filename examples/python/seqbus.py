"""A small seqbus client, written from wire-format/SPEC.md alone, standard library only.

    with Client(name="demo") as c:
        c.subscribe(1, "orders.>")
        c.ping()                      # the subscription is in force once PONG is back
        c.publish("orders.eu", b"hi")
        for frame in c.receive():
            if isinstance(frame, Deliver):
                print(frame.topic, frame.payload)
"""

import array
import collections
import contextlib
import fcntl
import itertools
import logging
import mmap
import os
import secrets
import socket
import stat
import struct

VERSION = 1
DEFAULT_MAX_DATAGRAM = 131072
MAX_TOPIC = 255
MAX_NAME = 64
MAX_REASON = 1024

HELLO, WELCOME, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, DELIVER, GAP, ERROR, PING, PONG, STAT_REQUEST, STAT_REPLY = \
    range(1, 13)
DELIVER_RUN = 0x10
PUBLISH_FDS, DELIVER_FDS = 0x11, 0x12  # only on a connection whose HELLO set DESCRIPTORS (SPEC.md, "Descriptors")
# Shared memory (SPEC.md, "Shared memory"): this client never asks for it, but it knows the frames.
SHM_READY, SHM_ATTACH, SHM_FDS = 0x13, 0x14, 0x15
# Frames brokers send each other over the LAN bridge: known types, but never on a client link.
LAN_ONLY = {0x20, 0x21, 0x22}  # NODE, ANNOUNCE, AUTH
SENT_BY = {
    "client": {HELLO, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, PING, PONG, STAT_REQUEST, PUBLISH_FDS, SHM_ATTACH, SHM_FDS},
    "broker": {WELCOME, DELIVER, GAP, ERROR, PING, PONG, STAT_REPLY, DELIVER_RUN, DELIVER_FDS, SHM_READY, SHM_FDS},
}

# Error codes of SPEC.md, by number; the framing ones are also raised by decode_datagram.
ERROR_NAMES = [None, "TRUNCATED_FRAME", "BAD_FRAME_LENGTH", "UNKNOWN_FRAME_TYPE", "UNSUPPORTED_VERSION",
               "HELLO_REQUIRED", "PROTOCOL_VIOLATION", "INVALID_TOPIC", "INVALID_PATTERN", "PAYLOAD_TOO_LARGE",
               "TOO_MANY_SUBSCRIPTIONS", "DUPLICATE_SUBSCRIPTION", "UNKNOWN_SUBSCRIPTION", "INVALID_OPTION",
               "INVALID_NAME", "SLOW_CONSUMER", "ACCESS_DENIED", "LIMIT_EXCEEDED", "SHUTTING_DOWN",
               "DATAGRAM_TOO_LARGE", "INTERNAL_ERROR", "DESCRIPTORS_TRUNCATED", "DESCRIPTOR_MISMATCH",
               "BAD_DESCRIPTOR", "DESCRIPTORS_DENIED", "NOT_ON_LAN", "TOO_MANY_DESCRIPTORS"]
TRUNCATED_FRAME, BAD_FRAME_LENGTH, UNKNOWN_FRAME_TYPE, PROTOCOL_VIOLATION = 1, 2, 3, 6
INVALID_TOPIC, PAYLOAD_TOO_LARGE, ACCESS_DENIED = 7, 9, 16
DESCRIPTOR_MISMATCH = 22
# Refusals of one PUBLISH_FDS (ref 0, not fatal): like INVALID_TOPIC and PAYLOAD_TOO_LARGE, the publish got no sequence.
BAD_DESCRIPTOR, DESCRIPTORS_DENIED, NOT_ON_LAN, TOO_MANY_DESCRIPTORS = 23, 24, 25, 26
INVALID_HEADERS = 27  # SPEC.md, "Headers": a header block malformed or over the broker's limits; not fatal
PUBLISHER_RESUMED, DESCRIPTORS_UNSUPPORTED, DESCRIPTORS_LOST = 6, 7, 8
GAP_REASONS = [None, "DROPPED_OLDEST", "DROPPED_NEWEST", "BRIDGE_LOSS", "NODE_LOST", "RECONNECTED",
               "PUBLISHER_RESUMED", "DESCRIPTORS_UNSUPPORTED", "DESCRIPTORS_LOST"]


def error_name(code):
    return ERROR_NAMES[code] if 0 < code < len(ERROR_NAMES) else "UNKNOWN(%d)" % code


def gap_reason_name(reason):
    return GAP_REASONS[reason] if 0 < reason < len(GAP_REASONS) else "UNKNOWN(%d)" % reason


Hello = collections.namedtuple("Hello", "min_version max_version client_flags name session_id next_sequence",
                               defaults=(None, None))
# The descriptor limits only when the HELLO set DESCRIPTORS and the broker passes descriptors, the service limits
# only when it set SERVICES and the broker knows them (issue 19); None otherwise.
Welcome = collections.namedtuple("Welcome", "version max_payload max_datagram node_id publisher_id node_name "
                                            "max_descriptors_per_message max_descriptors_per_datagram max_memfd_size "
                                            "max_header_bytes max_headers max_request_timeout_ms",
                                 defaults=(None, None, None, None, None, None))
# group: a queue group's name (SUBSCRIBE flag GROUP, SPEC.md "Queue groups"), None for an ordinary subscription.
Subscribe = collections.namedtuple("Subscribe", "subscription_id policy max_queue_bytes pattern group",
                                   defaults=(None,))
Unsubscribe = collections.namedtuple("Unsubscribe", "subscription_id")
# headers (SPEC.md, "Headers"): None for a frame without the HEADERS flag, else a list of (key, value bytes) pairs in
# order (a key may repeat); the payload never includes the header block. In a DeliverRun, one such list per payload.
Publish = collections.namedtuple("Publish", "topic payload headers", defaults=(None,))
Deliver = collections.namedtuple(
    "Deliver", "subscription_id source_node publisher_id sequence timestamp_ns publisher_uid publisher_pid "
               "topic payload headers", defaults=(None,))
# A run of consecutive messages of one publisher on one topic; message i has sequence first_sequence + i.
DeliverRun = collections.namedtuple(
    "DeliverRun", "subscription_id source_node publisher_id first_sequence timestamp_ns publisher_uid publisher_pid "
                  "topic payloads headers", defaults=(None,))
# A PUBLISH or DELIVER that owns descriptors: fd_count of them, in `fds` (ints, the receiver's to close) once
# Client has read them; decode_datagram leaves `fds` empty (the bytes do not hold them). With MEMFD_PAYLOAD in fd_flags
# the first is a sealed memfd of payload_size bytes and `payload` is empty (see memfd_payload()).
PublishFds = collections.namedtuple("PublishFds", "topic fd_count fd_flags payload_size payload fds headers",
                                    defaults=((), None))
DeliverFds = collections.namedtuple(
    "DeliverFds", "subscription_id source_node publisher_id sequence timestamp_ns publisher_uid publisher_pid "
                  "fd_count fd_flags payload_size topic payload fds headers", defaults=((), None))
Gap = collections.namedtuple("Gap", "subscription_id source_node publisher_id from_sequence count reason")
Error = collections.namedtuple("Error", "code fatal ref reason")
Ping = collections.namedtuple("Ping", "token")
Pong = collections.namedtuple("Pong", "token")
StatRequest = collections.namedtuple("StatRequest", "stat_flags request_id")
StatReply = collections.namedtuple("StatReply", "request_id total_length chunk_offset chunk")
ShmReady = collections.namedtuple("ShmReady", "to_client_capacity from_client_capacity size")
ShmAttach = collections.namedtuple("ShmAttach", "")
ShmFds = collections.namedtuple("ShmFds", "fd_count")

# Every integer is little-endian; '<' also means no padding, so each struct is the exact layout.
HEADER = struct.Struct("<IBBH")             # frame_length, type, flags, reserved
HELLO_BODY = struct.Struct("<HHIH")         # min_version, max_version, client_flags, name_length
HELLO_SESSION = 1                           # client_flags bit: u64 session_id, u64 next_sequence follow the name
HELLO_DESCRIPTORS = 4                       # client_flags bit: passes and receives descriptors (SPEC.md, Descriptors)
HELLO_SERVICES = 16                         # client_flags bit: headers, requests, queue groups; WELCOME says limits
WELCOME_BODY = struct.Struct("<HHIIIQH")    # version, reserved, max_payload, max_datagram, node_id, publisher_id, len
WELCOME_LIMITS = struct.Struct("<HHIQ")     # after node_name, only with DESCRIPTORS: per message, per datagram, 0, memfd
WELCOME_SERVICES = struct.Struct("<HHI")    # last, only with SERVICES: max header bytes, max headers, max timeout ms
PUBLISH_FDS_BODY = struct.Struct("<HBBQ")   # topic_length, fd_count, fd_flags, payload_size; topic, inline payload
DELIVER_FDS_BODY = struct.Struct("<IIQQQIIBBHQH")  # as DELIVER to pid, fd_count, fd_flags, 0, payload_size, topic_len
MEMFD_PAYLOAD = 1                           # fd_flags bit: the first descriptor is the payload
FLAG_HEADERS = 1                            # frame header flags bit: the payload starts with a header block
HEADER_KEY_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_.")
MAX_HEADER_KEY = 64
SCM_MAX_FD = 253                            # the kernel's most descriptors in one sendmsg
SUBSCRIBE_BODY = struct.Struct("<IBBHI")    # subscription_id, policy, reserved, pattern_length, max_queue_bytes
FLAG_GROUP = 2                              # frame-header flag on SUBSCRIBE: u8 group_length, group follow the pattern
MAX_GROUP_LENGTH = 64
U32 = struct.Struct("<I")                   # UNSUBSCRIBE subscription_id
U16 = struct.Struct("<H")                   # PUBLISH topic_length
DELIVER_BODY = struct.Struct("<IIQQQIIH")
DELIVER_RUN_BODY = struct.Struct("<IIQQQIIIH")  # as DELIVER, then count, then topic_length; entries: u32 len + payload   # sub, node, publisher, sequence, timestamp, uid, pid, topic_length
GAP_BODY = struct.Struct("<IIQQQBBH")       # sub, node, publisher, from, count, reason, reserved, reserved
ERROR_BODY = struct.Struct("<HBBIH")        # code, fatal, reserved, ref, reason_length
U64 = struct.Struct("<Q")                   # PING/PONG token
STAT_REQUEST_BODY = struct.Struct("<II")    # stat_flags, request_id
SHM_READY_BODY = struct.Struct("<IIQ")      # to_client_capacity, from_client_capacity, memfd size
U32_PAIR = struct.Struct("<II")             # SHM_FDS fd_count, reserved
STAT_REPLY_BODY = struct.Struct("<III")     # request_id, total_length, chunk_offset; the chunk follows


class SeqbusError(Exception):
    """An ERROR from the broker, or a datagram that breaks the framing rules (code as in SPEC.md)."""

    def __init__(self, code, message, ref=0, fatal=True):
        super().__init__("%s: %s" % (error_name(code), message))
        self.code, self.ref, self.fatal = code, ref, fatal


class ConnectionClosed(SeqbusError):
    def __init__(self):
        Exception.__init__(self, "the broker closed the connection")
        self.code, self.ref, self.fatal = 0, 0, True


class DescriptorsNotPassed(SeqbusError):
    """A publish with descriptors on a connection that passes none: the broker's WELCOME had no descriptor limits
    (a broker from before descriptors), or the client was made with descriptors=False. Nothing was sent."""

    def __init__(self, message):
        Exception.__init__(self, message)
        self.code, self.ref, self.fatal = 0, 0, False


class ServicesNotOffered(SeqbusError):
    """A queue group on a connection whose WELCOME did not say SERVICES: the client was made without
    services=True, or the broker is from before the service patterns (it would close the connection for the
    SUBSCRIBE's GROUP flag). Nothing was sent for it; `ref` is the subscription id."""

    def __init__(self, message, ref=0):
        Exception.__init__(self, message)
        self.code, self.ref, self.fatal = 0, ref, False


# ---------------------------------------------------------------------------------------------
# Encoding: each function returns the bytes of one whole frame.

def _utf8(text, limit, what, minimum=0):
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if not minimum <= len(data) <= limit:
        raise ValueError("%s must be %d..%d bytes of UTF-8, not %d" % (what, minimum, limit, len(data)))
    return data


def _frame(type_, body, flags=0):
    return HEADER.pack(8 + len(body), type_, flags, 0) + body


# ---------------------------------------------------------------------------------------------
# Header blocks (SPEC.md, "Headers"): u16 block_length (itself included), then entries u8 key_length 1..64, the key
# (a-z 0-9 - _ .), u16 value_length, the value; the entries fill the block exactly.

def encode_header_block(headers):
    """headers -- a dict or a list of (key, value) pairs; values str (sent as UTF-8) or bytes."""
    items = headers.items() if isinstance(headers, dict) else headers
    out = bytearray(2)
    for key, value in items:
        k = key.encode("ascii") if isinstance(key, str) else bytes(key)
        if not 1 <= len(k) <= MAX_HEADER_KEY or not set(k) <= HEADER_KEY_CHARS:
            raise ValueError("header key %r: 1..64 of a-z 0-9 - _ ." % (key,))
        v = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if len(v) > 0xFFFF:
            raise ValueError("header %r: a value of %d bytes, at most 65535" % (key, len(v)))
        out += bytes((len(k),)) + k + U16.pack(len(v)) + v
    if len(out) > 0xFFFF:
        raise ValueError("headers of %d bytes encoded, at most 65535" % len(out))
    U16.pack_into(out, 0, len(out))
    return bytes(out)


def decode_header_block(payload, max_bytes=0xFFFF, max_entries=None):
    """Splits a payload that starts with a header block: (list of (key, value bytes), the rest). Raises SeqbusError
    INVALID_HEADERS with the byte of the block at fault, as the broker's check does."""
    payload = memoryview(payload)
    if len(payload) < 2:
        raise SeqbusError(INVALID_HEADERS, "the payload is too short for block_length", fatal=False)
    (length,) = U16.unpack_from(payload)
    if length < 2 or length > len(payload) or length > max_bytes:
        raise SeqbusError(INVALID_HEADERS, "block_length %d does not fit (byte 0 of the block)" % length, fatal=False)
    headers, at = [], 2
    while at < length:
        if max_entries is not None and len(headers) >= max_entries:
            raise SeqbusError(INVALID_HEADERS, "more than %d entries (byte %d of the block)" % (max_entries, at),
                              fatal=False)
        n = payload[at]
        if not 1 <= n <= MAX_HEADER_KEY or length - at < 3 + n:
            raise SeqbusError(INVALID_HEADERS, "bad key_length or entry past the block (byte %d of the block)" % at,
                              fatal=False)
        key = bytes(payload[at + 1:at + 1 + n])
        for i, c in enumerate(key):
            if c not in HEADER_KEY_CHARS:
                raise SeqbusError(INVALID_HEADERS, "key byte 0x%02x (byte %d of the block)" % (c, at + 1 + i),
                                  fatal=False)
        (v,) = U16.unpack_from(payload, at + 1 + n)
        if length - at - 3 - n < v:
            raise SeqbusError(INVALID_HEADERS, "value_length past the block (byte %d of the block)" % (at + 1 + n),
                              fatal=False)
        headers.append((key.decode("ascii"), bytes(payload[at + 3 + n:at + 3 + n + v])))
        at += 3 + n + v
    return headers, bytes(payload[length:])


def _block(headers):
    """The bytes a frame's payload starts with, and its flags: nothing and 0 without headers."""
    return (b"", 0) if headers is None else (encode_header_block(headers), FLAG_HEADERS)


def encode_hello(name, min_version=VERSION, max_version=VERSION, client_flags=0, session_id=None, next_sequence=1):
    """With session_id (SPEC.md, HELLO, SESSION) the broker keeps this publisher's id and sequence across
    reconnects; next_sequence is then the sequence the next PUBLISH is to get."""
    data = _utf8(name, MAX_NAME, "name")
    trailer = b""
    if session_id is not None:
        client_flags |= HELLO_SESSION
        trailer = U64.pack(session_id) + U64.pack(next_sequence)
    return _frame(HELLO, HELLO_BODY.pack(min_version, max_version, client_flags, len(data)) + data + trailer)


def encode_welcome(version, max_payload, max_datagram, node_id, publisher_id, node_name,
                   max_descriptors_per_message=None, max_descriptors_per_datagram=None, max_memfd_size=None,
                   max_header_bytes=None, max_headers=None, max_request_timeout_ms=None):
    """With the descriptor limits, the WELCOME a broker sends to a HELLO that set DESCRIPTORS; with the service
    limits, to one that set SERVICES."""
    data = _utf8(node_name, MAX_NAME, "node name")
    limits = b"" if max_descriptors_per_message is None else WELCOME_LIMITS.pack(
        max_descriptors_per_message, max_descriptors_per_datagram, 0, max_memfd_size)
    services = b"" if max_header_bytes is None else WELCOME_SERVICES.pack(
        max_header_bytes, max_headers, max_request_timeout_ms)
    return _frame(WELCOME, WELCOME_BODY.pack(version, 0, max_payload, max_datagram, node_id, publisher_id,
                                             len(data)) + data + limits + services)


def encode_subscribe(subscription_id, pattern, policy=0, max_queue_bytes=0, group=None):
    """With group, the subscription joins that queue group: one member of it gets each matching message."""
    if group is None:
        data = _utf8(pattern, MAX_TOPIC, "pattern", 1)
        return _frame(SUBSCRIBE, SUBSCRIBE_BODY.pack(subscription_id, policy, 0, len(data), max_queue_bytes) + data)
    name = check_group(group)
    frame = bytearray(encode_subscribe(subscription_id, pattern, policy, max_queue_bytes))
    frame += bytes([len(name)]) + name
    HEADER.pack_into(frame, 0, len(frame), SUBSCRIBE, FLAG_GROUP, 0)
    return bytes(frame)


def check_group(group):
    """A queue group's name as bytes: 1 to 64 bytes of one topic token (no '.', '*', '>', space or control)."""
    name = group.encode("utf-8") if isinstance(group, str) else bytes(group)
    text = name.decode("utf-8", errors="replace")
    if not 1 <= len(name) <= MAX_GROUP_LENGTH or "\ufffd" in text or text in ("*", ">") or any(
            c in ".*>" or ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise ValueError("invalid queue group name %r: 1 to %d bytes of one topic token (no '.', '*', '>', space "
                         "or control character)" % (group, MAX_GROUP_LENGTH))
    return name


def encode_unsubscribe(subscription_id):
    return _frame(UNSUBSCRIBE, U32.pack(subscription_id))


def encode_publish(topic, payload, headers=None):
    """headers -- None, or a dict / list of (key, value) pairs: a header block before the payload (SPEC.md, Headers)."""
    data = _utf8(topic, MAX_TOPIC, "topic", 1)
    block, flags = _block(headers)
    return _frame(PUBLISH, U16.pack(len(data)) + data + block + bytes(payload), flags)


def encode_publish_fds(topic, fd_count, fd_flags=0, payload_size=0, payload=b"", headers=None):
    """The frame only: its fd_count descriptors travel beside it (SCM_RIGHTS), see Client.publish_fds."""
    data = _utf8(topic, MAX_TOPIC, "topic", 1)
    block, flags = _block(headers)
    return _frame(PUBLISH_FDS, PUBLISH_FDS_BODY.pack(len(data), fd_count, fd_flags, payload_size) + data + block +
                  bytes(payload), flags)


def encode_deliver_fds(d):
    data = _utf8(d.topic, MAX_TOPIC, "topic", 1)
    block, flags = _block(d.headers)
    return _frame(DELIVER_FDS, DELIVER_FDS_BODY.pack(d.subscription_id, d.source_node, d.publisher_id, d.sequence,
                                                     d.timestamp_ns, d.publisher_uid, d.publisher_pid, d.fd_count,
                                                     d.fd_flags, 0, d.payload_size, len(data))
                  + data + block + bytes(d.payload), flags)


def encode_deliver(d):
    data = _utf8(d.topic, MAX_TOPIC, "topic", 1)
    block, flags = _block(d.headers)
    return _frame(DELIVER, DELIVER_BODY.pack(d.subscription_id, d.source_node, d.publisher_id, d.sequence,
                                             d.timestamp_ns, d.publisher_uid, d.publisher_pid, len(data))
                  + data + block + bytes(d.payload), flags)


def encode_deliver_run(r):
    data = _utf8(r.topic, MAX_TOPIC, "topic", 1)
    blocks = [b""] * len(r.payloads) if r.headers is None else [encode_header_block(h) for h in r.headers]
    entries = b"".join(U32.pack(len(b) + len(p)) + b + bytes(p) for b, p in zip(blocks, r.payloads))
    return _frame(DELIVER_RUN, DELIVER_RUN_BODY.pack(r.subscription_id, r.source_node, r.publisher_id,
                                                     r.first_sequence, r.timestamp_ns, r.publisher_uid,
                                                     r.publisher_pid, len(r.payloads), len(data)) + data + entries,
                  0 if r.headers is None else FLAG_HEADERS)


def deliveries(run):
    """The messages of a DeliverRun, as Deliver tuples."""
    return [Deliver(run.subscription_id, run.source_node, run.publisher_id, run.first_sequence + i, run.timestamp_ns,
                    run.publisher_uid, run.publisher_pid, run.topic, payload,
                    None if run.headers is None else run.headers[i])
            for i, payload in enumerate(run.payloads)]


def encode_gap(g):
    return _frame(GAP, GAP_BODY.pack(g.subscription_id, g.source_node, g.publisher_id, g.from_sequence, g.count,
                                     g.reason, 0, 0))


def encode_error(code, fatal, ref, reason):
    data = _utf8(reason, MAX_REASON, "reason")
    return _frame(ERROR, ERROR_BODY.pack(code, 1 if fatal else 0, 0, ref, len(data)) + data)


def encode_ping(token, type_=PING):
    return _frame(type_, U64.pack(token))


def encode(frame):
    """Encodes any decoded frame back to bytes, so encode(decode_datagram(d)) == d for valid d."""
    if isinstance(frame, Hello):
        return encode_hello(frame.name, frame.min_version, frame.max_version, frame.client_flags,
                            frame.session_id, frame.next_sequence)
    if isinstance(frame, Welcome):
        return encode_welcome(*frame)
    if isinstance(frame, Subscribe):
        return encode_subscribe(frame.subscription_id, frame.pattern, frame.policy, frame.max_queue_bytes,
                                frame.group)
    if isinstance(frame, Unsubscribe):
        return encode_unsubscribe(frame.subscription_id)
    if isinstance(frame, Publish):
        return encode_publish(frame.topic, frame.payload, frame.headers)
    if isinstance(frame, Deliver):
        return encode_deliver(frame)
    if isinstance(frame, PublishFds):
        return encode_publish_fds(frame.topic, frame.fd_count, frame.fd_flags, frame.payload_size, frame.payload,
                                  frame.headers)
    if isinstance(frame, DeliverFds):
        return encode_deliver_fds(frame)
    if isinstance(frame, DeliverRun):
        return encode_deliver_run(frame)
    if isinstance(frame, Gap):
        return encode_gap(frame)
    if isinstance(frame, Error):
        return encode_error(*frame)
    if isinstance(frame, (Ping, Pong)):
        return encode_ping(frame.token, PING if isinstance(frame, Ping) else PONG)
    if isinstance(frame, StatRequest):
        return _frame(STAT_REQUEST, STAT_REQUEST_BODY.pack(*frame))
    if isinstance(frame, StatReply):
        return _frame(STAT_REPLY, STAT_REPLY_BODY.pack(*frame[:3]) + bytes(frame.chunk))
    if isinstance(frame, ShmReady):
        return _frame(SHM_READY, SHM_READY_BODY.pack(*frame))
    if isinstance(frame, ShmAttach):
        return _frame(SHM_ATTACH, U32.pack(0))
    if isinstance(frame, ShmFds):
        return _frame(SHM_FDS, U32_PAIR.pack(frame.fd_count, 0))
    if isinstance(frame, (Request, DeliverRequest, Reply, Response)):
        return _encode_request_frame(frame)
    raise TypeError("not a frame: %r" % (frame,))


# ---------------------------------------------------------------------------------------------
# Decoding: a datagram holds one or more whole frames back to back. Check the framing the way
# the broker does, so a broken datagram is reported with the code SPEC.md gives it.

def decode_datagram(data, sender=None, descriptors=None):
    """Returns the list of frames in a datagram; raises SeqbusError on any framing fault.

    sender -- "broker" or "client" to also refuse frames only the other side sends.
    descriptors -- how many descriptors came with the datagram, to check that its PUBLISH_FDS and DELIVER_FDS frames
    claim exactly those (DESCRIPTOR_MISMATCH otherwise, after every frame's framing); None checks nothing.
    """
    data = memoryview(data)
    if len(data) == 0:
        raise SeqbusError(TRUNCATED_FRAME, "empty datagram")
    frames, at = [], 0
    while at < len(data):
        if len(data) - at < HEADER.size:
            raise SeqbusError(TRUNCATED_FRAME, "datagram ends inside a frame header at %d" % at)
        length, type_, flags, reserved = HEADER.unpack_from(data, at)
        if length < HEADER.size:
            raise SeqbusError(BAD_FRAME_LENGTH, "frame_length %d below the header at %d" % (length, at))
        if length > len(data) - at:
            raise SeqbusError(TRUNCATED_FRAME, "datagram ends before frame_length %d at %d" % (length, at))
        group = type_ == SUBSCRIBE and flags == FLAG_GROUP  # the one flag SUBSCRIBE defines
        if (flags and not group and (flags != FLAG_HEADERS or type_ not in _WITH_HEADERS)) or reserved:
            raise SeqbusError(PROTOCOL_VIOLATION, "flags or reserved not 0 at %d" % at)
        if type_ in LAN_ONLY:
            raise SeqbusError(PROTOCOL_VIOLATION, "frame type 0x%02x travels between brokers only" % type_)
        if type_ not in _DECODERS:
            raise SeqbusError(UNKNOWN_FRAME_TYPE, "frame type 0x%02x at %d" % (type_, at))
        if sender and type_ not in SENT_BY[sender]:
            raise SeqbusError(PROTOCOL_VIOLATION, "frame type 0x%02x is not sent by a %s" % (type_, sender))
        body = data[at + HEADER.size:at + length]
        frames.append(_decode_subscribe_group(body) if group else
                      _WITH_HEADERS[type_](body) if flags else _DECODERS[type_](body))
        at += length
    claimed = sum(descriptors_claimed(f) for f in frames)
    if descriptors is not None and claimed != descriptors:
        raise SeqbusError(DESCRIPTOR_MISMATCH, "the frames' fd_counts claim %d descriptors, %d arrived"
                          % (claimed, descriptors))
    return frames


def descriptors_claimed(frame):
    """How many of the datagram's descriptors a frame owns: its fd_count, SHM_READY's 3, else 0."""
    if isinstance(frame, (PublishFds, DeliverFds, ShmFds)):
        return frame.fd_count
    return 3 if isinstance(frame, ShmReady) else 0


def _decode_shm_fds(body):
    count, reserved = _fixed(U32_PAIR, body)
    _reserved_zero(reserved)
    if not 1 <= count <= 253:
        raise SeqbusError(PROTOCOL_VIOLATION, "SHM_FDS fd_count is not 1..253")
    return ShmFds(count)


def _decode_shm_attach(body):
    _reserved_zero(*_fixed(U32, body))
    return ShmAttach()


def _fields(layout, body, exact_string=None):
    """Unpacks the fixed part; with exact_string set, the frame is fixed part + that string, no more."""
    if len(body) < layout.size:
        raise SeqbusError(BAD_FRAME_LENGTH, "frame shorter than its fixed part")
    values = layout.unpack_from(body)
    if exact_string is not None and layout.size + values[exact_string] != len(body):
        raise SeqbusError(BAD_FRAME_LENGTH, "string length disagrees with frame_length")
    return values


def _text(body, start, length):
    # Names and reasons are for people: never let a bad byte stop the reader.
    return bytes(body[start:start + length]).decode("utf-8", errors="replace")


def _fixed(layout, body):
    if len(body) != layout.size:
        raise SeqbusError(BAD_FRAME_LENGTH, "fixed-size frame with %d body bytes" % len(body))
    return layout.unpack_from(body)


def _reserved_zero(*values):
    if any(values):
        raise SeqbusError(PROTOCOL_VIOLATION, "reserved field not 0")


def _topic_and_payload(layout, body, topic_length=-1):
    """topic_length -- the index of the topic's length among the layout's fields."""
    values = _fields(layout, body)
    end = layout.size + values[topic_length]
    if end > len(body):
        raise SeqbusError(BAD_FRAME_LENGTH, "topic length runs past the frame")
    return values, _text(body, layout.size, values[topic_length]), bytes(body[end:])


def _decode_hello(body):
    if len(body) >= HELLO_BODY.size and HELLO_BODY.unpack_from(body)[2] & HELLO_SESSION:
        lo, hi, flags, n = _fields(HELLO_BODY, body[:-16] if len(body) >= HELLO_BODY.size + 16 else body[:0],
                                   exact_string=3)
        session_id, next_sequence = U64.unpack_from(body, len(body) - 16)[0], U64.unpack_from(body, len(body) - 8)[0]
        return Hello(lo, hi, flags, _text(body, HELLO_BODY.size, n), session_id, next_sequence)
    lo, hi, flags, n = _fields(HELLO_BODY, body, exact_string=3)
    return Hello(lo, hi, flags, _text(body, HELLO_BODY.size, n))


def _decode_welcome(body):
    limits = None
    services = None
    trailer = len(body) - WELCOME_BODY.size - WELCOME_BODY.unpack_from(body)[6] if len(body) >= WELCOME_BODY.size else 0
    # The trailers' presence is in the length: descriptor limits (16, sent only to a HELLO that set DESCRIPTORS),
    # service limits (8, only to one that set SERVICES), both (24, descriptor limits first).
    if trailer in (WELCOME_SERVICES.size, WELCOME_LIMITS.size + WELCOME_SERVICES.size):
        services = WELCOME_SERVICES.unpack_from(body, len(body) - WELCOME_SERVICES.size)
        body = body[:-WELCOME_SERVICES.size]
        trailer -= WELCOME_SERVICES.size
    if trailer == WELCOME_LIMITS.size:
        limits = WELCOME_LIMITS.unpack_from(body, len(body) - WELCOME_LIMITS.size)
        body = body[:-WELCOME_LIMITS.size]
    version, reserved, max_payload, max_datagram, node, publisher, n = _fields(WELCOME_BODY, body, exact_string=6)
    _reserved_zero(reserved)
    welcome = Welcome(version, max_payload, max_datagram, node, publisher, _text(body, WELCOME_BODY.size, n))
    if services is not None:
        welcome = welcome._replace(max_header_bytes=services[0], max_headers=services[1],
                                   max_request_timeout_ms=services[2])
    if limits is None:
        return welcome
    per_message, per_datagram, reserved, memfd = limits
    _reserved_zero(reserved)
    return welcome._replace(max_descriptors_per_message=per_message, max_descriptors_per_datagram=per_datagram,
                            max_memfd_size=memfd)


def _decode_subscribe(body):
    sub, policy, reserved, n, max_queue = _fields(SUBSCRIBE_BODY, body, exact_string=3)
    _reserved_zero(reserved)
    return Subscribe(sub, policy, max_queue, _text(body, SUBSCRIBE_BODY.size, n))


def _decode_subscribe_group(body):
    """SUBSCRIBE with GROUP: the pattern, then u8 group_length and the name, ending the frame exactly."""
    sub, policy, reserved, n, max_queue = _fields(SUBSCRIBE_BODY, body)
    _reserved_zero(reserved)
    at = SUBSCRIBE_BODY.size + n
    if at + 1 > len(body) or at + 1 + body[at] != len(body):
        raise SeqbusError(BAD_FRAME_LENGTH, "group_length disagrees with frame_length")
    return Subscribe(sub, policy, max_queue, _text(body, SUBSCRIBE_BODY.size, n), _text(body, at + 1, body[at]))


def _decode_publish(body):
    _, topic, payload = _topic_and_payload(U16, body)
    return Publish(topic, payload)


def _decode_deliver(body):
    values, topic, payload = _topic_and_payload(DELIVER_BODY, body)
    return Deliver(*values[:-1], topic, payload)


def _descriptor_frame(values, payload, fd_count, fd_flags, payload_size):
    """PUBLISH_FDS and DELIVER_FDS: 1 or more descriptors, known fd_flags, the payload in the memfd or inline."""
    if fd_count == 0:
        raise SeqbusError(BAD_FRAME_LENGTH, "fd_count is 0: a descriptor frame owns at least one")
    if fd_flags & ~MEMFD_PAYLOAD:
        raise SeqbusError(PROTOCOL_VIOLATION, "fd_flags bits that version 1 does not define are set")
    if fd_flags & MEMFD_PAYLOAD and payload:
        raise SeqbusError(BAD_FRAME_LENGTH, "inline payload bytes beside a memfd payload")
    if not fd_flags & MEMFD_PAYLOAD and payload_size:
        raise SeqbusError(PROTOCOL_VIOLATION, "payload_size is not 0 without MEMFD_PAYLOAD")
    return values


def _decode_publish_fds(body):
    values, topic, payload = _topic_and_payload(PUBLISH_FDS_BODY, body, topic_length=0)
    _, fd_count, fd_flags, payload_size = _descriptor_frame(values, payload, *values[1:])
    return PublishFds(topic, fd_count, fd_flags, payload_size, payload)


def _decode_deliver_fds(body):
    _reserved_zero(_fields(DELIVER_FDS_BODY, body)[9])  # checked first, as the broker's validator does
    values, topic, payload = _topic_and_payload(DELIVER_FDS_BODY, body)
    *fields, fd_count, fd_flags, _, payload_size, _ = values
    _descriptor_frame(values, payload, fd_count, fd_flags, payload_size)
    return DeliverFds(*fields, fd_count, fd_flags, payload_size, topic, payload)


def _decode_deliver_run(body):
    values, topic, rest = _topic_and_payload(DELIVER_RUN_BODY, body)
    *fields, count, _ = values
    payloads, at = [], 0
    while at < len(rest):
        if len(rest) - at < U32.size:
            raise SeqbusError(BAD_FRAME_LENGTH, "a run entry's length runs past the frame")
        (n,) = U32.unpack_from(rest, at)
        if n > len(rest) - at - U32.size:
            raise SeqbusError(BAD_FRAME_LENGTH, "a run entry's payload runs past the frame")
        payloads.append(rest[at + U32.size:at + U32.size + n])
        at += U32.size + n
    if len(payloads) != count or count == 0:
        raise SeqbusError(BAD_FRAME_LENGTH, "a run's count disagrees with its entries")
    return DeliverRun(*fields[:7], topic, payloads)


def _decode_gap(body):
    *values, r1, r2 = _fixed(GAP_BODY, body)
    _reserved_zero(r1, r2)
    return Gap(*values)


def refused_topic(error):
    """The topic of a refused PUBLISH (SPEC.md, ERROR): a non-fatal ACCESS_DENIED with ref 0 whose reason
    starts with "publish 'TOPIC' "; a topic never holds a space. None for any other error."""
    prefix = "publish '"
    if error.code != ACCESS_DENIED or error.fatal or error.ref != 0 or not error.reason.startswith(prefix):
        return None
    end = error.reason.find("' ", len(prefix))
    return error.reason[len(prefix):end] if end > len(prefix) else None


def _decode_error(body):
    code, fatal, reserved, ref, n = _fields(ERROR_BODY, body, exact_string=4)
    _reserved_zero(reserved)
    return Error(code, fatal != 0, ref, _text(body, ERROR_BODY.size, n))


_DECODERS = {
    HELLO: _decode_hello,
    WELCOME: _decode_welcome,
    SUBSCRIBE: _decode_subscribe,
    UNSUBSCRIBE: lambda body: Unsubscribe(*_fixed(U32, body)),
    PUBLISH: _decode_publish,
    DELIVER: _decode_deliver,
    DELIVER_RUN: _decode_deliver_run,
    PUBLISH_FDS: _decode_publish_fds,
    DELIVER_FDS: _decode_deliver_fds,
    GAP: _decode_gap,
    ERROR: _decode_error,
    PING: lambda body: Ping(*_fixed(U64, body)),
    PONG: lambda body: Pong(*_fixed(U64, body)),
    STAT_REQUEST: lambda body: StatRequest(*_fixed(STAT_REQUEST_BODY, body)),
    STAT_REPLY: lambda body: StatReply(*_fields(STAT_REPLY_BODY, body), bytes(body[STAT_REPLY_BODY.size:])),
    SHM_READY: lambda body: ShmReady(*_fixed(SHM_READY_BODY, body)),
    SHM_ATTACH: _decode_shm_attach,
    SHM_FDS: _decode_shm_fds,
}


def _framing_block(payload):
    """The header block's framing from a broker: whole, against the format's limits (SPEC.md, Headers)."""
    return decode_header_block(payload)


def _publish_with_headers(body):
    frame = _decode_publish(body)
    headers, rest = _framing_block(frame.payload)
    return frame._replace(payload=rest, headers=headers)


def _deliver_with_headers(body):
    frame = _decode_deliver(body)
    headers, rest = _framing_block(frame.payload)
    return frame._replace(payload=rest, headers=headers)


def _deliver_run_with_headers(body):
    frame = _decode_deliver_run(body)
    split = [_framing_block(p) for p in frame.payloads]
    return frame._replace(payloads=[rest for _, rest in split], headers=[h for h, _ in split])


def _fds_with_headers(layout, topic_length, make):
    """PUBLISH_FDS and DELIVER_FDS with HEADERS: the block first in the inline part; beside a memfd, all of it."""
    def decode(body):
        values, topic, inline = _topic_and_payload(layout, body, topic_length)
        headers, rest = _framing_block(inline)
        return make(values, topic, rest, headers)
    return decode


_WITH_HEADERS = {
    PUBLISH: _publish_with_headers,
    DELIVER: _deliver_with_headers,
    DELIVER_RUN: _deliver_run_with_headers,
    PUBLISH_FDS: _fds_with_headers(PUBLISH_FDS_BODY, 0, lambda values, topic, rest, headers: PublishFds(
        topic, *_descriptor_frame(values, rest, *values[1:])[1:], rest, headers=headers)),
    DELIVER_FDS: _fds_with_headers(DELIVER_FDS_BODY, -1, lambda values, topic, rest, headers: DeliverFds(
        *values[:7], *_descriptor_frame(values, rest, values[7], values[8], values[10])[7:9], values[10], topic, rest,
        headers=headers)),
}


# ---------------------------------------------------------------------------------------------
# The connection.

SOCKET_FILE_NAME = "seqbus.sock"


def default_socket_path():
    """$SEQBUS_SOCKET, else $XDG_RUNTIME_DIR/seqbus/seqbus.sock, else /tmp/seqbus-$UID/seqbus.sock."""
    explicit = os.environ.get("SEQBUS_SOCKET", "")
    if explicit.strip():
        return explicit
    return os.path.join(private_directory(), SOCKET_FILE_NAME)


class UnsafePathError(SeqbusError):
    """The default socket's per-user folder, its parent or the socket file is not safe to use."""

    def __init__(self, message):
        Exception.__init__(self, message)
        self.code, self.ref, self.fatal = 0, 0, True


def private_directory():
    """The per-user folder of the default socket ($XDG_RUNTIME_DIR/seqbus, else /tmp/seqbus-$UID), or None
    when $SEQBUS_SOCKET names the socket (the user's choice, not checked)."""
    if os.environ.get("SEQBUS_SOCKET", "").strip():
        return None
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime.strip():
        return os.path.join(runtime, "seqbus")
    return "/tmp/seqbus-%d" % os.getuid()


def _describe(st):
    kind = {stat.S_IFDIR: "a directory", stat.S_IFLNK: "a symbolic link", stat.S_IFSOCK: "a socket",
            stat.S_IFREG: "a regular file"}.get(stat.S_IFMT(st.st_mode), "a special file")
    return "%s owned by uid %d, mode %04o" % (kind, st.st_uid, stat.S_IMODE(st.st_mode))


def check_private_directory(folder, uid):
    """The rules of DefaultSocket.java: the folder is a real directory (lstat: no link) of uid, not writable
    by group or others; its parent belongs to uid or root and, if group or others may write to it, is
    sticky (as /tmp is). Raises UnsafePathError naming the path, its owner and mode, and what is expected."""
    parent = os.path.dirname(os.path.abspath(folder))
    p = os.stat(parent)  # the parent may be a link (some systems link /tmp): what counts is where it leads
    if (not stat.S_ISDIR(p.st_mode) or p.st_uid not in (uid, 0)
            or (p.st_mode & 0o022 and not p.st_mode & stat.S_ISVTX)):
        raise UnsafePathError("refusing %s: its parent %s is %s; it must be a directory of uid %d or root, sticky "
                              "(as /tmp is) if group or others may write to it (set SEQBUS_SOCKET to a socket "
                              "elsewhere)" % (folder, parent, _describe(p), uid))
    f = os.lstat(folder)
    if not stat.S_ISDIR(f.st_mode) or f.st_uid != uid or f.st_mode & 0o022:
        remedy = "chmod 700 it" if stat.S_ISDIR(f.st_mode) and f.st_uid == uid else "remove it"
        raise UnsafePathError("refusing %s: %s; it must be a directory of uid %d closed to writing by group and "
                              "others (%s, or set SEQBUS_SOCKET)" % (folder, _describe(f), uid, remedy))


def check_socket_file(path, uid):
    """When the socket file exists: it must be a socket (lstat: no link) of uid."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != uid:
        raise UnsafePathError("refusing %s: %s; it must be a socket of uid %d (remove it, or set SEQBUS_SOCKET)"
                              % (path, _describe(st), uid))


def check_before_connect(folder, uid=None):
    """What a client checks before it connects to the default socket in folder (which must exist)."""
    uid = os.geteuid() if uid is None else uid
    os.lstat(folder)  # FileNotFoundError when no broker has made it
    check_private_directory(folder, uid)
    check_socket_file(os.path.join(folder, SOCKET_FILE_NAME), uid)


def socket_address(path):
    """'@name' is a Linux abstract socket: on the wire a NUL byte, then the name."""
    if path.startswith("@"):
        return b"\0" + path[1:].encode("utf-8")
    return path


log = logging.getLogger("seqbus")


class Client:
    """One connection to the local broker, and the session that outlives it.

    With `session=True` (the default) the client picks a random 64-bit session id once and sends it in every
    HELLO with the sequence its next PUBLISH is to get (SPEC.md, HELLO, SESSION): the broker then gives each of
    its connections the same publisher_id and continues the numbering, so after a broker restart or a
    `reconnect()` a subscriber still sees one publisher and can count exactly what was lost in between.
    A broker older than sessions refuses such a HELLO (ERROR BAD_FRAME_LENGTH, ref 0, before WELCOME): the
    client then connects again without one, logs a warning once (logger "seqbus"), and stays without one.

    With `descriptors=True` (the default) HELLO sets DESCRIPTORS (SPEC.md, "Descriptors"): the client reads with a
    control buffer, can publish_memfd() and publish_fds(), and receive() yields DeliverFds frames whose `fds` the
    caller owns (memfd_payload() maps the payload and closes them; close_descriptors() closes them). A receive the
    kernel cut (MSG_CTRUNC: this process at its RLIMIT_NOFILE) closes what came of the frames that lost theirs and
    yields a Gap DESCRIPTORS_LOST (8) for each instead.

    Frames that arrive while the client waits for something else (a PONG, the WELCOME) are kept
    in `pending` and handed out first by receive(), so nothing is lost.
    """

    def __init__(self, path=None, name="python", session=True, descriptors=True, services=False):
        if not path:
            # The default socket: connect only through a per-user folder that is this user's own.
            folder = private_directory()
            if folder is not None:
                check_before_connect(folder)
        self.path = path or default_socket_path()
        self.name = name
        self.session_id = secrets.randbits(64) if session else None
        # services: HELLO asks for SERVICES (headers on publish, queue groups; SPEC.md, Headers); a broker that knows
        # them says its limits in WELCOME. Headers on deliveries are read either way.
        self.client_flags = (HELLO_DESCRIPTORS if descriptors else 0) | (HELLO_SERVICES if services else 0)
        # Counted as the Java client counts (Outbound.nextSequenceLocked): every PUBLISH written to a socket,
        # less those the broker refused (an ERROR with ref 0 says so; they got no sequence). One written into a
        # connection that then died unread stays counted: a hole every subscriber can count.
        self.sent = 0
        self.refused = 0
        # Live subscriptions, sent again by reconnect(): id -> (pattern, policy, max_queue_bytes, group).
        self.subscriptions = {}
        self.pending = collections.deque()
        self._tokens = itertools.count(1)
        self.sock = None
        self._connect()

    def next_sequence(self):
        """The sequence the broker is to give this client's next PUBLISH (with a session)."""
        return self.sent - self.refused + 1

    def _connect(self):
        self.welcome = None
        self.max_datagram = DEFAULT_MAX_DATAGRAM
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.sock.connect(socket_address(self.path))
            if self.session_id is None:
                # No need to wait for WELCOME before sending more: the broker reads our frames in order.
                self._send(encode_hello(self.name, client_flags=self.client_flags))
                return
            self._send(encode_hello(self.name, client_flags=self.client_flags, session_id=self.session_id,
                                    next_sequence=self.next_sequence()))
            try:
                # With a session, wait: an old broker refuses this HELLO and drops whatever follows it.
                self.wait_welcome()
            except SeqbusError as e:
                if e.code != BAD_FRAME_LENGTH or e.ref != 0:
                    raise
                log.warning("seqbus: the broker at %s refused a HELLO with a session (%s), as brokers older than "
                            "sessions do; connecting without one. From now on this client's publisher id changes "
                            "at every connection and its sequence starts again at 1, so what it loses across a "
                            "reconnect or a broker restart cannot be counted (count 0, unknown).", self.path, e)
                self.session_id = None
                self.sock.close()
                self._connect()
        except BaseException:
            self.sock.close()
            raise

    def reconnect(self):
        """Closes this connection and opens another, sending the live subscriptions again. With a session the
        new connection keeps the publisher_id and the numbering; a PUBLISH written to the old one and never
        read by the broker is a hole subscribers count. Frames still in `pending` stay there. Queue-group
        subscriptions go after WELCOME, only if it says SERVICES; else they end and ServicesNotOffered is raised,
        the other subscriptions being in force."""
        self.sock.close()
        self._connect()
        groups = []
        for subscription_id, (pattern, policy, max_queue_bytes, group) in self.subscriptions.items():
            if group is None:
                self._send(encode_subscribe(subscription_id, pattern, policy, max_queue_bytes))
            else:
                groups.append(subscription_id)
        # A queue group's SUBSCRIBE waits for WELCOME to say SERVICES: a broker from before them would close the
        # connection for its flag. Without it the group subscriptions end (the others are in force) and this raises.
        for subscription_id in groups:
            pattern, policy, max_queue_bytes, group = self.subscriptions[subscription_id]
            try:
                self._require_services_for_group(subscription_id, pattern, group)
            except ServicesNotOffered:
                for ended in groups:
                    self.subscriptions.pop(ended, None)
                raise
            self._send(encode_subscribe(subscription_id, pattern, policy, max_queue_bytes, group))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    # -- sending --------------------------------------------------------------------------------

    def _send(self, datagram, fds=()):
        # SOCK_SEQPACKET sends a datagram whole or not at all (EMSGSIZE); never in part, descriptors included.
        try:
            if fds:
                socket.send_fds(self.sock, [datagram], fds)  # the kernel gives the broker its own copies
            else:
                self.sock.send(datagram)
        except (BrokenPipeError, ConnectionResetError):
            # The broker closed the connection. Why is in what it sent before (SPEC.md, Transport: keep reading
            # after an error): raises its fatal ERROR, or ConnectionClosed when none came.
            while True:
                self.pending.extend(self._read())

    def publish(self, topic, payload, headers=None):
        """headers -- a dict or a list of (key, value) pairs (SPEC.md, Headers); the broker must have said SERVICES."""
        if headers is not None and self.wait_welcome().max_header_bytes is None:
            raise SeqbusError(PROTOCOL_VIOLATION, "no SERVICES in WELCOME (Client(services=True), and a broker that "
                              "knows headers): headers cannot be sent", fatal=False)
        self._send(encode_publish(topic, payload, headers))
        self.sent += 1

    def passes_descriptors(self):
        """True once WELCOME said the broker passes descriptors on this connection (waits for it)."""
        return self.wait_welcome().max_descriptors_per_message is not None

    def publish_memfd(self, topic, data):
        """Publishes data (any bytes-like, any size up to the broker's max_memfd_size) as a sealed memfd: written
        once into a new memfd, sealed against every change (F_SEAL_WRITE, SHRINK, GROW, SEAL), its descriptor sent
        with a PUBLISH_FDS; every subscriber maps the same pages. Nobody, this process included, can change the
        bytes afterwards. Raises DescriptorsNotPassed when the broker passes no descriptors (then nothing is sent)."""
        self._require_descriptors(1)
        fd = os.memfd_create("seqbus-payload", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            view = memoryview(data).cast("B")
            size = len(view)
            while view:
                # write(2), not a mapping: a writable shared mapping would make F_SEAL_WRITE fail with EBUSY.
                view = view[os.write(fd, view):]
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, MEMFD_SEALS)
            self._send(encode_publish_fds(topic, 1, MEMFD_PAYLOAD, size), [fd])
            self.sent += 1
        finally:
            os.close(fd)  # the broker has its own copy now, or none was sent

    def publish_fds(self, topic, fds, payload=b""):
        """Publishes payload inline with descriptors of any kind (a pipe, a socket, an eventfd): every subscriber
        gets its own copies, on topics where the broker's rules grant pass_fds (else a non-fatal ERROR
        DESCRIPTORS_DENIED). The caller keeps its own descriptors open."""
        self._require_descriptors(len(fds))
        self._send(encode_publish_fds(topic, len(fds), 0, 0, payload), list(fds))
        self.sent += 1

    def _require_descriptors(self, count):
        welcome = self.wait_welcome()
        if welcome.max_descriptors_per_message is None:
            raise DescriptorsNotPassed(
                "the broker at %s passes no descriptors on this connection: %s" % (
                    self.path, "this client was made with descriptors=False" if not self.client_flags &
                    HELLO_DESCRIPTORS else "its WELCOME had no descriptor limits (a broker from before descriptors)"))
        if not 1 <= count <= welcome.max_descriptors_per_datagram:
            # More would cut the broker's control buffer: a fatal DESCRIPTORS_TRUNCATED for the whole connection.
            raise ValueError("%d descriptors in one publish; the broker takes 1..%d in a datagram" % (
                count, welcome.max_descriptors_per_datagram))

    def publish_many(self, messages):
        """Publishes (topic, payload) pairs, packing as many frames per datagram as max_datagram allows."""
        self.wait_welcome()  # the broker's max_datagram, not a guess
        batch = bytearray()
        frames = 0
        for topic, payload in messages:
            frame = encode_publish(topic, payload)
            if len(frame) > self.max_datagram:
                raise ValueError("a %d-byte frame exceeds max_datagram %d" % (len(frame), self.max_datagram))
            if len(batch) + len(frame) > self.max_datagram:
                self._send(batch)
                self.sent += frames
                batch, frames = bytearray(), 0
            batch += frame
            frames += 1
        if batch:
            self._send(batch)
            self.sent += frames

    def subscribe(self, subscription_id, pattern, policy=0, max_queue_bytes=0, group=None):
        """No acknowledgement: a refusal comes as an ERROR with ref = subscription_id. ping() to be sure.
        With group, a member of that queue group (a bad name raises ValueError before anything is sent): the client
        must be made with services=True and the broker's WELCOME must say SERVICES, else ServicesNotOffered and
        nothing is sent."""
        frame = encode_subscribe(subscription_id, pattern, policy, max_queue_bytes, group)
        if group is not None:
            self._require_services_for_group(subscription_id, pattern, group)
        self._send(frame)
        self.subscriptions[subscription_id] = (pattern, policy, max_queue_bytes, group)

    def _require_services_for_group(self, subscription_id, pattern, group):
        if self.wait_welcome().max_header_bytes is not None:
            return
        raise ServicesNotOffered(
            "queue groups need a broker with SERVICES: subscription %d to %r in group %r not sent; %s" % (
                subscription_id, pattern, group, "this client was made without services=True" if not
                self.client_flags & HELLO_SERVICES else "the broker at %s did not say SERVICES in its WELCOME (it "
                "predates queue groups)" % self.path), ref=subscription_id)

    def unsubscribe(self, subscription_id):
        self._send(encode_unsubscribe(subscription_id))
        self.subscriptions.pop(subscription_id, None)

    def ping(self):
        """Barrier: returns once the broker has handled every frame sent before it."""
        token = next(self._tokens)
        self._send(encode_ping(token))
        done = False
        while not done:
            # Keep the whole datagram: frames after the PONG in it are still to be received.
            for frame in self._read():
                if isinstance(frame, Pong) and frame.token == token:
                    done = True
                else:
                    self.pending.append(frame)

    def wait_welcome(self):
        while self.welcome is None:
            self.pending.extend(self._read())
        return self.welcome

    # -- receiving ------------------------------------------------------------------------------

    def receive(self):
        """Yields Deliver (one per message, DELIVER_RUN included), DeliverFds (its `fds` are the caller's to close),
        Gap, non-fatal Error and stray Pong frames; raises SeqbusError on a fatal ERROR.

        Ends (raises ConnectionClosed) when the broker closes the connection.
        """
        while True:
            while self.pending:
                yield self.pending.popleft()
            self.pending.extend(self._read())

    def _recvmsg(self):
        # The kernel silently cuts a datagram longer than the buffer; recvmsg tells us if it did. With DESCRIPTORS
        # a control buffer for the most one datagram may carry; without one the kernel would close them all.
        size = max(self.max_datagram, DEFAULT_MAX_DATAGRAM)
        if not self.client_flags & HELLO_DESCRIPTORS:
            return self.sock.recvmsg(size)[:3]
        limit = self.welcome and self.welcome.max_descriptors_per_datagram or SCM_MAX_FD
        data, ancdata, flags, _ = self.sock.recvmsg(size, socket.CMSG_SPACE(4 * limit), socket.MSG_CMSG_CLOEXEC)
        return data, ancdata, flags

    def _read(self):
        """Reads one datagram and returns its frames, after handling the ones meant for the connection."""
        try:
            data, ancdata, flags = self._recvmsg()
        except ConnectionResetError:
            # The broker closed with datagrams of ours unread: Linux says so once, ahead of what it sent before
            # closing, which may hold the fatal ERROR that says why (SPEC.md, Transport). Read on.
            data, ancdata, flags = self._recvmsg()
        fds = received_descriptors(ancdata)
        try:
            if not data:
                raise ConnectionClosed()
            if flags & socket.MSG_TRUNC:
                raise SeqbusError(TRUNCATED_FRAME, "datagram longer than max_datagram %d" % self.max_datagram)
            # Cut by the kernel (MSG_CTRUNC): fewer came than the frames claim; the frames short of theirs are lost.
            decoded = decode_datagram(data, sender="broker",
                                      descriptors=None if flags & socket.MSG_CTRUNC else len(fds))
        except BaseException:
            _close_all(fds)
            raise
        return self._handle(_hand_out(decoded, fds))

    def _handle(self, decoded):
        frames = []
        for index, frame in enumerate(decoded):
            if isinstance(frame, Welcome):
                self.welcome, self.max_datagram = frame, frame.max_datagram
            elif isinstance(frame, Ping):
                self._send(encode_ping(frame.token, PONG))  # liveness check from the broker
            elif isinstance(frame, Error) and frame.fatal:
                self.pending.extend(frames)  # what came before the ERROR was still delivered
                for after in decoded[index + 1:]:
                    close_descriptors(after)  # nothing follows a fatal ERROR; never leak what came with it
                raise SeqbusError(frame.code, frame.reason, frame.ref, True)
            elif isinstance(frame, Error):
                self._refused(frame)
                frames.append(frame)
            elif isinstance(frame, DeliverRun):
                frames.extend(deliveries(frame))  # callers see one Deliver per message either way
            else:
                frames.append(frame)
        return frames

    def _refused(self, error):
        """A non-fatal ERROR: a refused PUBLISH got no sequence (SPEC.md, HELLO); a refused SUBSCRIBE is no
        longer live."""
        if refused_topic(error) is not None or (error.ref == 0 and error.code in PUBLISH_REFUSALS):
            self.refused += 1
        elif error.ref != 0:
            self.subscriptions.pop(error.ref, None)


# Refusals of one PUBLISH or PUBLISH_FDS with ref 0 (besides ACCESS_DENIED, which names its topic): no sequence.
PUBLISH_REFUSALS = (INVALID_TOPIC, PAYLOAD_TOO_LARGE, BAD_DESCRIPTOR, DESCRIPTORS_DENIED, NOT_ON_LAN, TOO_MANY_DESCRIPTORS)


# ---------------------------------------------------------------------------------------------
# Descriptors (SPEC.md, "Descriptors").

# All four, or the broker refuses the payload (BAD_DESCRIPTOR): after them nobody can change the bytes.
MEMFD_SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL


def received_descriptors(ancdata):
    """The descriptors of recvmsg's ancillary data (SCM_RIGHTS), as a list of ints."""
    fds = array.array("i")
    for level, type_, data in ancdata:
        if level == socket.SOL_SOCKET and type_ == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    return list(fds)


def _close_all(fds):
    for fd in fds:
        os.close(fd)


def _hand_out(frames, fds):
    """Gives each DELIVER_FDS the next fd_count descriptors, in frame order. One short of its own (the receive was
    cut) is lost: its descriptors that came are closed and it becomes a Gap DESCRIPTORS_LOST of that message."""
    handed, at = [], 0
    for frame in frames:
        if isinstance(frame, DeliverFds):
            mine = fds[at:at + frame.fd_count]
            at += frame.fd_count
            if len(mine) == frame.fd_count:
                frame = frame._replace(fds=tuple(mine))
            else:
                _close_all(mine)
                frame = Gap(frame.subscription_id, frame.source_node, frame.publisher_id, frame.sequence, 1,
                            DESCRIPTORS_LOST)
        handed.append(frame)
    return handed


def close_descriptors(frame):
    """Closes the descriptors a frame owns (a DeliverFds's `fds`); any other frame owns none."""
    _close_all(getattr(frame, "fds", ()))


@contextlib.contextmanager
def memfd_payload(frame):
    """with memfd_payload(frame) as payload: the payload of a Deliver or DeliverFds, read-only and bytes-like.

    A memfd payload is mapped (PROT_READ, MAP_SHARED: no copy; the seals guarantee nobody changes the bytes) and
    unmapped at the end of the block; copy out what you keep (bytes(payload[a:b])). The frame's descriptors are
    closed at the end of the block, whatever it holds.
    """
    try:
        if not isinstance(frame, DeliverFds) or not frame.fd_flags & MEMFD_PAYLOAD:
            yield frame.payload
        elif frame.payload_size == 0:
            yield b""  # mmap refuses an empty mapping
        else:
            found = os.fstat(frame.fds[0]).st_size
            if found != frame.payload_size:
                # The broker checked it; mapping past the end would fault (SIGBUS) on reading.
                raise SeqbusError(BAD_DESCRIPTOR, "memfd of %d bytes for payload_size %d" % (found, frame.payload_size))
            with mmap.mmap(frame.fds[0], frame.payload_size, prot=mmap.PROT_READ) as mapped:
                yield mapped
    finally:
        close_descriptors(frame)


# ---------------------------------------------------------------------------------------------
# Requests and replies (SPEC.md, "Requests and replies"): a REQUEST the broker remembers, DELIVER_REQUEST to its
# subscribers, a REPLY naming the token, and exactly one RESPONSE back to the requester only.

REQUEST, DELIVER_REQUEST, REPLY, RESPONSE = 0x16, 0x17, 0x18, 0x19
SENT_BY["client"] |= {REQUEST, REPLY}
SENT_BY["broker"] |= {DELIVER_REQUEST, RESPONSE}
INVALID_REQUEST = 28
# A REQUEST refused with an ERROR got no sequence, as a refused PUBLISH; one that got a RESPONSE did.
PUBLISH_REFUSALS += (INVALID_REQUEST,)
REQUEST_BODY = struct.Struct("<IIH")                 # request_id, timeout_ms, topic_length; topic, payload
DELIVER_REQUEST_BODY = struct.Struct("<IIQQQIIQH")   # as DELIVER to pid, reply_token, topic_length; topic, payload
REPLY_BODY = struct.Struct("<Q")                     # reply_token; payload
RESPONSE_BODY = struct.Struct("<IBBHIIIIQ")          # request_id, status, 0, 0, replier node, uid, pid, 0, timestamp
REPLIED, NO_RESPONDERS, RESPONDERS_GONE, TIMED_OUT, DENIED, TOO_MANY_REQUESTS = range(6)
RESPONSE_STATUS = ["REPLIED", "NO_RESPONDERS", "RESPONDERS_GONE", "TIMED_OUT", "DENIED", "TOO_MANY_REQUESTS"]

# headers: None without the HEADERS flag, else (key, value bytes) pairs, as on Publish (SPEC.md, Headers).
Request = collections.namedtuple("Request", "request_id timeout_ms topic payload headers", defaults=(None,))
DeliverRequest = collections.namedtuple(
    "DeliverRequest", "subscription_id source_node publisher_id sequence timestamp_ns publisher_uid publisher_pid "
                      "reply_token topic payload headers", defaults=(None,))
Reply = collections.namedtuple("Reply", "reply_token payload headers", defaults=(None,))
# The replier's node, uid, pid and the time the broker got its REPLY are 0 unless status is REPLIED.
Response = collections.namedtuple("Response",
                                  "request_id status replier_node replier_uid replier_pid timestamp_ns payload headers",
                                  defaults=(None,))


class RequestFailed(SeqbusError):
    """A request ended without a reply: `status` says how (NO_RESPONDERS, RESPONDERS_GONE, TIMED_OUT, DENIED,
    TOO_MANY_REQUESTS)."""

    def __init__(self, status, topic):
        super().__init__(0, "request to '%s': %s" % (topic, response_status_name(status)), 0, False)
        self.status = status


def response_status_name(status):
    return RESPONSE_STATUS[status] if 0 <= status < len(RESPONSE_STATUS) else "UNKNOWN(%d)" % status


def encode_request(request_id, timeout_ms, topic, payload, headers=None):
    data = _utf8(topic, MAX_TOPIC, "topic", 1)
    block, flags = _block(headers)
    return _frame(REQUEST, REQUEST_BODY.pack(request_id, timeout_ms, len(data)) + data + block + bytes(payload), flags)


def encode_reply(reply_token, payload, headers=None):
    block, flags = _block(headers)
    return _frame(REPLY, REPLY_BODY.pack(reply_token) + block + bytes(payload), flags)


def _encode_request_frame(frame):
    if isinstance(frame, Request):
        return encode_request(*frame)
    if isinstance(frame, Reply):
        return encode_reply(*frame)
    block, flags = _block(frame.headers)
    if isinstance(frame, DeliverRequest):
        data = _utf8(frame.topic, MAX_TOPIC, "topic", 1)
        return _frame(DELIVER_REQUEST, DELIVER_REQUEST_BODY.pack(*frame[:8], len(data)) + data + block
                      + bytes(frame.payload), flags)
    return _frame(RESPONSE, RESPONSE_BODY.pack(frame.request_id, frame.status, 0, 0, frame.replier_node,
                                               frame.replier_uid, frame.replier_pid, 0, frame.timestamp_ns)
                  + block + bytes(frame.payload), flags)


def _decode_request(body):
    values, topic, payload = _topic_and_payload(REQUEST_BODY, body)
    return Request(values[0], values[1], topic, payload)


def _decode_deliver_request(body):
    values, topic, payload = _topic_and_payload(DELIVER_REQUEST_BODY, body)
    return DeliverRequest(*values[:-1], topic, payload)


def _decode_reply(body):
    return Reply(_fields(REPLY_BODY, body)[0], bytes(body[REPLY_BODY.size:]))


def _decode_response(body):
    request_id, status, reserved, reserved2, node, uid, pid, reserved3, timestamp = _fields(RESPONSE_BODY, body)
    _reserved_zero(reserved, reserved2, reserved3)
    payload = bytes(body[RESPONSE_BODY.size:])
    if payload and status != REPLIED:
        raise SeqbusError(BAD_FRAME_LENGTH, "a RESPONSE carries a payload only when REPLIED")
    return Response(request_id, status, node, uid, pid, timestamp, payload)


_DECODERS.update({
    REQUEST: _decode_request,
    DELIVER_REQUEST: _decode_deliver_request,
    REPLY: _decode_reply,
    RESPONSE: _decode_response,
})


def _request_frame_with_headers(decode):
    """REQUEST, DELIVER_REQUEST, REPLY and RESPONSE with HEADERS: the block opens the payload."""
    def with_headers(body):
        frame = decode(body)
        headers, rest = _framing_block(frame.payload)
        return frame._replace(payload=rest, headers=headers)
    return with_headers


_WITH_HEADERS.update({type_: _request_frame_with_headers(_DECODERS[type_])
                      for type_ in (REQUEST, DELIVER_REQUEST, REPLY, RESPONSE)})


def _client_send_request(self, topic, payload, timeout_ms=5000, headers=None):
    """Sends a REQUEST and returns its request_id; the Response comes through receive() (or use request()).
    headers -- None, or a dict / list of (key, value) pairs sent beside the payload (needs Client(services=True))."""
    self._request_ids = getattr(self, "_request_ids", 0) % 0xFFFFFFFF + 1
    self._send(encode_request(self._request_ids, timeout_ms, topic, payload, headers))
    self.sent += 1  # numbered by the broker unless an ERROR refuses it (then _refused counts it back)
    return self._request_ids


def _client_request(self, topic, payload, timeout_ms=5000, headers=None):
    """Sends a request and waits for its RESPONSE: returns the Response (status REPLIED, the reply in `payload`,
    the replier's kernel uid and pid), or raises RequestFailed with how it ended. Other frames that come
    meanwhile stay in `pending` for receive(). The broker answers every accepted request, at the latest at its
    timeout."""
    request_id = self.send_request(topic, payload, timeout_ms, headers)
    while True:
        for frame in self._read():
            if isinstance(frame, Response) and frame.request_id == request_id:
                if frame.status != REPLIED:
                    raise RequestFailed(frame.status, topic)
                return frame
            self.pending.append(frame)


def _client_reply(self, reply_token, payload, headers=None):
    """Answers a DeliverRequest by its reply_token; the broker drops a reply from anyone it did not deliver the
    request to, and every reply after the first. headers -- as for send_request."""
    self._send(encode_reply(reply_token, payload, headers))


Client.send_request = _client_send_request
Client.request = _client_request
Client.reply = _client_reply
