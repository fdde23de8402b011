#!/usr/bin/python3
"""hostile.py LIBDIR SOCKET MODE ARGS... : the attacks of HostileUsersIT, as an unprivileged user
runs them (the test starts it under setpriv with another uid). Frames come from examples/python
(LIBDIR). It talks to the test by lines: it prints what it did on stdout and waits for a command
line on stdin where a mode says so; 'exit' (or the end of stdin) ends it, closing every socket.

Modes:
  subflood CONNS COUNT PREFIX   CONNS connections each send COUNT SUBSCRIBEs of distinct 255-byte
                                patterns under PREFIX, packed into datagrams, without reading;
                                then each pings and reads up to the PONG, counting ERROR codes.
  statflood IDLE REPEATS        IDLE connections say HELLO and never read ('idle-ready'); on 'flood'
                                one more sends REPEATS datagrams of STAT_REQUESTs filling
                                max_datagram, never reading; on 'check' it reads to the end.
  pingflood SECONDS             PINGs filling max_datagram, as fast as the socket takes them, for
                                SECONDS, never reading; on 'check' it reads to the end.
  fanout SUBS COUNT SIZE        SUBS connections subscribe 'big.>' and never read after the PONG;
                                one more publishes COUNT payloads of SIZE bytes to 'big.x'.
  badoption                     SUBSCRIBE with max_queue_bytes 2000000000, then checks that the
                                connection still subscribes, publishes and receives.
  block COUNT SIZE              one connection subscribes '>' with policy block and never reads
                                after the PONG; another publishes COUNT payloads of SIZE bytes to
                                'junk.fill' until the broker stops taking them.
  nohello CONNS SECONDS         CONNS connections that never send anything; counts those the
                                broker closes within SECONDS.
  httpstall HOST PORT           a TCP connection to the metrics port with half a request line.
  reqflood CONNS COUNT TOPIC     one connection subscribes TOPIC and reads but never replies; CONNS
                                connections each send COUNT REQUESTs to TOPIC (60 s timeout),
                                packed into datagrams, then each pings and reads up to the PONG,
                                counting RESPONSEs by status ('summary'); pending until 'exit'.
  shmcorrupt ROUNDS SEED        ROUNDS shared-memory connections, each corrupting its rings one way
                                (hostile_shm.py); one line per round, then 'summary'.
"""

import collections
import fcntl
import os
import select
import socket
import sys
import time

sys.path.insert(0, sys.argv[1])
import seqbus  # noqa: E402

PATH = sys.argv[2]


def say(*words):
    print(*words, flush=True)


def wait_for(command):
    """Blocks until the test writes COMMAND (or exit / end of stdin, which end the script)."""
    while True:
        line = sys.stdin.readline()
        if not line or line.strip() == "exit":
            sys.exit(0)
        if line.strip() == command:
            return


