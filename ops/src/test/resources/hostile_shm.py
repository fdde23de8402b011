"""The shared-memory attack of HostileUsersIT (hostile.py shmcorrupt ROUNDS SEED): a client that
does the handshake of SPEC.md "Shared memory" by hand (HELLO flags 8 and 4, SHM_READY with the memfd
and two eventfds, mmap, SHM_ATTACH), proves the broker reads its ring (a PING record, the PONG in
to_client), then writes one corruption into its rings and waits for the end of the connection.
One connection per round; the kinds are shuffled and their values drawn from SEED.

Per round it prints 'round N kind=K error=CODE|- end=eof|reset|none ms=T' (the first ERROR code
found in to_client after the corruption, and how the socket ended), then 'summary ...'.
"""

import mmap
import os
import random
import socket
import struct
import time

import seqbus

FLAG_SHARED_MEMORY = 8  # with DESCRIPTORS (4), as SPEC.md "Shared memory" requires
SHM_READY, SHM_ATTACH, SHM_FDS = 0x13, 0x14, 0x15
FRAMES, FRAMES_WITH_FDS, PADDING = 1, 2, -1
MAGIC = b"SEQBSHM1"
HEADER_LENGTH = 4096
# Control words (docs/design/shared-memory.md, "The memfd").
TO_TAIL, TO_HEAD = 128, 256
FROM_TAIL, FROM_HEAD = 640, 768
U64 = struct.Struct("<Q")
I64 = struct.Struct("<q")
RECORD = struct.Struct("<ii")
READY_BODY = struct.Struct("<IIQ")

# kind -> what the broker must answer: a set of ERROR codes (None = no ERROR is also right).
KINDS = {
    "tail_beyond": {seqbus.PROTOCOL_VIOLATION},
    "tail_backwards": {seqbus.PROTOCOL_VIOLATION},
    "tail_wild": {seqbus.PROTOCOL_VIOLATION},
    "length_short": {seqbus.PROTOCOL_VIOLATION},
    "length_past_end": {seqbus.PROTOCOL_VIOLATION},
    "length_past_tail": {seqbus.PROTOCOL_VIOLATION},
    "type_unknown": {seqbus.PROTOCOL_VIOLATION},
    "padding_wrong": {seqbus.PROTOCOL_VIOLATION},
    "fds_without_datagram": {seqbus.PROTOCOL_VIOLATION},
    "body_too_large": {seqbus.PROTOCOL_VIOLATION},
    "body_flags": {seqbus.PROTOCOL_VIOLATION},
    "body_broker_frame": {seqbus.PROTOCOL_VIOLATION},
    # Random frame bytes are refused by the first framing check they fail.
    "body_random": {seqbus.TRUNCATED_FRAME, seqbus.BAD_FRAME_LENGTH, seqbus.UNKNOWN_FRAME_TYPE,
                    seqbus.PROTOCOL_VIOLATION},
    # A committed record rewritten while the broker may be reading it, then a tail past the ring to end it: a
    # broker that read a length or type twice, or the body before copying it, would see two different records.
    "race": {seqbus.TRUNCATED_FRAME, seqbus.BAD_FRAME_LENGTH, seqbus.UNKNOWN_FRAME_TYPE, seqbus.PROTOCOL_VIOLATION},
    # A to_client.head the broker cannot trust: it may not be able to write the ERROR into that ring.
    "to_client_head": {seqbus.PROTOCOL_VIOLATION, None},
}


def align8(n):
    return (n + 7) & ~7


class Fail(Exception):
    pass