def connect(name=None, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(PATH)
    if name is not None:
        s.send(seqbus.encode_hello(name))
    return s


def frames_of(data):
    """The frames of a datagram from the broker, a DELIVER_RUN as one Deliver per message."""
    try:
        frames = seqbus.decode_datagram(data, sender="broker")
    except seqbus.SeqbusError as e:
        return [seqbus.Error(e.code, True, 0, "undecodable datagram: %s" % e)]
    out = []
    for frame in frames:
        out.extend(seqbus.deliveries(frame) if isinstance(frame, seqbus.DeliverRun) else [frame])
    return out


def read_until(s, done, deadline, counted=None):
    """Reads datagrams until done(frame) is true for one, the broker closes the connection (EOF,
    reset, or a fatal ERROR), or the deadline passes. Returns (reached, codes, end) where codes
    counts ERROR codes and end is 'eof', 'fatal:CODE', 'reset' or None. counted, a list of one
    int, adds up the bytes read."""
    codes = collections.Counter()
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = s.recv(262144)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            return False, codes, "reset"
        if not data:
            return False, codes, "eof"
        if counted is not None:
            counted[0] += len(data)
        for frame in frames_of(data):
            if isinstance(frame, seqbus.Error):
                codes[frame.code] += 1
                if frame.fatal:
                    # The broker closes right after a fatal ERROR: see the EOF too.
                    return False, codes, "fatal:%d" % frame.code
            if done(frame):
                return True, codes, None
    return False, codes, None


def welcome(s, deadline):
    got = []
    read_until(s, lambda f: isinstance(f, seqbus.Welcome) and not got.append(f), deadline)
    return got[0] if got else None


def pong_of(token):
    return lambda f: isinstance(f, seqbus.Pong) and f.token == token


def ping(s, token, deadline):
    try:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        s.send(seqbus.encode_ping(token))
    except socket.timeout:
        return False, collections.Counter(), "send-blocked"
    except (ConnectionResetError, BrokenPipeError):
        return False, collections.Counter(), "reset"
    return read_until(s, pong_of(token), deadline)


def codes_text(codes):
    return ",".join("%d:%d" % kv for kv in sorted(codes.items())) or "-"


def send_until(s, datagram, deadline):
    """Sends one datagram, waiting until the deadline; 'sent', 'blocked' or 'closed'."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "blocked"
        s.settimeout(left)
        try:
            s.send(datagram)
            return "sent"
        except socket.timeout:
            return "blocked"
        except (ConnectionResetError, BrokenPipeError):
            return "closed"


def verdict(s, seconds):
    """Reads what the broker sent until it closes the connection or SECONDS pass."""
    counted = [0]
    _, codes, end = read_until(s, lambda f: False, time.monotonic() + seconds, counted)
    say("verdict end=%s errors=%s read=%d" % (end or "open", codes_text(codes), counted[0]))


def pattern(prefix, index):
    """A distinct 255-byte pattern of one-byte tokens: PREFIX, the index in base 26, then filler."""
    tokens = prefix.split(".")
    digits = []
    for _ in range(4):
        digits.append(chr(ord("a") + index % 26))
        index //= 26
    tokens += digits
    text = ".".join(tokens)
    filler = "bcdefghijklmnopqrstuvwxyz"
    i = 0
    while len(text) + 2 <= seqbus.MAX_TOPIC:
        text += "." + filler[i % len(filler)]
        i += 1
    return text


def subflood(conns, count, prefix):
    socks, blocked, sent = [], 0, 0
    for c in range(conns):
        s = connect()
        socks.append(s)
        batch = bytearray(seqbus.encode_hello("subflood-%d" % c))
        for i in range(count):
            frame = seqbus.encode_subscribe(i + 1, pattern(prefix, c * count + i))
            if len(batch) + len(frame) > seqbus.DEFAULT_MAX_DATAGRAM:
                if send_until(s, bytes(batch), time.monotonic() + 10) != "sent":
                    blocked += 1
                sent += 1
                batch = bytearray()
            batch += frame
        if send_until(s, bytes(batch), time.monotonic() + 10) != "sent":
            blocked += 1
        sent += 1
    say("flooded datagrams=%d blocked=%d" % (sent, blocked))
    refused, pongs, ends = 0, 0, collections.Counter()
    deadline = time.monotonic() + 20
    for c, s in enumerate(socks):
        reached, codes, end = ping(s, 1_000_000 + c, deadline)
        refused += codes.get(10, 0)
        pongs += 1 if reached else 0
        ends[end or ("pong" if reached else "silent")] += 1
        say("conn %d pong=%d end=%s errors=%s" % (c, 1 if reached else 0, end or "-", codes_text(codes)))
    say("summary refused10=%d pongs=%d ends=%s" % (refused, pongs, dict(ends)))
    wait_for("exit")


def statflood(idle, repeats):
    deadline = time.monotonic() + 30
    idlers = []
    for i in range(idle):
        s = connect("idle-%d" % i)
        if welcome(s, deadline) is None:
            say("fail no WELCOME for idle connection %d" % i)
            return
        idlers.append(s)
    say("idle-ready %d" % len(idlers))
    wait_for("flood")
    s = connect("statflood")
    w = welcome(s, time.monotonic() + 10)
    if w is None:
        say("fail no WELCOME for the flooding connection")
        return
    per = w.max_datagram // 16
    sent, end = 0, "sent"
    deadline = time.monotonic() + 15
    for r in range(repeats):
        datagram = b"".join(seqbus.encode(seqbus.StatRequest(0, r * per + i + 1)) for i in range(per))
        end = send_until(s, datagram, deadline)
        if end != "sent":
            break
        sent += 1
    say("flooded datagrams=%d of %d requests_each=%d last=%s" % (sent, repeats, per, end))
    wait_for("check")
    verdict(s, 10)
    wait_for("exit")


def pingflood(seconds):
    s = connect("pingflood")
    w = welcome(s, time.monotonic() + 10)
    if w is None:
        say("fail no WELCOME")
        return
    per = w.max_datagram // 16
    sent, end, token = 0, "sent", 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        datagram = b"".join(seqbus.encode_ping(token + i) for i in range(per))
        token += per
        end = send_until(s, datagram, stop)
        if end == "closed":
            break
        if end == "sent":
            sent += 1
    say("flooded datagrams=%d pings=%d last=%s" % (sent, sent * per, end))
    wait_for("check")
    verdict(s, 10)
    wait_for("exit")


def fanout(subs, count, size):
    deadline = time.monotonic() + 30
    readers = []
    for i in range(subs):
        s = connect("fanout-sub-%d" % i)
        s.send(seqbus.encode_subscribe(1, "big.>"))
        reached, codes, end = ping(s, i + 1, deadline)
        if not reached:
            say("fail subscriber %d got no PONG: end=%s errors=%s" % (i, end, codes_text(codes)))
            return
        readers.append(s)
    say("subscribed %d" % len(readers))
    p = connect("fanout-pub")
    payload = bytes(size)
    sent, end = 0, "sent"
    for _ in range(count):
        end = send_until(p, seqbus.encode_publish("big.x", payload), deadline)
        if end != "sent":
            break
        sent += 1
    reached, codes, pend = ping(p, 99, deadline)
    say("published %d pong=%d end=%s errors=%s" % (sent, 1 if reached else 0, pend or "-", codes_text(codes)))
    wait_for("exit")


def memfdflood(subs, count, policy, per_message=1):
    """SUBS subscribers that pass descriptors and never read, then one sealed memfd published COUNT times: each
    publish hands the broker a new descriptor, and each delivery one more to a socket nobody reads. With
    PER_MESSAGE above 1 the memfd goes as that many plain descriptors (the attacker's rule grants pass_fds)."""
    deadline = time.monotonic() + 30
    readers = []
    for i in range(subs):
        s = connect()
        s.send(seqbus.encode_hello("memfd-sub-%d" % i, client_flags=seqbus.HELLO_DESCRIPTORS))
        s.send(seqbus.encode_subscribe(1, "fd.>", policy=policy))
        reached, codes, end = ping(s, i + 1, deadline)
        if not reached or codes:
            say("fail subscriber %d: pong=%d end=%s errors=%s" % (i, 1 if reached else 0, end, codes_text(codes)))
            return
        readers.append(s)
    say("subscribed %d" % len(readers))
    p = connect()
    p.send(seqbus.encode_hello("memfd-pub", client_flags=seqbus.HELLO_DESCRIPTORS))
    fd = os.memfd_create("hostile", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, b"x" * 4096)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seqbus.MEMFD_SEALS)
    if per_message == 1:
        frame, fds = seqbus.encode_publish_fds("fd.flood", 1, seqbus.MEMFD_PAYLOAD, 4096), [fd]
    else:
        frame, fds = seqbus.encode_publish_fds("fd.flood", per_message), [fd] * per_message
    sent, end = 0, "sent"
    for _ in range(count):
        # Once the broker stops taking them for a second, it holds this publisher back: enough.
        p.settimeout(1.0)
        try:
            socket.send_fds(p, [frame], fds)
        except socket.timeout:
            end = "blocked"
            break
        except (ConnectionResetError, BrokenPipeError):
            end = "closed"
            break
        sent += 1
    os.close(fd)
    reached, codes, pend = ping(p, 99, time.monotonic() + 30)
    say("published %d end=%s pong=%d then=%s errors=%s" % (sent, end, 1 if reached else 0, pend or "-",
                                                             codes_text(codes)))
    wait_for("exit")


def reqflood(conns, count, topic):
    deadline = time.monotonic() + 30
    replier = connect()
    replier.send(seqbus.encode_hello("reqflood-replier", client_flags=seqbus.HELLO_SERVICES))
    replier.send(seqbus.encode_subscribe(1, topic))
    reached, codes, end = ping(replier, 1, deadline)
    if not reached:
        say("fail replier got no PONG: end=%s errors=%s" % (end, codes_text(codes)))
        return

    def drain():  # reads every DELIVER_REQUEST, answers none: the requests stay pending
        try:
            while replier.recv(262144):
                pass
        except OSError:
            pass
    import threading
    threading.Thread(target=drain, daemon=True).start()
    socks = []
    for c in range(conns):
        s = connect()
        socks.append(s)
        batch = bytearray(seqbus.encode_hello("reqflood-%d" % c, client_flags=seqbus.HELLO_SERVICES))
        for i in range(count):
            frame = seqbus.encode_request(i + 1, 60_000, topic, b"x")
            if len(batch) + len(frame) > seqbus.DEFAULT_MAX_DATAGRAM:
                send_until(s, bytes(batch), deadline)
                batch = bytearray()
            batch += frame
        send_until(s, bytes(batch), deadline)
    say("flooded requests=%d" % (conns * count))
    statuses, pongs = collections.Counter(), 0
    for c, s in enumerate(socks):
        token = 1_000_000 + c

        def counted(f, token=token):  # every RESPONSE sent at once comes before the PONG
            if isinstance(f, seqbus.Response):
                statuses[seqbus.response_status_name(f.status)] += 1
            return isinstance(f, seqbus.Pong) and f.token == token
        s.send(seqbus.encode_ping(token))
        reached, codes, end = read_until(s, counted, deadline)
        pongs += 1 if reached else 0
    statuses["pongs"] = pongs
    say("summary " + " ".join("%s=%d" % kv for kv in sorted(statuses.items())))
    wait_for("exit")


def badoption():
    deadline = time.monotonic() + 20
    s = connect("badoption")
    s.send(seqbus.encode_subscribe(1, "opt.huge", max_queue_bytes=2_000_000_000))
    reached, codes, end = ping(s, 1, deadline)
    say("huge pong=%d end=%s errors=%s" % (1 if reached else 0, end or "-", codes_text(codes)))
    if not reached:
        return
    s.send(seqbus.encode_subscribe(2, "opt.fine"))
    s.send(seqbus.encode_publish("opt.fine", b"still-usable"))
    got = read_until(s, lambda f: isinstance(f, seqbus.Deliver) and f.subscription_id == 2
                     and f.payload == b"still-usable", deadline)
    say("after delivered=%d end=%s errors=%s" % (1 if got[0] else 0, got[2] or "-", codes_text(got[1])))
    wait_for("exit")


def block(count, size):
    deadline = time.monotonic() + 20
    sub = connect("block-sub")
    sub.send(seqbus.encode_subscribe(1, ">", policy=1))
    reached, codes, end = ping(sub, 1, deadline)
    say("subscribed pong=%d end=%s errors=%s" % (1 if reached else 0, end or "-", codes_text(codes)))
    pub = connect("block-pub")
    payload = bytes(size)
    sent, last = 0, "sent"
    for _ in range(count):
        # Once the broker stops taking them for a second, the bus is held back: enough.
        last = send_until(pub, seqbus.encode_publish("junk.fill", payload), time.monotonic() + 1)
        if last != "sent":
            break
        sent += 1
    say("filled published=%d last=%s" % (sent, last))
    wait_for("exit")


def nohello(conns, seconds):
    socks = [connect() for _ in range(conns)]
    say("connected %d" % len(socks))
    deadline = time.monotonic() + seconds
    open_ = {s.fileno(): s for s in socks}
    closed, codes = 0, collections.Counter()
    while open_ and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_), [], [], max(0.05, deadline - time.monotonic()))
        for fd in ready:
            s = open_[fd]
            try:
                data = s.recv(262144)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                closed += 1
                del open_[fd]
                continue
            for frame in frames_of(data):
                if isinstance(frame, seqbus.Error):
                    codes[frame.code] += 1
    say("closed %d of %d errors=%s" % (closed, conns, codes_text(codes)))
    wait_for("exit")


def httpstall(host, port):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\n")
    say("stalled")
    wait_for("exit")
    s.close()


def main():
    mode, args = sys.argv[3], sys.argv[4:]
    if mode == "subflood":
        subflood(int(args[0]), int(args[1]), args[2])
    elif mode == "statflood":
        statflood(int(args[0]), int(args[1]))
    elif mode == "pingflood":
        pingflood(float(args[0]))
    elif mode == "fanout":
        fanout(int(args[0]), int(args[1]), int(args[2]))
    elif mode == "memfdflood":
        memfdflood(*(int(a) for a in args))
    elif mode == "reqflood":
        reqflood(int(args[0]), int(args[1]), args[2])
    elif mode == "badoption":
        badoption()
    elif mode == "block":
        block(int(args[0]), int(args[1]))
    elif mode == "nohello":
        nohello(int(args[0]), float(args[1]))
    elif mode == "httpstall":
        httpstall(args[0], int(args[1]))
    elif mode == "shmcorrupt":
        import hostile_shm
        return hostile_shm.shmcorrupt(PATH, int(args[0]), int(args[1]), say)
    else:
        say("fail unknown mode %s" % mode)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