class Session:
    """One attached shared-memory connection, as the attacker sees it."""

    def __init__(self, path, name):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.sock.send(seqbus.encode_hello(name, client_flags=FLAG_SHARED_MEMORY | seqbus.HELLO_DESCRIPTORS))
        welcome = self.sock.recv(65536)
        if len(welcome) < 8 or welcome[4] != seqbus.WELCOME:
            raise Fail("no WELCOME: %r" % welcome[:64])
        self.max_datagram = seqbus.WELCOME_BODY.unpack_from(welcome, 8)[3]
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, 4096, 8)
        except socket.timeout:
            raise Fail("no SHM_READY within 5 s after WELCOME: is shm on for this uid?")
        if len(data) != 24 or data[4] != SHM_READY or len(fds) != 3:
            raise Fail("not an SHM_READY with 3 descriptors: %r, %d fds" % (data[:64], len(fds)))
        self.fds = fds
        self.memfd, self.client_wake, self.broker_wake = fds
        self.to_cap, self.from_cap, size = READY_BODY.unpack_from(data, 8)
        self.map = mmap.mmap(self.memfd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        if self.map[0:8] != MAGIC:
            raise Fail("bad magic %r" % self.map[0:8])
        self.to_off = U64.unpack_from(self.map, 24)[0]
        self.from_off = U64.unpack_from(self.map, 32)[0]
        self.sock.send(struct.pack("<IBBHI", 12, SHM_ATTACH, 0, 0, 0))
        self.tail = 0      # from_client, private
        self.head = 0      # to_client, private

    def put(self, at, length, type_, body=b""):
        """Writes a record header (any values) and body at ring position AT, bytes wrapped at the end."""
        raw = RECORD.pack(length, type_) + body
        for i in range(0, len(raw)):
            self.map[self.from_off + ((at + i) & (self.from_cap - 1))] = raw[i]

    def commit(self, tail):
        self.map[FROM_TAIL:FROM_TAIL + 8] = U64.pack(tail & 0xFFFFFFFFFFFFFFFF)
        os.eventfd_write(self.broker_wake, 1)

    def send_record(self, body, type_=FRAMES):
        length = 8 + len(body)
        index = self.tail & (self.from_cap - 1)
        if align8(length) > self.from_cap - index:
            self.put(self.tail, self.from_cap - index, PADDING)
            self.tail += self.from_cap - index
        self.put(self.tail, length, type_, body)
        self.tail += align8(length)
        self.commit(self.tail)

    def frames(self):
        """The frames the broker has committed to to_client since the last call."""
        out = []
        tail = U64.unpack_from(self.map, TO_TAIL)[0]
        while self.head < tail:
            index = self.head & (self.to_cap - 1)
            length, type_ = RECORD.unpack_from(self.map, self.to_off + index)
            if length < 8 or align8(length) > self.to_cap - index:
                raise Fail("the broker wrote a bad record: length %d at %d" % (length, index))
            if type_ in (FRAMES, FRAMES_WITH_FDS):
                body = bytes(self.map[self.to_off + index + 8:self.to_off + index + length])
                out.extend(seqbus.decode_datagram(body, sender="broker"))
            self.head += align8(length)
        self.map[TO_HEAD:TO_HEAD + 8] = U64.pack(self.head)
        return out

    def ping(self, token, timeout=5.0):
        self.send_record(seqbus.encode_ping(token))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for f in self.frames():
                if isinstance(f, seqbus.Pong) and f.token == token:
                    return
            time.sleep(0.0005)
        raise Fail("no PONG in to_client within %.0f s: the broker does not read the ring" % timeout)

    def end(self, timeout=5.0):
        """Waits for the end of the socket: 'eof', 'reset' or 'none' (still open at the timeout)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data, fds, _, _ = socket.recv_fds(self.sock, 65536, 16)
                for fd in fds:
                    os.close(fd)
                if not data:
                    return "eof"
        except socket.timeout:
            return "none"
        except (ConnectionResetError, BrokenPipeError):
            return "reset"

    def first_error(self):
        try:
            for f in self.frames():
                if isinstance(f, seqbus.Error):
                    return f.code
        except (Fail, seqbus.SeqbusError):
            return None
        return None

    def close(self):
        self.map.close()
        for fd in self.fds:
            os.close(fd)
        self.sock.close()


def corrupt(s, kind, rng):
    """Writes one corruption of KIND; the ring is where a PING left it (s.tail > 0)."""
    cap, p = s.from_cap, s.tail
    index = p & (cap - 1)
    ping = seqbus.encode_ping(rng.getrandbits(32))
    if kind == "tail_beyond":
        s.commit(p + cap + 8 * rng.randint(1, 1 << 20))
    elif kind == "tail_backwards":
        s.commit(rng.randrange(0, p))
    elif kind == "tail_wild":
        s.commit(rng.getrandbits(64) | (1 << 63) if rng.random() < 0.5 else p + cap + rng.getrandbits(40) + 1)
    elif kind == "length_short":
        s.put(p, rng.choice([rng.randint(-(1 << 31), -1), rng.randint(0, 7)]), FRAMES)
        s.commit(p + 16)
    elif kind == "length_past_end":
        s.put(p, rng.randint(cap - index + 1, (1 << 31) - 1), FRAMES, ping)
        s.commit(p + align8(8 + len(ping)))
    elif kind == "length_past_tail":
        s.put(p, 8 + len(ping) + 8 * rng.randint(1, 64), FRAMES, ping)
        s.commit(p + align8(8 + len(ping)))
    elif kind == "type_unknown":
        s.put(p, 8 + len(ping), rng.choice([0, 3, -2, SHM_READY, rng.randint(3, 1 << 30)]), ping)
        s.commit(p + align8(8 + len(ping)))
    elif kind == "padding_wrong":
        s.put(p, rng.choice([8, 16, cap - index - 8, cap]), PADDING)
        s.commit(p + 16)
    elif kind == "fds_without_datagram":
        s.send_record(ping, FRAMES_WITH_FDS)
    elif kind == "body_too_large":
        body = s.max_datagram + 8 * rng.randint(1, 8)
        if align8(8 + body) <= cap - index:
            s.put(p, 8 + body, FRAMES, ping)
            s.commit(p + align8(8 + body))
        else:  # the ring is smaller than max_datagram: a length that does not fit is the same lie
            s.put(p, 8 + body, FRAMES, ping)
            s.commit(p + 16)
    elif kind == "body_flags":
        bad = bytearray(ping)
        bad[5] = rng.randint(1, 255)
        s.send_record(bytes(bad))
    elif kind == "body_broker_frame":
        s.send_record(seqbus.encode_error(rng.randint(1, 20), True, 0, "forged"))
    elif kind == "body_random":
        s.send_record(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))))
    elif kind == "race":
        s.send_record(ping)
        for _ in range(2000):
            s.put(p, rng.choice([8 + len(ping), rng.randint(-(1 << 31), (1 << 31) - 1)]),
                  rng.choice([FRAMES, PADDING, FRAMES_WITH_FDS, 7]), bytes(rng.getrandbits(8) for _ in range(8)))
        s.commit(s.tail + cap + 8)
    elif kind == "to_client_head":
        # Outside [tail - C, tail] for the broker's tail (all read: our head): ahead of it, or more than C behind.
        s.frames()
        s.map[TO_HEAD:TO_HEAD + 8] = I64.pack(rng.choice([s.head + 8 * rng.randint(1, 1 << 20),
                                                          s.head - s.to_cap - 8 * rng.randint(1, 1 << 20)]))
        s.send_record(ping)  # the PONG makes the broker write to_client
    else:
        raise Fail("unknown kind " + kind)


def shmcorrupt(path, rounds, seed, say):
    rng = random.Random(seed)
    kinds = list(KINDS)
    plan = [kinds[i % len(kinds)] for i in range(rounds)]
    rng.shuffle(plan)
    ok = 0
    started = time.monotonic()
    for n, kind in enumerate(plan, 1):
        t0 = time.monotonic()
        try:
            s = Session(path, "shm-attacker-%d" % n)
        except (Fail, OSError) as e:
            say("fail round %d kind=%s handshake: %s" % (n, kind, e))
            return 1
        try:
            s.ping(n)
            corrupt(s, kind, rng)
            end = s.end()
            code = s.first_error()
        except (Fail, OSError) as e:
            say("fail round %d kind=%s: %s" % (n, kind, e))
            return 1
        finally:
            s.close()
        good = end in ("eof", "reset") and code in KINDS[kind]
        ok += good
        say("round %d kind=%s error=%s end=%s ms=%d%s" % (n, kind, "-" if code is None else code, end,
                                                          (time.monotonic() - t0) * 1000, "" if good else " WRONG"))
    say("summary rounds=%d ok=%d seed=%d s=%.1f" % (rounds, ok, seed, time.monotonic() - started))
    return 0
